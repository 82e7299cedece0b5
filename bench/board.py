"""One refresh of the store board at 2,000 and 10,000 orders: time, requests, memory.

    python bench/board.py [--orders 2000 10000] [--rounds 5] [--soak 20]

For each size, a sandbox runs in a child process on 127.0.0.1 with that many orders at one
location, all on the board (two thirds preparing, one third ready: the worst case, since
every order passes the sweep's status filter). The orders are created through the sandbox's
engine directly, not through thousands of HTTP calls. Then, in this process:

* sweep: ``GET /orders`` for the location, every page (100 orders each), as the board does;
* model: ``BoardModel.apply_sweep`` on the result;
* refresh: ``BoardApp`` headless at 120x40 (``run_test``), from pressing refresh to the
  new frame: the sweep, the model and the render of the visible page together;
* requests per refresh, counted at the transport, next to the number of pages (the board
  reads at most ``SWEEP_PAGE_CAP`` pages, 5,000 orders, a sweep: the "sweep" column reads
  every page, the "refresh" column is the board's own, capped);
* RSS of this process before the board starts, after the first refresh, and after
  ``--soak`` more refreshes (flat memory: nothing accumulates between refreshes).

Medians over ``--rounds``. Goal: one refresh of 10,000 orders under 2 s, requests = pages.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.tracking.board import SWEEP_PAGE_CAP, BoardModel
from tote_track.tui.board.app import SWEEP_PAGE_SIZE, BoardApp, sweep

LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
TOKEN = "sandbox"
START_TIMEOUT = 120.0


def serve(count: int) -> None:
    """Child: a sandbox with ``count`` board orders at LOCATION; prints its URL, then waits
    until stdin closes."""
    from tote_track.sandbox.engine import Engine, NewOrder
    from tote_track.sandbox.server import EmbeddedSandbox
    from tote_track.tracking.lifecycle import LifecycleEvent as E

    with EmbeddedSandbox(token=TOKEN) as sandbox:
        engine: Engine = sandbox.app.state.engine
        body = NewOrder.model_validate({"location_id": LOCATION, "handoff": {"mode": "PICKUP"}})
        to_preparing = (E.PAYMENT_STARTED, E.PAYMENT_COMPLETED, E.ACCEPT, E.START_PREPARING)
        for index in range(count):
            order = engine.create_order(body)
            for event in to_preparing:
                engine.apply_event(order.id, event)
            if index % 3 == 0:
                engine.apply_event(order.id, E.READY)
        print(sandbox.base_url, flush=True)
        sys.stdin.read()


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - not Linux


class Counter(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "127.0.0.1", "loopback only"
        self.requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def measure(base_url: str, count: int, rounds: int, soak: int) -> dict[str, float]:
    config = ClientConfig(base_url=base_url, token=TOKEN)
    counter = Counter()
    sweeps: list[float] = []
    models: list[float] = []
    requests: list[int] = []
    pages = math.ceil(count / SWEEP_PAGE_SIZE)
    async with ToteClient(config, transport=counter) as client:
        for _ in range(rounds):
            before = counter.requests
            started = time.perf_counter()
            result = await sweep(client, LOCATION, max_pages=pages)
            swept = time.perf_counter()
            BoardModel.start(datetime.now(UTC)).apply_sweep(result.orders, datetime.now(UTC))
            models.append(time.perf_counter() - swept)
            sweeps.append(swept - started)
            requests.append(counter.requests - before)
            assert len(result.orders) == count, (len(result.orders), count)

    app_counter = Counter()
    app = BoardApp(
        lambda: ToteClient(config, transport=app_counter, max_retries=0),
        LOCATION,
        auto_sweep=False,
        tz=UTC,
    )
    refreshes: list[float] = []
    rss_before = rss_mib()
    async with app.run_test(size=(120, 40)) as pilot:
        for first in [w for w in app.workers if w.group == "sweep"]:
            await first.wait()
        await pilot.pause()
        rss_first = rss_mib()
        for _ in range(rounds):
            started = time.perf_counter()
            worker = app.refresh_board()
            await worker.wait()
            await pilot.pause()  # the model applied and the frame drawn
            refreshes.append(time.perf_counter() - started)
        for _ in range(soak):
            worker = app.refresh_board()
            await worker.wait()
            await pilot.pause()
        rss_after = rss_mib()
        shown = sum(len(page.entries) for page in app.shown.columns) if app.shown else 0
        on_board = len(app.model.preparing) + len(app.model.ready)
    # The board reads at most SWEEP_PAGE_CAP pages a sweep (5,000 orders).
    assert on_board == min(count, SWEEP_PAGE_CAP * SWEEP_PAGE_SIZE), (on_board, count)
    return {
        "sweep": statistics.median(sweeps),
        "model": statistics.median(models),
        "refresh": statistics.median(refreshes),
        "refresh_max": max(refreshes),
        "requests": statistics.median(requests),
        "pages": pages,
        "shown": shown,
        "rss_before": rss_before,
        "rss_first": rss_first,
        "rss_after": rss_after,
    }


def start_child(count: int) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    line = child.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:") or time.monotonic() > deadline:
        child.kill()
        raise SystemExit(f"the sandbox with {count} orders did not start: {line!r}")
    return child, line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--soak", type=int, default=20)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    print(f"One board refresh (medians of {args.rounds}), 120x40, loopback sandbox")
    header = (
        f"{'orders':>7} {'requests':>8} {'pages':>5} {'sweep':>8} {'model':>8} "
        f"{'refresh':>8} {'worst':>8} {'shown':>5}  RSS before / first / +{args.soak} refreshes"
    )
    print(header)
    ok = True
    for count in args.orders:
        child, base_url = start_child(count)
        try:
            r = asyncio.run(measure(base_url, count, args.rounds, args.soak))
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(30)
        print(
            f"{count:>7} {r['requests']:>8.0f} {r['pages']:>5} {r['sweep']:>7.3f}s "
            f"{r['model'] * 1000:>6.1f}ms {r['refresh']:>7.3f}s {r['refresh_max']:>7.3f}s "
            f"{r['shown']:>5.0f}  {r['rss_before']:.0f} / {r['rss_first']:.0f} / "
            f"{r['rss_after']:.0f} MiB"
        )
        ok = ok and r["requests"] == r["pages"]
        if count >= 10_000:
            ok = ok and r["refresh"] < 2.0
    print("goal (10,000 orders under 2 s, requests = pages):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
