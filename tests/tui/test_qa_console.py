"""The QA console in the tracker: against the real sandbox app in-process, and snapshots.

Events and fault presets are chosen with the keyboard (tab, arrows, enter), as a QA engineer
would; the sandbox's orders are created without autoplay, so only the console moves them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.tui.conftest import Sandbox
from tests.tui.support import (
    BASE_URL,
    FakeApi,
    envelope,
    make_app,
    make_client,
    poll,
    running_timers,
    screen_words,
    settle,
    textual_own_timers,
)
from tote_track.api.models import FulfillmentStatus, HandoffMode, Order
from tote_track.demo import MANUAL_SCENARIOS, demo_order_body
from tote_track.tracking.lifecycle import (
    FULFILLMENT_TRANSITIONS,
    ORDER_TRANSITIONS,
    LifecycleEvent,
    events_allowed_for,
)
from tote_track.tui.tracker.app import TrackerApp
from tote_track.tui.tracker.dialogs import CancelScreen
from tote_track.tui.tracker.qa_console import (
    FAULT_PRESETS,
    QAConsole,
    describe_event,
    preset_matching,
    verdict_words,
)

PICKUP = demo_order_body("manual", 1.0)
DELIVERY = demo_order_body("manual_delivery", 1.0)
SPLIT: dict[str, Any] = {
    **PICKUP,
    "payments": [
        {"amount": {"amount": 1000, "currency": "USD"}, "payment_method": "GIFT_CARD"},
        {"amount": {"amount": 945, "currency": "USD"}, "payment_method": "CREDIT_CARD"},
    ],
}
CANCEL = "customer cancel (c, y)"


def qa_tracker(transport: httpx.AsyncBaseTransport, order_id: str) -> TrackerApp:
    """The tracker as ``tote-track demo`` runs it (sandbox URL set), quiet and frozen."""
    return make_app(transport, order_id=order_id, sandbox_url=BASE_URL, notify=False)


def console_of(app: TrackerApp) -> QAConsole:
    assert app.qa_console is not None
    return app.qa_console


def allowed_now(order: Order | None) -> tuple[LifecycleEvent, ...]:
    assert order is not None
    return tuple(events_allowed_for(order))


def offered(app: TrackerApp) -> tuple[str, ...]:
    """The event options on screen, in order."""
    events = console_of(app).query_one("#qa-events", OptionList)
    if not events.display:
        return ()
    return tuple(str(option.id) for option in events.options)


async def open_console(pilot: Pilot[Any]) -> QAConsole:
    await pilot.press("e")
    await settle(pilot)
    console = console_of(pilot.app)  # type: ignore[arg-type]
    assert console.is_open
    return console


async def choose(pilot: Pilot[Any], list_id: str, option_id: str) -> None:
    """Tab to the list, arrow to the option, press enter, and wait for what follows."""
    options = console_of(pilot.app).query_one(list_id, OptionList)  # type: ignore[arg-type]
    for _ in range(4):
        if options.has_focus:
            break
        await pilot.press("tab")
    assert options.has_focus, f"tab never reached {list_id}"
    index = options.get_option_index(option_id)  # raises if it is not offered
    moves = index - (options.highlighted or 0)
    await pilot.press(*["down" if moves > 0 else "up"] * abs(moves), "enter")
    await settle(pilot)


async def fire(pilot: Pilot[Any], event: str) -> None:
    await choose(pilot, "#qa-events", event)


async def preset(pilot: Pilot[Any], key: str) -> None:
    await choose(pilot, "#qa-faults", key)


async def sandbox_faults(sandbox: Sandbox) -> dict[str, Any]:
    async with make_client(sandbox.transport) as client:
        config: dict[str, Any] = await client.request_json("GET", "/sandbox/faults")
    return config


# -- the key --------------------------------------------------------------------------


async def test_the_console_key_is_offered_only_against_a_sandbox(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP)
    plain = make_app(sandbox.transport, order_id=order.id)
    async with plain.run_test() as pilot:
        await settle(pilot)
        assert "e" not in plain.screen.active_bindings
        assert plain.check_action("qa_console", ()) is False
        assert not plain.query(QAConsole)
        titles = [c.title for c in plain.get_system_commands(plain.screen)]
        assert "QA console" not in titles
        await pilot.press("e")
        assert plain.qa_console is None
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "e" in app.screen.active_bindings
        assert app.screen.active_bindings["e"].binding.description == "QA console"
        assert "QA console" in [c.title for c in app.get_system_commands(app.screen)]
        assert not console_of(app).is_open  # closed until asked for
        assert not console_of(app).display
        await pilot.press("c")  # a dialog on top: the key is not offered there
        assert isinstance(app.screen, CancelScreen)
        assert app.check_action("qa_console", ()) is False


async def test_open_close_and_keyboard_focus_at_80x24(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP)
    textual_timers = await textual_own_timers()
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        console = await open_console(pilot)
        events = console.query_one("#qa-events", OptionList)
        faults = console.query_one("#qa-faults", OptionList)
        scripts = console.query_one("#qa-scripts", OptionList)
        assert events.has_focus
        text = screen_words(app)
        assert f"Order {order.id[:6].upper()}" in text  # the order stays in view
        assert "● Placed" in text
        assert "QA console · sandbox · polling" in text
        assert "Events allowed at PENDING · UNPAID · PENDING" in text
        assert "payment_completed a payment completes: confirmed" in text
        assert "Faults: off" in text
        assert "updated just now" in text  # the freshness line is still on screen
        assert console.region.bottom <= app.size.height - 2  # above freshness and footer
        # Idle with the console open: nothing runs but the tracker's own freshness tick
        # (this tracker polls only when told to) and the console's polling verdict.
        assert running_timers() - textual_timers == {"freshness", "qa-verdict"}
        assert not any(worker.is_running for worker in app.workers)
        assert "QA console · sandbox · polling ✔ ok" in screen_words(app)
        assert console.verdict == "Polling vs the guide: ✔ ok (0 waits)"
        await pilot.press("tab")
        assert faults.has_focus
        # Focus stays inside while it is open: tab cycles through the three lists.
        await pilot.press("tab")
        assert scripts.has_focus
        await pilot.press("tab")
        assert events.has_focus
        await pilot.press("tab", "tab", "tab", "tab")
        assert faults.has_focus
        await pilot.press("shift+tab")
        assert events.has_focus
        await pilot.press("shift+tab", "e")  # e with focus in the console closes it
        await settle(pilot)
        assert not console.is_open
        assert running_timers() - textual_timers == {"freshness"}  # the verdict stops
        await pilot.press("e")
        assert console.is_open
        await pilot.press("escape")
        assert not console.is_open
        assert not console.display
        assert app.focused is None or console not in app.focused.ancestors_with_self
        await pilot.press("e")
        assert console.is_open
        await pilot.press("e")
        assert not console.is_open


# -- only allowed events --------------------------------------------------------------


async def test_split_payment_offers_exactly_the_allowed_events_at_each_step(
    sandbox: Sandbox,
) -> None:
    """PENDING/UNPAID, PROCESSING, CONFIRMED/PARTIALLY_PAID, ... (the walk below checks the
    rest of the states, READY_FOR_PICKUP per handoff mode included)."""
    order = await sandbox.order(SPLIT)
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        console = await open_console(pilot)
        seen = []
        for step in ("payment_started", "payment_completed", "payment_started", None):
            assert app.order is not None
            seen.append(app.order.payment_status.value)
            expected = allowed_now(app.order)
            assert offered(app) == tuple(event.value for event in expected)
            assert console.events == expected
            text = screen_words(app)
            for event in expected:
                assert describe_event(event, app.order.handoff.mode) in text
            if step is not None:
                await fire(pilot, step)
        assert seen == ["UNPAID", "PROCESSING", "PARTIALLY_PAID", "PARTIALLY_PAID"]
        await fire(pilot, "payment_completed")
        assert offered(app) == ("accept",)  # paid in full: the store's turn


# -- firing ---------------------------------------------------------------------------


async def test_firing_an_event_moves_the_tracker_at_once(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, "payment_completed")
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "● Placed ─ ○ Accepted" in screen_words(app)
        console = await open_console(pilot)
        start = len(sandbox.transport.requests)
        await fire(pilot, "accept")
        sent = sandbox.transport.requests[start:]
        fired = [r for r in sent if r.url.path.endswith("/events")]
        assert [r.content for r in fired] == [b'{"type":"accept"}']
        assert console.answer == "✔ accept → CONFIRMED · PAID · IN_PROGRESS"
        text = screen_words(app)
        assert "✔ accept → CONFIRMED · PAID · IN_PROGRESS" in text
        assert "✔ Placed ─ ● Accepted ─ ○ Preparing" in text  # the stepper moved
        assert "The store accepted your order." in text
        assert app.order is not None
        assert app.order.fulfillment_status == FulfillmentStatus.IN_PROGRESS
        # The tracker checked the order again (its own fetch, once) rather than trusting
        # the console's answer.
        # (The console's own reads of the sandbox's verdict, every 2 s, are not the order's.)
        reads = [r.url.path for r in sent if r.method == "GET" and "/sandbox/" not in r.url.path]
        assert reads == [f"/v1/online-ordering/orders/{order.id}"]
        assert offered(app) == ("start_preparing",)  # the list followed
        assert "Events allowed at CONFIRMED · PAID · IN_PROGRESS" in text


async def test_a_refused_event_shows_the_sandboxs_message(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, "payment_completed", "accept")
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        console = await open_console(pilot)
        assert offered(app) == ("start_preparing",)
        await sandbox.fire(order.id, "start_preparing")  # behind the console's back
        assert offered(app) == ("start_preparing",)  # now stale
        await fire(pilot, "start_preparing")
        assert console.answer.startswith(
            "✖ start_preparing refused (event_not_allowed): Event start_preparing is not "
            "allowed while the order is at"
        )
        assert "allowed now: ready, store_cancel." in console.answer
        text = screen_words(app)
        assert "✖ start_preparing refused (event_not_allowed)" in text
        # The refusal made the tracker look again: the order and the list caught up.
        assert "● Preparing" in text
        assert offered(app) == ("ready", "store_cancel")


async def test_an_event_that_cannot_be_sent_says_so() -> None:
    api = FakeApi()  # the guide's order: CONFIRMED · PAID · PREPARING
    app = qa_tracker(api.transport, api.order["id"])
    async with app.run_test() as pilot:
        await settle(pilot)
        console = await open_console(pilot)
        assert offered(app) == ("ready", "store_cancel")
        api.queue.append(httpx.ConnectError("connection refused"))
        await fire(pilot, "ready")
        assert console.answer.startswith("✖ ready not sent: ")
        assert "connect" in console.answer.lower()
        assert "✖ ready not sent" in screen_words(app)
        assert app.order is not None
        assert app.order.fulfillment_status == FulfillmentStatus.PREPARING


# -- faults ---------------------------------------------------------------------------


async def test_a_script_preset_answers_the_trackers_next_polls(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, "payment_completed", "accept")
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        console = await open_console(pilot)
        await choose(pilot, "#qa-scripts", "two_503")
        assert console.answer == "✔ script: the order's next answers: two 503s, then normal"
        reads_before = len(await sandbox.control.requests(order.id))
        await poll(pilot)  # one failed check is calm; the second in a row reconnects
        await poll(pilot)
        assert app.freshness_text()[1] == "reconnecting"
        await poll(pilot)
        assert app.freshness_text()[1] == "live"
    entries = (await sandbox.control.requests(order.id))[reads_before:]
    reads = [e["status"] for e in entries if e["method"] == "GET" and "/sandbox/" not in e["path"]]
    assert reads == [503, 503, 200]


async def test_the_console_shows_the_polling_verdict_live(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP)
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        console = await open_console(pilot)
        assert console.verdict == "Polling vs the guide: ✔ ok (0 waits)"
        for _ in range(3):  # r, r, r: reads back to back, where the payment row asks 1, 2, 4 s
            await poll(pilot)
        console.read_verdict()  # what the console's timer does every VERDICT_EVERY s
        await settle(pilot)
        assert console.verdict.startswith("Polling vs the guide: ✖ too fast (3 waits); waited ")
        assert re.search(r"after 200, payment asks [124]\.0 s$", console.verdict)
        text = screen_words(app)
        assert "QA console · sandbox · polling ✖ too fast" in text
        assert console.verdict in text


def test_verdict_words_name_the_first_wait_off_the_guide() -> None:
    report = {
        "verdict": "too_slow",
        "intervals": [
            {"seconds": 5.0, "stage": "payment", "expected": 1.0, "after": "200", "verdict": "ok"},
            {"seconds": 0.2, "stage": "after_change", "expected": None, "verdict": "ok"},
            {
                "seconds": 90.0,
                "stage": "preparation",
                "expected": 10.0,
                "maximum": 30.0,
                "after": "200",
                "verdict": "too_slow",
            },
        ],
    }
    assert verdict_words(report) == (
        "Polling vs the guide: ✖ too slow (2 waits); waited 90.0 s after 200, preparation "
        "asks 10.0 s (at most 30.0 s)"
    )
    assert verdict_words({"verdict": "ok", "intervals": []}) == (
        "Polling vs the guide: ✔ ok (0 waits)"
    )


async def test_fault_presets_reach_the_sandbox_and_the_tracker_reconnects(
    sandbox: Sandbox,
) -> None:
    order = await sandbox.order(PICKUP, "payment_completed", "accept")
    await sandbox.control.set_faults(rate_limit_per_minute=1000)  # set with curl, say
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        console = await open_console(pilot)
        assert console.active_preset is None  # read from the sandbox when opened
        assert "Faults: custom settings" in screen_words(app)
        await preset(pilot, "flaky")
        assert await sandbox_faults(sandbox) == {
            "error_rate": 0.3,
            "latency_ms": 0,
            "rate_limit_per_minute": None,  # a preset replaces the whole configuration
            "drop_rate": 0.1,
        }
        assert "Faults: flaky network" in screen_words(app)
        assert "● flaky network" in screen_words(app)
        await preset(pilot, "slow")
        faults = await sandbox_faults(sandbox)
        assert faults["latency_ms"] == 1500
        assert faults["error_rate"] == 0
        await preset(pilot, "rate_limited")
        faults = await sandbox_faults(sandbox)
        assert faults["rate_limit_per_minute"] == 6
        assert faults["latency_ms"] == 0
        assert console.active_preset is not None
        assert console.active_preset.key == "rate_limited"
        for _ in range(8):  # six requests a minute: the tracker soon runs out
            if app.freshness_text()[1] == "reconnecting":
                break
            await poll(pilot)
        line, state = app.freshness_text()
        assert state == "reconnecting"
        # The bottom line says it is rate limited and when it tries again (not "checking").
        assert re.fullmatch(r"rate limited · retry in \d+ s · last updated .*", line)
        text = screen_words(app)
        assert line in text
        assert "The store accepted your order." in text  # still shown
        await preset(pilot, "outage")
        assert (await sandbox_faults(sandbox))["error_rate"] == 1.0
        line, state = app.freshness_text()  # the outage made the tracker look again
        assert state == "reconnecting"
        assert "server error" in line
        await preset(pilot, "off")
        assert preset_matching(await sandbox_faults(sandbox)) is FAULT_PRESETS[0]
        assert app.freshness_text()[1] == "live"  # "off" made the tracker look again
        assert "Faults: off" in screen_words(app)
        assert console.answer == "✔ faults: off (every request answered)"
        await pilot.press("escape")
        await sandbox.control.set_faults(rate_limit_per_minute=6)
        await open_console(pilot)  # reopening reads them again
        assert console.active_preset is FAULT_PRESETS[3]
        await sandbox.control.clear_faults()


# -- every edge of both diagrams ------------------------------------------------------

Edge = tuple[str, str]
# Routes per handoff mode that together walk every edge; CANCEL is the customer's cancel
# through the tracker's own dialog (no sandbox event does it: it is the upstream API).
ROUTES: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    (PICKUP, ("payment_completed", "accept", "start_preparing", "ready", "picked_up", "returned")),
    (
        DELIVERY,
        ("payment_completed", "accept", "start_preparing", "ready", "delivered", "returned"),
    ),
    (PICKUP, ("payment_failed",)),
    (PICKUP, ("void",)),
    (PICKUP, (CANCEL,)),
    (PICKUP, ("payment_completed", "accept", CANCEL)),
    (PICKUP, ("payment_completed", "accept", "start_preparing", "store_cancel")),
    (DELIVERY, ("payment_completed", "accept", "start_preparing", "ready", "store_cancel")),
]


def diagram_edges(table: Any) -> set[Edge]:
    return {(str(a.value), str(b.value)) for a, targets in table.items() for b in targets}


Edges = tuple[set[Edge], set[Edge]]


def note_edges(before: Order, after: Order, edges: Edges) -> None:
    """The status and fulfillment edges between two reads of the order."""
    if after.status != before.status:
        edges[0].add((before.status.value, after.status.value))
    if after.fulfillment_status != before.fulfillment_status:
        edges[1].add((before.fulfillment_status.value, after.fulfillment_status.value))


async def replayed(sandbox: Sandbox, body: dict[str, Any], steps: tuple[str, ...]) -> Edges:
    """The edges a route walks, through the API alone (the customer's cancel included)."""
    edges: Edges = (set(), set())
    order = await sandbox.order(body)
    client = sandbox.control._client
    for step in steps:
        if step == CANCEL:
            await client.cancel_order(order.id, "Changed my mind")
            after = await client.get_order(order.id)
        else:
            after = await sandbox.fire(order.id, step)
        note_edges(order, after, edges)
        order = after
    return edges


async def test_the_routes_walk_every_edge_of_both_diagrams(sandbox: Sandbox) -> None:
    seen: Edges = (set(), set())
    for body, steps in ROUTES:
        status, fulfillment = await replayed(sandbox, body, steps)
        seen[0].update(status)
        seen[1].update(fulfillment)
    assert seen[0] == diagram_edges(ORDER_TRANSITIONS)
    assert seen[1] == diagram_edges(FULFILLMENT_TRANSITIONS)


@pytest.mark.parametrize(("body", "steps"), ROUTES, ids=[" ".join(s) for _, s in ROUTES])
async def test_the_console_walks_each_route(
    sandbox: Sandbox, body: dict[str, Any], steps: tuple[str, ...]
) -> None:
    """Each step offered, fired from the console (or the customer's cancel), answered; the
    edges seen on screen are the route's (which together are every edge, above)."""
    seen: Edges = (set(), set())
    order = await sandbox.order(body)
    app = qa_tracker(sandbox.transport, order.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        console = await open_console(pilot)
        for step in steps:
            before = app.order
            assert before is not None
            assert console.events == allowed_now(before)
            assert offered(app) == tuple(event.value for event in console.events)
            if before.fulfillment_status == FulfillmentStatus.READY_FOR_PICKUP:
                delivery = before.handoff.mode == HandoffMode.DELIVERY
                assert ("delivered" in offered(app)) is delivery
                assert ("picked_up" in offered(app)) is not delivery
                assert "store_cancel" in offered(app)
            if step == CANCEL:
                await pilot.press("c")
                assert isinstance(app.screen, CancelScreen)
                await pilot.press("y")
                await settle(pilot)
            else:
                await fire(pilot, step)
                assert console.answer.startswith(f"✔ {step} → "), console.answer
            after = app.order
            assert after is not None
            assert after.updated_at >= before.updated_at
            note_edges(before, after, seen)
        assert console.events == allowed_now(app.order)
        if not console.events:  # nothing left to fire: the keys go to the faults
            assert console.query_one("#qa-faults", OptionList).has_focus
            assert "None: no event is allowed from this state." in screen_words(app)
    assert seen == await replayed(sandbox, body, steps)


def test_manual_demo_orders_do_not_move_by_themselves() -> None:
    assert set(MANUAL_SCENARIOS) == {"manual", "manual_delivery"}
    for name in MANUAL_SCENARIOS:
        assert "autoplay" not in demo_order_body(name, 8.0)
    assert demo_order_body("pickup", 8.0) == {"autoplay": {"scenario": "pickup", "speed": 8.0}}


# -- snapshots ------------------------------------------------------------------------

SnapCompare = Callable[..., bool]
FAULTS_OFF = {"error_rate": 0.0, "latency_ms": 0, "rate_limit_per_minute": None, "drop_rate": 0.0}
POLLING_OK = {
    "verdict": "ok",
    "intervals": [
        {"at": "2026-01-31T10:09:05Z", "seconds": 5.0, "stage": "preparation", "expected": 5.0},
        {"at": "2026-01-31T10:09:15Z", "seconds": 10.0, "stage": "preparation", "expected": 10.0},
    ],
}


class ScriptedSandbox(FakeApi):
    """The scripted API plus the sandbox's faults endpoint and a refusing events endpoint."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/online-ordering")
        if path == "/sandbox/faults":
            self.requests.append(request)
            return httpx.Response(200, json=FAULTS_OFF)
        if path.startswith("/sandbox/orders/") and path.endswith("/polling"):
            self.requests.append(request)
            return httpx.Response(200, json=POLLING_OK)
        if path.startswith("/sandbox/orders/") and path.endswith("/events"):
            self.requests.append(request)
            return envelope(
                409,
                "event_not_allowed",
                "Event ready is not allowed while the order is at CONFIRMED · PAID · "
                "READY_FOR_PICKUP; allowed now: picked_up, store_cancel.",
            )
        return super().handle(request)


def pending_order() -> ScriptedSandbox:
    api = ScriptedSandbox()
    api.set(
        status="PENDING",
        payment_status="UNPAID",
        fulfillment_status="PENDING",
        payments=[],
        handoff={"mode": "PICKUP"},
        total_paid={"amount": 0, "currency": "USD"},
        balance_due={"amount": 1945, "currency": "USD"},
    )
    return api


async def opened(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)


def test_snapshot_console_open_at_100x30(snap_compare: SnapCompare) -> None:
    api = pending_order()
    app = qa_tracker(api.transport, api.order["id"])
    assert snap_compare(app, terminal_size=(100, 30), run_before=opened)


def test_snapshot_refused_event_at_80x24(snap_compare: SnapCompare) -> None:
    api = ScriptedSandbox()  # the guide's curbside order, being prepared

    async def refused(pilot: Pilot[Any]) -> None:
        await opened(pilot)
        await pilot.press("enter")  # "ready", the first event offered
        await settle(pilot)

    app = qa_tracker(api.transport, api.order["id"])
    assert snap_compare(app, terminal_size=(80, 24), run_before=refused)


async def test_help_lists_the_console_key_only_in_sandbox_mode() -> None:
    from tests.tui.support import FakeApi, make_app, screen_text, settle

    for sandbox_url, expected in ((None, False), ("http://127.0.0.1:1/v1/online-ordering", True)):
        app = make_app(FakeApi().transport, sandbox_url=sandbox_url)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            assert ("QA console" in screen_text(app)) is expected
