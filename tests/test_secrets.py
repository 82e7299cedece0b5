"""The API token never leaks: not in output, logs, exceptions, reprs or screenshots.

The claim, in full:

1. The main flows run against a real sandbox on a loopback socket whose token is the
   recognisable ``TOKEN`` below: the tracker under Pilot (load, refresh, cancel accepted,
   cancel refused with 409, order not found, token refused, reconnecting through injected
   server errors, the demo's sandbox header and QA console), ``watch`` (lines and
   ``--json``, to the end, refused, not found, giving up through server errors), ``list``
   (table, ``--json``, ``--all``, refused), the board (normal, kiosk, refused), and the
   ``sandbox`` command's start-up banner with ``--token`` (a real process). A second,
   wrong token (``WRONG_TOKEN``) is sent where the flow is "the token is refused".
2. Everything they produce is scanned for both tokens, raw and in the forms a leak would
   take (base64 at any alignment, as in a Basic or logged header, URL-encoded): every
   captured stdout and stderr; every log record at DEBUG from every logger (``httpx``,
   ``httpcore``, ``tote_track``, the sandbox's ``uvicorn``, ...), message, arguments and
   traceback; every exception the client raises (``str``, ``repr`` and the whole chained
   traceback), every object's ``repr`` that holds the token; every notification; and every
   screenshot exported with ``App.export_screenshot`` (SVG).
3. A token is never sent over plain http to a host that is not loopback: ``ClientConfig``
   refuses it, and every command exits 2 before any request (the refusal is checked here
   and, command by command, in ``tests/test_cli_errors.py``: ``*-insecure-url`` rows; the
   config rules in ``tests/api/test_config.py``).
4. The sandbox refuses to listen beyond loopback with its public default token (exit 2,
   before binding): checked here, in ``tests/test_cli_errors.py``
   (``sandbox-public-*-default-token``) and as a real process in
   ``tests/sandbox/test_server.py::test_the_command_refuses_0000_with_the_default_token``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import signal
import socket
import subprocess
import sys
import traceback
from collections.abc import Iterator
from datetime import UTC
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner
from textual.app import App
from textual.pilot import Pilot

from tests.tui.support import screen_words, settle
from tote_track import cli
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    BadRequestError,
    BadResponseError,
    CancelNotAllowedError,
    InsecureTransportError,
    NotFoundError,
    ServerError,
    ToteError,
    UnauthorizedError,
)
from tote_track.api.models import Order
from tote_track.sandbox.server import EmbeddedSandbox, run_sandbox
from tote_track.tui.board.app import BoardApp
from tote_track.tui.tracker.app import TrackerApp
from tote_track.tui.tracker.dialogs import CancelScreen, ErrorScreen, MessageScreen

TOKEN = "tok_LEAKCHECK_8c1f0e2d9b7a4e55"
MISSING = "00000000-0000-4000-8000-000000000000"
WRONG_TOKEN = "tok_WRONGKEY_3d5b7f9a1c2e4d6f"
LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
PICKUP: dict[str, Any] = {"location_id": LOCATION, "handoff": {"mode": "PICKUP"}}
PAID_AND_ACCEPTED = ("payment_completed", "accept")


def _base64_cores(secret: str) -> set[str]:
    """What the secret looks like inside any base64 text, whatever its offset there."""
    cores = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + secret.encode()).decode()
            skip = -(-offset * 4 // 3)  # characters touched by the bytes before it
            cores.add(encoded[skip + 1 : -4])  # and by whatever comes after it
    return cores


def leak_forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote(f"Bearer {secret}", safe="")}
    forms |= _base64_cores(secret)
    return {form for form in forms if len(form) >= 12}


FORMS = {secret: leak_forms(secret) for secret in (TOKEN, WRONG_TOKEN)}


def assert_clean(text: str, where: str) -> None:
    """Neither token, in any of its forms, is in ``text``."""
    for secret, forms in FORMS.items():
        for form in forms:
            assert form not in text, f"{where} leaks {secret!r} (as {form!r})"


def test_the_scanner_finds_each_form_it_looks_for() -> None:
    """The scan itself can fail: it finds the token raw, base64'd at any offset, quoted."""
    for prefix in ("", "x", "xy", "Authorization: Basic user:"):
        blob = base64.b64encode(f"{prefix}{TOKEN} and more".encode()).decode()
        with pytest.raises(AssertionError, match="leaks"):
            assert_clean(f"header {blob}", "test")
    for text in (f"...{TOKEN}...", quote(f"Bearer {TOKEN}", safe=""), f"?t={WRONG_TOKEN}"):
        with pytest.raises(AssertionError, match="leaks"):
            assert_clean(text, "test")
    assert_clean("Bearer <redacted>, tok_LEAKCHECK_ (a prefix is not the token)", "test")


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(token=TOKEN) as running:
        yield running


@pytest.fixture(autouse=True)
def every_log_record(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every record at DEBUG, the embedded server's too; scan them all afterwards."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "tote_track", "uvicorn", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    uvicorn = logging.getLogger("uvicorn")  # the embedded sandbox does not propagate it
    uvicorn.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        uvicorn.removeHandler(caplog.handler)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        assert_clean(formatter.format(record), f"log record of {record.name}")
        assert_clean(repr(record.args), f"log arguments of {record.name}")


def control(sandbox: EmbeddedSandbox) -> _Control:
    return _Control(sandbox.config)


class _Control:
    """The sandbox's control endpoints from synchronous test code."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config

    def _run(self, call: Any) -> Any:
        async def main() -> Any:
            async with ToteClient(self.config) as client:
                return await call(SandboxControl(client))

        return asyncio.run(main())

    def order(self, *events: str, body: dict[str, Any] | None = None) -> Order:
        async def make(ctl: SandboxControl) -> Order:
            order = await ctl.create_order(body or PICKUP)
            for event in events:
                order = await ctl.fire_event(order.id, event)
            return order

        order: Order = self._run(make)
        return order

    def fire(self, order_id: str, event: str) -> None:
        self._run(lambda ctl: ctl.fire_event(order_id, event))

    def faults(self, **faults: Any) -> None:
        self._run(lambda ctl: ctl.set_faults(**faults) if faults else ctl.clear_faults())


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture(autouse=True)
def every_notification_is_clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every notification any app raises during a test (shown or already gone) is scanned
    when the test ends."""
    sent: list[str] = []
    notify = App.notify

    def recording(self: App[Any], message: str, *, title: str = "", **options: Any) -> None:
        sent.append(f"{title} {message}")
        notify(self, message, title=title, **options)

    monkeypatch.setattr(App, "notify", recording)
    yield
    for notification in sent:
        assert_clean(notification, "a notification")


def scan_app(app: App[Any], where: str) -> str:
    """Scan what is on screen (exported as SVG); return the SVG. Notifications are scanned
    by :func:`every_notification_is_clean`."""
    svg = app.export_screenshot(title=where)
    assert "<svg" in svg
    assert_clean(svg, f"{where} screenshot")
    return svg


# -- the tracker ---------------------------------------------------------------------------------


def tracker(
    sandbox: EmbeddedSandbox, order_id: str, token: str = TOKEN, *, demo: bool = False
) -> TrackerApp:
    config = ClientConfig(base_url=sandbox.base_url, token=token)
    return TrackerApp(
        lambda: ToteClient(config, max_retries=0),
        order_id,
        auto_poll=False,
        sandbox_url=sandbox.base_url if demo else None,
        tz=UTC,
    )


async def scan_tracker(pilot: Pilot[Any], where: str) -> str:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, TrackerApp)
    scan_app(app, where)
    if app.last_error is not None:
        scan_exception(app.last_error, f"{where}: the tracker's error")
    assert_clean(repr(app.client) + repr(app.client.config), f"{where}: client repr")
    return screen_words(app)


async def test_tracker_load_refresh_and_cancel(sandbox: EmbeddedSandbox) -> None:
    ctl = control(sandbox)
    order = await asyncio.to_thread(ctl.order, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id, demo=True)
    async with app.run_test(size=(100, 34)) as pilot:
        text = await scan_tracker(pilot, "tracker, loaded")
        assert f"Order {order.short_code}" in text
        assert sandbox.base_url in text  # the demo header shows where the API is, not how
        await pilot.press("e")  # the QA console
        await scan_tracker(pilot, "tracker, QA console")
        await pilot.press("e")
        await pilot.press("r")
        await scan_tracker(pilot, "tracker, refreshed")
        await pilot.press("c")
        assert isinstance(app.screen, CancelScreen)
        await scan_tracker(pilot, "tracker, cancel dialog")
        await pilot.press("y")
        text = await scan_tracker(pilot, "tracker, cancelled")
        assert "Your order was cancelled." in text


async def test_tracker_cancel_refused_with_409(sandbox: EmbeddedSandbox) -> None:
    ctl = control(sandbox)
    order = await asyncio.to_thread(ctl.order, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await scan_tracker(pilot, "tracker before the race")
        await pilot.press("c")
        await asyncio.to_thread(ctl.fire, order.id, "start_preparing")
        await pilot.press("y")
        text = await scan_tracker(pilot, "tracker, 409")
        assert isinstance(app.screen, MessageScreen)
        assert "Too late to cancel online" in text


async def test_tracker_not_found_and_token_refused(sandbox: EmbeddedSandbox) -> None:
    missing = tracker(sandbox, MISSING)
    async with missing.run_test(size=(80, 24)) as pilot:
        text = await scan_tracker(pilot, "tracker, not found")
        assert isinstance(missing.screen, ErrorScreen)
        assert "Order not found" in text
    order = await asyncio.to_thread(control(sandbox).order)
    refused = tracker(sandbox, order.id, token=WRONG_TOKEN)
    async with refused.run_test(size=(80, 24)) as pilot:
        text = await scan_tracker(pilot, "tracker, token refused")
        assert isinstance(refused.screen, ErrorScreen)
        assert "The API refused the token" in text
        await pilot.press("r")  # trying again changes nothing, and leaks nothing
        await scan_tracker(pilot, "tracker, token refused again")
    assert refused.exit_code == 4


async def test_tracker_reconnecting_through_server_errors(sandbox: EmbeddedSandbox) -> None:
    ctl = control(sandbox)
    order = await asyncio.to_thread(ctl.order, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await scan_tracker(pilot, "tracker, before the outage")
        await asyncio.to_thread(ctl.faults, error_rate=1.0)
        try:
            await pilot.press("r")  # one failed check is no alarm; the second reconnects
            await scan_tracker(pilot, "tracker, one failed check")
            await pilot.press("r")
            text = await scan_tracker(pilot, "tracker, reconnecting")
        finally:
            await asyncio.to_thread(ctl.faults)
        assert app.freshness_text()[1] == "reconnecting"
        assert "server error · retry in" in text
        assert isinstance(app.last_error, ServerError)
        await pilot.press("r")
        await scan_tracker(pilot, "tracker, reconnected")
        assert app.last_error is None


# -- watch and list ------------------------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = result.stdout + result.stderr
    assert_clean(output, f"tote-track {' '.join(args[:2])}")
    assert "Traceback" not in output
    return result.exit_code, output


def api(sandbox: EmbeddedSandbox, token: str = TOKEN) -> tuple[str, ...]:
    return ("--base-url", sandbox.base_url, "--token", token)


def test_watch_lines_and_json(
    sandbox: EmbeddedSandbox, every_log_record: pytest.LogCaptureFixture
) -> None:
    ctl = control(sandbox)
    done = ctl.order(*PAID_AND_ACCEPTED, "start_preparing", "ready", "picked_up")
    cancelled = ctl.order("payment_started", "void")
    code, out = run_cli("watch", done.id, *api(sandbox))
    assert (code, done.short_code in out) == (0, True)
    code, out = run_cli("watch", done.id, "--json", *api(sandbox))
    assert code == 0
    assert '"event": "finished"' in out
    code, _ = run_cli("watch", cancelled.id, "--json", *api(sandbox))
    assert code == 1
    code, _ = run_cli(
        "watch", done.id, env={"TOTE_API_BASE_URL": sandbox.base_url, "TOTE_API_TOKEN": TOKEN}
    )
    assert code == 0
    code, _ = run_cli("track", done.id, *api(sandbox))  # no terminal: the same lines
    assert code == 0
    # The scan is not vacuous: the client and the HTTP libraries did log, at DEBUG too.
    names = {record.name for record in every_log_record.records}
    assert {"httpx", "tote_track.api"} <= names
    assert any(name.startswith("httpcore") for name in names)


@pytest.mark.parametrize("json_lines", [False, True], ids=["lines", "json"])
def test_watch_api_errors(sandbox: EmbeddedSandbox, json_lines: bool) -> None:
    flag = ("--json",) if json_lines else ()
    order = control(sandbox).order()
    code, out = run_cli("watch", order.id, *flag, *api(sandbox, WRONG_TOKEN))
    assert code == 4
    assert "401" in out
    code, out = run_cli("watch", MISSING, *flag, *api(sandbox))
    assert code == 4
    assert "404" in out


def test_watch_reconnecting_then_giving_up_through_server_errors(sandbox: EmbeddedSandbox) -> None:
    ctl = control(sandbox)
    order = ctl.order()
    ctl.faults(error_rate=1.0)
    try:
        code, out = run_cli("watch", order.id, "--poll-speed", "1000", *api(sandbox))
    finally:
        ctl.faults()
    assert code == 4  # never read the order before it gave up: an API error
    assert "reconnecting · retry in" in out
    assert "the API did not recover" in out


def test_list_table_json_all_and_refused(sandbox: EmbeddedSandbox) -> None:
    control(sandbox).order("payment_completed")
    code, out = run_cli("list", *api(sandbox))
    assert code == 0
    assert "CONFIRMED" in out
    code, out = run_cli("list", "--json", "--all", "--location", LOCATION, *api(sandbox))
    assert code == 0
    assert out.lstrip().startswith("[")
    code, out = run_cli("list", "--json", *api(sandbox, WRONG_TOKEN))
    assert code == 4
    assert "401" in out


# -- the board -----------------------------------------------------------------------------------


@pytest.fixture
async def board_orders(sandbox: EmbeddedSandbox) -> list[Order]:
    ctl = control(sandbox)
    return [
        await asyncio.to_thread(ctl.order, *PAID_AND_ACCEPTED, *extra)
        for extra in ((), ("start_preparing",), ("start_preparing", "ready"))
    ]


@pytest.mark.parametrize("kiosk", [False, True], ids=["normal", "kiosk"])
async def test_board(sandbox: EmbeddedSandbox, board_orders: list[Order], kiosk: bool) -> None:
    for token in (TOKEN, WRONG_TOKEN):
        config = ClientConfig(base_url=sandbox.base_url, token=token)
        app = BoardApp(
            lambda config=config: ToteClient(config, sleep=no_sleep),
            LOCATION,
            kiosk=kiosk,
            tz=UTC,
            auto_sweep=False,
        )
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            svg = scan_app(app, f"board ({token[:12]}…)")
            if token == TOKEN:
                assert app.error is None
                codes = {entry.code for entry in app.model.preparing + app.model.ready}
                assert {o.short_code for o in board_orders} <= codes
            else:
                assert isinstance(app.error, UnauthorizedError)
                scan_exception(app.error, "board's error")
                # The operator's line says why (a kiosk's customers see only that live
                # updates are paused); the token itself is nowhere.
                assert "token" in (app.problem_text() if kiosk else svg).lower()
                assert_clean(app.problem_text(), "board's problem line")


# -- exceptions, reprs ---------------------------------------------------------------------------


def scan_exception(error: BaseException, where: str) -> None:
    text = "".join(traceback.format_exception(error))  # the whole chain, causes included
    for link in (error, error.__cause__, error.__context__):
        if link is not None:
            text += f"\n{link!s}\n{link!r}\n{link.args!r}"
    assert_clean(text, where)


async def raised(config: ClientConfig, call: Any, **client: Any) -> ToteError:
    async with ToteClient(config, sleep=no_sleep, **client) as tote:
        try:
            await call(tote)
        except ToteError as error:
            return error
    raise AssertionError("no error was raised")


async def test_every_error_the_client_raises_is_clean(sandbox: EmbeddedSandbox) -> None:
    ctl = control(sandbox)
    good = sandbox.config
    wrong = ClientConfig(base_url=sandbox.base_url, token=WRONG_TOKEN)
    preparing = await asyncio.to_thread(ctl.order, *PAID_AND_ACCEPTED, "start_preparing")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    nowhere = ClientConfig(f"http://127.0.0.1:{closed_port}/v1/online-ordering", TOKEN)
    cases: list[tuple[ClientConfig, Any, type[ToteError], dict[str, Any]]] = [
        (wrong, lambda c: c.get_order(preparing.id), UnauthorizedError, {}),
        (wrong, lambda c: c.cancel_order(preparing.id, "x"), UnauthorizedError, {}),
        (good, lambda c: c.get_order(MISSING), NotFoundError, {}),
        (good, lambda c: c.cancel_order(preparing.id, "late"), CancelNotAllowedError, {}),
        (good, lambda c: c.request_json("GET", "/orders?limit=0"), BadRequestError, {}),
        (nowhere, lambda c: c.get_order(preparing.id), ApiConnectionError, {}),
    ]
    # A server (or proxy) that echoes the Authorization header back in its answers.
    echo = {"transport": httpx.MockTransport(echo_the_header)}
    cases += [
        (good, lambda c: c.get_order(preparing.id), UnauthorizedError, echo),
        (good, lambda c: c.list_orders(), BadResponseError, echo),
        (good, lambda c: c.cancel_order(preparing.id, "x"), ServerError, echo),
    ]
    for config, call, kind, extra in cases:
        error = await raised(config, call, **extra)
        assert isinstance(error, kind), (kind, error)
        scan_exception(error, f"{kind.__name__}")
    await asyncio.to_thread(ctl.faults, error_rate=1.0)
    try:
        error = await raised(good, lambda c: c.get_order(preparing.id))
        assert isinstance(error, ServerError)
        assert error.attempts == 3
        scan_exception(error, "ServerError after retries")
    finally:
        await asyncio.to_thread(ctl.faults)
    await asyncio.to_thread(ctl.faults, latency_ms=2000)
    try:
        error = await raised(good, lambda c: c.get_order(preparing.id), attempt_timeout=0.2)
        assert isinstance(error, ApiTimeoutError)
        scan_exception(error, "ApiTimeoutError")
    finally:
        await asyncio.to_thread(ctl.faults)


def echo_the_header(request: httpx.Request) -> httpx.Response:
    said = request.headers["Authorization"]
    if request.method == "POST":
        return httpx.Response(502, text=f"<html>bad gateway for {said}</html>")
    if request.url.path.endswith("/orders"):
        return httpx.Response(200, json={"data": said, "pagination": {"next_cursor": said}})
    body = {"error": {"code": "unauthorized", "message": f"{said} is not a valid token"}}
    return httpx.Response(401, json=body)


async def test_reprs_redact_the_token(sandbox: EmbeddedSandbox) -> None:
    config = ClientConfig(base_url=sandbox.base_url, token=TOKEN)
    async with ToteClient(config) as client:
        texts = [repr(config), str(config), repr(client), repr(sandbox), repr(vars(client))]
    assert "<redacted>" in repr(config)
    for text in texts:
        if "_http" in text:  # the httpx client's own state holds the header, by design
            continue
        assert_clean(text, "repr")


# -- the sandbox command -------------------------------------------------------------------------


def test_sandbox_banner_with_a_token_does_not_print_it() -> None:
    argv = [sys.executable, "-m", "tote_track", "sandbox", "--port", "0", "--token", TOKEN]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    banner = []
    try:
        for line in proc.stdout:
            banner.append(line)
            if "Press Ctrl-C to stop." in line:
                break
    finally:
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    out = "".join(banner) + rest
    assert_clean(out, "the sandbox's stdout")
    assert_clean(err, "the sandbox's stderr")
    assert "Authenticate with the token you passed with --token (shown here as $TOKEN)" in out
    assert 'curl -H "Authorization: Bearer $TOKEN"' in out
    assert proc.returncode == 0


# -- where a token may never go ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://orders.example.com/v1/online-ordering",
        "http://10.0.0.5:8787/v1/online-ordering",
        "http://0.0.0.0:8787/v1/online-ordering",
        "http://[2001:db8::1]/v1/online-ordering",
    ],
)
def test_a_token_over_plain_http_beyond_loopback_is_refused(url: str) -> None:
    with pytest.raises(InsecureTransportError) as refused:
        ClientConfig.resolve(url, TOKEN)
    scan_exception(refused.value, "the refusal")
    for command in (["list"], ["watch", "f9a8b7c6-d5e4-3210-fedc-ba9876543210"]):
        code, out = run_cli(*command, "--base-url", url, "--token", TOKEN)
        assert code == 2
        assert "Refusing to send the API token over plain http://" in out
    # Loopback is fine (the local sandbox), and so is https anywhere.
    assert ClientConfig.resolve("http://127.0.0.1:8787/v1/online-ordering", TOKEN).token == TOKEN
    assert ClientConfig.resolve("https://orders.example.com/v1", TOKEN).token == TOKEN


def test_the_sandbox_refuses_public_addresses_with_its_default_token() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.20"):
        out, err = io.StringIO(), io.StringIO()
        code = run_sandbox(host=host, port=0, token="sandbox", db=None, orders=0, out=out, err=err)
        assert code == 2
        assert f"refusing to listen on {host}" in err.getvalue()
        assert out.getvalue() == ""  # no banner: it never started
    code, said = run_cli("sandbox", "--host", "0.0.0.0", "--port", "0")
    assert code == 2
    assert "pass --token-file with a secret of your own" in said
