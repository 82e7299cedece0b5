"""A TCP proxy on loopback that delays every byte, as a long network path would.

Each direction is delayed by half the round trip: what one side sends reaches the other
``rtt / 2`` seconds later, in order and at once (no bandwidth limit). The TCP handshake
itself stays local (the proxy accepts at once and connects to the target at once), so a
client pays the round trips of what runs over the connection: the TLS handshake, then each
request. A 100 ms round trip is a customer a few countries away from the API.

    with DelayProxy(("127.0.0.1", 8787), rtt=0.1) as proxy:
        ...  # connect to ("127.0.0.1", proxy.port)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Self

CHUNK = 65536


@dataclass(frozen=True)
class Arrival:
    """Bytes that reached the proxy: from the client (``up``) or the server; they reach the
    other side ``delay`` seconds later."""

    at: float
    connection: int
    up: bool
    size: int


class DelayProxy:
    """Forward connections on ``127.0.0.1:port`` to ``target``, each way ``rtt / 2`` late;
    runs an event loop on a thread of its own until :meth:`close`."""

    def __init__(self, target: tuple[str, int], *, rtt: float) -> None:
        self.target = target
        self.delay = rtt / 2
        self.port = 0
        self.connections = 0
        self.log: list[Arrival] = []
        """What reached the proxy, when (``time.perf_counter``), in arrival order."""
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="delay-proxy", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the delaying proxy did not start")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def take_log(self) -> list[Arrival]:
        """The arrivals so far; the log starts afresh."""
        log, self.log = self.log, []
        return log

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        async with server:
            await self._stop.wait()
            server.close()
            tasks = asyncio.all_tasks() - {asyncio.current_task()}
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        connection = self.connections
        try:
            server_in, server_out = await asyncio.open_connection(*self.target)
        except OSError:
            client_out.close()
            return
        for writer in (client_out, server_out):
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await asyncio.gather(
                self._pipe(client_in, server_out, connection, up=True),
                self._pipe(server_in, client_out, connection, up=False),
            )
        for writer in (client_out, server_out):
            writer.close()

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, connection: int, *, up: bool
    ) -> None:
        """Everything ``source`` says reaches ``sink`` ``delay`` seconds later, in order."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:  # the source closed its side
                    with contextlib.suppress(OSError):
                        sink.write_eof()
                    return
                sink.write(data)
                await sink.drain()

        delivering = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await source.read(CHUNK)
                if data:
                    self.log.append(Arrival(time.perf_counter(), connection, up, len(data)))
                queue.put_nowait((loop.time() + self.delay, data))
                if not data:
                    break
            await delivering
        finally:
            delivering.cancel()
