"""The commands without a screen: ``watch`` (and ``tote-track ORDER_ID`` in a pipe), ``list``.

The loop is the tracker's, minus Textual: fetch, let ``tracking.polling.PollingPolicy`` say
when to look again, report whenever one of the three status fields changes, and stop at a
terminal status, at the ``--until`` target, or when the scenario's max duration passed.

Exit codes (``tote_track.exit_codes``, design.md's ``watch`` table), from what the order
is: 0 the target was reached (without a target: ``status`` COMPLETED, a return included);
1 the order ended another way (FAILED, VOIDED, CANCELLED), or the target can no longer be
reached; 3 polling gave up (the scenario's max duration passed); 4 an API or network error
that did not recover (not found, token refused, or transient failures until the scenario's
max duration passed).

Two ways to report, the same events:

* text: one line per change on ``echo`` (``20:51:09 F9A8B7 CONFIRMED PAID PREPARING · Your
  order is being prepared.``, local time); reconnections, giving up, an unreachable target
  and errors go to ``warn`` (stderr);
* JSON lines (``json_lines=True``): one JSON object per line on ``echo`` for every event, see
  :func:`event_object`; ``warn`` only gets the final error's sentence (exit 4).

Text lines carry the server's words (statuses, error messages), so they pass through
``printable``: an escape sequence or a bidi override in them is shown, never acted on, and
each value is cut to a length a line can show. JSON keeps the exact text, with every
character ``printable`` would picture written as a ``\\uXXXX`` escape (``printable_json``).

``list`` prints :func:`orders_table` (plain aligned text) or :func:`orders_json`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any

import click

from tote_track import exit_codes
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import InvalidConfigError, ToteError, printable_json, shorten
from tote_track.api.models import (
    FulfillmentStatus,
    HandoffMode,
    OrderStatus,
    OrderSummary,
    PaymentStatus,
    short_code,
)
from tote_track.api.warm import WarmConnection
from tote_track.run import CommandFailed, say
from tote_track.tracking.lifecycle import (
    TARGETS,
    TERMINAL_ORDER_STATUSES,
    completed,
    handoff_out_of_reach,
    parse_target,
    target_reachable,
    target_reached,
)
from tote_track.tracking.order_ref import parse_order_ref
from tote_track.tracking.polling import (
    PollingPolicy,
    PollPlan,
    StopReason,
    never_reached,
    should_replace,
)
from tote_track.tracking.presentation import (
    VALUE_LIMIT,
    format_duration,
    format_money,
    printable,
    shown_text,
)
from tote_track.tracking.recent import recent_orders
from tote_track.tracking.several import verdict
from tote_track.tracking.stepper import progress_of, record_seen

__all__ = [
    "TARGETS",
    "OrderLookupError",
    "OrdersPrinter",
    "WatchEvent",
    "change_line",
    "event_object",
    "find_order",
    "follow_order",
    "lookup_failures",
    "orders_json",
    "orders_table",
    "parse_target",
    "run_follow",
    "run_list",
    "run_watch",
]

Echo = Callable[[str], None]
Sleep = Callable[[float], Awaitable[None]]


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

    Always: ``seen_at`` (ISO 8601, UTC), ``event``, ``id``, ``short_code`` (and the same
    as ``code``), ``status``,
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
        "short_code": short_code(order.id if order is not None else report.order_id),
        "code": short_code(order.id if order is not None else report.order_id),
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
    *,
    code: bool = True,
) -> str:
    """``10:09:12 F9A8B7 CONFIRMED PAID PREPARING · Your order is being prepared.``
    (``code=False``: without the code, which a line about one of several starts with)."""
    when = at.astimezone(tz).strftime("%H:%M:%S")
    values = (order.status, order.payment_status, order.fulfillment_status)
    fields = " ".join(shorten(value.value, VALUE_LIMIT) for value in values)
    named = f" {order.short_code}" if code else ""
    return f"{when}{named} {fields} · {progress_of(order, seen).headline}"


# -- the loop -----------------------------------------------------------------------------


class _Reporter:
    def __init__(
        self, order_id: str, echo: Echo, warn: Echo, *, json_lines: bool, tagged: bool = False
    ) -> None:
        self.order_id = order_id
        self.echo = echo
        self.json_lines = json_lines
        self.tag = f"{short_code(order_id)} " if tagged else ""
        """Several orders: every line starts with the order's code."""
        self._warn = warn

    def emit(self, report: _Report, text: str | None, *, to_warn: bool) -> None:
        if self.json_lines:
            self.echo(printable_json(json.dumps(event_object(report), ensure_ascii=False)))
        elif text is not None:
            line = printable(f"{self.tag}{text}")
            self.warn(line) if to_warn else self.echo(line)

    def warn(self, line: str) -> None:
        self._warn(line if line.startswith(self.tag) else f"{self.tag}{line}")


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
    tagged: bool = False,
) -> int:
    """Report each change of ``order_id`` until it ends (or reaches ``until``); the exit code.

    ``until`` is a value of :data:`TARGETS` (see :func:`parse_target`). The client should
    not retry by itself (``max_retries=0``): the policy owns every wait, Retry-After included.
    ``tagged``: one of several orders, every text line starts with its code.
    """
    policy = policy or PollingPolicy()
    out = _Reporter(order_id, echo, warn, json_lines=json_lines, tagged=tagged)
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
                    plan if plan is not None else policy.before_first(now),
                    now,
                    error.retry_after,
                    unreached=never_reached(error),
                )
            delay = plan.delay if error.transient and plan is not None else None
            if delay is None:
                return _api_error(watch, out, error, wall(), plan)
            _retrying(watch, out, error, delay, wall(), tz)
            await sleep(delay)
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
                change_line(shown, at, tz, watch.seen, code=not tagged),
                to_warn=False,
            )
            printed = state
        ended = _ending(watch, at, out)
        if ended is not None:
            return ended
        previous = plan
        plan = policy.start(shown, now) if plan is None else policy.after_success(plan, shown, now)
        if plan.stop is StopReason.TERMINAL and not completed(shown):
            return _finish(watch, at, out, reached=False)
        if plan.stop is not None or plan.delay is None:
            # Out of time: the stage's max duration, or the end of a completed order's
            # slow check for a return (--until RETURNED).
            scenario = plan.scenario or (previous.scenario if previous else None)
            assert scenario is not None
            return _gave_up(watch, out, policy.schedule(scenario).max_duration, at)
        await sleep(plan.delay)


async def follow_orders(
    client: ToteClient,
    order_ids: Sequence[str],
    *,
    fail_fast: bool = False,
    **options: Any,
) -> int:
    """Follow several orders at once, each on its own schedule (:func:`follow_order` with
    ``options``; every text line starts with the order's code); the exit code once every one
    is decided, or with ``fail_fast`` once one can no longer get there
    (``tracking.several.verdict``)."""
    watches = {
        asyncio.create_task(follow_order(client, order_id, tagged=True, **options)): order_id
        for order_id in order_ids
    }
    decided: dict[str, int] = {}
    pending = set(watches)
    try:
        while (code := verdict(decided, len(order_ids), fail_fast=fail_fast)) is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                decided[watches[task]] = task.result()
        return code
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _api_error(
    watch: _Watch, out: _Reporter, error: ToteError, at: datetime, plan: PollPlan | None
) -> int:
    """An error that did not recover (or could not): reported, exit 4."""
    note = _gave_up_note(error, plan)
    extra = {"error": _error_object(error), "exit_code": exit_codes.API_ERROR}
    out.emit(watch.report(WatchEvent.ERROR, at, extra), None, to_warn=True)
    out.warn(printable(f"Error: {error}{note}"))
    return exit_codes.API_ERROR


def _retrying(
    watch: _Watch,
    out: _Reporter,
    error: ToteError,
    delay: float,
    at: datetime,
    tz: tzinfo | None,
) -> None:
    report = watch.report(WatchEvent.RETRY, at, {"retry_in": delay, "error": _error_object(error)})
    when = at.astimezone(tz).strftime("%H:%M:%S")
    text = f"{when} reconnecting · retry in {format_duration(delay)} · {error}"
    out.emit(report, text, to_warn=True)


def _gave_up(watch: _Watch, out: _Reporter, waited: float, at: datetime) -> int:
    goal = f"reaching {watch.until}" if watch.until else "a final state"
    out.emit(
        watch.report(WatchEvent.GAVE_UP, at, {"waited": waited, "exit_code": exit_codes.GAVE_UP}),
        f"gave up after {format_duration(waited)} without {goal}; "
        "run watch again to keep following",
        to_warn=True,
    )
    return exit_codes.GAVE_UP


def _gave_up_note(error: ToteError, plan: PollPlan | None) -> str:
    """What follows the error's sentence on the last line: why the watch stops here."""
    if not error.transient or plan is None:
        return ""
    if plan.stop is StopReason.UNREACHABLE:
        return f"; no answer after {plan.failures} attempts"
    return "; the API did not recover"


def _ending(watch: _Watch, at: datetime, out: _Reporter) -> int | None:
    """The exit code once the watch is over, else None.

    Without a target: once the order's ``status`` is final (COMPLETED counts, whatever
    its fulfillment: a later return changes nothing). With one: once it is reached or
    out of reach.
    """
    shown = watch.shown
    if shown is None:
        return None
    if watch.until is None:
        if shown.status in TERMINAL_ORDER_STATUSES:
            return _finish(watch, at, out, reached=completed(shown))
        return None
    if target_reached(shown, watch.until):
        return _finish(watch, at, out, reached=True)
    if not target_reachable(shown, watch.until):
        return _finish(watch, at, out, reached=False)
    return None


def _finish(watch: _Watch, at: datetime, out: _Reporter, *, reached: bool) -> int:
    shown = watch.shown
    assert shown is not None
    outcome = progress_of(shown, watch.seen).outcome
    code = exit_codes.OK if reached else exit_codes.ENDED_OTHERWISE
    text = None
    where = f"{shown.status.value} · {shown.fulfillment_status.value}"
    if watch.until is None and not reached:
        ended = outcome.value if outcome is not None else shown.status.value.lower()
        text = f"order {shown.short_code} ended {ended}, not completed ({where})"
    elif watch.until is not None and not reached:
        if outcome is not None:
            why = f"the order ended {outcome.value} ({where})"
        elif handoff_out_of_reach(shown, watch.until):
            why = f"a {shown.handoff.mode.label.lower()} order is never {watch.until}"
        else:
            why = f"the order is {where}, from where it cannot get there"
        text = f"{watch.until} can no longer be reached: {why}"
    report = watch.report(
        WatchEvent.FINISHED,
        at,
        {
            "outcome": outcome.value if outcome is not None else None,
            "until": watch.until,
            "reached": code == exit_codes.OK,
            "exit_code": code,
        },
    )
    out.emit(report, text, to_warn=True)
    return code


# -- listing ------------------------------------------------------------------------------

_TABLE_HEADER = ("CODE", "CREATED", "STATUS", "PAYMENT", "FULFILLMENT", "HANDOFF", "TOTAL")
# The widths a listing printed as it arrives starts from: every value the API documents
# fits (``$99,999.99`` in TOTAL), so rows line up without waiting for the last page.
_STREAM_WIDTHS = (
    6,
    16,
    max(len(status.value) for status in OrderStatus),
    max(len(status.value) for status in PaymentStatus),
    max(len(status.value) for status in FulfillmentStatus),
    max(len(mode.label) for mode in HandoffMode),
    10,
)


def _table_row(order: OrderSummary, tz: tzinfo | None) -> tuple[str, ...]:
    return tuple(
        shown_text(cell, VALUE_LIMIT)
        for cell in (
            order.short_code,
            order.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            order.status.value,
            order.payment_status.value,
            order.fulfillment_status.value,
            order.handoff.mode.label,
            format_money(order.total),
        )
    )


def _table_line(row: Sequence[str], widths: Sequence[int]) -> str:
    cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
    return "  ".join([*cells, row[-1].rjust(widths[-1])])


def _count(orders: int) -> str:
    return f"{orders:,} order{'s' if orders != 1 else ''}"


def orders_table(
    orders: Sequence[OrderSummary], *, has_more: bool = False, tz: tzinfo | None = None
) -> list[str]:
    """``tote-track list``'s table: a header, one aligned row per order, a footer line.

    Plain text (no colour, no box drawing), readable in a terminal, a pager or a file;
    the server's words cut to :data:`VALUE_LIMIT` characters, with the characters a terminal
    would not show as themselves made visible (``printable``).
    ``CREATED`` is in local time (``tz``); ``TOTAL`` is right-aligned. The footer counts the
    orders and, when ``has_more``, says how to get the rest.
    """
    if not orders:
        return ["No orders match."]
    rows = [_table_row(order, tz) for order in orders]
    widths = [max(len(row[i]) for row in [_TABLE_HEADER, *rows]) for i in range(7)]
    lines = [_table_line(row, widths) for row in [_TABLE_HEADER, *rows]]
    count = _count(len(orders))
    lines.append(f"{count} · more: run with --all" if has_more else count)
    return lines


class OrdersPrinter:
    """``tote-track list --all``: each order printed as it arrives, none kept.

    The table starts at widths every documented value fits (a longer value widens the
    rows after it); JSON is the same array :func:`orders_json` prints, written an object
    at a time. :meth:`close` ends it (the footer, or the array's ``]``); a listing that
    fails is left where it stopped, so a reader of the JSON sees it is incomplete.
    """

    def __init__(self, echo: Callable[..., None], *, as_json: bool, tz: tzinfo | None = None):
        self._echo = echo
        self._as_json = as_json
        self._tz = tz
        self._widths = [max(a, len(b)) for a, b in zip(_STREAM_WIDTHS, _TABLE_HEADER, strict=True)]
        self.count = 0

    def add(self, order: OrderSummary) -> None:
        if self._as_json:
            text = json.dumps(_as_sent(order), indent=2, ensure_ascii=False)
            indented = "\n".join(f"  {line}" for line in text.split("\n"))
            self._echo(("[\n" if not self.count else ",\n") + printable_json(indented), nl=False)
        else:
            row = _table_row(order, self._tz)
            if not self.count:
                self._echo(_table_line(_TABLE_HEADER, self._widths))
            self._widths = [max(w, len(cell)) for w, cell in zip(self._widths, row, strict=True)]
            self._echo(_table_line(row, self._widths))
        self.count += 1

    def close(self) -> None:
        if self._as_json:
            self._echo("\n]" if self.count else "[]")
        else:
            self._echo(_count(self.count) if self.count else "No orders match.")


def _as_sent(order: OrderSummary) -> dict[str, Any]:
    """The summary as the API sent it: fields it left out stay out, unknown ones are kept."""
    return order.model_dump(mode="json", exclude_unset=True)


def orders_json(orders: Sequence[OrderSummary]) -> str:
    """``tote-track list --json``: one JSON array of the summaries as the API sent them
    (fields the server left out stay out; fields this version does not know are kept)."""
    data = [_as_sent(order) for order in orders]
    return printable_json(json.dumps(data, indent=2, ensure_ascii=False))


# -- finding an order by what the customer has ---------------------------------------------


class OrderLookupError(CommandFailed):
    """The order named by a short code could not be found (exactly once): one sentence (and
    the candidates, when several match) and the exit code to end with."""


async def find_order(client: ToteClient, text: str, *, now: datetime | None = None) -> str:
    """The id of the order ``text`` names: an id, a link to the order, or its short code.

    A link gives only the id (the order is read from ``client``'s API, never from the link's
    host). A short code is matched against the recent orders (``tracking.recent``).

    Raises ValueError (bad input, exit 2) or :class:`OrderLookupError`: no match (exit 4),
    several matches (exit 2, listed so the customer can pick one by id); a
    :class:`ToteError` from the list endpoint passes through.
    """
    ref = parse_order_ref(text)
    if ref.order_id is not None:
        return ref.order_id
    code = ref.short_code or ""
    recent = await recent_orders(client, now or datetime.now(UTC))
    matches = [order for order in recent.orders if order.short_code == code]
    where = recent.where
    if not matches:
        raise OrderLookupError(
            f"No order with the code {code} among {where}; "
            "track it by its full order id or its link instead.",
            exit_codes.API_ERROR,
        )
    if len(matches) > 1:
        raise OrderLookupError(
            f"{len(matches)} orders have the code {code}; "
            "run again with the full order id of the one you mean:",
            exit_codes.USAGE,
            [
                printable(
                    f"  {order.id}  {order.created_at.astimezone().strftime('%Y-%m-%d %H:%M')}"
                    f"  {order.status.value}  {format_money(order.total)}"
                )
                for order in matches
            ],
        )
    return matches[0].id


# -- the runners (``tote_track.run.run_command`` maps what they raise) ----------------------


def _echo(line: str) -> None:
    click.echo(line)


def _warn(line: str) -> None:
    click.echo(line, err=True)


def order_id_of(config: ClientConfig, text: str, *, warm: WarmConnection | None = None) -> str:
    """The id of the order ``text`` names (see :func:`find_order`); a short code is looked up
    through ``config``'s API. Raises :class:`OrderLookupError` (no match, several), or
    :class:`CommandFailed` (exit 4) when the lookup itself fails. ``warm``: the API's
    connection, opened ahead (``api.warm``)."""
    ref = parse_order_ref(text)
    if ref.order_id is not None:
        return ref.order_id

    async def lookup() -> str:
        async with ToteClient(config, warm=warm) as client:
            return await find_order(client, text)

    with lookup_failures(text):
        return asyncio.run(lookup())


@contextmanager
def lookup_failures(text: str) -> Iterator[None]:
    """Around the lookup of the code ``text``: an API error becomes :class:`CommandFailed`
    (exit 4) naming the code; a refused configuration stays what it is (exit 2)."""
    try:
        yield
    except ToteError as error:
        if isinstance(error, InvalidConfigError):
            raise
        code = parse_order_ref(text).short_code
        raise CommandFailed(
            f"could not look up the code {code}: {error.message}", exit_codes.API_ERROR
        ) from None


def run_follow(
    config: ClientConfig,
    order_ids: str | Sequence[str],
    *,
    until: str | None = None,
    json_lines: bool = False,
    policy: PollingPolicy | None = None,
    fail_fast: bool = False,
    warm: WarmConnection | None = None,
) -> int:
    """Follow the order ``order_ids`` (:func:`follow_order`), or each of several
    (:func:`follow_orders`: lines prefixed with their codes), with lines on stdout; the exit
    code."""
    options: dict[str, Any] = {
        "echo": _echo,
        "warn": _warn,
        "until": until,
        "json_lines": json_lines,
        "policy": policy,
    }

    async def follow() -> int:
        # A client that never retries by itself: the polling policy owns every wait
        # (Retry-After too).
        async with ToteClient(config, max_retries=0, warm=warm) as client:
            if isinstance(order_ids, str):
                return await follow_order(client, order_ids, **options)
            return await follow_orders(client, order_ids, fail_fast=fail_fast, **options)

    return asyncio.run(follow())


def run_watch(
    config: ClientConfig,
    text: str | Sequence[str],
    *,
    until: str | None = None,
    json_lines: bool = False,
    poll_speed: float = 1.0,
    fail_fast: bool = False,
    warm: WarmConnection | None = None,
) -> int:
    """``tote-track watch``: the order ``text`` names (or each of several), followed until
    it ends (every one of them is decided; ``fail_fast``: or one can no longer get there).
    ``warm``: the API's connection, opened ahead (``api.warm``): the first request's."""
    try:
        order_ids = order_ids_of(config, [text] if isinstance(text, str) else text, warm=warm)
        policy = PollingPolicy().scaled(poll_speed) if poll_speed != 1.0 else None
        return run_follow(
            config,
            order_ids[0] if len(order_ids) == 1 else order_ids,
            until=until,
            json_lines=json_lines,
            policy=policy,
            fail_fast=fail_fast,
            warm=warm,
        )
    finally:
        if warm is not None:
            warm.close()


def order_ids_of(
    config: ClientConfig, texts: Sequence[str], *, warm: WarmConnection | None = None
) -> list[str]:
    """The ids of the orders ``texts`` name (codes looked up one by one, as
    :func:`order_id_of`), each once: a code and the id it names are one order."""
    return list(dict.fromkeys(order_id_of(config, text, warm=warm) for text in texts))


async def _say_then_sleep(delay: float) -> None:
    # The client waits out Retry-After (up to minutes) before its retries: say so, or `list`
    # looks hung. Waits under a second are the backoff's jitter, not worth a line.
    if delay >= 1:
        say(f"the API is busy (rate limited or failing); retrying in {format_duration(delay)}")
    await asyncio.sleep(delay)


def run_list(
    config: ClientConfig,
    filters: Mapping[str, Any],
    *,
    limit: int | None = None,
    all_pages: bool = False,
    as_json: bool = False,
) -> int:
    """``tote-track list``: one page of orders as a table or JSON; with ``all_pages`` every
    page, each order printed as it arrives (:class:`OrdersPrinter`) and none kept, within
    the client's bounds on pages, orders and bytes (an error ends it: exit 4)."""

    async def one_page() -> int:
        async with ToteClient(config, sleep=_say_then_sleep) as client:
            page = await client.list_orders(**filters, limit=limit)
        if as_json:
            click.echo(orders_json(page.data))
        else:
            click.echo("\n".join(orders_table(page.data, has_more=page.pagination.has_more)))
        return exit_codes.OK

    async def every_page() -> int:
        printer = OrdersPrinter(click.echo, as_json=as_json)
        async with ToteClient(config, sleep=_say_then_sleep) as client:
            # The table shows no field this version does not know: it keeps none.
            orders = client.iter_orders(
                **filters, page_size=limit or 100, known_fields_only=not as_json
            )
            async for order in orders:
                printer.add(order)
        printer.close()
        return exit_codes.OK

    return asyncio.run(every_page() if all_pages else one_page())
