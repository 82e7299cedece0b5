"""Snapshots of the tracker's key states at 80x24 and 120x40 (pytest-textual-snapshot).

Deterministic: the guide's order from a scripted API, a frozen clock, UTC times, no
automatic polls, and no blinking cursor on screen. Update with ``--snapshot-update`` after
looking at the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.support import (
    SEVERAL,
    FakeApi,
    envelope,
    make_app,
    make_several_app,
    settle,
    several_orders_transport,
)

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def pickup() -> FakeApi:
    api = FakeApi()
    api.set(handoff={"mode": "PICKUP"})
    return api


def delivery_delivered() -> FakeApi:
    api = FakeApi()
    api.set(
        status="COMPLETED",
        fulfillment_status="DELIVERED",
        handoff={
            "mode": "DELIVERY",
            "delivery_address": {"line1": "12 Main St", "city": "Springfield"},
        },
    )
    return api


async def loaded(pilot: Pilot[Any]) -> None:
    await settle(pilot)


def pressing(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    return run


@pytest.mark.parametrize("size", SIZES)
def test_pickup_preparing(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = make_app(pickup().transport)
    assert snap_compare(app, terminal_size=size, run_before=loaded)


def test_curbside_ready(snap_compare: SnapCompare, api: FakeApi) -> None:
    api.set(fulfillment_status="READY_FOR_PICKUP")
    assert snap_compare(make_app(api.transport), run_before=loaded)


def test_delivery_delivered_in_the_demo(snap_compare: SnapCompare) -> None:
    sandbox_url = "http://127.0.0.1:8787/v1/online-ordering"
    app = make_app(delivery_delivered().transport, sandbox_url=sandbox_url)
    assert snap_compare(app, terminal_size=(120, 40), run_before=loaded)


def test_cancel_dialog(snap_compare: SnapCompare, api: FakeApi) -> None:
    api.set(fulfillment_status="IN_PROGRESS")
    assert snap_compare(make_app(api.transport), run_before=pressing("c"))


def test_cancel_refused_explained(snap_compare: SnapCompare, api: FakeApi) -> None:
    api.set(fulfillment_status="IN_PROGRESS")

    async def race(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("c")
        api.set(fulfillment_status="PREPARING", updated_at="2026-01-31T10:09:30Z")
        await pilot.press("y")
        await settle(pilot)

    assert snap_compare(make_app(api.transport), run_before=race)


@pytest.mark.parametrize("size", SIZES)
def test_cancelled_with_refund(
    snap_compare: SnapCompare, size: tuple[int, int], api: FakeApi
) -> None:
    api.set(fulfillment_status="IN_PROGRESS")
    assert snap_compare(make_app(api.transport), terminal_size=size, run_before=pressing("c", "y"))


def test_reconnecting(snap_compare: SnapCompare, api: FakeApi) -> None:

    async def outage(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        # One failed check is no alarm; the second in a row says it is reconnecting.
        for _ in range(2):
            api.queue.append(envelope(503, "internal", "Service unavailable"))
            await pilot.press("r")
            await settle(pilot)

    assert snap_compare(make_app(api.transport), run_before=outage)


def test_order_not_found(snap_compare: SnapCompare, api: FakeApi) -> None:
    api.queue.append(envelope(404, "not_found", "Order not found"))
    assert snap_compare(make_app(api.transport), run_before=loaded)


def test_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(FakeApi().transport), run_before=pressing("question_mark"))


@pytest.mark.parametrize("size", SIZES)
def test_several_orders(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = make_several_app(several_orders_transport(), list(SEVERAL))
    assert snap_compare(app, terminal_size=size, run_before=pressing("2"))
