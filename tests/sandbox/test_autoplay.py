"""Scripted journeys: each scenario's timings, and where each one ends through the engine."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tote_track.api.models import FulfillmentStatus, HandoffMode, OrderStatus, PaymentStatus
from tote_track.sandbox.autoplay import (
    SCENARIO_NAMES,
    SCENARIOS,
    Autoplayer,
    scenario_order_body,
)
from tote_track.sandbox.engine import Engine, NewOrder
from tote_track.sandbox.store import MemoryStore
from tote_track.tracking.lifecycle import LifecycleEvent

OS, PS, FS = OrderStatus, PaymentStatus, FulfillmentStatus
E = LifecycleEvent

EXPECTED_END: dict[str, tuple[OrderStatus, PaymentStatus, FulfillmentStatus]] = {
    "pickup": (OS.COMPLETED, PS.PAID, FS.FULFILLED),
    "curbside": (OS.COMPLETED, PS.PAID, FS.FULFILLED),
    "kiosk": (OS.COMPLETED, PS.PAID, FS.FULFILLED),
    "delivery": (OS.COMPLETED, PS.PAID, FS.DELIVERED),
    "payment_failed": (OS.FAILED, PS.UNPAID, FS.CANCELLED),
    "voided": (OS.VOIDED, PS.UNPAID, FS.CANCELLED),
    "split_payment": (OS.COMPLETED, PS.PAID, FS.FULFILLED),
    "cancel_window": (OS.COMPLETED, PS.PAID, FS.FULFILLED),
    "too_late_to_cancel": (OS.COMPLETED, PS.PAID, FS.FULFILLED),
    "returned": (OS.COMPLETED, PS.PAID, FS.RETURNED),
    "store_cancel": (OS.CANCELLED, PS.UNPAID, FS.CANCELLED),
}
EXPECTED_MODE = {
    "curbside": HandoffMode.CURBSIDE,
    "kiosk": HandoffMode.KIOSK,
    "delivery": HandoffMode.DELIVERY,
}


class FakeSleep:
    """Records the delays asked for and yields to the loop instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class GatedSleep:
    """Each sleep waits until the test lets one step through."""

    def __init__(self) -> None:
        self.waiting: asyncio.Queue[asyncio.Future[None]] = asyncio.Queue()

    async def __call__(self, seconds: float) -> None:
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self.waiting.put(gate)
        await gate

    async def release(self) -> None:
        gate = await asyncio.wait_for(self.waiting.get(), timeout=5)
        gate.set_result(None)
        for _ in range(5):  # let the step run
            await asyncio.sleep(0)


@pytest.fixture
def engine() -> Engine:
    return Engine(MemoryStore())


def new_order(engine: Engine, scenario: str) -> str:
    order = engine.create_order(NewOrder.model_validate(scenario_order_body(scenario)))
    return order.id


def test_the_scenario_names_are_the_agreed_ones() -> None:
    assert SCENARIO_NAMES == (
        "pickup",
        "curbside",
        "kiosk",
        "delivery",
        "payment_failed",
        "voided",
        "split_payment",
        "cancel_window",
        "too_late_to_cancel",
        "returned",
        "store_cancel",
    )
    assert set(EXPECTED_END) == set(SCENARIO_NAMES)


def test_a_pickup_takes_two_to_three_minutes_at_speed_1() -> None:
    pickup = SCENARIOS["pickup"]
    assert 120 <= pickup.duration <= 180
    paid = pickup.time_until(E.PAYMENT_COMPLETED)
    accepted = pickup.time_until(E.ACCEPT)
    preparing = pickup.time_until(E.START_PREPARING)
    ready = pickup.time_until(E.READY)
    assert paid is not None
    assert 2 <= paid <= 10
    assert accepted is not None
    assert preparing is not None
    assert ready is not None
    assert 5 <= accepted - paid <= 10
    assert 30 <= ready - preparing <= 60


def test_cancel_window_stays_cancellable_for_a_minute_and_too_late_prepares_fast() -> None:
    window = SCENARIOS["cancel_window"].time_until(E.START_PREPARING)
    fast = SCENARIOS["too_late_to_cancel"].time_until(E.START_PREPARING)
    assert window is not None
    assert window >= 60
    assert fast is not None
    assert fast <= 10


def test_scenario_bodies_carry_the_handoff_details() -> None:
    curbside = scenario_order_body("curbside")["handoff"]
    assert curbside["mode"] == "CURBSIDE"
    assert curbside["vehicle_make"]
    assert curbside["vehicle_color"]
    delivery = scenario_order_body("delivery")["handoff"]
    assert delivery["mode"] == "DELIVERY"
    assert delivery["delivery_address"]["line1"]
    split = scenario_order_body("split_payment")
    assert len(split["payments"]) == 2
    # Callers may change their copy without changing the scenario.
    split["payments"].clear()
    assert len(scenario_order_body("split_payment")["payments"]) == 2


def test_unknown_scenario_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="pickup"):
        scenario_order_body("teleport")


@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
async def test_every_scenario_ends_where_expected(engine: Engine, scenario: str) -> None:
    sleep = FakeSleep()
    player = Autoplayer(engine, sleep=sleep)
    order_id = new_order(engine, scenario)
    player.start(order_id, scenario, speed=1000)
    await player.wait(order_id)
    order = engine.get_order(order_id)
    assert (order.status, order.payment_status, order.fulfillment_status) == (
        EXPECTED_END[scenario]
    )
    assert order.handoff.mode == EXPECTED_MODE.get(scenario, HandoffMode.PICKUP)
    steps = SCENARIOS[scenario].steps
    assert sleep.delays == pytest.approx([s.delay / 1000 for s in steps])
    assert player.playing == frozenset()
    await player.aclose()


async def test_split_payment_is_partially_paid_between_the_two_payments(engine: Engine) -> None:
    sleep = GatedSleep()
    player = Autoplayer(engine, sleep=sleep)
    order_id = new_order(engine, "split_payment")
    player.start(order_id, "split_payment", speed=1)
    await sleep.release()  # payment_started
    assert engine.get_order(order_id).payment_status == PS.PROCESSING
    await sleep.release()  # the gift card completes
    order = engine.get_order(order_id)
    assert (order.status, order.payment_status) == (OS.CONFIRMED, PS.PARTIALLY_PAID)
    assert [p.payment_method for p in order.payments] == ["GIFT_CARD"]
    await player.aclose()


async def test_cancelling_during_cancel_window_stops_the_script_quietly(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tote_track.sandbox.autoplay")
    sleep = GatedSleep()
    player = Autoplayer(engine, sleep=sleep)
    order_id = new_order(engine, "cancel_window")
    player.start(order_id, "cancel_window", speed=1)
    for _ in range(3):  # paid, then accepted
        await sleep.release()
    assert engine.get_order(order_id).fulfillment_status == FS.IN_PROGRESS
    engine.cancel(order_id, "Customer changed their mind")
    await sleep.release()  # start_preparing is no longer allowed
    await asyncio.wait_for(player.wait(order_id), timeout=5)
    order = engine.get_order(order_id)
    assert (order.status, order.payment_status, order.fulfillment_status) == (
        OS.CANCELLED,
        PS.UNPAID,
        FS.CANCELLED,
    )
    assert player.playing == frozenset()
    assert sleep.waiting.empty()  # no further step was scheduled
    stops = [r for r in caplog.records if r.name == "tote_track.sandbox.autoplay"]
    assert stops
    assert all(r.levelno == logging.DEBUG for r in stops)
    assert any("start_preparing" in r.getMessage() for r in stops)
    await player.aclose()


async def test_aclose_cancels_every_running_script(engine: Engine) -> None:
    sleep = GatedSleep()
    player = Autoplayer(engine, sleep=sleep)
    ids = [new_order(engine, "pickup") for _ in range(3)]
    for order_id in ids:
        player.start(order_id, "pickup", speed=2)
    await asyncio.sleep(0)
    assert player.playing == frozenset(ids)
    await player.aclose()
    assert player.playing == frozenset()
    for order_id in ids:
        assert engine.get_order(order_id).status == OS.PENDING


async def test_starting_again_replaces_the_running_script(engine: Engine) -> None:
    sleep = FakeSleep()
    player = Autoplayer(engine, sleep=sleep)
    order_id = new_order(engine, "pickup")
    player.start(order_id, "voided", speed=100)
    player.start(order_id, "payment_failed", speed=100)
    await player.wait()
    assert engine.get_order(order_id).status == OS.FAILED
    await player.aclose()


def test_start_checks_its_arguments(engine: Engine) -> None:
    player = Autoplayer(engine)
    with pytest.raises(ValueError, match="scenario"):
        player.start("x", "nope", 1)
    with pytest.raises(ValueError, match="speed"):
        player.start("x", "pickup", 0)
    with pytest.raises(RuntimeError, match="event loop"):
        player.start("x", "pickup", 1)


async def test_start_from_another_thread_runs_on_the_players_loop(engine: Engine) -> None:
    player = Autoplayer(engine, sleep=FakeSleep())
    order_id = new_order(engine, "kiosk")
    await asyncio.to_thread(player.start, order_id, "kiosk", 500)
    for _ in range(100):
        if order_id in player.playing:
            break
        await asyncio.sleep(0)
    await player.wait(order_id)
    assert engine.get_order(order_id).fulfillment_status == FS.FULFILLED
    await player.aclose()


class BrokenEngine:
    """An engine that fails in a way no script expects."""

    def __init__(self) -> None:
        self.calls = 0

    def apply_event(self, order_id: str, event: LifecycleEvent) -> None:
        self.calls += 1
        raise RuntimeError("disk full")


async def test_an_unexpected_failure_is_logged_as_a_warning_and_stops_the_script(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = BrokenEngine()
    player = Autoplayer(engine, sleep=FakeSleep())  # type: ignore[arg-type]
    player.start("some-order", "pickup", speed=100)
    await player.wait()
    assert engine.calls == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "some-order" in warnings[0].getMessage()
    assert player.playing == frozenset()


async def test_an_order_reset_away_stops_its_script(engine: Engine) -> None:
    player = Autoplayer(engine, sleep=FakeSleep())
    order_id = new_order(engine, "pickup")
    engine.reset()
    player.start(order_id, "pickup", speed=100)
    await player.wait(order_id)
    assert player.playing == frozenset()
    assert engine.count() == 0


def test_time_until_an_event_the_scenario_never_fires() -> None:
    assert SCENARIOS["payment_failed"].time_until(E.PICKED_UP) is None
