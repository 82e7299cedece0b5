"""Desktop notifications in a real terminal: ``tote-track ORDER`` on a pty, the raw output
read back.

The terminal is told by the environment (``TERM_PROGRAM=WezTerm``, kitty's, VTE's,
iTerm2's variables); focus is reported the way a terminal does once DECSET 1004 is on
(``ESC [ O`` the window lost the focus, ``ESC [ I`` it has it). The order becomes ready in
the sandbox; the notification must be in the output within one poll.
"""

from __future__ import annotations

import asyncio
import os
import pty
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import pickup_order
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tracking.polling import SCHEDULES, Scenario

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
DEADLINE = 60.0
SPEED = 10.0
# The longest a poll of a preparing order waits at this speed.
ONE_POLL = SCHEDULES[Scenario.PREPARATION].maximum / SPEED
FOCUS_OUT = b"\x1b[O"
FOCUS_IN = b"\x1b[I"
OSC = re.compile(rb"\x1b\](?:9|99|777);.*?(?:\x07|\x1b\\)", re.DOTALL)
# Every operating system command (Textual sets the pointer's shape with one, OSC 22).
ANY_OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def bells(output: bytes) -> int:
    """The bells rung (a BEL that ends an escape is not one)."""
    return ANY_OSC.sub(b"", output).count(b"\x07")


BASE_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def live() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox() as running:
        yield running


class Terminal:
    """The tracker on a pty: everything it writes is kept in ``output``."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        leader, follower = pty.openpty()
        self.leader = leader
        self.process = subprocess.Popen(
            [str(TOTE_TRACK), *args],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env={**BASE_ENV, **env},
            start_new_session=True,
            close_fds=True,
        )
        os.close(follower)
        self.output = b""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.leader, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.output += data

    def seen(self) -> bytes:
        with self._lock:
            return self.output

    def wait_for(self, what: str, found: Callable[[bytes], bool]) -> float:
        """Wait until ``found`` accepts the output; when it did (monotonic seconds)."""
        end = time.monotonic() + DEADLINE
        while not found(self.seen()):
            if time.monotonic() > end or self.process.poll() is not None:
                pytest.fail(f"no {what}; the terminal got {self.seen()[-800:]!r}")
            time.sleep(0.02)
        return time.monotonic()

    def send(self, data: bytes) -> None:
        os.write(self.leader, data)

    def quit(self) -> int:
        self.send(b"q")
        try:
            return self.process.wait(timeout=DEADLINE)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        os.close(self.leader)


async def _fire(sandbox: EmbeddedSandbox, order_id: str, event: str) -> None:
    async with ToteClient(sandbox.config) as client:
        await SandboxControl(client).fire_event(order_id, event)


def follow_until_ready(
    sandbox: EmbeddedSandbox,
    env: dict[str, str],
    *flags: str,
    focus: bytes | None,
    notified: bool = False,
) -> tuple[Terminal, str, float | None]:
    """Start the tracker on a preparing order, report ``focus``, make the order ready;
    the terminal, the order's code, and how long the notification took (``notified``:
    wait for it; else None once the screen shows the order ready)."""
    order_id = pickup_order(sandbox, "payment_completed", "accept", "start_preparing")
    code = order_id[:6].upper()
    args = [order_id, "--base-url", sandbox.base_url, "--token", sandbox.token]
    terminal = Terminal([*args, "--poll-speed", str(SPEED), *flags], env)
    try:
        terminal.wait_for("order on screen", lambda out: "● Preparing".encode() in out)
        if focus is not None:
            terminal.send(focus)
        fired = time.monotonic()
        asyncio.run(_fire(sandbox, order_id, "ready"))
        if not notified:
            terminal.wait_for("ready", lambda out: "● Ready for pickup".encode() in out)
            return terminal, code, None
        arrived = terminal.wait_for("notification", lambda out: OSC.search(out) is not None)
        return terminal, code, arrived - fired
    except BaseException:
        terminal.close()
        raise


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, b"\x1b]777;notify;tote-track;"),
        ({"TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"}, b"\x1b]99;i="),
        ({"TERM": "xterm-256color", "VTE_VERSION": "7600"}, b"\x1b]777;notify;tote-track;"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, b"\x1b]9;tote-track: "),
    ],
    ids=["wezterm", "kitty", "vte", "iterm2"],
)
def test_away_from_the_terminal_the_notification_arrives_within_one_poll(
    live: EmbeddedSandbox, env: dict[str, str], expected: bytes
) -> None:
    terminal, code, took = follow_until_ready(live, env, focus=FOCUS_OUT, notified=True)
    assert terminal.quit() == 0
    assert took is not None
    assert took <= ONE_POLL + 2.0, f"the notification took {took:.2f} s"
    notifications = OSC.findall(terminal.output)
    assert notifications[0].startswith(expected)
    words = f"Order {code} is ready for pickup."
    if b"99;" in expected:  # kitty: the title, then the body under the same id
        assert len(notifications) == 2
        assert notifications[0].endswith(b":d=0:p=title;tote-track\x1b\\")
        assert notifications[1].endswith(f":d=1:p=body;{words}\x1b\\".encode())
    else:
        assert notifications == [notifications[0]]
        assert notifications[0].endswith(f"{words}\x07".encode())
    assert bells(terminal.output) == 0  # no bell besides


def test_looking_at_the_terminal_no_notification(live: EmbeddedSandbox) -> None:
    env = {"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}
    terminal, _, took = follow_until_ready(live, env, focus=FOCUS_IN)
    assert terminal.quit() == 0
    assert took is None
    assert OSC.search(terminal.output) is None
    assert bells(terminal.output) == 0


@pytest.mark.parametrize("off", [["--no-notify"], ["TOTE_NOTIFY=0"]], ids=["flag", "env"])
def test_turned_off_no_notification(live: EmbeddedSandbox, off: list[str]) -> None:
    env = {"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}
    flags: list[str] = []
    if off[0].startswith("TOTE_NOTIFY"):
        env["TOTE_NOTIFY"] = "0"
    else:
        flags = off
    terminal, _, took = follow_until_ready(live, env, *flags, focus=FOCUS_OUT)
    assert terminal.quit() == 0
    assert took is None
    assert OSC.search(terminal.output) is None
    assert bells(terminal.output) == 0


def test_an_unknown_terminal_gets_the_bell_only(live: EmbeddedSandbox) -> None:
    terminal, _, took = follow_until_ready(live, {"TERM": "xterm-256color"}, focus=FOCUS_OUT)
    terminal.wait_for("the bell", lambda out: bells(out) > 0)
    assert terminal.quit() == 0
    assert took is None
    assert OSC.search(terminal.output) is None
    assert bells(terminal.output) == 1


def test_two_orders_in_one_tracker_show_both_codes_and_notify_each(live: EmbeddedSandbox) -> None:
    first = pickup_order(live, "payment_completed", "accept", "start_preparing")
    second = pickup_order(live, "payment_completed", "accept", "start_preparing")
    codes = [first[:6].upper(), second[:6].upper()]
    args = [first, second, "--base-url", live.base_url, "--token", live.token]
    env = {"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}
    terminal = Terminal([*args, "--poll-speed", str(SPEED)], env)
    try:
        terminal.wait_for("both codes", lambda out: all(c.encode() in out for c in codes))
        terminal.wait_for("the list", lambda out: b"Switch order" in out)
        terminal.send(FOCUS_OUT)
        for order_id in (first, second):
            asyncio.run(_fire(live, order_id, "ready"))
        for code in codes:
            words = f"Order {code} is ready for pickup.".encode()
            terminal.wait_for(f"{code}'s notification", lambda out, words=words: words in out)
    except BaseException:
        terminal.close()
        raise
    assert terminal.quit() == 0
    assert len(OSC.findall(terminal.output)) == 2
