"""The tracker on a scripted API: first load, keys, errors, late answers, unknown values."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Button

from tests.tui.support import (
    ORDER_ID,
    FakeApi,
    FakeClock,
    envelope,
    make_app,
    make_client,
    poll,
    running_timers,
    screen_text,
    screen_words,
    settle,
    textual_own_timers,
)
from tote_track import exit_codes
from tote_track.api.client import ToteClient
from tote_track.tracking.polling import SCHEDULES, PollingPolicy, Scenario, Schedule
from tote_track.tui.tracker.app import TrackerApp
from tote_track.tui.tracker.dialogs import CancelScreen, ErrorScreen, HelpScreen, MessageScreen
from tote_track.tui.tracker.widgets import KeysFooter


async def test_first_load_shows_the_order_at_80x24(api: FakeApi) -> None:
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
    assert "Paid in full" in text
    assert "$19.45" in text
    assert "Balance due" not in text  # nothing is due on a paid order
    assert "can no longer be cancelled online" in text
    assert "updated 2 s ago · next check in 3 s" in text
    assert "preparation (5→30 s)" not in text  # QA detail
    assert len(api.gets()) == 1


async def test_the_frame_shows_the_short_code_and_a_calm_fetching_line(api: FakeApi) -> None:
    api.hold_next()  # never answered
    app = make_app(api.transport)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_words(app)
        assert len(api.gets()) == 1  # the first fetch is in flight while the frame shows
        await pilot.press("q")
    assert "Order F9A8B7" in text
    assert "Fetching order…" in text
    assert ORDER_ID not in text  # the short code, not the whole id
    # No empty boxes: the panels come with the order, filled.
    assert "Status" not in text
    assert "Items & payments" not in text


async def test_quit_cancels_a_fetch_in_flight_closes_the_client_and_returns_zero(
    api: FakeApi,
) -> None:
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        api.hold_next()  # never answered
        await pilot.press("r")
        await pilot.pause()
        [worker] = [w for w in app.workers if w.group == "poll-0"]
        assert worker.is_running
        assert "checking now…" in app.freshness_text()[0]
        await pilot.press("q")
    assert worker.is_cancelled
    assert app.return_value == exit_codes.OK
    with pytest.raises(RuntimeError, match="client has been closed"):  # httpx's words
        await app.client.get_order(ORDER_ID)


async def test_help_screen_opens_and_closes() -> None:
    app = make_app(FakeApi().transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "Cancel the order" in screen_words(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_not_found_at_start_is_an_error_screen_with_exit_code_4(api: FakeApi) -> None:
    api.queue.append(envelope(404, "not_found", "Order not found"))
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        text = screen_words(app)
        assert "Order not found" in text
        assert "Check the id" in text
        await pilot.press("q")
    assert app.return_value == exit_codes.API_ERROR


async def test_refused_token_says_how_to_set_one(api: FakeApi) -> None:
    api.queue.append(envelope(401, "unauthorized", "Missing or invalid bearer token"))
    app = make_app(api.transport)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_words(app)
    assert "The API refused the token" in text
    assert "TOTE_API_TOKEN" in text
    assert "sandbox" not in text.replace("sandbox.api", "")  # the token is never drawn


async def test_an_older_answer_never_replaces_the_shown_order(api: FakeApi) -> None:
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


async def test_unknown_status_values_are_shown_as_is(api: FakeApi) -> None:
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
    size: tuple[int, int], api: FakeApi
) -> None:
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
            "updated 3 s ago · next check in 2 s",
            "live",
        )


async def test_a_cancel_in_flight_says_so_and_a_second_press_does_nothing(api: FakeApi) -> None:
    api.set(fulfillment_status="IN_PROGRESS")
    api.hold = asyncio.Event()
    app = make_app(api.transport)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c", "y")
        screen = app.screen
        assert isinstance(screen, CancelScreen)
        assert app.cancelling
        assert str(screen.query_one("#cancel-confirm", Button).label) == "Cancelling…"
        assert app.check_action("cancel_order", ()) is False  # hidden from the footer
        assert app.check_action("cancelling", ()) is None  # shown, disabled
        await pilot.press("y", "y", "escape")
        assert app.screen is screen  # cannot back out while the store decides
        assert "Still cancelling" in screen_words(app)
        api.hold.set()
        await settle(pilot)
        assert not isinstance(app.screen, CancelScreen)
        assert not app.cancelling
        assert "Refunded $19.45 to your credit card" in screen_words(app)
    assert len(api.cancels()) == 1


async def test_backing_out_of_the_cancel_dialog_sends_nothing_and_keeps_the_choice(
    api: FakeApi,
) -> None:
    api.set(fulfillment_status="PENDING")
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("c", "down", "enter", "n")
        assert not isinstance(app.screen, CancelScreen)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CancelScreen)
        assert screen.draft.preset == 1
        await pilot.press("escape")
    assert api.cancels() == []


async def test_other_needs_words_before_anything_is_sent(api: FakeApi) -> None:
    api.set(fulfillment_status="PENDING")
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("c", "down", "down", "down", "enter", "y")
        assert isinstance(app.screen, CancelScreen)
        assert 'Please say why in the text box when you choose "Other".' in screen_words(app)
    assert api.cancels() == []


async def test_server_down_at_start_is_reconnecting_not_a_crash(api: FakeApi) -> None:
    api.queue.append(httpx.ConnectError("refused"))
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert len(api.gets()) == 1  # the client does not retry: the policy waits
        assert not isinstance(app.screen, ErrorScreen)
        assert app.freshness_text() == (
            "reconnecting · retry in 5 s · no connection",
            "reconnecting",
        )
        assert "Fetching order…" in screen_words(app)
        await poll(pilot)
        assert "Your order is being prepared." in screen_words(app)
        assert app.freshness_text()[1] == "live"


async def test_retry_after_wins_over_the_schedule(api: FakeApi) -> None:
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        limited = httpx.Response(
            429,
            json={"error": {"code": "rate_limited", "message": "Slow down"}},
            headers={"Retry-After": "20"},
        )
        api.queue.extend([limited] * 3)
        await poll(pilot)
        assert app.freshness_text()[0] == "rate limited · retry in 20 s · last updated just now"


async def test_a_refused_token_after_loading_stops_and_says_so(api: FakeApi) -> None:
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        api.queue.append(envelope(401, "unauthorized", "Token revoked"))
        await poll(pilot)
        line, state = app.freshness_text()
        assert state == "error"
        assert "Token revoked" in line
        assert "press r to try again" in line
        assert "Your order is being prepared." in screen_words(app)  # still shown


async def test_pauses_after_the_max_duration_and_r_resumes() -> None:
    clock = FakeClock()
    short = dict(SCHEDULES)
    short[Scenario.PREPARATION] = Schedule(initial=5, maximum=30, max_duration=60)
    app = make_app(FakeApi().transport, clock=clock, policy=PollingPolicy(short))
    async with app.run_test() as pilot:
        await settle(pilot)
        clock.advance(61)
        await poll(pilot)
        assert app.freshness_text() == (
            "paused after 1 min of checks · press r to check again",
            "paused",
        )
        await poll(pilot)
        assert app.plan is not None
        assert app.plan.stop is None
        assert app.freshness_text()[1] == "live"


async def test_keys_are_in_the_palette_and_every_binding_has_an_id_and_a_tooltip() -> None:
    app = make_app(FakeApi().transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        footer_keys = set(app.screen.active_bindings)
    assert {"Refresh now", "Cancel order", "Help", "Quit"} <= set(titles)
    assert {"r", "c", "q", "question_mark"} <= footer_keys
    for owner in (TrackerApp, CancelScreen, MessageScreen, HelpScreen, ErrorScreen):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id
            assert binding.tooltip


def test_every_key_runs_a_real_action() -> None:
    """A binding to a missing action does nothing (or, worse, works only by falling
    through to another binding of the same key)."""
    for owner in (TrackerApp, CancelScreen, MessageScreen, HelpScreen, ErrorScreen):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            namespace, _, action = binding.action.partition("(")[0].rpartition(".")
            target = TrackerApp if namespace == "app" else owner
            assert callable(getattr(target, f"action_{action}", None)), (owner, binding.action)


async def test_r_on_the_error_screen_asks_again_and_shows_the_order(api: FakeApi) -> None:
    api.queue.append(envelope(404, "not_found", "Order not found"))
    app = make_app(api.transport)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        await poll(pilot)
        assert not isinstance(app.screen, ErrorScreen)
        assert "Your order is being prepared." in screen_words(app)
        await pilot.press("q")
    assert len(api.gets()) == 2
    assert app.return_value == exit_codes.OK


@pytest.mark.parametrize("theme", ["textual-light", "nord"])
async def test_works_with_no_color_and_other_themes(
    theme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(FakeApi().transport)
    async with app.run_test() as pilot:
        app.theme = theme
        await settle(pilot)
        text = screen_words(app)
    assert "✔ Placed" in text
    assert "● Preparing" in text


async def test_a_narrow_terminal_lists_the_steps_one_per_line() -> None:
    app = make_app(FakeApi().transport)
    async with app.run_test(size=(60, 30)) as pilot:
        await settle(pilot)
        lines = [line.strip() for line in screen_text(app).splitlines()]
    assert "✔ Placed  10:07" in lines
    assert "● Preparing  10:09" in lines
    assert "○ Picked up" in lines


async def test_alerts_can_be_silenced_but_the_words_stay_on_screen(api: FakeApi) -> None:
    app = make_app(api.transport, notify=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        api.set(fulfillment_status="READY_FOR_PICKUP", updated_at="2026-01-31T10:12:00Z")
        await poll(pilot)
        assert "Park in a curbside spot" in screen_words(app)
        assert app.notified == []
    assert app.bells == 0
    assert app.escapes == []


async def test_between_polls_only_two_timers_run_the_next_poll_and_the_freshness_line() -> None:
    textual_timers = await textual_own_timers()
    app = TrackerApp(lambda: make_client(FakeApi().transport), ORDER_ID, clock=FakeClock().clock)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert running_timers() - textual_timers == {"next-poll", "freshness"}
        assert not any(worker.is_running for worker in app.workers)


async def test_a_poll_of_the_same_order_and_the_freshness_tick_redraw_no_panel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large order costs seconds per layout pass: unchanged polls and the 1 Hz tick must
    not ask for one (only the freshness line repaints)."""
    layouts: list[str] = []
    refresh = Widget.refresh

    def spy(self: Widget, *regions: Any, layout: bool = False, **flags: Any) -> Any:
        if layout:
            layouts.append(type(self).__name__)
        return refresh(self, *regions, layout=layout, **flags)

    api = FakeApi()
    clock = FakeClock()
    app = make_app(api.transport, clock=clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert app.order is not None
        monkeypatch.setattr(Widget, "refresh", spy)
        for _ in range(3):
            clock.advance(1)
            app.refresh_freshness()
            await pilot.pause()
        await poll(pilot)
        await poll(pilot)
        panels = {"ItemsPanel", "StatusPanel", "MoneyPanel", "OrderHeader", "CancelHint"}
        assert panels.isdisjoint(layouts), layouts
        api.set(fulfillment_status="READY_FOR_PICKUP")
        await poll(pilot)
        assert "StatusPanel" in layouts  # a real change is still shown
        assert "ItemsPanel" not in layouts


async def test_the_frame_is_on_screen_before_the_client_is_made(api: FakeApi) -> None:
    """The first frame (the order's code from its id, "Fetching order…") is drawn first;
    the client, and the libraries it loads, come after it."""
    seen_when_made: list[str] = []
    app: TrackerApp

    def make() -> ToteClient:
        seen_when_made.append(screen_words(app))
        return make_client(api.transport, max_retries=0)

    app = TrackerApp(make, ORDER_ID, clock=FakeClock().clock, auto_poll=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "Your order is being prepared." in screen_words(app)
    [frame] = seen_when_made
    assert f"Order {ORDER_ID[:6].upper()}" in frame
    assert "Fetching order…" in frame
    assert "Your order is being prepared." not in frame


async def test_the_panels_come_with_the_first_order_and_take_the_focus(api: FakeApi) -> None:
    app = make_app(api.transport)
    async with app.run_test(size=(80, 16)) as pilot:  # too short for the whole order
        await settle(pilot)
        text = screen_words(app)
        body = app.query_one("#body")
        assert app.focused is body  # the arrow keys scroll the order
        assert "Fetching order…" not in text
        assert "Items & payments" in text
        before = body.scroll_y
        await pilot.press("down")
        await settle(pilot)
        assert body.scroll_y > before


async def test_the_first_order_arriving_under_the_help_is_there_when_it_closes(
    api: FakeApi,
) -> None:
    gate = api.hold_next()
    app = make_app(api.transport)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()  # not settle: it would wait on the fetch held at the gate
        assert isinstance(app.screen, HelpScreen)
        gate.set()
        await settle(pilot)
        assert app.order is not None
        assert isinstance(app.screen, HelpScreen)  # the order did not close the help
        await pilot.press("escape")
        await settle(pilot)
        text = screen_words(app)
        assert "Your order is being prepared." in text
        assert "Fetching order…" not in text
        assert app.focused is app.query_one("#body")


async def test_the_footer_is_rebuilt_only_when_its_keys_change(api: FakeApi) -> None:
    """Textual rebuilds its footer on every refresh of the bindings (the focus moving, a
    scrollbar appearing); the tracker's footer keeps its keys while they stay the same."""
    app = make_app(api.transport)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        footer = app.query_one(KeysFooter)
        keys = list(footer.children)
        body = app.query_one("#body")
        body.blur()
        await settle(pilot)
        body.focus()
        app.screen.refresh_bindings()
        await settle(pilot)
        assert list(footer.children) == keys  # the same widgets: nothing was rebuilt
        app.cancelling = True  # "Cancelling…" takes the cancel key's place
        await settle(pilot)
        assert list(footer.children) != keys
        assert "Cancelling…" in screen_words(app)
