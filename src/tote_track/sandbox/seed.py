"""Sample orders for the sandbox: four stores, a week of orders, every handoff mode and state.

Every order is created through the engine and walked through real lifecycle events (and
customer cancels), so its three status fields, payments and totals are consistent exactly
as if a customer and a store had produced them. Orders from earlier days are finished;
orders from the last hour or so are still on their way, in every state.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tote_track.sandbox.engine import Engine, NewOrder
from tote_track.tracking.lifecycle import LifecycleEvent

__all__ = ["LOCATIONS", "Location", "MenuItem", "ReplayClock", "seed_orders"]

E = LifecycleEvent


@dataclass(frozen=True, slots=True)
class MenuItem:
    name: str
    price: int
    """Unit price in cents (USD)."""


@dataclass(frozen=True, slots=True)
class Location:
    id: str
    name: str
    menu: tuple[MenuItem, ...]


_DELI = (
    MenuItem("Build Your Own Sub Sandwich", 1399),
    MenuItem("Turkey Club Sandwich", 1149),
    MenuItem("Italian Sub", 1249),
    MenuItem("Veggie Wrap", 999),
    MenuItem("Chicken Caesar Salad", 1099),
    MenuItem("Tomato Basil Soup", 649),
)
_SIDES = (
    MenuItem("Bottled Water", 199),
    MenuItem("Sparkling Lemonade", 329),
    MenuItem("Cold Brew Coffee", 449),
    MenuItem("Kettle Chips", 249),
    MenuItem("Chocolate Chip Cookie", 229),
    MenuItem("Fruit Cup", 399),
)
_BREAKFAST = (
    MenuItem("Bacon, Egg & Cheese Bagel", 799),
    MenuItem("Avocado Toast", 899),
    MenuItem("Blueberry Muffin", 349),
    MenuItem("Oat Milk Latte", 549),
)
_GRAB_AND_GO = (
    MenuItem("Turkey Club Sandwich", 1249),
    MenuItem("Protein Box", 1099),
    MenuItem("Trail Mix", 599),
    MenuItem("Bottled Water", 299),
    MenuItem("Cold Brew Coffee", 549),
)

# Fixed ids, so scripts and bookmarks keep working across restarts. Downtown is the store
# of the guide's examples.
LOCATIONS: tuple[Location, ...] = (
    Location("b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d", "Tote Market Downtown", _DELI + _SIDES),
    Location(
        "2c9d4e1f-7a3b-4c5d-8e6f-9a0b1c2d3e4f",
        "Tote Market Riverside",
        _DELI[:4] + _SIDES + _BREAKFAST,
    ),
    Location("8e7f6a5b-4c3d-4e2f-9a1b-0c9d8e7f6a5b", "Tote Express Airport", _GRAB_AND_GO),
    Location(
        "4f3e2d1c-0b9a-4f8e-8d7c-6b5a4f3e2d1c",
        "Tote Market University Ave",
        _DELI + _BREAKFAST + _SIDES[:3],
    ),
)

_VEHICLES = (
    ("Toyota", "Camry", "Silver"),
    ("Honda", "Civic", "Blue"),
    ("Ford", "F-150", "Black"),
    ("Tesla", "Model 3", "White"),
    ("Subaru", "Outback", "Green"),
    ("Mazda", "CX-5", "Red"),
)
_STREETS = (
    ("12 Main St", "Apt 4B", "Springfield", "IL", "62701"),
    ("480 Oak Ave", None, "Springfield", "IL", "62702"),
    ("77 Lakeview Dr", "Unit 12", "Springfield", "IL", "62704"),
    ("1500 College Blvd", "Suite 200", "Springfield", "IL", "62703"),
    ("9 Elm Ct", None, "Chatham", "IL", "62629"),
)
_INSTRUCTIONS = (None, "Leave at the front desk.", "Ring the bell twice.", "Call on arrival.")
_CANCEL_REASONS = (
    "Customer changed their mind",
    "Ordered by mistake",
    "Taking too long",
    "Wrong pickup location",
)

_PAY = (E.PAYMENT_STARTED, E.PAYMENT_COMPLETED)
_TO_READY = (*_PAY, E.ACCEPT, E.START_PREPARING, E.READY)


@dataclass(frozen=True, slots=True)
class _Journey:
    """How far an order got: the events it went through and whether the customer cancelled."""

    name: str
    events: tuple[LifecycleEvent | None, ...]
    """``None`` stands for the mode's final handoff (picked up, or delivered)."""
    customer_cancel: bool = False
    split: bool = False
    active: bool = False
    mode: str = "PICKUP"
    """The handoff mode of the order that shows this journey in every seed."""


_JOURNEYS: tuple[_Journey, ...] = (
    # Still on their way (recent orders).
    _Journey("awaiting payment", (), active=True, mode="PICKUP"),
    _Journey("payment processing", (E.PAYMENT_STARTED,), active=True, mode="CURBSIDE"),
    _Journey("paid", _PAY, active=True, mode="KIOSK"),
    _Journey("accepted", (*_PAY, E.ACCEPT), active=True, mode="DELIVERY"),
    _Journey("preparing", (*_PAY, E.ACCEPT, E.START_PREPARING), active=True, mode="CURBSIDE"),
    _Journey("ready", _TO_READY, active=True, mode="PICKUP"),
    _Journey("partially paid", _PAY, split=True, active=True, mode="KIOSK"),
    # Finished.
    _Journey("completed", (*_TO_READY, None), mode="PICKUP"),
    _Journey("delivered", (*_TO_READY, None), mode="DELIVERY"),
    _Journey("returned", (*_TO_READY, None, E.RETURNED), mode="CURBSIDE"),
    _Journey("cancelled before acceptance", _PAY, customer_cancel=True, mode="DELIVERY"),
    _Journey("cancelled while queued", (*_PAY, E.ACCEPT), customer_cancel=True, mode="PICKUP"),
    _Journey("cancelled unpaid", (), customer_cancel=True, mode="KIOSK"),
    _Journey(
        "store cancelled", (*_PAY, E.ACCEPT, E.START_PREPARING, E.STORE_CANCEL), mode="PICKUP"
    ),
    _Journey("payment failed", (E.PAYMENT_STARTED, E.PAYMENT_FAILED), mode="DELIVERY"),
    _Journey("voided", (E.PAYMENT_STARTED, E.VOID), mode="CURBSIDE"),
    _Journey(
        "split paid and completed",
        (*_PAY, *_PAY, E.ACCEPT, E.START_PREPARING, E.READY, None),
        split=True,
        mode="KIOSK",
    ),
)
_ACTIVE = tuple(j for j in _JOURNEYS if j.active)
_FINISHED = tuple(j for j in _JOURNEYS if not j.active)
_MODES = ("PICKUP", "CURBSIDE", "KIOSK", "DELIVERY")
# Most orders complete; the rest share the other outcomes.
_FINISHED_WEIGHTS = tuple(30 if j.name in ("completed", "delivered") else 2 for j in _FINISHED)
_MODE_WEIGHTS = (45, 20, 15, 20)
# Seconds from the previous event, at a real store (drawn between the two bounds).
_GAPS: dict[LifecycleEvent | None, tuple[float, float]] = {
    E.PAYMENT_STARTED: (10, 40),
    E.PAYMENT_COMPLETED: (2, 8),
    E.PAYMENT_FAILED: (3, 10),
    E.VOID: (20, 120),
    E.ACCEPT: (5, 60),
    E.START_PREPARING: (10, 180),
    E.READY: (180, 900),
    None: (60, 1200),  # picked up / delivered
    E.RETURNED: (3600, 86400),
    E.STORE_CANCEL: (60, 600),
}
_CANCEL_GAP = (30, 300)


class ReplayClock:
    """The engine's clock, which seeding holds at past moments so histories look real.

    While ``fixed`` is None (whenever the server is serving) it is the real UTC time.
    """

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC)


def seed_orders(
    engine: Engine,
    n: int,
    rng: random.Random,
    *,
    now: datetime | None = None,
    clock: ReplayClock | None = None,
) -> list[str]:
    """Create ``n`` sample orders through ``engine``; return their ids, oldest first.

    The first orders cover every journey and every handoff mode, so even a small seed shows
    each state; the rest are drawn from ``rng`` (the same seed gives the same orders). Given
    the engine's ``clock``, each event is stamped when it would have happened; otherwise
    ``updated_at`` is the time of seeding.
    """
    now = now or datetime.now(UTC)
    plans: list[tuple[_Journey, str, datetime]] = []
    for index in range(n):
        if index < len(_JOURNEYS):
            journey = _JOURNEYS[index]
            mode = journey.mode
        else:
            active = rng.random() < 0.25
            journey = (
                rng.choice(_ACTIVE)
                if active
                else rng.choices(_FINISHED, weights=_FINISHED_WEIGHTS)[0]
            )
            mode = rng.choices(_MODES, weights=_MODE_WEIGHTS)[0]
        plans.append((journey, mode, _created_at(rng, now, journey)))
    plans.sort(key=lambda plan: plan[2])
    ids: list[str] = []
    try:
        for journey, mode, created_at in plans:
            ids.append(_play(engine, rng, journey, mode, created_at, now, clock))
    finally:
        if clock is not None:
            clock.fixed = None
    return ids


def _created_at(rng: random.Random, now: datetime, journey: _Journey) -> datetime:
    if journey.active:
        ago = timedelta(minutes=rng.uniform(3, 45))
    else:
        # Over the last week, during opening hours, at least an hour ago.
        day = rng.randint(0, 6)
        moment = (now - timedelta(days=day)).replace(
            hour=rng.randint(7, 20), minute=rng.randint(0, 59), second=rng.randint(0, 59)
        )
        if moment > now - timedelta(hours=1):
            moment = now - timedelta(hours=1, minutes=rng.randint(0, 59))
        return moment.replace(microsecond=0)
    return (now - ago).replace(microsecond=0)


def _play(
    engine: Engine,
    rng: random.Random,
    journey: _Journey,
    mode: str,
    created_at: datetime,
    now: datetime,
    clock: ReplayClock | None,
) -> str:
    location = rng.choice(LOCATIONS)
    items = _items(rng, location)
    body: dict[str, Any] = {
        "location_id": location.id,
        "handoff": _handoff(rng, mode),
        "items": items,
        "created_at": created_at.isoformat(),
    }
    if journey.split:
        body["payments"] = _split_plan(rng, items, engine.tax_bps(location.id))
    order = engine.create_order(NewOrder.model_validate(body))
    final = E.DELIVERED if mode == "DELIVERY" else E.PICKED_UP
    moment = created_at
    # Active orders got this far just now; finished ones took their time.
    squeeze = 0.1 if journey.active else 1.0

    def at(gap: tuple[float, float]) -> None:
        nonlocal moment
        moment = min(moment + timedelta(seconds=rng.uniform(*gap) * squeeze), now)
        if clock is not None:
            clock.fixed = moment

    for event in journey.events:
        at(_GAPS[event])
        engine.apply_event(order.id, event or final)
    if journey.customer_cancel:
        at(_CANCEL_GAP)
        engine.cancel(order.id, rng.choice(_CANCEL_REASONS))
    return order.id


def _items(rng: random.Random, location: Location) -> list[dict[str, Any]]:
    count = rng.choices((1, 2, 3, 4), weights=(30, 40, 20, 10))[0]
    chosen: Sequence[MenuItem] = rng.sample(location.menu, k=min(count, len(location.menu)))
    return [
        {
            "name": item.name,
            "quantity": rng.choices((1, 2, 3), weights=(70, 22, 8))[0],
            "unit_price": {"amount": item.price, "currency": "USD"},
        }
        for item in chosen
    ]


def _handoff(rng: random.Random, mode: str) -> dict[str, Any]:
    handoff: dict[str, Any] = {"mode": mode}
    if mode == "CURBSIDE":
        make, model, color = rng.choice(_VEHICLES)
        handoff |= {"vehicle_make": make, "vehicle_model": model, "vehicle_color": color}
    elif mode == "DELIVERY":
        line1, line2, city, region, postal = rng.choice(_STREETS)
        handoff["delivery_address"] = {
            "line1": line1,
            **({"line2": line2} if line2 else {}),
            "city": city,
            "region": region,
            "postal_code": postal,
            "country": "US",
        }
        instructions = rng.choice(_INSTRUCTIONS)
        if instructions:
            handoff["delivery_instructions"] = instructions
    return handoff


def _split_plan(
    rng: random.Random, items: list[dict[str, Any]], tax_bps: int
) -> list[dict[str, Any]]:
    """A gift card for part of the bill, then a card for the rest (the engine's total)."""
    subtotal = sum(i["quantity"] * i["unit_price"]["amount"] for i in items)
    total = subtotal + (subtotal * tax_bps + 5_000) // 10_000
    gift = min(rng.choice((500, 1000, 1500, 2000)), total // 2)
    return [
        {"amount": {"amount": gift, "currency": "USD"}, "payment_method": "GIFT_CARD"},
        {"amount": {"amount": total - gift, "currency": "USD"}, "payment_method": "CREDIT_CARD"},
    ]
