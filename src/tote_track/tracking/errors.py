"""What to tell a person when a request failed: a few words, a sentence, the next step.

One place for the wording every surface shares: the tracker's freshness line and error
screen, the board's offline banner, the QA console's answers. The API's own sentence (the
client's typed error, token-free by construction) is kept where it says more than a
category would; every sentence is made printable here, so no surface can forget.
"""

from __future__ import annotations

from dataclasses import dataclass

from tote_track.api.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    BadRequestError,
    BadResponseError,
    CancelNotAllowedError,
    ConflictError,
    InsecureTransportError,
    InvalidConfigError,
    NotFoundError,
    ProxyRefusedError,
    RateLimitedError,
    ServerError,
    TlsError,
    ToteError,
    UnauthorizedError,
)
from tote_track.tracking.presentation import CancelRefusal, cancel_refusal, printable

__all__ = ["CancelFailure", "ErrorWords", "describe_cancel_failure", "describe_error"]

API_ADDRESS_HINT = (
    "Check that --base-url points at the Tote Online Ordering API (it ends in /v1/online-ordering)."
)


@dataclass(frozen=True, slots=True)
class ErrorWords:
    """A failed request in words."""

    brief: str
    """A few words for a status line: "no connection", "rate limited"."""
    sentence: str
    """What happened, one sentence ending in a full stop."""
    title: str
    """A heading, for a screen that can show nothing else."""
    next_step: str
    """What the person can do about it ("" when the sentence already says)."""
    transient: bool
    """Whether trying again later may work on its own (network, 5xx, 429)."""


def _sentence(text: str) -> str:
    text = printable(text.strip()).rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def describe_error(
    error: BaseException, *, order_id: str | None = None, base_url: str | None = None
) -> ErrorWords:
    """``error`` in words; ``order_id`` and ``base_url`` make "not found" precise."""
    said = _sentence(str(error)) if isinstance(error, ToteError) else ""
    transient = isinstance(error, ToteError) and error.transient
    if isinstance(error, NotFoundError):
        what = f"Order {order_id}" if order_id else "The address"
        where = f" at {base_url}" if base_url else ""
        return ErrorWords(
            "not found",
            _sentence(f"{what} was not found{where}"),
            "Order not found" if order_id else "Not found",
            "Check the id in your order confirmation (it looks like "
            "f9a8b7c6-d5e4-3210-fedc-ba9876543210) and that --base-url points at the API "
            "that took the order.",
            transient,
        )
    if isinstance(error, UnauthorizedError):
        return ErrorWords(
            "token refused",
            said,
            "The API refused the token",
            "Set TOTE_API_TOKEN (or pass --token) to a valid API token.",
            transient,
        )
    if isinstance(error, InsecureTransportError | InvalidConfigError):
        return ErrorWords(
            "unsafe address", said, "Unsafe or invalid API address", "Fix --base-url.", transient
        )
    if isinstance(error, TlsError):
        return ErrorWords("certificate refused", said, "Secure connection refused", "", transient)
    if isinstance(error, ProxyRefusedError):
        return ErrorWords("proxy refused", said, "The proxy refused the connection", "", transient)
    if isinstance(error, BadRequestError):
        return ErrorWords(
            "request refused",
            said,
            "The API rejected the request",
            "Check the order id and --base-url.",
            transient,
        )
    if isinstance(error, BadResponseError):
        return ErrorWords(
            "not the orders API", said, "The answer was not the API's", API_ADDRESS_HINT, transient
        )
    if isinstance(error, RateLimitedError):
        return ErrorWords("rate limited", said, "Too many requests", "", transient)
    if isinstance(error, ApiTimeoutError):
        return ErrorWords("no answer in time", said, "No answer in time", "", transient)
    if isinstance(error, ApiConnectionError):
        return ErrorWords("no connection", said, "No connection", "", transient)
    if isinstance(error, ServerError):
        return ErrorWords("server error", said, "The order system had an error", "", transient)
    if isinstance(error, ToteError):
        return ErrorWords("request failed", said, "The request failed", "", transient)
    return ErrorWords(
        "request failed",
        f"Something unexpected went wrong ({type(error).__name__}).",
        "Something went wrong",
        "",
        transient,
    )


@dataclass(frozen=True, slots=True)
class CancelFailure:
    """A cancel that did not go through, in words: refused by the store (the cancel is over:
    the dialog closes and the refusal is shown), or failed on the way (the dialog stays, and
    trying again sends the same cancel)."""

    refusal: CancelRefusal | None
    """The store's refusal (409: too late, not allowed); None when the cancel may be tried
    again."""
    message: str
    """When it may be tried again: what happened and that y tries again."""


def describe_cancel_failure(error: BaseException) -> CancelFailure:
    """``error`` of a cancel request, classified and in words."""
    if isinstance(error, CancelNotAllowedError) or (
        isinstance(error, ConflictError) and not error.transient
    ):
        return CancelFailure(cancel_refusal(error.message), "")
    if isinstance(error, ApiConnectionError | ServerError | RateLimitedError):
        what = f"Could not reach the store ({describe_error(error).brief})."
    elif isinstance(error, ToteError):
        what = f"The cancel did not go through: {printable(error.message).rstrip('.')}."
    else:
        what = f"The cancel did not go through ({describe_error(error).brief})."
    return CancelFailure(None, f"{what} Press y to try again; it will never be sent twice.")
