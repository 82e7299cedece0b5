"""``--serve [HOST:]PORT``: the address, the session's command line and environment."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from tote_track import exit_codes
from tote_track.api.config import ClientConfig
from tote_track.cli import main
from tote_track.serve import (
    ServeAddress,
    board_command_line,
    child_environment,
    parse_serve_address,
)

LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("8080", ServeAddress("127.0.0.1", 8080)),
        (" 8080 ", ServeAddress("127.0.0.1", 8080)),
        ("0.0.0.0:8080", ServeAddress("0.0.0.0", 8080)),
        ("tv.local:80", ServeAddress("tv.local", 80)),
        ("[::1]:9000", ServeAddress("::1", 9000)),
    ],
)
def test_a_port_alone_listens_on_loopback_and_other_hosts_are_named(
    text: str, address: ServeAddress
) -> None:
    assert parse_serve_address(text) == address


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("http", "the port must be a number"),
        ("0", "out of range"),
        ("70000", "out of range"),
        (":8080", "names no host"),
        ("::1:8080", "[::1]:8080"),
        ("[::1]8080", "[::1]:8080"),
        ("[nope]:8080", "not an IPv6 address"),
    ],
)
def test_a_bad_address_says_what_to_write(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        parse_serve_address(text)


def test_the_url_to_open_brackets_ipv6() -> None:
    assert ServeAddress("127.0.0.1", 8080).url == "http://127.0.0.1:8080/"
    assert ServeAddress("::1", 8080).url == "http://[::1]:8080/"


def test_a_wildcard_address_is_shown_as_this_machine_s_name() -> None:
    for host in ("0.0.0.0", "::"):
        assert ServeAddress(host, 8080).url == f"http://{socket.gethostname()}:8080/"


def test_a_session_runs_this_python_s_board_without_the_token() -> None:
    config = ClientConfig(base_url="https://api.example.com/v1", token="tok-0123456789abcdef")
    words = shlex.split(board_command_line(LOCATION, kiosk=True))
    assert words == [sys.executable, "-m", "tote_track", "board", "--location", LOCATION, "--kiosk"]
    assert "tok-0123456789abcdef" not in " ".join(words)
    assert child_environment(config) == {
        "TOTE_API_BASE_URL": "https://api.example.com/v1",
        "TOTE_API_TOKEN": "tok-0123456789abcdef",
        "TOTE_CA_BUNDLE": None,
    }


def test_a_bad_serve_address_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        main, ["board", "--location", LOCATION, "--serve", "nowhere:port"], env={}
    )
    assert result.exit_code == 2
    assert "the port must be a number" in result.output
    assert "Traceback" not in result.output


def test_the_help_names_serve() -> None:
    for command in (["board", "--help"], ["demo", "--help"]):
        result = CliRunner().invoke(main, command)
        assert "--serve [HOST:]PORT" in result.output


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another socket already listens on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def serve_demo(*args: str) -> subprocess.CompletedProcess[str]:
    # A real process: textual-serve runs its own event loop, once per process.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOTE_")}
    return subprocess.run(
        [sys.executable, "-m", "tote_track", "demo", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_the_board_demo_on_a_busy_port_says_it_cannot_listen(busy_port: int) -> None:
    run = serve_demo("--board", "--serve", str(busy_port))
    assert run.returncode == exit_codes.FAILED_TO_START
    assert "demo: Tote Market Downtown, sandbox at http://127.0.0.1:" in run.stdout
    assert f"Error: cannot listen on 127.0.0.1:{busy_port}:" in run.stderr
    assert "address already in use" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_the_tracker_demo_on_a_busy_port_says_it_cannot_listen(busy_port: int) -> None:
    run = serve_demo("--scenario", "kiosk", "--serve", f"127.0.0.1:{busy_port}")
    assert run.returncode == exit_codes.FAILED_TO_START
    assert f"Error: cannot listen on 127.0.0.1:{busy_port}:" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
