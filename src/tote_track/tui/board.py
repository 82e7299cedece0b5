"""The store board: a location's orders in two columns, "Preparing" and "Ready for pickup".

``BoardApp`` sweeps ``GET /orders`` for the location (every page, following the cursors)
in one worker, hands the result to ``tracking.board.BoardModel`` and shows each order as
its short code in large type. Sweeps run every 5 s, the preparation scenario's cadence,
steadily while they succeed and backing off to 30 s while they fail (see
``tracking.board.refresh_delay``). A failed sweep keeps the board as it is; a minute
without a good one shows a "Board paused" banner with the time of the last update.

Only the visible page is drawn: each column is one widget that renders the codes of its
current page and repaints only when they change, so a location with thousands of orders
costs no more to show than one with twenty. When orders do not fit, the pages turn by
themselves every 8 s ("page 2/3"); the layout follows the terminal's size.

``--kiosk`` drops the interactive chrome (header, footer, command palette) and the ``q``
key (Ctrl+Q or Ctrl+C close it); the board quits cleanly when its terminal goes away
(SIGHUP) or on SIGTERM.

Between sweeps nothing runs but the next sweep's timer, the page-turn timer while there is
more than one page, and a timer that shows the banner if no sweep succeeds in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Literal

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    BadRequestError,
    BadResponseError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ToteError,
    UnauthorizedError,
)
from tote_track.tracking.board import (
    NEW_FOR,
    SWEEP_STATUS,
    BoardModel,
    BoardOrder,
    BoardPages,
    Column,
    ColumnPage,
    board_order,
    paginate,
    refresh_delay,
)
from tote_track.tracking.presentation import printable
from tote_track.tui.signals import TerminalSignals

__all__ = [
    "DEMO_NEW_FOR",
    "DEMO_SCENARIOS",
    "DEMO_WARM_ORDERS",
    "EXIT_OK",
    "EXIT_SANDBOX_FAILED",
    "PAGE_EVERY",
    "SWEEP_PAGE_SIZE",
    "BoardApp",
    "CodeGrid",
    "ColumnHeading",
    "DemoFeed",
    "DemoScenario",
    "Font",
    "GridLayout",
    "big_code",
    "fit_grid",
    "run_board",
    "run_board_demo",
    "sweep",
]

EXIT_OK = 0
EXIT_SANDBOX_FAILED = 1
PAGE_EVERY = 8.0
"""Seconds between page turns when the orders do not fit."""
SWEEP_PAGE_SIZE = 100
"""Orders per request of a sweep: the API's maximum, so requests = pages, as few as can be."""

Clock = Callable[[], datetime]
ClientFactory = Callable[[], ToteClient]
Feed = Callable[[], Awaitable[None]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- big type

# Short codes are hexadecimal; they are drawn as seven-segment characters (the segments
# a-g: top, upper right, lower right, bottom, lower left, upper left, middle). B and D are
# lower-case, as on every seven-segment display, so they never read as 8 and 0.
SEGMENTS: Mapping[str, str] = {
    "0": "abcdef",
    "1": "bc",
    "2": "abdeg",
    "3": "abcdg",
    "4": "bcfg",
    "5": "acdfg",
    "6": "acdefg",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
    "A": "abcefg",
    "B": "cdefg",
    "C": "adef",
    "D": "bcdeg",
    "E": "adefg",
    "F": "aefg",
}
# Heavy box-drawing characters by the arms they have: Up, Down, Left, Right.
_ARMS = {
    "": " ",
    "L": "╸",
    "U": "╹",
    "R": "╺",
    "D": "╻",
    "LR": "━",
    "UD": "┃",
    "DR": "┏",
    "DL": "┓",
    "UR": "┗",
    "UL": "┛",
    "UDR": "┣",
    "UDL": "┫",
    "DLR": "┳",
    "ULR": "┻",
    "UDLR": "╋",
}
CODE_LENGTH = 6


def _cell(segments: str, arms: Mapping[str, str]) -> str:
    """The character with the arms whose segment is lit (``arms``: arm -> segment)."""
    lit = "".join(arm for arm in "UDLR" if arms.get(arm, " ") in segments)
    return _ARMS[lit]


def seven_segment(char: str, width: int = 3, height: int = 3) -> tuple[str, ...]:
    """``char`` as ``height`` (3 or 5) lines of ``width`` (2 or more) box-drawing characters.

    A character that has no seven-segment form is drawn as itself on the middle line.
    """
    if width < 2 or height not in (3, 5):
        raise ValueError(
            f"a seven-segment character is 2 or more wide, 3 or 5 high; got {width}x{height}"
        )
    segments = SEGMENTS.get(char.upper())
    if segments is None:
        blank = " " * width
        lines = [blank] * height
        lines[height // 2] = char[:1].center(width)
        return tuple(lines)
    if char == "1" and width >= 3:
        # One bar, centred: a 1 at the right edge of its cell reads as a gap before it.
        column = " " * (width // 2)
        rest = " " * (width - width // 2 - 1)
        bars = ["╻", *(["┃"] * (height - 2)), "╹"]
        return tuple(column + bar + rest for bar in bars)
    s = segments
    fill = width - 2

    def bar(segment: str) -> str:
        return ("━" if segment in s else " ") * fill

    def sides(left: str, right: str) -> str:
        return ("┃" if left in s else " ") + " " * fill + ("┃" if right in s else " ")

    top = _cell(s, {"R": "a", "D": "f"}) + bar("a") + _cell(s, {"L": "a", "D": "b"})
    middle = (
        _cell(s, {"U": "f", "D": "e", "R": "g"})
        + bar("g")
        + _cell(s, {"U": "b", "D": "c", "L": "g"})
    )
    bottom = _cell(s, {"U": "e", "R": "d"}) + bar("d") + _cell(s, {"U": "c", "L": "d"})
    if height == 3:
        return (top, middle, bottom)
    return (top, sides("f", "b"), middle, sides("e", "c"), bottom)


def big_code(code: str, *, width: int = 3, height: int = 3, spacing: int = 1) -> tuple[str, ...]:
    """``code`` in seven-segment characters of ``width`` x ``height``, ``spacing`` apart."""
    gap = " " * spacing
    glyphs = [seven_segment(char, width, height) for char in code]
    return tuple(gap.join(glyph[row] for glyph in glyphs) for row in range(height))


Style = Literal["large", "wide", "narrow", "text"]


@dataclass(frozen=True, slots=True)
class Font:
    """A size of the codes' type: each character ``width`` x ``height`` cells."""

    style: Style
    width: int
    height: int
    spacing: int

    @property
    def code_width(self) -> int:
        if self.style == "text":
            return CODE_LENGTH + len(" NEW")
        return CODE_LENGTH * self.width + (CODE_LENGTH - 1) * self.spacing

    @property
    def row_height(self) -> int:
        # Under a code, a line says NEW (or keeps the rows apart).
        return 1 if self.style == "text" else self.height + 1


LARGE = Font("large", 5, 5, 2)
WIDE = Font("wide", 3, 3, 1)
NARROW = Font("narrow", 2, 3, 1)
TEXT = Font("text", 1, 1, 0)
GUTTER = 4
"""Blank columns between two codes side by side (well over the space inside a code)."""


@dataclass(frozen=True, slots=True)
class GridLayout:
    """How codes are laid out in a column of ``width`` x ``height`` cells, in ``font``."""

    font: Font
    rows: int
    per_row: int
    width: int

    @property
    def style(self) -> Style:
        return self.font.style

    @property
    def capacity(self) -> int:
        return self.rows * self.per_row

    @property
    def gutter(self) -> int:
        return 2 if self.font.style == "text" else GUTTER

    @property
    def left(self) -> int:
        """Blank columns before the first code, so the block of codes is centred."""
        used = self.per_row * self.font.code_width + (self.per_row - 1) * self.gutter
        return max(0, (self.width - used) // 2)


def _layout(font: Font, width: int, height: int) -> GridLayout:
    gutter = 2 if font.style == "text" else GUTTER
    per_row = (width + gutter) // (font.code_width + gutter)
    rows = height // font.row_height
    return GridLayout(font, rows, per_row, width)


def fit_grid(width: int, height: int, need: int = 0) -> GridLayout:
    """The layout for codes in a ``width`` x ``height`` area.

    Large type when all ``need`` codes fit in it (few orders on a big screen); otherwise
    wide characters when two codes fit side by side, narrow ones when that is what lets two
    fit (an 80-column terminal), wide again when only one fits; one line per code when even
    that does not fit.
    """
    width = max(width, 0)
    height = max(height, 0)
    large = _layout(LARGE, width, height)
    if need > 0 and large.per_row >= 1 and large.capacity >= need:
        return large
    wide, narrow = _layout(WIDE, width, height), _layout(NARROW, width, height)
    if wide.capacity >= 1 and (wide.per_row >= 2 or narrow.per_row < 2):
        return wide
    if narrow.capacity >= 1:
        return narrow
    text = _layout(TEXT, width, height)
    return GridLayout(TEXT, max(1, text.rows), max(1, text.per_row), width)


# --------------------------------------------------------------------------- widgets


class CodeGrid(Widget):
    """The codes of one column's current page, in large type; NEW under new ones.

    Repaints only when what it shows changes (the page's codes, NEW marks or the layout).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "code-grid--code",
        "code-grid--new",
        "code-grid--label",
        "code-grid--none",
    }
    DEFAULT_CSS = """
    CodeGrid {
        height: 1fr;
    }
    """

    class Resized(Message):
        """The grid's size changed: its page may hold more or fewer codes."""

    def __init__(self, *, empty_text: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.empty_text = empty_text
        self.page: ColumnPage | None = None
        self.grid_layout: GridLayout | None = None
        self.renders = 0
        self._shown: tuple[object, ...] | None = None

    def show(self, page: ColumnPage, layout: GridLayout) -> bool:
        """Show ``page`` in ``layout``; returns whether anything changed (and a repaint was
        asked for)."""
        key = (page.entries, layout)
        self.page = page
        self.grid_layout = layout
        if key == self._shown:
            return False
        self._shown = key
        self.refresh()
        return True

    def on_resize(self) -> None:
        self.post_message(self.Resized())

    def render(self) -> RenderableType:
        self.renders += 1
        page = self.page
        layout = self.grid_layout
        if page is None or layout is None:
            return Text("")
        if not page.entries:
            return Text(
                self.empty_text,
                style=self.get_component_rich_style("code-grid--none"),
                justify="center",
            )
        plain = self.get_component_rich_style("code-grid--code")
        new = self.get_component_rich_style("code-grid--new")
        label = self.get_component_rich_style("code-grid--label")
        font = layout.font
        lines: list[Text] = []
        pad = " " * layout.left
        gutter = " " * layout.gutter
        entries = page.entries
        for start in range(0, len(entries), layout.per_row):
            row = entries[start : start + layout.per_row]
            if font.style == "text":
                line = Text(pad)
                for index, entry in enumerate(row):
                    if index:
                        line.append(gutter)
                    line.append(printable(entry.code), new if entry.new else plain)
                    line.append(" NEW" if entry.new else "    ", label if entry.new else plain)
                lines.append(line)
                continue
            # A code is the first 6 characters of an id the server chose: a character
            # without a seven-segment form is drawn as itself, so it must be printable.
            drawn = [
                big_code(
                    printable(entry.code),
                    width=font.width,
                    height=font.height,
                    spacing=font.spacing,
                )
                for entry in row
            ]
            for line_no in range(font.height):
                line = Text(pad)
                for index, (entry, glyphs) in enumerate(zip(row, drawn, strict=True)):
                    if index:
                        line.append(gutter)
                    line.append(glyphs[line_no], new if entry.new else plain)
                lines.append(line)
            marks = Text(pad)
            for index, entry in enumerate(row):
                if index:
                    marks.append(gutter)
                if entry.new:
                    word = " NEW "
                    before = (font.code_width - len(word)) // 2
                    marks.append(" " * before)
                    marks.append(word, label)
                    marks.append(" " * (font.code_width - before - len(word)))
                else:
                    marks.append(" " * font.code_width)
            lines.append(marks)
        return Text("\n").join(lines)


class ColumnHeading(Static):
    """A column's title, how many orders it holds, and which page is shown."""

    def __init__(self, column: Column, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.column = column
        self._shown: tuple[int, str] | None = None
        self.show(None)

    def show(self, page: ColumnPage | None) -> None:
        total = page.total if page is not None else 0
        label = page.label if page is not None else ""
        if (total, label) == self._shown:
            return
        self._shown = (total, label)
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        count = "" if page is None else str(total)
        right = " · ".join(part for part in (count, label) if part)
        # The count keeps a space from the title however narrow the column (the title
        # gives way, with an ellipsis).
        grid.add_row(Text(self.column.heading.upper(), style="bold"), Text(f" {right}"))
        self.update(grid)


# --------------------------------------------------------------------------- sweeps


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one sweep read: the orders on the board and how many orders it went through."""

    orders: tuple[BoardOrder, ...]
    seen: int


async def sweep(client: ToteClient, location_id: str, *, page_size: int = SWEEP_PAGE_SIZE) -> Sweep:
    """Every confirmed order of the location, page after page (one request per page).

    Only the little the board needs of each order is kept, page by page.
    """
    orders: list[BoardOrder] = []
    seen = 0
    async for summary in client.iter_orders(
        location_id=location_id, status=SWEEP_STATUS, page_size=page_size
    ):
        seen += 1
        order = board_order(summary)
        if order is not None:
            orders.append(order)
    return Sweep(tuple(orders), seen)


def _problem(error: BaseException) -> str:
    """Why a sweep failed, in a few words for the store's staff (the server's words made
    printable)."""
    return printable(_plain_problem(error))


def _plain_problem(error: BaseException) -> str:
    if isinstance(error, UnauthorizedError):
        return "the API refused the token (check TOTE_API_TOKEN or --token)"
    if isinstance(error, NotFoundError):
        return "the API address was not found (check --base-url)"
    if isinstance(error, BadRequestError):
        return f"the API rejected the request: {error.message}"
    if isinstance(error, BadResponseError):
        # Its message says what was wrong: not JSON, or pages that never end.
        said = error.message.strip().rstrip(".")
        return f"the answer was not the orders API's: {said[:1].lower()}{said[1:]}"
    if isinstance(error, ApiTimeoutError):
        return "the order system did not answer in time"
    if isinstance(error, ApiConnectionError):
        return "no connection to the order system"
    if isinstance(error, RateLimitedError):
        return "too many requests; slowing down"
    if isinstance(error, ServerError):
        return "the order system had an error"
    if isinstance(error, ToteError):
        return str(error)
    return f"unexpected {type(error).__name__}"


def _sentence(words: str) -> str:
    """``words`` as a sentence: a capital first letter and a full stop."""
    words = words.strip().rstrip(".")
    return f"{words[:1].upper()}{words[1:]}." if words else ""


# --------------------------------------------------------------------------- the app


class BoardApp(App[int]):
    """A live board of one location's orders: "Preparing" and "Ready for pickup"."""

    CSS_PATH = Path(__file__).with_name("board.tcss")
    TITLE = "Order board"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "refresh_board",
            "Refresh",
            id="board.refresh",
            tooltip="Read the location's orders now",
        ),
        Binding(
            "n",
            "next_page",
            "Next page",
            id="board.next_page",
            tooltip="Show the next page of orders (pages also turn by themselves)",
        ),
        Binding("q", "close", "Quit", id="board.quit", tooltip="Close the board"),
    ]

    def __init__(
        self,
        client_factory: ClientFactory,
        location_id: str,
        *,
        kiosk: bool = False,
        allow_q: bool | None = None,
        clock: Clock | None = None,
        tz: tzinfo | None = None,
        auto_sweep: bool = True,
        page_every: float = PAGE_EVERY,
        new_for: timedelta = NEW_FOR,
        feed: Feed | None = None,
        note: str = "",
    ) -> None:
        super().__init__()
        self._client_factory = client_factory
        self._client: ToteClient | None = None
        self.location_id = location_id
        self.kiosk = kiosk
        self.allow_q = (not kiosk) if allow_q is None else allow_q
        self.clock = clock or _utc_now
        self.tz = tz
        self.auto_sweep = auto_sweep
        self.page_every = page_every
        self.note = note
        self._feed = feed
        self.use_command_palette = not kiosk
        self.sub_title = printable(f"location {location_id}")
        self.model = BoardModel.start(self.clock(), new_for=new_for)
        self.shown: BoardPages | None = None
        self.grid_layout = fit_grid(0, 0)
        self.turn = 0
        self.sweeps = 0
        self.error: BaseException | None = None
        self._sweep_worker: Worker[Sweep] | None = None
        self._next_sweep: Timer | None = None
        self._stale_timer: Timer | None = None
        self._page_timer: Timer | None = None
        self._signals = TerminalSignals(self.terminal_gone)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if not self.kiosk:
            yield Header(icon="▦")
        yield Static("", id="banner")
        with Horizontal(id="board"):
            with Vertical(id="preparing", classes="column"):
                yield ColumnHeading(Column.PREPARING, id="preparing-heading")
                yield CodeGrid(empty_text="Nothing in preparation", id="preparing-grid")
            with Vertical(id="ready", classes="column"):
                yield ColumnHeading(Column.READY, id="ready-heading")
                yield CodeGrid(empty_text="Nothing waiting", id="ready-grid")
        with Vertical(id="message"):
            yield Static("", id="message-title")
            yield Static("", id="message-text")
        yield Static("", id="status")
        if not self.kiosk:
            yield Footer()

    def on_mount(self) -> None:
        self.set_class(self.kiosk, "-kiosk")
        self._client = self._client_factory()
        self._signals.install(self)
        self._render_all()
        self.refresh_board()
        self._arm_stale_timer()  # a first sweep that hangs pauses the board too
        if self._feed is not None:
            self.run_worker(
                self._feed,
                name="feed",
                group="feed",
                description="demo orders",
                exclusive=True,
                exit_on_error=False,
            )

    async def on_unmount(self) -> None:
        self._signals.remove()
        for timer in (self._next_sweep, self._stale_timer, self._page_timer):
            if timer is not None:
                timer.stop()
        if self._client is not None:
            await self._client.aclose()

    @property
    def client(self) -> ToteClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    # -- the terminal going away ---------------------------------------------------------

    def terminal_gone(self) -> None:
        """SIGHUP (the terminal closed) or SIGTERM: stop everything and exit."""
        self._stop_timers()
        self.workers.cancel_all()
        self.exit(EXIT_OK)

    # -- sweeps ------------------------------------------------------------------------

    def refresh_board(self) -> Worker[Sweep]:
        """Sweep now (a sweep in flight is replaced)."""
        if self._next_sweep is not None:
            self._next_sweep.stop()
            self._next_sweep = None
        self._sweep_worker = self.run_worker(
            partial(sweep, self.client, self.location_id),
            name="sweep",
            group="sweep",
            description=f"GET /orders for location {self.location_id}",
            exclusive=True,
            exit_on_error=False,
        )
        return self._sweep_worker

    def _scheduled_sweep(self) -> None:
        self._next_sweep = None
        if self._sweep_worker is None:
            self.refresh_board()

    def _schedule_sweep(self, delay: float) -> None:
        if not self.auto_sweep:
            return
        if self._next_sweep is not None:
            self._next_sweep.stop()
        self._next_sweep = self.set_timer(delay, self._scheduled_sweep, name="next-sweep")

    def _arm_stale_timer(self) -> None:
        """Show the banner at the moment the board becomes paused, unless a sweep succeeds."""
        if not self.auto_sweep:
            return
        if self._stale_timer is not None:
            self._stale_timer.stop()
        wait = (self.model.paused_at - self.clock()).total_seconds()
        self._stale_timer = self.set_timer(max(wait, 0.0) + 0.05, self._went_stale, name="stale")

    def _went_stale(self) -> None:
        self._stale_timer = None
        self._render_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker is not self._sweep_worker:
            return
        if event.state is WorkerState.SUCCESS:
            self._sweep_worker = None
            result = worker.result
            assert isinstance(result, Sweep)
            self._sweep_succeeded(result)
        elif event.state is WorkerState.ERROR:
            self._sweep_worker = None
            self._sweep_failed(worker.error)
        elif event.state is WorkerState.CANCELLED:
            self._sweep_worker = None

    def _sweep_succeeded(self, result: Sweep) -> None:
        self.sweeps += 1
        self.error = None
        self.model = self.model.apply_sweep(result.orders, self.clock())
        self._render_all()
        self._arm_stale_timer()
        self._schedule_sweep(refresh_delay(0))

    def _sweep_failed(self, error: BaseException | None) -> None:
        self.error = error or RuntimeError("the sweep failed")
        self.model = self.model.apply_failure(self.clock())
        self._render_all()
        if self._stale_timer is None and not self.model.paused(self.clock()):
            self._arm_stale_timer()
        retry_after = error.retry_after if isinstance(error, ToteError) else None
        self._schedule_sweep(refresh_delay(self.model.failures, retry_after))

    # -- paging ------------------------------------------------------------------------

    def _grids(self) -> Mapping[Column, CodeGrid]:
        return {
            Column.PREPARING: self.query_one("#preparing-grid", CodeGrid),
            Column.READY: self.query_one("#ready-grid", CodeGrid),
        }

    def _update_page_timer(self) -> None:
        paging = self.shown is not None and self.shown.paging
        if paging and self._page_timer is None and self.auto_sweep:
            self._page_timer = self.set_interval(self.page_every, self.turn_page, name="pages")
        elif not paging and self._page_timer is not None:
            self._page_timer.stop()
            self._page_timer = None
        if not paging:
            self.turn = 0

    def turn_page(self) -> None:
        """Show the next page of every column that has more than one."""
        cycle = self.shown.cycle if self.shown is not None else 1
        self.turn = (self.turn + 1) % max(cycle, 1)
        self._render_columns()

    def action_next_page(self) -> None:
        self.turn_page()
        if self._page_timer is not None:
            self._page_timer.reset()

    def action_refresh_board(self) -> None:
        self.refresh_board()

    def action_close(self) -> None:
        self.exit(EXIT_OK)

    def action_help_quit(self) -> None:
        """Ctrl+C: a kiosk's operator means it (no toast on a store's screen); else as usual."""
        if self.kiosk:
            self.exit(EXIT_OK)
        else:
            super().action_help_quit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return self.allow_q
        if action == "next_page":
            return self.shown is not None and self.shown.paging
        return True

    def _stop_timers(self) -> None:
        for timer in (self._next_sweep, self._stale_timer, self._page_timer):
            if timer is not None:
                timer.stop()
        self._next_sweep = self._stale_timer = self._page_timer = None

    # -- rendering ---------------------------------------------------------------------

    def on_code_grid_resized(self, _: CodeGrid.Resized) -> None:
        self._render_columns()

    def _render_all(self) -> None:
        self._render_message()
        self._render_columns()
        self._render_status()

    def _render_columns(self) -> None:
        grids = self._grids()
        # One layout for both columns (the same size of type side by side), from the
        # smaller of the two areas; large type only when every order fits in it.
        sizes = [grid.content_size for grid in grids.values()]
        need = max(len(column.entries) for column in self.model.columns)
        self.grid_layout = fit_grid(
            min(size.width for size in sizes), min(size.height for size in sizes), need
        )
        shown: list[ColumnPage] = []
        for column in self.model.columns:
            page = paginate(column, self.grid_layout.capacity, self.turn)
            grids[column.column].show(page, self.grid_layout)
            self.query_one(f"#{column.column.value}-heading", ColumnHeading).show(page)
            shown.append(page)
        counts = [page.pages for page in shown]
        previous = self.shown
        self.shown = BoardPages(tuple(shown), max(counts), _lcm(counts))
        self._update_page_timer()
        if previous is None or previous.paging != self.shown.paging:
            self.refresh_bindings()

    def _render_message(self) -> None:
        model = self.model
        if model.loaded and not model.empty:
            state = "board"
        elif model.loaded:
            state = "empty"
        elif self.error is not None:
            state = "failed"
        else:
            state = "loading"
        for name in ("board", "empty", "failed", "loading"):
            self.set_class(name == state, f"-{name}")
        title, text = {
            "board": ("", ""),
            "empty": (
                "No orders yet",
                "Orders show here while they are prepared, and when they are ready.",
            ),
            "failed": (
                "Can't load the orders",
                f"{_sentence(_problem(self.error)) if self.error else ''} "
                "Trying again in a moment.",
            ),
            "loading": ("Loading orders…", ""),
        }[state]
        self.query_one("#message-title", Static).update(Text(title))
        self.query_one("#message-text", Static).update(Text(text))

    def _clock_time(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime("%H:%M:%S")

    def status_text(self) -> str:
        model = self.model
        now = self.clock()
        parts: list[str] = []
        if model.last_success is not None:
            parts.append(f"updated {self._clock_time(model.last_success)}")
        if self.error is not None and not model.paused(now):
            parts.append(f"retrying ({_problem(self.error)})")
        if self.note:
            parts.append(printable(self.note))
        return " · ".join(parts)

    def banner_text(self) -> str:
        """The paused banner's words, or "" while the board is fresh."""
        model = self.model
        if not model.paused(self.clock()):
            return ""
        if model.last_success is not None:
            return f"Board paused · last update {self._clock_time(model.last_success)}"
        return f"Board paused · no update since it started at {self._clock_time(model.started_at)}"

    def _render_status(self) -> None:
        banner = self.banner_text()
        self.set_class(bool(banner), "-paused")
        self.query_one("#banner", Static).update(Text(banner))
        self.query_one("#status", Static).update(Text(self.status_text()))

    # -- palette -----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield SystemCommand("Refresh now", "Read the location's orders now (r)", self.refresh_board)
        yield SystemCommand("Next page", "Show the next page of orders (n)", self.turn_page)
        yield from super().get_system_commands(screen)


def _lcm(counts: Sequence[int]) -> int:
    return math.lcm(*counts) if counts else 1


# --------------------------------------------------------------------------- running


def run_board(config: ClientConfig, location_id: str, *, kiosk: bool = False) -> int:
    """Run the board in this terminal until it is closed; returns the exit code."""
    app = BoardApp(lambda: ToteClient(config), location_id, kiosk=kiosk)
    result = app.run()
    return result if result is not None else (app.return_code or EXIT_OK)


# --------------------------------------------------------------------------- the demo

DEMO_SCENARIOS: tuple[tuple[str, int], ...] = (("pickup", 5), ("curbside", 3), ("kiosk", 3))
"""Scenarios of the demo's orders, with weights."""
DEMO_ARRIVAL = (1.5, 4.5)
"""Seconds between two new orders at speed 1 (drawn uniformly)."""
DEMO_WARM_ORDERS = 16
"""Orders already in the store when the demo opens, at random points of their journey."""
DEMO_NEW_FOR = timedelta(seconds=20)
"""The demo's orders spend under a minute on the shelf, so NEW lasts 20 s there."""


@dataclass(frozen=True, slots=True)
class DemoScenario:
    """A journey the demo plays: its steps (seconds after the previous one at speed 1, and
    the event) and the order body it needs (its handoff)."""

    steps: tuple[tuple[float, str], ...]
    body: Mapping[str, Any]


class DemoFeed:
    """A steady stream of orders at one location of the sandbox, as a busy store has.

    New orders play a scripted scenario by themselves (the sandbox's autoplay). The orders
    already in the store when the demo opens (:meth:`warm_up`) are walked to a random point
    of their journey at once, and the rest of their journey is played from here.
    """

    def __init__(
        self,
        config: ClientConfig,
        location_id: str,
        scenarios: Mapping[str, DemoScenario],
        *,
        speed: float = 1.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.config = config
        self._client_factory = client_factory or (lambda: ToteClient(config))
        self.location_id = location_id
        self.scenarios = scenarios
        self.speed = speed
        self.rng = rng or random.Random()
        self._sleep = sleep
        self._monotonic = monotonic
        self._due: list[tuple[float, int, str, str]] = []
        self._counter = itertools.count()
        self.created = 0

    def _scenario(self) -> str:
        names = [name for name, _ in DEMO_SCENARIOS if name in self.scenarios]
        weights = [weight for name, weight in DEMO_SCENARIOS if name in self.scenarios]
        return self.rng.choices(names, weights=weights)[0]

    def _body(self, scenario: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"location_id": self.location_id}
        if scenario is not None:
            speed = self.speed * self.rng.uniform(0.7, 1.3)
            body["autoplay"] = {"scenario": scenario, "speed": round(speed, 3)}
        return body

    async def warm_up(self, count: int = DEMO_WARM_ORDERS) -> None:
        """Create ``count`` orders part-way through their journeys (preparing or ready)."""
        now = self._monotonic()
        async with self._client_factory() as client:
            control = SandboxControl(client)
            for _ in range(count):
                scenario = self.scenarios[self._scenario()]
                steps = scenario.steps
                order = await control.create_order({**scenario.body, **self._body()})
                self.created += 1
                # Somewhere between being accepted and being collected.
                times = list(itertools.accumulate(delay for delay, _ in steps))
                accepted = next(t for t, (_, e) in zip(times, steps, strict=True) if e == "accept")
                elapsed = self.rng.uniform(accepted, times[-1] - 1)
                for at, (_, event) in zip(times, steps, strict=True):
                    if at <= elapsed:
                        await control.fire_event(order.id, event)
                    else:
                        due = now + (at - elapsed) / self.speed
                        heapq.heappush(self._due, (due, next(self._counter), order.id, event))

    async def run(self) -> None:
        """Forever: a new order every few seconds, and the warm orders' next events."""
        async with self._client_factory() as client:
            control = SandboxControl(client)
            next_order = self._monotonic()
            while True:
                now = self._monotonic()
                while self._due and self._due[0][0] <= now:
                    _, _, order_id, event = heapq.heappop(self._due)
                    with contextlib.suppress(ToteError):
                        await control.fire_event(order_id, event)
                if next_order <= now:
                    with contextlib.suppress(ToteError):
                        await control.create_order(self._body(self._scenario()))
                        self.created += 1
                    next_order = now + self.rng.uniform(*DEMO_ARRIVAL) / self.speed
                wake = min([next_order, *(due for due, *_ in self._due[:1])])
                await self._sleep(max(wake - self._monotonic(), 0.05))


def run_board_demo(speed: float = 1.0) -> int:
    """``tote-track demo --board``: the sandbox, a stream of orders, the board (q quits)."""
    import sys

    from tote_track.sandbox.autoplay import SCENARIOS, scenario_order_body
    from tote_track.sandbox.seed import LOCATIONS
    from tote_track.sandbox.server import EmbeddedSandbox

    if not speed > 0:
        print("Error: --speed must be a positive number.", file=sys.stderr)
        return 2
    try:
        sandbox = EmbeddedSandbox().start()
    except RuntimeError as error:
        print(printable(f"Error: the demo sandbox could not start: {error}"), file=sys.stderr)
        return EXIT_SANDBOX_FAILED
    try:
        location = LOCATIONS[0]
        scenarios = {
            name: DemoScenario(
                tuple((step.delay, step.event.value) for step in SCENARIOS[name].steps),
                scenario_order_body(name),
            )
            for name, _ in DEMO_SCENARIOS
        }
        feed = DemoFeed(sandbox.config, location.id, scenarios, speed=speed)
        try:
            asyncio.run(feed.warm_up())
        except ToteError as error:
            print(
                printable(f"Error: the demo orders could not be created: {error}"), file=sys.stderr
            )
            return EXIT_SANDBOX_FAILED
        config = sandbox.config
        app = BoardApp(
            lambda: ToteClient(config),
            location.id,
            kiosk=True,
            allow_q=True,
            new_for=DEMO_NEW_FOR,
            feed=feed.run,
            note=f"demo: {location.name}, sandbox at {sandbox.base_url} · q quits",
        )
        result = app.run()
        return result if result is not None else (app.return_code or EXIT_OK)
    finally:
        sandbox.stop()
