"""``tote-track sandbox --db FILE``: whatever the server acknowledged survives a ``kill -9``."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

AUTH = {"Authorization": "Bearer sandbox"}
URL_LINE = re.compile(r"(https?://127\.0\.0\.1:\d+/v1/online-ordering)")
START_TIMEOUT = 20.0


@dataclass
class SandboxProcess:
    """A ``tote-track sandbox`` child; its stdout is read line by line by a thread."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    base_url: str = ""
    banner: str = ""

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=AUTH, timeout=10.0)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> tuple[str, str]:
        """Send ``sig``, wait for the exit; the rest of stdout, and stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        out = ""
        while (line := self.lines.get(timeout=timeout)) is not None:
            out += line
        assert self.proc.stderr is not None
        return out, self.proc.stderr.read()


def start_sandbox(*args: str, command: list[str] | None = None) -> SandboxProcess:
    """``python -m tote_track sandbox --port 0 ARGS``; wait until it has printed its banner."""
    command = command or [sys.executable, "-m", "tote_track"]
    proc = subprocess.Popen(
        [*command, "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    sandbox = SandboxProcess(proc, lines)
    deadline = time.monotonic() + START_TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        sandbox.banner += line
        match = URL_LINE.search(line)
        if match and not sandbox.base_url:
            sandbox.base_url = match.group(1)
        if sandbox.base_url and line.startswith("Press Ctrl-C"):
            return sandbox
    proc.kill()
    proc.wait()
    assert proc.stderr is not None
    raise AssertionError(
        f"the sandbox did not print its banner; stdout={sandbox.banner!r} "
        f"stderr={proc.stderr.read()!r}"
    )


def kill_hard(sandbox: SandboxProcess) -> None:
    sandbox.proc.send_signal(signal.SIGKILL)
    sandbox.proc.wait(10)
    assert sandbox.proc.returncode == -signal.SIGKILL


@pytest.fixture
def db_file(tmp_path: Path) -> Iterator[Path]:
    return tmp_path / "orders.sqlite3"


@pytest.fixture
def cleanup() -> Iterator[list[SandboxProcess]]:
    started: list[SandboxProcess] = []
    yield started
    for sandbox in started:
        if sandbox.proc.poll() is None:
            sandbox.proc.kill()
            sandbox.proc.wait(10)


def _fire(client: httpx.Client, order_id: str, *events: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for event in events:
        response = client.post(f"/sandbox/orders/{order_id}/events", json={"type": event})
        assert response.status_code == 200, response.text
        body = response.json()
    return body


def test_acknowledged_orders_cancels_and_keys_survive_kill_9(
    db_file: Path, cleanup: list[SandboxProcess]
) -> None:
    first = start_sandbox("--db", str(db_file))
    cleanup.append(first)
    key = str(uuid.uuid4())
    reason = {"reason": "Customer changed their mind"}
    with first.client() as client:
        created = [client.post("/sandbox/orders") for _ in range(3)]
        assert [r.status_code for r in created] == [201, 201, 201]
        kept, cancelled, preparing = (r.json()["id"] for r in created)
        _fire(client, kept, "payment_started", "payment_completed", "accept")
        _fire(client, cancelled, "payment_started", "payment_completed")
        _fire(client, preparing, "payment_completed", "accept", "start_preparing")
        cancel = client.post(
            f"/orders/{cancelled}/cancel", headers={"Idempotency-Key": key}, json=reason
        )
        assert cancel.status_code == 200, cancel.text
        refused = client.post(
            f"/orders/{preparing}/cancel",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json=reason,
        )
        assert refused.status_code == 409
        acknowledged = {oid: client.get(f"/orders/{oid}").json() for oid in created_ids(created)}
    kill_hard(first)  # no chance to flush or close anything

    second = start_sandbox("--db", str(db_file))
    cleanup.append(second)
    with second.client() as client:
        for order_id, before in acknowledged.items():
            after = client.get(f"/orders/{order_id}")
            assert after.status_code == 200
            assert after.json() == before
        assert acknowledged[cancelled]["status"] == "CANCELLED"
        assert acknowledged[cancelled]["payment_status"] == "UNPAID"
        assert {p["status"] for p in acknowledged[cancelled]["payments"]} == {"REFUNDED"}
        assert acknowledged[kept]["fulfillment_status"] == "IN_PROGRESS"
        listed = client.get("/orders", params={"limit": 100}).json()["data"]
        assert {o["id"] for o in listed} == set(acknowledged)
        # The cancel's idempotency key outlived the process: the same request replays ...
        replay = client.post(
            f"/orders/{cancelled}/cancel", headers={"Idempotency-Key": key}, json=reason
        )
        assert replay.status_code == 200
        assert replay.json() == cancel.json()
        # ... and the same key with another body is still rejected.
        reused = client.post(
            f"/orders/{cancelled}/cancel",
            headers={"Idempotency-Key": key},
            json={"reason": "Something else"},
        )
        assert reused.status_code == 422
        assert reused.json()["error"]["code"] == "idempotency_key_reused"


def created_ids(responses: list[httpx.Response]) -> list[str]:
    return [r.json()["id"] for r in responses]


def test_sample_orders_are_not_repeated_on_a_file_that_has_orders(
    db_file: Path, cleanup: list[SandboxProcess]
) -> None:
    first = start_sandbox("--db", str(db_file), "--orders", "20")
    cleanup.append(first)
    with first.client() as client:
        ids = {o["id"] for o in _all_orders(client)}
    assert len(ids) == 20
    first.stop(signal.SIGTERM)
    assert first.proc.returncode == 0

    second = start_sandbox("--db", str(db_file), "--orders", "20")
    cleanup.append(second)
    with second.client() as client:
        assert {o["id"] for o in _all_orders(client)} == ids


def _all_orders(client: httpx.Client) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.get("/orders", params=params).json()
        orders += page["data"]
        if not page["pagination"]["has_more"]:
            return orders
        params["cursor"] = page["pagination"]["next_cursor"]


def test_unwritable_db_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "orders.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "tote_track", "sandbox", "--port", "0", "--db", str(target)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(target) in result.stderr or "db" in result.stderr
