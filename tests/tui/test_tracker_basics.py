"""The tracker on a scripted API: first load, keys, errors, late answers, unknown values."""

from __future__ import annotations

import httpx
import pytest

from tests.tui.support import FakeApi, FakeClock, envelope, make_app, poll, screen_words, settle
from tote_track.tui.app import EXIT_API_ERROR, EXIT_OK
from tote_track.tui.screens import ErrorScreen, HelpScreen, MessageScreen


async def test_first_load_shows_the_order_at_80x24() -> None:
    api = FakeApi()
    clock = FakeClock()
    app = make_app(api.transport, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        clock.advance(2)
        app.refresh_freshness()
        await pilot.pause()
        text = screen_words(app)
    assert "Order F9A8B7" in text
    assert "Curbside · Silver Toyota Camry" in text
    assert "✔ Placed" in text
    assert "● Preparing" in text
    assert "○ Picked up" in text
    assert "Your order is being prepared." in text
    assert "Payment received" in text
    assert "$19.45" in text
    assert "Balance due" in text
    assert "can no longer be cancelled online" in text
    assert "updated 2 s ago · next check in 3 s · preparation (5→30 s)" in text
    assert len(api.gets()) == 1


async def test_quit_returns_zero() -> None:
    app = make_app(FakeApi().transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("q")
    assert app.return_value == EXIT_OK


async def test_help_screen_opens_and_closes() -> None:
    app = make_app(FakeApi().transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "Cancel the order" in screen_words(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_not_found_at_start_is_an_error_screen_with_exit_code_4() -> None:
    api = FakeApi()
    api.queue.append(envelope(404, "not_found", "Order not found"))
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        text = screen_words(app)
        assert "Order not found" in text
        assert "Check the id" in text
        await pilot.press("q")
    assert app.return_value == EXIT_API_ERROR


async def test_refused_token_says_how_to_set_one() -> None:
    api = FakeApi()
    api.queue.append(envelope(401, "unauthorized", "Missing or invalid bearer token"))
    app = make_app(api.transport)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_words(app)
    assert "The API refused the token" in text
    assert "TOTE_API_TOKEN" in text
    assert "sandbox" not in text.replace("sandbox.api", "")  # the token is never drawn


async def test_error_screen_retry_recovers() -> None:
    api = FakeApi()
    api.queue.append(envelope(404, "not_found", "Order not found"))
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        await poll(pilot)
        assert not isinstance(app.screen, ErrorScreen)
        assert "Your order is being prepared." in screen_words(app)
        await pilot.press("q")
    assert app.return_value == EXIT_OK


async def test_an_older_answer_never_replaces_the_shown_order() -> None:
    api = FakeApi()
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        older = dict(api.order, fulfillment_status="IN_PROGRESS", updated_at="2026-01-31T10:08:00Z")
        api.queue.append(httpx.Response(200, json=older))
        await poll(pilot)
        assert app.order is not None
        assert app.order.fulfillment_status == "PREPARING"
        assert "● Preparing" in screen_words(app)
        assert len(api.gets()) == 2


async def test_unknown_status_values_are_shown_as_is() -> None:
    api = FakeApi()
    api.set(status="ON_HOLD", fulfillment_status="QUALITY_CHECK", payment_status="DISPUTED")
    app = make_app(api.transport)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_words(app)
        await pilot.press("c")
        assert isinstance(app.screen, MessageScreen)
        assert "contact the store" in screen_words(app)
    assert "QUALITY_CHECK" in text
    assert "ON_HOLD" in text
    assert api.cancels() == []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_not_eligible_cancel_explains_without_calling_the_api(
    size: tuple[int, int],
) -> None:
    api = FakeApi()
    app = make_app(api.transport)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, MessageScreen)
        assert "Contact the store" in screen_words(app)
        await pilot.press("enter")
        assert not isinstance(app.screen, MessageScreen)
    assert api.cancels() == []


async def test_freshness_line_counts_from_the_injected_clock() -> None:
    clock = FakeClock()
    app = make_app(FakeApi().transport, clock=clock)
    async with app.run_test() as pilot:
        await settle(pilot)
        clock.advance(3)
        assert app.freshness_text() == (
            "updated 3 s ago · next check in 2 s · preparation (5→30 s)",
            "live",
        )
