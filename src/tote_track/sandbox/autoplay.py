"""Scripted order journeys: the sandbox plays the store, the payment processor and the driver.

Each scenario is a declarative list of steps, ``(delay in seconds at speed 1, event)``, with
timings close to a real store: payment in a few seconds, the store accepting within ten,
preparation taking most of a minute, a full pickup about two minutes. ``speed`` divides every
delay, so ``speed=30`` plays a whole pickup in a few seconds.

The :class:`Autoplayer` runs one asyncio task per order on the server's event loop and applies
each step through the engine, exactly as ``POST /sandbox/orders/{id}/events`` would. When a step
is no longer allowed (the customer cancelled meanwhile, the order was reset away), the script
for that order stops quietly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tote_track.sandbox.errors import EventNotAllowed, OrderNotFound
from tote_track.tracking.lifecycle import LifecycleEvent

if TYPE_CHECKING:
    from tote_track.sandbox.engine import Engine

__all__ = [
    "SCENARIOS",
    "SCENARIO_NAMES",
    "Autoplayer",
    "Scenario",
    "Step",
    "scenario_order_body",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
E = LifecycleEvent


@dataclass(frozen=True, slots=True)
class Step:
    """Wait ``delay`` seconds (at speed 1) after the previous step, then apply ``event``."""

    delay: float
    event: LifecycleEvent


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named order journey: what the order looks like and how it moves."""

    name: str
    description: str
    steps: tuple[Step, ...]
    handoff: Mapping[str, Any] = field(default_factory=lambda: {"mode": "PICKUP"})
    payments: tuple[Mapping[str, Any], ...] = ()

    @property
    def duration(self) -> float:
        """Seconds from creation to the last step, at speed 1."""
        return sum(step.delay for step in self.steps)

    def time_until(self, event: LifecycleEvent) -> float | None:
        """Seconds (at speed 1) until ``event`` is applied, or None if it never is."""
        elapsed = 0.0
        for step in self.steps:
            elapsed += step.delay
            if step.event == event:
                return elapsed
        return None


# Handoff details, like the guide's example order.
_PICKUP: Mapping[str, Any] = {"mode": "PICKUP"}
_KIOSK: Mapping[str, Any] = {"mode": "KIOSK"}
_CURBSIDE: Mapping[str, Any] = {
    "mode": "CURBSIDE",
    "vehicle_make": "Toyota",
    "vehicle_model": "Camry",
    "vehicle_color": "Silver",
}
_DELIVERY: Mapping[str, Any] = {
    "mode": "DELIVERY",
    "delivery_address": {
        "line1": "12 Main St",
        "line2": "Apt 4B",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "country": "US",
    },
    "delivery_instructions": "Leave at the front desk.",
}

# The checkout's payments (a card authorizes in a few seconds) and the store taking the order.
_PAY = (Step(2.0, E.PAYMENT_STARTED), Step(3.0, E.PAYMENT_COMPLETED))
_ACCEPT = Step(7.0, E.ACCEPT)
_PREPARE = Step(10.0, E.START_PREPARING)

_SCENARIO_LIST: tuple[Scenario, ...] = (
    Scenario(
        "pickup",
        "Paid by card, prepared and picked up at the counter (about 2 minutes).",
        (*_PAY, _ACCEPT, _PREPARE, Step(50.0, E.READY), Step(60.0, E.PICKED_UP)),
        _PICKUP,
    ),
    Scenario(
        "curbside",
        "Brought out to a silver Toyota Camry waiting at the curb.",
        (*_PAY, _ACCEPT, _PREPARE, Step(40.0, E.READY), Step(60.0, E.PICKED_UP)),
        _CURBSIDE,
    ),
    Scenario(
        "kiosk",
        "Ordered at a kiosk and collected at the counter; a quick preparation.",
        (
            *_PAY,
            Step(5.0, E.ACCEPT),
            Step(8.0, E.START_PREPARING),
            Step(35.0, E.READY),
            Step(40.0, E.PICKED_UP),
        ),
        _KIOSK,
    ),
    Scenario(
        "delivery",
        "Prepared, handed to a driver and delivered to the customer's door.",
        (*_PAY, _ACCEPT, _PREPARE, Step(45.0, E.READY), Step(100.0, E.DELIVERED)),
        _DELIVERY,
    ),
    Scenario(
        "payment_failed",
        "The card is declined: the order fails and is never prepared.",
        (Step(2.0, E.PAYMENT_STARTED), Step(5.0, E.PAYMENT_FAILED)),
        _PICKUP,
    ),
    Scenario(
        "voided",
        "The order is voided while its payment is still processing.",
        (Step(2.0, E.PAYMENT_STARTED), Step(8.0, E.VOID)),
        _PICKUP,
    ),
    Scenario(
        "split_payment",
        "Paid with a gift card and then a credit card: partially paid in between.",
        (
            Step(2.0, E.PAYMENT_STARTED),
            Step(3.0, E.PAYMENT_COMPLETED),
            Step(6.0, E.PAYMENT_STARTED),
            Step(4.0, E.PAYMENT_COMPLETED),
            _ACCEPT,
            _PREPARE,
            Step(40.0, E.READY),
            Step(45.0, E.PICKED_UP),
        ),
        _PICKUP,
        (
            {"amount": {"amount": 1000, "currency": "USD"}, "payment_method": "GIFT_CARD"},
            {"amount": {"amount": 945, "currency": "USD"}, "payment_method": "CREDIT_CARD"},
        ),
    ),
    Scenario(
        "cancel_window",
        "The store is busy: the order waits over a minute before preparation, time to cancel.",
        (
            *_PAY,
            Step(20.0, E.ACCEPT),
            Step(50.0, E.START_PREPARING),
            Step(40.0, E.READY),
            Step(45.0, E.PICKED_UP),
        ),
        _PICKUP,
    ),
    Scenario(
        "too_late_to_cancel",
        "The store starts preparing within seconds: cancelling online is refused.",
        (
            Step(1.0, E.PAYMENT_STARTED),
            Step(1.0, E.PAYMENT_COMPLETED),
            Step(1.0, E.ACCEPT),
            Step(1.0, E.START_PREPARING),
            Step(50.0, E.READY),
            Step(50.0, E.PICKED_UP),
        ),
        _PICKUP,
    ),
    Scenario(
        "returned",
        "Picked up, then brought back: the return is processed after fulfillment.",
        (
            *_PAY,
            _ACCEPT,
            _PREPARE,
            Step(40.0, E.READY),
            Step(40.0, E.PICKED_UP),
            Step(30.0, E.RETURNED),
        ),
        _PICKUP,
    ),
    Scenario(
        "store_cancel",
        "The store runs out of an item during preparation and cancels; the card is refunded.",
        (*_PAY, _ACCEPT, _PREPARE, Step(25.0, E.STORE_CANCEL)),
        _PICKUP,
    ),
)

SCENARIOS: Mapping[str, Scenario] = MappingProxyType({s.name: s for s in _SCENARIO_LIST})
SCENARIO_NAMES: tuple[str, ...] = tuple(SCENARIOS)


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; ValueError naming the valid ones otherwise."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(
            f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIO_NAMES)}"
        ) from None


def scenario_order_body(name: str) -> dict[str, Any]:
    """The ``POST /sandbox/orders`` body an order of this scenario needs.

    The handoff (with the vehicle for curbside, the address for delivery) and, for split
    payments, the planned payments. Items are left to the sandbox's default order, whose
    total the planned payments cover exactly.
    """
    scenario = get_scenario(name)
    body: dict[str, Any] = {"handoff": _plain(scenario.handoff)}
    if scenario.payments:
        body["payments"] = [_plain(p) for p in scenario.payments]
    return body


def _plain(value: Any) -> Any:
    """A deep copy made of plain dicts and lists (callers may mutate it)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Autoplayer:
    """Plays scenarios on orders, one asyncio task per order, on the running event loop."""

    def __init__(self, engine: Engine, *, sleep: Sleep = asyncio.sleep) -> None:
        self._engine = engine
        self._sleep = sleep
        self._tasks: dict[str, asyncio.Task[None]] = {}
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    @property
    def playing(self) -> frozenset[str]:
        """Ids of the orders whose script is still running."""
        return frozenset(order_id for order_id, t in self._tasks.items() if not t.done())

    def start(self, order_id: str, scenario: str, speed: float = 1.0) -> None:
        """Play ``scenario`` on the order, ``speed`` times faster than real time.

        Call from the event loop's thread (an ``async`` endpoint) or, if the player was
        created on a running loop, from any thread. A script already playing on this order
        is replaced.
        """
        spec = get_scenario(scenario)
        if not speed > 0:
            raise ValueError(f"speed must be a positive number, not {speed!r}")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._spawn, order_id, spec, speed)
            return
        if loop is None:
            raise RuntimeError("Autoplayer.start needs a running event loop")
        self._loop = loop
        self._spawn(order_id, spec, speed)

    def _spawn(self, order_id: str, spec: Scenario, speed: float) -> None:
        previous = self._tasks.pop(order_id, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(
            self._play(order_id, spec, speed), name=f"autoplay {spec.name} {order_id}"
        )
        self._tasks[order_id] = task
        task.add_done_callback(lambda t: self._forget(order_id, t))

    def _forget(self, order_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(order_id) is task:
            del self._tasks[order_id]

    async def _play(self, order_id: str, spec: Scenario, speed: float) -> None:
        for step in spec.steps:
            await self._sleep(step.delay / speed)
            try:
                self._engine.apply_event(order_id, step.event)
            except (EventNotAllowed, OrderNotFound) as exc:
                # The order moved on without the script (a customer cancel, a manual
                # event, a reset): the script has nothing left to play.
                log.debug(
                    "autoplay %s stops on order %s at %s: %s",
                    spec.name,
                    order_id,
                    step.event.value,
                    exc,
                )
                return
            except Exception:
                log.warning(
                    "autoplay %s failed on order %s at %s",
                    spec.name,
                    order_id,
                    step.event.value,
                    exc_info=True,
                )
                return
        log.debug("autoplay %s finished on order %s", spec.name, order_id)

    async def wait(self, order_id: str | None = None) -> None:
        """Wait until the script of ``order_id`` (or every script) has finished."""
        tasks = [self._tasks[order_id]] if order_id in self._tasks else []
        if order_id is None:
            tasks = list(self._tasks.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Stop every script (the server is shutting down)."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
