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
``<redacted>`` in every form it can take (:func:`redact`, the one place the token is
scrubbed), every character a terminal would not show as itself pictured (:func:`printable`:
controls, bidi and other format characters), and cut to :data:`SERVER_TEXT_LIMIT`
characters with an ellipsis. So ``str()``, ``repr()`` and the client's log records are safe
to print, whatever the server sent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

__all__ = [
    "NO_PICTURE",
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
    "printable_json",
    "redact",
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


# Characters a terminal does not show as themselves, each pictured by :func:`printable`:
# every C0 control (ESC, BEL, CR, LF, TAB...), DEL and every C1 control; the Unicode format
# characters (category Cf: the bidi embeddings, overrides and isolates U+202A-202E and
# U+2066-2069, the zero-width space, joiners and marks U+200B-200F, the byte order mark
# U+FEFF, the soft hyphen, the tag characters...); the line and paragraph separators
# U+2028 and U+2029; and lone surrogates (JSON can carry them; no encoder can print them).
# A test checks the format characters against the running Python's Unicode database.
_FORMAT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_OTHER_INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x007F, 0x009F),  # DEL and the C1 controls
    (0x2028, 0x2029),  # line and paragraph separators
    (0xD800, 0xDFFF),  # surrogates
)


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in ranges)


_INVISIBLE = re.compile(f"[\\x00-\\x1f{_char_class(_OTHER_INVISIBLE_RANGES + _FORMAT_RANGES)}]")
# What JSON output must escape: the same characters but the C0 controls, which json.dumps
# escapes inside strings already (and which, outside them, are its own line breaks).
_JSON_UNSAFE = re.compile(f"[{_char_class(_OTHER_INVISIBLE_RANGES + _FORMAT_RANGES)}]")
_INVISIBLE_CODES: tuple[int, ...] = tuple(
    code
    for first, last in ((0x00, 0x1F), *_OTHER_INVISIBLE_RANGES, *_FORMAT_RANGES)
    for code in range(first, last + 1)
)

NO_PICTURE = "\ufffd"
# The stand-ins, one cell each: the Unicode "control pictures" for C0 and DEL (ESC -> ␛,
# BEL -> ␇, LF -> ␊, DEL -> ␡) and U+FFFD for everything else, which has no picture. A
# terminal then shows an escape sequence as inert text (``␛]0;title␇``) instead of acting
# on it, and a bidi override as a visible mark instead of reversing what follows.
_PICTURES: Mapping[int, str] = MappingProxyType(
    {
        **dict.fromkeys(_INVISIBLE_CODES, NO_PICTURE),
        **{code: chr(0x2400 + code) for code in range(0x20)},
        0x7F: "\u2421",
    }
)
_DROPPED: Mapping[int, None] = MappingProxyType(dict.fromkeys(_INVISIBLE_CODES))


def printable(text: str) -> str:
    """``text`` safe for a terminal: every character it would not show as itself (control,
    bidi, zero-width and other format characters) replaced by a visible one.

    Use it on everything a server or a user wrote (item names, statuses, error messages,
    ids) before it reaches a human-readable output; JSON output keeps the exact text
    (:func:`printable_json`). Each character stays one character, so short codes keep
    their length.
    """
    if _INVISIBLE.search(text) is None:  # the usual case, and the fast one
        return text
    return text.translate(_PICTURES)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells these as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def printable_json(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) safe for a terminal: the
    characters :func:`printable` pictures are written as ``\\uXXXX`` escapes instead, so
    a JSON reader still gets the server's exact text and a terminal never acts on it."""
    return _JSON_UNSAFE.sub(_json_escape, text)


def redact(text: str, secret: str | None) -> str:
    """``text`` with every form of ``secret`` (the API token) replaced by ``<redacted>``.

    The forms: the token itself, URL-encoded (any character as ``%XX``, either case), and
    base64 in either alphabet (standard, URL-safe), with or without padding, at any of the
    three alignments it can have inside a longer base64 text (a Basic header, a logged
    JSON). Invisible characters (zero-width spaces, bidi marks, controls) are dropped
    before the scan: when one hides the token, the text is kept without them. A secret
    shorter than :data:`SECRET_MIN_LENGTH` is left alone.
    """
    if not secret or len(secret) < SECRET_MIN_LENGTH:
        return text
    redacted = _redact_forms(text, secret)
    if _INVISIBLE.search(redacted) is None:
        return redacted
    visible = redacted.translate(_DROPPED)
    unhidden = _redact_forms(visible, secret)
    return unhidden if unhidden != visible else redacted


def _redact_forms(text: str, secret: str) -> str:
    for needles, pattern in _secret_forms(secret):
        # A regular expression over megabytes costs a tenth of a second; a substring every
        # match contains is found a hundred times faster, so most texts skip the rest.
        if any(needle in text for needle in needles):
            text = pattern.sub(REDACTED, text)
    return text


@functools.lru_cache(maxsize=8)
def _secret_forms(secret: str) -> tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]:
    """Each form of ``secret``: substrings one of which every match holds, and the pattern."""
    forms: list[tuple[tuple[str, ...], re.Pattern[str]]] = [
        ((secret, "%"), re.compile(_url_encoded_form(secret)))
    ]
    data = secret.encode()
    for offset in range(3):
        for alphabet in (_BASE64, _BASE64_URLSAFE):
            pattern, core = _base64_form(data, offset, alphabet)
            forms.append(((core,), re.compile(pattern)))
    return tuple(forms)


def _url_encoded_form(secret: str) -> str:
    """Each character as itself or percent-encoded (UTF-8 bytes, hex in either case)."""
    parts = []
    for char in secret:
        encoded = "".join(f"%(?i:{byte:02x})" for byte in char.encode())
        parts.append(f"(?:{re.escape(char)}|{encoded})")
    return "".join(parts)


_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64_URLSAFE = _BASE64[:62] + "-_"


def _base64_form(data: bytes, offset: int, alphabet: str) -> tuple[str, str]:
    """``data`` in base64 after ``offset`` bytes of anything, as a pattern: each character
    the data's bits decide alone as itself (together: the core, also returned); the first
    and last ones, which share bits with what comes before and after, as the class of
    every character they can be; then any padding."""
    bits = "".join(f"{byte:08b}" for byte in data)
    start = offset * 8
    end = start + len(bits)
    head, core, tail = "", "", ""
    for index in range(start // 6, -(-end // 6)):
        lo, hi = index * 6, index * 6 + 6
        choices = "".join(
            alphabet[value]
            for value in range(64)
            if all(
                f"{value:06b}"[bit - lo] == bits[bit - start]
                for bit in range(max(lo, start), min(hi, end))
            )
        )
        if len(choices) == 1:
            core += choices
        elif core:
            tail = f"[{re.escape(choices)}]"
        else:
            head = f"[{re.escape(choices)}]"
    return f"{head}{re.escape(core)}{tail}={{0,2}}", core


def server_text(text: str, secret: str | None = None, limit: int = SERVER_TEXT_LIMIT) -> str:
    """A string from a server, made safe to keep in an error or a log record.

    ``secret`` (the API token) is replaced by ``<redacted>`` in every form it can take
    (:func:`redact`) before the text is cut, so no prefix of it survives; characters a
    terminal would not show as themselves become visible ones (see :func:`printable`), so
    the text cannot drive a terminal, reorder a line or forge a log line.
    """
    return printable(shorten(redact(text, secret), limit))


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
    """No answer from the API: refused or dropped connection, DNS failure, ...

    ``reached``: the connection to the API was open when it failed (it dropped, or the
    answer never came): a server is there, unlike a refused connection, a name that does
    not resolve or a handshake that never finished.
    """

    transient = True

    def __init__(self, message: str, *, reached: bool = False) -> None:
        super().__init__(message)
        self.reached = reached


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
