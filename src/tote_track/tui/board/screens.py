"""The board's screens over the board: its help, and the location picker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from tote_track.tracking.board import LocationSeen
from tote_track.tracking.errors import describe_error
from tote_track.tracking.presentation import printable

__all__ = ["BoardHelpScreen", "LocationLoader", "LocationPickerScreen"]

LocationLoader = Callable[[], Awaitable[tuple[LocationSeen, ...]]]


class BoardHelpScreen(ModalScreen[None]):
    """The board's keys, and what its marks mean."""

    DEFAULT_CSS = """
    BoardHelpScreen {
        align: center middle;
    }
    BoardHelpScreen > #board-help {
        width: 66;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 2;
        border: round $primary;
        background: $surface;
    }
    BoardHelpScreen .help-title {
        text-style: bold;
        margin-bottom: 1;
    }
    BoardHelpScreen .help-body {
        margin-top: 1;
    }
    BoardHelpScreen .help-close {
        color: $text-muted;
        margin-top: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,question_mark,q",
            "close",
            "Close help",
            key_display="esc",
            id="board-help.close",
            tooltip="Back to the board",
        ),
    ]

    def __init__(self, keys: tuple[tuple[str, str], ...]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, meaning in self.keys:
            table.add_row(key, meaning)
        with Vertical(id="board-help"):
            yield Label("The order board", classes="help-title")
            yield Static(table)
            yield Static(
                Text(
                    "A code that becomes ready is called: shown alone, large, with a chime; "
                    "then it is inverted over a NEW bar for 45 s. A band at the top says when "
                    "live updates are paused, and since when the codes date."
                ),
                classes="help-body",
            )
            yield Label("Esc closes this help.", classes="help-close")

    def action_close(self) -> None:
        self.dismiss(None)


class LocationPickerScreen(Screen[str]):
    """Which store's board to open: the locations of recent orders, busiest first.

    Enter opens the board of the highlighted one (the screen is dismissed with its id).
    """

    DEFAULT_CSS = """
    LocationPickerScreen > #picker {
        height: 1fr;
        padding: 1 2 0 2;
    }
    LocationPickerScreen #picker-title {
        text-style: bold;
    }
    LocationPickerScreen #picker-status {
        margin: 1 0;
        color: $text-muted;
    }
    LocationPickerScreen OptionList {
        height: 1fr;
        width: 1fr;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "reload",
            "Reload",
            id="picker.reload",
            tooltip="Read the recent orders' locations again",
        ),
        Binding("q", "app.close", "Quit", id="picker.quit", tooltip="Close without a board"),
    ]

    def __init__(self, load: LocationLoader) -> None:
        super().__init__()
        self._load = load
        self.locations: tuple[LocationSeen, ...] | None = None
        """What the last load found (None before it ends or when it failed)."""

    def compose(self) -> ComposeResult:
        yield Header(icon="▦")
        with Vertical(id="picker"):
            yield Label("Which store is this board for?", id="picker-title")
            yield Static("Reading the recent orders' locations…", id="picker-status")
            yield OptionList(id="locations")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one("#picker-status", Static).update("Reading the recent orders' locations…")
        self.load_locations()

    @work(exclusive=True, group="locations", exit_on_error=False, name="locations")
    async def load_locations(self) -> None:
        status = self.query_one("#picker-status", Static)
        try:
            found = await self._load()
        except Exception as error:  # shown, and r tries again
            words = describe_error(error)
            status.update(Text(f"{words.sentence} {words.next_step} r tries again.".strip()))
            return
        self.locations = found
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(
                Text(
                    printable(
                        f"{seen.location_id}   {seen.orders} recent · {seen.on_board} on the board"
                    )
                ),
                id=seen.location_id,
            )
            for seen in found
        )
        if found:
            status.update("Choose one with ↑ ↓ and Enter.")
            options.highlighted = 0
            options.focus()
        else:
            status.update(
                "No recent orders at any location. Pass --location UUID (tote-track sandbox "
                "prints its stores' ids)."
            )

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(event.option.id)
