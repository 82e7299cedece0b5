"""``tote-track list`` and ``watch`` as real processes against a hostile loopback API.

Each ends with its exit code and one sentence, quickly, without the token, whatever the
server sends: endless pages, empty pages, dates at the end of time in a zone east of UTC,
the token echoed in a request id, 10 KB strings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import pytest

from tests.hostile_server import (
    HostileServer,
    endless_pages,
    error_reply,
    json_reply,
    order_summary,
)
from tote_track.api.client import DEFAULT_MAX_PAGES

TOKEN = "tok-HOSTILE-SECRET-0123456789"
ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float


def tote_track(server: HostileServer, *args: str, tz: str = "UTC", timeout: float = 60) -> Run:
    env = {
        **os.environ,
        "TOTE_API_BASE_URL": server.base_url,
        "TOTE_API_TOKEN": TOKEN,
        "TZ": tz,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTHONWARNINGS", None)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "tote_track", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    run = Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
    both = run.stdout + run.stderr
    assert TOKEN not in both
    assert "Traceback" not in both
    return run


def one_sentence(run: Run) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]


# -- 3. pagination -----------------------------------------------------------------------------


def test_list_all_against_endless_pages_ends_with_exit_4_and_one_sentence(
    hostile_server: HostileServer, guide_order_json: dict[str, Any]
) -> None:
    hostile_server.route("GET", "/orders", endless_pages([order_summary(guide_order_json)]))
    run = tote_track(hostile_server, "list", "--all")
    assert run.code == 4
    line = one_sentence(run)
    assert f"{DEFAULT_MAX_PAGES:,} pages" in line
    assert "narrow" in line
    # Each order was printed as it arrived (the same row on every page); no footer.
    lines = run.stdout.splitlines()
    assert len(lines) == 1 + DEFAULT_MAX_PAGES
    assert lines[0].startswith("CODE ")
    assert len(hostile_server.requests) == DEFAULT_MAX_PAGES


def test_list_all_against_empty_pages_that_say_more_ends_at_once(
    hostile_server: HostileServer,
) -> None:
    hostile_server.route("GET", "/orders", endless_pages([]))
    run = tote_track(hostile_server, "list", "--all")
    assert run.code == 4
    assert "empty page" in one_sentence(run)
    assert len(hostile_server.requests) == 1


# -- 4. odd dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
def test_list_and_watch_in_tokyo_with_a_date_at_the_end_of_time(
    hostile_server: HostileServer, guide_order_json: dict[str, Any], field: str
) -> None:
    end = "9999-12-31T23:59:59Z"
    row = order_summary(guide_order_json, **{field: end})
    hostile_server.route(
        "GET", "/orders", json_reply({"data": [row], "pagination": {"has_more": False}})
    )
    hostile_server.route("GET", r"/orders/[^/]+", json_reply({**guide_order_json, field: end}))
    listed = tote_track(hostile_server, "list", tz="Asia/Tokyo")
    assert listed.code == 4
    assert field in one_sentence(listed)
    watched = tote_track(hostile_server, "watch", ORDER_ID, tz="Asia/Tokyo")
    assert watched.code == 4
    assert field in one_sentence(watched)


def test_an_ordinary_date_still_lists_in_tokyo(
    hostile_server: HostileServer, guide_order_json: dict[str, Any]
) -> None:
    row = order_summary(guide_order_json, created_at="2026-01-31T23:30:00Z")
    hostile_server.route(
        "GET", "/orders", json_reply({"data": [row], "pagination": {"has_more": False}})
    )
    run = tote_track(hostile_server, "list", tz="Asia/Tokyo")
    assert run.code == 0
    assert "2026-02-01 08:30" in run.stdout


# -- 6. the token in a request id --------------------------------------------------------------


def test_watch_and_list_never_print_a_token_echoed_as_the_request_id(
    hostile_server: HostileServer,
) -> None:
    echo = {"X-Request-Id": f"req_{TOKEN}"}
    hostile_server.route(
        "GET", r"/orders/[^/]+", error_reply(404, "not_found", "No such order.", echo)
    )
    hostile_server.route("GET", "/orders", error_reply(400, "invalid_request", "Bad.", echo))
    watched = tote_track(hostile_server, "watch", ORDER_ID)
    assert watched.code == 4
    assert "request req_<redacted>" in one_sentence(watched)
    watched_json = tote_track(hostile_server, "watch", ORDER_ID, "--json")
    assert watched_json.code == 4
    assert "req_<redacted>" in watched_json.stdout
    listed = tote_track(hostile_server, "list")
    assert listed.code == 4
    assert "request req_<redacted>" in one_sentence(listed)


def test_a_10_kb_request_id_and_message_are_cut(hostile_server: HostileServer) -> None:
    huge = "B" * 10_000
    hostile_server.route(
        "GET", r"/orders/[^/]+", error_reply(404, "not_found", huge, {"X-Request-Id": huge})
    )
    run = tote_track(hostile_server, "watch", ORDER_ID)
    assert run.code == 4
    line = one_sentence(run)
    assert len(line) < 800
    assert "…" in line


# -- 7. smaller things -------------------------------------------------------------------------


def test_a_10_kb_order_id_is_not_echoed_in_full(hostile_server: HostileServer) -> None:
    run = tote_track(hostile_server, "watch", "x" * 10_000)
    assert run.code == 2
    assert len(run.stderr) < 1000
    assert "is not an order: give the order's 6-character code" in run.stderr
    assert hostile_server.requests == []


@pytest.mark.parametrize("host", ["LOCALHOST.", "localhost.", "127.0.0.1.example"])
def test_a_name_that_only_looks_like_loopback_gets_no_token_over_http(
    hostile_server: HostileServer, host: str
) -> None:
    env_url = f"http://{host}:1/v1/online-ordering"
    run = tote_track(hostile_server, "watch", ORDER_ID, "--base-url", env_url)
    assert run.code == 2
    assert "Refusing to send the API token over plain http://" in one_sentence(run)
