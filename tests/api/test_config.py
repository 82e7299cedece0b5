from __future__ import annotations

import dataclasses

import pytest

from tote_track.api.config import DEFAULT_BASE_URL, ClientConfig, is_loopback_host
from tote_track.api.errors import InsecureTransportError, InvalidConfigError, ToteError

TOKEN = "tok_live_S3cr3tValue_9f8e7d"


def test_defaults() -> None:
    config = ClientConfig.resolve(None, None)
    assert config.base_url == DEFAULT_BASE_URL == "https://sandbox.api.tote.ai/v1/online-ordering"
    assert config.token is None
    assert not config.has_token


def test_blank_values_fall_back_and_are_tidied() -> None:
    config = ClientConfig.resolve("  HTTPS://api.example.com/v1/online-ordering/  ", f" {TOKEN}\n")
    assert config.base_url == "https://api.example.com/v1/online-ordering"
    assert config.token == TOKEN
    assert config.has_token
    assert ClientConfig.resolve("", "   ") == ClientConfig(DEFAULT_BASE_URL, None)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8787/v1/online-ordering",
        "http://LOCALHOST:8787/v1/online-ordering",
        "http://127.0.0.1:8787/v1/online-ordering",
        "http://127.10.20.30/v1/online-ordering",
        "http://[::1]:8787/v1/online-ordering",
        "http://[::ffff:127.0.0.1]:8787/v1/online-ordering",
    ],
)
def test_token_over_http_to_loopback_is_allowed(url: str) -> None:
    config = ClientConfig.resolve(url, TOKEN)
    assert config.base_url == url
    assert config.token == TOKEN


@pytest.mark.parametrize(
    "url",
    [
        "http://sandbox.api.tote.ai/v1/online-ordering",
        "http://192.168.1.20:8787/v1/online-ordering",
        "http://0.0.0.0:8787/v1/online-ordering",
        "http://128.0.0.1/v1/online-ordering",
        "http://localhost.evil.test/v1",
        "http://[::2]/v1",
    ],
)
def test_token_over_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(InsecureTransportError) as info:
        ClientConfig.resolve(url, TOKEN)
    message = str(info.value)
    assert "https://" in message
    assert "plain http://" in message
    assert TOKEN not in message
    assert TOKEN not in repr(info.value)
    assert isinstance(info.value, ToteError)


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(InsecureTransportError):
        ClientConfig("http://example.com/v1", TOKEN)


def test_https_with_token_and_http_without_token_are_fine() -> None:
    assert ClientConfig.resolve("https://api.example.com/v1", TOKEN).token == TOKEN
    assert ClientConfig.resolve("http://api.example.com/v1", None).token is None


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://example.com/v1", "must start with https://"),
        ("example.com/v1", "must start with https://"),
        ("https:///v1", "no host"),
        ("https://example.com:notaport/v1", "not valid"),
        ("https://example.com:0/v1", "port 0"),
        ("https://example.com/v1?x=1", "query"),
        ("https://example.com/v1#frag", "fragment"),
        ("https://exa mple.com/v1", "spaces"),
    ],
)
def test_bad_urls_are_refused_clearly(url: str, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match) as info:
        ClientConfig.resolve(url, None)
    assert isinstance(info.value, ValueError)


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(InvalidConfigError) as info:
        ClientConfig.resolve("https://user:hunter2@example.com/v1", None)
    assert "hunter2" not in str(info.value)
    assert "TOTE_API_TOKEN" in str(info.value)


@pytest.mark.parametrize("token", ["two words", "tab\there", "ctrl\x07", "ünïcode"])
def test_unusable_tokens_are_refused_without_echoing_them(token: str) -> None:
    with pytest.raises(InvalidConfigError) as info:
        ClientConfig.resolve(None, token)
    assert token not in str(info.value)
    assert "TOTE_API_TOKEN" in str(info.value)


def test_repr_redacts_the_token() -> None:
    config = ClientConfig.resolve(None, TOKEN)
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)
    assert TOKEN not in f"{config}"
    assert repr(config) == f"ClientConfig(base_url={DEFAULT_BASE_URL!r}, token='<redacted>')"
    assert repr(ClientConfig.resolve(None, None)).endswith("token=None)")


def test_config_is_frozen() -> None:
    config = ClientConfig.resolve(None, TOKEN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.token = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("localhost.", False),
        ("LOCALHOST.", False),
        ("LocalHost", True),
        ("localhost.localdomain", False),
        ("127.1", False),
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("[::1]", True),
        ("::1", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected
