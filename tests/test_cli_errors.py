"""Every argument error of every command: exit 2, one clear sentence, no traceback, no request.

One table lists each bad invocation with the words its message must contain (what is wrong
and what is allowed). Each row runs in-process (click's runner) with the network and every
server replaced by tripwires: a request, a bound socket, a started sandbox, tracker or board
fails the row. Commands that take an API address get a real loopback address too, so that
nothing but the argument is wrong. A subset runs as a real process (``python -m
tote_track``) against a listening loopback socket that must never see a connection.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from tote_track import cli

ORDER = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
TOKEN = "tok_cli_errors_5e2a9c"
STATUSES = "PENDING, CONFIRMED, COMPLETED, FAILED, VOIDED, CANCELLED"
FULFILLMENT = "PENDING, IN_PROGRESS, PREPARING, READY_FOR_PICKUP, FULFILLED, DELIVERED, RETURNED"
ISO = "Use ISO 8601: 2026-01-31"
HTTPS_ONLY = "Refusing to send the API token over plain http://"
URL_HINT = "expected something like https://sandbox.api.tote.ai/v1/online-ordering"

# Commands whose rows get a valid loopback --base-url and --token unless the row sets its own.
API_COMMANDS = ("track", "watch", "list", "board", "conformance")


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    says: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    own_url: bool = False  # the row gives --base-url / --token itself

    @property
    def command(self) -> str:
        first = self.argv[0] if self.argv else ""
        return first if first in (*API_COMMANDS, "demo", "sandbox") else "track"


def case(id: str, *argv: str, says: tuple[str, ...] | str, **kw: Any) -> Case:
    return Case(id, argv, (says,) if isinstance(says, str) else says, **kw)


CASES = [
    # -- tote-track ORDER_ID / track ---------------------------------------------------
    case("track-bad-id", "not-an-order", says=("'not-an-order' is not an order:", ORDER)),
    case("track-empty-id", "", says=("'' is not an order:", "its id (like")),
    case("track-almost-uuid", f"{ORDER}0", says=("is not an order:", "its id (like")),
    case("track-explicit-bad-id", "track", "xyz", says=("'xyz' is not an order:", ORDER)),
    case("track-missing-id", "track", says="Missing argument 'ORDER...'"),
    case(
        "track-too-many",
        *[f"{n:06X}" for n in range(21)],
        says="21 orders named; at most 20 can be followed at once",
    ),
    case("track-one-bad-of-two", "27C343", "nope", says=("'nope' is not an order:", ORDER)),
    case("track-unknown-option", ORDER, "--frobnicate", says="No such option '--frobnicate'"),
    case(
        "track-option-without-value",
        ORDER,
        "--base-url",
        says="Option '--base-url' requires an argument",
        own_url=True,
    ),
    case(
        "track-insecure-url",
        ORDER,
        "--base-url",
        "http://orders.example.com/v1/online-ordering",
        "--token",
        TOKEN,
        says=(HTTPS_ONLY, "orders.example.com", "Use an https:// base URL"),
        own_url=True,
    ),
    case(
        "track-insecure-url-from-env",
        ORDER,
        says=(HTTPS_ONLY, "10.0.0.8"),
        env={"TOTE_API_BASE_URL": "http://10.0.0.8/v1/online-ordering", "TOTE_API_TOKEN": TOKEN},
        own_url=True,
    ),
    case(
        "track-ftp-url",
        ORDER,
        "--base-url",
        "ftp://orders.example.com",
        says=("must start with https://", URL_HINT),
        own_url=True,
    ),
    case(
        "track-url-with-spaces",
        ORDER,
        "--base-url",
        "not a url",
        says="contains spaces or control characters",
        own_url=True,
    ),
    case("track-url-no-host", ORDER, "--base-url", "https://", says="has no host", own_url=True),
    case(
        "track-url-bad-port",
        ORDER,
        "--base-url",
        "https://orders.example.com:99999/v1",
        says=("is not valid", "Port out of range", URL_HINT),
        own_url=True,
    ),
    case(
        "track-url-with-password",
        ORDER,
        "--base-url",
        "https://me:pw@orders.example.com/v1",
        says="must not contain a user name or password",
        own_url=True,
    ),
    case(
        "track-url-with-query",
        ORDER,
        "--base-url",
        "https://orders.example.com/v1?x=1",
        says="must not have a query",
        own_url=True,
    ),
    case(
        "track-token-with-space",
        ORDER,
        "--base-url",
        "https://orders.example.com/v1",
        "--token",
        "tok en",
        says="The API token contains spaces, control or non-ASCII characters",
        own_url=True,
    ),
    # -- watch -------------------------------------------------------------------------
    case("watch-missing-id", "watch", says="Missing argument 'ORDER...'"),
    case(
        "watch-too-many",
        "watch",
        *[f"{n:06X}" for n in range(21)],
        says="21 orders named; at most 20 can be followed at once",
    ),
    case("watch-bad-id", "watch", "zzz", says=("'zzz' is not an order:", ORDER)),
    case(
        "watch-unknown-until",
        "watch",
        ORDER,
        "--until",
        "teleported",
        says=("'teleported' is not an order state", STATUSES, FULFILLMENT),
    ),
    case("watch-empty-until", "watch", ORDER, "--until", "", says="'' is not an order state"),
    case(
        "watch-poll-speed-zero",
        "watch",
        ORDER,
        "--poll-speed",
        "0",
        says="not in the range 0<x<=1000000",
    ),
    case(
        "watch-poll-speed-nan",
        "watch",
        ORDER,
        "--poll-speed",
        "nan",
        says="'nan' is not a number in the range 0<x<=1000000",
    ),
    case(
        "watch-insecure-url",
        "watch",
        ORDER,
        "--base-url",
        "http://192.168.1.20:8787/v1/online-ordering",
        "--token",
        TOKEN,
        says=(HTTPS_ONLY, "192.168.1.20"),
        own_url=True,
    ),
    case(
        "watch-malformed-url",
        "watch",
        ORDER,
        "--base-url",
        "orders.example.com/v1",
        says="must start with https://",
        own_url=True,
    ),
    # -- list --------------------------------------------------------------------------
    case(
        "list-unknown-status", "list", "--status", "bogus", says=("'bogus' is not one of", STATUSES)
    ),
    case("list-empty-status", "list", "--status", "", says=("'' is not one of", STATUSES)),
    case(
        "list-unknown-fulfillment-status",
        "list",
        "--fulfillment-status",
        "ready",
        says=("'ready' is not one of", FULFILLMENT),
    ),
    case(
        "list-bad-location",
        "list",
        "--location",
        "store-12",
        says=("'store-12' is not a location id", LOCATION),
    ),
    case("list-bad-from", "list", "--from", "yesterday", says=("'yesterday' is not a date", ISO)),
    case("list-bad-to", "list", "--to", "2026-13-01", says=("'2026-13-01' is not a date", ISO)),
    case(
        "list-from-out-of-range",
        "list",
        "--from",
        "9999-12-31T23:59:59-01:00",
        says=("is not a date or date-time", ISO),
    ),
    case(
        "list-from-after-to",
        "list",
        "--from",
        "2026-02-01",
        "--to",
        "2026-01-01",
        says=("is later than --to", "--from must be at or before --to"),
    ),
    case("list-limit-0", "list", "--limit", "0", says="0 is not in the range 1<=x<=100"),
    case("list-limit-101", "list", "--limit", "101", says="101 is not in the range 1<=x<=100"),
    case(
        "list-limit-abc",
        "list",
        "--limit",
        "abc",
        says="'abc' is not a valid integer in the range 1<=x<=100",
    ),
    case("list-limit-0-all", "list", "--all", "--limit", "0", says="not in the range 1<=x<=100"),
    case("list-extra-argument", "list", "extra", says="unexpected extra argument (extra)"),
    case(
        "list-insecure-url",
        "list",
        "--base-url",
        "http://10.1.2.3/v1/online-ordering",
        "--token",
        TOKEN,
        says=(HTTPS_ONLY, "10.1.2.3"),
        own_url=True,
    ),
    case(
        "list-malformed-url-from-env",
        "list",
        says="must start with https://",
        env={"TOTE_API_BASE_URL": "ftp://orders.example.com"},
        own_url=True,
    ),
    # -- board -------------------------------------------------------------------------
    case("board-kiosk-missing-location", "board", "--kiosk", says="--kiosk needs --location UUID"),
    case("board-bad-location", "board", "--location", "abc", says=("'abc' is not a location id",)),
    case(
        "board-insecure-url",
        "board",
        "--location",
        LOCATION,
        "--base-url",
        "http://example.com/v1/online-ordering",
        "--token",
        TOKEN,
        says=(HTTPS_ONLY, "example.com"),
        own_url=True,
    ),
    case(
        "board-malformed-url",
        "board",
        "--location",
        LOCATION,
        "--base-url",
        "https://",
        says="has no host",
        own_url=True,
    ),
    # -- conformance -------------------------------------------------------------------
    case("conformance-extra-argument", "conformance", "extra", says="unexpected extra argument"),
    case(
        "conformance-cancel-without-order",
        "conformance",
        "--token",
        TOKEN,
        "--base-url",
        "http://127.0.0.1:9/v1/online-ordering",
        "--cancel",
        says="'--cancel' requires an argument",
        own_url=True,
    ),
    case(
        "conformance-insecure-url",
        "conformance",
        "--base-url",
        "http://10.4.5.6/v1/online-ordering",
        "--token",
        TOKEN,
        says=(HTTPS_ONLY, "10.4.5.6"),
        own_url=True,
    ),
    case(
        "conformance-malformed-url",
        "conformance",
        "--base-url",
        "https://",
        says="has no host",
        own_url=True,
    ),
    # -- demo --------------------------------------------------------------------------
    case(
        "demo-unknown-scenario",
        "demo",
        "--scenario",
        "teleport",
        says=("unknown scenario 'teleport'", "pickup, curbside", "manual_delivery"),
    ),
    case("demo-speed-0", "demo", "--speed", "0", says="0.0 is not in the range 0<x<=1000"),
    case("demo-speed-negative", "demo", "--speed", "-1", says="not in the range 0<x<=1000"),
    case("demo-speed-too-fast", "demo", "--speed", "1001", says="not in the range 0<x<=1000"),
    case("demo-speed-inf", "demo", "--speed", "inf", says="not in the range 0<x<=1000"),
    case("demo-speed-abc", "demo", "--speed", "abc", says="'abc' is not a number in the range"),
    case("demo-speed-nan", "demo", "--speed", "nan", says="'nan' is not a number in the range"),
    # -- sandbox -----------------------------------------------------------------------
    case("sandbox-port-negative", "sandbox", "--port", "-1", says="not in the range 0<=x<=65535"),
    case("sandbox-port-too-big", "sandbox", "--port", "65536", says="not in the range 0<=x<=65535"),
    case(
        "sandbox-port-abc",
        "sandbox",
        "--port",
        "abc",
        says="'abc' is not a valid integer in the range 0<=x<=65535",
    ),
    case(
        "sandbox-orders-negative", "sandbox", "--orders", "-1", says="not in the range 0<=x<=100000"
    ),
    case("sandbox-orders-abc", "sandbox", "--orders", "x", says="'x' is not a valid integer"),
    case(
        "sandbox-seed-negative", "sandbox", "--seed", "-1", says="not in the range 0<=x<=4294967295"
    ),
    case("sandbox-seed-abc", "sandbox", "--seed", "x", says="'x' is not a valid integer"),
    case("sandbox-db-directory", "sandbox", "--db", "/", says="is a directory"),
    case("sandbox-empty-token", "sandbox", "--token", "", says="--token must not be empty"),
    case(
        "sandbox-public-host-default-token",
        "sandbox",
        "--host",
        "0.0.0.0",
        says=("refusing to listen on 0.0.0.0", "Listen on 127.0.0.1", "--token"),
    ),
    case(
        "sandbox-public-ipv6-default-token",
        "sandbox",
        "--host",
        "::",
        says="refusing to listen on :: with the default token",
    ),
]


def _closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Tripwire(BaseException):
    """Raised by anything a usage error must never reach; not an Exception, so nothing
    in the command can swallow it."""


@dataclass
class Tripwires:
    hits: list[str] = field(default_factory=list)

    def trip(self, what: str) -> Any:
        def tripped(*args: Any, **kwargs: Any) -> Any:
            self.hits.append(what)
            raise Tripwire(what)

        return tripped


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> Tripwires:
    wires = Tripwires()
    monkeypatch.setattr(httpx.AsyncClient, "send", wires.trip("an HTTP request"))
    monkeypatch.setattr(httpx.Client, "send", wires.trip("an HTTP request"))
    monkeypatch.setattr("tote_track.sandbox.server._bind", wires.trip("a bound socket"))
    monkeypatch.setattr(
        "tote_track.sandbox.server.EmbeddedSandbox.start", wires.trip("a started sandbox")
    )
    monkeypatch.setattr("tote_track.tui.tracker.app.run_tracker", wires.trip("the tracker"))
    monkeypatch.setattr("tote_track.tui.board.app.run_board", wires.trip("the board"))
    monkeypatch.setattr("tote_track.demo.run_board_demo", wires.trip("the board demo"))
    # As in a terminal: the commands get as far as they would for a person.
    monkeypatch.setattr("tote_track.run.stdout_is_terminal", lambda: True)
    monkeypatch.setattr("tote_track.run.stdin_is_terminal", lambda: True)
    for name in ("TOTE_API_BASE_URL", "TOTE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return wires


def argv_of(item: Case) -> list[str]:
    argv = list(item.argv)
    if item.command in API_COMMANDS and not item.own_url:
        url = f"http://127.0.0.1:{_closed_loopback_port()}/v1/online-ordering"
        argv += ["--base-url", url, "--token", TOKEN]
    return argv


def check_usage_error(output: str, says: tuple[str, ...]) -> None:
    assert "Traceback" not in output
    error_lines = [line for line in output.splitlines() if re.match(r"(?i)error:", line)]
    assert len(error_lines) == 1, output  # one message, not a cascade
    message = " ".join(output.split())
    for words in says:
        assert words in message, (words, output)
    assert TOKEN not in output


@pytest.mark.parametrize("item", CASES, ids=[c.id for c in CASES])
def test_every_argument_error_exits_2_with_one_clear_message(
    item: Case, tripwires: Tripwires
) -> None:
    result: Result = CliRunner().invoke(cli.main, argv_of(item), env=item.env or None)
    assert tripwires.hits == []
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    check_usage_error(result.output, item.says)


def test_the_table_covers_every_command() -> None:
    assert {c.command for c in CASES} == {*API_COMMANDS, "demo", "sandbox"}
    assert set(cli.main.commands) == {*API_COMMANDS, "demo", "sandbox"}


def test_a_valid_invocation_reaches_the_tripwire_so_the_table_proves_something(
    tripwires: Tripwires,
) -> None:
    """The same setup with good arguments does reach the network: "no request" is real."""
    url = f"http://127.0.0.1:{_closed_loopback_port()}/v1/online-ordering"
    with pytest.raises(Tripwire):
        CliRunner().invoke(cli.main, ["list", "--base-url", url, "--token", TOKEN])
    with pytest.raises(Tripwire):
        CliRunner().invoke(cli.main, ["sandbox", "--port", "0"])
    assert tripwires.hits == ["an HTTP request", "a bound socket"]


# -- as a real process ------------------------------------------------------------------------

PROCESS_CASES = [
    "track-bad-id",
    "track-insecure-url",
    "watch-unknown-until",
    "watch-poll-speed-nan",
    "list-limit-abc",
    "list-from-after-to",
    "board-bad-location",
    "demo-unknown-scenario",
    "sandbox-port-abc",
    "sandbox-public-host-default-token",
]


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    """A loopback port that accepts connections (nobody answers): a request would show."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


@pytest.mark.parametrize("name", PROCESS_CASES)
def test_as_a_real_process_the_error_is_one_line_and_nothing_connects(
    name: str, listener: socket.socket
) -> None:
    (item,) = [c for c in CASES if c.id == name]
    argv = list(item.argv)
    if item.command in API_COMMANDS and not item.own_url:
        port = listener.getsockname()[1]
        argv += ["--base-url", f"http://127.0.0.1:{port}/v1/online-ordering", "--token", TOKEN]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOTE_API_")}
    proc = subprocess.run(
        [sys.executable, "-m", "tote_track", *argv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""  # errors go to stderr
    check_usage_error(proc.stderr.replace("Usage: python -m tote_track", "Usage:"), item.says)
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected
