"""Regenerate the README's screenshots: ``make screenshots``.

Every picture is the real tracker against the real sandbox (in-process, no network), with
a frozen clock and reproducible ids, so a regenerated set only differs where the UI did.
Writes ``NAME.svg`` (Textual's export) and ``NAME.png`` (cairosvg) next to this file.

``several-orders`` is one tracker following four orders.
``board-kiosk`` is the store board (``board --kiosk``) the same way. ``board-browser.png``
is the board served by ``board --serve`` as headless Chromium shows it, and
``board-tv-*.png`` the same at 1920x1080 (a store's TV) with 1, 4 and 20 Ready codes, a
code being called, and offline (skipped where Chromium or Playwright is missing, and with
``--svg-only``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cairosvg
import httpx
from textual.pilot import Pilot
from textual.widgets import Input

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.sandbox.app import create_app
from tote_track.sandbox.engine import Engine, NewOrder
from tote_track.sandbox.faults import FaultConfig
from tote_track.sandbox.seed import LOCATIONS
from tote_track.tracking.lifecycle import LifecycleEvent as E
from tote_track.tui.board.app import BoardApp
from tote_track.tui.tracker.app import Clock, TrackerApp

HERE = Path(__file__).parent
SIZE = (100, 30)
PNG_FONT = "DejaVu Sans Mono"
BASE_URL = "http://127.0.0.1:8787/v1/online-ordering"
ORDER_PLACED_AT = datetime(2026, 1, 31, 10, 7, tzinfo=UTC)

CURBSIDE = {"mode": "CURBSIDE", "vehicle_make": "Toyota", "vehicle_model": "Camry",
            "vehicle_color": "Silver"}  # fmt: skip
DELIVERY = {
    "mode": "DELIVERY",
    "delivery_address": {
        "line1": "12 Main St",
        "line2": "Apt 4B",
        "city": "Springfield",
        "postal_code": "62701",
    },
    "delivery_instructions": "Leave at the front desk.",
}


class SandboxClock:
    """The sandbox's time: each event happens a minute after the one before."""

    def __init__(self) -> None:
        self.now = ORDER_PLACED_AT

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += timedelta(minutes=1)


@dataclass
class Shot:
    name: str
    title: str
    handoff: dict[str, Any] | None
    events: tuple[E, ...]
    action: Callable[[Pilot[Any], Engine, str], Awaitable[None]] | None = None
    order_id: str | None = None


async def settle(pilot: Pilot[Any]) -> None:
    """Every worker ended and its messages handled; raises when new ones keep starting (a
    picture taken then would catch the screen half-way)."""
    for _ in range(5):
        await asyncio.gather(*(w.wait() for w in pilot.app.workers), return_exceptions=True)
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return
    running = [w.description or w.name for w in pilot.app.workers if w.is_running]
    raise RuntimeError(f"workers still running after 5 rounds of waiting: {running}")


def press(*keys: str) -> Callable[[Pilot[Any], Engine, str], Awaitable[None]]:
    async def run(pilot: Pilot[Any], engine: Engine, order_id: str) -> None:
        await pilot.press(*keys)
        await settle(pilot)

    return run


async def store_starts_preparing_meanwhile(
    pilot: Pilot[Any], engine: Engine, order_id: str
) -> None:
    await pilot.press("c")
    await settle(pilot)
    engine.apply_event(order_id, E.START_PREPARING)
    await pilot.press("y")
    await settle(pilot)


async def outage(pilot: Pilot[Any], engine: Engine, order_id: str) -> None:
    engine.faults.configure(FaultConfig(error_rate=1.0))
    for _ in range(2):  # one failed check is no alarm; the second in a row reconnects
        await pilot.press("r")
        await settle(pilot)


PAID = (E.PAYMENT_COMPLETED,)
SHOTS = [
    Shot("pickup-preparing", "Pickup, being prepared", {"mode": "PICKUP"},
         (*PAID, E.ACCEPT, E.START_PREPARING)),
    Shot("curbside-ready", "Curbside, ready", CURBSIDE,
         (*PAID, E.ACCEPT, E.START_PREPARING, E.READY)),
    Shot("delivery-delivered", "Delivery, delivered", DELIVERY,
         (*PAID, E.ACCEPT, E.START_PREPARING, E.READY, E.DELIVERED)),
    Shot("cancel-dialog", "The cancel dialog", CURBSIDE, (*PAID, E.ACCEPT), press("c")),
    Shot("cancel-refused", "A cancel refused (409), explained", CURBSIDE, (*PAID, E.ACCEPT),
         store_starts_preparing_meanwhile),
    Shot("cancelled-refunded", "Cancelled, payment refunded", CURBSIDE, (*PAID, E.ACCEPT),
         press("c", "y")),
    Shot("delivery-waiting-for-driver", "Delivery, ready and waiting for the driver", DELIVERY,
         (*PAID, E.ACCEPT, E.START_PREPARING, E.READY)),
    Shot("returned", "Picked up, then returned", {"mode": "PICKUP"},
         (*PAID, E.ACCEPT, E.START_PREPARING, E.READY, E.PICKED_UP, E.RETURNED)),
    Shot("reconnecting", "The API is failing: reconnecting", {"mode": "PICKUP"},
         (*PAID, E.ACCEPT, E.START_PREPARING), outage),
    Shot("order-not-found", "Order not found", None, (),
         order_id="0badc0de-0000-4000-8000-000000000000"),
]  # fmt: skip


@asynccontextmanager
async def tracker_on(
    engine: Engine, orders: str | list[str], viewed_at: datetime
) -> AsyncIterator[Pilot[Any]]:
    """The real tracker on ``orders`` of the in-process sandbox, its clock frozen at
    ``viewed_at``, settled after its first load."""
    app_server = create_app(token="sandbox", engine=engine)
    async with app_server.router.lifespan_context(app_server):
        transport = httpx.ASGITransport(app=app_server)
        config = ClientConfig(base_url=BASE_URL, token="sandbox")
        tracker = TrackerApp(
            lambda: ToteClient(config, transport=transport, max_retries=0),
            orders,
            clock=Clock(wall=lambda: viewed_at, monotonic=lambda: 1000.0),
            notify=False,
            auto_poll=False,
            tz=UTC,
        )
        async with tracker.run_test(size=SIZE) as pilot:
            await settle(pilot)
            yield pilot


def place(
    engine: Engine, clock: SandboxClock, handoff: dict[str, Any] | None, events: Sequence[E]
) -> str:
    """A new order (with ``handoff``, if any) moved through ``events``, a clock tick before
    each; its id."""
    body: dict[str, Any] = {"handoff": handoff} if handoff else {}
    order = engine.create_order(NewOrder.model_validate(body))
    for event in events:
        clock.tick()
        order = engine.apply_event(order.id, event)
    return order.id


def with_png(svg_path: Path, *, png: bool) -> Path:
    """``svg_path`` rasterized next to it (the PNG's path), or ``svg_path`` when ``png`` is
    false."""
    if not png:
        return svg_path
    png_path = svg_path.with_suffix(".png")
    rasterize(svg_path.read_text(), png_path)
    return png_path


async def take(shot: Shot, out: Path = HERE, *, png: bool = True) -> Path:
    clock = SandboxClock()
    engine = Engine(clock=clock, rng=random.Random(1), id_rng=random.Random(shot.name))
    order_id = shot.order_id
    if order_id is None:
        order_id = place(engine, clock, shot.handoff, shot.events)
    async with tracker_on(engine, order_id, clock.now + timedelta(seconds=12)) as pilot:
        tracker = pilot.app
        if shot.action is not None:
            await shot.action(pilot, engine, order_id)
        for field in tracker.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()
        svg_path = out / f"{shot.name}.svg"
        svg_path.write_text(tracker.export_screenshot(title=f"tote-track · {shot.title}"))
    return with_png(svg_path, png=png)


BOARD_SHOT = "board-kiosk"
BOARD_SIZE = (140, 42)
TO_PREPARING = (E.PAYMENT_COMPLETED, E.ACCEPT, E.START_PREPARING)


async def take_board(out: Path = HERE, *, png: bool = True) -> Path:
    """The store board in kiosk mode: a busy store, three codes ready."""
    clock = SandboxClock()
    engine = Engine(clock=clock, rng=random.Random(1), id_rng=random.Random(BOARD_SHOT))
    location = LOCATIONS[0].id
    body = NewOrder.model_validate({"location_id": location, "handoff": {"mode": "PICKUP"}})
    for index in range(10):
        order = engine.create_order(body)
        for event in TO_PREPARING:
            clock.tick()
            engine.apply_event(order.id, event)
        if index >= 6:
            engine.apply_event(order.id, E.READY)
    viewed_at = clock.now + timedelta(seconds=30)  # the last one became ready just now
    app_server = create_app(token="sandbox", engine=engine)
    async with app_server.router.lifespan_context(app_server):
        transport = httpx.ASGITransport(app=app_server)
        config = ClientConfig(base_url=BASE_URL, token="sandbox")
        board = BoardApp(
            lambda: ToteClient(config, transport=transport, max_retries=0),
            location,
            kiosk=True,
            clock=Clock(wall=lambda: viewed_at),
            tz=UTC,
            auto_sweep=False,
        )
        async with board.run_test(size=BOARD_SIZE) as pilot:
            await settle(pilot)
            svg_path = out / f"{BOARD_SHOT}.svg"
            svg_path.write_text(board.export_screenshot(title="tote-track board --kiosk"))
    return with_png(svg_path, png=png)


SEVERAL_SHOT = "several-orders"
SEVERAL = (
    ({"mode": "PICKUP"}, TO_PREPARING),
    (DELIVERY, (*TO_PREPARING, E.READY)),
    (CURBSIDE, (E.PAYMENT_COMPLETED, E.ACCEPT)),
    ({"mode": "PICKUP"}, (*TO_PREPARING, E.READY, E.PICKED_UP)),
)


async def take_several(out: Path = HERE, *, png: bool = True) -> Path:
    """``tote-track A B C D``: four orders, the delivery (second) selected."""
    clock = SandboxClock()
    engine = Engine(clock=clock, rng=random.Random(1), id_rng=random.Random(SEVERAL_SHOT))
    order_ids = [place(engine, clock, handoff, events) for handoff, events in SEVERAL]
    async with tracker_on(engine, order_ids, clock.now + timedelta(seconds=12)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        svg_path = out / f"{SEVERAL_SHOT}.svg"
        svg_path.write_text(pilot.app.export_screenshot(title="tote-track · four orders"))
    return with_png(svg_path, png=png)


def take_board_on_a_tv(out: Path = HERE) -> list[Path]:
    """``board-tv-*.png``: the served board at 1920x1080 with 1, 4 and 20 Ready codes, a
    code being called, and offline."""
    from browser_board import chromium, served_board_on_a_tv

    if chromium() is None:
        print("  board-tv-*.png skipped: Chromium is not installed (apt-get install chromium)")
        return []
    return served_board_on_a_tv(out)


def take_board_in_browser(out: Path = HERE) -> Path | None:
    """``board-browser.png``: ``board --kiosk --serve`` as headless Chromium shows it."""
    from browser_board import chromium, served_board_screenshot

    if chromium() is None:
        print("  board-browser.png skipped: Chromium is not installed (apt-get install chromium)")
        return None
    return served_board_screenshot(out / "board-browser.png")


def rasterize(svg: str, png_path: Path) -> None:
    """PNG of a Textual SVG, drawn with DejaVu Sans Mono.

    Textual's SVG asks for Fira Code from a web font URL, which is out of reach offline,
    and cairo does not fall back per glyph: DejaVu Sans Mono has every glyph the tracker
    draws (check marks, box drawing, arrows), so the columns line up.
    """
    svg = svg.replace('"Fira Code"', '"DejaVu Sans Mono"').replace(
        "Fira Code,", "DejaVu Sans Mono,"
    )
    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(png_path), output_width=1400)


async def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the README's screenshots.")
    parser.add_argument("names", nargs="*", help="only these (default: all)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write to")
    parser.add_argument("--svg-only", action="store_true", help="skip the PNGs")
    args = parser.parse_args()
    for shot in SHOTS:
        if args.names and shot.name not in args.names:
            continue
        written = await take(shot, args.out, png=not args.svg_only)
        print(f"  {written}")
    if not args.names or SEVERAL_SHOT in args.names:
        print(f"  {await take_several(args.out, png=not args.svg_only)}")
    if not args.names or BOARD_SHOT in args.names:
        print(f"  {await take_board(args.out, png=not args.svg_only)}")
    if not args.svg_only and (not args.names or "board-browser" in args.names):
        browser_png = await asyncio.to_thread(take_board_in_browser, args.out)
        if browser_png is not None:
            print(f"  {browser_png}")
    if not args.svg_only and (not args.names or "board-tv" in args.names):
        for tv_png in await asyncio.to_thread(take_board_on_a_tv, args.out):
            print(f"  {tv_png}")


if __name__ == "__main__":
    asyncio.run(main())
