"""``--serve [HOST:]PORT``: the address, the session's command line and environment."""

from __future__ import annotations

import re
import shlex
import sys

import pytest
from click.testing import CliRunner

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
