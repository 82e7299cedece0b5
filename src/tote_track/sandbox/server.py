"""Serving the sandbox: ``tote-track sandbox`` in the foreground, or embedded in a thread.

:func:`run_sandbox` is the command: it binds the port itself (so "address already in use" is
one clear sentence, and ``--port 0`` prints the port it got), prints how to reach and
authenticate against the API, and serves until Ctrl-C or SIGTERM, then exits 0. Beyond
loopback it needs a real secret (:func:`weak_public_token`): not the default token, not one
character repeated, and at least :data:`MIN_PUBLIC_TOKEN_BITS` bits by a simple estimate
(exit 2 otherwise).

:class:`EmbeddedSandbox` runs the same app on ``127.0.0.1`` and a free port in a daemon thread,
for ``tote-track demo``, tests and benchmarks. It prints nothing: the terminal belongs to the
tracker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import logging
import math
import os
import random
import shlex
import signal
import socket
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self, TextIO

import uvicorn

from tote_track import exit_codes
from tote_track.api.config import ClientConfig, is_loopback_host
from tote_track.run import say_error
from tote_track.sandbox.autoplay import SCENARIO_NAMES
from tote_track.sandbox.tls import TlsFiles, check_certificate, local_ca, server_names

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tote_track.sandbox.engine import Engine

__all__ = [
    "BASE_PATH",
    "DEFAULT_TOKEN",
    "MIN_PUBLIC_TOKEN_BITS",
    "EmbeddedSandbox",
    "build_app",
    "run_sandbox",
    "token_bits",
    "weak_public_token",
]

DEFAULT_TOKEN = "sandbox"
MIN_PUBLIC_TOKEN_BITS = 64
"""How hard to guess (:func:`token_bits`) a token must be for the sandbox to listen beyond
loopback: 16 characters all different at least, more in practice."""
BASE_PATH = "/v1/online-ordering"
# Sample orders look the same on every start (same stores, states and totals for --orders N);
# --seed S draws other ones, and makes the ids reproducible too.
SAMPLE_SEED = 20260131
STARTUP_TIMEOUT = 15.0
GRACEFUL_SHUTDOWN = 3


def token_bits(token: str) -> float:
    """A simple estimate of how hard ``token`` is to guess, in bits: the length of its
    shortest repeating unit (the whole token unless it repeats a pattern) times the entropy
    of that unit's characters' frequencies. One character repeated is 0 bits, ``ab`` * 32
    is 2, 16 different characters are 64, a random ``secrets.token_urlsafe(16)`` about 90."""
    unit = token[: _period(token)]
    counts = collections.Counter(unit).values()
    return -sum(count * math.log2(count / len(unit)) for count in counts)


def _period(text: str) -> int:
    """The smallest p with ``text[i] == text[i - p]`` for every i >= p (Knuth-Morris-Pratt's
    failure function: the longest border of ``text`` leaves the period)."""
    border = [0] * (len(text) + 1)
    for index in range(1, len(text)):
        k = border[index]
        while k and text[index] != text[k]:
            k = border[k]
        border[index + 1] = k + 1 if text[index] == text[k] else 0
    return len(text) - border[len(text)]


def weak_public_token(token: str) -> tuple[str, str] | None:
    """Why ``token`` must not guard a sandbox beyond loopback, and what to do instead; None
    when it may. The one rule of ``sandbox --host``."""
    if token == DEFAULT_TOKEN:
        return (
            f'the default token "{DEFAULT_TOKEN}": anyone who can reach this machine could '
            "read and cancel its orders",
            "Listen on 127.0.0.1 (the default), or pass --token-file with a secret of your own.",
        )
    if len(set(token)) <= 1:
        why = "a token of one character repeated"
    else:
        bits = token_bits(token)
        if bits >= MIN_PUBLIC_TOKEN_BITS:
            return None
        why = (
            f"a token of {len(token)} character{'s' if len(token) != 1 else ''} "
            f"(about {bits:.0f} bits by a simple estimate, {MIN_PUBLIC_TOKEN_BITS} needed)"
        )
    return (
        f"{why}: anyone who can reach this machine could guess it",
        "Pass --token-file FILE with a random secret of 22 or more characters in it (from "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`, say), or listen on "
        "127.0.0.1 (the default).",
    )


CONTROL_HINT = """\
Control endpoints (same token):
  POST /sandbox/orders              create an order; add "autoplay": {"scenario": NAME, "speed": X}
  POST /sandbox/orders/{id}/events  move it along, e.g. {"type": "accept"}
  PUT|DELETE /sandbox/faults        inject or clear errors, latency, 429s, dropped connections
  POST /sandbox/reset               delete every order
QA endpoints (same token):
  GET|DELETE /sandbox/requests      the requests it answered (?order_id=ID), or forget them
  POST /sandbox/orders/{id}/script  the order's next answers, e.g. {"responses": [{"status": 503}]}
  GET /sandbox/orders/{id}/polling  a client's polling of the order, judged against the guide"""


def build_app(
    *, token: str, db: str | os.PathLike[str] | None, orders: int = 0, seed: int | None = None
) -> FastAPI:
    """The sandbox app on a memory or SQLite store, with ``orders`` sample orders.

    With a file that already holds orders, nothing is added again. ``seed`` makes the
    sample orders and the ids of new orders, items and payments reproducible (their times
    follow the clock), and the injected faults; the ids only on an empty store, so that
    they never repeat one already in the file.
    """
    from tote_track.sandbox.app import create_app
    from tote_track.sandbox.engine import Engine
    from tote_track.sandbox.seed import ReplayClock, seed_orders
    from tote_track.sandbox.store import MemoryStore, SqliteStore

    store = SqliteStore(os.fspath(db)) if db is not None else MemoryStore()
    empty = store.count() == 0
    clock = ReplayClock()
    engine = Engine(
        store,
        clock=clock,
        rng=random.Random(f"faults-{seed}") if seed is not None else None,
        id_rng=random.Random(f"ids-{seed}") if seed is not None and empty else None,
    )
    app = create_app(token=token, engine=engine)
    if orders > 0 and empty:
        sample = random.Random(SAMPLE_SEED if seed is None else f"orders-{seed}")
        seed_orders(engine, orders, sample, clock=clock)
    return app


def _close_store(app: FastAPI) -> None:
    """Release the store (the SQLite file) once the server has stopped."""
    engine: Engine = app.state.engine
    engine.store.close()


def base_url_for(host: str, port: int, *, scheme: str = "http") -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}{BASE_PATH}"


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


def _uvicorn_config(
    app: FastAPI, host: str, port: int, *, quiet: bool, tls: TlsFiles | None = None
) -> uvicorn.Config:
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
        ssl_certfile=tls.certfile if tls is not None else None,
        ssl_keyfile=tls.keyfile if tls is not None else None,
    )


def run_sandbox(
    *,
    host: str,
    port: int,
    token: str,
    db: str | os.PathLike[str] | None,
    orders: int = 0,
    seed: int | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    tls: bool = False,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> int:
    """Serve the sandbox in the foreground until Ctrl-C or SIGTERM; the process's exit code.

    ``tls``: serve HTTPS with a certificate from a throwaway local CA, whose files go next to
    ``db`` (``DB.tls/``, reused across restarts) or into a temporary directory removed on exit.
    ``certfile``/``keyfile``: serve HTTPS with the user's own certificate instead.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if not token:
        say_error("--token must not be empty.", file=err)
        return exit_codes.USAGE
    if keyfile is not None and certfile is None:
        say_error("--keyfile needs --certfile (the certificate it belongs to).", file=err)
        return exit_codes.USAGE
    if certfile is not None:
        problem = check_certificate(certfile, keyfile)
        if problem is not None:
            say_error(f"cannot serve HTTPS: {problem}.", file=err)
            return exit_codes.USAGE
    with contextlib.ExitStack() as cleanup:
        files: TlsFiles | None = None
        if certfile is not None:
            files = TlsFiles(certfile=certfile, keyfile=keyfile)
        elif tls:
            if db is not None:
                folder = f"{os.fspath(db)}.tls"
            else:
                folder = cleanup.enter_context(
                    tempfile.TemporaryDirectory(prefix="tote-sandbox-tls-")
                )
            try:
                files = local_ca(folder, server_names(host))
            except OSError as exc:
                reason = exc.strerror or str(exc)
                say_error(f"cannot write the sandbox's CA files to {folder}: {reason}.", file=err)
                return exit_codes.FAILED_TO_START
        return _serve_foreground(
            host=host,
            port=port,
            token=token,
            db=db,
            orders=orders,
            seed=seed,
            out=out,
            err=err,
            tls=files,
        )


def _serve_foreground(
    *,
    host: str,
    port: int,
    token: str,
    db: str | os.PathLike[str] | None,
    orders: int,
    seed: int | None,
    out: TextIO,
    err: TextIO,
    tls: TlsFiles | None,
) -> int:
    weakness = None if is_loopback_host(host) else weak_public_token(token)
    if weakness is not None:
        why, instead = weakness
        say_error(f"refusing to listen on {host} with {why}.", [instead], file=err)
        return exit_codes.USAGE
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            say_error(
                f"port {port} on {host} is already in use (another sandbox?). "
                "Stop that program or choose another port with --port.",
                file=err,
            )
        else:
            reason = exc.strerror or str(exc)
            say_error(f"cannot listen on {host} port {port}: {reason}.", file=err)
        return exit_codes.FAILED_TO_START
    with sock:
        try:
            app = build_app(token=token, db=db, orders=orders, seed=seed)
        except Exception as exc:  # an unreadable --db file, mostly
            where = f" with --db {os.fspath(db)}" if db is not None else ""
            say_error(f"cannot start the sandbox{where}: {exc}", file=err)
            return exit_codes.FAILED_TO_START
        bound_port = sock.getsockname()[1]
        banner = _banner(host, bound_port, token, db, orders, app, tls)
        server = _Server(
            _uvicorn_config(app, host, bound_port, quiet=False, tls=tls),
            on_started=lambda: print(banner, file=out, flush=True),
        )
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except KeyboardInterrupt:  # a signal before the handlers were installed
            pass
        except SystemExit:  # uvicorn's startup failure
            say_error("the sandbox failed to start.", file=err)
            return exit_codes.FAILED_TO_START
        finally:
            _close_store(app)
    print("Sandbox stopped.", file=out, flush=True)
    return exit_codes.OK


def _banner(
    host: str,
    port: int,
    token: str,
    db: str | os.PathLike[str] | None,
    orders: int,
    app: FastAPI,
    tls: TlsFiles | None = None,
) -> str:
    from tote_track.sandbox.seed import LOCATIONS

    url = base_url_for(host, port, scheme="http" if tls is None else "https")
    if token == DEFAULT_TOKEN:
        auth = f'Authenticate with the bearer token "{DEFAULT_TOKEN}":'
        shown_token = DEFAULT_TOKEN
    else:
        auth = "Authenticate with the token you passed with --token (shown here as $TOKEN):"
        shown_token = "$TOKEN"
    storage = f"stored in {os.fspath(db)}" if db is not None else "kept in memory"
    engine: Engine = app.state.engine
    count = engine.count()
    held = f"{count} order{'s' if count != 1 else ''}"
    if orders and count != orders:
        held += f" (--orders {orders} adds sample orders to an empty store only)"
    track_token = "sandbox" if token == DEFAULT_TOKEN else '"$TOKEN"'
    trust, curl_trust, track_trust = _trust_lines(tls)
    lines = [
        f"Tote sandbox API listening on {url}",
        f"  {held}, {storage}",
        *trust,
        "",
        auth,
        f'  curl{curl_trust} -H "Authorization: Bearer {shown_token}" {url}/orders',
        CONTROL_HINT,
        textwrap.fill(
            ", ".join(SCENARIO_NAMES),
            width=92,
            initial_indent="  scenarios: ",
            subsequent_indent=" " * 13,
        ),
        f"API description: {url}/openapi.json",
        f"Track an order: tote-track --base-url {url} --token {track_token}{track_trust} ORDER_ID",
        "Stores (for tote-track board --location ID):",
        *(f"  {location.id}  {location.name}" for location in LOCATIONS),
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _trust_lines(tls: TlsFiles | None) -> tuple[list[str], str, str]:
    """The banner's TLS lines, and what curl and tote-track add to trust the CA."""
    if tls is None:
        return [], "", ""
    if tls.ca_file is None:
        return [f"  HTTPS with your certificate {tls.certfile}"], "", ""
    ca = shlex.quote(tls.ca_file)
    lines = [
        f"  HTTPS: a throwaway local CA signed its certificate; the CA file is {tls.ca_file}",
        "  Trust it with one of:",
        f"    tote-track --ca-bundle {ca} ...   (or TOTE_CA_BUNDLE={ca}; adds this CA)",
        f"    SSL_CERT_FILE={ca} tote-track ...   (trusts this CA only)",
    ]
    return lines, f" --cacert {ca}", f" --ca-bundle {ca}"


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

    ``with EmbeddedSandbox(orders=5) as sb:`` (or ``async with``) starts it and waits until it
    answers; ``sb.base_url``, ``sb.token`` and ``sb.config`` tell a client where to go.
    Leaving the block stops the server and joins the thread.

    ``tls=True`` serves HTTPS with a certificate (for 127.0.0.1, localhost, ::1) from a
    throwaway CA in a temporary directory removed on stop: ``sb.ca_file`` is that CA, and
    ``sb.config`` trusts it (``ca_bundle``). ``certfile``/``keyfile`` serve a given
    certificate instead (``sb.ca_file`` is then None: the caller knows whom to trust).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        orders: int = 0,
        db: str | os.PathLike[str] | None = None,
        *,
        seed: int | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
        tls: bool = False,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
    ) -> None:
        if not token:
            raise ValueError("the sandbox token must not be empty")
        self.tls = tls or certfile is not None
        self._certfile = None if certfile is None else os.fspath(certfile)
        self._keyfile = None if keyfile is None else os.fspath(keyfile)
        self._tls_files: TlsFiles | None = None
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        self.token = token
        self.orders = orders
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
        return base_url_for("127.0.0.1", self.port, scheme="https" if self.tls else "http")

    @property
    def ca_file(self) -> str | None:
        """The PEM file of the throwaway CA (``tls=True``), else None."""
        return self._tls_files.ca_file if self._tls_files is not None else None

    @property
    def config(self) -> ClientConfig:
        return ClientConfig(base_url=self.base_url, token=self.token, ca_bundle=self.ca_file)

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
        if self._certfile is not None:
            self._tls_files = TlsFiles(certfile=self._certfile, keyfile=self._keyfile)
        elif self.tls:
            self._tls_dir = tempfile.TemporaryDirectory(prefix="tote-sandbox-tls-")
            self._tls_files = local_ca(self._tls_dir.name, server_names("127.0.0.1"))
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
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
            self._tls_dir = None

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start(); a thread must not print
            self._error = exc
        finally:
            self._started.set()

    async def _main(self) -> None:
        app = build_app(token=self.token, db=self.db, orders=self.orders, seed=self.seed)
        self._app = app
        server = _Server(
            _uvicorn_config(app, "127.0.0.1", 0, quiet=True, tls=self._tls_files),
            self._on_started,
        )
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
