"""Big type for the board: short codes drawn in seven-segment characters.

Which size of type a column uses is a board rule (``tracking.board``); this draws it.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["big_code", "seven_segment"]

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
