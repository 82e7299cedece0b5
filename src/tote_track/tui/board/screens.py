"""The board's screens over the board: its help, and the location picker."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

__all__ = ["BoardHelpScreen"]


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
                    "A new ready code is inverted over a NEW bar; the bell chimes when codes "
                    "become ready. OFFLINE at the top: the codes date from the time shown."
                ),
                classes="help-body",
            )
            yield Label("Esc closes this help.", classes="help-close")

    def action_close(self) -> None:
        self.dismiss(None)
