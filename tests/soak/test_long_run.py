"""The long run: a simulated day of tracker and board polling on a fake clock.

The sandbox runs in-process (``httpx.ASGITransport``) on the same fake clock as both apps;
nothing waits for real. Over the simulated hours:

* the tracker (``TrackerApp``, automatic polling off) polls whenever its polling plan says,
  the clock jumping by the plan's delay each time; its order goes through a full pickup
  (paid, accepted, 25 min of preparation, picked up 15 min later) and, 5 min after it
  ended, is put back at PENDING (same id) and the customer presses ``r``: a new journey;
* the board (``BoardApp``) sweeps its location every 5 s as it does when sweeps succeed,
  while eight orders cycle through the location (paid, accepted, preparing, ready,
  picked up, and back to the start 25 min later).

After a warm-up of :data:`WARM_UP_HOURS`, the run measures what is still allocated at the
end (tracemalloc: memory growth), asyncio tasks, Textual workers and timers, HTTP responses
left open and open file descriptors. Each simulated poll or sweep costs tens of milliseconds
of real time (Textual handling and drawing it; the board's 5 s sweeps are most of them), so
a simulated hour takes about 45 s: the test runs only when ``TOTE_LONG_RUN_HOURS`` is set,
as ``make soak`` does (6 h by default).
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.worker import Worker

from tests.tui.support import FakeClock, timer_tasks
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.models import FulfillmentStatus, Money, OrderStatus, PaymentStatus
from tote_track.sandbox.app import create_app
from tote_track.sandbox.engine import Engine, NewOrder
from tote_track.sandbox.store import OrderRecord
from tote_track.tracking.lifecycle import LifecycleEvent
from tote_track.tracking.polling import StopReason
from tote_track.tui.board.app import BoardApp
from tote_track.tui.tracker.app import TrackerApp

WARM_UP_HOURS = 0.1
MEMORY_LIMIT = 5 * 1024 * 1024
BASE_URL = "http://127.0.0.1:8787/v1/online-ordering"
LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
START = datetime(2026, 1, 31, 6, 0, 0, tzinfo=UTC)
BOARD_EVERY = 5.0

E = LifecycleEvent
# (seconds into the journey, event)
TRACKED_JOURNEY = (
    (2, E.PAYMENT_STARTED),
    (5, E.PAYMENT_COMPLETED),
    (30, E.ACCEPT),
    (120, E.START_PREPARING),
    (1500, E.READY),
    (2400, E.PICKED_UP),
)
TRACKED_RESTART = 2700  # 5 min after the pickup
BOARD_JOURNEY = (
    (0, E.PAYMENT_STARTED),
    (1, E.PAYMENT_COMPLETED),
    (60, E.ACCEPT),
    (120, E.START_PREPARING),
    (900, E.READY),
    (1200, E.PICKED_UP),
)
BOARD_RESTART = 1500
BOARD_ORDERS = 8


class CountingTransport(httpx.AsyncBaseTransport):
    """The sandbox's ASGI transport, counting requests and responses not yet closed."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests = 0
        self.open_responses = 0
        self.closed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        response = await self.inner.handle_async_request(request)
        self.open_responses += 1
        assert isinstance(response.stream, httpx.AsyncByteStream)
        stream: httpx.AsyncByteStream = response.stream
        outer = self

        class Counted(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                async for chunk in stream:
                    yield chunk

            async def aclose(self) -> None:
                outer.open_responses -= 1
                await stream.aclose()

        response.stream = Counted()
        return response

    async def aclose(self) -> None:
        self.closed += 1
        await self.inner.aclose()


def restart(engine: Engine, order_id: str) -> None:
    """The order back at PENDING / UNPAID / PENDING with no payments (same id and
    created_at; ``updated_at`` moves on), as a brand-new order would be."""
    order = engine.get_order(order_id)
    fresh = order.model_copy(
        update={
            "status": OrderStatus.PENDING,
            "payment_status": PaymentStatus.UNPAID,
            "fulfillment_status": FulfillmentStatus.PENDING,
            "payments": [],
            "total_paid": Money(amount=0, currency=order.total.currency),
            "balance_due": order.total,
            "updated_at": max(engine.now(), order.updated_at + timedelta(microseconds=1)),
        }
    )
    engine.store.put(OrderRecord(fresh))


@dataclass
class Journey:
    order_id: str
    started: float
    script: tuple[tuple[int, LifecycleEvent], ...]
    restart_after: float
    step: int = 0

    def due(self, now: float) -> float:
        if self.step < len(self.script):
            return self.started + self.script[self.step][0]
        return self.started + self.restart_after

    def advance(self, engine: Engine, now: float) -> bool:
        """Apply what is due at ``now``; True when the journey started over."""
        restarted = False
        while self.due(now) <= now:
            if self.step < len(self.script):
                engine.apply_event(self.order_id, self.script[self.step][1])
                self.step += 1
            else:
                restart(engine, self.order_id)
                self.started = self.due(now)
                self.step = 0
                restarted = True
        return restarted


@dataclass
class Figures:
    hours: float
    polls: int = 0
    sweeps: int = 0
    journeys: int = 0
    requests: int = 0
    memory_growth: int = 0
    rss_before: int = 0
    rss_after: int = 0
    tasks: tuple[int, int] = (0, 0)
    tasks_outside: tuple[int, int] = (0, 0)
    timers: tuple[int, int] = (0, 0)
    workers: tuple[int, int] = (0, 0)
    fds: tuple[int, int] = (0, 0)
    open_responses: int = 0
    seconds: float = 0.0
    top: list[str] = field(default_factory=list)
    widgets: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    task_names: tuple[Counter[str], Counter[str]] = (Counter(), Counter())


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _widgets() -> Counter[str]:
    """Live Textual widgets by class (the apps' own and any left behind)."""
    return Counter(type(o).__name__ for o in gc.get_objects() if isinstance(o, Widget))


def _timers() -> int:
    """Running Textual timers (tasks named after them, see ``running_timers``)."""
    return len(timer_tasks())


def _task_names() -> Counter[str]:
    """Running asyncio tasks by what they run."""
    return Counter(
        getattr(task.get_coro(), "__qualname__", type(task.get_coro()).__name__)
        for task in asyncio.all_tasks()
    )


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def _settle(pilot: Pilot[Any]) -> None:
    """Every worker ended and its messages handled; raises when new ones keep starting."""
    app = pilot.app
    for _ in range(5):
        await asyncio.gather(*(w.wait() for w in app.workers), return_exceptions=True)
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return
    running = [w.description or w.name for w in app.workers if w.is_running]
    raise AssertionError(f"workers still running after 5 rounds of waiting: {running}")


def _changed(read: Callable[[], object]) -> Callable[[], bool]:
    """Whether what ``read`` returns is no longer what it returned now."""
    before = read()
    return lambda: read() is not before


async def _finish(worker: Worker[Any] | None, done: Callable[[], bool]) -> None:
    """Wait for a poll or sweep to be handled by its app (its worker's result shown)."""
    if worker is not None:
        await asyncio.gather(worker.wait(), return_exceptions=True)
    for _ in range(10_000):
        if done():
            return
        await asyncio.sleep(0)
    raise AssertionError("the app did not handle its poll")


async def simulate(hours: float) -> Figures:
    figures = Figures(hours)
    started = time.monotonic()
    clock = FakeClock(wall=START, monotonic=0.0)
    sandbox = create_app(token="sandbox", clock=clock.wall)
    engine: Engine = sandbox.state.engine
    transport = CountingTransport(httpx.ASGITransport(app=sandbox))
    config = ClientConfig(base_url=BASE_URL, token="sandbox")

    def client() -> ToteClient:
        return ToteClient(config, transport=transport)

    tracked = engine.create_order(NewOrder.model_validate({"handoff": {"mode": "PICKUP"}}))
    journeys = [Journey(tracked.id, 0.0, TRACKED_JOURNEY, TRACKED_RESTART)]
    for index in range(BOARD_ORDERS):
        clock.advance(1)
        body = NewOrder.model_validate({"location_id": LOCATION, "handoff": {"mode": "PICKUP"}})
        order = engine.create_order(body)
        offset = clock.mono + index * BOARD_RESTART / BOARD_ORDERS
        journeys.append(Journey(order.id, offset, BOARD_JOURNEY, BOARD_RESTART))

    tasks_before = len(asyncio.all_tasks())
    fds_before = _fds()
    tracker = TrackerApp(
        client, tracked.id, clock=clock.clock, notify=True, auto_poll=False, tz=UTC
    )
    board = BoardApp(client, LOCATION, clock=clock.clock, tz=UTC, auto_sweep=False)
    end = hours * 3600
    warm = WARM_UP_HOURS * 3600
    measuring = False
    async with (
        sandbox.router.lifespan_context(sandbox),
        tracker.run_test(size=(100, 34)) as tp,
        board.run_test(size=(120, 40)) as bp,
    ):
        await _settle(tp)
        await _settle(bp)
        next_poll = clock.mono + (tracker.plan.delay if tracker.plan and tracker.plan.delay else 1)
        next_sweep = clock.mono + BOARD_EVERY
        while clock.mono < end:
            due = min([next_poll, next_sweep, *(j.due(clock.mono) for j in journeys)])
            clock.advance(max(due - clock.mono, 0.0))
            now = clock.mono
            for journey in journeys:
                if journey.advance(engine, now) and journey.order_id == tracked.id:
                    figures.journeys += 1
                    next_poll = now  # the customer presses r on the new journey
            if now >= next_sweep:
                await _finish(board.refresh_board(), _changed(lambda: board.sweeps))
                figures.sweeps += 1
                next_sweep = now + BOARD_EVERY
            if now >= next_poll:
                changed = _changed(lambda: tracker.plan)
                tracker.action_poll_now()
                await _finish(None, changed)
                figures.polls += 1
                plan = tracker.plan
                assert plan is not None
                assert plan.stop is not StopReason.GAVE_UP, tracker.freshness_text()
                next_poll = now + plan.delay if plan.delay is not None else end + 1
            if not measuring and now >= warm:
                measuring = True
                gc.collect()
                tracemalloc.start(1)
                baseline = tracemalloc.take_snapshot()
                figures.rss_before = _rss()
                figures.widgets = (_widgets(), Counter())
                figures.tasks = (len(asyncio.all_tasks()), 0)
                figures.task_names = (_task_names(), Counter())
                figures.timers = (_timers(), 0)
                figures.workers = (len(tracker.workers) + len(board.workers), 0)
        await _settle(tp)
        await _settle(bp)
        gc.collect()
        if measuring:
            snapshot = tracemalloc.take_snapshot()
            figures.memory_growth = tracemalloc.get_traced_memory()[0]
            stats = snapshot.compare_to(baseline, "lineno")
            figures.top = [str(stat) for stat in stats[:5]]
            tracemalloc.stop()
        figures.rss_after = _rss()
        figures.widgets = (figures.widgets[0], _widgets())
        figures.tasks = (figures.tasks[0], len(asyncio.all_tasks()))
        figures.task_names = (figures.task_names[0], _task_names())
        figures.timers = (figures.timers[0], _timers())
        figures.workers = (figures.workers[0], len(tracker.workers) + len(board.workers))
        assert tracker.order is not None
        await tp.press("q")
        await bp.press("q")
    await asyncio.sleep(0)
    figures.tasks_outside = (tasks_before, len(asyncio.all_tasks()))
    figures.fds = (fds_before, _fds())
    figures.open_responses = transport.open_responses
    figures.requests = transport.requests
    figures.seconds = time.monotonic() - started
    assert transport.closed >= 1  # the clients closed their transport on the way out
    return figures


def report(figures: Figures) -> str:
    return (
        f"{figures.hours:g} h simulated in {figures.seconds:.1f} s: {figures.polls} tracker "
        f"polls over {figures.journeys} journeys, {figures.sweeps} board sweeps, "
        f"{figures.requests} requests; memory still allocated since the warm-up "
        f"{figures.memory_growth / 1e6:.2f} MB (RSS {figures.rss_before / 1e6:.1f} -> "
        f"{figures.rss_after / 1e6:.1f} MB); tasks {figures.tasks[0]} -> {figures.tasks[1]} "
        f"(apps running), {figures.tasks_outside[0]} -> {figures.tasks_outside[1]} (before/after "
        f"the apps); timers {figures.timers[0]} -> {figures.timers[1]}; workers "
        f"{figures.workers[0]} -> {figures.workers[1]}; responses left open "
        f"{figures.open_responses}; file descriptors {figures.fds[0]} -> {figures.fds[1]}\n"
        + f"\nwidgets more at the end: {figures.widgets[1] - figures.widgets[0]}"
        + f"\ntasks more at the end: {figures.task_names[1] - figures.task_names[0]}\n"
        + "\n".join(figures.top)
    )


@pytest.mark.slow
@pytest.mark.skipif(
    "TOTE_LONG_RUN_HOURS" not in os.environ,
    reason="minutes of real time per simulated hour: run by make soak (TOTE_LONG_RUN_HOURS)",
)
async def test_a_simulated_day_of_polling_leaks_nothing() -> None:
    hours = float(os.environ["TOTE_LONG_RUN_HOURS"])
    figures = await simulate(hours)
    text = report(figures)
    print(text)
    # Honest counts: the tracker polls at the guide's cadence (5-30 s while preparing).
    assert figures.polls >= hours * 3600 / 30 * 0.9, text
    assert figures.sweeps >= hours * 3600 / BOARD_EVERY - 2, text
    assert figures.journeys >= int(hours * 3600 // TRACKED_RESTART) - 1, text
    assert figures.memory_growth < MEMORY_LIMIT, text
    assert figures.tasks[1] <= figures.tasks[0], text
    assert figures.tasks_outside[1] <= figures.tasks_outside[0], text
    assert figures.timers[1] <= figures.timers[0], text
    assert figures.workers[1] == 0, text
    assert figures.open_responses == 0, text
    assert figures.fds[1] <= figures.fds[0], text
