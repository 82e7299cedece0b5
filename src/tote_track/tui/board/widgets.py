"""The board's widgets: a column's codes in big type, and its heading."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tote_track.tracking.board import Column, ColumnPage
from tote_track.tracking.presentation import printable
from tote_track.tui.board.segments import GridLayout, big_code

__all__ = ["CodeGrid", "ColumnHeading"]


class CodeGrid(Widget):
    """The codes of one column's current page, in large type; new ones inverted, over a
    NEW bar, so they read from across a room (and without colour).

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
                    line.append(" ")
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
                    # A solid bar under the inverted code, NEW in its middle.
                    marks.append(" NEW ".center(font.code_width), label)
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
