"""Big type for the board: short codes in seven-segment characters, and how many fit.

Pure layout: the characters of each size of type and the grid that fits a column's area.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["CODE_LENGTH", "Font", "GridLayout", "big_code", "fit_grid", "seven_segment"]

# Short codes are hexadecimal; they are drawn as seven-segment characters (the segments
# a-g: top, upper right, lower right, bottom, lower left, upper left, middle). B and D are
# lower-case, as on every seven-segment display, so they never read as 8 and 0.
SEGMENTS: Mapping[str, str] = {
    "0": "abcdef",
    "1": "bc",
    "2": "abdeg",
    "3": "abcdg",
    "4": "bcfg",
    "5": "acdfg",
    "6": "acdefg",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
    "A": "abcefg",
    "B": "cdefg",
    "C": "adef",
    "D": "bcdeg",
    "E": "adefg",
    "F": "aefg",
}
# Heavy box-drawing characters by the arms they have: Up, Down, Left, Right.
_ARMS = {
    "": " ",
    "L": "╸",
    "U": "╹",
    "R": "╺",
    "D": "╻",
    "LR": "━",
    "UD": "┃",
    "DR": "┏",
    "DL": "┓",
    "UR": "┗",
    "UL": "┛",
    "UDR": "┣",
    "UDL": "┫",
    "DLR": "┳",
    "ULR": "┻",
    "UDLR": "╋",
}
CODE_LENGTH = 6


def _cell(segments: str, arms: Mapping[str, str]) -> str:
    """The character with the arms whose segment is lit (``arms``: arm -> segment)."""
    lit = "".join(arm for arm in "UDLR" if arms.get(arm, " ") in segments)
    return _ARMS[lit]


def seven_segment(char: str, width: int = 3, height: int = 3) -> tuple[str, ...]:
    """``char`` as ``height`` (3 or 5) lines of ``width`` (2 or more) box-drawing characters.

    A character that has no seven-segment form is drawn as itself on the middle line.
    """
    if width < 2 or height not in (3, 5):
        raise ValueError(
            f"a seven-segment character is 2 or more wide, 3 or 5 high; got {width}x{height}"
        )
    segments = SEGMENTS.get(char.upper())
    if segments is None:
        blank = " " * width
        lines = [blank] * height
        lines[height // 2] = char[:1].center(width)
        return tuple(lines)
    if char == "1" and width >= 3:
        # One bar, centred: a 1 at the right edge of its cell reads as a gap before it.
        column = " " * (width // 2)
        rest = " " * (width - width // 2 - 1)
        bars = ["╻", *(["┃"] * (height - 2)), "╹"]
        return tuple(column + bar + rest for bar in bars)
    s = segments
    fill = width - 2

    def bar(segment: str) -> str:
        return ("━" if segment in s else " ") * fill

    def sides(left: str, right: str) -> str:
        return ("┃" if left in s else " ") + " " * fill + ("┃" if right in s else " ")

    top = _cell(s, {"R": "a", "D": "f"}) + bar("a") + _cell(s, {"L": "a", "D": "b"})
    middle = (
        _cell(s, {"U": "f", "D": "e", "R": "g"})
        + bar("g")
        + _cell(s, {"U": "b", "D": "c", "L": "g"})
    )
    bottom = _cell(s, {"U": "e", "R": "d"}) + bar("d") + _cell(s, {"U": "c", "L": "d"})
    if height == 3:
        return (top, middle, bottom)
    return (top, sides("f", "b"), middle, sides("e", "c"), bottom)


def big_code(code: str, *, width: int = 3, height: int = 3, spacing: int = 1) -> tuple[str, ...]:
    """``code`` in seven-segment characters of ``width`` x ``height``, ``spacing`` apart."""
    gap = " " * spacing
    glyphs = [seven_segment(char, width, height) for char in code]
    return tuple(gap.join(glyph[row] for glyph in glyphs) for row in range(height))


Style = Literal["large", "wide", "narrow", "text"]


@dataclass(frozen=True, slots=True)
class Font:
    """A size of the codes' type: each character ``width`` x ``height`` cells."""

    style: Style
    width: int
    height: int
    spacing: int

    @property
    def code_width(self) -> int:
        if self.style == "text":
            return CODE_LENGTH + len(" NEW")
        return CODE_LENGTH * self.width + (CODE_LENGTH - 1) * self.spacing

    @property
    def row_height(self) -> int:
        # Under a code, a line says NEW (or keeps the rows apart).
        return 1 if self.style == "text" else self.height + 1


LARGE = Font("large", 5, 5, 2)
WIDE = Font("wide", 3, 3, 1)
NARROW = Font("narrow", 2, 3, 1)
TEXT = Font("text", 1, 1, 0)
GUTTER = 4
"""Blank columns between two codes side by side (well over the space inside a code)."""


@dataclass(frozen=True, slots=True)
class GridLayout:
    """How codes are laid out in a column of ``width`` x ``height`` cells, in ``font``."""

    font: Font
    rows: int
    per_row: int
    width: int

    @property
    def style(self) -> Style:
        return self.font.style

    @property
    def capacity(self) -> int:
        return self.rows * self.per_row

    @property
    def gutter(self) -> int:
        return 2 if self.font.style == "text" else GUTTER

    @property
    def left(self) -> int:
        """Blank columns before the first code, so the block of codes is centred."""
        used = self.per_row * self.font.code_width + (self.per_row - 1) * self.gutter
        return max(0, (self.width - used) // 2)


def _layout(font: Font, width: int, height: int) -> GridLayout:
    gutter = 2 if font.style == "text" else GUTTER
    per_row = (width + gutter) // (font.code_width + gutter)
    rows = height // font.row_height
    return GridLayout(font, rows, per_row, width)


def fit_grid(width: int, height: int, need: int = 0) -> GridLayout:
    """The layout for codes in a ``width`` x ``height`` area.

    Large type when all ``need`` codes fit in it (few orders on a big screen); otherwise
    wide characters when two codes fit side by side, narrow ones when that is what lets two
    fit (an 80-column terminal), wide again when only one fits; one line per code when even
    that does not fit.
    """
    width = max(width, 0)
    height = max(height, 0)
    large = _layout(LARGE, width, height)
    if need > 0 and large.per_row >= 1 and large.capacity >= need:
        return large
    wide, narrow = _layout(WIDE, width, height), _layout(NARROW, width, height)
    if wide.capacity >= 1 and (wide.per_row >= 2 or narrow.per_row < 2):
        return wide
    if narrow.capacity >= 1:
        return narrow
    text = _layout(TEXT, width, height)
    return GridLayout(TEXT, max(1, text.rows), max(1, text.per_row), width)
