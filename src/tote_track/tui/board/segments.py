"""Big type for the board: short codes in seven-segment characters, and how many fit.

Pure layout: the characters of each size of type and the grid that fits a column's area.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CODE_LENGTH",
    "FONTS",
    "Font",
    "GridLayout",
    "big_code",
    "fit_grid",
    "seven_segment",
]

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
    """``char`` as ``height`` (3, 5, 7...: odd) lines of ``width`` (2 or more) box-drawing
    characters.

    A character that has no seven-segment form is drawn as itself on the middle line.
    """
    if width < 2 or height < 3 or height % 2 == 0:
        raise ValueError(
            "a seven-segment character is 2 or more wide and an odd number (3 or more) high; "
            f"got {width}x{height}"
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
    half = (height - 3) // 2
    upper = [sides("f", "b")] * half
    lower = [sides("e", "c")] * half
    return (top, *upper, middle, *lower, bottom)


def big_code(code: str, *, width: int = 3, height: int = 3, spacing: int = 1) -> tuple[str, ...]:
    """``code`` in seven-segment characters of ``width`` x ``height``, ``spacing`` apart."""
    gap = " " * spacing
    glyphs = [seven_segment(char, width, height) for char in code]
    return tuple(gap.join(glyph[row] for glyph in glyphs) for row in range(height))


Style = Literal["huge", "large", "wide", "narrow", "text"]


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
            return CODE_LENGTH + len(" NEW ")
        return CODE_LENGTH * self.width + (CODE_LENGTH - 1) * self.spacing

    @property
    def row_height(self) -> int:
        # Under a code, a line says NEW (or keeps the rows apart).
        return 1 if self.style == "text" else self.height + 1


HUGE = Font("huge", 7, 7, 2)
LARGE = Font("large", 5, 5, 2)
WIDE = Font("wide", 3, 3, 1)
NARROW = Font("narrow", 2, 3, 1)
TEXT = Font("text", 1, 1, 0)
FONTS: tuple[Font, ...] = (HUGE, LARGE, WIDE, NARROW, TEXT)
"""Every size of type, largest first."""
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


def fit_grid(
    width: int, height: int, *, at_least: int = 1, smaller_than: Font | None = None
) -> GridLayout:
    """The layout for codes in a ``width`` x ``height`` area: the largest type in which
    ``at_least`` codes fit (or, when none holds that many, the largest that holds one).

    It depends on the area only, never on how many codes there are: the type keeps its
    size as orders come and go (more than fit turn pages). ``smaller_than``: only type
    smaller than that font (a secondary column stays below the main one); one line per
    code when nothing else fits.
    """
    width = max(width, 0)
    height = max(height, 0)
    fonts = FONTS[FONTS.index(smaller_than) + 1 :] if smaller_than in FONTS else FONTS
    fonts = tuple(font for font in fonts if font is not TEXT) or ()
    layouts = [_layout(font, width, height) for font in fonts]
    for wanted in (at_least, 1):
        for layout in layouts:
            if layout.per_row >= 1 and layout.capacity >= wanted:
                return layout
    text = _layout(TEXT, width, height)
    return GridLayout(TEXT, max(1, text.rows), max(1, text.per_row), width)
