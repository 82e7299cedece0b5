"""The tracker's commands: ``tote-track ORDER_ID`` (``track``) and ``tote-track demo``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import pickup_order
from tote_track import cli
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import ApiConnectionError
from tote_track.api.warm import WarmConnection
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tracking.polling import Scenario, Schedule

ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox() as running:
        yield running


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli.main, list(args))


def test_a_malformed_order_id_is_a_usage_error() -> None:
    result = invoke("not-an-order")
    assert result.exit_code == 2
    assert "'not-an-order' is not an order: give the order's 6-character code" in result.output
    assert "f9a8b7c6-d5e4-3210-fedc-ba9876543210" in result.output


def test_a_token_over_plain_http_is_refused_before_anything() -> None:
    result = invoke(ORDER_ID, "--base-url", "http://orders.example.com/v1", "--token", "s3cret")
    assert result.exit_code == 2
    assert "Refusing to send the API token" in result.output
    assert "s3cret" not in result.output


def test_track_opens_the_tracker_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[ClientConfig, str, dict[str, Any]]] = []

    def fake_run_tracker(config: ClientConfig, order_id: str, **flags: Any) -> int:
        calls.append((config, order_id, flags))
        return 0

    monkeypatch.setattr("tote_track.run.stdout_is_terminal", lambda: True)
    monkeypatch.setattr("tote_track.run.stdin_is_terminal", lambda: True)
    monkeypatch.setattr("tote_track.tui.tracker.app.run_tracker", fake_run_tracker)
    result = invoke(ORDER_ID.upper(), "--token", "t0k", "--no-bell")
    assert result.exit_code == 0
    [(config, order_id, flags)] = calls
    assert order_id == ORDER_ID  # canonical form
    assert config.token == "t0k"
    # the API's connection, opening while Textual loads (api.warm), for this API
    warm = flags.pop("warm")
    assert isinstance(warm, WarmConnection)
    assert warm.config == config
    # --no-bell: the old --no-notify
    assert flags == {"notify": False, "policy": None, "verbose": False}


def test_without_a_terminal_it_prints_a_line_per_change_until_the_end(
    sandbox: EmbeddedSandbox,
) -> None:
    order_id = pickup_order(sandbox, "payment_completed", "accept", "start_preparing", "ready")
    short = order_id[:6].upper()
    done = pickup_order(
        sandbox, "payment_completed", "accept", "start_preparing", "ready", "picked_up"
    )
    result = invoke(done, "--base-url", sandbox.base_url, "--token", sandbox.token)
    assert result.exit_code == 0
    assert "stdout is not a terminal" in result.output
    assert f"{done[:6].upper()} COMPLETED PAID FULFILLED · Picked up. Enjoy!" in result.output
    assert short not in result.output


def test_without_a_terminal_a_cancelled_order_exits_1(sandbox: EmbeddedSandbox) -> None:
    order_id = pickup_order(sandbox, "payment_started", "void")
    result = invoke("track", order_id, "--base-url", sandbox.base_url, "--token", sandbox.token)
    assert result.exit_code == 1
    assert "VOIDED" in result.output


def test_without_a_terminal_an_unknown_order_exits_4(sandbox: EmbeddedSandbox) -> None:
    result = invoke(ORDER_ID, "--base-url", sandbox.base_url, "--token", sandbox.token)
    assert result.exit_code == 4
    assert "Error:" in result.output
    assert sandbox.token not in result.output.replace("sandbox API", "")


def test_a_short_code_is_found_and_followed(sandbox: EmbeddedSandbox) -> None:
    done = pickup_order(
        sandbox, "payment_completed", "accept", "start_preparing", "ready", "picked_up"
    )
    code = done[:6].upper()
    for args in ([code.lower()], ["track", code], ["watch", code]):
        result = invoke(*args, "--base-url", sandbox.base_url, "--token", sandbox.token)
        assert result.exit_code == 0, result.output
        assert f"{code} COMPLETED PAID FULFILLED · Picked up. Enjoy!" in result.output


def test_an_order_link_is_followed_on_the_configured_api(sandbox: EmbeddedSandbox) -> None:
    done = pickup_order(
        sandbox, "payment_completed", "accept", "start_preparing", "ready", "picked_up"
    )
    link = f"https://shop.invalid/orders/{done}?from=mail"
    result = invoke("watch", link, "--base-url", sandbox.base_url, "--token", sandbox.token)
    assert result.exit_code == 0, result.output
    assert f"{done[:6].upper()} COMPLETED PAID FULFILLED" in result.output


def test_a_code_no_recent_order_has_exits_4(sandbox: EmbeddedSandbox) -> None:
    result = invoke("watch", "000000", "--base-url", sandbox.base_url, "--token", sandbox.token)
    assert result.exit_code == 4
    assert "Error: No order with the code 000000 among" in result.output
    assert "Traceback" not in result.output


def test_demo_rejects_an_unknown_scenario_before_starting_anything() -> None:
    result = invoke("demo", "--scenario", "teleport")
    assert result.exit_code == 2
    assert "unknown scenario 'teleport'" in result.output
    assert "cancel_window" in result.output


def test_demo_creates_an_autoplay_order_and_tracks_it_with_the_sandbox_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def fake_run_tracker(config: ClientConfig, order_id: str, **flags: Any) -> int:
        async def fetch() -> Any:
            async with ToteClient(config) as client:
                return await client.get_order(order_id)

        seen.update(config=config, order=asyncio.run(fetch()), flags=flags)
        return 0

    monkeypatch.setattr("tote_track.run.stdout_is_terminal", lambda: True)
    monkeypatch.setattr("tote_track.run.stdin_is_terminal", lambda: True)
    monkeypatch.setattr("tote_track.tui.tracker.app.run_tracker", fake_run_tracker)
    result = invoke("demo", "--scenario", "curbside", "--speed", "0.01")
    assert result.exit_code == 0, result.output
    assert seen["config"].base_url.startswith("http://127.0.0.1:")
    assert seen["flags"]["sandbox"] is True
    assert seen["order"].handoff.mode == "CURBSIDE"
    # The demo's polling keeps pace with the sandbox's speed (here 100 times slower).
    policy = seen["flags"]["policy"]
    assert policy.schedule(Scenario.PREPARATION) == Schedule(500, 3000, 360_000)


def test_the_board_demo_without_a_terminal_is_a_usage_error() -> None:
    result = invoke("demo", "--board")  # the runner's stdout is no terminal
    assert result.exit_code == 2
    assert "Error: the board needs a terminal (stdout is not one)." in result.output


def test_help_lists_the_tracker_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "track" in result.output
    track_help = invoke("track", "--help").output
    assert "--no-notify" in track_help
    assert "TOTE_NOTIFY" in track_help


def test_demo_says_so_when_its_order_cannot_be_created(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*args: Any) -> Any:
        raise ApiConnectionError("Connection refused")

    monkeypatch.setattr("tote_track.demo.create_demo_order", refuse)
    result = invoke("demo")
    assert result.exit_code == 1
    assert "the demo order could not be created: Connection refused" in result.output


def test_demo_says_so_when_the_sandbox_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: EmbeddedSandbox) -> EmbeddedSandbox:
        raise RuntimeError("no free port")

    monkeypatch.setattr(EmbeddedSandbox, "start", fail)
    result = invoke("demo")
    assert result.exit_code == 1
    assert "the demo sandbox could not start: no free port" in result.output
