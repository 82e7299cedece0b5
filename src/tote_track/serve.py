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
import sys
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tote_track import exit_codes
from tote_track.api.config import ClientConfig
from tote_track.run import CommandFailed

__all__ = [
    "DEFAULT_SERVE_HOST",
    "ServeAddress",
    "board_command_line",
    "child_environment",
    "parse_serve_address",
    "serve_board",
    "serve_board_demo",
    "serve_command",
    "served_to_browser",
]

DEFAULT_SERVE_HOST = "127.0.0.1"
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"
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


def served_to_browser() -> bool:
    """True in a session's process that textual-serve started (its screen is a browser tab,
    not a terminal)."""
    return os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER


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


def _make_server(
    command: str,
    address: ServeAddress,
    *,
    title: str,
    echo: Callable[[str], None],
    background: Background | None = None,
) -> Any:
    from aiohttp import web
    from textual_serve.server import Server

    class BoardServer(Server):
        """textual-serve's server with our page, our banner and a task beside it."""

        def __init__(self) -> None:
            super().__init__(
                command,
                host=address.host,
                port=address.port,
                title=title,
                templates_path=TEMPLATES,
            )
            self._background: asyncio.Task[None] | None = None

        def initialize_logging(self) -> None:
            # textual-serve's rich log echoes each session's stderr; warnings only.
            import logging

            logging.basicConfig(level=logging.WARNING, format="%(message)s")

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            # The page's websocket URL follows the address the browser used (a tablet
            # reaching 0.0.0.0:8080 as 192.168.1.5:8080 must connect back there).
            self.public_url = f"{request.scheme}://{request.host}"
            response: web.StreamResponse = await super().handle_index(request)
            response.headers["Cache-Control"] = "no-store"
            return response

        async def on_startup(self, app: web.Application) -> None:
            echo(f"Serving on {address.url} (open it in a browser; Ctrl+C stops)")
            if background is not None:
                self._background = asyncio.create_task(background())

        async def on_shutdown(self, app: web.Application) -> None:
            if self._background is not None:
                self._background.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._background

    return BoardServer()


def serve_command(
    command: str,
    address: ServeAddress,
    *,
    title: str,
    environment: Mapping[str, str | None] | None = None,
    background: Background | None = None,
    echo: Callable[[str], None] = _print,
) -> int:
    """Serve ``command`` (one process per browser tab) until Ctrl+C or SIGTERM; the exit
    code. Raises :class:`CommandFailed` when it cannot listen."""
    _set_environment(environment or {})
    server = _make_server(command, address, title=title, echo=echo, background=background)
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
    echo: Callable[[str], None] = _print,
) -> int:
    """``tote-track board --serve``: each tab runs the board against ``config``."""
    return serve_command(
        board_command_line(location_id, kiosk=kiosk, uncollected_after=uncollected_after),
        address,
        title="tote-track board",
        environment=child_environment(config),
        echo=echo,
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
