"""Following an order without a screen: a line per change, the watch exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.tui.support import BASE_URL, FakeApi, envelope, guide_order
from tote_track import exit_codes
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.models import FulfillmentStatus, OrderStatus, OrderSummary
from tote_track.headless import (
    TARGETS,
    follow_order,
    orders_json,
    orders_table,
    parse_target,
)
from tote_track.tracking.polling import (
    SCHEDULES,
    UNREACHED_ATTEMPTS,
    PollingPolicy,
    Scenario,
    Schedule,
)

ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
START = datetime(2026, 1, 31, 10, 9, 12, tzinfo=UTC)


class Run:
    """follow_order on a scripted API with a fake clock that moves only when it sleeps."""

    def __init__(
        self,
        api: FakeApi,
        policy: PollingPolicy | None = None,
        *,
        until: str | None = None,
        json_lines: bool = False,
    ) -> None:
        self.api = api
        self.policy = policy
        self.until = until
        self.json_lines = json_lines
        self.now = 0.0
        self.delays: list[float] = []
        self.lines: list[str] = []
        self.warnings: list[str] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def wall(self) -> datetime:
        return START + timedelta(seconds=self.now)

    async def __call__(self) -> int:
        # As the commands do: no retries in the client, the policy owns every wait.
        config = ClientConfig(base_url=BASE_URL, token="sandbox")
        async with ToteClient(config, transport=self.api.transport, max_retries=0) as client:
            return await follow_order(
                client,
                ORDER_ID,
                echo=self.lines.append,
                warn=self.warnings.append,
                until=self.until,
                json_lines=self.json_lines,
                policy=self.policy,
                monotonic=lambda: self.now,
                wall=self.wall,
                sleep=self.sleep,
                tz=UTC,
            )

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


def state(api: FakeApi, **fields: str) -> httpx.Response:
    return httpx.Response(200, json={**api.order, **fields})


async def test_prints_a_line_per_change_and_exits_0_when_completed() -> None:
    api = FakeApi()
    api.queue += [
        state(api, status="PENDING", payment_status="UNPAID", fulfillment_status="PENDING"),
        state(api, status="PENDING", payment_status="UNPAID", fulfillment_status="PENDING"),
        state(api, fulfillment_status="PENDING"),
        state(api, fulfillment_status="READY_FOR_PICKUP"),
        state(api, status="COMPLETED", fulfillment_status="FULFILLED"),
    ]
    run = Run(api)
    assert await run() == exit_codes.OK
    assert len(run.lines) == 4  # the repeated PENDING state is not printed twice
    assert run.lines[0].endswith(
        "F9A8B7 PENDING UNPAID PENDING · Waiting for your payment to go through."
    )
    assert run.lines[-1].endswith("F9A8B7 COMPLETED PAID FULFILLED · Picked up. Enjoy!")
    assert run.delays == [1.0, 2.0, 5.0, 10.0]  # payment 1, 2; preparation 5, 10


async def test_an_order_that_ends_another_way_exits_1() -> None:
    api = FakeApi()
    api.set(status="CANCELLED", fulfillment_status="CANCELLED")
    run = Run(api)
    assert await run() == exit_codes.ENDED_OTHERWISE
    assert "CANCELLED" in run.lines[0]


async def test_an_older_answer_is_not_printed() -> None:
    api = FakeApi()
    api.queue += [
        state(api, fulfillment_status="PREPARING"),
        state(api, fulfillment_status="IN_PROGRESS", updated_at="2026-01-31T10:08:00Z"),
        state(api, status="COMPLETED", fulfillment_status="FULFILLED"),
    ]
    run = Run(api)
    assert await run() == exit_codes.OK
    assert [line.split(" · ")[0].split()[-1] for line in run.lines] == ["PREPARING", "FULFILLED"]


async def test_not_found_exits_4() -> None:
    api = FakeApi()
    api.queue.append(envelope(404, "not_found", "Order not found"))
    run = Run(api)
    assert await run() == exit_codes.API_ERROR
    assert run.warnings[0].startswith("Error: Order not found")


async def test_an_api_never_reached_exits_4_after_a_few_attempts() -> None:
    api = FakeApi()
    api.queue += [httpx.ConnectError("refused")] * 300
    run = Run(api)
    assert await run() == exit_codes.API_ERROR
    # The same few attempts as list (UNREACHED_ATTEMPTS), not the scenario's hour.
    assert len(api.requests) == UNREACHED_ATTEMPTS == 3
    assert run.delays == [5.0, 10.0]
    assert "reconnecting · retry in 5 s · Could not reach" in run.warnings[0]
    assert run.warnings[-1].startswith("Error: Could not reach")
    assert run.warnings[-1].endswith("; no answer after 3 attempts")
    assert run.lines == []


async def test_dropped_connections_before_the_first_load_reached_a_server() -> None:
    # A server that takes the request and hangs up is there (a flaky proxy, a restart):
    # more drops in a row than an unreached API gets attempts, then the order.
    api = FakeApi()
    drops = [httpx.RemoteProtocolError("Server disconnected")] * (UNREACHED_ATTEMPTS + 2)
    api.queue += [*drops, state(api, status="COMPLETED", fulfillment_status="FULFILLED")]
    run = Run(api)
    assert await run() == exit_codes.OK
    assert len(api.requests) == UNREACHED_ATTEMPTS + 3
    assert len(run.lines) == 1


async def test_once_loaded_a_network_that_never_recovers_follows_the_schedule() -> None:
    api = FakeApi()
    api.queue += [state(api), *[httpx.ConnectError("refused")] * 300]
    short = dict(SCHEDULES)
    short[Scenario.PREPARATION] = Schedule(initial=5, maximum=30, max_duration=60)
    run = Run(api, PollingPolicy(short))
    assert await run() == exit_codes.API_ERROR
    assert len(api.requests) > UNREACHED_ATTEMPTS + 1
    assert sum(run.delays) == 60  # the scenario's max duration
    assert "did not recover" in run.warnings[-1]
    assert len(run.lines) == 1


async def test_recovers_after_a_transient_failure() -> None:
    api = FakeApi()
    api.set(status="COMPLETED", fulfillment_status="FULFILLED")
    api.queue += [envelope(503, "internal", "Unavailable")] * 3
    run = Run(api)
    assert await run() == exit_codes.OK
    assert run.delays == [5.0, 10.0, 20.0]  # each failure waits as the schedule says
    assert len(run.warnings) == 3
    assert len(run.lines) == 1


async def test_gives_up_after_the_scenario_max_duration_with_exit_3() -> None:
    api = FakeApi()  # preparing, forever
    short = dict(SCHEDULES)
    short[Scenario.PREPARATION] = Schedule(initial=5, maximum=30, max_duration=60)
    run = Run(api, PollingPolicy(short))
    assert await run() == exit_codes.GAVE_UP
    assert sum(run.delays) == 60
    assert "gave up after 1 min without a final state" in run.warnings[-1]


def short_policy() -> PollingPolicy:
    short = dict(SCHEDULES)
    short[Scenario.PREPARATION] = Schedule(initial=5, maximum=30, max_duration=60)
    return PollingPolicy(short)


def summary(**fields: Any) -> OrderSummary:
    data = guide_order()
    del data["items"], data["payments"]
    return OrderSummary.model_validate({**data, **fields})


# -- JSON lines -----------------------------------------------------------------------------


async def test_json_lines_report_every_event_with_the_last_known_order() -> None:
    api = FakeApi()
    api.queue += [
        state(api, fulfillment_status="IN_PROGRESS"),
        httpx.Response(
            429,
            json={"error": {"code": "rate_limited", "message": "Slow down"}},
            headers={"Retry-After": "12"},
        ),
        state(api, fulfillment_status="IN_PROGRESS"),
        state(api, status="COMPLETED", fulfillment_status="FULFILLED"),
    ]
    run = Run(api, json_lines=True)
    assert await run() == exit_codes.OK
    events = run.events
    assert [e["event"] for e in events] == ["change", "retry", "change", "finished"]
    first, retry, last, finished = events
    assert first == {
        "seen_at": "2026-01-31T10:09:12.000Z",
        "event": "change",
        "id": ORDER_ID,
        "short_code": "F9A8B7",
        "code": "F9A8B7",
        "status": "CONFIRMED",
        "payment_status": "PAID",
        "fulfillment_status": "IN_PROGRESS",
        "headline": first["headline"],
    }
    assert first["headline"]
    # Retry-After (12 s) wins over the schedule's 5 s; the order shown is the last known.
    assert retry["retry_in"] == 12
    assert retry["fulfillment_status"] == "IN_PROGRESS"
    assert retry["error"]["status_code"] == 429
    assert retry["error"]["code"] == "rate_limited"
    assert "Slow down" in retry["error"]["message"]
    assert run.delays[:2] == [5.0, 12.0]
    assert last["seen_at"] == "2026-01-31T10:09:49.000Z"  # 5 + 12 + 20 s later
    assert last["headline"] == "Picked up. Enjoy!"
    assert finished["outcome"] == "completed"
    assert finished["until"] is None
    assert finished["reached"] is True
    assert finished["exit_code"] == exit_codes.OK
    assert run.warnings == []  # with --json, a retry is an event on stdout only


async def test_json_error_before_the_order_was_ever_read() -> None:
    api = FakeApi()
    api.queue.append(envelope(404, "not_found", "Order not found"))
    run = Run(api, json_lines=True)
    assert await run() == exit_codes.API_ERROR
    [event] = run.events
    assert event["event"] == "error"
    assert event["id"] == ORDER_ID
    assert event["short_code"] == "F9A8B7"
    assert event["status"] is event["headline"] is None
    assert event["error"] == {
        "message": "Order not found (not_found, HTTP 404, request r1)",
        "code": "not_found",
        "status_code": 404,
        "request_id": "r1",
    }
    assert event["exit_code"] == exit_codes.API_ERROR
    assert run.warnings == ["Error: Order not found (not_found, HTTP 404, request r1)"]


async def test_json_gave_up_says_how_long_it_waited() -> None:
    run = Run(FakeApi(), short_policy(), json_lines=True)
    assert await run() == exit_codes.GAVE_UP
    assert [e["event"] for e in run.events] == ["change", "gave_up"]
    assert run.events[-1]["waited"] == 60
    assert run.events[-1]["exit_code"] == exit_codes.GAVE_UP


async def test_a_transient_failure_in_text_mode_goes_to_warn_with_the_time() -> None:
    api = FakeApi()
    api.set(status="COMPLETED", fulfillment_status="FULFILLED")
    api.queue.append(envelope(503, "internal", "Unavailable"))
    run = Run(api)
    assert await run() == exit_codes.OK
    assert run.warnings == [
        "10:09:12 reconnecting · retry in 5 s · Unavailable (internal, HTTP 503, request r1)"
    ]
    assert run.lines == ["10:09:17 F9A8B7 COMPLETED PAID FULFILLED · Picked up. Enjoy!"]


# -- --until --------------------------------------------------------------------------------


async def test_until_stops_when_the_target_is_reached() -> None:
    api = FakeApi()
    api.queue += [
        state(api, fulfillment_status="IN_PROGRESS"),
        state(api, fulfillment_status="PREPARING"),
        state(api, fulfillment_status="READY_FOR_PICKUP"),
    ]
    run = Run(api, until="READY_FOR_PICKUP", json_lines=True)
    assert await run() == exit_codes.OK
    assert [e["fulfillment_status"] for e in run.events] == [
        "IN_PROGRESS",
        "PREPARING",
        "READY_FOR_PICKUP",
        "READY_FOR_PICKUP",
    ]
    assert run.events[-1]["event"] == "finished"
    assert run.events[-1]["reached"] is True
    assert run.events[-1]["outcome"] is None  # still under way
    assert len(api.gets()) == 3


async def test_until_a_state_passed_between_two_polls_counts_as_reached() -> None:
    api = FakeApi()
    api.queue += [
        state(api, fulfillment_status="IN_PROGRESS"),
        state(api, status="COMPLETED", fulfillment_status="FULFILLED"),
    ]
    run = Run(api, until="READY_FOR_PICKUP")
    assert await run() == exit_codes.OK
    assert run.warnings == []


async def test_until_out_of_reach_exits_1_and_says_why() -> None:
    api = FakeApi()
    api.queue += [
        state(api, fulfillment_status="IN_PROGRESS"),
        state(api, status="CANCELLED", fulfillment_status="CANCELLED"),
    ]
    run = Run(api, until="READY_FOR_PICKUP", json_lines=True)
    assert await run() == exit_codes.ENDED_OTHERWISE
    finished = run.events[-1]
    assert finished["event"] == "finished"
    assert finished["reached"] is False
    assert finished["outcome"] == "cancelled"
    assert finished["exit_code"] == exit_codes.ENDED_OTHERWISE


async def test_until_returned_keeps_following_a_completed_order_until_it_is_returned() -> None:
    api = FakeApi()
    api.queue += [
        state(api, status="COMPLETED", fulfillment_status="FULFILLED"),
        state(api, status="COMPLETED", fulfillment_status="FULFILLED"),
        state(api, status="COMPLETED", fulfillment_status="RETURNED"),
    ]
    run = Run(api, until="RETURNED")
    assert await run() == exit_codes.OK
    assert run.delays == [60.0, 60.0]  # the slow check after completion
    assert run.lines[-1].endswith("F9A8B7 COMPLETED PAID RETURNED · Your order was returned.")
    assert run.warnings == []


async def test_until_returned_gives_up_with_3_when_the_slow_check_ends() -> None:
    api = FakeApi()
    api.set(status="COMPLETED", fulfillment_status="FULFILLED")
    run = Run(api, until="RETURNED")
    assert await run() == exit_codes.GAVE_UP
    assert sum(run.delays) == 7200
    assert run.warnings == [
        "gave up after 2 h without reaching RETURNED; run watch again to keep following"
    ]


@pytest.mark.parametrize(
    "seen",
    [
        ["READY_FOR_PICKUP", "FULFILLED", "RETURNED"],
        ["READY_FOR_PICKUP", "RETURNED"],  # no poll caught FULFILLED
    ],
)
async def test_a_completed_order_exits_0_whichever_states_a_poll_caught(seen: list[str]) -> None:
    api = FakeApi()
    for fulfillment in seen:
        done = fulfillment in ("FULFILLED", "RETURNED")
        api.queue.append(
            state(api, status="COMPLETED" if done else "CONFIRMED", fulfillment_status=fulfillment)
        )
    run = Run(api)
    assert await run() == exit_codes.OK
    assert run.warnings == []


async def test_a_non_zero_exit_says_why_in_one_line() -> None:
    api = FakeApi()
    api.set(status="CANCELLED", payment_status="UNPAID", fulfillment_status="CANCELLED")
    run = Run(api)
    assert await run() == exit_codes.ENDED_OTHERWISE
    assert run.warnings == ["order F9A8B7 ended cancelled, not completed (CANCELLED · CANCELLED)"]


async def test_until_completed_ending_cancelled_is_1_without_until_too() -> None:
    api = FakeApi()
    api.set(status="CANCELLED", fulfillment_status="CANCELLED")
    assert await Run(api, until="COMPLETED")() == exit_codes.ENDED_OTHERWISE
    assert await Run(api, until="CANCELLED")() == exit_codes.OK


async def test_until_gives_up_with_3_while_the_target_is_still_ahead() -> None:
    run = Run(FakeApi(), short_policy(), until="FULFILLED")
    assert await run() == exit_codes.GAVE_UP
    assert "gave up after 1 min without reaching FULFILLED" in run.warnings[-1]


def test_parse_target_accepts_every_state_in_any_case() -> None:
    assert parse_target("ready-for-pickup") == "READY_FOR_PICKUP"
    assert parse_target(" Confirmed ") == "CONFIRMED"
    assert set(TARGETS) == {s.value for s in OrderStatus} | {s.value for s in FulfillmentStatus}
    assert len(TARGETS) == 12
    for target in TARGETS:
        assert parse_target(target.lower()) == target


def test_parse_target_names_every_allowed_value() -> None:
    with pytest.raises(ValueError, match="not an order state") as caught:
        parse_target("ready")
    for target in TARGETS:
        assert target in str(caught.value)


# -- listing --------------------------------------------------------------------------------


def test_orders_table_aligns_columns_and_counts_the_orders() -> None:
    guide = summary()
    other = summary(
        id="0ad0292e-1e70-4ff0-828f-c66629060865",
        status="PENDING",
        payment_status="UNPAID",
        fulfillment_status="PENDING",
        handoff={"mode": "DELIVERY"},
        total={"amount": 123456, "currency": "USD"},
        created_at="2026-01-31T23:30:00-02:00",
    )
    lines = orders_table([guide, other], has_more=True, tz=UTC)
    assert lines == [
        "CODE    CREATED           STATUS     PAYMENT  FULFILLMENT  HANDOFF       TOTAL",
        "F9A8B7  2026-01-31 10:07  CONFIRMED  PAID     PREPARING    Curbside     $19.45",
        "0AD029  2026-02-01 01:30  PENDING    UNPAID   PENDING      Delivery  $1,234.56",
        "2 orders · more: run with --all",
    ]
    assert orders_table([guide], tz=UTC)[-1] == "1 order"
    assert orders_table([]) == ["No orders match."]


def test_orders_table_shows_values_it_does_not_know_as_sent() -> None:
    order = summary(status="ON_HOLD", handoff={"mode": "DRONE"})
    [_, row, _] = orders_table([order], tz=UTC)
    assert "ON_HOLD" in row
    assert "Drone" in row


def test_orders_json_is_the_api_data_as_sent() -> None:
    data = guide_order()
    del data["items"], data["payments"]
    data["new_field"] = {"kept": True}
    order = OrderSummary.model_validate(data)
    assert json.loads(orders_json([order])) == [data]
    assert json.loads(orders_json([])) == []


@pytest.mark.parametrize(("mode", "target"), [("PICKUP", "DELIVERED"), ("DELIVERY", "FULFILLED")])
async def test_until_a_handoff_the_mode_never_has_exits_1_at_once(mode: str, target: str) -> None:
    api = FakeApi()
    api.set(handoff={"mode": mode}, status="PENDING", payment_status="UNPAID")
    api.set(fulfillment_status="PENDING")
    run = Run(api, until=target)
    assert await run() == exit_codes.ENDED_OTHERWISE
    assert len(api.gets()) == 1  # decided by the first answer, no waiting
    assert run.delays == []
    assert run.warnings[-1] == (
        f"{target} can no longer be reached: a {mode.lower()} order is never {target}"
    )
