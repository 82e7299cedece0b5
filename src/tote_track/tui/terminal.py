"""What both apps share: :class:`TerminalApp` owns the API client (made by a
:data:`ClientFactory` when first used, closed on unmount), the :class:`Clock`, and the
terminal going away: its window closed, ``kill``, or a dropped SSH connection.

Python's default for SIGHUP and SIGTERM is to die on the spot, leaving the terminal in the
alternate screen with the cursor hidden and mouse reporting on. The tracker and the board
instead handle both on their event loop and quit like ``q`` does, so Textual restores the
terminal (:class:`TerminalSignals`).

A terminal can also go away with no signal at all (the app is not the terminal's session
leader, or a wrapper swallows the SIGHUP). Then every write fails with EIO. Textual's writer
thread would die on the first one, and since it is the only reader of a bounded queue, the
event loop would block on its next frame forever: an orphan at full CPU. The
:class:`HangupSafeDriver` drops writes to a terminal that is gone and raises SIGHUP once, so
both cases end the same way.

If the quit has not ended the process after :data:`GRACE` seconds, the process ends anyway:
an app whose screen is gone must never linger.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from textual import events, on
from textual.app import App
from textual.driver import Driver

if TYPE_CHECKING:  # the client (httpx) loads after the first frame
    from tote_track.api.client import ClientFactory, ToteClient

__all__ = [
    "GRACE",
    "TERMINAL_SIGNALS",
    "ClientFactory",
    "Clock",
    "TerminalApp",
    "TerminalSignals",
    "hangup_safe",
    "tmux_allows_passthrough",
]

TERMINAL_SIGNALS = ("SIGHUP", "SIGTERM")
GRACE = 5.0
"""Seconds a signalled app has to quit before the process ends without it."""
TMUX_TIMEOUT = 2.0
"""Seconds tmux has to say whether it passes escapes on."""


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


class TerminalOutput:
    """The file Textual's writer thread writes to, for as long as the terminal is there.

    The first failed write or flush (EIO once the terminal hung up, EPIPE) calls ``on_lost``
    once; from then on everything written is dropped, so the writer thread lives on and the
    app can still quit.
    """

    def __init__(self, file: IO[str], on_lost: Callable[[], None]) -> None:
        self._file = file
        self._on_lost = on_lost
        self.lost = False

    def write(self, text: str) -> None:
        if not self.lost:
            self._attempt(self._file.write, text)

    def flush(self) -> None:
        if not self.lost:
            self._attempt(self._file.flush)

    def fileno(self) -> int:
        return self._file.fileno()

    def _attempt(self, operation: Callable[..., object], *args: str) -> None:
        try:
            operation(*args)
        except OSError:
            self.lost = True
            self._on_lost()


def raise_hangup() -> None:
    """What a terminal that closed does to its session: SIGHUP, handled on the app's loop."""
    os.kill(os.getpid(), signal.SIGHUP)


def hangup_safe(driver_class: type[Driver]) -> type[Driver]:
    """The driver an app runs with: Textual's own, hangup-safe where it writes to a tty."""
    if sys.platform == "win32":  # pragma: no cover - the Windows console has no EIO hangup
        return driver_class
    from textual.drivers.linux_driver import LinuxDriver

    if driver_class is not LinuxDriver:  # textual-serve's web driver, a test's choice
        return driver_class
    return _hangup_safe_linux_driver()


@functools.cache  # one class, however many apps
def _hangup_safe_linux_driver() -> type[Driver]:
    from textual.drivers.linux_driver import LinuxDriver

    class HangupSafeDriver(LinuxDriver):
        """Textual's Linux driver writing through :class:`TerminalOutput`."""

        def __init__(self, app: App[Any], **options: Any) -> None:
            super().__init__(app, **options)
            if self._file is not None:  # None: Python started with no stderr
                # Textual declares the file as a TextIOWrapper; it only writes and flushes.
                self._file = TerminalOutput(self._file, raise_hangup)  # type: ignore[assignment]
            if isinstance(app, TerminalApp):
                app.escape_writer = self.write

    return HangupSafeDriver


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """Where an app reads time: the wall clock for what it shows ("updated 12 s ago", step
    times, NEW marks), the monotonic clock for waits. Tests freeze both."""

    wall: Callable[[], datetime] = field(default=utc_now)
    monotonic: Callable[[], float] = field(default=time.monotonic)


class TerminalApp(App[int]):
    """An app that talks to the API and ends with its terminal.

    :attr:`client` is made by ``client_factory`` when first used and closed when the app
    unmounts; :attr:`clock` is where the app reads time. SIGHUP, SIGTERM and a hung-up
    terminal all call :meth:`terminal_gone`, which each app fills in (stop its timers and
    workers, exit)."""

    def __init__(self, client_factory: ClientFactory, *, clock: Clock | None = None) -> None:
        super().__init__()
        self._client_factory = client_factory
        self._client: ToteClient | None = None
        self.clock = clock or Clock()
        self._terminal_signals = TerminalSignals(self.terminal_gone)
        self.escape_writer: Callable[[str], None] | None = None
        """Writes to the terminal, in turn with the frames (the driver's ``write``); set by
        the terminal's driver, None without one (headless, a browser tab)."""

    @property
    def client(self) -> ToteClient:
        """The API client, made on first use."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    @on(events.Unmount)
    async def _close_client(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def write_escape(self, sequence: str) -> bool:
        """Send ``sequence`` (an escape the terminal acts on, not text) to the terminal;
        False when there is none to send it to."""
        if self.escape_writer is None or self.is_headless:
            return False
        self.escape_writer(sequence)
        return True

    def get_driver_class(self) -> type[Driver]:
        return hangup_safe(super().get_driver_class())

    def terminal_gone(self) -> None:
        """The terminal is gone: stop everything and exit."""
        raise NotImplementedError

    @on(events.Mount)
    def _install_terminal_signals(self) -> None:
        self._terminal_signals.install(self)

    @on(events.Unmount)
    def _remove_terminal_signals(self) -> None:
        self._terminal_signals.remove()


async def tmux_allows_passthrough() -> bool | None:
    """Inside tmux: whether its ``allow-passthrough`` option lets an escape through to the
    outer terminal (``tmux show-options -gv allow-passthrough``); None when tmux did not
    say (an old tmux without the option passes everything through)."""
    try:
        process = await asyncio.create_subprocess_exec(
            "tmux",
            "show-options",
            "-gv",
            "allow-passthrough",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        return None
    try:
        async with asyncio.timeout(TMUX_TIMEOUT):
            output, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        return None
    if process.returncode != 0:
        return None
    return output.decode(errors="replace").strip() in ("on", "all")
