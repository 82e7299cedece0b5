"""Sandbox throughput next to a bare Starlette app, measured side by side in one run.

    python bench/sandbox_load.py [--concurrency 16] [--requests 2000] [--rounds 3]

Starts ``tote-track sandbox --seed 200`` and a bare Starlette app that returns fixed JSON
bodies as large as the sandbox's (one order; a page of 20 summaries), each on uvicorn in its
own process on 127.0.0.1. Then N concurrent httpx clients send a fixed number of requests to
each target (bounded in time too), round after round, and the median requests/s is printed
with the ratio to the bare endpoint of the same size. Goal: at least 0.6x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
    baseline: str | None = None


@dataclass(frozen=True)
class Result:
    completed: int
    failed: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else 0.0


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


@contextmanager
def child(argv: list[str]) -> Iterator[str]:
    """Run a server process; yield the base URL it prints; stop it afterwards."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield _wait_for_url(proc)
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


async def load(url: str, *, concurrency: int, count: int, max_seconds: float) -> Result:
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
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return Result(completed, failed, elapsed)


async def run(args: argparse.Namespace) -> int:
    sandbox_argv = [sys.executable, "-m", "tote_track", "sandbox", "--port", "0", "--seed"]
    with child([*sandbox_argv, str(args.seed)]) as api:
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
            with child(bare_argv) as bare:
                bare_order, bare_page = "bare order-sized JSON", "bare page-sized JSON"
                targets = [
                    Target(bare_order, f"{bare}/order"),
                    Target("GET /orders/{id}", f"{api}/orders/{order_id}", bare_order),
                    Target(bare_page, f"{bare}/page"),
                    Target("GET /orders?limit=20", f"{api}/orders?limit=20", bare_page),
                ]
                print(
                    f"order body {len(order.content)} B, page body {len(page.content)} B; "
                    f"{args.concurrency} clients x {args.requests} requests, "
                    f"{args.rounds} rounds (median)"
                )
                rates: dict[str, list[float]] = {t.name: [] for t in targets}
                for _ in range(args.rounds):
                    for target in targets:
                        result = await load(
                            target.url,
                            concurrency=args.concurrency,
                            count=args.requests,
                            max_seconds=args.max_seconds,
                        )
                        if result.failed:
                            print(f"  {target.name}: {result.failed} failed requests")
                        rates[target.name].append(result.rate)
        finally:
            os.unlink(handle.name)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{'target':<24} {'req/s':>9}  ratio")
    worst = None
    for target in targets:
        rate = medians[target.name]
        ratio = ""
        if target.baseline is not None:
            value = rate / medians[target.baseline]
            worst = value if worst is None else min(worst, value)
            ratio = f"{value:.2f}x of {target.baseline}"
        print(f"{target.name:<24} {rate:>9.0f}  {ratio}")
    ok = worst is not None and worst >= args.goal
    print(f"goal >= {args.goal:.1f}x: {'met' if ok else 'NOT met'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=200, help="sample orders in the sandbox")
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
