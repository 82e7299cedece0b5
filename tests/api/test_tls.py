"""The real path: the client over a real TLS socket on loopback, through a real CONNECT proxy.

The sandbox app is served by uvicorn with TLS (``EmbeddedSandbox(tls=True)``: a trustme CA);
certificates for other names, expired ones, a silent TLS port, a closed port, an unresolvable
name and proxies that refuse are all real sockets on 127.0.0.1. Each failure is asserted as
the exact sentence the user sees.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from tests.connect_proxy import ConnectProxy
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    InvalidConfigError,
    ProxyRefusedError,
    TlsError,
)
from tote_track.api.trust import build_ssl_context
from tote_track.api.warm import WarmConnection
from tote_track.sandbox.server import EmbeddedSandbox

TOKEN = "tls-test-token-5f0c2b9e"
UNTRUSTED = (
    "The certificate of 127.0.0.1 is not trusted: if your company uses its own CA, "
    "pass --ca-bundle FILE (or set TOTE_CA_BUNDLE)"
)
TRUST_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR")
PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No trust or proxy settings from the machine running the tests."""
    for name in TRUST_ENV + PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(token=TOKEN, orders=3, tls=True) as running:
        yield running


@pytest.fixture(scope="module")
def other_ca() -> trustme.CA:
    return trustme.CA()


def serve_certificate(tmp_path: Path, leaf: trustme.LeafCert) -> EmbeddedSandbox:
    certfile, keyfile = tmp_path / "server.pem", tmp_path / "server.key"
    certfile.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(keyfile))
    return EmbeddedSandbox(token=TOKEN, certfile=certfile, keyfile=keyfile)


def write_ca(ca: trustme.CA, path: Path) -> str:
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(params=[False, True], ids=["cold", "warm"])
def ahead(request: pytest.FixtureRequest) -> bool:
    """Whether the connection is opened ahead (``api.warm``): every failure must read the
    same either way (a connection that failed ahead is tried again by the client)."""
    return bool(request.param)


async def first_error(config: ClientConfig, *, ahead: bool = False, **options: object) -> Exception:
    sleep = FakeSleep()
    if ahead:
        warm = WarmConnection(config).start()
        options.update(ssl_context=await asyncio.wrap_future(warm.trust), warm=warm)
    async with ToteClient(config, sleep=sleep, **options) as client:  # type: ignore[arg-type]
        with pytest.raises(ApiConnectionError) as info:
            await client.list_orders(limit=1)
    return info.value


# -- trusted ---------------------------------------------------------------------------


def test_the_tls_sandbox_serves_https_with_its_own_ca(sandbox: EmbeddedSandbox) -> None:
    assert sandbox.base_url.startswith("https://127.0.0.1:")
    assert sandbox.ca_file is not None
    assert Path(sandbox.ca_file).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert sandbox.config.ca_bundle == sandbox.ca_file


async def test_the_client_reaches_the_tls_sandbox_with_its_ca_bundle(
    sandbox: EmbeddedSandbox,
) -> None:
    async with ToteClient(sandbox.config) as client:
        page = await client.list_orders(limit=2)
        order = await client.get_order(page.data[0].id)
    assert order.id == page.data[0].id


async def test_ssl_cert_file_is_the_trust_when_set(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(sandbox.ca_file))
    config = ClientConfig(sandbox.base_url, TOKEN)
    async with ToteClient(config) as client:
        page = await client.list_orders(limit=1)
    assert len(page.data) == 1


@pytest.fixture
def hashed_ca_dir(sandbox: EmbeddedSandbox, tmp_path: Path) -> Path:
    """A directory in OpenSSL's SSL_CERT_DIR layout holding the sandbox's CA."""
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl rehash")
    shutil.copy(str(sandbox.ca_file), tmp_path / "sandbox-ca.pem")
    subprocess.run(["openssl", "rehash", str(tmp_path)], check=True, capture_output=True)
    return tmp_path


async def test_ssl_cert_dir_is_the_trust_when_set(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch, hashed_ca_dir: Path
) -> None:
    tmp_path = hashed_ca_dir
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    async with ToteClient(ClientConfig(sandbox.base_url, TOKEN)) as client:
        page = await client.list_orders(limit=1)
    assert len(page.data) == 1


def test_a_ca_bundle_adds_to_the_default_trust_and_never_replaces_it(
    sandbox: EmbeddedSandbox,
) -> None:
    default = build_ssl_context(None, environ={})
    added = build_ssl_context(sandbox.ca_file, environ={})
    assert default.cert_store_stats()["x509_ca"] > 50
    assert added.cert_store_stats()["x509_ca"] == default.cert_store_stats()["x509_ca"] + 1
    for context in (default, added):
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname


def test_a_ca_bundle_adds_to_ssl_cert_file(sandbox: EmbeddedSandbox, other_ca: trustme.CA) -> None:
    with other_ca.cert_pem.tempfile() as system:
        context = build_ssl_context(sandbox.ca_file, environ={"SSL_CERT_FILE": system})
    assert context.cert_store_stats()["x509_ca"] == 2


async def test_a_context_built_ahead_on_a_thread_is_the_one_the_client_uses(
    sandbox: EmbeddedSandbox, other_ca: trustme.CA
) -> None:
    """The tracker loads the trusted CAs on a thread while it starts, and hands the context
    to its client: that context, not one built from the config, decides the trust."""
    warm = WarmConnection(ClientConfig(sandbox.base_url, TOKEN, ca_bundle=sandbox.ca_file))
    context = warm.start().trust.result(timeout=30)
    warm.close()
    assert context.cert_store_stats()["x509_ca"] > 50  # the default trust, plus the CA
    async with ToteClient(ClientConfig(sandbox.base_url, TOKEN), ssl_context=context) as client:
        page = await client.list_orders(limit=1)
    assert len(page.data) == 1
    # A context that trusts another CA fails, though the config names the right bundle.
    config = ClientConfig(sandbox.base_url, TOKEN, ca_bundle=sandbox.ca_file)
    with other_ca.cert_pem.tempfile() as other:
        wrong = build_ssl_context(other, environ={"SSL_CERT_FILE": other})
    error = await first_error(config, ssl_context=wrong)
    assert type(error) is TlsError


def test_a_bad_trust_read_on_a_thread_is_the_same_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("not a certificate\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(bad))
    warm = WarmConnection(ClientConfig("https://127.0.0.1:9/v1", TOKEN)).start()
    with pytest.raises(InvalidConfigError) as on_thread:
        warm.trust.result(timeout=30)
    with pytest.raises(InvalidConfigError) as directly:
        build_ssl_context(None)
    assert str(on_thread.value) == str(directly.value)
    assert str(bad) in str(on_thread.value)


# -- not trusted: one sentence each ----------------------------------------------------


async def test_an_unknown_ca_is_not_trusted_and_not_retried(
    sandbox: EmbeddedSandbox, ahead: bool
) -> None:
    error = await first_error(ClientConfig(sandbox.base_url, TOKEN), max_retries=2, ahead=ahead)
    assert type(error) is TlsError
    assert str(error) == UNTRUSTED
    assert not error.transient
    assert error.attempts == 1


async def test_a_ca_bundle_of_another_ca_does_not_help(
    sandbox: EmbeddedSandbox, other_ca: trustme.CA, tmp_path: Path
) -> None:
    config = ClientConfig(sandbox.base_url, TOKEN, ca_bundle=write_ca(other_ca, tmp_path / "c.pem"))
    error = await first_error(config)
    assert str(error) == UNTRUSTED


async def test_a_certificate_for_another_name(
    other_ca: trustme.CA, tmp_path: Path, ahead: bool
) -> None:
    with serve_certificate(tmp_path, other_ca.issue_cert("api.example.com")) as wrong_name:
        ca = write_ca(other_ca, tmp_path / "ca.pem")
        error = await first_error(
            ClientConfig(wrong_name.base_url, TOKEN, ca_bundle=ca), ahead=ahead
        )
    assert type(error) is TlsError
    assert str(error) == (
        "The certificate of 127.0.0.1 was issued for another host name: check the API base "
        "URL (--base-url or TOTE_API_BASE_URL), or give 127.0.0.1 a certificate that names it"
    )


async def test_an_expired_certificate(other_ca: trustme.CA, tmp_path: Path, ahead: bool) -> None:
    leaf = other_ca.issue_cert(
        "127.0.0.1", not_before=dt.datetime(2020, 1, 1), not_after=dt.datetime(2021, 1, 1)
    )
    with serve_certificate(tmp_path, leaf) as expired:
        ca = write_ca(other_ca, tmp_path / "ca.pem")
        error = await first_error(ClientConfig(expired.base_url, TOKEN, ca_bundle=ca), ahead=ahead)
    assert type(error) is TlsError
    assert str(error) == (
        "The certificate of 127.0.0.1 has expired: whoever runs 127.0.0.1 must renew it (if "
        "it should still be valid, check this computer's date and time)"
    )


async def test_a_refused_connection_is_retried_and_says_so(ahead: bool) -> None:
    port = free_port()
    error = await first_error(
        ClientConfig(f"https://127.0.0.1:{port}/v1", TOKEN), max_retries=1, ahead=ahead
    )
    assert type(error) is ApiConnectionError
    assert error.transient
    assert error.attempts == 2
    assert str(error) == (
        f"Could not reach the Tote API at 127.0.0.1:{port}: the connection was refused; "
        "check the API base URL and that the server is running; gave up after 2 attempts"
    )


async def test_a_host_name_that_does_not_resolve(ahead: bool) -> None:
    error = await first_error(
        ClientConfig("https://nonexistent.invalid/v1", TOKEN), max_retries=0, ahead=ahead
    )
    assert type(error) is ApiConnectionError
    assert str(error) == (
        "The host name nonexistent.invalid could not be resolved: check the API base URL and "
        "this computer's network connection"
    )


async def test_a_tls_handshake_that_never_ends(ahead: bool) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # accepts connections (the kernel does), never says a word
        port = silent.getsockname()[1]
        error = await first_error(
            ClientConfig(f"https://127.0.0.1:{port}/v1", TOKEN),
            max_retries=0,
            timeout=httpx.Timeout(5.0, connect=0.3),
            ahead=ahead,
        )
    assert type(error) is ApiTimeoutError
    assert str(error) == (
        "127.0.0.1 accepted the connection but the TLS handshake did not finish in time: check "
        "that the base URL's address and port serve HTTPS (not plain http)"
    )


# -- proxies ---------------------------------------------------------------------------


async def test_https_proxy_is_honoured_and_sees_only_encrypted_bytes(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        async with ToteClient(sandbox.config) as client:
            page = await client.list_orders(limit=1)
    assert len(page.data) == 1
    assert proxy.targets == [f"127.0.0.1:{sandbox.port}"]
    seen = bytes(proxy.from_client)
    head, _, tunnelled = seen.partition(b"\r\n\r\n")
    assert head.startswith(f"CONNECT 127.0.0.1:{sandbox.port} HTTP/1.1".encode())
    assert tunnelled[:1] == b"\x16"  # a TLS handshake record: nothing else in clear
    assert TOKEN.encode() not in seen
    assert b"authorization" not in seen.lower()
    assert b"/orders" not in seen


async def test_no_proxy_bypasses_the_proxy(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        async with ToteClient(sandbox.config) as client:
            page = await client.list_orders(limit=1)
    assert len(page.data) == 1
    assert proxy.targets == []
    assert proxy.from_client == b""


async def test_plain_http_never_goes_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    with EmbeddedSandbox(token=TOKEN, orders=1) as plain, ConnectProxy() as proxy:
        for name in ("HTTP_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy.url)
        async with ToteClient(plain.config) as client:
            page = await client.list_orders(limit=1)
    assert len(page.data) == 1
    assert proxy.plain_requests == []
    assert TOKEN.encode() not in proxy.from_client


async def test_a_proxy_that_wants_a_password(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy(answer=407) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        error = await first_error(sandbox.config, max_retries=2)
    assert type(error) is ProxyRefusedError
    assert error.attempts == 1
    assert str(error) == (
        f"The proxy 127.0.0.1:{proxy.port} asks for a user name and password (HTTP 407): put "
        "them in the proxy URL, HTTPS_PROXY=http://USER:PASSWORD@HOST:PORT"
    )
    assert TOKEN.encode() not in proxy.from_client


async def test_a_proxy_that_forbids_the_host(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy(answer=403) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        error = await first_error(sandbox.config)
    assert type(error) is ProxyRefusedError
    assert str(error) == (
        f"The proxy 127.0.0.1:{proxy.port} refused to connect to 127.0.0.1 (HTTP 403 "
        "Forbidden): ask your network administrator to allow 127.0.0.1, or add 127.0.0.1 to "
        "NO_PROXY if it can be reached directly"
    )


async def test_a_proxy_that_is_not_there(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    error = await first_error(sandbox.config, max_retries=0)
    assert type(error) is ApiConnectionError
    assert str(error) == (
        f"Could not reach the proxy 127.0.0.1:{port}: it refused the connection; check "
        "HTTPS_PROXY, or add 127.0.0.1 to NO_PROXY to connect directly"
    )


async def test_a_proxy_password_never_shows(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy(answer=407) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://alice:s3cret-proxy-pw@127.0.0.1:{proxy.port}")
        error = await first_error(sandbox.config)
    assert "s3cret" not in str(error)
    assert "s3cret" not in repr(error)


# -- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ("directory", "is a directory; give the PEM file of your CA"),
        ("not a certificate", "holds no PEM certificate"),
    ],
)
def test_a_ca_bundle_must_be_a_pem_file(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "company-ca.pem"
    if content == "directory":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InvalidConfigError) as info:
        ClientConfig.resolve("https://api.example.com/v1", TOKEN, ca_bundle=str(path))
    message = str(info.value)
    assert message.startswith(f"The CA bundle '{path}' (--ca-bundle or TOTE_CA_BUNDLE) ")
    assert expected in message
    assert TOKEN not in message


def test_a_broken_ssl_cert_file_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    with pytest.raises(InvalidConfigError, match=r"SSL_CERT_FILE=/nonexistent/ca\.pem"):
        ToteClient(ClientConfig("https://api.example.com/v1", TOKEN))


def test_the_ca_bundle_shows_in_the_config_repr(sandbox: EmbeddedSandbox) -> None:
    text = repr(sandbox.config)
    assert f"ca_bundle={sandbox.ca_file!r}" in text
    assert TOKEN not in text
