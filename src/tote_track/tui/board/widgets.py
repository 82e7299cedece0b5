"""The board's widgets. Each is bound to the app's state (``data_bind``) and only draws it:
a column's codes in big type and its heading, the called code, the counter strip and the
offline band."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from tote_track.tracking.board import (
    BoardEntry,
    BoardPages,
    BoardView,
    Column,
    ColumnPage,
    GridLayout,
    call_layout,
)
from tote_track.tracking.presentation import printable
from tote_track.tui.board.segments import big_code

__all__ = ["CallCard", "CodeGrid", "ColumnHeading", "OfflineBand", "UncollectedStrip"]


def _page(shown: BoardPages | None, column: Column) -> ColumnPage | None:
    if shown is None:
        return None
    return next((page for page in shown.columns if page.column is column), None)


def draw_codes(
    entries: tuple[BoardEntry, ...], layout: GridLayout, plain: Style, new: Style, label: Style
) -> Text:
    """``entries`` in ``layout``'s type and grid; NEW codes inverted over a NEW bar."""
    font = layout.font
    lines: list[Text] = []
    pad = " " * layout.left
    gutter = " " * layout.gutter
    blank = Text("")
    for start in range(0, len(entries), layout.per_row):
        row = entries[start : start + layout.per_row]
        if start and font.row_height > font.height + 1:
            lines.append(blank)
        if font.style == "text":
            line = Text(pad)
            for index, entry in enumerate(row):
                if index:
                    line.append(gutter)
                line.append(printable(entry.code), new if entry.new else plain)
                line.append(" NEW" if entry.new else "    ", label if entry.new else plain)
            lines.append(line)
            continue
        # A code is the first 6 characters of an id the server chose: a character without
        # a seven-segment form is drawn as itself, so it must be printable.
        drawn = [
            big_code(printable(e.code), width=font.width, height=font.height, spacing=font.spacing)
            for e in row
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
            # A solid bar under the inverted code, NEW in its middle.
            marks.append(
                " NEW ".center(font.code_width) if entry.new else " " * font.code_width,
                label if entry.new else plain,
            )
        lines.append(marks)
    return Text("\n").join(lines)


def _drawn(page: ColumnPage | None) -> object:
    return None if page is None else (page.entries, page.layout)


class CodeGrid(Widget):
    """The codes of one column's current page, in large type; new ones inverted, over a
    NEW bar, so they read from across a room (and without colour).

    Bound to the app's ``shown`` pages; repaints only when its own page changes.
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

    shown: reactive[BoardPages | None] = reactive(None, repaint=False)

    class Resized(Message):
        """The grid's size changed: its page may hold more or fewer codes."""

    def __init__(self, column: Column, *, empty_text: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.column = column
        self.empty_text = empty_text
        self.page: ColumnPage | None = None

    def watch_shown(self, shown: BoardPages | None) -> None:
        page = _page(shown, self.column)
        before = self.page
        self.page = page
        if page is None or before is None or _drawn(page) != _drawn(before):
            self.refresh()

    def on_resize(self) -> None:
        self.post_message(self.Resized())

    def render(self) -> RenderableType:
        page = self.page
        if page is None or page.layout is None:
            return Text("")
        if not page.entries:
            return Text(
                self.empty_text,
                style=self.get_component_rich_style("code-grid--none"),
                justify="center",
            )
        return draw_codes(
            page.entries,
            page.layout,
            self.get_component_rich_style("code-grid--code"),
            self.get_component_rich_style("code-grid--new"),
            self.get_component_rich_style("code-grid--label"),
        )


class ColumnHeading(Static):
    """A column's title, how many orders it holds, and which page is shown."""

    shown: reactive[BoardPages | None] = reactive(None, repaint=False)

    def __init__(self, column: Column, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.column = column
        self._drawn: tuple[int, str] | None = None
        self.watch_shown(None)

    def watch_shown(self, shown: BoardPages | None) -> None:
        page = _page(shown, self.column)
        total = page.total if page is not None else 0
        label = page.label if page is not None else ""
        if (total, label) == self._drawn:
            return
        self._drawn = (total, label)
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        count = "" if page is None else str(total)
        # The page label is bold and upper-case, so "PAGE 1/3" reads from a distance.
        right = " · ".join(part for part in (count, label.upper()) if part)
        # The count keeps a space from the title however narrow the column (the title
        # gives way, with an ellipsis).
        grid.add_row(
            Text(self.column.heading.upper(), style="bold"), Text(f" {right}", style="bold")
        )
        self.update(grid)


class CallCard(Widget):
    """The code being called: alone, in the largest type the screen holds."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"call-card--title", "call-card--code"}

    view: reactive[BoardView] = reactive(BoardView(), repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.calling: BoardEntry | None = None

    def watch_view(self, view: BoardView) -> None:
        if view.calling != self.calling:
            self.calling = view.calling
            self.refresh()

    def render(self) -> RenderableType:
        entry = self.calling
        if entry is None:
            return Text("")
        size = self.content_size
        width = size.width
        title_style = self.get_component_rich_style("call-card--title")
        layout = call_layout(width, max(size.height - 2, 1))
        font = layout.font
        style = self.get_component_rich_style("call-card--code")
        if font.style == "text":
            rows: tuple[str, ...] = (printable(entry.code),)
        else:
            rows = big_code(
                printable(entry.code), width=font.width, height=font.height, spacing=font.spacing
            )
        pad = " " * max(0, (width - max(len(row) for row in rows)) // 2)
        lines = [Text("READY FOR PICKUP".center(width), style=title_style), Text("")]
        lines += [Text(pad + row, style=style) for row in rows]
        return Text("\n").join(lines)


class UncollectedStrip(Static):
    """The codes that have waited long, small: "Please ask at the counter"."""

    view: reactive[BoardView] = reactive(BoardView(), repaint=False)

    def watch_view(self, view: BoardView) -> None:
        codes = tuple(entry.code for entry in view.uncollected)
        self.display = bool(codes)
        if codes:
            shown = "   ".join(printable(code) for code in codes)
            self.update(Text(f"Please ask at the counter:   {shown}"))


class OfflineBand(Static):
    """A calm band over the board, in the space kept for it: live updates are paused, and
    since when the codes date. Empty (and the space kept) while the board is live."""

    text: reactive[str] = reactive("", repaint=False)

    def watch_text(self, text: str) -> None:
        self.set_class(bool(text), "-offline")
        self.update(Text(text))
