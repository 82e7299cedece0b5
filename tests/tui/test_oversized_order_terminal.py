"""An oversized order in a real terminal (tmux): the tracker stays responsive.

A hostile API serves an order with a 7 MiB item name (under the client's 8 MiB body cap),
or one of 20,000 items. The tracker shows it, then idles under a quarter of a core while
it polls, and quits within a second of ``q``. CPU time and memory are read from /proc.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hostile_server import HostileServer, json_reply, oversized_order

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
TOKEN = "tok-HOSTILE-SECRET-0123456789"
DEADLINE = 60.0
IDLE_WINDOW = 6.0  # longer than the first poll interval (5 s): a poll falls inside it
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until(condition: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    end = time.monotonic() + deadline
    while not (result := condition()):
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)
    return result


@pytest.fixture
def pane(hostile_server: HostileServer) -> Iterator[str]:
    name = f"tote-track-oversized-{os.getpid()}"
    env = {"TOTE_API_BASE_URL": hostile_server.base_url, "TOTE_API_TOKEN": TOKEN}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    subprocess.run(
        [
            *["tmux", "new-session", "-d", "-x", "100", "-y", "30", "-s"],
            name,
            f"env {exports} bash --norc",
        ],
        check=True,
        timeout=10,
    )
    try:
        yield name
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, timeout=10)


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=True, timeout=10)
    return done.stdout


def tracker_pid(pane: str) -> int | None:
    shell = int(tmux("display-message", "-p", "-t", pane, "#{pane_pid}"))
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    return int(children[0]) if children else None


@pytest.mark.parametrize(
    "size",
    [{"name_chars": 7 * 1024 * 1024}, {"item_count": 20_000}],
    ids=["7-MiB-name", "20k-items"],
)
def test_an_oversized_order_idles_and_quits_within_a_second(
    hostile_server: HostileServer,
    guide_order_json: dict[str, Any],
    pane: str,
    size: dict[str, int],
) -> None:
    order = oversized_order(guide_order_json, **size)
    hostile_server.route("GET", r"/orders/[^/]+", json_reply(order))
    tmux("send-keys", "-t", pane, f"{TOTE_TRACK} {order['id']}; echo EXIT=$?", "Enter")
    pid = wait_until(lambda: tracker_pid(pane), "the tracker to start")
    wait_until(lambda: "updated " in tmux("capture-pane", "-p", "-t", pane), "the order")
    screen = tmux("capture-pane", "-p", "-t", pane)
    assert "Order F9A8B7" in screen
    assert "Sub" in screen

    started, used = time.monotonic(), cpu_seconds(pid)
    polls = len(hostile_server.requests)
    wait_until(lambda: time.monotonic() - started > IDLE_WINDOW, "the idle window")
    share = (cpu_seconds(pid) - used) / (time.monotonic() - started)
    assert len(hostile_server.requests) > polls, "a poll fell inside the window"
    peak = peak_rss_mb(pid)
    print(f"\n{size}: idle {share:.1%} of a core, peak RSS {peak:.0f} MB", end=" ")
    assert share < 0.25
    assert peak < 400

    tmux("send-keys", "-t", pane, "q")
    pressed = time.monotonic()
    wait_until(lambda: not running(pid), "the tracker to quit", deadline=10)
    took = time.monotonic() - pressed
    print(f"quit in {took:.2f} s")
    assert took < 1.0
    wait_until(lambda: "EXIT=" in tmux("capture-pane", "-p", "-t", pane), "the exit status")
    assert "EXIT=0" in tmux("capture-pane", "-p", "-t", pane)
