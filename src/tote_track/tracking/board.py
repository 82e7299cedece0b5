"""The store board: which orders show in which column, which are NEW, paging, staleness.

A board refresh is one *sweep*: every order of a location, read page after page. From each
sweep :meth:`BoardModel.apply_sweep` builds the next board:

* "Preparing": fulfillment IN_PROGRESS or PREPARING; "Ready for pickup": READY_FOR_PICKUP
  (delivery orders too: the driver collects them at the counter with the same code). An
  order whose ``status`` is final, or at any other fulfillment stage, is not on the board,
  so orders leave it when they are picked up, delivered or cancelled.
* Each order is its short code only. Oldest first (``created_at``, then id): the customer
  who has waited longest is at the top, and a code keeps its place as newer orders arrive.
* An order is NEW for :data:`NEW_FOR` after it was first seen ready. Orders that were
  already ready on the board's first sweep count from their ``updated_at`` (the moment they
  became ready, as far as the board can know), so starting the board does not mark every
  waiting order NEW.
* A failed sweep keeps the board's codes but makes it *offline* at once (it says so, with
  the time of the codes shown) until the next good sweep; an offline board marks nothing
  NEW, since it cannot know what became ready meanwhile. A sweep that hangs makes the board
  offline too, once :data:`PAUSE_AFTER` has passed without a successful sweep.

What the model keeps between sweeps is bounded by the orders on the board: the ready times
of orders that left are dropped at the next sweep. Pure: times are handed in by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from tote_track.api.errors import RETRY_AFTER_CAP
from tote_track.api.models import FulfillmentStatus, OrderStatus, OrderSummary, short_code
from tote_track.tracking.lifecycle import TERMINAL_ORDER_STATUSES
from tote_track.tracking.polling import SCHEDULES, Scenario

__all__ = [
    "NEW_FOR",
    "PAUSE_AFTER",
    "REFRESH_EVERY",
    "REFRESH_MAX",
    "SWEEP_STATUS",
    "BoardColumn",
    "BoardEntry",
    "BoardModel",
    "BoardOrder",
    "BoardPages",
    "Column",
    "ColumnPage",
    "LocationSeen",
    "board_order",
    "locations_seen",
    "page_count",
    "pages",
    "paginate",
    "refresh_delay",
    "retry_words",
]

NEW_FOR = timedelta(minutes=2)
"""How long an order is marked NEW after it was first seen ready."""
PAUSE_AFTER = timedelta(seconds=60)
"""Without a successful sweep for this long, the board is paused."""
REFRESH_EVERY: float = SCHEDULES[Scenario.PREPARATION].initial
"""Seconds between sweeps while all is well: the preparation scenario's cadence (5 s)."""
REFRESH_MAX: float = SCHEDULES[Scenario.PREPARATION].maximum
"""The longest wait between sweeps while they fail: the preparation scenario's max (30 s)."""

SWEEP_STATUS = OrderStatus.CONFIRMED
"""The ``status`` filter of a sweep: orders being prepared or ready are always CONFIRMED
(paid and accepted by the store), so PENDING payments and finished orders are left out at
the source, which keeps a sweep to the orders that matter however long the history."""

_EMPTY_TIMES: Mapping[str, datetime] = MappingProxyType({})


class Column(StrEnum):
    PREPARING = "preparing"
    READY = "ready"

    @property
    def heading(self) -> str:
        """The column's heading in words."""
        return COLUMN_TITLES[self]


COLUMN_TITLES: Mapping[Column, str] = MappingProxyType(
    {Column.PREPARING: "Preparing", Column.READY: "Ready for pickup"}
)
COLUMN_OF: Mapping[FulfillmentStatus, Column] = MappingProxyType(
    {
        FulfillmentStatus.IN_PROGRESS: Column.PREPARING,
        FulfillmentStatus.PREPARING: Column.PREPARING,
        FulfillmentStatus.READY_FOR_PICKUP: Column.READY,
    }
)


@dataclass(frozen=True, slots=True)
class BoardOrder:
    """The little the board needs of an order (a sweep keeps only these, not summaries)."""

    id: str
    column: Column
    created_at: datetime
    updated_at: datetime

    @property
    def code(self) -> str:
        return short_code(self.id)


def board_order(order: OrderSummary) -> BoardOrder | None:
    """The order as the board shows it, or None when it is not on the board."""
    if order.status in TERMINAL_ORDER_STATUSES:
        return None
    column = COLUMN_OF.get(order.fulfillment_status)
    if column is None:
        return None
    return BoardOrder(order.id, column, order.created_at, order.updated_at)


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """One order on the board: its short code, and whether it is NEW."""

    order_id: str
    code: str
    new: bool = False


@dataclass(frozen=True, slots=True)
class BoardColumn:
    column: Column
    entries: tuple[BoardEntry, ...]

    @property
    def title(self) -> str:
        return self.column.heading


def _sort_key(order: BoardOrder) -> tuple[datetime, str]:
    return (order.created_at, order.id)


@dataclass(frozen=True, slots=True)
class BoardModel:
    """The board between sweeps. Build with :meth:`start`; every method returns a new one.

    ``ready_since``: when each order now in "Ready for pickup" was first seen ready.
    ``last_success``: when the last successful sweep ended (None before the first).
    ``started_at``: when the board started (the reference for "paused" before any success).
    ``failures``: failed sweeps in a row since the last success.
    """

    started_at: datetime
    preparing: tuple[BoardEntry, ...] = ()
    ready: tuple[BoardEntry, ...] = ()
    ready_since: Mapping[str, datetime] = field(default_factory=lambda: _EMPTY_TIMES)
    last_success: datetime | None = None
    failures: int = 0
    new_for: timedelta = NEW_FOR

    @classmethod
    def start(cls, now: datetime, *, new_for: timedelta = NEW_FOR) -> BoardModel:
        return cls(started_at=now, new_for=new_for)

    # -- sweeps ----------------------------------------------------------------------

    def apply_sweep(self, orders: Iterable[OrderSummary | BoardOrder], now: datetime) -> BoardModel:
        """The board after a complete, successful sweep of the location's orders."""
        latest: dict[str, BoardOrder] = {}
        for item in orders:
            order = board_order(item) if isinstance(item, OrderSummary) else item
            if order is None:
                continue
            known = latest.get(order.id)
            if known is None or order.updated_at >= known.updated_at:
                latest[order.id] = order
        first_sweep = self.last_success is None
        ready_since: dict[str, datetime] = {}
        for order in latest.values():
            if order.column is not Column.READY:
                continue
            since = self.ready_since.get(order.id)
            if since is None:
                # Already ready when the board started: it became ready at its last update.
                since = min(order.updated_at, now) if first_sweep else now
            ready_since[order.id] = since
        ordered = sorted(latest.values(), key=_sort_key)
        preparing = tuple(BoardEntry(o.id, o.code) for o in ordered if o.column is Column.PREPARING)
        ready = tuple(
            BoardEntry(o.id, o.code, self._is_new(ready_since[o.id], now))
            for o in ordered
            if o.column is Column.READY
        )
        return replace(
            self,
            preparing=preparing,
            ready=ready,
            ready_since=MappingProxyType(ready_since),
            last_success=now,
            failures=0,
        )

    def apply_failure(self, now: datetime) -> BoardModel:
        """The board after a failed sweep: the same codes, offline, none marked NEW."""
        ready = tuple(replace(entry, new=False) if entry.new else entry for entry in self.ready)
        return replace(self, ready=ready, failures=self.failures + 1)

    def at(self, now: datetime) -> BoardModel:
        """The same board at ``now``: NEW markers whose time is over are dropped."""
        ready = tuple(
            replace(entry, new=False)
            if entry.new and not self._is_new(self.ready_since[entry.order_id], now)
            else entry
            for entry in self.ready
        )
        if ready == self.ready:
            return self
        return replace(self, ready=ready)

    def _is_new(self, since: datetime, now: datetime) -> bool:
        return now - since < self.new_for

    # -- reading ---------------------------------------------------------------------

    @property
    def columns(self) -> tuple[BoardColumn, BoardColumn]:
        return (
            BoardColumn(Column.PREPARING, self.preparing),
            BoardColumn(Column.READY, self.ready),
        )

    @property
    def loaded(self) -> bool:
        """True once a sweep has succeeded."""
        return self.last_success is not None

    @property
    def empty(self) -> bool:
        return not self.preparing and not self.ready

    @property
    def paused_at(self) -> datetime:
        """When the board counts as paused unless a sweep succeeds before."""
        return (self.last_success or self.started_at) + PAUSE_AFTER

    def paused(self, now: datetime) -> bool:
        """True once :data:`PAUSE_AFTER` has passed without a successful sweep."""
        return now >= self.paused_at

    def offline(self, now: datetime) -> bool:
        """True from the first failed sweep (or a sweep hanging past :data:`PAUSE_AFTER`)
        until the next good one: the codes shown may be out of date."""
        return self.failures > 0 or self.paused(now)

    def became_ready(self, before: BoardModel) -> tuple[BoardEntry, ...]:
        """The codes in "Ready for pickup" now that were not at the ``before`` board's last
        good sweep (none after the first sweep: nothing was seen becoming ready then)."""
        if not before.loaded:
            return ()
        return tuple(entry for entry in self.ready if entry.order_id not in before.ready_since)

    def next_new_expiry(self) -> datetime | None:
        """When the next NEW marker runs out (None when no order is NEW)."""
        times = [self.ready_since[e.order_id] for e in self.ready if e.new]
        return min(times) + self.new_for if times else None


@dataclass(frozen=True, slots=True)
class LocationSeen:
    """A location seen in recent orders: how many, and how many are on its board now."""

    location_id: str
    orders: int
    on_board: int


def locations_seen(orders: Iterable[OrderSummary]) -> tuple[LocationSeen, ...]:
    """The locations of ``orders``, busiest first (then by id), each with its counts: the
    choices of a board opened without a location."""
    counts: dict[str, list[int]] = {}
    for order in orders:
        seen = counts.setdefault(order.location_id, [0, 0])
        seen[0] += 1
        if board_order(order) is not None:
            seen[1] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    return tuple(LocationSeen(location, total, active) for location, (total, active) in ranked)


def refresh_delay(failures: int, retry_after: float | None = None) -> float:
    """Seconds until the next sweep.

    Steady :data:`REFRESH_EVERY` while sweeps succeed (a board must show changes promptly,
    so it does not back off the way one order's tracker does); after failures the
    preparation schedule's backoff (5, 10, 20, 30, 30 s...) so that many boards do not
    hammer an API that is struggling, and a server's ``Retry-After`` wins when longer.
    """
    schedule = SCHEDULES[Scenario.PREPARATION]
    delay = REFRESH_EVERY if failures <= 0 else schedule.backoff(failures - 1)
    if retry_after is not None and math.isfinite(retry_after) and retry_after > delay:
        delay = min(retry_after, RETRY_AFTER_CAP)
    return delay


def retry_words(seconds: float) -> str:
    """When the next sweep goes out, in words: "retrying in 45 s", "retrying now"."""
    whole = math.ceil(seconds) if math.isfinite(seconds) else 0
    return f"retrying in {whole} s" if whole > 0 else "retrying now"


# -- paging ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnPage:
    """What one column shows: ``entries`` on page ``page`` (0-based) of ``pages``."""

    column: Column
    entries: tuple[BoardEntry, ...]
    page: int
    pages: int
    total: int

    @property
    def label(self) -> str:
        """``page 2/3``, or "" when everything fits."""
        return f"page {self.page + 1}/{self.pages}" if self.pages > 1 else ""


@dataclass(frozen=True, slots=True)
class BoardPages:
    """The columns as shown at one turn of the pages.

    ``count``: the most pages any column has (1 when everything fits); ``cycle``: turns
    before every column is back at its first page together (a turn counter can wrap there).
    """

    columns: tuple[ColumnPage, ...]
    count: int
    cycle: int

    @property
    def paging(self) -> bool:
        return self.count > 1


def page_count(total: int, per_page: int) -> int:
    """Pages needed for ``total`` entries, ``per_page`` on each (at least one page)."""
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, got {per_page}")
    return max(1, -(-total // per_page))


def paginate(column: BoardColumn, per_page: int, turn: int = 0) -> ColumnPage:
    """The page of ``column`` shown at page turn ``turn``.

    Each column pages on its own: one that fits always shows everything (a short "Ready"
    column never disappears while a long "Preparing" column pages), a longer one shows page
    ``turn`` modulo its page count.
    """
    count = page_count(len(column.entries), per_page)
    page = turn % count
    start = page * per_page
    return ColumnPage(
        column.column,
        column.entries[start : start + per_page],
        page,
        count,
        len(column.entries),
    )


def pages(
    columns: Sequence[BoardColumn],
    rows_per_page: int,
    columns_per_row: int = 1,
    turn: int = 0,
) -> BoardPages:
    """Every column at page turn ``turn``, with ``rows_per_page`` rows of
    ``columns_per_row`` codes per page."""
    if rows_per_page < 1 or columns_per_row < 1:
        raise ValueError(
            f"a page needs at least one row and one code per row, got {rows_per_page}x"
            f"{columns_per_row}"
        )
    per_page = rows_per_page * columns_per_row
    shown = tuple(paginate(column, per_page, turn) for column in columns)
    counts = [page.pages for page in shown] or [1]
    return BoardPages(shown, max(counts), math.lcm(*counts))
