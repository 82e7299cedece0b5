"""Typed errors of the Tote API client.

Every failure the client reports is a :class:`ToteError`. Its ``str()`` is one readable
sentence ("Order not found (not_found, HTTP 404, request req_123)"), never a traceback
of the HTTP or validation library, and never the API token.

Which class is raised:

* an HTTP error status -> an :class:`ApiStatusError` subclass picked by status (and, for
  409, by the envelope's ``code``); an error body that is not the API's JSON envelope (an
  HTML page from a proxy, an empty body) still gets the status class, with a message that
  says the body was not the API's;
* no answer (refused connection, reset, DNS failure) -> :class:`ApiConnectionError`;
  no answer in time -> :class:`ApiTimeoutError`; a certificate refused or a failed TLS
  handshake -> :class:`TlsError`; a proxy refusing the CONNECT -> :class:`ProxyRefusedError`
  (the sentences are ``api/network.py``'s);
* a success status whose body is empty, not JSON, or not the expected object ->
  :class:`BadResponseError`; a listing that goes on past the client's bound ->
  :class:`PaginationLimitError` (a :class:`BadResponseError` too);
* a configuration the client refuses -> :class:`InvalidConfigError` (also a ``ValueError``),
  or :class:`InsecureTransportError` for a token over plain ``http://``.

``transient`` says whether trying again later may succeed; the client retries only those.

Every string an error keeps that came from a server (its message, code, request id, a
redirect's location) went through :func:`server_text` first: the token replaced by
``<redacted>``, control characters shown as ``\x1b``-style escapes, and cut to
:data:`SERVER_TEXT_LIMIT` characters with an ellipsis. So ``str()``, ``repr()`` and the
client's log records are safe to print, whatever the server sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

__all__ = [
    "REDACTED",
    "RETRY_AFTER_CAP",
    "SECRET_MIN_LENGTH",
    "SERVER_TEXT_LIMIT",
    "ApiConnectionError",
    "ApiStatusError",
    "ApiTimeoutError",
    "BadRequestError",
    "BadResponseError",
    "CancelNotAllowedError",
    "ConflictError",
    "IdempotencyKeyInUseError",
    "InsecureTransportError",
    "InvalidConfigError",
    "NotFoundError",
    "PaginationLimitError",
    "ProxyRefusedError",
    "RateLimitedError",
    "ServerError",
    "TlsError",
    "ToteError",
    "UnauthorizedError",
    "UnprocessableError",
    "error_for_status",
    "printable",
    "server_text",
    "shorten",
]

RETRY_AFTER_CAP = 300.0
"""The longest a server's ``Retry-After`` may hold back any request of tote-track, in
seconds: the client's own retries and the polling policies stop there (one rule, here)."""

SERVER_TEXT_LIMIT = 200
"""The most characters of one server-supplied string an error or log record keeps."""

REDACTED = "<redacted>"
SECRET_MIN_LENGTH = 8
"""Shorter tokens are not scrubbed: not secrets worth the name (the local sandbox's public
default is ``sandbox``), and replacing them would garble ordinary words."""


def shorten(text: str, limit: int = SERVER_TEXT_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters, the last an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


# Every C0 control (ESC, BEL, CR, LF, TAB...), DEL and every C1 control, each mapped to a
# visible stand-in of one cell: the Unicode "control pictures" (ESC -> ␛, BEL -> ␇, LF ->
# ␊, DEL -> ␡), and U+FFFD for the C1 controls, which have no picture. A terminal then
# shows an escape sequence as inert text (``␛]0;title␇``) instead of acting on it.
_VISIBLE_CONTROLS: Mapping[int, str] = MappingProxyType(
    {
        **{code: chr(0x2400 + code) for code in range(0x20)},
        0x7F: "\u2421",
        **dict.fromkeys(range(0x80, 0xA0), "\ufffd"),
    }
)


def printable(text: str) -> str:
    """``text`` safe for a terminal: every control character replaced by a visible one.

    Use it on everything a server or a user wrote (item names, statuses, error messages,
    ids) before it reaches a human-readable output; JSON output keeps the exact text.
    Each character stays one character, so widths and short codes keep their length.
    """
    return text.translate(_VISIBLE_CONTROLS)


def server_text(text: str, secret: str | None = None, limit: int = SERVER_TEXT_LIMIT) -> str:
    """A string from a server, made safe to keep in an error or a log record.

    ``secret`` (the API token) is replaced by ``<redacted>`` before the text is cut, so no
    prefix of it survives; control characters become visible pictures (see
    :func:`printable`), so the text cannot drive a terminal or forge a log line.
    """
    if secret and len(secret) >= SECRET_MIN_LENGTH and secret in text:
        text = text.replace(secret, REDACTED)
    return shorten(printable(text), limit)


class ToteError(Exception):
    """Base of every error the Tote client raises.

    Attributes: ``message`` (the server's sentence when it sent one), ``code`` (the
    envelope's machine code, e.g. ``not_found``), ``request_id`` (``X-Request-Id`` or the
    envelope's), ``status_code`` (HTTP status, None when there was no answer),
    ``retry_after`` (seconds the server asked to wait, None when it did not say) and
    ``attempts`` (how many requests were made before giving up).
    """

    transient: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.status_code = status_code
        self.retry_after = retry_after
        self.attempts = attempts

    def __str__(self) -> str:
        details = [
            part
            for part in (
                self.code,
                f"HTTP {self.status_code}" if self.status_code is not None else None,
                f"request {self.request_id}" if self.request_id else None,
            )
            if part
        ]
        text = self.message.rstrip(". ") or "The Tote API request failed"
        if details:
            text += f" ({', '.join(details)})"
        if self.attempts > 1:
            text += f"; gave up after {self.attempts} attempts"
        return text

    def __repr__(self) -> str:
        fields = [f"message={self.message!r}"]
        for name in ("code", "status_code", "request_id", "retry_after"):
            value = getattr(self, name)
            if value is not None:
                fields.append(f"{name}={value!r}")
        if self.attempts > 1:
            fields.append(f"attempts={self.attempts}")
        return f"{type(self).__name__}({', '.join(fields)})"


class InvalidConfigError(ToteError, ValueError):
    """The base URL or token given to the client cannot be used (a bad URL, say)."""


class InsecureTransportError(InvalidConfigError):
    """A token would be sent over plain ``http://`` to a host that is not loopback."""


class ApiConnectionError(ToteError):
    """No answer from the API: refused or dropped connection, DNS failure, ..."""

    transient = True


class ApiTimeoutError(ApiConnectionError):
    """The API did not answer in time."""


class TlsError(ApiConnectionError):
    """No secure connection: the API's certificate was refused (not trusted, issued for
    another name, expired) or the TLS handshake failed. Not transient: trying again meets
    the same certificate; the user has to act (``--ca-bundle``, the base URL, the clock)."""

    transient = False


class ProxyRefusedError(ApiConnectionError):
    """The proxy answered the CONNECT with an error (407: it wants a password; 403: not
    allowed). Not transient."""

    transient = False


class BadResponseError(ToteError):
    """The API answered, but not with the JSON the client expected."""


class PaginationLimitError(BadResponseError):
    """A listing went on past the client's bound on pages or orders (``iter_orders``).

    ``limit`` is the bound reached and ``unit`` what it counts (``pages`` or ``orders``).
    """

    def __init__(self, limit: int, unit: str) -> None:
        super().__init__(
            f"Stopped after {limit:,} {unit}, the most one listing reads; narrow the filters "
            "(status, location, dates) to list fewer orders at a time"
        )
        self.limit = limit
        self.unit = unit


class ApiStatusError(ToteError):
    """The API answered with an error status (4xx/5xx). ``payload``: its body as decoded
    JSON, None when it was not JSON (what ``tote-track conformance`` checks the shape of)."""

    default_message: ClassVar[str] = "The Tote API refused the request"
    payload: object = None


class BadRequestError(ApiStatusError):
    """400: the request was not valid (a bad filter value, limit or key)."""

    default_message = "The request was not valid"


class UnauthorizedError(ApiStatusError):
    """401/403: the token is missing, wrong, or not allowed to do this."""

    default_message = "The API token was missing or not accepted"


class NotFoundError(ApiStatusError):
    """404: no such order (or endpoint)."""

    default_message = "Not found"


class ConflictError(ApiStatusError):
    """409: the request conflicts with the order's current state."""

    default_message = "The request conflicts with the current state"


class CancelNotAllowedError(ConflictError):
    """409 ``cancel_not_allowed``: preparation began; only the store can cancel now."""

    default_message = "The order can no longer be cancelled through the API"


class IdempotencyKeyInUseError(ConflictError):
    """409 ``idempotency_key_in_use``: the same request is still being processed."""

    transient = True
    default_message = "The same request is still being processed"


class UnprocessableError(ApiStatusError):
    """422: understood but refused (e.g. an idempotency key reused with another body)."""

    default_message = "The request could not be processed"


class RateLimitedError(ApiStatusError):
    """429: too many requests; ``retry_after`` says how long to wait when known."""

    transient = True
    default_message = "Too many requests"


class ServerError(ApiStatusError):
    """5xx: the API (or a proxy in front of it) failed."""

    transient = True
    default_message = "The Tote API had a server error"


_BY_STATUS: dict[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: UnauthorizedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableError,
    429: RateLimitedError,
}

_CONFLICTS_BY_CODE: dict[str, type[ConflictError]] = {
    "cancel_not_allowed": CancelNotAllowedError,
    "idempotency_key_in_use": IdempotencyKeyInUseError,
}


def error_for_status(status_code: int, code: str | None = None) -> type[ApiStatusError]:
    """The error class for an HTTP error status and the envelope's ``code``."""
    if status_code >= 500:
        return ServerError
    cls = _BY_STATUS.get(status_code, ApiStatusError)
    if cls is ConflictError and code is not None:
        return _CONFLICTS_BY_CODE.get(code, ConflictError)
    return cls
