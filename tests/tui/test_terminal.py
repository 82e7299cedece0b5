"""The output a closed terminal leaves behind (tui/terminal.py), without a terminal."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.drivers.linux_driver import LinuxDriver
from textual.drivers.web_driver import WebDriver

from tote_track.tui.terminal import TerminalOutput, hangup_safe, tmux_allows_passthrough


class HungUp(io.StringIO):
    """A terminal that went away after ``good`` writes: EIO from then on."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self.good = good

    def write(self, text: str) -> int:
        if self.good <= 0:
            raise OSError(5, "Input/output error")
        self.good -= 1
        return super().write(text)

    def flush(self) -> None:
        if self.good <= 0:
            raise OSError(5, "Input/output error")


def test_writes_reach_the_terminal_while_it_is_there() -> None:
    lost: list[bool] = []
    output = TerminalOutput(HungUp(good=2), lambda: lost.append(True))
    output.write("a")
    output.write("b")
    assert not output.lost
    assert lost == []


def test_the_first_failed_write_is_reported_once_and_the_rest_is_dropped() -> None:
    lost: list[bool] = []
    terminal = HungUp(good=1)
    output = TerminalOutput(terminal, lambda: lost.append(True))
    output.write("frame 1")
    output.write("frame 2")  # EIO
    for _ in range(100):  # more than Textual's queue holds: nothing raises, nothing blocks
        output.write("frame")
        output.flush()
    assert output.lost
    assert lost == [True]
    assert terminal.getvalue() == "frame 1"


def test_a_failed_flush_counts_as_the_terminal_gone() -> None:
    lost: list[bool] = []
    output = TerminalOutput(HungUp(good=0), lambda: lost.append(True))
    output.flush()
    output.write("x")
    assert lost == [True]


def test_the_output_keeps_the_terminal_file_number() -> None:
    with open("/dev/null", "w") as file:
        assert TerminalOutput(file, lambda: None).fileno() == file.fileno()


def test_only_the_terminal_driver_is_replaced() -> None:
    safe = hangup_safe(LinuxDriver)
    assert safe is not LinuxDriver
    assert issubclass(safe, LinuxDriver)
    assert hangup_safe(HeadlessDriver) is HeadlessDriver  # Pilot tests
    assert hangup_safe(WebDriver) is WebDriver  # in a browser (textual-serve)


@pytest.mark.parametrize("app_module", ["tracker", "board"])
def test_both_apps_run_with_the_safe_driver(
    app_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    if app_module == "tracker":
        from tote_track.tui.tracker.app import TrackerApp

        driver = TrackerApp.get_driver_class(object.__new__(TrackerApp))
    else:
        from tote_track.tui.board.app import BoardApp

        driver = BoardApp.get_driver_class(object.__new__(BoardApp))
    assert issubclass(driver, LinuxDriver)
    assert driver is not LinuxDriver


def test_the_safe_driver_is_one_class() -> None:
    assert hangup_safe(LinuxDriver) is hangup_safe(LinuxDriver)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_tmux_says_whether_it_passes_escapes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"tote-passthrough-{os.getpid()}"
    subprocess.run(["tmux", "-L", name, "new-session", "-d", "sleep 60"], check=True, timeout=10)
    try:
        socket = subprocess.run(
            ["tmux", "-L", name, "display-message", "-p", "#{socket_path}"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        monkeypatch.setenv("TMUX", f"{socket},1,0")  # as inside one of its panes
        subprocess.run(["tmux", "set", "-g", "allow-passthrough", "off"], check=True, timeout=10)
        assert asyncio.run(tmux_allows_passthrough()) is False
        subprocess.run(["tmux", "set", "-g", "allow-passthrough", "on"], check=True, timeout=10)
        assert asyncio.run(tmux_allows_passthrough()) is True
    finally:
        subprocess.run(["tmux", "-L", name, "kill-server"], check=False, timeout=10)
    monkeypatch.setenv("TMUX", "/nonexistent/socket,1,0")
    assert asyncio.run(tmux_allows_passthrough()) is None  # no server there: tmux did not say


async def test_the_client_is_made_once_when_first_used_and_closed_on_unmount() -> None:
    """TerminalApp owns both apps' client: made by the factory on first use, closed when the
    app unmounts; the clock is the one Clock type."""
    import httpx

    from tote_track.api.client import ToteClient
    from tote_track.api.config import ClientConfig
    from tote_track.tui.terminal import Clock, TerminalApp

    made: list[ToteClient] = []

    def factory() -> ToteClient:
        transport = httpx.MockTransport(lambda request: httpx.Response(404))
        made.append(ToteClient(ClientConfig(base_url="http://127.0.0.1:9/v1"), transport=transport))
        return made[-1]

    class Probe(TerminalApp):
        def terminal_gone(self) -> None:
            self.exit(0)

    app = Probe(factory)
    assert isinstance(app.clock, Clock)
    async with app.run_test() as pilot:
        assert made == []  # nothing made before it is needed
        assert app.client is app.client
        assert len(made) == 1
        await pilot.pause()
    with pytest.raises(RuntimeError, match="client has been closed"):  # httpx's words
        await made[0].get_order("f9a8b7c6-d5e4-3210-fedc-ba9876543210")
