"""``tote-track watch`` and ``tote-track list`` against a sandbox on a loopback socket.

Every run goes through click, and every run's stdout and stderr are checked for the token.
"""

from __future__ import annotations

import asyncio
import json
import math
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tote_track import cli
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.api.models import FulfillmentStatus, OrderStatus, OrderSummary, Page, Pagination
from tote_track.headless import TARGETS, follow_order
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tracking.polling import PollingPolicy

TOKEN = "tok-SECRET-1234567890"
WRONG_TOKEN = "tok-WRONG-0987654321"
LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
SEEDED = 45
CLOSED_PORT_URL = "http://127.0.0.1:9/v1/online-ordering"  # discard port: nothing listens


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def invoke(*args: str) -> Run:
    result = CliRunner().invoke(cli.main, list(args))
    run = Run(result.exit_code, result.stdout, result.stderr)
    for secret in (TOKEN, WRONG_TOKEN):
        assert secret not in run.stdout
        assert secret not in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return run


@pytest.fixture(scope="module")
def live() -> Iterator[EmbeddedSandbox]:
    """A sandbox for watch: orders are created and moved by the tests."""
    with EmbeddedSandbox(token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def seeded() -> Iterator[EmbeddedSandbox]:
    """A sandbox for list: SEEDED sample orders that nothing changes."""
    with EmbeddedSandbox(token=TOKEN, orders=SEEDED) as running:
        yield running


def api(sandbox: EmbeddedSandbox) -> list[str]:
    return ["--base-url", sandbox.base_url, "--token", sandbox.token]


def make_order(
    sandbox: EmbeddedSandbox, *events: str, mode: str = "PICKUP", autoplay: str | None = None
) -> str:
    async def create() -> str:
        async with ToteClient(sandbox.config) as client:
            control = SandboxControl(client)
            body: dict[str, Any] = {"handoff": {"mode": mode}}
            if autoplay is not None:
                body["autoplay"] = {"scenario": autoplay, "speed": 60}  # 2 min in 2 s
            order = await control.create_order(body)
            for event in events:
                await control.fire_event(order.id, event)
            return order.id

    return asyncio.run(create())


def raw_pages(sandbox: EmbeddedSandbox, **params: Any) -> list[dict[str, Any]]:
    """Every page of GET /orders as the API sends it, straight from HTTP."""
    pages = []
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as http:
        while True:
            page = http.get("/orders", params=params).raise_for_status().json()
            pages.append(page)
            if not page["pagination"]["has_more"]:
                return pages
            params = {**params, "cursor": page["pagination"]["next_cursor"]}


PAID = ("payment_completed",)
PICKED_UP = (*PAID, "accept", "start_preparing", "ready", "picked_up")


# -- watch: exit 0 ------------------------------------------------------------------------


def test_watch_a_completed_order_exits_0(live: EmbeddedSandbox) -> None:
    order_id = make_order(live, *PICKED_UP)
    run = invoke("watch", order_id, *api(live))
    assert run.exit_code == 0
    [line] = run.stdout.splitlines()
    assert line.endswith(f"{order_id[:6].upper()} COMPLETED PAID FULFILLED · Picked up. Enjoy!")
    assert run.stderr == ""


def test_watch_follows_a_moving_order_to_the_end_in_json(live: EmbeddedSandbox) -> None:
    order_id = make_order(live, autoplay="pickup")
    run = invoke("watch", order_id, *api(live), "--json", "--poll-speed", "500")
    assert run.exit_code == 0, run.stderr
    events = run.events
    changes = [e for e in events if e["event"] == "change"]
    assert len(changes) >= 2
    assert changes[-1]["fulfillment_status"] == "FULFILLED"
    order = list(FulfillmentStatus)
    positions = [order.index(FulfillmentStatus(e["fulfillment_status"])) for e in changes]
    assert positions == sorted(positions)
    assert events[-1]["event"] == "finished"
    assert events[-1]["outcome"] == "completed"
    assert events[-1]["exit_code"] == 0
    for event in events:
        assert event["id"] == order_id
        assert datetime.fromisoformat(event["seen_at"]).tzinfo is not None


@pytest.mark.parametrize(
    ("events", "until"),
    [
        ((*PAID, "accept", "start_preparing", "ready"), "ready_for_pickup"),
        ((*PAID, "accept", "start_preparing", "ready"), "PREPARING"),  # passed already
        ((*PAID, "accept"), "Confirmed"),
        (PICKED_UP, "completed"),
    ],
)
def test_watch_until_a_reached_state_exits_0(
    live: EmbeddedSandbox, events: tuple[str, ...], until: str
) -> None:
    order_id = make_order(live, *events)
    run = invoke("watch", order_id, "--until", until, "--json", *api(live))
    assert run.exit_code == 0
    assert run.events[-1]["event"] == "finished"
    assert run.events[-1]["until"] == until.upper()
    assert run.events[-1]["reached"] is True


# -- watch: exit 1 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "outcome", "status"),
    [
        ((*PAID, "accept", "start_preparing", "store_cancel"), "cancelled", "CANCELLED"),
        (("payment_started", "payment_failed"), "failed", "FAILED"),
        (("payment_started", "void"), "voided", "VOIDED"),
    ],
)
def test_watch_an_order_that_ended_another_way_exits_1(
    live: EmbeddedSandbox, events: tuple[str, ...], outcome: str, status: str
) -> None:
    order_id = make_order(live, *events)
    text = invoke("watch", order_id, *api(live))
    assert text.exit_code == 1
    assert f" {status} " in text.stdout
    assert text.stderr.strip().splitlines() == [
        f"order {order_id[:6].upper()} ended {outcome}, not completed ({status} · CANCELLED)"
    ]
    run = invoke("watch", order_id, *api(live), "--json")
    assert run.exit_code == 1
    assert run.events[-1]["outcome"] == outcome


def test_watch_a_returned_order_exits_0_it_was_completed(live: EmbeddedSandbox) -> None:
    order_id = make_order(live, *PICKED_UP, "returned")
    run = invoke("watch", order_id, *api(live), "--json")
    assert run.exit_code == 0
    assert (run.events[-1]["outcome"], run.events[-1]["exit_code"]) == ("returned", 0)


def test_watch_a_cancelled_order_until_ready_exits_1_and_says_it_cannot_get_there(
    live: EmbeddedSandbox,
) -> None:
    async def cancelled() -> str:
        async with ToteClient(live.config) as client:
            order = await SandboxControl(client).create_order()
            await client.cancel_order(order.id, "Changed my mind")
            return order.id

    order_id = asyncio.run(cancelled())
    run = invoke("watch", order_id, "--until", "READY_FOR_PICKUP", *api(live))
    assert run.exit_code == 1
    assert "READY_FOR_PICKUP can no longer be reached: the order ended cancelled" in run.stderr


def test_watch_until_delivered_on_a_picked_up_order_exits_1(live: EmbeddedSandbox) -> None:
    order_id = make_order(live, *PICKED_UP)
    run = invoke("watch", order_id, "--until", "delivered", *api(live), "--json")
    assert run.exit_code == 1
    assert run.events[-1]["reached"] is False
    assert run.events[-1]["until"] == "DELIVERED"


# -- watch: exit 2 ------------------------------------------------------------------------


def test_watch_a_malformed_order_id_is_a_usage_error() -> None:
    run = invoke("watch", "order-42")
    assert run.exit_code == 2
    assert "'order-42' is not an order: give the order's 6-character code" in run.stderr


def test_watch_until_an_unknown_state_names_every_allowed_one(live: EmbeddedSandbox) -> None:
    run = invoke("watch", str(uuid.uuid4()), "--until", "ready", *api(live))
    assert run.exit_code == 2
    assert "'ready' is not an order state" in run.stderr
    for target in TARGETS:
        assert target in run.stderr
    assert run.stdout == ""


def test_watch_refuses_a_token_over_plain_http() -> None:
    run = invoke(
        "watch", str(uuid.uuid4()), "--base-url", "http://orders.example.com/v1", "--token", TOKEN
    )
    assert run.exit_code == 2
    assert "Refusing to send the API token over plain http://" in run.stderr


def test_watch_help_documents_exit_codes_json_and_every_state() -> None:
    run = invoke("watch", "--help")
    assert run.exit_code == 0
    for text in ("Exit codes", "gave up", "retry_in", "finished", "exit_code", "--until"):
        assert text in run.stdout
    flat = " ".join(run.stdout.split())
    for target in TARGETS:
        assert target in flat
    assert "--poll-speed" not in run.stdout  # a testing knob, not for users


# -- watch: exit 3 ------------------------------------------------------------------------


def test_watch_gives_up_with_3_after_the_stage_max_duration(live: EmbeddedSandbox) -> None:
    order_id = make_order(live, *PAID, "accept", "start_preparing")
    # 20,000 times faster: the preparation stage's 60 minutes last 0.18 s.
    run = invoke("watch", order_id, *api(live), "--json", "--poll-speed", "20000")
    assert run.exit_code == 3
    assert [e["event"] for e in run.events] == ["change", "gave_up"]
    assert run.events[-1]["waited"] == pytest.approx(3600 / 20000)
    text = invoke("watch", order_id, *api(live), "--poll-speed", "20000")
    assert text.exit_code == 3
    assert "gave up after" in text.stderr
    assert "run watch again" in text.stderr


# -- watch: exit 4 ------------------------------------------------------------------------


def test_watch_an_unknown_order_exits_4(live: EmbeddedSandbox) -> None:
    run = invoke("watch", str(uuid.uuid4()), *api(live))
    assert run.exit_code == 4
    assert run.stderr.startswith("Error: ")
    assert "not_found" in run.stderr
    assert run.stdout == ""
    as_json = invoke("watch", str(uuid.uuid4()), *api(live), "--json")
    assert as_json.exit_code == 4
    [event] = as_json.events
    assert event["event"] == "error"
    assert event["error"]["status_code"] == 404


def test_watch_with_a_refused_token_exits_4(live: EmbeddedSandbox) -> None:
    order_id = make_order(live)
    run = invoke("watch", order_id, "--base-url", live.base_url, "--token", WRONG_TOKEN)
    assert run.exit_code == 4
    assert "HTTP 401" in run.stderr
    assert len(run.stderr.splitlines()) == 1


def test_watch_without_a_server_tries_a_few_times_then_exits_4() -> None:
    run = invoke("watch", str(uuid.uuid4()), "--base-url", CLOSED_PORT_URL, "--poll-speed", "20000")
    assert run.exit_code == 4
    lines = run.stderr.splitlines()
    assert len(lines) == 3  # two retries announced, then the one sentence
    assert all("reconnecting · retry in" in line for line in lines[:-1])
    assert lines[-1].startswith("Error: Could not reach the Tote API at 127.0.0.1:9")
    assert lines[-1].endswith("; no answer after 3 attempts")


# -- watch: transient failures ------------------------------------------------------------


async def test_watch_survives_server_errors_on_the_real_socket(live: EmbeddedSandbox) -> None:
    """Every request fails until the first wait, which clears the faults."""
    order_id = await asyncio.to_thread(make_order, live, *PICKED_UP)
    lines: list[str] = []
    waits: list[float] = []
    async with ToteClient(live.config, max_retries=0) as client:
        control = SandboxControl(client)
        await control.set_faults(error_rate=1.0)

        async def sleep(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 2:
                await control.clear_faults()

        try:
            code = await follow_order(
                client,
                order_id,
                echo=lines.append,
                warn=lines.append,
                json_lines=True,
                policy=PollingPolicy().scaled(1000),
                sleep=sleep,
            )
        finally:
            await control.clear_faults()
    assert code == 0
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events] == ["retry", "retry", "change", "finished"]
    assert events[0]["error"]["status_code"] >= 500
    assert events[0]["retry_in"] == waits[0] > 0
    assert events[2]["status"] == "COMPLETED"


def test_watch_rides_out_a_flaky_sandbox(live: EmbeddedSandbox) -> None:
    order_id = make_order(live, *PICKED_UP)

    async def faults(**settings: float) -> None:
        async with ToteClient(live.config) as client:
            control = SandboxControl(client)
            await (control.set_faults(**settings) if settings else control.clear_faults())

    asyncio.run(faults(error_rate=0.5))
    try:
        # Some 503s carry Retry-After: 1, which wins over the (100 times faster) schedule.
        run = invoke("watch", order_id, *api(live), "--json", "--poll-speed", "100")
    finally:
        asyncio.run(faults())
    assert run.exit_code == 0
    events = run.events
    assert events[-1]["event"] == "finished"
    assert {e["event"] for e in events} <= {"retry", "change", "finished"}
    for retry in (e for e in events if e["event"] == "retry"):
        assert retry["retry_in"] > 0
        assert retry["error"]["message"]


def test_watch_ctrl_c_exits_130_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    async def interrupted(*args: Any, **kwargs: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("tote_track.headless.follow_order", interrupted)
    run = invoke("watch", str(uuid.uuid4()), "--token", TOKEN)
    assert run.exit_code == 130
    assert run.stdout == ""
    assert run.stderr == "Interrupted (Ctrl-C).\n"  # README: a non-zero exit says why


def test_track_without_a_terminal_goes_through_the_same_loop(
    live: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    async def recorded(client: ToteClient, order_id: str, **kwargs: Any) -> int:
        calls.append({"order_id": order_id, "retries": client.max_retries, **kwargs})
        return 3

    monkeypatch.setattr("tote_track.headless.follow_order", recorded)
    order_id = str(uuid.uuid4())
    run = invoke(order_id, *api(live))
    assert run.exit_code == 3
    [call] = calls
    assert call["order_id"] == order_id
    assert call["retries"] == 0  # the policy, not the client, owns the waiting
    assert call["until"] is None
    assert call["json_lines"] is False


# -- list ---------------------------------------------------------------------------------


def test_list_prints_a_plain_table_of_one_page(seeded: EmbeddedSandbox) -> None:
    run = invoke("list", "--limit", "5", *api(seeded))
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    assert lines[0].split() == [
        "CODE", "CREATED", "STATUS", "PAYMENT", "FULFILLMENT", "HANDOFF", "TOTAL"
    ]  # fmt: skip
    assert len(lines) == 7
    assert lines[-1] == "5 orders · more: run with --all"
    first_page = raw_pages(seeded, limit=5)[0]["data"]
    for line, order in zip(lines[1:6], first_page, strict=True):
        cells = line.split()
        assert cells[0] == order["id"][:6].upper()
        assert order["status"] in cells
        assert order["fulfillment_status"] in cells
        assert cells[-1].startswith("$")
    assert len({len(line) for line in lines[:6]}) == 1  # aligned: every row as wide
    assert "\x1b" not in run.stdout  # no colour codes when not a terminal


def test_list_json_is_exactly_the_api_data(seeded: EmbeddedSandbox) -> None:
    run = invoke("list", "--json", *api(seeded))
    assert run.exit_code == 0
    assert json.loads(run.stdout) == raw_pages(seeded)[0]["data"]  # default page of 20


def test_list_all_follows_every_cursor(
    seeded: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    read_page = ToteClient._page

    async def counted(self: ToteClient, params: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(params.get("cursor"))
        return await read_page(self, params, *args, **kwargs)

    monkeypatch.setattr(ToteClient, "_page", counted)
    run = invoke("list", "--all", "--limit", "10", "--json", *api(seeded))
    assert run.exit_code == 0
    pages = raw_pages(seeded, limit=10)
    assert json.loads(run.stdout) == [order for page in pages for order in page["data"]]
    assert len(json.loads(run.stdout)) == SEEDED
    assert len(calls) == math.ceil(SEEDED / 10) == len(pages)
    assert calls[0] is None
    assert len(set(calls[1:])) == len(calls) - 1  # a new cursor every time

    calls.clear()
    table = invoke("list", "--all", *api(seeded))
    assert table.exit_code == 0
    assert table.stdout.splitlines()[-1] == f"{SEEDED} orders"
    assert len(calls) == 1  # pages of 100


def test_list_filters_reach_the_api(seeded: EmbeddedSandbox) -> None:
    run = invoke(
        "list", "--status", "completed", "--location", LOCATION.upper(), "--all", "--json",
        *api(seeded),
    )  # fmt: skip
    assert run.exit_code == 0
    orders = json.loads(run.stdout)
    assert orders
    assert orders == [
        order
        for page in raw_pages(seeded, status="COMPLETED", location_id=LOCATION)
        for order in page["data"]
    ]
    ready = invoke("list", "--fulfillment-status", "Ready-For-Pickup", "--json", *api(seeded))
    assert {o["fulfillment_status"] for o in json.loads(ready.stdout)} <= {"READY_FOR_PICKUP"}


def test_list_date_range_is_inclusive_and_dates_are_whole_days(seeded: EmbeddedSandbox) -> None:
    everything = [o for page in raw_pages(seeded, limit=100) for o in page["data"]]
    created = sorted(datetime.fromisoformat(o["created_at"]) for o in everything)
    low, high = created[5], created[-5]
    run = invoke(
        "list", "--all", "--json", "--from", low.isoformat(),
        "--to", high.replace(tzinfo=None).isoformat(), *api(seeded),
    )  # fmt: skip
    assert run.exit_code == 0
    listed = [datetime.fromisoformat(o["created_at"]) for o in json.loads(run.stdout)]
    assert sorted(listed) == [moment for moment in created if low <= moment <= high]
    day = high.date()
    whole_day = invoke(
        "list", "--all", "--json", "--from", str(day), "--to", str(day), *api(seeded)
    )
    that_day = [datetime.fromisoformat(o["created_at"]) for o in json.loads(whole_day.stdout)]
    assert sorted(that_day) == [moment for moment in created if moment.date() == day]


def test_list_says_so_when_nothing_matches(seeded: EmbeddedSandbox) -> None:
    nowhere = str(uuid.uuid4())
    run = invoke("list", "--location", nowhere, *api(seeded))
    assert run.exit_code == 0
    assert run.stdout == "No orders match.\n"
    as_json = invoke("list", "--location", nowhere, "--json", *api(seeded))
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--status", "DONE"], [s.value for s in OrderStatus]),
        (["--fulfillment-status", "READY"], [s.value for s in FulfillmentStatus]),
        (["--location", "store-1"], ["is not a location id", LOCATION]),
        (["--from", "yesterday"], ["ISO 8601", "2026-01-31T10:07:00Z"]),
        (["--to", "2026-13-01"], ["ISO 8601", "2026-01-31"]),
        (["--from", "2026-02-01", "--to", "2026-01-31"], ["--from must be at or before --to"]),
        (["--limit", "0"], ["1<=x<=100"]),
        (["--limit", "101"], ["1<=x<=100"]),
        (["--limit", "many"], ["not a valid integer"]),
        (["--all", "--bogus"], ["No such option '--bogus'"]),
    ],
)
def test_list_rejects_bad_arguments_before_any_request(
    args: list[str], expected: list[str]
) -> None:
    # Nothing listens at CLOSED_PORT_URL: a request would end in exit 4, not 2.
    run = invoke("list", *args, "--base-url", CLOSED_PORT_URL, "--token", TOKEN)
    assert run.exit_code == 2
    for text in expected:
        assert text in run.stderr
    assert run.stdout == ""


def test_list_refuses_a_token_over_plain_http() -> None:
    run = invoke("list", "--base-url", "http://orders.example.com/v1", "--token", TOKEN)
    assert run.exit_code == 2
    assert "Refusing to send the API token" in run.stderr


def test_list_with_a_refused_token_is_one_line_and_exit_4(seeded: EmbeddedSandbox) -> None:
    run = invoke("list", "--base-url", seeded.base_url, "--token", WRONG_TOKEN)
    assert run.exit_code == 4
    [line] = run.stderr.splitlines()
    assert line.startswith("Error: ")
    assert "HTTP 401" in line
    assert run.stdout == ""


def test_list_without_a_server_is_one_line_and_exit_4() -> None:
    run = invoke("list", "--base-url", CLOSED_PORT_URL)
    assert run.exit_code == 4
    [line] = run.stderr.splitlines()
    assert line.startswith("Error: Could not reach the Tote API")


def test_list_when_the_server_keeps_failing_is_one_line_and_exit_4(
    seeded: EmbeddedSandbox,
) -> None:
    async def faults(**settings: float) -> None:
        async with ToteClient(seeded.config) as client:
            control = SandboxControl(client)
            await (control.set_faults(**settings) if settings else control.clear_faults())

    asyncio.run(faults(error_rate=1.0))
    try:
        run = invoke("list", *api(seeded))
    finally:
        asyncio.run(faults())
    assert run.exit_code == 4
    # Waits of a second or more are announced; then one line says why it ended.
    *waits, line = run.stderr.splitlines()
    assert all("; retrying in " in wait for wait in waits)
    assert line.startswith("Error: ")
    assert "HTTP 5" in line
    assert "gave up after 3 attempts" in line  # the client's own retries, then one line
    assert run.stdout == ""


def test_help_lists_watch_and_list() -> None:
    run = invoke("--help")
    assert "watch" in run.stdout
    assert "list" in run.stdout
    help_text = invoke("list", "--help").stdout
    for option in ("--status", "--fulfillment-status", "--location", "--from", "--to", "--all"):
        assert option in help_text


def test_list_naive_times_are_utc_and_a_date_is_a_whole_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    async def record(self: ToteClient, **kwargs: Any) -> Page[OrderSummary]:
        seen.update(kwargs)
        return Page[OrderSummary](data=[], pagination=Pagination(has_more=False))

    monkeypatch.setattr(ToteClient, "list_orders", record)
    run = invoke("list", "--from", "2026-01-31T10:00", "--to", "2026-01-31", "--token", TOKEN)
    assert run.exit_code == 0
    assert seen["date_from"] == datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    assert seen["date_to"] == datetime(2026, 2, 1, tzinfo=UTC) - timedelta(microseconds=1)
    offset = invoke("list", "--from", "2026-01-31T10:00:00+02:00", "--token", TOKEN)
    assert offset.exit_code == 0
    assert seen["date_from"] == datetime(2026, 1, 31, 8, 0, tzinfo=UTC)


def test_a_reader_that_goes_away_ends_list_and_watch_quietly(
    seeded: EmbeddedSandbox, live: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed_pipe(*args: Any, **kwargs: Any) -> None:
        raise BrokenPipeError

    monkeypatch.setattr(cli.click, "echo", closed_pipe)
    run = invoke("list", *api(seeded))
    assert run.exit_code == 141
    assert run.stderr == ""
    order_id = make_order(live)
    assert invoke("watch", order_id, *api(live)).exit_code == 141


def test_watch_until_delivered_on_a_pickup_order_exits_1_at_once(live: EmbeddedSandbox) -> None:
    order_id = make_order(live, *PAID, "accept")
    started = time.monotonic()
    run = invoke("watch", order_id, "--until", "DELIVERED", *api(live))
    assert run.exit_code == 1
    assert time.monotonic() - started < 5  # not after the preparation stage's hour
    assert run.stderr.splitlines()[-1] == (
        "DELIVERED can no longer be reached: a pickup order is never DELIVERED"
    )


def test_ctrl_c_on_a_real_watch_exits_130_with_one_line(live: EmbeddedSandbox) -> None:
    order_id = make_order(live, *PAID, "accept")
    script = Path(sys.executable).with_name("tote-track")
    with subprocess.Popen(
        [str(script), "watch", order_id, *api(live)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as watch:
        assert watch.stdout is not None
        first = watch.stdout.readline()  # the order as it is now
        assert order_id[:6].upper() in first
        watch.send_signal(signal.SIGINT)
        _, stderr = watch.communicate(timeout=30)
    assert watch.returncode == 130
    assert stderr.splitlines()[-1] == "Interrupted (Ctrl-C)."
    assert "Traceback" not in stderr
