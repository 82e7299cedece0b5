"""The sandbox's errors: each knows its HTTP status and the envelope's ``code``; and the
envelope itself, ``{"error": {"code", "message", "request_id"}}``, the one shape of every
error the sandbox answers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response

__all__ = [
    "INVALID_PARAMETER",
    "CancelNotAllowed",
    "EventNotAllowed",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "InjectedServerError",
    "InvalidRequest",
    "OrderNotFound",
    "RateLimited",
    "SandboxError",
    "Unauthorized",
    "error_body",
    "error_response",
    "request_id_of",
    "sandbox_error_response",
    "validation_message",
]


class SandboxError(Exception):
    """An error the API reports as ``{"error": {"code": ..., "message": ...}}``."""

    status_code: int = 400
    code: str = "invalid_request"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})


class InvalidRequest(SandboxError):
    status_code = 400
    code = "invalid_request"


class Unauthorized(SandboxError):
    status_code = 401
    code = "unauthorized"


class OrderNotFound(SandboxError):
    status_code = 404
    code = "not_found"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"No order with id {order_id} exists.")
        self.order_id = order_id


class CancelNotAllowed(SandboxError):
    status_code = 409
    code = "cancel_not_allowed"


class EventNotAllowed(SandboxError):
    status_code = 409
    code = "event_not_allowed"


class IdempotencyKeyInUse(SandboxError):
    status_code = 409
    code = "idempotency_key_in_use"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; "
            "retry in a moment to get its result.",
            headers={"Retry-After": "1"},
        )


class IdempotencyKeyReused(SandboxError):
    status_code = 422
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request."
        )


class RateLimited(SandboxError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            f"Too many requests; retry in {retry_after} {unit}.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class InjectedServerError(SandboxError):
    code = "internal"

    def __init__(self, status_code: int) -> None:
        super().__init__(
            "The server ran into a temporary problem (a fault injected by the sandbox); "
            "retry the request.",
            headers={"Retry-After": "1"} if status_code == 503 else None,
        )
        self.status_code = status_code


# ---------------------------------------------------------------------------------------
# The envelope on the wire.

_JSON = "application/json"


def request_id_of(scope: Mapping[str, Any]) -> str | None:
    """The id :class:`~tote_track.sandbox.middleware.RequestIds` gave this request."""
    state = scope.get("state")
    if isinstance(state, Mapping):
        value = state.get("request_id")
        return value if isinstance(value, str) else None
    return None


def error_body(scope: Mapping[str, Any], code: str, message: str) -> bytes:
    """``{"error": {"code", "message", "request_id"}}`` as JSON bytes."""
    error = {"code": code, "message": message, "request_id": request_id_of(scope)}
    return json.dumps({"error": error}, ensure_ascii=False).encode()


def error_response(
    scope: Mapping[str, Any],
    status_code: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        error_body(scope, code, message),
        status_code=status_code,
        media_type=_JSON,
        headers=dict(headers or {}),
    )


def sandbox_error_response(scope: Mapping[str, Any], exc: SandboxError) -> Response:
    return error_response(scope, exc.status_code, exc.code, exc.message, exc.headers)


INVALID_PARAMETER = "invalid_parameter"
"""The pydantic error type of a parameter rule whose message is already a whole sentence."""


def validation_message(errors: Sequence[Any]) -> str:
    """One sentence for pydantic's errors: a parameter rule's own sentence, else the
    first few problems by field."""
    sentences = [
        str(error.get("msg"))
        for error in errors
        if isinstance(error, Mapping) and error.get("type") == INVALID_PARAMETER
    ]
    if sentences:
        return " ".join(sentences[:3])
    parts: list[str] = []
    for error in errors[:3]:
        if not isinstance(error, Mapping):  # pragma: no cover - pydantic always sends dicts
            continue
        if error.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        if error.get("type") == "missing" and not loc:
            return "The request needs a JSON body."
        where = ".".join(loc)
        text = str(error.get("msg", "is invalid"))
        parts.append(f"{where}: {text}" if where else text)
    return "The request is invalid: " + "; ".join(parts) + "."
