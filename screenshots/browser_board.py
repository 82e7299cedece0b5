"""The board served to a browser (``board --kiosk --serve``), photographed by headless Chromium.

A real ``tote-track`` server process against the sandbox on a loopback socket; the page is
loaded in the system's Chromium through Playwright (no browser download) and photographed
once the board has drawn its codes (read from the page's xterm.js buffer).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.sandbox.seed import LOCATIONS
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tracking.lifecycle import LifecycleEvent

LOCATION = LOCATIONS[0].id
PREPARING = ("payment_started", "payment_completed", "accept", "start_preparing")
STORE = ((PREPARING, 7), ((*PREPARING, "ready"), 4))
VIEWPORT = {"width": 1280, "height": 720}
TV = {"width": 1920, "height": 1080}
"""A store's TV: the board in a full-HD browser."""
DEADLINE = 60.0

# xterm.js draws on a canvas: keep each Terminal as it is built (it sets its `_core`), so
# the page's text can be read from its buffer.
KEEP_TERMINALS = """
window.__terminals = [];
Object.defineProperty(Object.prototype, "_core", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "_core", {value, writable: true, configurable: true});
    window.__terminals.push(this);
  },
});
"""
READ_SCREEN = """() => {
  const terminal = window.__terminals.find((t) => t.buffer && t.buffer.active);
  if (!terminal) return "";
  const buffer = terminal.buffer.active;
  const lines = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}"""


def chromium() -> str | None:
    """The system's Chromium, or None (also when Playwright is not installed)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None
    return shutil.which("chromium") or shutil.which("chromium-browser")


async def _orders(config: Any, events: tuple[str, ...], count: int) -> list[str]:
    """``count`` new orders at LOCATION moved through ``events``; their ids."""
    made = []
    async with ToteClient(config) as client:
        control = SandboxControl(client)
        for _ in range(count):
            order = await control.create_order({"location_id": LOCATION})
            for event in events:
                order = await control.fire_event(order.id, LifecycleEvent(event))
            made.append(order.id)
    return made


async def fill_store(config: Any) -> int:
    """Orders preparing and ready at LOCATION; how many are ready."""
    for events, count in STORE:
        await _orders(config, events, count)
    return sum(count for events, count in STORE if "ready" in events)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served_board_page(
    sandbox: EmbeddedSandbox, viewport: dict[str, int], *options: str
) -> Iterator[tuple[Any, str]]:
    """``board --kiosk --serve`` (with ``options``) against ``sandbox``, and a headless
    Chromium page of ``viewport``'s size ready to read it: the page and the board's URL."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "TOTE_API_BASE_URL": sandbox.base_url}
    env["TOTE_API_TOKEN"] = sandbox.token
    board = [sys.executable, "-m", "tote_track", "board", "--location", LOCATION, "--kiosk"]
    server = subprocess.Popen(
        [*board, *options, "--serve", str(port)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "Serving on URL": it listens
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
                page.add_init_script(KEEP_TERMINALS)
                yield page, f"http://127.0.0.1:{port}/"
            finally:
                browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


def served_board_screenshot(png_path: Path) -> Path:
    with EmbeddedSandbox(token="screenshot-token-0123456789") as sandbox:
        asyncio.run(fill_store(sandbox.config))
        with served_board_page(sandbox, VIEWPORT) as (page, url):
            page.goto(url)
            _wait(page, lambda text: "updated" in text, "its codes")
            page.wait_for_timeout(500)  # the page's fade-in
            page.screenshot(path=png_path)
    return png_path


def _read(page: Any) -> str:
    text: str = page.evaluate(READ_SCREEN)
    return text


def _wait(page: Any, done: Any, what: str) -> str:
    deadline = time.monotonic() + DEADLINE
    text = _read(page)
    while not done(text):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the served board did not show {what} in time:\n{text}")
        time.sleep(0.1)
        text = _read(page)
    return text


async def _ready(config: Any, order_id: str) -> None:
    async with ToteClient(config) as client:
        await SandboxControl(client).fire_event(order_id, LifecycleEvent("ready"))


def _run(coroutine: Any) -> Any:
    """``coroutine`` run to its end on a thread of its own (Playwright's sync API keeps an
    event loop running on this one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _faults(config: Any) -> None:
    async with ToteClient(config) as client:
        await SandboxControl(client).set_faults(error_rate=1.0)


def served_board_on_a_tv(out: Path) -> list[Path]:
    """``board --kiosk --serve`` at 1920x1080 as a store's TV shows it: with 1, 4 and 20
    Ready codes (each a fresh board, so no code is NEW), a code being called, and offline."""
    shots: list[Path] = []
    with EmbeddedSandbox(token="screenshot-token-0123456789") as sandbox:
        config = sandbox.config
        preparing = _run(_orders(config, PREPARING, 8))
        _run(_orders(config, (*PREPARING, "ready"), 1))
        with served_board_page(sandbox, TV, "--quiet") as (page, url):
            for ready, more in ((1, 0), (4, 3), (20, 16)):
                _run(_orders(config, (*PREPARING, "ready"), more))
                page.goto(url)
                pattern = re.compile(rf"READY FOR PICKUP +{ready}\b")
                _wait(page, lambda t, p=pattern: bool(p.search(t)), f"{ready} ready")
                page.wait_for_timeout(700)  # the page's fade-in
                shots.append(out / f"board-tv-{ready}-ready.png")
                page.screenshot(path=shots[-1])
            _run(_ready(config, preparing[0]))
            _wait(page, lambda t: "PREPARING" not in t and "READY FOR PICKUP" in t, "a call")
            shots.append(out / "board-tv-call.png")
            page.screenshot(path=shots[-1])
            _run(_faults(config))
            _wait(page, lambda t: "Live updates paused" in t, "the offline band")
            shots.append(out / "board-tv-offline.png")
            page.screenshot(path=shots[-1])
    return shots
