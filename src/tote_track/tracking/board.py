"""The store board's rules: which orders show where, which are called and NEW, which step
aside, how large the codes are, when the board is offline, and how far a sweep reads.

A board refresh is one *sweep*: every order of a location, read page after page (at most
:data:`SWEEP_PAGE_CAP` pages). From each sweep :meth:`BoardModel.apply_sweep` builds the
next board, and :meth:`BoardModel.view` says what it shows at a moment:

* "Preparing": fulfillment IN_PROGRESS or PREPARING; "Ready for pickup": READY_FOR_PICKUP
  (delivery orders too: the driver collects them at the counter with the same code). An
  order whose ``status`` is final, or at any other fulfillment stage, is not on the board,
  so orders leave it when they are picked up, delivered or cancelled.
* Each order is its short code only. Oldest first (``created_at``, then id): the customer
  who has waited longest is at the top, and a code keeps its place as newer orders arrive.
* A code the board sees *become* ready is *called*: shown alone, in the largest type, for
  :data:`CALL_FOR`, one code at a time (a burst queues; a code whose turn would come more
  than :data:`CALL_WITHIN` after it became ready is not called, only marked). Then it is
  NEW for :data:`NEW_FOR`. Codes already ready when the board starts are neither called
  nor NEW: nobody saw them become ready.
* A code ready for longer than ``uncollected_after`` (default :data:`UNCOLLECTED_AFTER`)
  steps aside to a small "Please ask at the counter" strip, so the fresh ones keep the big
  type. Ready on the first sweep counts from the order's ``updated_at``.
* A failed sweep keeps the board's codes but makes it *offline* at once, until the next
  good sweep; so does a sweep still running :data:`HANG_AFTER` (two refresh periods) after
  it began. An offline board calls nothing: it cannot know what became ready meanwhile.

The type (:func:`ready_layout`, :func:`preparing_layout`) is chosen from the column's area
and how many codes it holds: the largest in which they all fit, never below
:data:`READABLE_ROWS` rows for Ready (then the column pages, and NEW codes are on every
page). Two codes side by side are always at least two glyph widths apart.

What the model keeps between sweeps is bounded by the orders on the board. Pure: times
are handed in by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from tote_track.api.errors import RETRY_AFTER_CAP
from tote_track.api.models import FulfillmentStatus, OrderStatus, OrderSummary, short_code
from tote_track.tracking.lifecycle import TERMINAL_ORDER_STATUSES
from tote_track.tracking.order_ref import SHORT_CODE_LENGTH
from tote_track.tracking.polling import SCHEDULES, Scenario

__all__ = [
    "CALL_FOR",
    "CALL_WITHIN",
    "CAPPED_WAIT",
    "HANG_AFTER",
    "NEW_FOR",
    "READABLE_ROWS",
    "REFRESH_EVERY",
    "REFRESH_MAX",
    "SWEEP_PAGE_CAP",
    "SWEEP_STATUS",
    "UNCOLLECTED_AFTER",
    "BoardColumn",
    "BoardEntry",
    "BoardModel",
    "BoardOrder",
    "BoardPages",
    "BoardView",
    "Call",
    "Column",
    "ColumnPage",
    "Font",
    "GridLayout",
    "LocationSeen",
    "board_order",
    "call_layout",
    "lay_out",
    "locations_seen",
    "page_count",
    "pages",
    "paginate",
    "preparing_layout",
    "ready_layout",
    "refresh_delay",
    "retry_words",
]

NEW_FOR = timedelta(seconds=45)
"""How long a code is marked NEW once its call is over."""
CALL_FOR = timedelta(seconds=6)
"""How long a newly ready code is called (shown alone, in the largest type)."""
CALL_WITHIN = timedelta(seconds=30)
"""A code whose call would start later than this after it became ready is not called (a
burst of ready codes would otherwise hold the screen for minutes); it is only NEW."""
UNCOLLECTED_AFTER = timedelta(minutes=15)
"""Ready for longer than this, a code moves to the "Please ask at the counter" strip."""
REFRESH_EVERY: float = SCHEDULES[Scenario.PREPARATION].initial
"""Seconds between sweeps while all is well: the preparation scenario's cadence (5 s)."""
REFRESH_MAX: float = SCHEDULES[Scenario.PREPARATION].maximum
"""The longest wait between sweeps while they fail: the preparation scenario's max (30 s)."""
HANG_AFTER = timedelta(seconds=2 * REFRESH_EVERY)
"""A sweep running this long (two refresh periods) makes the board offline."""
SWEEP_PAGE_CAP = 50
"""Pages one sweep reads at most (100 orders each): no store has 5,000 orders being
prepared or waiting, so a server that keeps saying "more" is not followed further."""
CAPPED_WAIT: float = 300.0
"""Seconds before the next sweep after one stopped at :data:`SWEEP_PAGE_CAP`."""
READABLE_ROWS = 5
"""The smallest Ready type, in terminal rows: below it the Ready column pages instead."""
PREPARING_READABLE_ROWS = 3
"""The smallest Preparing type (seven-segment) before the Preparing column pages."""

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


@dataclass(frozen=True, slots=True)
class Call:
    """A code called from ``start`` to ``end`` (equal when it was only marked NEW)."""

    order_id: str
    code: str
    start: datetime
    end: datetime

    @property
    def called(self) -> bool:
        return self.end > self.start


@dataclass(frozen=True, slots=True)
class BoardView:
    """What the board shows at one moment (see :meth:`BoardModel.view`)."""

    preparing: tuple[BoardEntry, ...] = ()
    ready: tuple[BoardEntry, ...] = ()
    uncollected: tuple[BoardEntry, ...] = ()
    calling: BoardEntry | None = None
    offline: bool = False
    loaded: bool = False
    as_of: datetime | None = None
    """When the codes shown were read (the last good sweep)."""

    @property
    def columns(self) -> tuple[BoardColumn, BoardColumn]:
        return (
            BoardColumn(Column.PREPARING, self.preparing),
            BoardColumn(Column.READY, self.ready),
        )

    @property
    def empty(self) -> bool:
        return not (self.preparing or self.ready or self.uncollected)


def _sort_key(order: BoardOrder) -> tuple[datetime, str]:
    return (order.created_at, order.id)


def _latest(orders: Iterable[OrderSummary | BoardOrder]) -> dict[str, BoardOrder]:
    """Each order on the board once, at its latest state."""
    latest: dict[str, BoardOrder] = {}
    for item in orders:
        order = board_order(item) if isinstance(item, OrderSummary) else item
        if order is None:
            continue
        known = latest.get(order.id)
        if known is None or order.updated_at >= known.updated_at:
            latest[order.id] = order
    return latest


@dataclass(frozen=True, slots=True)
class BoardModel:
    """The board between sweeps. Build with :meth:`start`; every method returns a new one.

    ``ready_since``: when each order now ready was first seen ready (its ``updated_at`` on
    the first sweep). ``calls``: the calls of codes seen becoming ready, kept while NEW.
    ``last_success``: when the last good sweep ended (None before the first).
    ``sweep_started``: when the sweep in flight began (None between sweeps).
    ``failures``: failed sweeps in a row since the last success. ``skipped``: orders the
    last sweep left out because they were not valid; ``capped``: it stopped at the cap.
    """

    started_at: datetime
    preparing: tuple[BoardEntry, ...] = ()
    ready: tuple[BoardEntry, ...] = ()
    ready_since: Mapping[str, datetime] = field(default_factory=lambda: _EMPTY_TIMES)
    calls: tuple[Call, ...] = ()
    last_success: datetime | None = None
    sweep_started: datetime | None = None
    failures: int = 0
    skipped: int = 0
    capped: bool = False
    new_for: timedelta = NEW_FOR
    uncollected_after: timedelta = UNCOLLECTED_AFTER

    @classmethod
    def start(
        cls,
        now: datetime,
        *,
        new_for: timedelta = NEW_FOR,
        uncollected_after: timedelta = UNCOLLECTED_AFTER,
    ) -> BoardModel:
        return cls(started_at=now, new_for=new_for, uncollected_after=uncollected_after)

    # -- sweeps ----------------------------------------------------------------------

    def begin_sweep(self, now: datetime) -> BoardModel:
        """A sweep went out at ``now`` (the one in flight, if any, was replaced)."""
        return replace(self, sweep_started=now)

    def apply_sweep(
        self,
        orders: Iterable[OrderSummary | BoardOrder],
        now: datetime,
        *,
        skipped: int = 0,
        capped: bool = False,
    ) -> BoardModel:
        """The board after a successful sweep of the location's orders (``skipped``
        invalid ones left out; ``capped``: it stopped at :data:`SWEEP_PAGE_CAP`)."""
        ordered = sorted(_latest(orders).values(), key=_sort_key)
        first_sweep = self.last_success is None
        ready_since: dict[str, datetime] = {}
        fresh: list[BoardOrder] = []
        for order in ordered:
            if order.column is not Column.READY:
                continue
            since = self.ready_since.get(order.id)
            if since is None:
                # Already ready when the board started: it became ready at its last update.
                since = min(order.updated_at, now) if first_sweep else now
                if not first_sweep:
                    fresh.append(order)
            ready_since[order.id] = since
        return replace(
            self,
            preparing=tuple(
                BoardEntry(o.id, o.code) for o in ordered if o.column is Column.PREPARING
            ),
            ready=tuple(BoardEntry(o.id, o.code) for o in ordered if o.column is Column.READY),
            ready_since=MappingProxyType(ready_since),
            calls=self._calls_after(ready_since, fresh, now),
            last_success=now,
            sweep_started=None,
            failures=0,
            skipped=skipped,
            capped=capped,
        )

    def _calls_after(
        self, ready: Mapping[str, datetime], fresh: Sequence[BoardOrder], now: datetime
    ) -> tuple[Call, ...]:
        """The calls kept (their order still ready and NEW) and those of ``fresh`` codes,
        queued one after the other."""
        kept = [c for c in self.calls if c.order_id in ready and now < c.end + self.new_for]
        free_at = max((c.end for c in kept), default=now)
        for order in fresh:
            start = max(free_at, now)
            if start - now > CALL_WITHIN:
                kept.append(Call(order.id, order.code, now, now))  # NEW, not called
                continue
            kept.append(Call(order.id, order.code, start, start + CALL_FOR))
            free_at = start + CALL_FOR
        return tuple(kept)

    def apply_failure(self, now: datetime) -> BoardModel:
        """The board after a failed sweep: the same codes, offline, and no call pending."""
        calls = tuple(c if c.end <= now else replace(c, start=now, end=now) for c in self.calls)
        return replace(self, calls=calls, sweep_started=None, failures=self.failures + 1)

    # -- reading ---------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        """True once a sweep has succeeded."""
        return self.last_success is not None

    @property
    def empty(self) -> bool:
        return not self.preparing and not self.ready

    @property
    def hangs_at(self) -> datetime | None:
        """When the sweep in flight makes the board offline (None between sweeps)."""
        return None if self.sweep_started is None else self.sweep_started + HANG_AFTER

    def offline(self, now: datetime) -> bool:
        """True from a failed sweep, or a sweep running :data:`HANG_AFTER`, until the next
        good one: the codes shown may be out of date."""
        hangs_at = self.hangs_at
        return self.failures > 0 or (hangs_at is not None and now >= hangs_at)

    def view(self, now: datetime) -> BoardView:
        """What the board shows at ``now``."""
        offline = self.offline(now)
        calls = {c.order_id: c for c in self.calls}
        calling: BoardEntry | None = None
        fresh: list[BoardEntry] = []
        aside: list[BoardEntry] = []
        for entry in self.ready:
            call = calls.get(entry.order_id)
            if call is not None and call.start <= now < call.end and not offline:
                calling = replace(entry, new=True)
            new = call is not None and now < call.end + self.new_for and not offline
            if not new and now - self.ready_since[entry.order_id] >= self.uncollected_after:
                aside.append(entry)
            else:
                fresh.append(replace(entry, new=new) if new else entry)
        return BoardView(
            preparing=self.preparing,
            ready=tuple(fresh),
            uncollected=tuple(aside),
            calling=calling,
            offline=offline,
            loaded=self.loaded,
            as_of=self.last_success,
        )

    def next_change(self, now: datetime) -> datetime | None:
        """The next moment after ``now`` when :meth:`view` changes by time alone (a call
        starts or ends, a NEW mark runs out, a code steps aside, a sweep counts as hung)."""
        moments: list[datetime] = []
        for call in self.calls:
            moments += [call.start, call.end, call.end + self.new_for]
        moments += [since + self.uncollected_after for since in self.ready_since.values()]
        if self.hangs_at is not None:
            moments.append(self.hangs_at)
        later = [moment for moment in moments if moment > now]
        return min(later) if later else None

    def became_ready(self, before: BoardModel) -> tuple[BoardEntry, ...]:
        """The codes in "Ready for pickup" now that were not at the ``before`` board's last
        good sweep (none after the first sweep: nothing was seen becoming ready then)."""
        if not before.loaded:
            return ()
        return tuple(entry for entry in self.ready if entry.order_id not in before.ready_since)


# -- type ------------------------------------------------------------------------------


FontStyle = Literal["segments", "text"]


@dataclass(frozen=True, slots=True)
class Font:
    """A size of the codes' type: each character ``width`` x ``height`` cells, ``spacing``
    blank columns between the characters of one code."""

    style: FontStyle
    width: int
    height: int
    spacing: int

    @property
    def code_width(self) -> int:
        if self.style == "text":
            return SHORT_CODE_LENGTH + len(" NEW")
        return SHORT_CODE_LENGTH * self.width + (SHORT_CODE_LENGTH - 1) * self.spacing

    @property
    def gutter(self) -> int:
        """Blank columns between two codes side by side: at least two glyph widths (and
        always more than the space between two characters of one code)."""
        return 3 if self.style == "text" else 2 * self.width

    @property
    def row_height(self) -> int:
        """A code's rows, the line under it (NEW, or blank), and a blank line from 5 rows."""
        if self.style == "text":
            return 1
        return self.height + 1 + (1 if self.height >= READABLE_ROWS else 0)


def _segments(height: int) -> Font:
    # A cell is about twice as tall as it is wide: a glyph as many cells wide as it is
    # high is a seven-segment digit's usual 1:2 shape.
    return Font("segments", height, height, max(1, height // 3))


NARROW = Font("segments", 2, 3, 1)
TEXT = Font("text", 1, 1, 0)
FONTS: tuple[Font, ...] = (*(_segments(h) for h in range(41, 2, -2)), NARROW, TEXT)
"""Every size of type, largest first."""


@dataclass(frozen=True, slots=True)
class GridLayout:
    """How codes are laid out in a column of ``width`` x ``height`` cells, in ``font``."""

    font: Font
    rows: int
    per_row: int
    width: int

    @property
    def capacity(self) -> int:
        return self.rows * self.per_row

    @property
    def gutter(self) -> int:
        return self.font.gutter

    @property
    def left(self) -> int:
        """Blank columns before the first code, so the block of codes is centred."""
        used = self.per_row * self.font.code_width + (self.per_row - 1) * self.gutter
        return max(0, (self.width - used) // 2)


def _layout(font: Font, width: int, height: int) -> GridLayout:
    per_row = max(0, (width + font.gutter) // (font.code_width + font.gutter))
    spare = font.row_height - font.height - 1  # the last row needs no blank line under it
    rows = max(0, (height + spare) // font.row_height)
    return GridLayout(font, rows, per_row, max(width, 0))


def _choose(
    width: int, height: int, count: int, *, readable: int, fonts: Sequence[Font]
) -> GridLayout:
    layouts = [lay for font in fonts if (lay := _layout(font, width, height)).capacity >= 1]
    if not layouts:
        return GridLayout(TEXT, 1, 1, max(width, 0))
    fitting = [lay for lay in layouts if lay.capacity >= max(count, 1)]
    if fitting and fitting[0].font.height >= readable:
        return fitting[0]  # the largest type in which every code fits
    legible = [lay for lay in layouts if lay.font.height >= readable]
    if legible:
        return legible[-1]  # the smallest readable type, and pages
    return fitting[0] if fitting else layouts[-1]


def ready_layout(width: int, height: int, count: int) -> GridLayout:
    """The Ready column's type for ``count`` codes in ``width`` x ``height`` cells: the
    largest in which all fit; when they would fall below :data:`READABLE_ROWS`, that
    size, and pages (in a column too small for it, the largest that holds one)."""
    return _choose(width, height, count, readable=READABLE_ROWS, fonts=FONTS)


def preparing_layout(width: int, height: int, count: int, *, below: Font) -> GridLayout:
    """The Preparing column's type: as :func:`ready_layout`, always smaller than Ready's
    ``below`` (the same, smallest type when Ready's is the smallest)."""
    index = FONTS.index(below) + 1 if below in FONTS else 0
    fonts = FONTS[index:] or FONTS[-1:]
    return _choose(width, height, count, readable=PREPARING_READABLE_ROWS, fonts=fonts)


def call_layout(width: int, height: int) -> GridLayout:
    """The type of a called code: the largest in which one code fits the area."""
    return _choose(width, height, 1, readable=1, fonts=FONTS)


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


def refresh_delay(
    failures: int, retry_after: float | None = None, *, capped: bool = False
) -> float:
    """Seconds until the next sweep.

    Steady :data:`REFRESH_EVERY` while sweeps succeed (a board must show changes promptly,
    so it does not back off the way one order's tracker does); after failures the
    preparation schedule's backoff (5, 10, 20, 30, 30 s...) so that many boards do not
    hammer an API that is struggling, and a server's ``Retry-After`` wins when longer.
    After a sweep that stopped at :data:`SWEEP_PAGE_CAP`, :data:`CAPPED_WAIT`.
    """
    schedule = SCHEDULES[Scenario.PREPARATION]
    delay = REFRESH_EVERY if failures <= 0 else schedule.backoff(failures - 1)
    if capped:
        delay = max(delay, CAPPED_WAIT)
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
    layout: GridLayout | None = None
    """The type and grid the page is drawn in (None: not laid out)."""

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


def paginate(
    column: BoardColumn, per_page: int, turn: int = 0, *, layout: GridLayout | None = None
) -> ColumnPage:
    """The page of ``column`` shown at page turn ``turn``.

    Each column pages on its own: one that fits always shows everything (a short "Ready"
    column never disappears while a long "Preparing" column pages), a longer one shows page
    ``turn`` modulo its page count. NEW codes are on every page, first, so a code that
    just became ready is never on a page not showing (unless NEW codes alone fill more
    than a page: then they page among themselves).
    """
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, got {per_page}")
    entries = column.entries
    pinned = tuple(entry for entry in entries if entry.new)
    if pinned and len(entries) > per_page and len(pinned) < per_page:
        rest = tuple(entry for entry in entries if not entry.new)
        room = per_page - len(pinned)
        count = page_count(len(rest), room)
        page = turn % count
        shown = pinned + rest[page * room : (page + 1) * room]
        return ColumnPage(column.column, shown, page, count, len(entries), layout)
    count = page_count(len(entries), per_page)
    page = turn % count
    start = page * per_page
    return ColumnPage(
        column.column, entries[start : start + per_page], page, count, len(entries), layout
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


Area = tuple[int, int]
"""A column's drawing area: width and height in cells."""


def lay_out(view: BoardView, ready: Area, preparing: Area, turn: int = 0) -> BoardPages:
    """Both columns of ``view`` at page turn ``turn``: Ready in the largest type its area
    and its number of codes allow, Preparing in smaller type."""
    ready_type = ready_layout(*ready, len(view.ready))
    preparing_type = preparing_layout(*preparing, len(view.preparing), below=ready_type.font)
    shown = (
        paginate(
            BoardColumn(Column.PREPARING, view.preparing),
            preparing_type.capacity,
            turn,
            layout=preparing_type,
        ),
        paginate(
            BoardColumn(Column.READY, view.ready), ready_type.capacity, turn, layout=ready_type
        ),
    )
    counts = [page.pages for page in shown]
    return BoardPages(shown, max(counts), math.lcm(*counts))
