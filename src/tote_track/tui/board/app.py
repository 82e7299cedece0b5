"""The store board: a location's orders in two columns, "Preparing" and "Ready for pickup".

``BoardApp`` sweeps ``GET /orders`` for the location (every page, following the cursors)
in one worker, hands the result to ``tracking.board.BoardModel`` and shows each order as
its short code in large type. Sweeps run every 5 s, the preparation scenario's cadence,
steadily while they succeed and backing off to 30 s while they fail, or as long as the
server's Retry-After asks (see ``tracking.board.refresh_delay``). The board's client never
retries by itself: every wait is the board's, and the board says what it waits for and until
when. From the first failed sweep an OFFLINE banner says since when the codes date (they
stay on screen) and why, until the next good sweep.

Only the visible page is drawn: each column is one widget that renders the codes of its
current page and repaints only when they change, so a location with thousands of orders
costs no more to show than one with twenty. When orders do not fit, the pages turn by
themselves every 8 s ("page 2/3"); the layout follows the terminal's size.

When codes become ready the terminal's bell rings, once a sweep (``chime=False``, the
command's ``--quiet``, turns it off).

``--kiosk`` drops the interactive chrome (header, footer, command palette) and the ``q``
key (Ctrl+Q or Ctrl+C close it); the board quits cleanly when its terminal goes away
(SIGHUP) or on SIGTERM.

Between sweeps nothing runs but the next sweep's timer, the page-turn timer while there is
more than one page, a timer that shows the banner if a sweep hangs, and while offline a
one-second countdown.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static

from tote_track import exit_codes
from tote_track.api.client import ClientFactory, ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import ToteError
from tote_track.tracking.board import (
    NEW_FOR,
    SWEEP_STATUS,
    BoardModel,
    BoardOrder,
    BoardPages,
    Column,
    ColumnPage,
    LocationSeen,
    board_order,
    locations_seen,
    paginate,
    refresh_delay,
    retry_words,
)
from tote_track.tracking.errors import describe_error
from tote_track.tracking.presentation import printable
from tote_track.tracking.recent import RECENT_PAGES, recent_orders
from tote_track.tui.board.screens import BoardHelpScreen, LocationPickerScreen
from tote_track.tui.board.segments import GridLayout, fit_grid
from tote_track.tui.board.widgets import CodeGrid, ColumnHeading
from tote_track.tui.terminal import Clock, TerminalApp

__all__ = [
    "PAGE_EVERY",
    "SWEEP_PAGE_SIZE",
    "BoardApp",
    "Feed",
    "recent_locations",
    "run_board",
    "sweep",
]

PAGE_EVERY = 8.0
"""Seconds between page turns when the orders do not fit."""
SWEEP_PAGE_SIZE = 100
"""Orders per request of a sweep: the API's maximum, so requests = pages, as few as can be."""
READY_AT_LEAST = 4
"""Ready codes a page holds at least: the largest type in which that many fit is used."""
PREPARING_AT_LEAST = 6
"""Preparing codes a page holds at least, in type smaller than Ready's."""
WIDE_FROM = 110
"""From this many columns Ready gets the wider column (3:2); below, the two are equal."""

Feed = Callable[[], Awaitable[None]]


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


# --------------------------------------------------------------------------- the app


class BoardApp(TerminalApp):
    """A live board of one location's orders: "Preparing" and "Ready for pickup"."""

    CSS_PATH = Path(__file__).with_name("board.tcss")
    TITLE = "Order board"
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 - Textual's own declaration
        (0, "-narrow"),
        (WIDE_FROM, "-wide"),
    ]
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
        Binding(
            "question_mark",
            "help",
            "Help",
            key_display="?",
            id="board.help",
            tooltip="The board's keys and marks",
        ),
    ]

    def __init__(
        self,
        client_factory: ClientFactory,
        location_id: str | None,
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
        chime: bool = True,
    ) -> None:
        super().__init__(client_factory, clock=clock)
        self.location_id = location_id
        self.kiosk = kiosk
        self.allow_q = (not kiosk) if allow_q is None else allow_q
        self.tz = tz
        self.auto_sweep = auto_sweep
        self.page_every = page_every
        self.note = note
        self.chime = chime
        """Ring the terminal's bell when codes become ready (once a sweep)."""
        self.feed = feed
        """What moves the demo's orders along while the board runs (None: a real store)."""
        self.use_command_palette = not kiosk
        self.sub_title = printable(f"location {location_id}") if location_id else ""
        self.model = BoardModel.start(self.clock.wall(), new_for=new_for)
        self.shown: BoardPages | None = None
        self.layouts: dict[Column, GridLayout] = {column: fit_grid(0, 0) for column in Column}
        """Each column's type and grid: from its area only, so sizes hold as orders come."""
        self.turn = 0
        self.sweeps = 0
        self.error: BaseException | None = None
        self.sweeping = False
        self.next_sweep_at: datetime | None = None
        """When the next sweep goes out (after a failure: the policy's backoff or the
        server's Retry-After)."""
        self._next_sweep: Timer | None = None
        self._countdown: Timer | None = None
        self._stale_timer: Timer | None = None
        self._page_timer: Timer | None = None
        # Kept, not looked up: a grid's resize report may arrive after the screen is gone.
        self._code_grids = {
            Column.PREPARING: CodeGrid(empty_text="Nothing in preparation", id="preparing-grid"),
            Column.READY: CodeGrid(empty_text="Nothing waiting", id="ready-grid"),
        }

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if not self.kiosk:
            yield Header(icon="▦")
        yield Static("", id="banner")
        with Horizontal(id="board"):
            with Vertical(id="preparing", classes="column"):
                yield ColumnHeading(Column.PREPARING, id="preparing-heading")
                yield self._code_grids[Column.PREPARING]
            with Vertical(id="ready", classes="column"):
                yield ColumnHeading(Column.READY, id="ready-heading")
                yield self._code_grids[Column.READY]
        with Vertical(id="message"):
            yield Static("", id="message-title")
            yield Static("", id="message-text")
        yield Static("", id="status")
        if not self.kiosk:
            yield Footer()

    def on_mount(self) -> None:
        self.set_class(self.kiosk, "-kiosk")
        self._render_all()
        if self.location_id is None:
            picker = LocationPickerScreen(lambda: recent_locations(self.client, self.clock.wall()))
            self.push_screen(picker, callback=self.open_location)
        else:
            self.open_location(self.location_id)
        if self.feed is not None:
            self.run_worker(
                self.feed,
                name="feed",
                group="feed",
                description="demo orders",
                exclusive=True,
                exit_on_error=False,
            )

    def on_unmount(self) -> None:
        self._stop_timers()

    def open_location(self, location_id: str | None) -> None:
        """Show ``location_id``'s board: the first sweep now, then on the board's schedule."""
        if location_id is None:
            return
        self.location_id = location_id
        self.sub_title = printable(f"location {location_id}")
        self.model = BoardModel.start(self.clock.wall(), new_for=self.model.new_for)
        self.refresh_board()
        self._arm_stale_timer()  # a first sweep that hangs makes the board offline too

    # -- the terminal going away ---------------------------------------------------------

    def terminal_gone(self) -> None:
        """SIGHUP (the terminal closed) or SIGTERM: stop everything and exit."""
        self._stop_timers()
        self.workers.cancel_all()
        self.exit(exit_codes.OK)

    # -- sweeps ------------------------------------------------------------------------

    @work(
        exclusive=True,
        group="sweep",
        exit_on_error=False,
        name="sweep",
        description="GET /orders for the board's location",
    )
    async def refresh_board(self) -> None:
        """Sweep now (a sweep in flight is replaced). Its outcome is handled here, so a
        replaced sweep never reaches the board."""
        if self._next_sweep is not None:
            self._next_sweep.stop()
            self._next_sweep = None
        location_id = self.location_id
        if location_id is None:  # the picker is open: nothing to read yet
            return
        self.sweeping = True
        try:
            result = await sweep(self.client, location_id)
        except Exception as error:  # every failure is shown on the board; none ends it
            self.sweeping = False
            self._sweep_failed(error)
        else:
            self.sweeping = False
            self._sweep_succeeded(result)

    def _scheduled_sweep(self) -> None:
        self._next_sweep = None
        if not self.sweeping:
            self.refresh_board()

    def _schedule_sweep(self, delay: float) -> None:
        """The next sweep in ``delay`` seconds: the board's policy owns every wait (its
        client never retries or sleeps on its own)."""
        self.next_sweep_at = self.clock.wall() + timedelta(seconds=delay)
        if not self.auto_sweep:
            return
        if self._next_sweep is not None:
            self._next_sweep.stop()
        self._next_sweep = self.set_timer(delay, self._scheduled_sweep, name="next-sweep")

    def _arm_stale_timer(self) -> None:
        """Show the banner at the moment a hanging sweep makes the board offline."""
        if not self.auto_sweep:
            return
        if self._stale_timer is not None:
            self._stale_timer.stop()
        wait = (self.model.paused_at - self.clock.wall()).total_seconds()
        self._stale_timer = self.set_timer(max(wait, 0.0) + 0.05, self._went_stale, name="stale")

    def _went_stale(self) -> None:
        self._stale_timer = None
        self._render_status()

    def _update_countdown(self) -> None:
        """While offline, the banner counts down to the next try, second by second."""
        offline = self.model.offline(self.clock.wall())
        if offline and self._countdown is None and self.auto_sweep:
            self._countdown = self.set_interval(1.0, self.tick, name="countdown")
        elif not offline and self._countdown is not None:
            self._countdown.stop()
            self._countdown = None

    def tick(self) -> None:
        """Redraw the words that depend on the time (the countdown to the next try)."""
        self._render_status()
        self._render_message()

    def _sweep_succeeded(self, result: Sweep) -> None:
        self.sweeps += 1
        self.error = None
        before = self.model
        self.model = self.model.apply_sweep(result.orders, self.clock.wall())
        if self.chime and self.model.became_ready(before):
            self.bell()  # one chime a sweep, however many codes became ready
        self._render_all()
        self._arm_stale_timer()
        self._schedule_sweep(refresh_delay(0))
        self._update_countdown()

    def _sweep_failed(self, error: BaseException) -> None:
        self.error = error
        self.model = self.model.apply_failure(self.clock.wall())
        retry_after = error.retry_after if isinstance(error, ToteError) else None
        self._schedule_sweep(refresh_delay(self.model.failures, retry_after))
        self._render_all()
        self._update_countdown()

    # -- paging ------------------------------------------------------------------------

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
        self.exit(exit_codes.OK)

    def help_keys(self) -> tuple[tuple[str, str], ...]:
        """The keys that work on this board, in words."""
        keys = [("r", "Read the orders now"), ("n", "Next page (pages also turn by themselves)")]
        if self.allow_q:
            keys.append(("q", "Quit"))
        keys += [("?", "This help"), ("Ctrl+Q, Ctrl+C", "Close the board")]
        return tuple(keys)

    def action_help(self) -> None:
        if not isinstance(self.screen, BoardHelpScreen):
            self.push_screen(BoardHelpScreen(self.help_keys()))

    def action_help_quit(self) -> None:
        """Ctrl+C: a kiosk's operator means it (no toast on a store's screen); else as usual."""
        if self.kiosk:
            self.exit(exit_codes.OK)
        else:
            super().action_help_quit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return self.allow_q
        if action == "next_page":
            return self.shown is not None and self.shown.paging
        return True

    def _stop_timers(self) -> None:
        for timer in (self._next_sweep, self._stale_timer, self._page_timer, self._countdown):
            if timer is not None:
                timer.stop()
        self._next_sweep = self._stale_timer = self._page_timer = self._countdown = None

    # -- rendering ---------------------------------------------------------------------

    def on_code_grid_resized(self, _: CodeGrid.Resized) -> None:
        # A resize may still arrive while the app shuts down, after its screen is gone.
        if all(grid.is_attached for grid in self._code_grids.values()):
            self._render_columns()

    def _render_all(self) -> None:
        self._render_message()
        self._render_columns()
        self._render_status()

    def _render_columns(self) -> None:
        grids = self._code_grids
        # Ready first: the largest type its area holds; Preparing in smaller type. Both
        # from the areas alone, never from the number of orders.
        ready = grids[Column.READY].content_size
        preparing = grids[Column.PREPARING].content_size
        ready_layout = fit_grid(ready.width, ready.height, at_least=READY_AT_LEAST)
        self.layouts = {
            Column.READY: ready_layout,
            Column.PREPARING: fit_grid(
                preparing.width,
                preparing.height,
                at_least=PREPARING_AT_LEAST,
                smaller_than=ready_layout.font,
            ),
        }
        shown: list[ColumnPage] = []
        for column in self.model.columns:
            layout = self.layouts[column.column]
            page = paginate(column, layout.capacity, self.turn)
            grids[column.column].show(page, layout)
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
            "failed": ("Can't load the orders", self._failure_sentence()),
            "loading": ("Loading orders…", ""),
        }[state]
        self.query_one("#message-title", Static).update(Text(title))
        self.query_one("#message-text", Static).update(Text(text))

    def _failure_sentence(self) -> str:
        """The last failure in a sentence, and when the board tries again."""
        if self.error is None:
            return ""
        words = describe_error(self.error)
        return f"{words.sentence} {_capital(self._retry_words())}."

    def _retry_words(self) -> str:
        if self.next_sweep_at is None or self.sweeping:
            return "retrying now"
        return retry_words((self.next_sweep_at - self.clock.wall()).total_seconds())

    def _clock_time(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime("%H:%M:%S")

    def status_text(self) -> str:
        """The bottom line: when the codes were read, and what the board waits for."""
        model = self.model
        parts: list[str] = []
        if model.last_success is not None:
            parts.append(f"updated {self._clock_time(model.last_success)}")
        if self.error is not None:
            parts.append(f"{describe_error(self.error).brief} · {self._retry_words()}")
        if self.note:
            parts.append(printable(self.note))
        return " · ".join(parts)

    def banner_text(self) -> str:
        """The offline banner's words, or "" while the board is live."""
        model = self.model
        now = self.clock.wall()
        if not model.offline(now):
            return ""
        if model.last_success is None:
            # The message in the middle of the screen says why.
            started = self._clock_time(model.started_at)
            return f"OFFLINE · no codes since the board started at {started}"
        since = model.last_success.astimezone(self.tz).strftime("%H:%M")
        head = f"OFFLINE · codes as of {since}"
        if self.error is not None:
            return f"{head}\n{self._failure_sentence()}"
        return f"{head}\nNo answer from the order system yet; still waiting."

    def _render_status(self) -> None:
        banner = self.banner_text()
        self.set_class(bool(banner), "-offline")
        self.query_one("#banner", Static).update(Text(banner))
        self.query_one("#status", Static).update(Text(self.status_text()))

    # -- palette -----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield SystemCommand("Refresh now", "Read the location's orders now (r)", self.refresh_board)
        yield SystemCommand("Next page", "Show the next page of orders (n)", self.turn_page)
        yield from super().get_system_commands(screen)


async def recent_locations(
    client: ToteClient, now: datetime, *, pages: int = RECENT_PAGES
) -> tuple[LocationSeen, ...]:
    """The locations of the recent orders (``tracking.recent``), busiest first."""
    return locations_seen((await recent_orders(client, now, pages=pages)).orders)


def _capital(words: str) -> str:
    return f"{words[:1].upper()}{words[1:]}"


def _lcm(counts: Sequence[int]) -> int:
    return math.lcm(*counts) if counts else 1


# --------------------------------------------------------------------------- running


def run_board(
    config: ClientConfig, location_id: str | None, *, kiosk: bool = False, chime: bool = True
) -> int:
    """Run the board in this terminal until it is closed; returns the exit code. Without
    ``location_id`` it opens on the picker of the recent orders' locations."""
    # No retries inside the client: the board's policy owns every wait and shows it.
    app = BoardApp(lambda: ToteClient(config, max_retries=0), location_id, kiosk=kiosk, chime=chime)
    result = app.run()
    return result if result is not None else (app.return_code or exit_codes.OK)
