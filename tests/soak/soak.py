"""The soak: both trackers follow every scripted journey against a sandbox full of faults.

A real sandbox (``EmbeddedSandbox``, a loopback socket) plays each autoplay scenario while
injecting faults into the order endpoints: 5xx, dropped connections, 200-500 ms latency and
a rate limit answering 429 with ``Retry-After``. For each scenario and each tracker -- the
headless ``tote-track watch --json`` in a subprocess, and the ``TrackerApp`` driven by Pilot
with automatic polling and a real client -- one order is created and followed to its end.

Each run is judged on:

* crashes: a traceback on the watch's stderr, a line that is not JSON, an exception out of
  the Textual app, an error screen or a "stopped" tracker;
* the final state: the tracker's last ``status``/``fulfillment_status`` (and the watch's
  exit code) are the scenario's, and the sandbox ends where the scenario ends;
* the request rate: every ``GET /orders/{id}`` of the run's order is logged on the server
  side; in any window of one policy minute (60 s of the polling schedules, which the soak
  runs ``poll_speed`` times faster) there may be no more than ``(60 / d + 1) * tries``,
  where ``d`` is the policy's shortest delay (the payment scenario's initial interval) and
  ``tries`` is the client's ``max_retries + 1`` per poll (1 for ``watch``, whose policy owns
  every wait);
* cancels: in ``cancel_window`` the customer cancels (through the tracker's dialog, or with
  ``ToteClient.cancel_order`` beside the watch) and the cancel must be applied exactly once,
  each payment refunded or voided once, although the soak loses the reply of some applied
  cancels on the way back so that clients retry them (the retries must be replays); in
  ``too_late_to_cancel`` the cancel is refused and nothing is refunded.

``make soak`` runs :data:`FULL` (``python -m tests.soak.soak --full``) and prints a table;
``tests/soak/test_soak_short.py`` runs :data:`SHORT` inside ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import sys
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tote_track.api.client import DEFAULT_MAX_RETRIES, ToteClient
from tote_track.api.control import SandboxControl
from tote_track.api.errors import CancelNotAllowedError, ToteError
from tote_track.api.models import (
    FulfillmentStatus,
    Order,
    PaymentState,
    PaymentStatus,
)
from tote_track.sandbox.autoplay import SCENARIO_NAMES, SCENARIOS
from tote_track.sandbox.engine import Engine
from tote_track.sandbox.server import BASE_PATH, EmbeddedSandbox
from tote_track.sandbox.store import IdempotencyRecord, OrderRecord
from tote_track.tracking.polling import PollingPolicy, Scenario, StopReason
from tote_track.tui.tracker.app import TrackerApp
from tote_track.tui.tracker.dialogs import CancelScreen, MessageScreen

WATCH = "watch"
TUI = "tui"
TRACKERS = (WATCH, TUI)
CANCEL_REASON = "Ordered by mistake"

# -- what each scenario must end in ---------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A scenario's right endings.

    ``finals``: the (status, fulfillment_status, watch exit code) a tracker may end on --
    one, except for ``returned``, where the return comes after COMPLETED: ``watch`` stops
    at COMPLETED (exit 0, whether a poll saw FULFILLED or already RETURNED); the tracker
    keeps its slow check and ends on RETURNED. ``sandbox``: the order's
    (status, fulfillment_status) in the sandbox once the scenario has played out.
    ``cancel``: "customer" (the customer cancels in time), "too_late" (the cancel is
    refused) or None. ``refunds``/``voids``: payments the sandbox refunds/voids.
    """

    finals: tuple[tuple[str, str, int], ...]
    sandbox: tuple[str, str]
    cancel: str | None = None
    refunds: int = 0
    voids: int = 0


_DONE = (("COMPLETED", "FULFILLED", 0),)
EXPECTED: dict[str, Expect] = {
    "pickup": Expect(_DONE, ("COMPLETED", "FULFILLED")),
    "curbside": Expect(_DONE, ("COMPLETED", "FULFILLED")),
    "kiosk": Expect(_DONE, ("COMPLETED", "FULFILLED")),
    "delivery": Expect((("COMPLETED", "DELIVERED", 0),), ("COMPLETED", "DELIVERED")),
    "payment_failed": Expect((("FAILED", "CANCELLED", 1),), ("FAILED", "CANCELLED")),
    "voided": Expect((("VOIDED", "CANCELLED", 1),), ("VOIDED", "CANCELLED"), voids=1),
    "split_payment": Expect(_DONE, ("COMPLETED", "FULFILLED")),
    "cancel_window": Expect(
        (("CANCELLED", "CANCELLED", 1),), ("CANCELLED", "CANCELLED"), "customer", refunds=1
    ),
    "too_late_to_cancel": Expect(_DONE, ("COMPLETED", "FULFILLED"), "too_late"),
    "returned": Expect(
        (("COMPLETED", "FULFILLED", 0), ("COMPLETED", "RETURNED", 0)), ("COMPLETED", "RETURNED")
    ),
    "store_cancel": Expect((("CANCELLED", "CANCELLED", 1),), ("CANCELLED", "CANCELLED"), refunds=1),
}


# -- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Faults:
    """The faults of a soak. The sandbox takes one ``latency_ms``; the soak's request log
    adds a uniform extra delay up to ``latency_ms[1] - latency_ms[0]`` on the order
    endpoints, so every request waits between the two bounds."""

    error_rate: float = 0.3
    drop_rate: float = 0.1
    latency_ms: tuple[int, int] = (200, 500)
    rate_limit_per_minute: int = 40
    lost_cancel_reply_rate: float = 0.5
    """Share of applied cancels (200) whose reply the soak drops on the way back."""


@dataclass(frozen=True)
class SoakConfig:
    scenarios: tuple[str, ...]
    trackers: tuple[str, ...] = TRACKERS
    rounds: int = 1
    faults: Faults = field(default_factory=Faults)
    speed: float = 10.0
    """Autoplay speed (a pickup takes 132 s at speed 1, 13 s at 10x)."""
    speeds: dict[str, float] = field(
        default_factory=lambda: {"cancel_window": 5.0, "too_late_to_cancel": 10.0}
    )
    """Slower scenarios: cancel_window leaves the customer 15 s (at 5x) to get a cancel
    through the faults; too_late_to_cancel gives the tracker time to show the order before
    the store starts (so the refusal comes from the server, not from the tracker)."""
    poll_speed: float = 10.0
    """The polling schedules run this many times faster (payment 0.1-0.5 s for 12 s,
    preparation 0.5-3 s, delivery 1-6 s)."""
    concurrency: int = 8
    run_timeout: float = 90.0
    seed: int = 6

    def speed_of(self, scenario: str) -> float:
        return self.speeds.get(scenario, self.speed)


# The short soak runs inside `make test`, beside the rest of the suite: its customer gets
# 35 s (cancel_window at 2x) to cancel through the faults, so a busy machine still makes it.
SHORT = SoakConfig(
    scenarios=("pickup", "delivery", "cancel_window", "store_cancel"),
    speeds={"cancel_window": 2.0, "too_late_to_cancel": 10.0},
)
# The rate limit is the sandbox's, shared by every tracker running at once (as trackers
# sharing one API token would). Much tighter than 180/min for ten trackers, some of them
# see nothing but failures for the payment stage's whole max duration (12 s at 10x) and
# stop as designed (watch exits 4, the tracker pauses): right behaviour, wrong soak.
FULL = SoakConfig(
    scenarios=SCENARIO_NAMES,
    rounds=3,
    faults=Faults(error_rate=0.4, drop_rate=0.15, rate_limit_per_minute=180),
    speeds={"cancel_window": 3.0, "too_late_to_cancel": 10.0},
    concurrency=10,
)


# -- the sandbox side: a request log, and an audit of cancels and settlements ------------------


@dataclass
class Entry:
    at: float
    method: str
    order_id: str | None
    cancel: bool
    status: int | None = None
    """None: the connection was dropped without a response."""
    replayed: bool = False
    lost: bool = False


class RequestLog:
    """ASGI layer around the running sandbox: logs every order request, adds latency jitter
    and loses the reply of some applied cancels (the connection closes instead)."""

    def __init__(self, inner: ASGIApp, *, faults: Faults, rng: random.Random) -> None:
        self.inner = inner
        self.faults = faults
        self.rng = rng
        self.entries: list[Entry] = []
        self._lock = threading.Lock()

    def for_order(self, order_id: str) -> list[Entry]:
        with self._lock:
            return [e for e in self.entries if e.order_id == order_id]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefix = f"{BASE_PATH}/orders"
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(prefix):
            await self.inner(scope, receive, send)
            return
        parts = path[len(prefix) :].strip("/").split("/")
        entry = Entry(
            at=time.monotonic(),
            method=scope["method"],
            order_id=parts[0] or None,
            cancel=parts[-1] == "cancel",
        )
        with self._lock:
            self.entries.append(entry)
        low, high = self.faults.latency_ms
        if high > low:
            await asyncio.sleep(self.rng.uniform(0, high - low) / 1000)
        lose = entry.cancel and self.rng.random() < self.faults.lost_cancel_reply_rate

        async def logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = int(message["status"])
                entry.replayed = any(
                    k.lower() == b"idempotent-replayed" for k, _ in message.get("headers", ())
                )
                entry.lost = lose and entry.status == 200 and not entry.replayed
            if not entry.lost:
                await send(message)

        await self.inner(scope, receive, logged)
        if entry.lost:
            # As the sandbox's own dropped connections: close the socket, no response.
            cycle = getattr(receive, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is not None:
                transport.close()
                for _ in range(10):
                    if getattr(cycle, "disconnected", True):
                        break
                    await asyncio.sleep(0)


@dataclass
class Audit:
    """Every cancel the engine applied, and every payment it refunded or voided."""

    cancels: Counter[str] = field(default_factory=Counter)
    settled: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))

    def install(self, engine: Engine) -> None:
        original_cancel = engine.cancel_record
        store = engine.store
        original_put = store.put

        def cancel_record(
            order_id: str, reason: str, *, idempotency: tuple[str, str] | None = None
        ) -> OrderRecord:
            record = original_cancel(order_id, reason, idempotency=idempotency)
            self.cancels[record.id] += 1
            return record

        def put(record: OrderRecord, *, idempotency: IdempotencyRecord | None = None) -> None:
            previous = store.get(record.id)
            before = {p.id: p.status for p in previous.order.payments} if previous else {}
            original_put(record, idempotency=idempotency)
            for payment in record.order.payments:
                settled = payment.status in (PaymentState.REFUNDED, PaymentState.VOIDED)
                if settled and before.get(payment.id) != payment.status:
                    self.settled[record.id].append((payment.id, payment.status.value))

        engine.cancel_record = cancel_record  # type: ignore[method-assign]
        store.put = put  # type: ignore[method-assign]


# -- results ------------------------------------------------------------------------------


@dataclass
class RunResult:
    round: int
    scenario: str
    tracker: str
    order_id: str = ""
    final: tuple[str, str, str] | None = None
    exit_code: int | None = None
    requests: int = 0
    max_per_minute: int = 0
    bound: int = 0
    failed: int = 0
    """Order requests answered 5xx or 429, or dropped: each one a retry."""
    rate_limited: int = 0
    cancel_posts: int = 0
    cancels_applied: int = 0
    replays: int = 0
    refunds: int = 0
    voids: int = 0
    crashes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def row(self) -> tuple[str, ...]:
        final = "/".join(self.final) if self.final else "-"
        cancels = (
            f"{self.cancels_applied}/{self.cancel_posts}/{self.replays}"
            if self.cancel_posts
            else "-"
        )
        return (
            str(self.round),
            self.scenario,
            self.tracker,
            final,
            "-" if self.exit_code is None else str(self.exit_code),
            str(self.requests),
            f"{self.max_per_minute}/{self.bound}",
            str(self.failed),
            cancels,
            f"{self.refunds}/{self.voids}",
            str(self.crashes),
            "ok" if self.ok else "FAIL",
        )


HEADER = (
    "round",
    "scenario",
    "tracker",
    "final (status/payment/fulfillment)",
    "exit",
    "requests",
    "max/min (bound)",
    "retries",
    "cancels applied/sent/replayed",
    "refunds/voids",
    "crashes",
    "",
)


def table(results: Sequence[RunResult]) -> str:
    rows = [HEADER, *(r.row() for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


@dataclass
class SoakReport:
    config: SoakConfig
    results: list[RunResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def summary(self) -> str:
        results = self.results
        requests = sum(r.requests for r in results)
        failed = sum(r.failed for r in results)
        worst = max(results, key=lambda r: r.max_per_minute / max(r.bound, 1))
        lines = [
            table(results),
            "",
            f"{len(results)} runs in {self.seconds:.0f} s: "
            f"{sum(r.ok for r in results)} ok, {sum(r.crashes for r in results)} crashes; "
            f"{requests} order requests, {failed} failed by injected faults and retried "
            f"({sum(r.rate_limited for r in results)} of them 429); "
            f"highest rate {worst.max_per_minute} requests per policy minute against a "
            f"bound of {worst.bound} ({worst.scenario}, {worst.tracker}); "
            f"cancels applied {sum(r.cancels_applied for r in results)}, "
            f"replayed {sum(r.replays for r in results)}; "
            f"refunds {sum(r.refunds for r in results)}, voids {sum(r.voids for r in results)}.",
        ]
        for r in results:
            for problem in r.problems:
                lines.append(f"FAIL round {r.round} {r.scenario} {r.tracker}: {problem}")
        return "\n".join(lines)


# -- the runs -----------------------------------------------------------------------------


def rate_bound(policy: PollingPolicy, tries: int, poll_speed: float) -> tuple[float, int]:
    """(window in real seconds, most requests the policy allows in it)."""
    window = 60.0 / poll_speed
    shortest = min(schedule.initial for schedule in policy.schedules.values())
    return window, (math.floor(window / shortest + 1e-9) + 1) * tries


def max_in_window(times: Sequence[float], window: float) -> int:
    best = 0
    start = 0
    ordered = sorted(times)
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class Soak:
    config: SoakConfig
    sandbox: EmbeddedSandbox
    log: RequestLog
    audit: Audit
    engine: Engine
    control: SandboxControl

    @property
    def policy(self) -> PollingPolicy:
        return PollingPolicy().scaled(self.config.poll_speed)

    async def run(self, round_: int, scenario: str, tracker: str) -> RunResult:
        result = RunResult(round_, scenario, tracker)
        speed = self.config.speed_of(scenario)
        order = await self.control.create_order(
            {"autoplay": {"scenario": scenario, "speed": speed}}
        )
        result.order_id = order.id
        expect = EXPECTED[scenario]
        try:
            if tracker == WATCH:
                await self._watch(result, expect)
            else:
                await self._tui(result, expect)
        except Exception as exc:  # a crash of the tracker or of the soak's driving
            result.crashes += 1
            result.problems.append(
                "crash: " + "".join(traceback.format_exception_only(exc)).strip()
            )
        await self._judge(result, expect, speed)
        return result

    # -- the headless watch, as a user runs it ------------------------------------------------

    async def _watch(self, result: RunResult, expect: Expect) -> None:
        env = {**os.environ, "TOTE_API_TOKEN": self.sandbox.token, "NO_COLOR": "1"}
        env.pop("TOTE_API_BASE_URL", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tote_track",
            "watch",
            result.order_id,
            "--json",
            "--poll-speed",
            str(self.config.poll_speed),
            "--base-url",
            self.sandbox.base_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        canceller = None
        if expect.cancel is not None:
            canceller = asyncio.create_task(self._cancel_beside(result, expect.cancel))
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.config.run_timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            result.problems.append(f"watch still running after {self.config.run_timeout:g} s")
            return
        finally:
            if canceller is not None:
                await canceller
        result.exit_code = proc.returncode
        stderr = err.decode(errors="replace")
        if "Traceback" in stderr:
            result.crashes += 1
            result.problems.append("traceback on stderr: " + stderr.strip().splitlines()[-1])
        events: list[dict[str, Any]] = []
        for line in out.decode(errors="replace").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                result.crashes += 1
                result.problems.append(f"stdout line is not JSON: {line[:80]!r}")
        if not events or events[-1].get("event") != "finished":
            last = events[-1] if events else None
            result.problems.append(f"the watch did not finish on the order's state: {last}")
            return
        last = events[-1]
        result.final = (last["status"], last["payment_status"], last["fulfillment_status"])
        if last.get("exit_code") != proc.returncode:
            result.problems.append(
                f"exit code {proc.returncode} but the finished event says {last.get('exit_code')}"
            )

    async def _cancel_beside(self, result: RunResult, kind: str) -> None:
        """The customer cancels from another client while the watch follows the order."""
        order_id = result.order_id
        deadline = time.monotonic() + self.config.run_timeout
        while time.monotonic() < deadline:
            order = self.engine.get_order(order_id)
            if kind == "customer" and order.payment_status == PaymentStatus.PAID:
                break
            if kind == "too_late" and order.fulfillment_status not in (
                FulfillmentStatus.PENDING,
                FulfillmentStatus.IN_PROGRESS,
            ):
                break
            await asyncio.sleep(0.02)
        key = str(uuid.uuid4())
        async with ToteClient(self.sandbox.config) as client:
            for _ in range(40):
                try:
                    await client.cancel_order(order_id, CANCEL_REASON, idempotency_key=key)
                except CancelNotAllowedError:
                    if kind == "customer":
                        result.problems.append("the customer's cancel was refused")
                    return
                except ToteError as error:
                    if not error.transient:
                        result.problems.append(f"cancel failed: {error}")
                        return
                    await asyncio.sleep(0.1)  # the client's own retries were used up
                    continue
                if kind == "too_late":
                    result.problems.append("a cancel after preparation started was accepted")
                return
        result.problems.append("the cancel never got an answer")

    # -- the tracker through Pilot --------------------------------------------------------------

    async def _tui(self, result: RunResult, expect: Expect) -> None:
        config = self.sandbox.config
        app = TrackerApp(
            lambda: ToteClient(config),
            result.order_id,
            policy=self.policy,
            notify=True,
            auto_poll=True,
        )
        cancel = expect.cancel
        state = "none" if cancel is None else "todo"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.run_timeout
        async with app.run_test(size=(100, 34)) as pilot:
            while True:
                if loop.time() > deadline:
                    result.problems.append(
                        f"the tracker did not finish in {self.config.run_timeout:g} s "
                        f"({app.freshness_text()[0]})"
                    )
                    break
                await asyncio.sleep(0.02)
                order = app.order
                screen = app.screen
                if state == "todo" and app.progress is not None and app.progress.finished:
                    state = "done"  # it ended before the customer could try (judged below)
                elif state == "todo" and order is not None and type(screen) is not MessageScreen:
                    if cancel == "customer" and order.payment_status == PaymentStatus.PAID:
                        state = await self._open_cancel(pilot, app, confirm=True)
                    elif cancel == "too_late":
                        state = await self._open_cancel(pilot, app, confirm=False)
                elif state == "open":  # too late: confirm once the store has started
                    live = self.engine.get_order(result.order_id)
                    if live.fulfillment_status not in (
                        FulfillmentStatus.PENDING,
                        FulfillmentStatus.IN_PROGRESS,
                    ):
                        await pilot.press("y")
                        state = "sent"
                elif state == "sent":
                    if isinstance(screen, CancelScreen) and not screen.busy:
                        await pilot.press("y")  # the request failed: try again, same key
                    elif isinstance(screen, MessageScreen):
                        if cancel == "customer":
                            result.problems.append("the customer's cancel was refused")
                        await pilot.press("enter")
                        state = "done"
                    elif not isinstance(screen, CancelScreen) and not app.cancelling:
                        state = "done"
                        if cancel == "too_late":
                            result.problems.append("a cancel after preparation was accepted")
                plan = app.plan
                finished = plan is not None and (
                    plan.stop is StopReason.TERMINAL
                    # Completed: the slow check for a return goes on; only the `returned`
                    # scenario waits for it.
                    or (plan.scenario is Scenario.COMPLETED and result.scenario != "returned")
                )
                if finished and state in ("none", "done") and not app.cancelling:
                    break
            words, mood = app.freshness_text()
            if mood == "error" or type(app.screen).__name__ == "ErrorScreen":
                result.crashes += 1
                result.problems.append(f"the tracker stopped on an error: {words}")
            if app.order is not None:
                shown = app.order
                result.final = (
                    shown.status.value,
                    shown.payment_status.value,
                    shown.fulfillment_status.value,
                )
            await pilot.press("q")

    async def _open_cancel(self, pilot: Any, app: TrackerApp, *, confirm: bool) -> str:
        await pilot.press("c")
        screen = app.screen
        if isinstance(screen, MessageScreen):  # the tracker already knows it is too late
            await pilot.press("enter")
            return "done"
        if not isinstance(screen, CancelScreen):
            return "todo"
        if confirm:
            await pilot.press("y")
            return "sent"
        return "open"

    # -- judging a run --------------------------------------------------------------------------

    async def _judge(self, result: RunResult, expect: Expect, speed: float) -> None:
        finals = {(s, f): code for s, f, code in expect.finals}
        if result.final is not None:
            status, _, fulfillment = result.final
            if (status, fulfillment) not in finals:
                result.problems.append(
                    f"ended at {status}/{fulfillment}, expected "
                    + " or ".join(f"{s}/{f}" for s, f in finals)
                )
            elif result.tracker == WATCH and result.exit_code != finals[(status, fulfillment)]:
                result.problems.append(
                    f"exit code {result.exit_code}, expected {finals[(status, fulfillment)]}"
                )
        elif not result.problems:
            result.problems.append("the tracker never showed the order")
        # The sandbox ends where the scenario ends (the returned scenario plays on after
        # the tracker stops at COMPLETED).
        wait_until = time.monotonic() + SCENARIOS[result.scenario].duration / speed + 5
        live = self.engine.get_order(result.order_id)
        while (live.status.value, live.fulfillment_status.value) != expect.sandbox:
            if time.monotonic() > wait_until:
                result.problems.append(
                    f"the sandbox's order ended at {live.status.value}/"
                    f"{live.fulfillment_status.value}, expected {'/'.join(expect.sandbox)}"
                )
                break
            await asyncio.sleep(0.05)
            live = self.engine.get_order(result.order_id)
        same_stage = result.final is not None and result.final[2] == _state(live)[2]
        if same_stage and result.final != _state(live):
            result.problems.append(f"tracker shows {result.final}, sandbox {_state(live)}")
        self._judge_requests(result)
        self._judge_cancels(result, expect, live)

    def _judge_requests(self, result: RunResult) -> None:
        entries = self.log.for_order(result.order_id)
        gets = [e for e in entries if e.method == "GET"]
        tries = 1 if result.tracker == WATCH else DEFAULT_MAX_RETRIES + 1
        window, bound = rate_bound(self.policy, tries, self.config.poll_speed)
        result.requests = len(gets)
        result.bound = bound
        result.max_per_minute = max_in_window([e.at for e in gets], window)
        result.failed = sum(1 for e in gets if e.status is None or e.status >= 429)
        result.rate_limited = sum(1 for e in gets if e.status == 429)
        if result.max_per_minute > bound:
            result.problems.append(
                f"{result.max_per_minute} requests in one policy minute, more than {bound}"
            )
        if result.tracker == WATCH and len(gets) > 1:
            # No retry storm: a watch never asks again sooner than the shortest delay.
            shortest = min(s.initial for s in self.policy.schedules.values())
            times = sorted(e.at for e in gets)
            gap = min(b - a for a, b in itertools.pairwise(times))
            if gap < shortest * 0.9:
                result.problems.append(f"two polls {gap * 1000:.0f} ms apart")

    def _judge_cancels(self, result: RunResult, expect: Expect, live: Order) -> None:
        posts = [e for e in self.log.for_order(result.order_id) if e.cancel]
        result.cancel_posts = len(posts)
        result.replays = sum(1 for e in posts if e.replayed)
        result.cancels_applied = self.audit.cancels[result.order_id]
        settled = self.audit.settled.get(result.order_id, [])
        result.refunds = sum(1 for _, state in settled if state == PaymentState.REFUNDED.value)
        result.voids = sum(1 for _, state in settled if state == PaymentState.VOIDED.value)
        wanted = 1 if expect.cancel == "customer" else 0
        if result.cancels_applied != wanted:
            answers = Counter("dropped" if e.status is None else str(e.status) for e in posts)
            result.problems.append(
                f"{result.cancels_applied} cancels applied, expected {wanted} "
                f"(cancel requests answered: {dict(answers)})"
            )
        payment_ids = [pid for pid, _ in settled]
        if len(payment_ids) != len(set(payment_ids)):
            result.problems.append(f"a payment was settled twice: {settled}")
        if (result.refunds, result.voids) != (expect.refunds, expect.voids):
            result.problems.append(
                f"{result.refunds} refunds and {result.voids} voids, expected "
                f"{expect.refunds} and {expect.voids}"
            )
        if expect.cancel == "customer" and live.payment_status != PaymentStatus.UNPAID:
            result.problems.append(f"cancelled but payment {live.payment_status.value}")


def _state(order: Order) -> tuple[str, str, str]:
    return (order.status.value, order.payment_status.value, order.fulfillment_status.value)


async def run_soak(
    config: SoakConfig, *, progress: Callable[[RunResult], None] | None = None
) -> SoakReport:
    """Every scenario x tracker x round of ``config`` against one faulty sandbox."""
    started = time.monotonic()
    faults = config.faults
    async with EmbeddedSandbox() as sandbox:
        app = sandbox.app
        engine: Engine = app.state.engine
        assert app.middleware_stack is not None  # built when the server started
        log = RequestLog(app.middleware_stack, faults=faults, rng=random.Random(config.seed))
        app.middleware_stack = log
        engine.faults.rng = random.Random(config.seed + 1)
        audit = Audit()
        audit.install(engine)
        async with ToteClient(sandbox.config) as admin:
            control = SandboxControl(admin)
            await control.set_faults(
                error_rate=faults.error_rate,
                drop_rate=faults.drop_rate,
                latency_ms=faults.latency_ms[0],
                rate_limit_per_minute=faults.rate_limit_per_minute,
            )
            soak = Soak(config, sandbox, log, audit, engine, control)
            gate = asyncio.Semaphore(config.concurrency)

            async def one(round_: int, scenario: str, tracker: str) -> RunResult:
                async with gate:
                    result = await soak.run(round_, scenario, tracker)
                if progress is not None:
                    progress(result)
                return result

            jobs = [
                one(round_, scenario, tracker)
                for round_ in range(1, config.rounds + 1)
                for scenario in config.scenarios
                for tracker in config.trackers
            ]
            results = list(await asyncio.gather(*jobs))
            await control.clear_faults()
    return SoakReport(config, results, time.monotonic() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.soak.soak",
        description="Follow every sandbox scenario with both trackers under injected faults.",
    )
    parser.add_argument("--full", action="store_true", help="every scenario, three rounds")
    parser.add_argument("--rounds", type=int, help="rounds (default: 3 with --full, else 1)")
    parser.add_argument("--scenario", action="append", choices=SCENARIO_NAMES)
    args = parser.parse_args(argv)
    config = FULL if args.full else SHORT
    if args.scenario:
        config = replace(config, scenarios=tuple(args.scenario))
    if args.rounds:
        config = replace(config, rounds=args.rounds)
    f = config.faults
    print(
        f"soak: {len(config.scenarios)} scenarios x {len(config.trackers)} trackers x "
        f"{config.rounds} rounds; faults {f.error_rate:.0%} 5xx, {f.drop_rate:.0%} dropped, "
        f"{f.latency_ms[0]}-{f.latency_ms[1]} ms, {f.rate_limit_per_minute}/min rate limit, "
        f"{f.lost_cancel_reply_rate:.0%} of applied cancels lose their reply; autoplay "
        f"{config.speed:g}x, polling {config.poll_speed:g}x",
        flush=True,
    )

    def progress(result: RunResult) -> None:
        mark = "ok" if result.ok else "FAIL"
        print(f"  {mark} round {result.round} {result.scenario} {result.tracker}", flush=True)

    report = asyncio.run(run_soak(config, progress=progress))
    print()
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
