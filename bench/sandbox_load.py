"""Sandbox throughput next to a bare Starlette app, measured side by side in one run.

    python bench/sandbox_load.py [--concurrency 16] [--requests 2000] [--rounds 3]

Starts ``tote-track sandbox --orders 200`` and a bare Starlette app that returns fixed JSON
bodies as large as the sandbox's (one order; a page of 20 summaries), each on uvicorn in its
own process on 127.0.0.1. Then N concurrent httpx clients send a fixed number of requests to
each target (bounded in time too), round after round, and two medians are printed with their
ratio to the bare endpoint of the same size (goal: at least 0.6x):

* requests/s as the clients saw them (wall clock; on a busy machine the client itself may be
  the limit, which pulls the ratios towards 1);
* requests per second of server CPU (the server process's user+system time over the run),
  which does not depend on how fast the clients are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

TOKEN = "sandbox"
URL_LINE = re.compile(r"(http://127\.0\.0\.1:\d+)(/v1/online-ordering)?")
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    pid: int
    baseline: str | None = None


@dataclass(frozen=True)
class Result:
    completed: int
    failed: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.completed / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the bare app


def serve_bare(payload_file: str) -> None:
    """Child process: the baseline, a Starlette app answering with fixed bytes."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    bodies = {k: v.encode() for k, v in json.loads(Path(payload_file).read_text()).items()}

    async def order(request: Request) -> Response:
        return Response(bodies["order"], media_type="application/json")

    async def page(request: Request) -> Response:
        return Response(bodies["page"], media_type="application/json")

    app = Starlette(routes=[Route("/order", order), Route("/page", page)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    print(f"bare app on http://127.0.0.1:{port}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


# --------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextmanager
def child(argv: list[str]) -> Iterator[Server]:
    """Run a server process; yield the base URL it prints; stop it afterwards."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield Server(_wait_for_url(proc), proc.pid)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _wait_for_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    seen = ""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0 and selector.select(left):
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
            match = URL_LINE.search(line)
            if match:
                return match.group(0)
    proc.kill()
    raise SystemExit(f"server did not start: {seen!r} {proc.stderr.read() if proc.stderr else ''}")


# --------------------------------------------------------------------------- load


async def load(
    url: str, server_pid: int, *, concurrency: int, count: int, max_seconds: float
) -> Result:
    """``count`` GETs of ``url`` from ``concurrency`` clients, or as many as fit in time."""
    issued = 0
    completed = 0
    failed = 0
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    clients = [httpx.AsyncClient(headers=headers, limits=limits) for _ in range(concurrency)]
    deadline = time.perf_counter() + max_seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal issued, completed, failed
        while issued < count and time.perf_counter() < deadline:
            issued += 1
            try:
                response = await client.get(url)
                await response.aread()
                if response.status_code == 200:
                    completed += 1
                else:
                    failed += 1
            except httpx.HTTPError:
                failed += 1

    try:
        for client in clients:  # connect before the clock starts
            await client.get(url)
        cpu_before = cpu_seconds(server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server_pid) - cpu_before
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return Result(completed, failed, elapsed, cpu)


async def run(args: argparse.Namespace) -> int:
    sandbox_argv = [sys.executable, "-m", "tote_track", "sandbox", "--port", "0", "--orders"]
    with child([*sandbox_argv, str(args.orders)]) as sandbox:
        api = sandbox.url
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            page = await client.get(f"{api}/orders", params={"limit": 20})
            page.raise_for_status()
            order_id = page.json()["data"][0]["id"]
            order = await client.get(f"{api}/orders/{order_id}")
            order.raise_for_status()
        payload = {"order": order.text, "page": page.text}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(payload, handle)
        try:
            bare_argv = [sys.executable, __file__, "--serve-bare", handle.name]
            with child(bare_argv) as bare_server:
                bare = bare_server.url
                pids = {api: sandbox.pid, bare: bare_server.pid}
                bare_order, bare_page = "bare order-sized JSON", "bare page-sized JSON"
                targets = [
                    Target(bare_order, f"{bare}/order", pids[bare]),
                    Target("GET /orders/{id}", f"{api}/orders/{order_id}", pids[api], bare_order),
                    Target(bare_page, f"{bare}/page", pids[bare]),
                    Target("GET /orders?limit=20", f"{api}/orders?limit=20", pids[api], bare_page),
                ]
                print(
                    f"order body {len(order.content)} B, page body {len(page.content)} B; "
                    f"{args.concurrency} clients x {args.requests} requests, "
                    f"{args.rounds} rounds (median)"
                )
                rates: dict[str, list[float]] = {t.name: [] for t in targets}
                per_cpu: dict[str, list[float]] = {t.name: [] for t in targets}
                for _ in range(args.rounds):
                    for target in targets:
                        result = await load(
                            target.url,
                            target.pid,
                            concurrency=args.concurrency,
                            count=args.requests,
                            max_seconds=args.max_seconds,
                        )
                        if result.failed:
                            print(f"  {target.name}: {result.failed} failed requests")
                        rates[target.name].append(result.rate)
                        per_cpu[target.name].append(result.per_cpu_second)
        finally:
            os.unlink(handle.name)
    wall = {name: statistics.median(values) for name, values in rates.items()}
    cpu = {name: statistics.median(values) for name, values in per_cpu.items()}
    print(f"{'target':<22} {'req/s':>7} {'ratio':>6}   {'req/CPU-s':>9} {'ratio':>6}")
    worst = math.inf
    for target in targets:
        line = f"{target.name:<22} {wall[target.name]:>7.0f} {'':>6}   {cpu[target.name]:>9.0f}"
        if target.baseline is not None:
            wall_ratio = wall[target.name] / wall[target.baseline]
            cpu_ratio = cpu[target.name] / cpu[target.baseline]
            worst = min(worst, wall_ratio, cpu_ratio)
            line = (
                f"{target.name:<22} {wall[target.name]:>7.0f} {wall_ratio:>5.2f}x"
                f"   {cpu[target.name]:>9.0f} {cpu_ratio:>5.2f}x"
            )
        print(line)
    verdict = "met" if worst >= args.goal else "NOT met"
    print(f"ratios against the bare endpoint of the same size; goal >= {args.goal:.1f}x: {verdict}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--orders", type=int, default=200, help="sample orders in the sandbox")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="per target and round")
    parser.add_argument("--goal", type=float, default=0.6)
    parser.add_argument("--serve-bare", metavar="PAYLOAD", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
