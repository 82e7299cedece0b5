"""Which notification escape a terminal gets, and the escape itself."""

from __future__ import annotations

import pytest

from tote_track.tui.desktop import (
    BELL,
    Notifier,
    Protocol,
    clean,
    detect,
    escape,
    tmux_wrap,
)


@pytest.mark.parametrize(
    ("env", "protocol"),
    [
        ({"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, Protocol.OSC9),
        ({"TERM_PROGRAM": "WezTerm", "TERM": "xterm-256color"}, Protocol.OSC777),
        ({"TERM_PROGRAM": "ghostty", "TERM": "xterm-ghostty"}, Protocol.OSC9),
        ({"TERM": "xterm-ghostty"}, Protocol.OSC9),
        ({"TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"}, Protocol.OSC99),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, Protocol.OSC99),
        ({"TERM": "xterm-256color", "VTE_VERSION": "7600"}, Protocol.OSC777),
        ({"TERM": "foot"}, Protocol.OSC777),
        ({"TERM": "xterm-256color", "WT_SESSION": "abc"}, Protocol.OSC9),
        ({"TERM": "xterm-256color", "LC_TERMINAL": "iTerm2"}, Protocol.OSC9),
        ({"TERM": "xterm-256color"}, Protocol.BELL),
        ({"TERM_PROGRAM": "Apple_Terminal", "VTE_VERSION": "1"}, Protocol.BELL),
        ({}, Protocol.BELL),
    ],
)
def test_the_terminal_decides_the_escape(env: dict[str, str], protocol: Protocol) -> None:
    assert detect(env) == Notifier(protocol)


def test_inside_tmux_the_outer_terminals_variables_tell_and_the_escape_is_wrapped() -> None:
    env = {"TMUX": "/tmp/tmux-1/default,1,0", "TERM_PROGRAM": "tmux", "TERM": "tmux-256color"}
    assert detect(env) == Notifier(Protocol.BELL)
    kitty = {**env, "KITTY_WINDOW_ID": "2"}
    assert detect(kitty) == Notifier(Protocol.OSC99, tmux=True)
    assert detect(kitty, tmux_passthrough=True) == Notifier(Protocol.OSC99, tmux=True)
    # tmux says it drops passthrough: the bell, which it passes on.
    assert detect(kitty, tmux_passthrough=False) == Notifier(Protocol.BELL)


def test_osc_9() -> None:
    sequence = escape(Notifier(Protocol.OSC9), "tote-track", "Order F9A8B7 is ready.")
    assert sequence == "\x1b]9;tote-track: Order F9A8B7 is ready.\x07"


def test_osc_777() -> None:
    sequence = escape(Notifier(Protocol.OSC777), "tote;track", "Order F9A8B7; ready.")
    assert sequence == "\x1b]777;notify;tote,track;Order F9A8B7; ready.\x07"


def test_osc_99_title_then_body_under_one_id() -> None:
    sequence = escape(
        Notifier(Protocol.OSC99), "tote-track", "Order F9A8B7 is ready.", ident="F9A8B7 ready"
    )
    assert sequence == (
        "\x1b]99;i=F9A8B7-ready:d=0:p=title;tote-track\x1b\\"
        "\x1b]99;i=F9A8B7-ready:d=1:p=body;Order F9A8B7 is ready.\x1b\\"
    )


def test_the_bell_for_unknown_terminals() -> None:
    assert escape(Notifier(Protocol.BELL), "t", "b") == BELL


def test_tmux_passthrough_doubles_every_escape() -> None:
    assert tmux_wrap("\x1b]9;hi\x07") == "\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\"
    wrapped = escape(Notifier(Protocol.OSC99, tmux=True), "t", "b")
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]99;")
    assert wrapped.endswith("\x1b\x1b\\\x1b\\")


@pytest.mark.parametrize("protocol", [Protocol.OSC9, Protocol.OSC777, Protocol.OSC99])
def test_hostile_words_cannot_end_the_escape_or_start_another(protocol: Protocol) -> None:
    hostile = "Ready\x07\x1b]0;owned\x1b\\\x9b2J\u202eevil\u200b\x00[bold]x[/]"
    sequence = escape(Notifier(protocol), hostile, hostile)
    payload = sequence.replace("\x1b]9;", "").replace("\x1b]777;notify;", "")
    payload = payload.replace("\x1b]99;", "").replace("\x1b\\", "").rstrip("\x07")
    assert "\x07" not in payload
    assert "\x1b" not in payload
    assert "\x9b" not in payload
    assert "\u202e" not in payload
    assert "\u200b" not in payload
    assert "[bold]x[/]" in sequence  # the words stay words: no markup is read in an escape


def test_clean_caps_the_length_and_flattens_lines() -> None:
    assert clean("a\nb\t c") == "a b c"
    long = clean("x" * 500)
    assert len(long) == 200
    assert long.endswith("…")
