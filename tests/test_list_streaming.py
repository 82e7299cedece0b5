"""``tote-track list --all`` prints each order as it arrives and keeps none.

Real processes against a hostile loopback API: rows are on stdout while the next page is
still on its way (table and JSON); over endless pages of fat orders (100 a page, each with
a 60 KB unknown field) the listing stays under 500 MB (its peak RSS, from the kernel's
accounting of the child) and ends within 90 s with exit 4 and one sentence (the byte
budget). In-process: the streamed JSON is the array ``orders_json`` prints, and the table
keeps no unknown field of a summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import pytest

from tests.hostile_server import (
    Answer,
    HostileServer,
    Seen,
    fat_endless_pages,
    json_reply,
    order_summary,
)
from tests.test_hostile_cli import TOKEN
from tote_track.api.client import DEFAULT_MAX_BYTES, ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.models import OrderSummary
from tote_track.headless import OrdersPrinter, orders_json, orders_table

DEADLINE = 90.0


def env(server: HostileServer) -> dict[str, str]:
    environment = {
        **os.environ,
        "TOTE_API_BASE_URL": server.base_url,
        "TOTE_API_TOKEN": TOKEN,
        "TZ": "UTC",
        "PYTHONUNBUFFERED": "1",
    }
    environment.pop("PYTHONWARNINGS", None)
    return environment


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_rows_are_printed_while_the_next_page_is_on_its_way(
    hostile_server: HostileServer, guide_order_json: dict[str, Any], as_json: bool
) -> None:
    first = [order_summary(guide_order_json, n) for n in range(3)]
    last = [order_summary(guide_order_json, 3)]
    release = threading.Event()

    def pages(seen: Seen) -> Answer:
        if not seen.query.get("cursor"):
            page = {"data": first, "pagination": {"has_more": True, "next_cursor": "c1"}}
            return json_reply(page)(seen)
        release.wait(DEADLINE)
        return json_reply({"data": last, "pagination": {"has_more": False}})(seen)

    hostile_server.route("GET", "/orders", pages)
    args = ["list", "--all", *(["--json"] if as_json else [])]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tote_track", *args],
        env=env(hostile_server),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        printed = ""
        third = first[2]["id"] if as_json else first[2]["id"][:6].upper()
        while third not in printed:  # the first page's rows, the second still held
            line = proc.stdout.readline()
            assert line, f"the listing ended before its rows: {printed!r}"
            printed += line
        end = time.monotonic() + DEADLINE  # and the second page is asked for, not answered
        while len(hostile_server.seen("GET", "/orders")) < 2:
            assert time.monotonic() < end, "the second page was never asked for"
            time.sleep(0.05)
        assert proc.poll() is None
        release.set()
        out = proc.stdout.read()  # not communicate(): it would skip what readline buffered
        assert proc.stderr is not None
        err = proc.stderr.read()
        proc.wait(DEADLINE)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    printed += out
    if as_json:
        assert [row["id"] for row in json.loads(printed)] == [r["id"] for r in first + last]
    else:
        assert printed.splitlines()[-1] == "4 orders"


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_endless_fat_pages_stay_under_500_mb_and_end_with_one_sentence(
    hostile_server: HostileServer, guide_order_json: dict[str, Any], as_json: bool
) -> None:
    hostile_server.route("GET", "/orders", fat_endless_pages(order_summary(guide_order_json)))
    args = ["list", "--all", *(["--json"] if as_json else [])]
    with tempfile.TemporaryFile("w+") as stderr:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tote_track", *args],
            env=env(hostile_server),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        while (done := os.wait4(proc.pid, os.WNOHANG))[0] == 0:
            if time.monotonic() - started > DEADLINE:
                proc.kill()
                pytest.fail(f"still listing after {DEADLINE:.0f} s")
            time.sleep(0.1)
        proc.returncode = os.waitstatus_to_exitcode(done[1])
        took = time.monotonic() - started
        peak_mb = done[2].ru_maxrss / 1024  # KiB on Linux
        stderr.seek(0)
        said = stderr.read()
    pages = len(hostile_server.seen("GET", "/orders"))
    print(f"\n{args}: exit {proc.returncode} in {took:.1f} s, {pages} pages, peak {peak_mb:.0f} MB")
    assert proc.returncode == 4
    assert said.count("\n") == 1
    assert said.startswith("Error: Stopped after 256 MiB of answers, the most one listing reads")
    assert "narrow the filters" in said
    assert "Traceback" not in said
    assert peak_mb < 500
    assert pages * 100 * 60_000 >= DEFAULT_MAX_BYTES  # it did read that much


def summaries(guide_order_json: dict[str, Any], n: int) -> list[OrderSummary]:
    rows = [order_summary(guide_order_json, i, new_field={"kept": i}) for i in range(n)]
    return [OrderSummary.model_validate(row) for row in rows]


@pytest.mark.parametrize("n", [0, 1, 3])
def test_the_streamed_json_is_the_array_orders_json_prints(
    guide_order_json: dict[str, Any], n: int
) -> None:
    printed: list[str] = []
    printer = OrdersPrinter(lambda text, nl=True: printed.append(text + "\n" * nl), as_json=True)
    orders = summaries(guide_order_json, n)
    for order in orders:
        printer.add(order)
    printer.close()
    assert "".join(printed) == orders_json(orders) + "\n"


def test_the_streamed_table_lines_up_like_the_page_table(guide_order_json: dict[str, Any]) -> None:
    printed: list[str] = []
    printer = OrdersPrinter(printed.append, as_json=False)
    orders = summaries(guide_order_json, 3)
    for order in orders:
        printer.add(order)
    printer.close()
    assert printed[-1] == "3 orders"
    assert len({len(line) for line in printed[:-1]}) == 1  # every row as wide as the header
    assert [line.split() for line in printed[:-1]] == [
        line.split() for line in orders_table(orders)[:-1]
    ]


async def test_the_table_keeps_no_unknown_field(
    hostile_server: HostileServer, guide_order_json: dict[str, Any]
) -> None:
    row = order_summary(guide_order_json, padding="p" * 60_000)
    page = {"data": [row], "pagination": {"has_more": False}}
    hostile_server.route("GET", "/orders", json_reply(page))
    config = ClientConfig(base_url=hostile_server.base_url, token=TOKEN)
    async with ToteClient(config) as client:
        [known] = [o async for o in client.iter_orders(known_fields_only=True)]
        [kept] = [o async for o in client.iter_orders()]
    assert not known.model_extra
    assert kept.model_extra == {"padding": "p" * 60_000}  # --json keeps what the API sent
