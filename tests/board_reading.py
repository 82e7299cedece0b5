"""Reading the board's codes back from a screen's text (a terminal's or xterm.js's).

A code counts when its whole drawing, in one of the board's sizes of type, is found with
at least two glyph widths on its left and right free of anything a code is drawn with: a
code run together with its neighbour (or cut) is not read. :func:`readings` says where
each code was read.
"""

from __future__ import annotations

from tote_track.tracking.board import FONTS, Font
from tote_track.tui.board.segments import big_code

GLYPHS = frozenset("╸╹╺╻━┃┏┓┗┛┣┫┳┻╋0123456789ABCDEFabcdef")
"""What a code is drawn with: anything else (a blank, a column's border) keeps codes apart."""
BORDER = "▏"
"""The line between the board's two columns: nothing beyond it runs into a code."""


def _blank(line: str, start: int, end: int, *, left: bool) -> bool:
    margin = line[max(start, 0) : max(end, 0)]
    margin = margin.rpartition(BORDER)[2] if left else margin.partition(BORDER)[0]
    return not GLYPHS.intersection(margin)


def readings(code: str, text: str) -> list[tuple[int, int, Font]]:
    """Every (row, column, type) where ``code`` reads as one whole code, alone."""
    lines = text.split("\n")
    width = max((len(line) for line in lines), default=0)
    lines = [line.ljust(width) for line in lines]
    found: list[tuple[int, int, Font]] = []
    for font in FONTS:
        if font.style == "text":
            rows: tuple[str, ...] = (code,)
            margin = 2
        else:
            rows = big_code(code, width=font.width, height=font.height, spacing=font.spacing)
            margin = 2 * font.width
        for top in range(len(lines) - len(rows) + 1):
            column = lines[top].find(rows[0])
            while column >= 0:
                span = len(rows[0])
                if font.style == "text" and lines[top][column + span :].startswith(" NEW"):
                    span += len(" NEW")  # the small type's NEW mark is part of the code
                if all(
                    lines[top + k][column : column + span] == row
                    and _blank(lines[top + k], column - margin, column, left=True)
                    and _blank(lines[top + k], column + span, column + span + margin, left=False)
                    for k, row in enumerate(rows)
                ):
                    found.append((top, column, font))
                column = lines[top].find(rows[0], column + 1)
    return found


def read_once(codes: list[str], text: str) -> dict[str, int]:
    """How many times each of ``codes`` reads on the screen (each should read once)."""
    return {code: len(readings(code, text)) for code in codes}
