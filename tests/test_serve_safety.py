"""``board --serve`` is safe by default: a real server process on loopback, real websockets.

A foreign page gets 403, page and websocket; 20 websockets start at most 8 boards; a
client's 20000x20000 resize leaves its board small; malformed messages are ignored without
a traceback; and a server killed with SIGKILL leaves no board behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.test_serve_browser import children, command_line, free_port, stop_server, wait_for
from tote_track.sandbox.seed import LOCATIONS
from tote_track.sandbox.server import EmbeddedSandbox

LOCATION = LOCATIONS[0].id
BOARD = (sys.executable, "-m", "tote_track", "board")


def boards(server: subprocess.Popen[str]) -> set[int]:
    return {p for p in children(server.pid) if " board " in command_line(p)}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Served:
    def __init__(self, server: subprocess.Popen[str], port: int, log: Path) -> None:
        self.server = server
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}/"
        self.ws = f"ws://127.0.0.1:{port}/ws"
        self.origin = f"http://127.0.0.1:{port}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with EmbeddedSandbox() as sandbox:
        port = free_port()
        env = {**os.environ, "TOTE_API_BASE_URL": sandbox.base_url, "TOTE_API_TOKEN": "sandbox"}
        log = tmp_path / "server.log"
        with log.open("w") as out:
            server = subprocess.Popen(
                [*BOARD, "--location", LOCATION, "--kiosk", "--serve", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        try:
            wait_for(log.read_text, lambda text: "Serving on" in text, "the server to listen")
            yield Served(server, port, log)
        finally:
            if server.poll() is None:
                stop_server(server)
            left = boards(server) if server.poll() is None else set()
            for pid in left:  # pragma: no cover - only when a test failed midway
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


async def status_of(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as reply:
        return reply.status, await reply.text()


async def ws_status(served: Served, origin: str, host: str | None = None) -> int:
    headers = {"Origin": origin}
    if host is not None:
        headers["Host"] = host
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(served.ws, headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as error:
            return error.status


def test_a_foreign_origin_or_host_is_refused_page_and_websocket(served: Served) -> None:
    async def probe() -> None:
        assert (await status_of(served.url))[0] == 200
        assert (await status_of(served.url, Origin=served.origin))[0] == 200
        assert (await status_of(served.url, Origin="http://evil.example"))[0] == 403
        assert (await status_of(served.url, Host="evil.example"))[0] == 403
        assert await ws_status(served, "http://evil.example") == 403
        assert await ws_status(served, served.origin, host="evil.example:80") == 403

    asyncio.run(probe())
    assert not boards(served.server)  # no board was started for a refused request


def test_twenty_websockets_start_at_most_eight_boards(served: Served) -> None:
    async def crowd() -> tuple[list[int], int, str]:
        async with aiohttp.ClientSession() as session:
            opened: list[Any] = []
            statuses: list[int] = []
            for _ in range(20):
                try:
                    ws = await session.ws_connect(
                        served.ws + "?width=80&height=24", headers={"Origin": served.origin}
                    )
                except aiohttp.WSServerHandshakeError as error:
                    statuses.append(error.status)
                else:
                    statuses.append(101)
                    opened.append(ws)
            most = await asyncio.to_thread(
                wait_for,
                lambda: len(boards(served.server)),
                lambda n: n == 8,
                "eight boards",
            )
            page_status, page = await status_of(served.url)
            for ws in opened:
                await ws.close()
            return statuses, most, f"{page_status} {page}"

    statuses, most, page = asyncio.run(crowd())
    assert statuses.count(101) == 8
    assert statuses.count(503) == 12
    assert most == 8
    assert page.startswith("503")
    assert "Too many screens" in page
    wait_for(lambda: boards(served.server), lambda left: not left, "the boards to end")


def test_a_huge_resize_and_malformed_messages_leave_the_board_small_and_quiet(
    served: Served,
) -> None:
    async def abuse() -> float:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(served.ws, headers={"Origin": served.origin}) as ws,
        ):
            (pid,) = await asyncio.to_thread(
                wait_for, lambda: boards(served.server), bool, "the board"
            )
            await ws.send_str('["resize", {"width": 20000, "height": 20000}]')
            for bad in (
                '["resize", {"width": -5, "height": "x"}]',
                "nonsense",
                "[]",
                '["stdin", 1]',
            ):
                await ws.send_str(bad)
            await ws.send_str('["ping", "still-here"]')
            pong = await asyncio.wait_for(ws.receive_str(), 30)
            while "still-here" not in pong:
                pong = await asyncio.wait_for(ws.receive_str(), 30)
            await asyncio.sleep(5)  # the board draws at its largest allowed size meanwhile
            return rss_mb(pid)

    rss = asyncio.run(abuse())
    assert 0 < rss < 300
    wait_for(lambda: boards(served.server), lambda left: not left, "the board to end")
    assert "Traceback" not in served.log.read_text()


def test_sigkill_of_the_server_leaves_no_board_after_ten_seconds(served: Served) -> None:
    async def open_two() -> set[int]:
        session = aiohttp.ClientSession()
        for _ in range(2):
            await session.ws_connect(served.ws, headers={"Origin": served.origin})
        found = await asyncio.to_thread(
            wait_for, lambda: boards(served.server), lambda s: len(s) == 2, "two boards"
        )
        os.kill(served.server.pid, signal.SIGKILL)
        await session.close()
        return found

    pids = asyncio.run(open_two())
    served.server.wait(timeout=10)
    alive = wait_for(
        lambda: {pid for pid in pids if Path(f"/proc/{pid}").exists() and _not_zombie(pid)},
        lambda left: not left,
        "the boards to die with their server",
        within=10,
    )
    assert not alive


def _not_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_beyond_loopback_the_printed_key_is_needed_then_kept_in_a_cookie(tmp_path: Path) -> None:
    with EmbeddedSandbox() as sandbox:
        port = free_port()
        env = {**os.environ, "TOTE_API_BASE_URL": sandbox.base_url, "TOTE_API_TOKEN": "sandbox"}
        log = tmp_path / "server.log"
        with log.open("w") as out:
            server = subprocess.Popen(
                [*BOARD, "--location", LOCATION, "--kiosk", "--serve", f"0.0.0.0:{port}"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        try:
            banner = wait_for(log.read_text, lambda text: "Serving on" in text, "the banner")
            key = banner.split("?key=", 1)[1].split()[0]
            assert len(key) >= 20
            base = f"http://127.0.0.1:{port}/"

            async def visit() -> None:
                assert (await status_of(base))[0] == 403
                assert (await status_of(f"{base}?key=wrong"))[0] == 403
                # A browser keeps a cookie of an address; aiohttp must be told to.
                jar = aiohttp.CookieJar(unsafe=True)
                async with aiohttp.ClientSession(cookie_jar=jar) as session:
                    async with session.get(f"{base}?key={key}") as reply:
                        assert reply.status == 200
                    async with session.get(base) as reply:  # the cookie carries the key
                        assert reply.status == 200

            asyncio.run(visit())
        finally:
            stop_server(server)
