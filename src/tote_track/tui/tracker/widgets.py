"""The tracker's first frame: the order's header and the freshness line, and what every
widget of the tracker shares. The order's panels are in ``panels`` (they load with the
first order).

A server's words are data: every string that came from the API (or a user) reaches Rich
as a ``Text`` made by :func:`literal`, never as markup, and with its control characters
made visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive, var
from textual.widget import Widget
from textual.widgets import Footer, Static

from tote_track.api.statuses import short_code
from tote_track.tracking.presentation import delivery_note, handoff_summary, shown_text

if TYPE_CHECKING:  # the models (pydantic) load with the first order, not before
    from textual.screen import Screen

    from tote_track.api.models import Order, OrderSummary
    from tote_track.tracking.stepper import Progress

__all__ = [
    "LITERAL_LIMIT",
    "NUMBERED",
    "FreshnessLine",
    "KeysFooter",
    "OrderHeader",
    "ShownOrder",
    "ShowsOnChange",
    "literal",
]

NUMBERED = 9
"""With several orders, the first 9 are also chosen with their number key."""


@dataclass(frozen=True, eq=False, slots=True)
class ShownOrder:
    """The order the tracker shows (the selected one of several): the header and the
    panels bind to it. ``order`` is None until it was loaded. Each check makes a new one
    (compared by identity), and every panel redraws only what changed."""

    order_id: str
    order: Order | None = None
    progress: Progress | None = None
    money: tuple[str, ...] = ()
    """What happened to its payments (refunds, voids), one line each."""


LITERAL_LIMIT = 1000
"""The most characters of one text (of each line, with ``lines``) a widget shows: more than
any sentence of the tracker holds, and a server's megabyte string is not laid out whole."""


def literal(text: str, style: str = "", *, lines: bool = False, limit: int = LITERAL_LIMIT) -> Text:
    """``text`` exactly as written: never parsed as markup (``[/]``, ``[@click=...]`` stay
    words), control and format characters shown as visible symbols (see ``printable``),
    cut to ``limit`` characters (see ``shown_text``).

    ``lines``: keep its line breaks (a message made of paragraphs); every other control
    character is still shown as a symbol.
    """
    if lines:
        shown = (shown_text(line, limit) for line in text.split("\n", 50))
        return Text("\n".join(shown), style=style)
    return Text(shown_text(text, limit), style=style)


class ShowsOnChange(Static):
    """A panel that updates (and so asks for a layout pass) only when what it shows
    changed: a poll that brings the same order redraws nothing, and a layout pass renders
    every panel again (the items of a 20,000-item order take seconds)."""

    _shown: object = None

    def _changed(self, shown: object) -> bool:
        if shown == self._shown:
            return False
        self._shown = shown
        return True


class OrderHeader(ShowsOnChange):
    """Order code, handoff (mode and details) and store; the sandbox URL in demo mode."""

    shown: var[ShownOrder | None] = var(None, init=False)
    """The order shown (bound to the tracker's)."""

    def __init__(self, order_id: str, *, sandbox_url: str | None = None, id: str | None = None):
        super().__init__(id=id)
        self._order_id = order_id
        self._sandbox_url = sandbox_url
        self.show(None)

    def watch_shown(self, shown: ShownOrder | None) -> None:
        if shown is not None:
            self._order_id = shown.order_id
            self.show(shown.order)

    def show(self, order: OrderSummary | None) -> None:
        key = None if order is None else (order.id, order.handoff, order.location_id)
        if not self._changed(("order", self._order_id, key)):
            return
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, overflow="fold")
        grid.add_column(justify="right", no_wrap=True)
        if order is None:
            left = literal(f"Order {short_code(self._order_id)}", "bold")
            right = Text("")
        else:
            left = Text.assemble(
                literal(f"Order {order.short_code}", "bold"),
                ("  ·  ", "dim"),
                literal(handoff_summary(order.handoff)),
            )
            right = literal(f"Store {order.location_id[:6].upper()}")
        grid.add_row(left, right)
        renderables: list[RenderableType] = [grid]
        note = delivery_note(order.handoff) if order is not None else ""
        if note:
            renderables.append(literal(note, "italic"))
        if self._sandbox_url:
            renderables.append(
                Text.assemble(("Sandbox API  ", "dim"), literal(self._sandbox_url, "underline"))
            )
        self.update(Group(*renderables))


class FreshnessLine(Widget):
    """How fresh the shown order is and when the next check happens.

    Redrawn every second, so it repaints only itself (one line, no layout pass) and only
    when the words change.
    """

    DEFAULT_CSS = "FreshnessLine { height: 1; }"

    text: reactive[str] = reactive("")

    def show(self, text: str, *, state: str) -> None:
        classes = f"-{state}"
        if self.classes != frozenset({classes}):
            self.set_classes(classes)
        self.text = text

    def render(self) -> RenderResult:
        return Text(shown_text(self.text, LITERAL_LIMIT), no_wrap=True, overflow="ellipsis")


class KeysFooter(Footer):
    """Textual's footer, rebuilt only when the keys it shows change.

    Textual's footer rebuilds every key whenever the screen's bindings are refreshed (the
    focus moving, a scrollbar appearing), even when it would show the same keys, and each
    rebuild restyles every key. A refresh that shows the same keys changes nothing here.
    """

    _shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        palette = self.app.COMMAND_PALETTE_BINDING
        shown = tuple(
            (binding.key, binding.description, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == palette
        )
        if shown == self._shown:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # rebuilt: the same keys need no other rebuild
