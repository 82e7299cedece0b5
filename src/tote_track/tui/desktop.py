"""Desktop notifications through the terminal: which escape a terminal understands, and
the escape itself.

Terminals turn an escape sequence into a desktop notification, each its own:

=====================  ==========================================================
OSC 9                  iTerm2, WezTerm, Windows Terminal, Ghostty
OSC 777 ``notify``     VTE (GNOME Terminal and others, where the distribution's VTE
                       has the patch), foot, WezTerm
OSC 99                 kitty
=====================  ==========================================================

:func:`detect` picks one from the environment (``TERM_PROGRAM``, ``TERM`` and the
terminals' own variables: ``KITTY_WINDOW_ID``, ``WEZTERM_PANE``, ``VTE_VERSION``,
``WT_SESSION``, ``ITERM_SESSION_ID``, ``GHOSTTY_RESOURCES_DIR``); a terminal it does not
know gets the bell only. Inside tmux (which sets ``TERM_PROGRAM=tmux``) the outer terminal
is told by the variables it left in the environment, and the escape is wrapped for tmux's
passthrough (``DCS tmux; ... ST``), which tmux forwards when its ``allow-passthrough``
option is on; when tmux says it is off, the bell (which tmux passes on) instead.

:func:`escape` builds the bytes. The words are made safe first (:func:`clean`): control
characters and the separators of each escape removed, length capped, so a server's text can
never end the escape early or start another.

Pure: the environment is a parameter, nothing is written here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BELL",
    "TEXT_LIMIT",
    "Notifier",
    "Protocol",
    "clean",
    "detect",
    "escape",
    "tmux_wrap",
]

BELL = "\a"
ESC = "\x1b"
ST = ESC + "\\"
TEXT_LIMIT = 200
"""The most characters of a title or a body sent (notification centres cut long ones)."""


class Protocol(StrEnum):
    OSC9 = "osc9"
    OSC777 = "osc777"
    OSC99 = "osc99"
    BELL = "bell"
    """A terminal that has no notification escape we know: the bell only."""


@dataclass(frozen=True, slots=True)
class Notifier:
    """How to reach the customer through this terminal."""

    protocol: Protocol
    tmux: bool = False
    """Inside tmux: wrap the escape for its passthrough."""


# TERM_PROGRAM values (as the terminals set them), compared case-insensitively.
_BY_PROGRAM = {
    "iterm.app": Protocol.OSC9,
    "wezterm": Protocol.OSC777,
    "ghostty": Protocol.OSC9,
    "kitty": Protocol.OSC99,
    "vscode": Protocol.BELL,
    "apple_terminal": Protocol.BELL,
}
# TERM prefixes the terminals set (and terminfo names).
_BY_TERM = (
    ("xterm-kitty", Protocol.OSC99),
    ("xterm-ghostty", Protocol.OSC9),
    ("foot", Protocol.OSC777),
    ("wezterm", Protocol.OSC777),
)
# The terminals' own variables, checked in this order.
_BY_VARIABLE = (
    ("KITTY_WINDOW_ID", Protocol.OSC99),
    ("WEZTERM_PANE", Protocol.OSC777),
    ("ITERM_SESSION_ID", Protocol.OSC9),
    ("GHOSTTY_RESOURCES_DIR", Protocol.OSC9),
    ("WT_SESSION", Protocol.OSC9),
    ("VTE_VERSION", Protocol.OSC777),
)


def detect(env: Mapping[str, str], *, tmux_passthrough: bool | None = None) -> Notifier:
    """The notifier for the terminal described by ``env`` (``os.environ``).

    ``tmux_passthrough``: inside tmux, whether its ``allow-passthrough`` option is on
    (None: not known; the escape is wrapped and tmux drops it if not allowed).
    """
    in_tmux = bool(env.get("TMUX"))
    protocol = _protocol(env)
    if protocol is Protocol.BELL:
        return Notifier(Protocol.BELL)
    if in_tmux and tmux_passthrough is False:
        return Notifier(Protocol.BELL)  # tmux passes the bell on to the outer terminal
    return Notifier(protocol, tmux=in_tmux)


def _protocol(env: Mapping[str, str]) -> Protocol:
    # TERM_PROGRAM names the terminal, unless it is tmux's own (tmux sets it in its panes):
    # then TERM is tmux's too, and the outer terminal's own variables tell.
    program = env.get("TERM_PROGRAM", "").strip().lower()
    if program in _BY_PROGRAM:
        return _BY_PROGRAM[program]
    if env.get("LC_TERMINAL", "").strip().lower() == "iterm2":
        return Protocol.OSC9
    term = env.get("TERM", "").strip().lower()
    for prefix, protocol in _BY_TERM:
        if term.startswith(prefix):
            return protocol
    for name, protocol in _BY_VARIABLE:
        if env.get(name):
            return protocol
    return Protocol.BELL


# Characters that would end an escape early or start another, or reorder what is shown:
# every control character (C0, DEL, C1), and the format characters (bidi controls,
# zero-width joiners...).
def _unsafe(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co", "Cn")


_SPACES = re.compile(r"\s+")


def clean(text: str, *, forbid: str = "", limit: int = TEXT_LIMIT) -> str:
    """``text`` as one safe line for an escape's payload: control and format characters
    dropped (each run of whitespace one space), the characters of ``forbid`` replaced by
    ``,``, at most ``limit`` characters (cut with ``…``)."""
    kept = "".join(" " if character.isspace() else character for character in text)
    kept = "".join(character for character in kept if not _unsafe(character))
    for character in forbid:
        kept = kept.replace(character, ",")
    kept = _SPACES.sub(" ", kept).strip()
    if len(kept) > limit:
        kept = kept[: limit - 1].rstrip() + "…"
    return kept


def escape(notifier: Notifier, title: str, body: str, *, ident: str = "tote-track") -> str:
    """The characters that make the terminal show a notification ``title``: ``body``.

    ``ident`` names the notification for kitty (letters, digits, ``-_+.``; a later one with
    the same id replaces it). The bell for :attr:`Protocol.BELL`.
    """
    protocol = notifier.protocol
    if protocol is Protocol.BELL:
        return BELL
    if protocol is Protocol.OSC9:
        # One text; a leading digit and ";" would read as ConEmu's sub-commands (9;4...).
        words = clean(f"{title}: {body}" if title else body)
        sequence = f"{ESC}]9;{words}{BELL}"
    elif protocol is Protocol.OSC777:
        sequence = f"{ESC}]777;notify;{clean(title, forbid=';')};{clean(body)}{BELL}"
    else:
        ident = re.sub(r"[^A-Za-z0-9_+.-]", "-", ident)[:64] or "tote-track"
        sequence = (
            f"{ESC}]99;i={ident}:d=0:p=title;{clean(title)}{ST}"
            f"{ESC}]99;i={ident}:d=1:p=body;{clean(body)}{ST}"
        )
    return tmux_wrap(sequence) if notifier.tmux else sequence


def tmux_wrap(sequence: str) -> str:
    """``sequence`` in tmux's passthrough: ``DCS tmux; ... ST`` with every ESC doubled."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"
