"""describe_error: the one wording of a failed request, for every surface."""

from __future__ import annotations

import pytest

from tote_track.api.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    BadResponseError,
    InsecureTransportError,
    NotFoundError,
    ProxyRefusedError,
    RateLimitedError,
    ServerError,
    TlsError,
    UnauthorizedError,
)
from tote_track.tracking.errors import describe_error


@pytest.mark.parametrize(
    ("error", "brief", "transient"),
    [
        (ApiConnectionError("Could not reach the Tote API at x: refused"), "no connection", True),
        (ApiTimeoutError("The Tote API at x did not answer in time"), "no answer in time", True),
        (RateLimitedError("Slow down", status_code=429), "rate limited", True),
        (ServerError("Boom", status_code=503), "server error", True),
        (TlsError("The certificate of x is not trusted"), "certificate refused", False),
        (ProxyRefusedError("The proxy p asks for a password"), "proxy refused", False),
        (UnauthorizedError("Token invalid", status_code=401), "token refused", False),
        (BadResponseError("The server's answer is not a valid order"), "not the orders API", False),
        (InsecureTransportError("Refusing to send the token"), "unsafe address", False),
        (RuntimeError("bug"), "request failed", False),
    ],
)
def test_every_error_has_a_few_words_and_one_sentence(
    error: BaseException, brief: str, transient: bool
) -> None:
    words = describe_error(error)
    assert words.brief == brief
    assert words.transient is transient
    assert words.sentence.endswith(".")
    assert words.sentence[:1].isupper()
    assert words.title


def test_the_apis_own_sentence_is_kept_and_made_printable() -> None:
    words = describe_error(
        TlsError("the certificate of \x1b]0;x\x07 is not trusted: pass --ca-bundle")
    )
    assert words.sentence == "The certificate of ␛]0;x␇ is not trusted: pass --ca-bundle."


def test_not_found_names_the_order_and_the_api() -> None:
    words = describe_error(
        NotFoundError("Order not found", status_code=404), order_id="f9a8", base_url="http://h/v1"
    )
    assert words.sentence == "Order f9a8 was not found at http://h/v1."
    assert words.title == "Order not found"
    assert "--base-url" in words.next_step


def test_an_unexpected_error_says_so_without_its_message() -> None:
    words = describe_error(ValueError("secret-token-1234"))
    assert "secret-token-1234" not in words.sentence
    assert words.sentence == "Something unexpected went wrong (ValueError)."
