"""``watch A B C`` and ``tote-track A B`` without a screen: every order on its own schedule,
a line per change starting with its code, one exit code once every order is decided.

In-process (``follow_orders`` on a scripted API, 1, 2 and 20 orders) and as real processes
on a loopback sandbox.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import pickup_order
from tests.tui.support import BASE_URL, envelope, guide_order
from tote_track import exit_codes
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.headless import follow_orders
from tote_track.sandbox.server import EmbeddedSandbox

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
DEADLINE = 60.0


class Orders:
    """An Orders API serving several orders; ``later[id]`` holds the states each next GET
    of that order moves to (the last one stays)."""

    def __init__(self, count: int) -> None:
        self.orders = {}
        for n in range(count):
            order_id = f"{n:06x}aa-5e1f-4b6a-9c2d-7e8f9a0b1c2d"
            self.orders[order_id] = {**guide_order(), "id": order_id}
        self.later: dict[str, list[dict[str, Any]]] = {order_id: [] for order_id in self.orders}

    def handle(self, request: httpx.Request) -> httpx.Response:
        order_id = request.url.path.rsplit("/", 1)[-1]
        if order_id not in self.orders:
            return envelope(404, "not_found", "Order not found")
        if self.later[order_id]:
            self.orders[order_id].update(self.later[order_id].pop(0))
        return httpx.Response(200, json=copy.deepcopy(self.orders[order_id]))


async def follow(
    api: Orders,
    *,
    until: str | None = None,
    fail_fast: bool = False,
    json_lines: bool = False,
    ids: list[str] | None = None,
) -> tuple[int, list[str], list[str]]:
    """Follow ``ids`` (default: every order of ``api``); the exit code, lines, warnings."""
    lines: list[str] = []
    warnings: list[str] = []

    async def no_wait(_: float) -> None:
        await asyncio.sleep(0)

    config = ClientConfig(base_url=BASE_URL, token="sandbox")
    async with ToteClient(config, transport=httpx.MockTransport(api.handle), max_retries=0) as c:
        code = await follow_orders(
            c,
            list(api.orders) if ids is None else ids,
            fail_fast=fail_fast,
            echo=lines.append,
            warn=warnings.append,
            until=until,
            json_lines=json_lines,
            sleep=no_wait,
        )
    return code, lines, warnings


READY = {"fulfillment_status": "READY_FOR_PICKUP"}
PICKED_UP = {"status": "COMPLETED", "fulfillment_status": "FULFILLED"}
STORE_CANCELLED = {"status": "CANCELLED", "fulfillment_status": "CANCELLED"}


@pytest.mark.parametrize("count", [1, 2, 20])
async def test_every_order_reaches_the_target(count: int) -> None:
    api = Orders(count)
    for n, order_id in enumerate(api.orders):
        api.later[order_id] = [{}] * n + [READY]  # each gets there at its own pace
    code, lines, warnings = await follow(api, until="READY_FOR_PICKUP")
    assert code == exit_codes.OK
    assert warnings == []
    for order_id in api.orders:
        mine = [line for line in lines if line.startswith(order_id[:6].upper() + " ")]
        assert mine[-1].split()[4] == "READY_FOR_PICKUP"  # code, time, the three fields
    assert all(line[:6] in {i[:6].upper() for i in api.orders} for line in lines)


async def test_one_out_of_reach_is_the_exit_code_once_the_others_are_decided() -> None:
    api = Orders(2)
    first, second = api.orders
    api.later[first] = [STORE_CANCELLED]
    api.later[second] = [{}, {}, {}, READY]
    code, lines, warnings = await follow(api, until="READY_FOR_PICKUP")
    assert code == exit_codes.ENDED_OTHERWISE
    assert any(
        line.startswith(f"{second[:6].upper()} ") and "READY_FOR_PICKUP" in line for line in lines
    )
    assert warnings == [
        f"{first[:6].upper()} READY_FOR_PICKUP can no longer be reached: the order ended "
        "cancelled (CANCELLED · CANCELLED)"
    ]


async def test_fail_fast_stops_at_the_first_order_out_of_reach() -> None:
    api = Orders(2)
    first, second = api.orders
    api.later[first] = [STORE_CANCELLED]
    code, lines, _ = await follow(api, until="READY_FOR_PICKUP", fail_fast=True)
    assert code == exit_codes.ENDED_OTHERWISE
    assert not any(
        "READY_FOR_PICKUP" in line for line in lines if line.startswith(second[:6].upper())
    )


async def test_the_highest_code_wins() -> None:
    api = Orders(3)
    a, b, c = api.orders
    api.later[a] = [PICKED_UP]
    api.later[c] = [STORE_CANCELLED]
    del api.orders[b]  # not found: 4, above the cancelled order's 1
    code, _, warnings = await follow(api, ids=[a, b, c])
    assert code == exit_codes.API_ERROR
    assert any(w.startswith(f"{b[:6].upper()} Error: ") for w in warnings)


async def test_json_objects_carry_the_id_and_the_code() -> None:
    api = Orders(2)
    for order_id in api.orders:
        api.later[order_id] = [PICKED_UP]
    code, lines, _ = await follow(api, json_lines=True)
    assert code == exit_codes.OK
    objects = [json.loads(line) for line in lines]
    assert {obj["id"] for obj in objects} == set(api.orders)
    for obj in objects:
        assert obj["code"] == obj["id"][:6].upper()


# -- real processes on a loopback sandbox ----------------------------------------------------


@pytest.fixture(scope="module")
def live() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox() as running:
        yield running


class Process:
    """``tote-track ARGS`` with stdout and stderr read as they come."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [str(TOTE_TRACK), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_for(self, what: str, found: Callable[[list[str]], bool]) -> None:
        end = time.monotonic() + DEADLINE
        while not found(self.out):
            if time.monotonic() > end or self.process.poll() is not None:
                pytest.fail(f"no {what}: stdout {self.out}, stderr {self.err}")
            time.sleep(0.05)

    def finish(self) -> int:
        try:
            code = self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"still running: stdout {self.out}, stderr {self.err}")
        for reader in self._readers:
            reader.join(timeout=5)
        return code


def fire(sandbox: EmbeddedSandbox, order_id: str, event: str) -> None:
    async def run() -> None:
        async with ToteClient(sandbox.config) as client:
            await SandboxControl(client).fire_event(order_id, event)

    asyncio.run(run())


PREPARING = ("payment_completed", "accept", "start_preparing")


def gets(sandbox: EmbeddedSandbox, order_id: str) -> int:
    """How many times the order was read (the sandbox's request journal)."""

    async def run() -> int:
        async with ToteClient(sandbox.config) as client:
            requests = await SandboxControl(client).requests(order_id)
        return sum(1 for r in requests if r.get("method") == "GET")

    return asyncio.run(run())


def test_watch_keeps_going_while_only_one_is_ready_and_exits_0_once_both_are(
    live: EmbeddedSandbox,
) -> None:
    first = pickup_order(live, *PREPARING)
    second = pickup_order(live, *PREPARING)
    api = ["--base-url", live.base_url, "--token", live.token, "--poll-speed", "20"]
    watch = Process(["watch", first, second, "--until", "READY_FOR_PICKUP", *api])
    try:
        codes = (first[:6].upper(), second[:6].upper())
        watch.wait_for(
            "both orders", lambda out: all(any(line.startswith(c) for line in out) for c in codes)
        )
        fire(live, first, "ready")
        watch.wait_for(
            "the first ready",
            lambda out: any(
                line.startswith(codes[0]) and "READY_FOR_PICKUP" in line for line in out
            ),
        )
        # Two more checks of the second (every 0.25-1.5 s at this speed): still watching.
        checked = gets(live, second)
        end = time.monotonic() + DEADLINE
        while gets(live, second) < checked + 2:
            assert time.monotonic() < end, "the second order is no longer checked"
            time.sleep(0.1)
        assert watch.process.poll() is None
        fire(live, second, "ready")
        assert watch.finish() == exit_codes.OK
    finally:
        if watch.process.poll() is None:
            watch.process.kill()
            watch.process.wait()
    assert all(line[:6] in codes for line in watch.out)
    assert any(line.startswith(codes[1]) and "READY_FOR_PICKUP" in line for line in watch.out)


def test_a_code_and_the_id_it_names_are_one_order_and_the_exit_is_the_highest(
    live: EmbeddedSandbox,
) -> None:
    done = pickup_order(live, *PREPARING, "ready", "picked_up")
    cancelled = pickup_order(live, *PREPARING, "store_cancel")
    api = ["--base-url", live.base_url, "--token", live.token]
    watch = Process(["watch", done, done[:6].upper(), cancelled, "--json", *api])
    assert watch.finish() == exit_codes.ENDED_OTHERWISE
    objects = [json.loads(line) for line in watch.out]
    assert {obj["id"] for obj in objects} == {done, cancelled}
    assert {obj["code"] for obj in objects} == {done[:6].upper(), cancelled[:6].upper()}


def test_tote_track_a_b_in_a_pipe_prints_each_orders_lines(live: EmbeddedSandbox) -> None:
    first = pickup_order(live, *PREPARING, "ready", "picked_up")
    second = pickup_order(live, *PREPARING, "ready", "picked_up")
    api = ["--base-url", live.base_url, "--token", live.token]
    track = Process([first, second, *api])
    assert track.finish() == exit_codes.OK
    assert {line[:6] for line in track.out} == {first[:6].upper(), second[:6].upper()}
    assert "is not a terminal" in track.err[0]
