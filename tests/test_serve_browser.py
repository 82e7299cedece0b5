"""``board --serve`` in a real browser: the system's headless Chromium, driven by Playwright.

The server is a real ``tote-track`` process serving a board of the sandbox (over a loopback
socket) with a recognisable token. The page's terminal (xterm.js) draws on a canvas, so its
text is read from xterm's own buffer: a script added before the page's own code keeps each
xterm Terminal as it is built (when it sets its ``_core``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

# The page's xterm.js buffer is read the way the screenshot script reads it.
from screenshots.browser_board import KEEP_TERMINALS, READ_SCREEN

from tests.board_reading import read_once
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.sandbox.autoplay import scenario_order_body
from tote_track.sandbox.seed import LOCATIONS
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tracking.lifecycle import LifecycleEvent
from tote_track.tui.board.segments import big_code

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install chromium): the browser test is skipped",
)

SECRET = "s3cret-browser-token-9f2c4e7a1b"
LOCATION = LOCATIONS[0].id
READY = ("payment_started", "payment_completed", "accept", "start_preparing", "ready")
PREPARING = READY[:-1]
DEADLINE = 60.0
BOARD = (sys.executable, "-m", "tote_track", "board")

T = TypeVar("T")


def wait_for(
    get: Callable[[], T], done: Callable[[T], bool], what: str, within: float = DEADLINE
) -> T:
    deadline = time.monotonic() + within
    while True:
        value = get()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last seen:\n{value}")
        time.sleep(0.1)


def stop_server(server: subprocess.Popen[str]) -> None:
    """Stop a ``--serve`` server as Ctrl+C would (SIGTERM); killed if it hangs."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
        server.kill()
        server.wait()


def drawn(code: str, text: str) -> bool:
    """Whether ``code`` is on the screen in large type, at any size the board draws."""
    for width in range(2, 13):
        for height in range(3, 16):
            for gap in (1, 2, 3):
                try:
                    lines = big_code(code, width=width, height=height, spacing=gap)
                except ValueError:  # a size the board does not draw
                    continue
                if all(line in text for line in lines):
                    return True
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


async def open_store(config: Any) -> list[str]:
    """Two ready orders and one preparing at LOCATION; the ready ones' short codes."""
    async with ToteClient(config) as client:
        control = SandboxControl(client)
        ready = []
        for events in (READY, READY, PREPARING):
            body = {**scenario_order_body("pickup"), "location_id": LOCATION}
            order = await control.create_order(body)
            for event in events:
                order = await control.fire_event(order.id, LifecycleEvent(event))
            if events == READY:
                ready.append(order.short_code)
        return ready


@pytest.fixture
def served_board() -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    with EmbeddedSandbox(token=SECRET) as sandbox:
        ready = asyncio.run(open_store(sandbox.config))
        port = free_port()
        env = {
            **os.environ,
            "TOTE_API_BASE_URL": sandbox.base_url,
            "TOTE_API_TOKEN": SECRET,
        }
        server = subprocess.Popen(
            [*BOARD, "--location", LOCATION, "--kiosk", "--serve", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert server.stdout is not None
            banner = server.stdout.readline()
            assert f"http://127.0.0.1:{port}/" in banner, banner
            yield server, f"http://127.0.0.1:{port}/", ready
        finally:
            stop_server(server)


def test_the_board_in_chromium_keeps_the_token_and_leaves_no_process(
    served_board: tuple[subprocess.Popen[str], str, list[str]], tmp_path: Path
) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    server, url, ready = served_board
    frames: list[str | bytes] = []
    requests: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.add_init_script(KEEP_TERMINALS)
            page.on("request", lambda request: requests.append(request.url))

            def record(payload: str | bytes) -> None:
                frames.append(payload)

            def on_websocket(websocket: Any) -> None:
                websocket.on("framereceived", record)
                websocket.on("framesent", record)

            page.on("websocket", on_websocket)
            page.goto(url)

            text = wait_for(
                lambda: page.evaluate(READ_SCREEN),
                lambda text: all(drawn(code, text) for code in ready),
                "the ready codes in the browser",
            )
            assert "READY FOR PICKUP" in text
            page.screenshot(path=tmp_path / "board-browser.png")
            assert (tmp_path / "board-browser.png").stat().st_size > 10_000

            # One app process for the tab, started without the token on its command line.
            sessions = wait_for(
                lambda: {p for p in children(server.pid) if "board" in command_line(p)},
                bool,
                "the tab's board process",
            )
            for pid in sessions:
                assert SECRET not in command_line(pid)
                assert "--serve" not in command_line(pid)

            # The token is nowhere the browser can see: the page, its requests, the stream.
            html = page.content()
            assert SECRET not in html
            assert SECRET not in text
            assert all(SECRET not in request for request in requests)
            assert frames
            for frame in frames:
                payload = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                assert SECRET not in payload
            # Only the server's own address is contacted (no web font from the internet).
            assert all(request.startswith(url) for request in requests), requests

            page.close()
            wait_for(
                lambda: children(server.pid) & sessions,
                lambda left: not left,
                "the tab's process to end after the tab closed",
            )
        finally:
            browser.close()
    assert server.poll() is None, "the server keeps serving after a tab closes"


@pytest.mark.parametrize(
    "viewport",
    [(1280, 720), (1920, 1080), (3840, 2160)],
    ids=lambda size: f"{size[0]}x{size[1]}",
)
def test_every_code_reads_as_exactly_one_code_in_the_browser(
    served_board: tuple[subprocess.Popen[str], str, list[str]], viewport: tuple[int, int]
) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    _, url, ready = served_board
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.add_init_script(KEEP_TERMINALS)
            page.goto(url)
            text = wait_for(
                lambda: page.evaluate(READ_SCREEN),
                lambda text: read_once(ready, text) == dict.fromkeys(ready, 1),
                f"each ready code read once at {viewport}",
            )
            assert "READY FOR PICKUP" in text
        finally:
            browser.close()


def test_the_page_reconnects_by_itself_after_the_server_restarts(tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with EmbeddedSandbox(token=SECRET) as sandbox:
        ready = asyncio.run(open_store(sandbox.config))
        port = free_port()
        env = {**os.environ, "TOTE_API_BASE_URL": sandbox.base_url, "TOTE_API_TOKEN": SECRET}
        command = [*BOARD, "--location", LOCATION, "--kiosk", "--serve", str(port)]

        def start() -> subprocess.Popen[str]:
            server = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            assert server.stdout is not None
            assert "Serving on" in server.stdout.readline()
            return server

        server = start()
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.add_init_script(KEEP_TERMINALS)
                page.goto(f"http://127.0.0.1:{port}/")
                wait_for(
                    lambda: page.evaluate(READ_SCREEN),
                    lambda text: all(drawn(code, text) for code in ready),
                    "the board before the restart",
                )
                stop_server(server)
                wait_for(
                    lambda: page.is_visible("#notice"),
                    bool,
                    "the page to say it is reconnecting",
                )
                assert "Reconnecting" in page.inner_text("#notice")
                page.screenshot(path=tmp_path / "reconnecting.png")
                server = start()  # the same port, a new process: no click on the page
                wait_for(
                    lambda: page.is_visible("#notice"),
                    lambda visible: not visible,
                    "the page to reload itself",
                )
                wait_for(
                    lambda: page.evaluate(READ_SCREEN),
                    lambda text: all(drawn(code, text) for code in ready),
                    "the board after the restart",
                )
            finally:
                browser.close()
                stop_server(server)
