"""``tote-track demo`` in a real terminal (tmux): start, follow, cancel, quit cleanly.

The scenario is ``cancel_window`` (the store waits before preparing, so there is time to
cancel). It plays at speed 8: the order is accepted after about 4 s and preparation starts
about 6 s later, a window wide enough for a loaded test machine.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
DEADLINE = 30.0


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", *args], capture_output=True, text=True, check=True, timeout=10
        )
        return result.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def flag(self, name: str) -> str:
        return self.run("display-message", "-p", "-t", self.name, f"#{{{name}}}").strip()

    def start(self, command: str) -> None:
        """Run ``command`` at the pane's shell on a cleared screen; it ends by printing
        ``EXIT=`` and its exit status (see :meth:`exited`)."""
        self.keys(f"clear; {command}; echo EXIT=$?", "Enter")

    def exited(self) -> str:
        """The screen once the command :meth:`start` ran has ended."""
        return self.wait_for(lambda s: "EXIT=" in s)

    def wait_for(self, found: Callable[[str], bool], *, poke: str | None = None) -> str:
        """Capture the pane until ``found`` accepts it (pressing ``poke`` meanwhile)."""
        end = time.monotonic() + DEADLINE
        next_poke = time.monotonic() + 1.0
        screen = self.screen()
        while not found(screen):
            now = time.monotonic()
            if now > end:
                pytest.fail(f"timed out; the screen was:\n{screen}")
            if poke and now >= next_poke:  # not faster than a fetch takes
                self.keys(poke)
                next_poke = now + 1.0
            time.sleep(0.2)
            screen = self.screen()
        return screen


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    name = f"tote-track-test-{os.getpid()}"
    env = {"PS1": "$ ", "HISTFILE": "/dev/null"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "30",
            f"env {exports} bash --norc --noprofile",
        ],
        check=True,
        timeout=10,
    )
    try:
        yield Tmux(name)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, timeout=10)


def test_demo_follows_cancels_and_quits_cleanly(tmux: Tmux) -> None:
    assert TOTE_TRACK.exists(), "the tote-track script is installed in the venv"
    command = f"{shlex.quote(str(TOTE_TRACK))} demo --scenario cancel_window --speed 8"
    tmux.start(command)

    screen = tmux.wait_for(lambda s: "Sandbox API  http://127.0.0.1:" in s)
    assert "Order " in screen
    # The stepper advances on its own schedule; r checks now.
    screen = tmux.wait_for(lambda s: "✔ Placed ─ ● Accepted" in s, poke="r")
    assert "You can cancel until the store starts preparing." in screen

    tmux.keys("c")
    screen = tmux.wait_for(lambda s: "Why are you cancelling?" in s)
    tmux.keys("y")
    screen = tmux.wait_for(lambda s: "✖ Cancelled" in s)
    assert "Refunded $19.45 to your credit card" in screen
    assert "tracking finished" in screen

    tmux.keys("q")
    screen = tmux.exited()
    assert "EXIT=0" in screen
    # The terminal is back to the shell: main screen, cursor shown, nothing left over.
    assert "Order " not in screen
    assert "Cancelled" not in screen
    assert tmux.flag("alternate_on") == "0"
    assert tmux.flag("cursor_flag") == "1"


def test_cancel_dialog_keys_in_a_real_terminal_without_colour(tmux: Tmux) -> None:
    # Speed 1: the store waits about half a minute before it even accepts the order.
    command = f"NO_COLOR=1 {shlex.quote(str(TOTE_TRACK))} demo --scenario cancel_window --speed 1"
    tmux.start(command)
    tmux.wait_for(lambda s: "You can cancel until the store starts preparing." in s, poke="r")

    tmux.keys("c")
    screen = tmux.wait_for(lambda s: "Why are you cancelling?" in s)
    # The chosen reason reads without colour.
    assert "(•) Changed my mind" in screen
    assert "( ) Ordered by mistake" in screen
    assert "●" not in screen.split("Why are you cancelling?")[1]
    assert "Yes, cancel  y" in screen

    tmux.keys("Tab")  # into the text box: y is a letter there, Enter sends
    screen = tmux.wait_for(lambda s: "Yes, cancel  enter" in s)
    assert "No, keep it  esc" in screen
    tmux.keys("y")
    screen = tmux.wait_for(lambda s: re.search(r"▊ +y +▎", s) is not None)  # the text box
    assert "Why are you cancelling?" in screen  # still open: y was typed, not a confirmation
    tmux.keys("Enter")  # sends the cancel (a loaded machine may be too late: a 409)
    screen = tmux.wait_for(lambda s: "✖ Cancelled" in s or "Too late to cancel online" in s)
    assert "Why are you cancelling?" not in screen

    if "Too late to cancel online" in screen:
        tmux.keys("Enter")  # OK (sent apart from q: ESC then q would read as alt+q)
        tmux.wait_for(lambda s: "Too late to cancel online" not in s)
    tmux.keys("q")
    screen = tmux.exited()
    assert "EXIT=0" in screen


def test_ctrl_c_quits_the_tracker_and_restores_the_terminal(tmux: Tmux) -> None:
    command = f"{shlex.quote(str(TOTE_TRACK))} demo --scenario manual"
    tmux.start(command)
    tmux.wait_for(lambda s: "You can cancel until the store starts preparing." in s, poke="r")
    tmux.keys("C-c")
    screen = tmux.exited()
    assert "EXIT=0" in screen
    assert "to quit" not in screen  # not Textual's "Press ctrl+q to quit"
    assert "Order " not in screen
    assert tmux.flag("alternate_on") == "0"
    assert tmux.flag("cursor_flag") == "1"
