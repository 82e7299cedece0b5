"""Idle CPU of the board served to a browser (``board --kiosk --serve``) beside the board in
a terminal (``board --kiosk`` in a 100x30 pty).

Both show the same sandbox store (7 orders preparing, 4 ready) and sweep it every 5 s. The
served board is measured as the serving process plus its session's processes (the shell
textual-serve starts and the board in it), while headless Chromium (the system's, through
Playwright) keeps the page open at 1280x720; Chromium's own CPU is shown apart.

    python bench/serve_idle.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from terminal import PtyProgram, cpu_seconds, rss_mib
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.sandbox.seed import LOCATIONS
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tracking.lifecycle import LifecycleEvent

LOCATION = LOCATIONS[0].id
PREPARING = ("payment_started", "payment_completed", "accept", "start_preparing")
STORE = ((PREPARING, 7), ((*PREPARING, "ready"), 4))
SETTLE = 5.0


async def fill_store(sandbox: EmbeddedSandbox) -> None:
    async with ToteClient(sandbox.config) as client:
        control = SandboxControl(client)
        for events, count in STORE:
            for _ in range(count):
                order = await control.create_order({"location_id": LOCATION})
                for event in events:
                    await control.fire_event(order.id, LifecycleEvent(event))


def descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def tree_cpu(pids: set[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):  # gone
            total += cpu_seconds(pid)
    return total


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    board = [sys.executable, "-m", "tote_track", "board", "--location", LOCATION, "--kiosk"]
    with EmbeddedSandbox() as sandbox:
        asyncio.run(fill_store(sandbox))
        env = {**os.environ, "TOTE_API_BASE_URL": sandbox.base_url, "TOTE_API_TOKEN": "sandbox"}
        terminal_board = PtyProgram(board, env=env)
        port = free_port()
        server = subprocess.Popen(
            [*board, "--serve", str(port)], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()
            if terminal_board.wait_for(b"READY", 30.0) is None:
                raise SystemExit("the terminal board did not start")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
                )
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 720})
                    page.goto(f"http://127.0.0.1:{port}/")
                    page.wait_for_selector("body.-first-byte", timeout=30_000)
                    browser_pid = browser_root(os.getpid(), chromium)
                    time.sleep(SETTLE)
                    served = {server.pid, *descendants(server.pid)}
                    browsers = descendants(browser_pid) | {browser_pid}
                    before = (
                        cpu_seconds(terminal_board.pid),
                        tree_cpu(served),
                        tree_cpu(browsers),
                    )
                    started = time.perf_counter()
                    while time.perf_counter() < started + args.seconds:
                        terminal_board.drain(timeout=0.1)
                    window = time.perf_counter() - started
                    after = (
                        cpu_seconds(terminal_board.pid),
                        tree_cpu(served),
                        tree_cpu(browsers),
                    )
                    rss_served = sum(rss_mib(pid) for pid in served)
                    rss_terminal = rss_mib(terminal_board.pid)
                finally:
                    browser.close()
        finally:
            terminal_board.close()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    terminal, served_cpu, browser_cpu = (b - a for a, b in zip(before, after, strict=True))
    print(f"idle board, {window:.0f} s, 11 orders, a sweep every 5 s")
    print(
        f"  terminal board (100x30 pty)         CPU {terminal / window * 100:5.2f}% of a core"
        f"   RSS {rss_terminal:6.1f} MiB"
    )
    print(
        f"  served board (server + session)     CPU {served_cpu / window * 100:5.2f}% of a core"
        f"   RSS {rss_served:6.1f} MiB ({len(served)} processes)"
    )
    print(f"  headless Chromium showing it        CPU {browser_cpu / window * 100:5.2f}% of a core")


def browser_root(parent: int, executable: str) -> int:
    """The pid of the Chromium that Playwright started (under its driver, under us)."""
    for pid in sorted(descendants(parent)):
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            continue
        if "chrom" in Path(argv0).name and "--type=" not in Path(
            f"/proc/{pid}/cmdline"
        ).read_bytes().decode(errors="replace"):
            return pid
    raise SystemExit(f"no {executable} process found")


if __name__ == "__main__":
    main()
