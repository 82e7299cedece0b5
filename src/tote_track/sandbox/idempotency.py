"""Idempotency keys of ``POST /orders/{order_id}/cancel``.

* A key is 1 to 255 printable ASCII characters, sent plain or double-quoted
  (``"abc"`` and ``abc`` are the same key); anything else is 400 ``invalid_request``.
* The first request with a key is processed and its response (status and body) kept for
  24 hours by the engine's clock. A retry with the same key and the same request (same
  order, same body once parsed) gets that response again, marked
  ``Idempotent-Replayed: true``.
* The same key with a different request: 422 ``idempotency_key_reused``.
* A retry that arrives while the first request is still being processed:
  409 ``idempotency_key_in_use`` (with ``Retry-After: 1``).
* Requests that fail validation (400) or meet an injected fault are not kept: nothing was
  executed, so a retry with the same key is processed normally.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from starlette.responses import Response

from tote_track.sandbox.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidRequest,
    SandboxError,
    sandbox_error_response,
)
from tote_track.sandbox.store import IdempotencyRecord, OrderStore

__all__ = [
    "KEY_PATTERN",
    "KEY_TTL",
    "MAX_KEY_LENGTH",
    "IdempotencyKeys",
    "KeyedRequest",
    "fingerprint_of",
    "parse_key",
    "run_once",
]

KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"
"""What the OpenAPI document promises: 1-255 printable ASCII, no surrounding spaces."""


def parse_key(raw: str | None) -> str | None:
    """The key of an ``Idempotency-Key`` header value; ``None`` when the header is absent."""
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key.startswith('"') and key.endswith('"'):
        key = key[1:-1]
    if not key:
        raise InvalidRequest("The Idempotency-Key header is empty; send 1 to 255 characters.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(
            f"The Idempotency-Key is {len(key)} characters long; "
            f"the most allowed is {MAX_KEY_LENGTH}."
        )
    if not all(" " <= ch <= "~" for ch in key):
        raise InvalidRequest(
            "The Idempotency-Key may contain printable ASCII characters only "
            "(a UUID is a good key)."
        )
    return key


def fingerprint_of(method: str, target: str, body: Any) -> str:
    """What makes two requests "the same": method, target and the parsed body."""
    canonical = json.dumps(
        [method.upper(), target, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    """Keys in flight (in memory) and keys completed (in the store)."""

    def __init__(
        self,
        store: OrderStore,
        *,
        clock: Callable[[], datetime],
        lock: threading.RLock,
    ) -> None:
        self._store = store
        self._clock = clock
        self._lock = lock
        self._in_flight: dict[str, str] = {}

    def claim(self, key: str, fingerprint: str) -> IdempotencyRecord | None:
        """Start a request with ``key``.

        Returns the kept response to replay, or ``None`` when the request should run (the
        key is then in flight until :meth:`complete` or :meth:`release`).
        """
        with self._lock:
            if key in self._in_flight:
                if self._in_flight[key] != fingerprint:
                    raise IdempotencyKeyReused
                raise IdempotencyKeyInUse
            kept = self._store.get_idempotency(key)
            if kept is not None and kept.created_at + KEY_TTL <= self._clock():
                self._store.delete_idempotency(key)
                kept = None
            if kept is not None:
                if kept.fingerprint != fingerprint:
                    raise IdempotencyKeyReused
                return kept
            self._in_flight[key] = fingerprint
            return None

    def record(
        self, key: str, fingerprint: str, status_code: int, body: bytes
    ) -> IdempotencyRecord:
        """The record of a finished request (to be stored, e.g. with the order it changed)."""
        return IdempotencyRecord(
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            body=body,
            created_at=self._clock(),
        )

    def complete(self, key: str, fingerprint: str, status_code: int, body: bytes) -> None:
        """Keep the response of a finished request and take its key out of flight."""
        with self._lock:
            self._store.put_idempotency(self.record(key, fingerprint, status_code, body))
            self._in_flight.pop(key, None)

    def release(self, key: str) -> None:
        """Take a key out of flight without keeping anything (the request did not run)."""
        with self._lock:
            self._in_flight.pop(key, None)

    def purge(self) -> int:
        """Forget keys older than 24 hours."""
        with self._lock:
            return self._store.purge_idempotency(self._clock() - KEY_TTL)

    def forget_in_flight(self) -> None:
        with self._lock:
            self._in_flight.clear()


KeyedRequest = tuple[str, str]
"""An ``Idempotency-Key`` and the fingerprint of the request that carries it."""


async def run_once(
    keys: IdempotencyKeys,
    keyed: KeyedRequest,
    scope: Mapping[str, Any],
    run: Callable[[KeyedRequest], Awaitable[Response]],
    *,
    kept_errors: tuple[type[SandboxError], ...],
) -> Response:
    """A request with an ``Idempotency-Key``, step by step:

    1. claim the key: a kept response is replayed (``Idempotent-Replayed: true``), a key in
       flight or reused for another request is refused (409 / 422);
    2. ``run`` the request; it keeps its own success with the change it makes (the engine
       stores the key's record with the order, in one write);
    3. an error of ``kept_errors`` (the request ran and was refused) is kept as the key's
       answer; any other error (a fault, validation) keeps nothing;
    4. the key leaves flight whatever happened.
    """
    key, fingerprint = keyed
    kept = keys.claim(key, fingerprint)
    if kept is not None:
        return Response(
            kept.body,
            status_code=kept.status_code,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        try:
            return await run(keyed)
        except kept_errors as exc:
            response = sandbox_error_response(scope, exc)
            keys.complete(key, fingerprint, exc.status_code, bytes(response.body))
            return response
    finally:
        keys.release(key)
