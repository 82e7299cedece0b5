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

import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from tote_track import exit_codes
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
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
from tote_track.tui.board.segments import fit_grid
from tote_track.tui.board.widgets import CodeGrid, ColumnHeading
from tote_track.tui.signals import TerminalSignals

__all__ = [
    "EXIT_OK",
    "PAGE_EVERY",
    "SWEEP_PAGE_SIZE",
    "BoardApp",
    "Feed",
    "run_board",
    "sweep",
]

EXIT_OK = exit_codes.OK
PAGE_EVERY = 8.0
"""Seconds between page turns when the orders do not fit."""
SWEEP_PAGE_SIZE = 100
"""Orders per request of a sweep: the API's maximum, so requests = pages, as few as can be."""

Clock = Callable[[], datetime]
ClientFactory = Callable[[], ToteClient]
Feed = Callable[[], Awaitable[None]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
