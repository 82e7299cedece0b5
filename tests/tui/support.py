"""Helpers of the tracker tests: a frozen clock, a scripted API, app construction."""

from __future__ import annotations

import asyncio
import copy
import html
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.cells import cell_len
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot

from tote_track.api.client import DEFAULT_MAX_RETRIES, ToteClient
from tote_track.api.config import ClientConfig
from tote_track.tracking.polling import PollingPolicy
from tote_track.tui.desktop import Notifier
from tote_track.tui.tracker.app import Clock, TrackerApp

FIXTURES = Path(__file__).parent.parent / "fixtures"
ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
BASE_URL = "http://127.0.0.1:8787/v1/online-ordering"
# The guide's order was last updated at 10:09; the tracker looks at it a little later.
FROZEN_AT = datetime(2026, 1, 31, 10, 9, 12, tzinfo=UTC)


class FakeClock:
    """Wall and monotonic time that only move when a test says so."""

    def __init__(self, wall: datetime = FROZEN_AT, monotonic: float = 1000.0) -> None:
        self.now = wall
        self.mono = monotonic

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds

    @property
    def clock(self) -> Clock:
        return Clock(wall=self.wall, monotonic=self.monotonic)


def guide_order() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "guide_order.json").read_text())
    return data


def envelope(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message}}, headers={"X-Request-Id": "r1"}
    )


Reply = httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception


class FakeApi:
    """A scripted Orders API behind ``httpx.MockTransport``.

    Serves ``order`` (a dict the test may change) at ``GET /orders/{id}``; ``queue`` holds
    replies (responses, callables or exceptions to raise) used before the default ones.
    Every request is kept in ``requests``.
    """

    def __init__(self, order: dict[str, Any] | None = None) -> None:
        self.order = order if order is not None else guide_order()
        self.queue: list[Reply] = []
        self.requests: list[httpx.Request] = []
        self.hold: asyncio.Event | None = None

    def set(self, **fields: Any) -> None:
        self.order.update(fields)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.queue:
            reply = self.queue.pop(0)
            if isinstance(reply, Exception):
                raise reply
            if callable(reply):
                return reply(request)
            return reply
        return self._answer(request)

    def hold_next(self) -> asyncio.Event:
        """The next request waits until the returned event is set (never, if the test never
        sets it), then is answered as any other."""
        gate = asyncio.Event()

        async def held(request: httpx.Request) -> httpx.Response:
            await gate.wait()
            return self._answer(request)

        self.queue.append(held)  # type: ignore[arg-type]  # MockTransport awaits it
        return gate

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/online-ordering")
        if request.method == "GET" and path == f"/orders/{self.order['id']}":
            return httpx.Response(200, json=copy.deepcopy(self.order))
        if request.method == "POST" and path == f"/orders/{self.order['id']}/cancel":
            if self.hold is not None:
                return self._held_cancel(self.hold)  # type: ignore[return-value]
            return self.cancel()
        return envelope(404, "not_found", "Order not found")

    async def _held_cancel(self, hold: asyncio.Event) -> httpx.Response:
        await hold.wait()
        return self.cancel()

    def cancel(self) -> httpx.Response:
        """Cancel like the API: void what is in flight, refund what was taken."""
        if self.order["fulfillment_status"] not in ("PENDING", "IN_PROGRESS"):
            return envelope(409, "cancel_not_allowed", "Order is already being prepared")
        settled = {"PENDING": "VOIDED", "AUTHORIZED": "VOIDED"}
        for payment in self.order.get("payments", []):
            payment["status"] = settled.get(payment["status"], "REFUNDED")
        currency = self.order["total"]["currency"]
        self.order.update(
            status="CANCELLED",
            payment_status="UNPAID",
            fulfillment_status="CANCELLED",
            total_paid={"amount": 0, "currency": currency},
            balance_due=dict(self.order["total"]),
            updated_at="2026-01-31T10:10:00Z",
        )
        keys = ("id", "status", "payment_status", "fulfillment_status", "total_paid")
        body = {key: self.order[key] for key in (*keys, "balance_due")}
        return httpx.Response(200, json=body)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def gets(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "GET"]

    def cancels(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/cancel")]


async def no_sleep(_: float) -> None:
    return None


def make_client(
    transport: httpx.AsyncBaseTransport,
    base_url: str = BASE_URL,
    token: str = "sandbox",
    *,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> ToteClient:
    config = ClientConfig(base_url=base_url, token=token)
    return ToteClient(config, transport=transport, sleep=no_sleep, max_retries=max_retries)


class RecordingTracker(TrackerApp):
    """The tracker, with every notification it raised kept: words in ``notified``, titles
    in ``notified_titles``, desktop notifications in ``escapes``, bells in ``bells``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notified: list[str] = []
        self.notified_titles: list[str] = []
        self.escapes: list[str] = []
        """Every escape sent to the terminal (the desktop notifications)."""
        self.bells = 0

    def write_escape(self, sequence: str) -> bool:
        self.escapes.append(sequence)
        return True

    def bell(self) -> None:
        self.bells += 1

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.notified.append(message)
        self.notified_titles.append(str(kwargs.get("title", "")))
        super().notify(message, *args, **kwargs)


def make_app(
    transport: httpx.AsyncBaseTransport,
    *,
    order_id: str = ORDER_ID,
    clock: FakeClock | None = None,
    base_url: str = BASE_URL,
    token: str = "sandbox",
    sandbox_url: str | None = None,
    policy: PollingPolicy | None = None,
    notify: bool = True,
    notifier: Notifier | None = None,
) -> RecordingTracker:
    """The tracker on ``transport`` with a frozen clock, UTC times and no automatic polls.

    Its client never retries, as ``run_tracker``'s: every wait is the polling policy's.
    """
    return RecordingTracker(
        lambda: make_client(transport, base_url, token, max_retries=0),
        order_id,
        clock=(clock or FakeClock()).clock,
        policy=policy,
        notify=notify,
        notifier=notifier,
        sandbox_url=sandbox_url,
        auto_poll=False,
        tz=UTC,
    )


SETTLE_SECONDS = 10.0
"""How long :func:`settle` waits for the workers to end and the screen to stop changing."""


async def settle(pilot: Pilot[Any], *, within: float = SETTLE_SECONDS) -> None:
    """Let every worker finish and every resulting message be handled, until the screen
    stops changing (on a busy machine a layout may ask for another render pass late).

    Raises AssertionError, naming what was still going, when that takes over ``within``
    seconds: a test fails instead of waiting.
    """
    app = pilot.app
    deadline = asyncio.get_running_loop().time() + within
    try:
        async with asyncio.timeout_at(deadline):
            while True:
                # Errors are the app's business (each worker handles its own, or the app
                # does): a failed or cancelled worker has ended all the same.
                ends = (worker.wait() for worker in app.workers)
                await asyncio.gather(*ends, return_exceptions=True)
                await pilot.pause()
                if not any(worker.is_running for worker in app.workers):  # none new
                    break
    except TimeoutError:
        running = [w.description or w.name for w in app.workers if w.is_running]
        raise AssertionError(f"workers still running after {within:g} s: {running}") from None
    shown = app.export_screenshot()
    while True:
        await pilot.pause()
        now = app.export_screenshot()
        if now == shown:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the screen was still changing after {within:g} s")
        shown = now


async def poll(pilot: Pilot[Any]) -> None:
    """Press ``r`` (check now) and wait for the answer to be shown."""
    await pilot.press("r")
    await settle(pilot)


_SVG_TEXT = re.compile(
    r'<text class="[^"]*-r\d+" x="(?P<x>[\d.]+)" y="[\d.]+" textLength="(?P<length>[\d.]+)"'
    r' clip-path="url\(#[^)]*-line-(?P<line>\d+)\)">(?P<text>.*?)</text>'
)


def screen_text(app: App[Any]) -> str:
    """Everything on the screen (dialogs over the app included) as plain text: the app's
    own screenshot (``export_screenshot``), read back into rows of cells."""
    rows = [[" "] * app.size.width for _ in range(app.size.height)]
    for found in _SVG_TEXT.finditer(app.export_screenshot()):
        text = html.unescape(found["text"]).replace("\xa0", " ")
        cells = cell_len(text)
        # Every piece of text is laid out at its column: x = column * the width of a cell.
        column = round(float(found["x"]) * cells / float(found["length"])) if cells else 0
        row = rows[int(found["line"])]
        for character in text:
            if column >= len(row):
                break
            row[column] = character
            width = cell_len(character)
            for extra in range(1, width):  # a wide character covers the next cell
                if column + extra < len(row):
                    row[column + extra] = ""
            column += width
    return "\n".join("".join(row) for row in rows)


def region_words(app: App[Any], region: Region) -> str:
    """The words on one rectangle of the screen (a dialog, a panel), as for screen_words."""
    rows = screen_text(app).splitlines()[region.y : region.bottom]
    return " ".join(" ".join(row[region.x : region.right] for row in rows).split())


def screen_words(app: App[Any]) -> str:
    """The screen's text with every run of whitespace made one space (wrapping ignored)."""
    return " ".join(screen_text(app).split())


# What the loop's other tasks are named: the widgets' message pumps, the test's own run and
# unnamed tasks (workers, the test itself).
_NOT_TIMERS = ("message pump ", "run_test ", "Task-")


def timer_tasks() -> list[str]:
    """The names of the Textual timers running on this loop, one per timer, Textual's own
    included (see :func:`textual_own_timers`): a timer runs as an asyncio task named after
    it (its ``name``), read through asyncio's public task API."""
    return [
        name
        for task in asyncio.all_tasks()
        if not task.done() and not (name := task.get_name()).startswith(_NOT_TIMERS)
    ]


def running_timers() -> set[str]:
    """The names of the running timers (:func:`timer_tasks`), each once."""
    return set(timer_tasks())


async def textual_own_timers() -> set[str]:
    """The timers a bare Textual app runs (its animator, its screen's updates): what
    :func:`running_timers` shows for an app that started none of its own."""
    async with App[None]().run_test():
        return running_timers()


SEVERAL = {
    "27c343aa-5e1f-4b6a-9c2d-7e8f9a0b1c2d": {
        "fulfillment_status": "PREPARING",
        "handoff": {"mode": "PICKUP"},
    },
    "9be1d404-3c2b-4a1d-8e7f-6a5b4c3d2e1f": {
        "fulfillment_status": "READY_FOR_PICKUP",
        "handoff": {
            "mode": "DELIVERY",
            "delivery_address": {"line1": "12 Main St", "city": "Springfield"},
        },
    },
    "c0ffee12-7d6e-4f5a-b4c3-d2e1f0a9b8c7": {
        "status": "CANCELLED",
        "payment_status": "UNPAID",
        "fulfillment_status": "CANCELLED",
        "total_paid": {"amount": 0, "currency": "USD"},
        "payments": [],
    },
}
"""Three orders of the guide's kind in three states, for the several-orders tracker."""


def several_orders_transport(orders: dict[str, dict[str, Any]] = SEVERAL) -> httpx.MockTransport:
    """An Orders API serving ``orders`` (id: the fields that differ from the guide's order)."""
    served = {
        order_id: {**guide_order(), "id": order_id, **fields} for order_id, fields in orders.items()
    }

    def handle(request: httpx.Request) -> httpx.Response:
        order_id = request.url.path.rsplit("/", 1)[-1]
        if request.method == "GET" and order_id in served:
            return httpx.Response(200, json=copy.deepcopy(served[order_id]))
        return envelope(404, "not_found", "Order not found")

    return httpx.MockTransport(handle)


def make_several_app(
    transport: httpx.AsyncBaseTransport, order_ids: list[str], clock: FakeClock | None = None
) -> RecordingTracker:
    """The tracker following several orders on ``transport``, as :func:`make_app`."""
    return RecordingTracker(
        lambda: make_client(transport, max_retries=0),
        order_ids,
        clock=(clock or FakeClock()).clock,
        auto_poll=False,
        tz=UTC,
    )
