"""The order's panels. Each one renders one part of an order; none holds a rule.

What a state *means* (the stepper's steps, the headline, the status meanings, money
formatting, cancel eligibility) comes from ``tote_track.tracking``; these widgets only lay
it out, with glyphs and words so nothing depends on colour alone. Colours come from the
stylesheet (``tracker.tcss``) through component classes and theme variables.

The tracker imports this module with the first order: its first frame (``widgets``) needs
none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive, var
from textual.widget import Widget

from tote_track.tracking.lifecycle import CancelEligibility
from tote_track.tracking.presentation import (
    DISPLAY_LIMIT,
    ITEMS_SHOWN,
    VALUE_LIMIT,
    format_money,
    money_rows,
    more_words,
    payment_state_words,
    printable,
    shown_text,
    status_breakdown,
)
from tote_track.tracking.stepper import Outcome, Progress, Step, StepState
from tote_track.tui.tracker.widgets import LITERAL_LIMIT, ShownOrder, ShowsOnChange, literal

if TYPE_CHECKING:
    from tote_track.api.models import Order

__all__ = [
    "CancelHint",
    "Headline",
    "ItemsPanel",
    "MoneyPanel",
    "OrderPanels",
    "ProgressStepper",
    "StatusPanel",
]

STEP_GLYPHS = {StepState.DONE: "✔", StepState.CURRENT: "●", StepState.UPCOMING: "○"}
STEP_CLASSES = {
    StepState.DONE: "stepper--done",
    StepState.CURRENT: "stepper--current",
    StepState.UPCOMING: "stepper--upcoming",
}
# The glyph before an off-path ending's word (``Progress.ending``).
OUTCOME_GLYPHS = {Outcome.RETURNED: "↩"}
ENDED_GLYPH = "✖"
SEPARATOR = " ─ "


def clock_time(moment: datetime | None, tz: tzinfo | None) -> str:
    """``10:07`` in the tracker's time zone (the local one unless given)."""
    if moment is None:
        return ""
    return moment.astimezone(tz).strftime("%H:%M")


class ProgressStepper(Widget):
    """``✔ Placed ─ ✔ Accepted ─ ● Preparing ─ ○ Ready for pickup ─ ○ Picked up``.

    The time each step was first seen is printed under it. An off-path ending (cancelled,
    failed, voided, returned) replaces the steps that will never come. Narrower than one
    line, the steps are listed one per line.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "stepper--done",
        "stepper--current",
        "stepper--upcoming",
        "stepper--outcome",
        "stepper--time",
        "stepper--separator",
    }
    DEFAULT_CSS = "ProgressStepper { height: auto; }"

    progress: reactive[Progress | None] = reactive(None, layout=True)

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tz = tz

    def _cells(self) -> list[tuple[Text, str]]:
        progress = self.progress
        assert progress is not None
        steps: Sequence[Step] = progress.steps
        ending = progress.ending
        if ending is not None:
            steps = [step for step in steps if step.state is StepState.DONE]
        cells: list[tuple[Text, str]] = []
        for step in steps:
            style = self.get_component_rich_style(STEP_CLASSES[step.state])
            label = Text(printable(f"{STEP_GLYPHS[step.state]} {step.label}"), style=style)
            shown = step.state is not StepState.UPCOMING
            cells.append((label, clock_time(step.seen_at, self.tz) if shown else ""))
        if ending is not None and progress.outcome is not None:
            glyph = OUTCOME_GLYPHS.get(progress.outcome, ENDED_GLYPH)
            style = self.get_component_rich_style("stepper--outcome")
            cells.append(
                (Text(f"{glyph} {ending}", style=style), clock_time(progress.ended_at, self.tz))
            )
        return cells

    def render(self) -> RenderResult:
        if self.progress is None:  # not yet shown
            return Text("")
        cells = self._cells()
        width = self.content_region.width or self.size.width or 80
        time_style = self.get_component_rich_style("stepper--time")
        separator = Text(SEPARATOR, style=self.get_component_rich_style("stepper--separator"))
        steps_line = Text()
        times_line = Text()
        for index, (label, when) in enumerate(cells):
            if index:
                steps_line.append_text(separator)
                times_line.append(" " * len(SEPARATOR))
            steps_line.append_text(label)
            times_line.append(when.ljust(label.cell_len)[: label.cell_len], style=time_style)
        if steps_line.cell_len <= width:
            times_line.rstrip()
            return Text("\n").join([steps_line, times_line])
        rows = []
        for label, when in cells:
            row = label.copy()
            if when:
                row.append(f"  {when}", style=time_style)
            rows.append(row)
        return Text("\n").join(rows)


class Headline(Widget):
    """The sentence that says where the order is, its detail, and what happened to money."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "headline--ongoing",
        "headline--good",
        "headline--bad",
        "headline--money",
    }
    DEFAULT_CSS = "Headline { height: auto; }"

    progress: reactive[Progress | None] = reactive(None, layout=True)
    money: reactive[tuple[str, ...]] = reactive((), layout=True)

    def show(self, progress: Progress | None, money: Sequence[str] = ()) -> None:
        """``money``: what happened to the payments (refunds, voids), one line each."""
        self.progress = progress
        self.money = tuple(money)

    def render(self) -> RenderResult:
        progress = self.progress
        if progress is None:  # not yet shown
            return Text("")
        tone = f"headline--{progress.tone.value}"
        text = Text()
        text.append(
            shown_text(progress.headline, LITERAL_LIMIT), style=self.get_component_rich_style(tone)
        )
        if progress.detail:
            text.append(f"\n{shown_text(progress.detail, LITERAL_LIMIT)}")
        money_style = self.get_component_rich_style("headline--money")
        for line in self.money[:ITEMS_SHOWN]:
            text.append(f"\n{shown_text(line, LITERAL_LIMIT)}", style=money_style)
        return text


class StatusPanel(ShowsOnChange):
    """The three status fields: the customer's words, and the API's value for reference."""

    def show(self, order: Order) -> None:
        breakdown = status_breakdown(order)
        if not self._changed(breakdown):
            return
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(ratio=1, overflow="fold", style="bold")
        grid.add_column(no_wrap=True, justify="right", style="dim")
        for line in breakdown:
            grid.add_row(
                literal(line.field), literal(line.words), literal(line.value, limit=VALUE_LIMIT)
            )
        self.update(grid)


class ItemsPanel(ShowsOnChange):
    """What was ordered, and each payment with its method and status: the first
    ``ITEMS_SHOWN`` of each, then how many more there are."""

    def show(self, order: Order) -> None:
        items, payments = order.items[:ITEMS_SHOWN], order.payments[:ITEMS_SHOWN]
        if not self._changed((items, len(order.items), payments, len(order.payments))):
            return
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(ratio=1, overflow="fold")
        grid.add_column(no_wrap=True, justify="right")
        grid.add_column(no_wrap=True, justify="right")
        for item in items:
            grid.add_row(
                literal(item.name, limit=DISPLAY_LIMIT),
                Text(f"×{item.quantity}"),
                literal(format_money(item.item_total)),
            )
        _more_row(grid, len(order.items), "item", none="No items")
        paid = Table.grid(padding=(0, 1), expand=True)
        paid.add_column(ratio=1, overflow="fold")
        paid.add_column(no_wrap=True)
        paid.add_column(no_wrap=True, justify="right")
        for payment in payments:
            paid.add_row(
                literal(payment.payment_method.label, limit=VALUE_LIMIT),
                literal(payment_state_words(payment.status), limit=VALUE_LIMIT),
                literal(format_money(payment.amount)),
            )
        _more_row(paid, len(order.payments), "payment", none="No payment yet")
        self.update(Group(grid, Text("Payments", style="bold"), paid))


def _more_row(grid: Table, count: int, noun: str, *, none: str) -> None:
    """The row under a list cut at ``ITEMS_SHOWN`` (or ``none`` under an empty one)."""
    if not count:
        grid.add_row(Text(none, style="dim"), "", "")
    elif count > ITEMS_SHOWN:
        grid.add_row(Text(more_words(count - ITEMS_SHOWN, noun), style="dim"), "", "")


class MoneyPanel(ShowsOnChange):
    """Subtotal, tax, discount, total, then paid and due (``tracking.presentation.money_rows``
    decides which rows an order shows)."""

    def show(self, order: Order) -> None:
        rows = money_rows(order)
        if not self._changed(rows):
            return
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(ratio=1)
        grid.add_column(no_wrap=True, justify="right")
        for row in rows:
            style = "bold" if row.strong else ""
            grid.add_row(literal(row.label, style), literal(row.amount, style))
        self.update(grid)


class CancelHint(ShowsOnChange):
    """Whether the order can be cancelled online, said before anyone tries."""

    def show(
        self, eligibility: CancelEligibility | None, *, cancelling: bool, finished: bool = False
    ) -> None:
        if not self._changed((eligibility, cancelling, finished)):
            return
        self.remove_class("-allowed", "-blocked", "-busy")
        if cancelling:
            self.add_class("-busy")
            self.update(Text("… Cancelling the order; this takes a moment."))
            return
        if eligibility is None:
            self.update(Text(""))
            return
        # The reason can quote a status value the server sent.
        if eligibility.allowed:
            self.add_class("-allowed")
            self.update(literal(f"✔ {eligibility.reason} Press c to cancel."))
        elif finished:
            self.update(literal(eligibility.reason))
        else:
            self.add_class("-blocked")
            self.update(literal(f"✖ {eligibility.reason}"))


class OrderPanels(Vertical):
    """The order's panels: progress and headline, the statuses, items and payments, money,
    and whether it can be cancelled.

    They show :attr:`shown` (bound to the tracker's order). The panels exist, filled,
    before they are mounted: the tracker mounts them with the first order, so the screen
    is laid out once."""

    shown: var[ShownOrder | None] = var(None, init=False)
    """The order shown; one that has not been loaded leaves the panels as they are."""

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.stepper = ProgressStepper(tz=tz, id="stepper")
        self.headline = Headline(id="headline")
        self.status = StatusPanel(id="status", classes="box")
        self.items = ItemsPanel(id="items", classes="box")
        self.money = MoneyPanel(id="money", classes="box")
        self.cancel_hint = CancelHint(id="cancel-hint")
        self.status.border_title = "Status"
        self.items.border_title = "Items & payments"
        self.money.border_title = "Money"

    def compose(self) -> ComposeResult:
        with Vertical(id="progress-box", classes="box") as progress_box:
            progress_box.border_title = "Progress"
            yield self.stepper
            yield self.headline
        yield self.status
        with Horizontal(id="details"):
            yield self.items
            yield self.money
        yield self.cancel_hint

    def watch_shown(self, shown: ShownOrder | None) -> None:
        if shown is not None and shown.order is not None and shown.progress is not None:
            self.show(shown.order, shown.progress, money=shown.money)

    def show(
        self,
        order: Order,
        progress: Progress,
        *,
        money: Sequence[str],
    ) -> None:
        """``money``: what happened to its payments (refunds, nothing charged), one line
        each."""
        self.stepper.progress = progress
        self.headline.show(progress, money)
        self.status.show(order)
        self.items.show(order)
        self.money.show(order)
