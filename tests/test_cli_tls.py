"""``watch``, ``list`` and ``sandbox --tls`` as real processes over a real TLS socket.

The sandbox is served over HTTPS by uvicorn with a throwaway trustme CA. Trusted through
``--ca-bundle``, ``TOTE_CA_BUNDLE`` or ``SSL_CERT_FILE``, the commands work; otherwise they
print one sentence on stderr and exit 4, with no traceback and no token.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.connect_proxy import ConnectProxy
from tests.sandbox.test_persistence import start_sandbox
from tote_track.sandbox.server import EmbeddedSandbox

TOKEN = "cli-tls-token-7d1e4a90"
UNTRUSTED = (
    "Error: The certificate of 127.0.0.1 is not trusted: if your company uses its own CA, "
    "pass --ca-bundle FILE (or set TOTE_CA_BUNDLE)"
)
COMPLETED = ("payment_started", "payment_completed", "accept", "start_preparing", "ready")


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without trust, proxy or Tote settings, plus ``extra``."""
    dropped = {"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}
    dropped |= {"NO_PROXY", "TOTE_API_BASE_URL", "TOTE_API_TOKEN", "TOTE_CA_BUNDLE"}
    env = {k: v for k, v in os.environ.items() if k.upper() not in dropped}
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "tote_track", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else clean_env(),
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert TOKEN not in output
    return result


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(token=TOKEN, orders=3, tls=True) as running:
        yield running


@pytest.fixture(scope="module")
def picked_up(sandbox: EmbeddedSandbox) -> str:
    """An order that reached READY_FOR_PICKUP and was then picked up (COMPLETED)."""
    assert sandbox.ca_file is not None
    trust = ssl.create_default_context(cafile=sandbox.ca_file)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, verify=trust) as http:
        order_id: str = http.post("/sandbox/orders").json()["id"]
        for event in (*COMPLETED, "picked_up"):
            assert http.post(f"/sandbox/orders/{order_id}/events", json={"type": event}).is_success
    return order_id


def api(sandbox: EmbeddedSandbox) -> tuple[str, ...]:
    return ("--base-url", sandbox.base_url, "--token", TOKEN)


def test_list_trusts_the_sandbox_ca_given_with_ca_bundle(sandbox: EmbeddedSandbox) -> None:
    result = run("list", *api(sandbox), "--ca-bundle", str(sandbox.ca_file))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) >= 4  # header + the 3 seeded orders


def test_list_trusts_tote_ca_bundle(sandbox: EmbeddedSandbox) -> None:
    result = run(
        "list", "--json", *api(sandbox), env=clean_env(TOTE_CA_BUNDLE=str(sandbox.ca_file))
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("[")


def test_list_trusts_ssl_cert_file(sandbox: EmbeddedSandbox) -> None:
    result = run("list", *api(sandbox), env=clean_env(SSL_CERT_FILE=str(sandbox.ca_file)))
    assert result.returncode == 0, result.stderr


def test_list_without_the_ca_is_one_sentence_and_exit_4(sandbox: EmbeddedSandbox) -> None:
    result = run("list", *api(sandbox))
    assert result.returncode == 4
    assert result.stderr.splitlines() == [UNTRUSTED]
    assert result.stdout == ""


def test_watch_follows_an_order_over_https(sandbox: EmbeddedSandbox, picked_up: str) -> None:
    result = run("watch", picked_up, *api(sandbox), "--ca-bundle", str(sandbox.ca_file))
    assert result.returncode == 0, result.stderr
    assert picked_up[:6].upper() in result.stdout
    assert "COMPLETED" in result.stdout


def test_watch_without_the_ca_stops_at_once_with_exit_4(
    sandbox: EmbeddedSandbox, picked_up: str
) -> None:
    # Not transient: no "reconnecting" line, no waiting out the polling schedule.
    result = run("watch", picked_up, *api(sandbox))
    assert result.returncode == 4
    assert result.stderr.splitlines() == [UNTRUSTED]


def test_watch_through_a_proxy_that_wants_a_password(
    sandbox: EmbeddedSandbox, picked_up: str
) -> None:
    with ConnectProxy(answer=407) as proxy:
        env = clean_env(HTTPS_PROXY=proxy.url)
        result = run(
            "watch", picked_up, *api(sandbox), "--ca-bundle", str(sandbox.ca_file), env=env
        )
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        f"Error: The proxy 127.0.0.1:{proxy.port} asks for a user name and password (HTTP 407): "
        "put them in the proxy URL, HTTPS_PROXY=http://USER:PASSWORD@HOST:PORT"
    ]


def test_list_through_a_proxy_reaches_the_api_inside_tls(sandbox: EmbeddedSandbox) -> None:
    with ConnectProxy() as proxy:
        env = clean_env(HTTPS_PROXY=proxy.url, TOTE_CA_BUNDLE=str(sandbox.ca_file))
        result = run("list", *api(sandbox), env=env)
    assert result.returncode == 0, result.stderr
    assert proxy.targets == [f"127.0.0.1:{sandbox.port}"]
    assert TOKEN.encode() not in proxy.from_client
    assert b"authorization" not in bytes(proxy.from_client).lower()


def test_watch_of_a_closed_port_retries_then_exits_4(sandbox: EmbeddedSandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(
        "watch",
        "f9a8b7c6-d5e4-3210-fedc-ba9876543210",
        "--base-url",
        f"https://127.0.0.1:{port}/v1/online-ordering",
        "--token",
        TOKEN,
        "--ca-bundle",
        str(sandbox.ca_file),
        "--poll-speed",
        "1000000",  # the schedule's hour of retries in a few milliseconds
    )
    assert result.returncode == 4
    refused = (
        f"Could not reach the Tote API at 127.0.0.1:{port}: the connection was refused; "
        "check the API base URL and that the server is running"
    )
    lines = result.stderr.splitlines()
    assert "reconnecting" in lines[0]
    assert lines[-1] == f"Error: {refused}; the API did not recover"
    assert all(line.endswith(refused) for line in lines[:-1])


def test_a_missing_ca_bundle_is_a_usage_error(sandbox: EmbeddedSandbox, tmp_path: Path) -> None:
    missing = tmp_path / "corp-ca.pem"
    result = run("list", *api(sandbox), "--ca-bundle", str(missing))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"Error: The CA bundle '{missing}' (--ca-bundle or TOTE_CA_BUNDLE) does not exist"
    ]


# -- tote-track sandbox --tls ----------------------------------------------------------


def test_sandbox_tls_prints_its_ca_and_serves_https(tmp_path: Path) -> None:
    sandbox = start_sandbox("--tls", "--orders", "2")
    try:
        banner = sandbox.banner
        assert sandbox.base_url.startswith("https://127.0.0.1:")
        ca_line = next(line for line in banner.splitlines() if "the CA file is" in line)
        ca_file = ca_line.rsplit(" ", 1)[1]
        assert f"--ca-bundle {ca_file}" in banner
        assert f"SSL_CERT_FILE={ca_file} tote-track" in banner
        assert f"--base-url {sandbox.base_url} --token sandbox --ca-bundle {ca_file}" in banner
        result = run(
            "list", "--base-url", sandbox.base_url, "--token", "sandbox", "--ca-bundle", ca_file
        )
        assert result.returncode == 0, result.stderr
        assert run("list", "--base-url", sandbox.base_url, "--token", "sandbox").returncode == 4
    finally:
        _, err = sandbox.stop()
    assert sandbox.proc.returncode == 0, err
    assert not Path(ca_file).exists()  # the throwaway CA went with the server


def test_sandbox_tls_with_db_keeps_its_ca_next_to_it(tmp_path: Path) -> None:
    db = tmp_path / "orders.sqlite3"
    cas = []
    for _ in range(2):
        sandbox = start_sandbox("--tls", "--db", str(db))
        try:
            assert f"the CA file is {db}.tls/ca.pem" in sandbox.banner
            cas.append(Path(f"{db}.tls/ca.pem").read_bytes())
        finally:
            sandbox.stop()
    assert cas[0] == cas[1]  # trusted once, trusted after a restart
    assert (Path(f"{db}.tls/server.key").stat().st_mode & 0o077) == 0


def test_sandbox_with_a_certificate_that_is_not_one(tmp_path: Path) -> None:
    bogus = tmp_path / "cert.pem"
    bogus.write_text("hello")
    result = run("sandbox", "--port", "0", "--certfile", str(bogus))
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot serve HTTPS: {bogus} is not a PEM certificate")
    assert run("sandbox", "--port", "0", "--keyfile", str(bogus)).returncode == 2
