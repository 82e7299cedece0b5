"""``tote-track demo``: the tracker (or the board) on the built-in sandbox, playing by itself.

The ``manual`` and ``manual_delivery`` scenarios create an order that does not move by itself,
for walking it through the tracker's QA console (``e``) step by step.

The sandbox runs in this process on a free loopback port (a real socket: its URL is shown
in the tracker, so it can be queried with curl meanwhile). Its server stack is imported
here, inside the command, and nowhere else in the tracker.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tote_track import exit_codes
from tote_track.api.client import ClientFactory, ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import ToteError
from tote_track.api.models import Order
from tote_track.run import CommandFailed, not_a_terminal, require_terminal, say
from tote_track.tracking.lifecycle import LifecycleEvent
from tote_track.tracking.polling import PollingPolicy

if TYPE_CHECKING:
    from tote_track.sandbox.server import EmbeddedSandbox
    from tote_track.serve import ServeAddress

__all__ = [
    "DEMO_NEW_FOR",
    "DEMO_SCENARIOS",
    "DEMO_WARM_ORDERS",
    "MANUAL_SCENARIOS",
    "DemoFailed",
    "DemoFeed",
    "DemoScenario",
    "board_demo_note",
    "create_demo_order",
    "demo_feed",
    "demo_order_body",
    "run_board_demo",
    "run_demo",
    "run_demo_command",
]


# Orders that only move when the QA console fires an event.
MANUAL_SCENARIOS: dict[str, dict[str, Any]] = {
    "manual": {"handoff": {"mode": "PICKUP"}},
    "manual_delivery": {
        "handoff": {
            "mode": "DELIVERY",
            "delivery_address": {"line1": "12 Main St", "line2": "Apt 4B", "city": "Springfield"},
            "delivery_instructions": "Leave at the front desk.",
        }
    },
}


def demo_order_body(scenario: str, speed: float) -> dict[str, Any]:
    """The ``POST /sandbox/orders`` body of an order that plays ``scenario`` by itself.

    The sandbox fills in what the scenario needs (its handoff, planned payments). A manual
    scenario's order waits for the QA console's events instead.
    """
    if scenario in MANUAL_SCENARIOS:
        return dict(MANUAL_SCENARIOS[scenario])
    return {"autoplay": {"scenario": scenario, "speed": speed}}


async def create_demo_order(config: ClientConfig, scenario: str, speed: float) -> Order:
    async with ToteClient(config) as client:
        return await SandboxControl(client).create_order(demo_order_body(scenario, speed))


def _check(scenario: str, speed: float) -> None:
    from tote_track.sandbox.autoplay import SCENARIO_NAMES

    names = (*SCENARIO_NAMES, *MANUAL_SCENARIOS)
    if scenario not in names:
        raise CommandFailed(
            f"unknown scenario {scenario!r}. Choose one of: {', '.join(names)}.",
            exit_codes.USAGE,
        )
    if not speed > 0:
        raise CommandFailed("--speed must be a positive number.", exit_codes.USAGE)


def run_demo(
    scenario: str, speed: float, *, follow: Callable[[ClientConfig, str], int] | None = None
) -> int:
    """Start the sandbox, create a scripted order and track it; returns the exit code.

    ``follow(config, order_id)``: how to track it instead of the tracker's screen (lines
    when there is no terminal); it returns the exit code. Raises :class:`DemoFailed` when
    the sandbox or the order cannot be made.
    """
    from tote_track.tui.tracker.app import run_tracker

    _check(scenario, speed)
    with demo_sandbox() as sandbox:
        try:
            order = asyncio.run(create_demo_order(sandbox.config, scenario, speed))
        except ToteError as error:
            raise DemoFailed(f"the demo order could not be created: {error}") from None
        if follow is not None:
            return follow(sandbox.config, order.id)
        # The sandbox plays the order `speed` times faster: polling keeps pace, so every
        # state the order passes through is seen (and announced) on screen.
        policy = PollingPolicy().scaled(speed)
        return run_tracker(sandbox.config, order.id, sandbox=True, policy=policy)


def _follow_in_lines(scenario: str, speed: float, not_terminal: str) -> int:
    if scenario in MANUAL_SCENARIOS:
        raise CommandFailed(
            f"the {scenario} scenario is moved by the QA console, which needs a "
            f"terminal ({not_terminal} is not one).",
            exit_codes.USAGE,
        )
    say(
        f"{not_terminal} is not a terminal: printing one line per change of the demo order "
        "until it ends (like `tote-track watch`)."
    )

    def follow(config: ClientConfig, order_id: str) -> int:
        from tote_track.headless import run_follow

        # The sandbox plays the order `speed` times faster: poll that much faster too.
        return run_follow(config, order_id, policy=PollingPolicy().scaled(speed))

    return run_demo(scenario, speed, follow=follow)


def run_demo_command(
    scenario: str, speed: float, *, board: bool = False, serve: ServeAddress | None = None
) -> int:
    """``tote-track demo``: the tracker's demo (or with ``board`` the board's) in this
    terminal, in lines without one, or served to web browsers; the exit code."""
    if serve is not None:
        from tote_track.serve import serve_board_demo, serve_tracker_demo

        if board:
            return serve_board_demo(speed, serve)
        return serve_tracker_demo(scenario, speed, serve)
    if board:
        require_terminal("the board")
        return run_board_demo(speed)
    not_terminal = not_a_terminal()
    if not_terminal:
        return _follow_in_lines(scenario, speed, not_terminal)
    return run_demo(scenario, speed)


# --------------------------------------------------------------------------- the board

DEMO_SCENARIOS: tuple[tuple[str, int], ...] = (("pickup", 5), ("curbside", 3), ("kiosk", 3))
"""Scenarios of the demo's orders, with weights."""
DEMO_ARRIVAL = (1.5, 4.5)
"""Seconds between two new orders at speed 1 (drawn uniformly)."""
DEMO_WARM_ORDERS = 16
"""Orders already in the store when the demo opens, at random points of their journey."""
DEMO_NEW_FOR = timedelta(seconds=20)
"""The demo's orders spend under a minute on the shelf, so NEW lasts 20 s there."""


@dataclass(frozen=True, slots=True)
class DemoScenario:
    """A journey the demo plays: its steps (seconds after the previous one at speed 1, and
    the event) and the order body it needs (its handoff)."""

    steps: tuple[tuple[float, LifecycleEvent], ...]
    body: Mapping[str, Any]


class DemoFeed:
    """A steady stream of orders at one location of the sandbox, as a busy store has.

    New orders play a scripted scenario by themselves (the sandbox's autoplay). The orders
    already in the store when the demo opens (:meth:`warm_up`) are walked to a random point
    of their journey at once, and the rest of their journey is played from here.
    """

    def __init__(
        self,
        config: ClientConfig,
        location_id: str,
        scenarios: Mapping[str, DemoScenario],
        *,
        speed: float = 1.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.config = config
        self._client_factory = client_factory or (lambda: ToteClient(config))
        self.location_id = location_id
        self.scenarios = scenarios
        self.speed = speed
        self.rng = rng or random.Random()
        self._sleep = sleep
        self._monotonic = monotonic
        self._due: list[tuple[float, int, str, str]] = []
        self._counter = itertools.count()
        self.created = 0

    def _scenario(self) -> str:
        names = [name for name, _ in DEMO_SCENARIOS if name in self.scenarios]
        weights = [weight for name, weight in DEMO_SCENARIOS if name in self.scenarios]
        return self.rng.choices(names, weights=weights)[0]

    def _body(self, scenario: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"location_id": self.location_id}
        if scenario is not None:
            speed = self.speed * self.rng.uniform(0.7, 1.3)
            body["autoplay"] = {"scenario": scenario, "speed": round(speed, 3)}
        return body

    async def warm_up(self, count: int = DEMO_WARM_ORDERS) -> None:
        """Create ``count`` orders part-way through their journeys (preparing or ready)."""
        now = self._monotonic()
        async with self._client_factory() as client:
            control = SandboxControl(client)
            for _ in range(count):
                scenario = self.scenarios[self._scenario()]
                steps = scenario.steps
                order = await control.create_order({**scenario.body, **self._body()})
                self.created += 1
                # Somewhere between being accepted and being collected.
                times = list(itertools.accumulate(delay for delay, _ in steps))
                events = [event for _, event in steps]
                accepted = times[events.index(LifecycleEvent.ACCEPT)]
                elapsed = self.rng.uniform(accepted, times[-1] - 1)
                for at, (_, event) in zip(times, steps, strict=True):
                    if at <= elapsed:
                        await control.fire_event(order.id, event)
                    else:
                        due = now + (at - elapsed) / self.speed
                        heapq.heappush(self._due, (due, next(self._counter), order.id, event))

    async def run(self) -> None:
        """Forever: a new order every few seconds, and the warm orders' next events."""
        async with self._client_factory() as client:
            control = SandboxControl(client)
            next_order = self._monotonic()
            while True:
                now = self._monotonic()
                while self._due and self._due[0][0] <= now:
                    _, _, order_id, event = heapq.heappop(self._due)
                    with contextlib.suppress(ToteError):
                        await control.fire_event(order_id, event)
                if next_order <= now:
                    with contextlib.suppress(ToteError):
                        await control.create_order(self._body(self._scenario()))
                        self.created += 1
                    next_order = now + self.rng.uniform(*DEMO_ARRIVAL) / self.speed
                wake = min([next_order, *(due for due, *_ in self._due[:1])])
                await self._sleep(max(wake - self._monotonic(), 0.05))


def demo_feed(config: ClientConfig, speed: float) -> tuple[DemoFeed, Any]:
    """The demo's stream of orders at the sandbox's first store, and that store."""
    from tote_track.sandbox.autoplay import SCENARIOS, scenario_order_body
    from tote_track.sandbox.seed import LOCATIONS

    location = LOCATIONS[0]
    scenarios = {
        name: DemoScenario(
            tuple((step.delay, step.event) for step in SCENARIOS[name].steps),
            scenario_order_body(name),
        )
        for name, _ in DEMO_SCENARIOS
    }
    return DemoFeed(config, location.id, scenarios, speed=speed), location


def board_demo_note(location_name: str, base_url: str) -> str:
    """The demo board's status words: which store, where its sandbox is, and the keys."""
    return f"demo: {location_name} · sandbox {base_url} · ? help · q quits"


class DemoFailed(CommandFailed):
    """The demo's sandbox, or its orders, could not be set up; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_codes.FAILED_TO_START)


@contextlib.contextmanager
def demo_sandbox() -> Iterator[EmbeddedSandbox]:
    """The built-in sandbox on a free loopback port, stopped on leaving the block.

    Raises :class:`DemoFailed` with one sentence when it cannot start.
    """
    from tote_track.sandbox.server import EmbeddedSandbox

    try:
        sandbox = EmbeddedSandbox().start()
    except RuntimeError as error:
        raise DemoFailed(f"the demo sandbox could not start: {error}") from None
    try:
        yield sandbox
    finally:
        sandbox.stop()


def demo_store(config: ClientConfig, speed: float) -> tuple[DemoFeed, Any]:
    """The board demo's store at the sandbox's first location, with its orders already
    part-way through their journeys; raises :class:`DemoFailed` when they cannot be made."""
    feed, location = demo_feed(config, speed)
    try:
        asyncio.run(feed.warm_up())
    except ToteError as error:
        raise DemoFailed(f"the demo orders could not be created: {error}") from None
    return feed, location


def run_board_demo(speed: float = 1.0) -> int:
    """``tote-track demo --board``: the sandbox, a stream of orders, the board (q quits)."""

    from tote_track.tui.board.app import BoardApp

    if not speed > 0:
        raise CommandFailed("--speed must be a positive number.", exit_codes.USAGE)
    with demo_sandbox() as sandbox:
        feed, location = demo_store(sandbox.config, speed)
        config = sandbox.config
        app = BoardApp(
            lambda: ToteClient(config, max_retries=0),
            location.id,
            kiosk=True,
            allow_q=True,
            new_for=DEMO_NEW_FOR,
            feed=feed.run,
            note=board_demo_note(location.name, sandbox.base_url),
        )
        result = app.run()
        return result if result is not None else (app.return_code or exit_codes.OK)
