"""The tracker and the board over HTTPS: a real TLS socket on loopback, trusted or not.

The sandbox serves HTTPS with a certificate from a throwaway CA. Trusted (``--ca-bundle``),
the order and the codes show; not trusted, the tracker's error screen and the board's
offline banner say so in one sentence with the next step.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Iterator
from dataclasses import replace

import pytest
from textual.widgets import Static

from tests.tui.support import screen_words, settle
from tests.tui.test_real_terminal import TOTE_TRACK, Tmux
from tests.tui.test_real_terminal import tmux as tmux  # the fixture
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.sandbox.seed import LOCATIONS
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tui.board.app import BoardApp
from tote_track.tui.tracker.app import TrackerApp

NOT_TRUSTED = "is not trusted: if your company uses its own CA, pass --ca-bundle FILE"


@pytest.fixture(autouse=True)
def no_machine_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what the test names is trusted (this machine sets SSL_CERT_FILE)."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(orders=12, seed=7, tls=True) as running:
        yield running


def untrusted(config: ClientConfig) -> ClientConfig:
    return replace(config, ca_bundle=None)


async def first_order_id(config: ClientConfig) -> str:
    async with ToteClient(config) as client:
        page = await client.list_orders(limit=1)
    return page.data[0].id


async def test_the_tracker_shows_the_order_over_https_with_the_ca_trusted(
    sandbox: EmbeddedSandbox,
) -> None:
    assert sandbox.base_url.startswith("https://")
    order_id = await first_order_id(sandbox.config)
    app = TrackerApp(lambda: ToteClient(sandbox.config, max_retries=0), order_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.order is not None
        assert f"Order {order_id[:6].upper()}" in screen_words(app)


async def test_the_tracker_says_an_untrusted_certificate_in_one_sentence(
    sandbox: EmbeddedSandbox,
) -> None:
    order_id = await first_order_id(sandbox.config)
    config = untrusted(sandbox.config)
    app = TrackerApp(lambda: ToteClient(config, max_retries=0), order_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        words = " ".join(str(widget.render()) for widget in app.screen.query(Static))
        assert "Secure connection refused" in screen_words(app)
        assert f"The certificate of 127.0.0.1 {NOT_TRUSTED}" in words
        assert app.exit_code == 4
        assert sandbox.token not in words or sandbox.token == "sandbox"


async def test_the_board_shows_codes_over_https_and_says_why_when_not_trusted(
    sandbox: EmbeddedSandbox,
) -> None:
    location = LOCATIONS[0].id
    board = BoardApp(lambda: ToteClient(sandbox.config, max_retries=0), location, kiosk=True)
    async with board.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert board.sweeps >= 1
        assert "Live updates paused" not in screen_words(board)
    config = untrusted(sandbox.config)
    offline = BoardApp(lambda: ToteClient(config, max_retries=0), location, kiosk=True)
    async with offline.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        words = " ".join(str(widget.render()) for widget in offline.screen.query(Static))
        assert "Live updates paused" in words
        # A kiosk shows customers no technical detail: the reason is the operator's (the log).
        assert NOT_TRUSTED in " ".join(offline.problem_text().split())


@pytest.mark.tmux
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
async def test_the_tracker_over_https_in_a_real_terminal(
    sandbox: EmbeddedSandbox, tmux: Tmux
) -> None:
    order_id = await first_order_id(sandbox.config)
    assert sandbox.ca_file is not None
    command = " ".join(
        shlex.quote(part)
        for part in (
            str(TOTE_TRACK),
            "--base-url",
            sandbox.base_url,
            "--ca-bundle",
            str(sandbox.ca_file),
            "--token",
            sandbox.token,
            order_id,
        )
    )
    tmux.keys(f"clear; env -u SSL_CERT_FILE -u SSL_CERT_DIR {command}; echo EXIT=$?", "Enter")
    screen = tmux.wait_for(lambda s: "Status" in s and f"Order {order_id[:6].upper()}" in s)
    assert "Secure connection refused" not in screen
    tmux.keys("q")
    screen = tmux.wait_for(lambda s: "EXIT=" in s)
    assert "EXIT=0" in screen
