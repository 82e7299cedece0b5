"""The list of orders when the tracker follows several: one line each (number, code, where
it is, its step), the selected one marked ``▶`` and highlighted. Arrows and a click move the
selection; the tracker shows the selected order's detail below.

Loaded only for several orders: one order's tracker has no list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tote_track.api.errors import printable
from tote_track.tui.tracker.widgets import NUMBERED

__all__ = ["ListedOrder", "OrderList"]

STATUS_WIDTH = 40
"""The status column is as wide as its longest words, up to this."""


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """One line of the list: the order's code, where it is and its step (blank until it was
    loaded), and a note when it could not be checked (``✖ not found``)."""

    code: str
    status: str = ""
    step: str = ""
    note: str = ""


class OrderList(OptionList):
    """The orders followed, bound to the tracker's :attr:`orders` and :attr:`selected`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "down",
            "cursor_down",
            "Switch order",
            key_display="↑↓ 1-9",
            id="orders.next",
            tooltip="Show the next order (up: the previous one; 1 to 9: that one)",
        ),
        Binding("up", "cursor_up", "Previous order", show=False, id="orders.previous"),
    ]
    DEFAULT_CSS = """
    OrderList {
        height: auto;
        max-height: 8;
        border: none;
        padding: 0 1;
        background: $surface;
    }
    OrderList:focus {
        border: none;
    }
    """

    orders: var[tuple[ListedOrder, ...]] = var((), init=False)
    selected: var[int] = var(0, init=False)

    def watch_orders(self, old: tuple[ListedOrder, ...], new: tuple[ListedOrder, ...]) -> None:
        if len(old) != len(new):
            self.set_options(Option(line) for line in self._order_lines())
            self.highlighted = self.selected
            return
        self._redraw()

    def watch_selected(self, selected: int) -> None:
        self._redraw()
        self.highlighted = selected

    def _redraw(self) -> None:
        for index, line in enumerate(self._order_lines()):
            if index < self.option_count:
                self.replace_option_prompt_at_index(index, line)

    def _order_lines(self) -> list[Text]:
        """One line per order, in columns: the mark and number, the code, where it is, the
        step."""
        statuses = [
            printable(listed.note or listed.status or "Fetching…") for listed in self.orders
        ]
        width = min(max((len(status) for status in statuses), default=0), STATUS_WIDTH)
        lines = []
        for index, (listed, status) in enumerate(zip(self.orders, statuses, strict=True)):
            mark = "▶" if index == self.selected else " "
            number = str(index + 1) if index < NUMBERED else " "
            line = Text(f"{mark} {number:>1}  ")
            line.append(printable(listed.code), style="bold")
            line.append(f"  {status.ljust(width)}", style="" if listed.status else "dim")
            if listed.step and not listed.note:
                line.append(f"  {printable(listed.step)}", style="dim")
            lines.append(line)
        return lines
