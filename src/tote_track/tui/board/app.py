"""The store board: a location's orders in two columns, "Preparing" and "Ready for pickup".

``BoardApp`` sweeps ``GET /orders`` for the location (every page, following the cursors,
at most ``tracking.board.SWEEP_PAGE_CAP`` pages) in one worker, hands the result to
``tracking.board.BoardModel`` and shows each order as its short code in large type. Sweeps
run every 5 s, the preparation scenario's cadence, steadily while they succeed and backing
off to 30 s while they fail, or as long as the server's Retry-After asks (see
``tracking.board.refresh_delay``). The board's client never retries by itself.

The rules (which type, which code is called or NEW, which steps aside, when the board is
offline) are ``tracking.board``'s. The app keeps the board as reactive state (``view``,
``shown``, ``turn``, ``banner``, ``status``) and its widgets are bound to it: they only draw.
A failed sweep, or one running for two refresh periods, makes the board offline at once: a
calm band in the space kept for it says live updates are paused and since when the codes
date; the technical reason goes to the log (and, outside a kiosk, the bottom line).

Only the visible page is drawn, and a column repaints only when its page changes, so a
location with thousands of orders costs no more to show than one with twenty. When codes
fall below a readable size the pages turn by themselves every 8 s ("PAGE 2/3").

When a code is called the terminal's bell rings once (``chime=False``, the command's
``--quiet``, turns it off).

``--kiosk`` drops the interactive chrome (header, footer, command palette) and the ``q``
key (Ctrl+Q or Ctrl+C close it); the board quits cleanly when its terminal goes away
(SIGHUP) or on SIGTERM.

Between sweeps nothing runs but the next sweep's timer, one timer for the next moment the
board changes by time alone (a call, a NEW mark ending, a code stepping aside, a sweep
counting as hung), and the page-turn timer while a column has more than one page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Future
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static

from tote_track import exit_codes
from tote_track.api.client import ClientFactory, ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import ToteError
from tote_track.api.warm import WarmConnection
from tote_track.tracking.board import (
    NEW_FOR,
    SWEEP_PAGE_CAP,
    UNCOLLECTED_AFTER,
    BoardModel,
    BoardPages,
    BoardView,
    Column,
    LocationSeen,
    lay_out,
    locations_seen,
    refresh_delay,
)
from tote_track.tracking.errors import describe_error
from tote_track.tracking.presentation import printable
from tote_track.tracking.recent import RECENT_PAGES, recent_orders
from tote_track.tui.board.screens import BoardHelpScreen, LocationPickerScreen
from tote_track.tui.board.sweep import SWEEP_PAGE_SIZE, Sweep, sweep
from tote_track.tui.board.widgets import (
    CallCard,
    CodeGrid,
    ColumnHeading,
    OfflineBand,
    UncollectedStrip,
)
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
WIDE_FROM = 110
"""From this many columns Ready gets the wider column (3:2); below, the two are equal."""
TALL_FROM = 30
"""From this many rows the space kept for the offline band is three rows (one below)."""

log = logging.getLogger("tote_track.board")

Feed = Callable[[], Awaitable[None]]


# --------------------------------------------------------------------------- the app


class BoardApp(TerminalApp):
    """A live board of one location's orders: "Preparing" and "Ready for pickup".

    The board's state is reactive and its widgets are bound to it: ``view`` (what the
    rules say the board shows now), ``shown`` (the pages of both columns, in their type),
    ``turn`` (the page turn) and ``banner`` (the offline band's words).
    """

    CSS_PATH = Path(__file__).with_name("board.tcss")
    TITLE = "Order board"
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 - Textual's own declaration
        (0, "-narrow"),
        (WIDE_FROM, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012 - Textual's own declaration
        (0, "-short"),
        (TALL_FROM, "-tall"),
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

    view: var[BoardView] = var(BoardView(), init=False)
    """What the board shows now (from ``model`` at the current time)."""
    shown: var[BoardPages | None] = var(None, init=False)
    """Both columns' pages at the current turn, each in its type and grid."""
    turn: var[int] = var(0, init=False)
    """The page turn (pages turn by themselves while a column has more than one)."""
    banner: var[str] = var("", init=False)
    """The offline band's words ("" while live)."""
    status: var[str] = var("", init=False)
    """The bottom line: when the codes were read (and, outside a kiosk, what went wrong)."""

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
        uncollected_after: timedelta = UNCOLLECTED_AFTER,
        feed: Feed | None = None,
        note: str = "",
        chime: bool = True,
        first: Future[Sweep] | None = None,
    ) -> None:
        """``first``: the first sweep of ``location_id``, already under way
        (``tui.board.run``): its outcome is the board's first."""
        super().__init__(client_factory, clock=clock)
        self._first = first
        self._first_for = location_id  # the location the first sweep reads
        self.location_id = location_id
        self.kiosk = kiosk
        self.allow_q = (not kiosk) if allow_q is None else allow_q
        self.tz = tz
        self.auto_sweep = auto_sweep
        self.page_every = page_every
        self.note = note
        self.chime = chime
        """Ring the terminal's bell when a code is called."""
        self.feed = feed
        """What moves the demo's orders along while the board runs (None: a real store)."""
        self.use_command_palette = not kiosk
        self.sub_title = printable(f"location {location_id}") if location_id else ""
        self.model = BoardModel.start(
            self.clock.wall(), new_for=new_for, uncollected_after=uncollected_after
        )
        self.error: BaseException | None = None
        """The last sweep's failure (None after a good sweep): for the log and QA only."""
        self.next_sweep_at: datetime | None = None
        self.sweeps = 0
        self._board_timers: dict[str, Timer] = {}
        self._areas: dict[Column, tuple[int, int]] = {}
        """Each column's drawing area when it was last on screen."""
        # Kept, not looked up: a grid's resize report may arrive after the screen is gone.
        self._code_grids = {
            Column.PREPARING: CodeGrid(
                Column.PREPARING, empty_text="Nothing in preparation", id="preparing-grid"
            ),
            Column.READY: CodeGrid(Column.READY, empty_text="Nothing waiting", id="ready-grid"),
        }

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if not self.kiosk:
            yield Header(icon="▦")
        yield OfflineBand(id="banner").data_bind(text=BoardApp.banner)
        with Horizontal(id="board"):
            with Vertical(id="preparing", classes="column"):
                yield ColumnHeading(Column.PREPARING, id="preparing-heading").data_bind(
                    BoardApp.shown
                )
                yield self._code_grids[Column.PREPARING].data_bind(BoardApp.shown)
            with Vertical(id="ready", classes="column"):
                yield ColumnHeading(Column.READY, id="ready-heading").data_bind(BoardApp.shown)
                yield self._code_grids[Column.READY].data_bind(BoardApp.shown)
                yield UncollectedStrip(id="uncollected").data_bind(BoardApp.view)
        yield CallCard(id="call").data_bind(BoardApp.view)
        with Vertical(id="message"):
            yield Static("", id="message-title")
            yield Static("", id="message-text")
        yield Static("", id="status")
        if not self.kiosk:
            yield Footer()

    def on_mount(self) -> None:
        self.set_class(self.kiosk, "-kiosk")
        self._show_state()
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
        model = self.model
        self.model = BoardModel.start(
            self.clock.wall(), new_for=model.new_for, uncollected_after=model.uncollected_after
        )
        self.refresh_board()

    # -- the terminal going away ---------------------------------------------------------

    def terminal_gone(self) -> None:
        """SIGHUP (the terminal closed) or SIGTERM: stop everything and exit."""
        self._stop_timers()
        self.workers.cancel_all()
        self.exit(exit_codes.OK)

    # -- timers --------------------------------------------------------------------------

    def _set_timer(self, name: str, delay: float, callback: Callable[[], object]) -> None:
        """(Re)arm the one timer called ``name``."""
        self._stop_timer(name)
        self._board_timers[name] = self.set_timer(max(delay, 0.0), callback, name=name)

    def _stop_timer(self, name: str) -> None:
        timer = self._board_timers.pop(name, None)
        if timer is not None:
            timer.stop()

    def _stop_timers(self) -> None:
        for name in list(self._board_timers):
            self._stop_timer(name)

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
        self._stop_timer("next-sweep")
        location_id = self.location_id
        if location_id is None:  # the picker is open: nothing to read yet
            return
        self.model = self.model.begin_sweep(self.clock.wall())
        self._arm_change(self.clock.wall())  # the moment a hanging sweep makes it offline
        first, self._first = self._first, None
        try:
            if first is not None and location_id == self._first_for:
                result = await asyncio.wrap_future(first)
            else:
                result = await sweep(self.client, location_id)
        except Exception as error:  # every failure is shown on the board; none ends it
            self._sweep_failed(error)
        else:
            self._sweep_succeeded(result)

    @property
    def sweeping(self) -> bool:
        return self.model.sweep_started is not None

    def _schedule_sweep(self, delay: float) -> None:
        """The next sweep in ``delay`` seconds: the board's policy owns every wait (its
        client never retries or sleeps on its own)."""
        self.next_sweep_at = self.clock.wall() + timedelta(seconds=delay)
        if self.auto_sweep:
            self._set_timer("next-sweep", delay, self.refresh_board)

    def _sweep_succeeded(self, result: Sweep) -> None:
        self.sweeps += 1
        self.error = None
        self.model = self.model.apply_sweep(
            result.orders, self.clock.wall(), skipped=result.skipped, capped=result.capped
        )
        if result.capped:
            log.warning("board: a sweep stopped at %d pages; next in %d s", SWEEP_PAGE_CAP, 300)
        self._schedule_sweep(refresh_delay(0, capped=result.capped))
        self._show_state()

    def _sweep_failed(self, error: BaseException) -> None:
        self.error = error
        log.warning("board: a sweep failed: %s", describe_error(error).sentence)
        self.model = self.model.apply_failure(self.clock.wall())
        retry_after = error.retry_after if isinstance(error, ToteError) else None
        self._schedule_sweep(refresh_delay(self.model.failures, retry_after))
        self._show_state()

    # -- state -------------------------------------------------------------------------

    def _show_state(self) -> None:
        """Set the reactive state from the model at this moment, and arm the timer for the
        next moment it changes by time alone (a call, a NEW mark, a hung sweep)."""
        now = self.clock.wall()
        self.view = self.model.view(now)
        self.banner = self.banner_text()
        self.status = self.status_text()
        self._arm_change(now)

    def _arm_change(self, now: datetime) -> None:
        """The one timer for the next moment the board changes by time alone."""
        change = self.model.next_change(now)
        if change is None or not self.auto_sweep:
            self._stop_timer("change")
        else:
            self._set_timer("change", (change - now).total_seconds() + 0.01, self._show_state)

    def tick(self) -> None:
        """Show the board as it is now (what the change timer does when it fires)."""
        self._show_state()

    def watch_view(self, before: BoardView, view: BoardView) -> None:
        calling = view.calling
        if calling is not None and calling != before.calling and self.chime:
            self.bell()  # one chime a call
        self.set_class(calling is not None, "-calling")
        self._show_message(view)
        self._lay_out()

    def watch_turn(self) -> None:
        self._lay_out()

    def watch_status(self, status: str) -> None:
        self.query_one("#status", Static).update(Text(status))

    def watch_shown(self, before: BoardPages | None, shown: BoardPages | None) -> None:
        paging = shown is not None and shown.paging
        if paging and "pages" not in self._board_timers and self.auto_sweep:
            self._board_timers["pages"] = self.set_interval(
                self.page_every, self.turn_page, name="pages"
            )
        elif not paging:
            self._stop_timer("pages")
            self.turn = 0
        if (before is not None and before.paging) != paging:
            self.refresh_bindings()

    def _lay_out(self) -> None:
        for column, grid in self._code_grids.items():
            size = grid.content_size
            if size.width > 0 and size.height > 0:  # hidden (a call, a message): as before
                self._areas[column] = (size.width, size.height)
        areas = self._areas
        self.shown = lay_out(
            self.view,
            areas.get(Column.READY, (0, 0)),
            areas.get(Column.PREPARING, (0, 0)),
            self.turn,
        )

    def on_code_grid_resized(self, _: CodeGrid.Resized) -> None:
        # A resize may still arrive while the app shuts down, after its screen is gone.
        if all(grid.is_attached for grid in self._code_grids.values()):
            self._lay_out()

    # -- paging ------------------------------------------------------------------------

    def turn_page(self) -> None:
        """Show the next page of every column that has more than one."""
        cycle = self.shown.cycle if self.shown is not None else 1
        self.turn = (self.turn + 1) % max(cycle, 1)

    def action_next_page(self) -> None:
        self.turn_page()
        timer = self._board_timers.get("pages")
        if timer is not None:
            timer.reset()

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

    # -- words -------------------------------------------------------------------------

    def _show_message(self, view: BoardView) -> None:
        if view.loaded and not view.empty:
            state = "board"
        elif view.loaded:
            state = "empty"
        elif view.offline:
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
                "No codes to show yet",
                "They show here as soon as the order system answers.",
            ),
            "loading": ("Loading orders…", ""),
        }[state]
        self.query_one("#message-title", Static).update(Text(title))
        self.query_one("#message-text", Static).update(Text(text))

    def _clock_time(self, moment: datetime, seconds: bool = True) -> str:
        return moment.astimezone(self.tz).strftime("%H:%M:%S" if seconds else "%H:%M")

    def problem_text(self) -> str:
        """What went wrong, technically, and when the board tries again ("" when nothing
        did): the operator's line and the log, never the customers' band."""
        parts: list[str] = []
        if self.error is not None:
            parts.append(describe_error(self.error).sentence)
            if self.next_sweep_at is not None and not self.sweeping:
                parts.append(f"next try at {self._clock_time(self.next_sweep_at)}")
        elif self.sweeping and self.model.offline(self.clock.wall()):
            parts.append("no answer from the order system yet; still waiting")
        if self.model.skipped:
            parts.append(f"{self.model.skipped} order(s) left out: not valid")
        if self.model.capped:
            parts.append(f"stopped after {SWEEP_PAGE_CAP} pages of orders")
        return " · ".join(parts)

    def status_text(self) -> str:
        """The bottom line: when the codes were read; outside a kiosk, what went wrong."""
        parts: list[str] = []
        if self.model.last_success is not None:
            parts.append(f"updated {self._clock_time(self.model.last_success)}")
        if not self.kiosk and (problem := self.problem_text()):
            parts.append(problem)
        if self.note:
            parts.append(printable(self.note))
        return " · ".join(parts)

    def banner_text(self) -> str:
        """The offline band's words, or "" while the board is live."""
        view = self.view
        if not view.offline:
            return ""
        if view.as_of is None:
            return "Live updates paused"
        return f"Live updates paused · codes as of {self._clock_time(view.as_of, seconds=False)}"

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


# --------------------------------------------------------------------------- running


def run_board(
    config: ClientConfig,
    location_id: str | None,
    *,
    kiosk: bool = False,
    chime: bool = True,
    uncollected_after: timedelta = UNCOLLECTED_AFTER,
    warm: WarmConnection | None = None,
    first: Future[Sweep] | None = None,
) -> int:
    """Run the board in this terminal until it is closed; returns the exit code. Without
    ``location_id`` it opens on the picker of the recent orders' locations. ``warm``: the
    API's connection, opening (``api.warm``); ``first``: the first sweep, under way."""
    # No retries inside the client: the board's policy owns every wait and shows it.
    app = BoardApp(
        lambda: ToteClient(config, max_retries=0, warm=warm),
        location_id,
        first=first,
        kiosk=kiosk,
        chime=chime,
        uncollected_after=uncollected_after,
    )
    result = app.run()
    return result if result is not None else (app.return_code or exit_codes.OK)
