"""``--serve [HOST:]PORT``: the board (or the demo) in a browser, served by textual-serve.

textual-serve answers ``GET /`` with a page running xterm.js, and for each browser tab that
opens its websocket it starts one process of a COMMAND (through the shell) and relays the
app's screen to the tab and the tab's keys to the app. Closing the tab closes the websocket:
textual-serve then asks the app to quit and waits for its output to end, so no process is
left behind.

The secret stays in this process: the command line of each session (visible in ``ps``)
names the location only; the API's base URL, token and CA bundle travel in the child's
environment (``TOTE_API_*``, which the board reads like any other run). The page carries a
title of ours (textual-serve would show the command line) and no font from the internet (a
store's screen may have none).

Loopback by default: ``--serve 8080`` listens on 127.0.0.1; any other address is named.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shlex
import signal
import sys
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tote_track import exit_codes
from tote_track.api.config import ClientConfig
from tote_track.run import CommandFailed
from tote_track.serve_guard import (
    DEFAULT_MAX_SESSIONS,
    KEY_COOKIE,
    ClientMessage,
    Guard,
    clamp_size,
    read_message,
)

__all__ = [
    "DEFAULT_SERVE_HOST",
    "ServeAddress",
    "board_command_line",
    "child_environment",
    "parse_serve_address",
    "serve_board",
    "serve_board_demo",
    "serve_command",
]

DEFAULT_SERVE_HOST = "127.0.0.1"
TEMPLATES = Path(__file__).parent / "serve_templates"
ENV_NAMES = ("TOTE_API_BASE_URL", "TOTE_API_TOKEN", "TOTE_CA_BUNDLE")

Background = Callable[[], Coroutine[Any, Any, None]]


def _print(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True, slots=True)
class ServeAddress:
    """Where the server listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """The URL to open (a wildcard address is shown as this machine's name)."""
        host = self.host
        if host in ("0.0.0.0", "::"):
            import socket

            host = socket.gethostname()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"


def parse_serve_address(value: str) -> ServeAddress:
    """``PORT`` (on 127.0.0.1), ``HOST:PORT`` or ``[IPv6]:PORT``; ValueError says what is wrong."""
    text = value.strip()
    host = DEFAULT_SERVE_HOST
    port_text = text
    if text.startswith("["):
        closing = text.find("]")
        if closing < 0 or text[closing + 1 : closing + 2] != ":":
            raise ValueError(f"{value!r} is not [HOST:]PORT; write an IPv6 host as [::1]:8080.")
        host, port_text = text[1:closing], text[closing + 2 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address.") from None
    elif ":" in text:
        host, _, port_text = text.rpartition(":")
        if ":" in host:
            raise ValueError(f"{value!r} is not [HOST:]PORT; write an IPv6 host as [::1]:8080.")
    if not host or any(ch.isspace() for ch in host):
        raise ValueError(f"{value!r} names no host; use PORT or HOST:PORT, e.g. 127.0.0.1:8080.")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not [HOST:]PORT; the port must be a number, e.g. 8080."
        ) from None
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is out of range; use a port from 1 to 65535.")
    return ServeAddress(host, port)


def board_command_line(location_id: str, *, kiosk: bool, uncollected_after: int = 15) -> str:
    """The shell command of one browser session: this Python's board, without the secret."""
    words = [sys.executable, "-m", "tote_track", "board", "--location", location_id]
    if kiosk:
        words.append("--kiosk")
    if uncollected_after != 15:
        words += ["--uncollected-after", str(uncollected_after)]
    return shlex.join(words)


def child_environment(config: ClientConfig) -> dict[str, str | None]:
    """The ``TOTE_API_*`` variables that give each session the server's API settings
    (None: unset, so a value the server was started with does not leak into a child)."""
    return {
        "TOTE_API_BASE_URL": config.base_url,
        "TOTE_API_TOKEN": config.token,
        "TOTE_CA_BUNDLE": config.ca_bundle,
    }


def _set_environment(values: Mapping[str, str | None]) -> None:
    # textual-serve starts each session with a copy of this process's environment.
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


STOP_GRACE = 5.0
"""Seconds a session's board has to quit after its tab went away; then it is killed."""
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """In a session's process before it runs: the kernel kills it when the server dies,
    whatever kills the server (SIGKILL included). Linux only; elsewhere the session's
    stdin closing ends it."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


TOO_MANY = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="30"><title>Too many screens</title></head>
<body style="font: 24px sans-serif; margin: 3em">
<p>Too many screens are showing this board right now (at most {limit}).</p>
<p>Close one of them; this page tries again every 30 seconds.</p></body></html>"""
NO_KEY = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Access key needed</title></head><body style="font: 24px sans-serif; margin: 3em">
<p>This board needs its access key: open the full address printed where it was started
(it ends in <code>?key=…</code>).</p></body></html>"""


def _session_service() -> Any:
    """textual-serve's AppService, made to die with the server and to be killed when it
    does not quit within :data:`STOP_GRACE` of its tab going away."""
    from textual_serve.app_service import AppService

    class SessionService(AppService):
        """One session's board."""

        async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
            environment = self._build_environment(width=width, height=height)
            self._process = process = await asyncio.create_subprocess_shell(
                f"exec {self.command}",  # the shell becomes the board: one process
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=environment,
                preexec_fn=_die_with_parent,
            )
            assert process.stdin is not None
            self._stdin = process.stdin
            return process

        async def stop(self) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(super().stop(), STOP_GRACE)
            process = self._process
            if process is not None and process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()

    return SessionService


def _guarded(guard: Guard) -> Any:
    """The middleware that refuses a foreign Host or Origin, and a missing access key."""
    from aiohttp import web

    @web.middleware
    async def guarded(request: web.Request, handler: Any) -> web.StreamResponse:
        if not guard.host_allowed(request.host) or not guard.origin_allowed(
            request.headers.get("Origin"), request.scheme, request.host
        ):
            return web.Response(status=403, text="Forbidden: not this server's own page.\n")
        given = request.query.get("key")
        if not guard.key_allowed(given) and not guard.key_allowed(request.cookies.get(KEY_COOKIE)):
            return web.Response(status=403, text=NO_KEY, content_type="text/html")
        response: web.StreamResponse = await handler(request)
        key = guard.key
        keep = key is not None and given is not None and guard.key_allowed(given)
        if keep and key is not None and not response.prepared:  # the right key only
            response.set_cookie(KEY_COOKIE, key, httponly=True, samesite="Strict")
        return response

    return guarded


async def _session(
    server: Any, request: Any, service_class: Any, echo: Callable[[str], None]
) -> Any:
    """One browser tab's session: its board started at the tab's (clamped) size, the tab's
    messages relayed to it until either side goes."""
    from aiohttp import WSMsgType, web

    websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=64 * 1024)
    width, height = clamp_size(request.query.get("width", "80"), request.query.get("height", "24"))
    await websocket.prepare(request)
    service = service_class(
        server.command,
        write_bytes=websocket.send_bytes,
        write_str=websocket.send_str,
        close=lambda: _close(websocket),
        download_manager=server.download_manager,
    )
    try:
        await service.start(width, height)
        async for message in websocket:
            if message.type == WSMsgType.TEXT:
                await _relay(websocket, service, read_message(message.data))
    except asyncio.CancelledError:
        await websocket.close()
    except Exception as error:  # one session's end, in a line (no locals, no token)
        echo(f"a screen's session ended: {type(error).__name__}")
    finally:
        await service.stop()
    return websocket


def _make_server(
    command: str,
    address: ServeAddress,
    *,
    title: str,
    echo: Callable[[str], None],
    guard: Guard,
    background: Background | None = None,
) -> Any:
    from aiohttp import web
    from textual_serve.server import Server

    service_class = _session_service()
    guarded = _guarded(guard)

    class BoardServer(Server):
        """textual-serve's server, safe by default (``serve_guard``), with our page, our
        banner and a task beside it."""

        def __init__(self) -> None:
            super().__init__(
                command, host=address.host, port=address.port, title=title, templates_path=TEMPLATES
            )
            self._background: asyncio.Task[None] | None = None
            self.sessions = 0

        def initialize_logging(self) -> None:
            # textual-serve's rich log echoes each session's stderr; warnings only.
            import logging

            logging.basicConfig(level=logging.WARNING, format="%(message)s")

        async def _make_app(self) -> web.Application:
            app: web.Application = await super()._make_app()
            app.middlewares.append(guarded)
            return app

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            if self.sessions >= guard.max_sessions:
                page = TOO_MANY.format(limit=guard.max_sessions)
                return web.Response(status=503, text=page, content_type="text/html")
            # The page's websocket URL follows the address the browser used (a tablet
            # reaching 0.0.0.0:8080 as 192.168.1.5:8080 must connect back there).
            self.public_url = f"{request.scheme}://{request.host}"
            response: web.StreamResponse = await super().handle_index(request)
            response.headers["Cache-Control"] = "no-store"
            return response

        async def handle_websocket(  # type: ignore[override]  # a 503 before any upgrade
            self, request: web.Request
        ) -> web.StreamResponse:
            if self.sessions >= guard.max_sessions:
                return web.Response(status=503, text="Too many screens.\n")
            self.sessions += 1  # before any await: the count is never overtaken
            try:
                response: web.StreamResponse = await _session(self, request, service_class, echo)
                return response
            finally:
                self.sessions -= 1

        async def on_startup(self, app: web.Application) -> None:
            url = address.url + (f"?key={guard.key}" if guard.key else "")
            echo(f"Serving on {url} (open it in a browser; Ctrl+C stops)")
            if background is not None:
                self._background = asyncio.create_task(background())

        async def on_shutdown(self, app: web.Application) -> None:
            if self._background is not None:
                self._background.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._background

    return BoardServer()


async def _close(websocket: Any) -> None:
    await websocket.close()


async def _relay(websocket: Any, service: Any, message: ClientMessage | None) -> None:
    """A page's message to its board (a malformed one is ignored)."""
    if message is None:
        return
    if message.kind == "stdin":
        await service.send_bytes(message.text.encode("utf-8", "replace"))
    elif message.kind == "resize":
        await service.set_terminal_size(*message.size)
    elif message.kind == "ping":
        await websocket.send_json(["pong", message.ping])
    elif message.kind == "blur":
        await service.blur()
    elif message.kind == "focus":
        await service.focus()


def serve_command(
    command: str,
    address: ServeAddress,
    *,
    title: str,
    environment: Mapping[str, str | None] | None = None,
    background: Background | None = None,
    echo: Callable[[str], None] = _print,
    no_key: bool = False,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
) -> int:
    """Serve ``command`` (one process per browser tab) until Ctrl+C or SIGTERM; the exit
    code. Raises :class:`CommandFailed` when it cannot listen. Beyond loopback a random
    access key is needed (``no_key``: none); at most ``max_sessions`` tabs at once."""
    _set_environment(environment or {})
    guard = Guard.for_address(address.host, no_key=no_key, max_sessions=max_sessions)
    server = _make_server(
        command, address, title=title, echo=echo, guard=guard, background=background
    )
    try:
        server.serve()
    except OSError as error:
        raise CommandFailed(
            f"cannot listen on {address.host}:{address.port}: {error.strerror or error}.",
            exit_codes.FAILED_TO_START,
        ) from None
    return exit_codes.OK


def serve_board(
    config: ClientConfig,
    location_id: str,
    address: ServeAddress,
    *,
    kiosk: bool,
    uncollected_after: int = 15,
    no_key: bool = False,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    echo: Callable[[str], None] = _print,
) -> int:
    """``tote-track board --serve``: each tab runs the board against ``config``."""
    return serve_command(
        board_command_line(location_id, kiosk=kiosk, uncollected_after=uncollected_after),
        address,
        title="tote-track board",
        environment=child_environment(config),
        echo=echo,
        no_key=no_key,
        max_sessions=max_sessions,
    )


def serve_board_demo(
    speed: float, address: ServeAddress, *, echo: Callable[[str], None] = _print
) -> int:
    """``tote-track demo --board --serve``: one sandbox and one stream of orders here; each
    tab runs the kiosk board against them."""
    from tote_track.demo import demo_sandbox, demo_store
    from tote_track.tracking.presentation import printable

    with demo_sandbox() as sandbox:
        feed, location = demo_store(sandbox.config, speed)
        echo(printable(f"demo: {location.name}, sandbox at {sandbox.base_url}"))
        return serve_command(
            board_command_line(location.id, kiosk=True),
            address,
            title="tote-track board (demo)",
            environment=child_environment(sandbox.config),
            background=feed.run,
            echo=echo,
        )


def serve_tracker_demo(
    scenario: str, speed: float, address: ServeAddress, *, echo: Callable[[str], None] = _print
) -> int:
    """``tote-track demo --serve``: each tab runs a demo of its own (its own sandbox and
    order), so every visitor sees a journey from its start."""
    words = [sys.executable, "-m", "tote_track", "demo", "--scenario", scenario]
    words += ["--speed", repr(speed)]
    return serve_command(shlex.join(words), address, title="tote-track demo", echo=echo)
