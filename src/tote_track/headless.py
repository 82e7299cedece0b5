"""Following an order without a screen: one line per change until it ends.

Used by ``tote-track ORDER_ID`` when stdout is not a terminal (a pipe, a log file, CI).
The loop is the tracker's, minus Textual: fetch, let ``tracking.polling.PollingPolicy`` say
when to look again, print a line whenever one of the three status fields changes, and stop
at a terminal status.

Exit codes (design.md's ``watch`` table): 0 the order completed; 1 it ended another way
(cancelled, failed, voided, returned); 3 polling gave up (the scenario's max duration
passed); 4 an API or network error that did not recover (not found, token refused, ...).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo

from tote_track.api.client import ToteClient
from tote_track.api.errors import ToteError
from tote_track.api.models import OrderSummary
from tote_track.tracking.polling import (
    PollingPolicy,
    PollPlan,
    Scenario,
    StopReason,
    should_replace,
)
from tote_track.tracking.presentation import format_duration
from tote_track.tracking.stepper import Outcome, progress_of

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_ENDED_OTHERWISE",
    "EXIT_GAVE_UP",
    "EXIT_OK",
    "EXIT_USAGE",
    "change_line",
    "first_plan",
    "follow_order",
]

EXIT_OK = 0
EXIT_ENDED_OTHERWISE = 1
EXIT_USAGE = 2
EXIT_GAVE_UP = 3
EXIT_API_ERROR = 4

Echo = Callable[[str], None]
Sleep = Callable[[float], Awaitable[None]]


def first_plan(now: float) -> PollPlan:
    """The plan before any order arrived (the API failed on the very first request).

    Retries follow the calm preparation schedule until the order is known; the first
    retry waits the schedule's initial interval.
    """
    return PollPlan(
        scenario=Scenario.PREPARATION,
        started_at=now,
        attempt=-1,  # no delay handed out yet
        failures=0,
        delay=None,
        stop=None,
    )


def change_line(order: OrderSummary, at: datetime, tz: tzinfo | None = None) -> str:
    """``10:09:12 F9A8B7 CONFIRMED PAID PREPARING · Your order is being prepared.``"""
    when = at.astimezone(tz).strftime("%H:%M:%S")
    fields = f"{order.status.value} {order.payment_status.value} {order.fulfillment_status.value}"
    return f"{when} {order.short_code} {fields} · {progress_of(order).headline}"


async def follow_order(
    client: ToteClient,
    order_id: str,
    *,
    echo: Echo,
    warn: Echo,
    policy: PollingPolicy | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Sleep = asyncio.sleep,
    tz: tzinfo | None = None,
) -> int:
    """Print a line per change of ``order_id`` until it ends; returns the exit code."""
    policy = policy or PollingPolicy()
    plan: PollPlan | None = None
    shown: OrderSummary | None = None
    printed: tuple[str, str, str] | None = None
    while True:
        now = monotonic()
        try:
            order = await client.get_order(order_id)
        except ToteError as error:
            if not error.transient:
                warn(f"error: {error}")
                return EXIT_API_ERROR
            plan = policy.after_failure(
                plan if plan is not None else first_plan(now), now, error.retry_after
            )
            if plan.delay is None:
                warn(f"error: {error}; the API did not recover")
                return EXIT_API_ERROR
            warn(f"reconnecting in {format_duration(plan.delay)}: {error}")
            await sleep(plan.delay)
            continue
        if shown is None or should_replace(shown, order):
            shown = order
        state = (shown.status.value, shown.payment_status.value, shown.fulfillment_status.value)
        if state != printed:
            echo(change_line(shown, wall(), tz))
            printed = state
        plan = policy.start(shown, now) if plan is None else policy.after_success(plan, shown, now)
        if plan.stop is StopReason.TERMINAL:
            outcome = progress_of(shown).outcome
            return EXIT_OK if outcome is Outcome.COMPLETED else EXIT_ENDED_OTHERWISE
        if plan.stop is StopReason.GAVE_UP or plan.delay is None:
            assert plan.scenario is not None
            waited = format_duration(policy.schedule(plan.scenario).max_duration)
            warn(f"stopped after {waited} without a change to a final state")
            return EXIT_GAVE_UP
        await sleep(plan.delay)
