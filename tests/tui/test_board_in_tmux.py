"""The kiosk board in a real terminal (tmux) at 80x24, 160x48, 192x54 and 256x72: every
code on the screen reads back as exactly one code (never run together with another)."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.board_reading import read_once
from tests.test_serve_browser import open_store
from tote_track.sandbox.seed import LOCATIONS
from tote_track.sandbox.server import EmbeddedSandbox

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
LOCATION = LOCATIONS[0].id
DEADLINE = 60.0


@pytest.fixture(scope="module")
def store() -> Iterator[tuple[str, list[str]]]:
    """A sandbox with ready and preparing orders at LOCATION: its URL and their codes."""
    with EmbeddedSandbox() as sandbox:
        for _ in range(2):
            asyncio.run(open_store(sandbox.config))
        reply = httpx.get(
            f"{sandbox.base_url}/orders",
            params={"location_id": LOCATION, "status": "CONFIRMED", "limit": "100"},
            headers={"Authorization": "Bearer sandbox"},
        )
        codes = [order["id"][:6].upper() for order in reply.json()["data"]]
        assert len(codes) == 6  # four ready, two preparing
        yield sandbox.base_url, codes


def capture(name: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True, timeout=10
    ).stdout


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (192, 54), (256, 72)], ids=str)
def test_every_code_reads_as_exactly_one_code(
    store: tuple[str, list[str]], size: tuple[int, int]
) -> None:
    base_url, codes = store
    screen = ""
    name = f"tote-board-{os.getpid()}-{size[0]}"
    command = shlex.join([str(TOTE_TRACK), "board", "--kiosk", "--quiet", "--location", LOCATION])
    env = f"TOTE_API_BASE_URL={shlex.quote(base_url)} TOTE_API_TOKEN=sandbox"
    # A shell first, the board typed into it: the pane has its size before the board starts.
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
         "bash --norc --noprofile"],
        check=True,
        timeout=10,
    )  # fmt: skip
    subprocess.run(
        ["tmux", "send-keys", "-t", name, f"exec env {env} {command}", "Enter"],
        check=True,
        timeout=10,
    )
    try:
        # Where the codes do not all fit, the pages turn: each screen reads every code it
        # shows exactly once, and together the pages show every code.
        deadline = time.monotonic() + DEADLINE
        seen: set[str] = set()
        while seen != set(codes):
            if time.monotonic() > deadline:
                raise AssertionError(f"read {sorted(seen)} of {sorted(codes)}:\n{screen}")
            screen = capture(name)
            counts = read_once(codes, screen)
            assert all(n <= 1 for n in counts.values()), f"{counts}\n{screen}"
            seen |= {code for code, n in counts.items() if n == 1}
            time.sleep(0.3)
        if size[0] >= 160:  # a big screen shows them all at once
            assert read_once(codes, capture(name)) == dict.fromkeys(codes, 1)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, timeout=10)
