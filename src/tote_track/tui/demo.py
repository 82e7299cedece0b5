"""``tote-track demo``: the tracker on an order the built-in sandbox plays by itself.

The ``manual`` and ``manual_delivery`` scenarios create an order that does not move by itself,
for walking it through the tracker's QA console (``e``) step by step.

The sandbox runs in this process on a free loopback port (a real socket: its URL is shown
in the tracker, so it can be queried with curl meanwhile). Its server stack is imported
here, inside the command, and nowhere else in the tracker.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import ToteError
from tote_track.api.models import Order
from tote_track.tracking.presentation import printable

__all__ = ["MANUAL_SCENARIOS", "create_demo_order", "demo_order_body", "run_demo"]

EXIT_USAGE = 2
EXIT_SANDBOX_FAILED = 1

# Orders that only move when the QA console fires an event.
MANUAL_SCENARIOS: dict[str, dict[str, Any]] = {
    "manual": {"handoff": {"mode": "PICKUP"}},
    "manual_delivery": {
        "handoff": {
            "mode": "DELIVERY",
            "delivery_address": {"line1": "12 Main St", "city": "Springfield"},
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


def run_demo(
    scenario: str, speed: float, *, follow: Callable[[ClientConfig, str], int] | None = None
) -> int:
    """Start the sandbox, create a scripted order and track it; returns the exit code.

    ``follow(config, order_id)``: how to track it instead of the tracker's screen (lines
    when there is no terminal); it returns the exit code.
    """
    from tote_track.sandbox.autoplay import SCENARIO_NAMES
    from tote_track.sandbox.server import EmbeddedSandbox
    from tote_track.tui.app import run_tracker

    names = (*SCENARIO_NAMES, *MANUAL_SCENARIOS)
    if scenario not in names:
        print(
            f"Error: unknown scenario {scenario!r}. Choose one of: {', '.join(names)}.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not speed > 0:
        print("Error: --speed must be a positive number.", file=sys.stderr)
        return EXIT_USAGE
    try:
        sandbox = EmbeddedSandbox().start()
    except RuntimeError as error:
        print(printable(f"Error: the demo sandbox could not start: {error}"), file=sys.stderr)
        return EXIT_SANDBOX_FAILED
    try:
        try:
            order = asyncio.run(create_demo_order(sandbox.config, scenario, speed))
        except ToteError as error:
            print(
                printable(f"Error: the demo order could not be created: {error}"), file=sys.stderr
            )
            return EXIT_SANDBOX_FAILED
        if follow is not None:
            return follow(sandbox.config, order.id)
        return run_tracker(sandbox.config, order.id, sandbox=True)
    finally:
        sandbox.stop()
