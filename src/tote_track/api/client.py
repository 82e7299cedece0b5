"""The async client of the Tote Online Ordering API (orders: get, list, cancel).

One :class:`ToteClient` owns one ``httpx.AsyncClient`` (one connection pool); use it as an
async context manager::

    async with ToteClient(ClientConfig.resolve(None, token)) as client:
        order = await client.get_order(order_id)
        async for summary in client.iter_orders(status="CONFIRMED"):
            ...

Behaviour the guide leaves open, decided here:

* Timeouts: 5 s to connect, 15 s to read or write, and 30 s in all for one attempt
  (``attempt_timeout``).
* Retries (``max_retries`` = 2 by default, so at most 3 requests; each call may pass its
  own ``max_retries``, 0 sends once): connection errors, timeouts, 429, 5xx and 409
  ``idempotency_key_in_use``. Waits use full-jitter exponential backoff (uniform in
  [0, min(8 s, 0.5 s * 2**(n-1))] before retry n), except that a ``Retry-After`` header
  (seconds or HTTP date, measured against the response's ``Date``) wins, capped at
  ``errors.RETRY_AFTER_CAP`` (300 s). Other 4xx, including 409 ``cancel_not_allowed``, are
  never retried. With the defaults a call gives up after at most about 92 s when the server
  sends no Retry-After (three attempts of 30 s, 1.5 s of backoff), and after at most about
  11.5 minutes when it asks for the longest waits (two of 300 s).
* A cancel sends one ``Idempotency-Key`` (a uuid4 per ``cancel_order`` call) on every retry.
* Redirects are not followed (an ``Authorization`` header must not wander); a 3xx is a
  :class:`BadResponseError` naming the new location. Bodies over 8 MiB are refused.
* Logging goes to ``tote_track.api`` at DEBUG: method, path, status, request id, attempt
  and delay. Headers and the token are never logged.
* Every string kept from a server (request id, error code and message, a redirect's
  location) and every library error's text goes through ``errors.server_text``: the
  token becomes ``<redacted>``, control characters become visible escapes, and it is cut
  to 200 characters. A path (a 10 KB order id, say) is cut the same way in logs and errors.
* ``iter_orders`` reads at most ``max_pages`` pages (default 1,000), ``max_orders``
  orders (default 100,000: 1,000 full pages) and ``max_bytes`` of answers (default 256 MiB:
  100,000 ordinary summaries are about 150 MB) per iteration, then raises
  :class:`PaginationLimitError` saying to narrow the filters; a page with no orders that
  says more follow is a :class:`BadResponseError` (a server looping on empty pages).
"""

from __future__ import annotations

import asyncio
import hashlib
import json as jsonlib
import logging
import math
import random
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import quote

import httpx

from tote_track import __version__
from tote_track.api.config import CONNECT_TIMEOUT, ClientConfig
from tote_track.api.errors import (
    RETRY_AFTER_CAP,
    SECRET_MIN_LENGTH,
    ApiConnectionError,
    ApiTimeoutError,
    BadResponseError,
    PaginationLimitError,
    ToteError,
    error_for_status,
    server_text,
    shorten,
)
from tote_track.api.network import ConnectionTrace, connect_error, connect_timeout_error
from tote_track.api.statuses import FulfillmentStatus, OrderStatus
from tote_track.api.trust import build_ssl_context, no_trust_context

if TYPE_CHECKING:
    # pydantic and the models load when a first answer is read, not before the first
    # request can leave (see ``api.early``): about 75 ms of imports.
    from pydantic import BaseModel, ValidationError

    from tote_track.api.models import CancelResult, Order, OrderSummary, Page
    from tote_track.api.warm import WarmConnection

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "DEFAULT_ATTEMPT_TIMEOUT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ORDERS",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_PAGE_SIZE",
    "RETRY_AFTER_CAP",
    "SCRUB_MIN_TOKEN_LENGTH",
    "USER_AGENT",
    "ClientFactory",
    "Reply",
    "ToteClient",
    "parse_model",
    "parse_retry_after",
]

logger = logging.getLogger("tote_track.api")

USER_AGENT = f"tote-track/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(connect=CONNECT_TIMEOUT, read=15.0, write=15.0, pool=5.0)
DEFAULT_ATTEMPT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 1000
DEFAULT_MAX_ORDERS = 100_000
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
SCRUB_MIN_TOKEN_LENGTH = SECRET_MIN_LENGTH

ModelT = TypeVar("ModelT", bound="BaseModel")

Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None, date: str | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, capped at :data:`RETRY_AFTER_CAP`.

    ``value`` is either delta-seconds or an HTTP date; a date is measured against ``date``
    (the response's ``Date`` header, the server's own clock) when given, else against the
    local clock. Anything unreadable or negative gives None.
    """
    if value is None:
        return None
    text = value.strip()
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until(text, date)
        if seconds is None:
            return None
        seconds = max(seconds, 0.0)  # a date already past: retry now
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, RETRY_AFTER_CAP)


def _parse_http_date(text: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _seconds_until(text: str, date: str | None) -> float | None:
    moment = _parse_http_date(text)
    if moment is None:
        return None
    now = (_parse_http_date(date) if date else None) or datetime.now(UTC)
    try:
        return (moment - now).total_seconds()
    except OverflowError:  # pragma: no cover - dates are bounded by the parser
        return None


def _describe_validation(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False)[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "(body)"
        problems.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(problems)
    text = "; ".join(problems)
    if more > 0:
        text += f"; and {more} more"
    return text


InvalidRow = Callable[[str], None]
"""Told why one order of a page was left out (the field and the problem, no values)."""


def _valid_rows(
    rows: list[Any], on_invalid: InvalidRow, model: type[OrderSummary]
) -> Iterator[OrderSummary]:
    from pydantic import ValidationError

    for row in rows:
        try:
            yield model.model_validate(row)
        except ValidationError as exc:
            problem = _describe_validation(exc)
        except RecursionError:
            problem = "it is nested too deeply"
        else:
            continue
        on_invalid(problem)


def _next_cursor(page: Page[OrderSummary], seen: set[bytes]) -> str:
    """The page's ``next_cursor``, checked: there is one, and it was not handed out before
    (its digest joins ``seen``)."""
    cursor = page.pagination.next_cursor
    if not cursor:
        raise BadResponseError("The server said more orders follow but sent no next_cursor")
    digest = hashlib.sha256(cursor.encode("utf-8", "surrogatepass")).digest()
    if digest in seen:
        raise BadResponseError(
            "The server sent a next_cursor it had already sent; stopping instead of "
            "reading the same orders again"
        )
    seen.add(digest)
    return cursor


def parse_model(
    model: type[ModelT],
    payload: Any,
    what: str,
    *,
    status_code: int | None = None,
    request_id: str | None = None,
) -> ModelT:
    """Validate ``payload`` as ``model`` or raise :class:`BadResponseError` saying why.

    The error is raised outside the ``except`` block, so it carries no ``__context__``:
    pydantic's own text quotes the server's values, which may echo the token (or anything
    else) into a logged or printed traceback.
    """
    from pydantic import ValidationError

    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problem = _describe_validation(exc)
    except RecursionError:
        problem = "it is nested too deeply"
    raise BadResponseError(
        f"The server's answer is not a valid {what}: {problem}",
        status_code=status_code,
        request_id=request_id,
    )


# Failures of a connection that was open: the API was there (it dropped the connection, or
# did not answer in time), unlike a connection that could not be made at all.
_AFTER_CONNECTING = (
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
)

_TIMEOUT_PHASES: dict[type[BaseException], str] = {
    httpx.ConnectTimeout: "while connecting",
    httpx.ReadTimeout: "while waiting for the answer",
    httpx.WriteTimeout: "while sending the request",
    httpx.PoolTimeout: "while waiting for a free connection",
}


@dataclass(frozen=True)
class Reply:
    """An answer's decoded JSON body, not yet read as a model, and what an error about it
    would name."""

    payload: Any
    status_code: int
    request_id: str | None
    size: int = 0
    """The body's length in bytes."""


def _enum_param(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not text:
        raise ValueError(f"{name} must not be empty")
    return text


def _datetime_param(name: str, value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``; a naive datetime is taken as local time."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{name} is out of range in UTC") from None
    return utc.isoformat().replace("+00:00", "Z")


def _check_positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def _check_limit(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ValueError(f"{name} must be between 1 and {MAX_PAGE_SIZE}, got {value}")
    return value


def _order_path(order_id: str, suffix: str = "") -> str:
    if not isinstance(order_id, str) or not order_id.strip():
        raise ValueError("order_id must be a non-empty string")
    return f"/orders/{quote(order_id, safe='')}{suffix}"


class ToteClient:
    """Async client of the Tote orders API; an async context manager owning one pool.

    ``transport`` replaces the network (tests pass ``httpx.MockTransport``); ``sleep`` is
    awaited for every wait between retries (tests pass a fake recording the delays);
    ``rng`` draws the backoff jitter.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        sleep: Sleep = asyncio.sleep,
        attempt_timeout: float | None = DEFAULT_ATTEMPT_TIMEOUT,
        rng: random.Random | None = None,
        ssl_context: ssl.SSLContext | None = None,
        warm: WarmConnection | None = None,
    ) -> None:
        """``ssl_context``: the verifying context for an ``https://`` API, when the caller
        has built it ahead (``api.warm`` loads it on a thread); by default it is built here
        from ``config.ca_bundle``. ``warm``: the API's connection, opened ahead with that
        context (``api.warm``); the first request goes on it."""
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        self._config = config
        self._max_retries = max_retries
        self._sleep = sleep
        self._attempt_timeout = attempt_timeout
        self._rng = rng or random.Random()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if config.token is not None:
            headers["Authorization"] = f"Bearer {config.token}"
        https = config.uses_tls
        if warm is not None and ssl_context is None and https:
            ssl_context = warm.trust.result()  # the context its connection was opened with
        verify = (
            (ssl_context or build_ssl_context(config.ca_bundle)) if https else no_trust_context()
        )
        # (A transport of its own turns httpx's proxies from the environment off: a warm
        # connection is only ever opened where the environment sets none.)
        if warm is not None and warm.opens and transport is None and https:
            from tote_track.api.adopt import adopting_transport

            transport = adopting_transport(warm, verify=verify, trust_env=https)
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            headers=headers,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
            # One context for the API and every proxy transport. Loading a CA bundle costs
            # ~70 ms of start-up: a plain-http base URL (only ever loopback, see ClientConfig)
            # never negotiates TLS (no proxy, redirects not followed), so it gets a context
            # that checks certificates but loads none.
            verify=verify,
            # Proxies from the environment for https only: over plain http a proxy would
            # read the token in clear (and its loopback is not ours).
            trust_env=https,
        )

    # -- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. Safe to call more than once."""
        await self._http.aclose()

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def config(self) -> ClientConfig:
        return self._config

    @property
    def max_retries(self) -> int:
        return self._max_retries

    def __repr__(self) -> str:
        return f"ToteClient(base_url={self.base_url!r})"

    # -- the orders API --------------------------------------------------------------

    async def get_order(self, order_id: str) -> Order:
        """``GET /orders/{order_id}``: the full order."""
        return self.read_order(await self.get_order_reply(order_id))

    async def get_order_reply(
        self,
        order_id: str,
        *,
        max_retries: int | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> Reply:
        """``GET /orders/{order_id}``'s answer, to be read by :meth:`read_order`: a request
        that needs neither pydantic nor the models, so that they can load while it is out.
        ``max_retries`` overrides the client's for this call; ``on_wait`` is called once the
        request only waits on the network (see ``network.ConnectionTrace``)."""
        return await self._request(
            "GET", _order_path(order_id), max_retries=max_retries, on_wait=on_wait
        )

    @classmethod
    def read_order(cls, reply: Reply) -> Order:
        """The order in :meth:`get_order_reply`'s answer; :class:`BadResponseError` when it
        is not one."""
        from tote_track.api.models import Order

        return parse_model(Order, reply.payload, "order", **cls._meta(reply))

    async def list_orders(
        self,
        *,
        status: OrderStatus | str | None = None,
        fulfillment_status: FulfillmentStatus | str | None = None,
        location_id: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        on_invalid: InvalidRow | None = None,
        known_fields_only: bool = False,
    ) -> Page[OrderSummary]:
        """``GET /orders``: one page of order summaries matching every filter given.

        ``limit`` must be 1..100 (ValueError otherwise). Datetimes are sent as ISO 8601 in
        UTC; a naive datetime is taken as local time. With ``on_invalid``, an order that is
        not valid is left out of the page and ``on_invalid`` told why (without its values);
        otherwise it makes the whole page a :class:`BadResponseError`.
        ``known_fields_only``: the summaries keep no field this version does not know
        (:class:`~tote_track.api.models.KnownSummary`), for a caller that shows none.
        """
        params = self._list_params(
            status=status,
            fulfillment_status=fulfillment_status,
            location_id=location_id,
            date_from=date_from,
            date_to=date_to,
            limit=None if limit is None else _check_limit("limit", limit),
            cursor=cursor,
        )
        page, _ = await self._page(params, on_invalid, known_fields_only=known_fields_only)
        return page

    async def _page(
        self, params: Mapping[str, str], on_invalid: InvalidRow | None, *, known_fields_only: bool
    ) -> tuple[Page[OrderSummary], int]:
        """A page of ``GET /orders`` and the length of its body in bytes."""
        reply = await self._request("GET", "/orders", params=params)
        from tote_track.api.models import KnownSummary, OrderSummary, Page, RowsPage

        model = KnownSummary if known_fields_only else OrderSummary
        if on_invalid is None:
            page_model: type[Page[OrderSummary]] = Page[model]  # type: ignore[valid-type]
            page = parse_model(page_model, reply.payload, "page of orders", **self._meta(reply))
            return page, reply.size
        rows = parse_model(RowsPage, reply.payload, "page of orders", **self._meta(reply))
        valid = list(_valid_rows(rows.data, on_invalid, model))
        return Page[OrderSummary](data=valid, pagination=rows.pagination), reply.size

    async def iter_orders(
        self,
        *,
        status: OrderStatus | str | None = None,
        fulfillment_status: FulfillmentStatus | str | None = None,
        location_id: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int = DEFAULT_MAX_PAGES,
        max_orders: int = DEFAULT_MAX_ORDERS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        on_invalid: InvalidRow | None = None,
        known_fields_only: bool = False,
    ) -> AsyncIterator[OrderSummary]:
        """Every order matching the filters, page after page, following ``next_cursor``.

        Bounded: after ``max_pages`` pages, ``max_orders`` orders or ``max_bytes`` bytes of
        answers, when the server says more follow, the iteration ends with
        :class:`PaginationLimitError` (the orders before it were yielded), so no server can
        make it read forever. A server that says ``has_more`` on a page without orders, or
        without a cursor, or hands out a cursor it handed out before, ends it with
        :class:`BadResponseError` (never a loop). ``on_invalid`` and ``known_fields_only``:
        as for :meth:`list_orders`.
        """
        _check_limit("page_size", page_size)
        _check_positive("max_pages", max_pages)
        _check_positive("max_orders", max_orders)
        _check_positive("max_bytes", max_bytes)
        # Digests, not the cursors: a server may hand out megabytes of cursor per page.
        seen: set[bytes] = set()
        cursor: str | None = None
        pages = orders = read = 0
        while True:
            if pages >= max_pages:
                raise PaginationLimitError(max_pages, "pages")
            params = self._list_params(
                status=status,
                fulfillment_status=fulfillment_status,
                location_id=location_id,
                date_from=date_from,
                date_to=date_to,
                limit=page_size,
                cursor=cursor,
            )
            page, size = await self._page(params, on_invalid, known_fields_only=known_fields_only)
            pages += 1
            read += size
            more = page.pagination.has_more
            if more and not page.data:
                raise BadResponseError(
                    "The server sent an empty page but said more orders follow; stopping "
                    "instead of asking again"
                )
            for summary in page.data:
                if orders >= max_orders:
                    raise PaginationLimitError(max_orders, "orders")
                orders += 1
                yield summary
            if not more:
                return
            if orders >= max_orders:
                raise PaginationLimitError(max_orders, "orders")
            if read >= max_bytes:
                raise PaginationLimitError(max_bytes // (1024 * 1024), "MiB of answers")
            cursor = _next_cursor(page, seen)

    async def cancel_order(
        self,
        order_id: str,
        reason: str,
        *,
        idempotency_key: str | None = None,
        max_retries: int | None = None,
    ) -> CancelResult:
        """``POST /orders/{order_id}/cancel`` with one ``Idempotency-Key`` for all retries.

        ``max_retries`` overrides the client's for this call: a client that never retries
        its polls can still retry the cancel, which the key makes safe.

        Raises :class:`CancelNotAllowedError` once preparation began (never retried).
        """
        path = _order_path(order_id, "/cancel")
        from pydantic import ValidationError

        from tote_track.api.models import CancelRequest, CancelResult

        try:
            body = CancelRequest(reason=reason)
        except ValidationError:
            raise ValueError("reason must be between 1 and 500 characters") from None
        key = idempotency_key if idempotency_key is not None else str(uuid.uuid4())
        if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
            raise ValueError("idempotency_key must be 1 to 255 printable ASCII characters")
        reply = await self._request(
            "POST",
            path,
            json=body.model_dump(mode="json"),
            headers={"Idempotency-Key": key},
            max_retries=max_retries,
        )
        return parse_model(CancelResult, reply.payload, "cancel result", **self._meta(reply))

    # -- the shared low-level call ---------------------------------------------------

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        json: object | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        allow_empty: bool = False,
    ) -> Any:
        """Send one request and decode its JSON, retrying transient failures up to
        ``max_retries`` times (None: the client's own number; 0: send once).

        Returns the decoded body, or None for 204/205 (and for an empty body when
        ``allow_empty``; otherwise an empty body is a :class:`BadResponseError`).
        Raises a :class:`ToteError`.
        """
        reply = await self._request(
            method,
            path,
            json=json,
            params=params,
            headers=headers,
            max_retries=max_retries,
            allow_empty=allow_empty,
        )
        return reply.payload

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _meta(reply: Reply) -> dict[str, Any]:
        return {"status_code": reply.status_code, "request_id": reply.request_id}

    @staticmethod
    def _list_params(
        *,
        status: str | None,
        fulfillment_status: str | None,
        location_id: str | None,
        date_from: datetime | None,
        date_to: datetime | None,
        limit: int | None,
        cursor: str | None,
    ) -> dict[str, str]:
        candidates = {
            "status": _enum_param("status", status),
            "fulfillment_status": _enum_param("fulfillment_status", fulfillment_status),
            "location_id": location_id,
            "date_from": _datetime_param("date_from", date_from),
            "date_to": _datetime_param("date_to", date_to),
            "limit": None if limit is None else str(limit),
            "cursor": cursor,
        }
        return {name: value for name, value in candidates.items() if value is not None}

    def _scrub(self, text: str) -> str:
        """Text from a server or a library, safe to keep (``errors.server_text``): no token
        (unless shorter than :data:`SCRUB_MIN_TOKEN_LENGTH`), no control characters, at
        most 200 characters."""
        return server_text(text, self._config.token)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt - 1))]."""
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: object | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        allow_empty: bool = False,
        max_retries: int | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> Reply:
        """One call: up to ``1 + max_retries`` attempts (None: the client's ``max_retries``),
        waiting the server's Retry-After or the backoff between them."""
        attempts = 1 + (self._max_retries if max_retries is None else max_retries)
        attempt = 1
        while True:
            try:
                return await self._attempt(
                    method,
                    path,
                    json=json,
                    params=params,
                    headers=headers,
                    attempt=attempt,
                    allow_empty=allow_empty,
                    on_wait=on_wait,
                )
            except ToteError as err:
                err.attempts = attempt
                if not err.transient or attempt >= attempts:
                    raise
                delay = err.retry_after if err.retry_after is not None else self._backoff(attempt)
                logger.debug(
                    "%s %s: %s; retrying in %.2f s (attempt %d of %d)",
                    method,
                    shorten(path),
                    type(err).__name__,
                    delay,
                    attempt + 1,
                    attempts,
                )
                await self._sleep(delay)
                attempt += 1

    async def _attempt(
        self,
        method: str,
        path: str,
        *,
        json: object | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        attempt: int,
        allow_empty: bool,
        on_wait: Callable[[], None] | None = None,
    ) -> Reply:
        """One request: built, sent, its status mapped, its body decoded."""
        started = time.perf_counter()
        request, trace = self._build(method, path, json=json, params=params, headers=headers)
        trace.on_wait = on_wait
        response, body = await self._send(request, trace, attempt)
        request_id = self._request_id(response)
        logger.debug(
            "%s %s -> %d (request %s, attempt %d, %.0f ms)",
            method,
            shorten(path),
            response.status_code,
            request_id or "-",
            attempt,
            (time.perf_counter() - started) * 1000,
        )
        self._check_status(response, body, request_id)
        return self._decode(response, body, request_id, allow_empty=allow_empty)

    def _build(
        self,
        method: str,
        path: str,
        *,
        json: object | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[httpx.Request, ConnectionTrace]:
        """The request to send, with a trace of its connection; ValueError for a bad path."""
        shown = shorten(path)  # an order id may be 10 KB: logs and errors get its start
        if not path.startswith("/"):
            # An absolute URL would bypass the base URL and carry the token elsewhere.
            raise ValueError(f"request path must start with '/', got {shown!r}")
        trace = ConnectionTrace()
        try:
            request = self._http.build_request(
                method, path, json=json, params=params, headers=headers, extensions={"trace": trace}
            )
        except httpx.InvalidURL as exc:
            raise ValueError(f"invalid request path {shown!r}: {shorten(str(exc))}") from None
        return request, trace

    async def _send(
        self, request: httpx.Request, trace: ConnectionTrace, attempt: int
    ) -> tuple[httpx.Response, bytes]:
        """The response and its (bounded) body, within the attempt's timeout; a failure to
        get them is a :class:`ToteError` that says why (a timeout, which connection step)."""
        shown = f"{request.method} {shorten(request.url.path)}"
        try:
            async with asyncio.timeout(self._attempt_timeout):
                response = await self._http.send(request, stream=True)
                try:
                    return response, await self._read_body(response)
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError) as exc:
            logger.debug("%s: timed out (attempt %d)", shown, attempt)
            stalled = connect_timeout_error(request.url, trace)
            if stalled is not None:
                raise stalled from exc
            phase = _TIMEOUT_PHASES.get(type(exc), f"within {self._attempt_timeout:g} s in all")
            raise ApiTimeoutError(
                f"The Tote API at {request.url.host} did not answer in time ({phase})",
                reached=isinstance(exc, _AFTER_CONNECTING),
            ) from exc
        except httpx.DecodingError as exc:
            raise BadResponseError(
                f"The Tote API at {request.url.host} sent a body that could not be decoded"
            ) from exc
        except httpx.RequestError as exc:
            logger.debug("%s: %s (attempt %d)", shown, type(exc).__name__, attempt)
            failure = (
                connect_error(exc, request.url, trace)
                if isinstance(exc, httpx.TransportError)
                else None
            )
            if failure is not None:
                raise failure from exc
            reason = self._scrub(str(exc)) or type(exc).__name__
            raise ApiConnectionError(
                f"Could not reach the Tote API at {request.url.host}: {reason}",
                reached=isinstance(exc, _AFTER_CONNECTING),
            ) from exc

    def _check_status(self, response: httpx.Response, body: bytes, request_id: str | None) -> None:
        """An error status is its typed error; a redirect is refused (the token never
        follows one to another address)."""
        if response.status_code >= 400:
            raise self._status_error(response, body, request_id)
        if response.status_code >= 300:
            location = response.headers.get("location", "")
            raise BadResponseError(
                f"The server redirected to {self._scrub(location) or 'another address'}; "
                "check the API base URL",
                status_code=response.status_code,
                request_id=request_id,
            )

    def _decode(
        self, response: httpx.Response, body: bytes, request_id: str | None, *, allow_empty: bool
    ) -> Reply:
        """The body's JSON (None for 204/205, HEAD, or an allowed empty body)."""
        empty = not body.strip()
        if (
            response.status_code in (204, 205)
            or response.request.method.upper() == "HEAD"
            or (empty and allow_empty)
        ):
            return Reply(None, response.status_code, request_id)
        if empty:
            raise BadResponseError(
                "The server sent an empty answer where JSON was expected",
                status_code=response.status_code,
                request_id=request_id,
            )
        try:
            payload = jsonlib.loads(body)
        except (ValueError, RecursionError):
            raise BadResponseError(
                f"The server's answer was not the API's JSON ({self._content_type(response)})",
                status_code=response.status_code,
                request_id=request_id,
            ) from None
        return Reply(payload, response.status_code, request_id, len(body))

    async def _read_body(self, response: httpx.Response) -> bytes:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise BadResponseError(
                    f"The server's answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB",
                    status_code=response.status_code,
                    request_id=self._request_id(response),
                )
        return bytes(body)

    def _request_id(self, response: httpx.Response) -> str | None:
        """The answer's ``X-Request-Id``, made safe to print (it may echo the token)."""
        raw = response.headers.get("x-request-id")
        return self._scrub(raw) if raw else None

    def _content_type(self, response: httpx.Response) -> str:
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        return self._scrub(content_type) if content_type else "no content type"

    def _status_error(
        self, response: httpx.Response, body: bytes, request_id: str | None
    ) -> ToteError:
        status = response.status_code
        code: str | None = None
        message: str | None = None
        try:
            payload = jsonlib.loads(body) if body.strip() else None
        except (ValueError, RecursionError):
            payload = None
        if isinstance(payload, dict):
            error = payload.get("error")
            if isinstance(error, dict):
                raw_code, raw_message = error.get("code"), error.get("message")
                code = raw_code if isinstance(raw_code, str) and raw_code else None
                message = raw_message if isinstance(raw_message, str) and raw_message else None
                raw_id = error.get("request_id")
                if request_id is None and isinstance(raw_id, str) and raw_id:
                    request_id = self._scrub(raw_id)
            elif isinstance(payload.get("detail"), str) and payload["detail"]:
                message = payload["detail"]
        cls = error_for_status(status, code)
        if message is None:
            if not body.strip():
                note = "the answer was empty"
            elif payload is None:
                note = f"the answer was not the API's JSON ({self._content_type(response)})"
            else:
                note = "the answer was not the API's error format"
            message = f"{cls.default_message}; {note}"
        retry_after = parse_retry_after(
            response.headers.get("retry-after"), response.headers.get("date")
        )
        error = cls(
            self._scrub(message),
            code=self._scrub(code) if code else None,
            request_id=request_id,
            status_code=status,
            retry_after=retry_after,
        )
        error.payload = payload
        return error


ClientFactory = Callable[[], ToteClient]
"""Makes an API client: an app calls it once, when it first needs the client."""
