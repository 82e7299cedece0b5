"""The terminal going away: SIGHUP (its window closed) and SIGTERM (``kill``).

Python's default for both is to die on the spot, leaving the terminal in the alternate
screen with the cursor hidden and mouse reporting on. The tracker and the board instead
handle them on their event loop and quit like ``q`` does, so Textual restores the terminal.
If that quit has not ended the process after :data:`GRACE` seconds (a closed terminal can
leave the output stalled), the process ends anyway: a board whose screen is gone must never
linger as an orphan.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from textual.app import App

__all__ = ["TERMINAL_SIGNALS", "TerminalSignals"]

TERMINAL_SIGNALS = ("SIGHUP", "SIGTERM")
GRACE = 5.0
"""Seconds a signalled app has to quit before the process ends without it."""


class TerminalSignals:
    """Calls ``on_signal`` on the app's event loop when SIGHUP or SIGTERM arrives."""

    def __init__(self, on_signal: Callable[[], None]) -> None:
        self._on_signal = on_signal
        self.installed: list[int] = []

    def install(self, app: App[Any]) -> None:
        """From the app's mount (the running loop is the app's); nothing when headless."""
        if app.is_headless:
            return
        loop = asyncio.get_running_loop()
        for name in TERMINAL_SIGNALS:
            signum = getattr(signal, name, None)
            if signum is None:  # pragma: no cover - not on this platform
                continue
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._received)
                self.installed.append(signum)

    def _received(self) -> None:
        self._on_signal()
        # The app quits on its loop; this timer ends the process if the quit stalls.
        watchdog = threading.Timer(GRACE, os._exit, args=(0,))
        watchdog.daemon = True
        watchdog.start()

    def remove(self) -> None:
        """From the app's unmount: the defaults again."""
        loop = asyncio.get_running_loop()
        for signum in self.installed:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)
        self.installed.clear()
