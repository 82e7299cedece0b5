"""The commands without a screen: ``watch`` (and ``tote-track ORDER_ID`` in a pipe), ``list``.

The loop is the tracker's, minus Textual: fetch, let ``tracking.polling.PollingPolicy`` say
when to look again, report whenever one of the three status fields changes, and stop at a
terminal status, at the ``--until`` target, or when the scenario's max duration passed.

Exit codes (design.md's ``watch`` table): 0 the target was reached (without a target: the
order completed); 1 the order ended another way (cancelled, failed, voided, returned), or
the target can no longer be reached; 3 polling gave up (the scenario's max duration passed);
4 an API or network error that did not recover (not found, token refused, or transient
failures until the scenario's max duration passed).

Two ways to report, the same events:

* text: one line per change on ``echo`` (``20:51:09 F9A8B7 CONFIRMED PAID PREPARING · Your
  order is being prepared.``, local time); reconnections, giving up, an unreachable target
  and errors go to ``warn`` (stderr);
* JSON lines (``json_lines=True``): one JSON object per line on ``echo`` for every event, see
  :func:`event_object`; ``warn`` only gets the final error's sentence (exit 4).

``list`` prints :func:`orders_table` (plain aligned text) or :func:`orders_json`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any

from tote_track.api.client import ToteClient
from tote_track.api.errors import ToteError, shorten
from tote_track.api.models import FulfillmentStatus, OrderStatus, OrderSummary
from tote_track.tracking.lifecycle import FULFILLMENT_TRANSITIONS, ORDER_TRANSITIONS
from tote_track.tracking.polling import (
    SCHEDULES,
    PollingPolicy,
    PollPlan,
    Schedule,
    StopReason,
    should_replace,
)
from tote_track.tracking.presentation import format_duration, format_money
from tote_track.tracking.stepper import Outcome, progress_of, record_seen

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_ENDED_OTHERWISE",
    "EXIT_GAVE_UP",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "TARGETS",
    "WatchEvent",
    "change_line",
    "event_object",
    "follow_order",
    "orders_json",
    "orders_table",
    "parse_target",
    "scaled_policy",
    "target_reachable",
    "target_reached",
]

EXIT_OK = 0
EXIT_ENDED_OTHERWISE = 1
EXIT_USAGE = 2
EXIT_GAVE_UP = 3
EXIT_API_ERROR = 4
EXIT_INTERRUPTED = 130

Echo = Callable[[str], None]
Sleep = Callable[[float], Awaitable[None]]


# -- the --until target -------------------------------------------------------------------


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


TARGETS: tuple[str, ...] = _unique(
    [s.value for s in OrderStatus] + [s.value for s in FulfillmentStatus]
)
"""Every value ``--until`` accepts: the ``status`` values, then the ``fulfillment_status``
values (PENDING and CANCELLED are both, once)."""


def parse_target(text: str) -> str:
    """The ``--until`` value in the API's spelling (``ready-for-pickup`` -> READY_FOR_PICKUP).

    Raises ValueError naming every accepted value.
    """
    value = text.strip().upper().replace("-", "_").replace(" ", "_")
    if value in TARGETS:
        return value
    statuses = ", ".join(s.value for s in OrderStatus)
    fulfillment = ", ".join(s.value for s in FulfillmentStatus)
    raise ValueError(
        f"{shorten(text, 100)!r} is not an order state. Use a status ({statuses}) or a fulfillment "
        f"status ({fulfillment}); case does not matter."
    )


# Each field's state machine, as the guide draws it, from the state every order starts in.
_MACHINES: tuple[tuple[str, Mapping[Any, frozenset[Any]]], ...] = (
    ("status", ORDER_TRANSITIONS),
    ("fulfillment_status", FULFILLMENT_TRANSITIONS),
)


def _reachable(
    graph: Mapping[str, Iterable[str]], start: str, avoid: str | None = None
) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt != avoid and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def target_reached(order: OrderSummary, target: str) -> bool:
    """Whether ``order`` is at ``target`` or has certainly passed through it.

    Passed through: every path of the field's state machine from PENDING to the current
    value goes through ``target`` (an order seen FULFILLED was READY_FOR_PICKUP, even if no
    poll caught it there; one seen CANCELLED may never have been PREPARING).
    """
    for name, graph in _MACHINES:
        if target not in graph:
            continue
        current = str(getattr(order, name).value)
        if current not in graph:  # a value this version does not know
            continue
        if current == target or current not in _reachable(graph, "PENDING", avoid=target):
            return True
    return False


def target_reachable(order: OrderSummary, target: str) -> bool:
    """Whether ``order`` got to ``target`` or may still get there (True while a value is
    unknown)."""
    if target_reached(order, target):
        return True
    for name, graph in _MACHINES:
        if target not in graph:
            continue
        current = str(getattr(order, name).value)
        if current not in graph or target in _reachable(graph, current):
            return True
    return False


# -- the events ---------------------------------------------------------------------------


class WatchEvent(StrEnum):
    CHANGE = "change"
    """One of the three status fields changed (the first answer counts as a change)."""
    RETRY = "retry"
    """A transient failure (network, 5xx, 429); the next try is ``retry_in`` seconds away."""
    GAVE_UP = "gave_up"
    """The scenario's max duration passed without a final state (exit 3)."""
    FINISHED = "finished"
    """The watch ended on the order's state: target reached, final status, or target
    unreachable (exit 0 or 1)."""
    ERROR = "error"
    """An API or network error that did not recover (exit 4)."""


@dataclass(frozen=True, slots=True)
class _Report:
    event: WatchEvent
    seen_at: datetime
    order_id: str
    order: OrderSummary | None
    headline: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_object(report: _Report) -> dict[str, Any]:
    """The JSON object of one event (one line of ``watch --json``).

    Always: ``seen_at`` (ISO 8601, UTC), ``event``, ``id``, ``short_code``, ``status``,
    ``payment_status``, ``fulfillment_status``, ``headline`` (the three statuses and the
    headline are the last known ones, null before the order was ever read). Then by event:
    ``retry``: ``retry_in`` (seconds) and ``error``; ``gave_up``: ``waited`` (seconds) and
    ``exit_code``; ``finished``: ``outcome`` (completed, cancelled, returned, failed,
    voided or null), ``until`` (the target or null), ``reached`` (bool) and ``exit_code``;
    ``error``: ``error`` and ``exit_code``. ``error`` is an object: ``message`` (a
    sentence), ``code``, ``status_code`` and ``request_id`` (each may be null).
    """
    order = report.order
    obj: dict[str, Any] = {
        "seen_at": _iso(report.seen_at),
        "event": report.event.value,
        "id": order.id if order is not None else report.order_id,
        "short_code": order.short_code if order is not None else report.order_id[:6].upper(),
        "status": order.status.value if order is not None else None,
        "payment_status": order.payment_status.value if order is not None else None,
        "fulfillment_status": order.fulfillment_status.value if order is not None else None,
        "headline": report.headline,
    }
    obj.update(report.extra)
    return obj


def _error_object(error: ToteError) -> dict[str, Any]:
    return {
        "message": str(error),
        "code": error.code,
        "status_code": error.status_code,
        "request_id": error.request_id,
    }


def change_line(
    order: OrderSummary,
    at: datetime,
    tz: tzinfo | None = None,
    seen: Mapping[FulfillmentStatus, datetime] | None = None,
) -> str:
    """``10:09:12 F9A8B7 CONFIRMED PAID PREPARING · Your order is being prepared.``"""
    when = at.astimezone(tz).strftime("%H:%M:%S")
    fields = f"{order.status.value} {order.payment_status.value} {order.fulfillment_status.value}"
    return f"{when} {order.short_code} {fields} · {progress_of(order, seen).headline}"


# -- the policy ---------------------------------------------------------------------------


def scaled_policy(speed: float) -> PollingPolicy:
    """The guide's schedules ``speed`` times faster (for a sandbox playing at that speed)."""
    if not speed > 0:
        raise ValueError(f"speed must be positive, got {speed}")
    return PollingPolicy(
        {
            scenario: Schedule(
                initial=s.initial / speed,
                maximum=s.maximum / speed,
                max_duration=s.max_duration / speed,
            )
            for scenario, s in SCHEDULES.items()
        }
    )


# -- the loop -----------------------------------------------------------------------------


class _Reporter:
    def __init__(self, order_id: str, echo: Echo, warn: Echo, *, json_lines: bool) -> None:
        self.order_id = order_id
        self.echo = echo
        self.warn = warn
        self.json_lines = json_lines

    def emit(self, report: _Report, text: str | None, *, to_warn: bool) -> None:
        if self.json_lines:
            self.echo(json.dumps(event_object(report), ensure_ascii=False))
        elif text is not None:
            (self.warn if to_warn else self.echo)(text)


@dataclass
class _Watch:
    order_id: str
    until: str | None
    shown: OrderSummary | None = None
    seen: dict[FulfillmentStatus, datetime] = field(default_factory=dict)

    def report(
        self, event: WatchEvent, at: datetime, extra: Mapping[str, Any] | None = None
    ) -> _Report:
        headline = progress_of(self.shown, self.seen).headline if self.shown else None
        return _Report(event, at, self.order_id, self.shown, headline, extra or {})


async def follow_order(
    client: ToteClient,
    order_id: str,
    *,
    echo: Echo,
    warn: Echo,
    until: str | None = None,
    json_lines: bool = False,
    policy: PollingPolicy | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Sleep = asyncio.sleep,
    tz: tzinfo | None = None,
) -> int:
    """Report each change of ``order_id`` until it ends (or reaches ``until``); the exit code.

    ``until`` is a value of :data:`TARGETS` (see :func:`parse_target`). The client should
    not retry by itself (``max_retries=0``): the policy owns every wait, Retry-After included.
    """
    policy = policy or PollingPolicy()
    out = _Reporter(order_id, echo, warn, json_lines=json_lines)
    watch = _Watch(order_id, until)
    plan: PollPlan | None = None
    printed: tuple[str, str, str] | None = None
    while True:
        now = monotonic()
        try:
            order = await client.get_order(order_id)
        except ToteError as error:
            if error.transient:
                plan = policy.after_failure(
                    plan if plan is not None else policy.before_first(now), now, error.retry_after
                )
            if not error.transient or plan is None or plan.delay is None:
                note = "" if not error.transient else "; the API did not recover"
                report = watch.report(
                    WatchEvent.ERROR,
                    wall(),
                    {"error": _error_object(error), "exit_code": EXIT_API_ERROR},
                )
                out.emit(report, None, to_warn=True)
                warn(f"error: {error}{note}")
                return EXIT_API_ERROR
            at = wall()
            report = watch.report(
                WatchEvent.RETRY, at, {"retry_in": plan.delay, "error": _error_object(error)}
            )
            when = at.astimezone(tz).strftime("%H:%M:%S")
            text = f"{when} reconnecting · retry in {format_duration(plan.delay)} · {error}"
            out.emit(report, text, to_warn=True)
            await sleep(plan.delay)
            continue
        at = wall()
        if watch.shown is None or should_replace(watch.shown, order):
            watch.shown = order
        shown = watch.shown
        watch.seen = record_seen(watch.seen, shown, at)
        state = (shown.status.value, shown.payment_status.value, shown.fulfillment_status.value)
        if state != printed:
            out.emit(
                watch.report(WatchEvent.CHANGE, at),
                change_line(shown, at, tz, watch.seen),
                to_warn=False,
            )
            printed = state
        ended = _ending(watch, at, out)
        if ended is not None:
            return ended
        plan = policy.start(shown, now) if plan is None else policy.after_success(plan, shown, now)
        if plan.stop is StopReason.TERMINAL:
            return _finish(watch, at, out, reached=until is None)
        if plan.stop is StopReason.GAVE_UP or plan.delay is None:
            assert plan.scenario is not None
            waited = policy.schedule(plan.scenario).max_duration
            goal = f"reaching {until}" if until else "a final state"
            out.emit(
                watch.report(WatchEvent.GAVE_UP, at, {"waited": waited, "exit_code": EXIT_GAVE_UP}),
                f"gave up after {format_duration(waited)} without {goal}; "
                "run watch again to keep following",
                to_warn=True,
            )
            return EXIT_GAVE_UP
        await sleep(plan.delay)


def _ending(watch: _Watch, at: datetime, out: _Reporter) -> int | None:
    """With a target: the exit code once it is reached or out of reach, else None."""
    if watch.until is None or watch.shown is None:
        return None
    if target_reached(watch.shown, watch.until):
        return _finish(watch, at, out, reached=True)
    if not target_reachable(watch.shown, watch.until):
        return _finish(watch, at, out, reached=False)
    return None


def _finish(watch: _Watch, at: datetime, out: _Reporter, *, reached: bool) -> int:
    shown = watch.shown
    assert shown is not None
    outcome = progress_of(shown, watch.seen).outcome
    if watch.until is None:
        code = EXIT_OK if outcome is Outcome.COMPLETED else EXIT_ENDED_OTHERWISE
    else:
        code = EXIT_OK if reached else EXIT_ENDED_OTHERWISE
    text = None
    if watch.until is not None and not reached:
        where = f"{shown.status.value} · {shown.fulfillment_status.value}"
        if outcome is Outcome.COMPLETED:
            why = f"the order completed ({where}) and polling stops at a final status"
        elif outcome is not None:
            why = f"the order ended {outcome.value} ({where})"
        else:
            why = f"the order is {where}, from where it cannot get there"
        text = f"{watch.until} can no longer be reached: {why}"
    report = watch.report(
        WatchEvent.FINISHED,
        at,
        {
            "outcome": outcome.value if outcome is not None else None,
            "until": watch.until,
            "reached": code == EXIT_OK,
            "exit_code": code,
        },
    )
    out.emit(report, text, to_warn=True)
    return code


# -- listing ------------------------------------------------------------------------------

_TABLE_HEADER = ("CODE", "CREATED", "STATUS", "PAYMENT", "FULFILLMENT", "HANDOFF", "TOTAL")


def orders_table(
    orders: Sequence[OrderSummary], *, has_more: bool = False, tz: tzinfo | None = None
) -> list[str]:
    """``tote-track list``'s table: a header, one aligned row per order, a footer line.

    Plain text (no colour, no box drawing), readable in a terminal, a pager or a file.
    ``CREATED`` is in local time (``tz``); ``TOTAL`` is right-aligned. The footer counts the
    orders and, when ``has_more``, says how to get the rest.
    """
    if not orders:
        return ["No orders match."]
    rows = [
        (
            order.short_code,
            order.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            order.status.value,
            order.payment_status.value,
            order.fulfillment_status.value,
            order.handoff.mode.label,
            format_money(order.total),
        )
        for order in orders
    ]
    widths = [max(len(row[i]) for row in [_TABLE_HEADER, *rows]) for i in range(7)]
    lines = []
    for row in [_TABLE_HEADER, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, row[-1].rjust(widths[-1])]))
    count = f"{len(orders)} order{'s' if len(orders) != 1 else ''}"
    lines.append(f"{count} · more: run with --all" if has_more else count)
    return lines


def orders_json(orders: Sequence[OrderSummary]) -> str:
    """``tote-track list --json``: one JSON array of the summaries as the API sent them
    (fields the server left out stay out; fields this version does not know are kept)."""
    data = [order.model_dump(mode="json", exclude_unset=True) for order in orders]
    return json.dumps(data, indent=2, ensure_ascii=False)
