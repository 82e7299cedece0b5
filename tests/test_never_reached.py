"""An API that is never reached ends ``watch``, ``list`` and the tracker with exit 4, soon.

Real sockets and the real schedule (no speed-up): a refused port (127.0.0.1:9), a host name
that does not resolve (``.invalid``), a loopback socket that accepts and never answers (a
TLS handshake that stalls) and a proxy that never answers its CONNECT. Each ends within
90 s with one sentence naming what could not be reached.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
DEADLINE = 90.0
REFUSED = "http://127.0.0.1:9/v1/online-ordering"
UNRESOLVABLE = "https://api.tote-track.invalid/v1/online-ordering"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose connections are accepted (by the kernel) and never answered."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        yield silent.getsockname()[1]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, float]:
    """The installed command, as a user runs it; exit code, stderr and seconds taken."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().endswith("_PROXY") and not key.startswith("TOTE_")
    }
    environment.update(env or {})
    started = time.monotonic()
    done = subprocess.run(
        [str(TOTE_TRACK), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=DEADLINE + 30,
        check=False,
    )
    return done.returncode, done.stderr, time.monotonic() - started


def last_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert lines, "a non-zero exit says why"
    return lines[-1]


@pytest.mark.parametrize("command", ["watch", "list"])
def test_a_refused_port_exits_4_within_90_s(command: str) -> None:
    code, stderr, took = run(*command_args(command), "--base-url", REFUSED)
    assert code == 4
    assert took < DEADLINE
    assert "Could not reach the Tote API at 127.0.0.1:9: the connection was refused" in (
        last_line(stderr)
    )
    assert "Traceback" not in stderr


def command_args(command: str) -> list[str]:
    return [command, str(uuid.uuid4())] if command == "watch" else [command]


@pytest.mark.parametrize("command", ["watch", "list"])
def test_a_name_that_does_not_resolve_exits_4_within_90_s(command: str) -> None:
    code, stderr, took = run(*command_args(command), "--base-url", UNRESOLVABLE)
    assert code == 4
    assert took < DEADLINE
    line = last_line(stderr)
    assert "The host name api.tote-track.invalid could not be resolved" in line
    assert line.endswith("after 3 attempts")


@pytest.mark.parametrize("command", ["watch", "list"])
def test_a_stalled_tls_handshake_exits_4_within_90_s(silent_port: int, command: str) -> None:
    url = f"https://127.0.0.1:{silent_port}/v1/online-ordering"
    code, stderr, took = run(*command_args(command), "--base-url", url)
    assert code == 4
    assert took < DEADLINE
    line = last_line(stderr)
    assert "accepted the connection but the TLS handshake did not finish in time" in line
    assert line.endswith("after 3 attempts")


def test_a_proxy_that_never_answers_connect_is_named_as_the_proxy(silent_port: int) -> None:
    proxy = f"http://127.0.0.1:{silent_port}"
    code, stderr, took = run(
        "watch",
        str(uuid.uuid4()),
        "--base-url",
        "https://api.example.com/v1/online-ordering",
        "--token",
        "tok-never-sent-0123456789",
        env={"HTTPS_PROXY": proxy},
    )
    assert code == 4
    assert took < DEADLINE
    line = last_line(stderr)
    assert f"The proxy 127.0.0.1:{silent_port} did not answer in time" in line
    assert "the Tote API" not in line
