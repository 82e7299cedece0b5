"""The polling verdict of a real ``tote-track watch`` process, against the sandbox on a
loopback socket: the client's own schedule is judged ``ok``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.sandbox.server import EmbeddedSandbox

TOKEN = "tok-QA-loopback-5d2e"
POLL_SPEED = 8.0
DEADLINE = 60.0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(token=TOKEN) as running:
        yield running


def call(sandbox: EmbeddedSandbox, work: Any) -> Any:
    async def run() -> Any:
        async with ToteClient(sandbox.config, max_retries=0) as client:
            return await work(SandboxControl(client))

    return asyncio.run(run())


def reads_of(sandbox: EmbeddedSandbox, order_id: str) -> int:
    entries = call(sandbox, lambda control: control.requests(order_id))
    path = f"/v1/online-ordering/orders/{order_id}"
    return sum(1 for e in entries if e["method"] == "GET" and e["path"] == path)


def test_watch_in_the_payment_stage_is_judged_ok(sandbox: EmbeddedSandbox) -> None:
    order = call(sandbox, lambda control: control.create_order())
    command = [
        sys.executable,
        "-m",
        "tote_track",
        "watch",
        order.id,
        "--until",
        "confirmed",
        "--poll-speed",
        f"{POLL_SPEED:g}",
        "--base-url",
        sandbox.base_url,
        "--token",
        TOKEN,
    ]
    watch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Five reads in the payment stage: waits of 0.125, 0.25, 0.5 and 0.625 s at 8x.
        deadline = time.monotonic() + DEADLINE
        while reads_of(sandbox, order.id) < 5:
            assert watch.poll() is None, watch.communicate()
            if time.monotonic() > deadline:
                raise AssertionError(f"watch made {reads_of(sandbox, order.id)} reads in 60 s")
            time.sleep(0.05)
        call(sandbox, lambda control: control.fire_event(order.id, "payment_completed"))
        out, err = watch.communicate(timeout=DEADLINE)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.communicate()
    assert watch.returncode == 0, err
    assert "CONFIRMED" in out or "confirmed" in out.lower()

    judged = call(sandbox, lambda control: control.polling(order.id, speed=POLL_SPEED))
    assert judged["verdict"] == "ok", judged
    payment = [i for i in judged["intervals"] if i["stage"] == "payment"]
    assert [i["expected"] for i in payment[:4]] == [0.125, 0.25, 0.5, 0.625]
    # The read after the event: on schedule (judged), or at once (a change: not judged).
    assert judged["intervals"][-1]["stage"] in ("payment", "preparation", "after_change")
    # The same reads, judged as a client of the guide's own pace, were too fast.
    assert call(sandbox, lambda control: control.polling(order.id))["verdict"] == "too_fast"
