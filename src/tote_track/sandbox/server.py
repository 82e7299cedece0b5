"""Serving the sandbox: ``tote-track sandbox`` in the foreground, or embedded in a thread.

:func:`run_sandbox` is the command: it binds the port itself (so "address already in use" is
one clear sentence, and ``--port 0`` prints the port it got), prints how to reach and
authenticate against the API, and serves until Ctrl-C or SIGTERM, then exits 0. Beyond
loopback it needs a real secret: not the default token, and at least
:data:`MIN_PUBLIC_TOKEN_LENGTH` characters (exit 2 otherwise).

:class:`EmbeddedSandbox` runs the same app on ``127.0.0.1`` and a free port in a daemon thread,
for ``tote-track demo``, tests and benchmarks. It prints nothing: the terminal belongs to the
tracker.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import random
import signal
import socket
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self, TextIO

import uvicorn

from tote_track.api.config import ClientConfig, is_loopback_host
from tote_track.sandbox.autoplay import SCENARIO_NAMES

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tote_track.sandbox.engine import Engine

__all__ = [
    "BASE_PATH",
    "DEFAULT_TOKEN",
    "MIN_PUBLIC_TOKEN_LENGTH",
    "EmbeddedSandbox",
    "build_app",
    "run_sandbox",
]

DEFAULT_TOKEN = "sandbox"
MIN_PUBLIC_TOKEN_LENGTH = 16
"""The shortest token the sandbox accepts when it listens beyond loopback."""
BASE_PATH = "/v1/online-ordering"
# Seeded orders look the same on every start (same stores, states and totals for --seed N).
SEED_RNG = 20260131
STARTUP_TIMEOUT = 15.0
GRACEFUL_SHUTDOWN = 3

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

CONTROL_HINT = """\
Control endpoints (same token):
  POST /sandbox/orders              create an order; add "autoplay": {"scenario": NAME, "speed": X}
  POST /sandbox/orders/{id}/events  move it along, e.g. {"type": "accept"}
  PUT|DELETE /sandbox/faults        inject or clear errors, latency, 429s, dropped connections
  POST /sandbox/reset               delete every order"""


def build_app(*, token: str, db: str | os.PathLike[str] | None, seed: int) -> FastAPI:
    """The sandbox app on a memory or SQLite store, with ``seed`` sample orders.

    With a file that already holds orders, nothing is seeded again.
    """
    from tote_track.sandbox.app import create_app
    from tote_track.sandbox.seed import ReplayClock, seed_orders
    from tote_track.sandbox.store import MemoryStore, SqliteStore

    store = SqliteStore(os.fspath(db)) if db is not None else MemoryStore()
    clock = ReplayClock()
    app = create_app(token=token, store=store, clock=clock)
    engine: Engine = app.state.engine
    if seed > 0 and engine.count() == 0:
        seed_orders(engine, seed, random.Random(SEED_RNG), clock=clock)
    return app


def _close_store(app: FastAPI) -> None:
    """Release the store (the SQLite file) once the server has stopped."""
    engine: Engine = app.state.engine
    engine.store.close()


def base_url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{BASE_PATH}"


class _Server(uvicorn.Server):
    """uvicorn's server that reports startup and exits quietly on Ctrl-C / SIGTERM.

    uvicorn re-raises the signal after a graceful shutdown (so the process dies of it);
    the sandbox instead returns normally, so the command exits 0.
    """

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: FastAPI, host: str, port: int, *, quiet: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        access_log=False,
        log_level="critical" if quiet else "warning",
        # Embedded: leave the process's logging alone (the tracker owns the terminal).
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
    )


def run_sandbox(
    *,
    host: str,
    port: int,
    token: str,
    db: str | os.PathLike[str] | None,
    seed: int,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Serve the sandbox in the foreground until Ctrl-C or SIGTERM; the process's exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not token:
        print("error: --token must not be empty.", file=err)
        return EXIT_USAGE
    if not is_loopback_host(host) and token == DEFAULT_TOKEN:
        print(
            f'error: refusing to listen on {host} with the default token "{DEFAULT_TOKEN}": '
            "anyone who can reach this machine could read and cancel its orders.\n"
            "Listen on 127.0.0.1 (the default), or pass --token with a secret of your own.",
            file=err,
        )
        return EXIT_USAGE
    if not is_loopback_host(host) and len(token) < MIN_PUBLIC_TOKEN_LENGTH:
        print(
            f"error: refusing to listen on {host} with a token of {len(token)} "
            f"character{'s' if len(token) != 1 else ''}: anyone who can reach this machine "
            "could guess it. Pass --token with a secret of at least "
            f"{MIN_PUBLIC_TOKEN_LENGTH} characters, or listen on 127.0.0.1 (the default).",
            file=err,
        )
        return EXIT_USAGE
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"error: port {port} on {host} is already in use (another sandbox?). "
                "Stop that program or choose another port with --port.",
                file=err,
            )
        else:
            reason = exc.strerror or str(exc)
            print(f"error: cannot listen on {host} port {port}: {reason}.", file=err)
        return EXIT_FAILURE
    with sock:
        try:
            app = build_app(token=token, db=db, seed=seed)
        except Exception as exc:  # an unreadable --db file, mostly
            where = f" with --db {os.fspath(db)}" if db is not None else ""
            print(f"error: cannot start the sandbox{where}: {exc}", file=err)
            return EXIT_FAILURE
        bound_port = sock.getsockname()[1]
        banner = _banner(host, bound_port, token, db, seed, app)
        server = _Server(
            _uvicorn_config(app, host, bound_port, quiet=False),
            on_started=lambda: print(banner, file=out, flush=True),
        )
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except KeyboardInterrupt:  # a signal before the handlers were installed
            pass
        except SystemExit as exc:  # uvicorn's startup failure
            print("error: the sandbox failed to start.", file=err)
            return exc.code if isinstance(exc.code, int) and exc.code else EXIT_FAILURE
        finally:
            _close_store(app)
    print("Sandbox stopped.", file=out, flush=True)
    return EXIT_OK


def _banner(
    host: str, port: int, token: str, db: str | os.PathLike[str] | None, seed: int, app: FastAPI
) -> str:
    url = base_url_for(host, port)
    if token == DEFAULT_TOKEN:
        auth = f'Authenticate with the bearer token "{DEFAULT_TOKEN}":'
        shown_token = DEFAULT_TOKEN
    else:
        auth = "Authenticate with the token you passed with --token (shown here as $TOKEN):"
        shown_token = "$TOKEN"
    storage = f"stored in {os.fspath(db)}" if db is not None else "kept in memory"
    engine: Engine = app.state.engine
    count = engine.count()
    orders = f"{count} order{'s' if count != 1 else ''}"
    if seed and count != seed:
        orders += f" (--seed {seed} adds sample orders to an empty store only)"
    track_token = "sandbox" if token == DEFAULT_TOKEN else '"$TOKEN"'
    lines = [
        f"Tote sandbox API listening on {url}",
        f"  {orders}, {storage}",
        "",
        auth,
        f'  curl -H "Authorization: Bearer {shown_token}" {url}/orders',
        CONTROL_HINT,
        textwrap.fill(
            ", ".join(SCENARIO_NAMES),
            width=92,
            initial_indent="  scenarios: ",
            subsequent_indent=" " * 13,
        ),
        f"API description: {url}/openapi.json",
        f"Track an order: tote-track --base-url {url} --token {track_token} ORDER_ID",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- embedded


def _silence_logging() -> None:
    """Never let the embedded server write to the terminal (no 'last resort' stderr output)."""
    for name in ("uvicorn", "tote_track.sandbox"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
    logging.getLogger("uvicorn").propagate = False


class EmbeddedSandbox:
    """The sandbox on ``127.0.0.1`` and a free port, served from a daemon thread.

    ``with EmbeddedSandbox(seed=5) as sb:`` (or ``async with``) starts it and waits until it
    answers; ``sb.base_url``, ``sb.token`` and ``sb.config`` tell a client where to go.
    Leaving the block stops the server and joins the thread.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        seed: int = 0,
        db: str | os.PathLike[str] | None = None,
        *,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        if not token:
            raise ValueError("the sandbox token must not be empty")
        self.token = token
        self.seed = seed
        self.db = db
        self.startup_timeout = startup_timeout
        self._server: _Server | None = None
        self._app: FastAPI | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._port: int | None = None
        self._stopping = False

    def __repr__(self) -> str:
        state = f"port={self._port}" if self._port is not None else "not started"
        return f"EmbeddedSandbox({state}, token='<redacted>')"

    # -- where it is
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox is not running; use it as a context manager")
        return self._port

    @property
    def base_url(self) -> str:
        return base_url_for("127.0.0.1", self.port)

    @property
    def config(self) -> ClientConfig:
        return ClientConfig(base_url=self.base_url, token=self.token)

    @property
    def app(self) -> FastAPI:
        if self._app is None:
            raise RuntimeError("the sandbox is not running")
        return self._app

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._port is not None

    # -- lifecycle
    def start(self) -> Self:
        """Start serving and wait (at most ``startup_timeout`` s) until it accepts requests."""
        if self._thread is not None:
            raise RuntimeError("this sandbox was already started")
        _silence_logging()
        self._thread = threading.Thread(target=self._serve, name="tote-sandbox", daemon=True)
        self._thread.start()
        if not self._started.wait(self.startup_timeout):
            self.stop()
            raise RuntimeError(f"the sandbox did not start within {self.startup_timeout:g} seconds")
        if self._error is not None or self._port is None:
            self.stop()
            raise RuntimeError(f"the sandbox failed to start: {self._error!r}") from self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (open connections are closed) and join the thread."""
        self._stopping = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        self._port = None

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start(); a thread must not print
            self._error = exc
        finally:
            self._started.set()

    async def _main(self) -> None:
        app = build_app(token=self.token, db=self.db, seed=self.seed)
        self._app = app
        server = _Server(_uvicorn_config(app, "127.0.0.1", 0, quiet=True), self._on_started)
        self._server = server
        try:
            if not self._stopping:
                await server.serve()
        finally:
            _close_store(app)

    def _on_started(self) -> None:
        assert self._server is not None
        sockets = self._server.servers[0].sockets
        self._port = int(sockets[0].getsockname()[1])
        self._started.set()

    # -- context managers
    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)
