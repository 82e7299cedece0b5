"""Following an order without a screen: a line per change, the watch exit codes."""

from __future__ import annotations

import httpx

from tests.tui.support import FakeApi, envelope, make_client
from tote_track.headless import (
    EXIT_API_ERROR,
    EXIT_ENDED_OTHERWISE,
    EXIT_GAVE_UP,
    EXIT_OK,
    follow_order,
)
from tote_track.tracking.polling import SCHEDULES, PollingPolicy, Scenario, Schedule

ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"


class Run:
    """follow_order on a scripted API with a fake clock that moves only when it sleeps."""

    def __init__(self, api: FakeApi, policy: PollingPolicy | None = None) -> None:
        self.api = api
        self.policy = policy
        self.now = 0.0
        self.delays: list[float] = []
        self.lines: list[str] = []
        self.warnings: list[str] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    async def __call__(self) -> int:
        async with make_client(self.api.transport) as client:
            return await follow_order(
                client,
                ORDER_ID,
                echo=self.lines.append,
                warn=self.warnings.append,
                policy=self.policy,
                monotonic=lambda: self.now,
                sleep=self.sleep,
            )


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
    assert await run() == EXIT_OK
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
    assert await run() == EXIT_ENDED_OTHERWISE
    assert "CANCELLED" in run.lines[0]


async def test_an_older_answer_is_not_printed() -> None:
    api = FakeApi()
    api.queue += [
        state(api, fulfillment_status="PREPARING"),
        state(api, fulfillment_status="IN_PROGRESS", updated_at="2026-01-31T10:08:00Z"),
        state(api, status="COMPLETED", fulfillment_status="FULFILLED"),
    ]
    run = Run(api)
    assert await run() == EXIT_OK
    assert [line.split(" · ")[0].split()[-1] for line in run.lines] == ["PREPARING", "FULFILLED"]


async def test_not_found_exits_4() -> None:
    api = FakeApi()
    api.queue.append(envelope(404, "not_found", "Order not found"))
    run = Run(api)
    assert await run() == EXIT_API_ERROR
    assert run.warnings[0].startswith("error: Order not found")


async def test_a_network_that_never_recovers_exits_4() -> None:
    api = FakeApi()
    api.queue += [httpx.ConnectError("refused")] * 300
    short = dict(SCHEDULES)
    short[Scenario.PREPARATION] = Schedule(initial=5, maximum=30, max_duration=60)
    run = Run(api, PollingPolicy(short))
    assert await run() == EXIT_API_ERROR
    assert "reconnecting · retry in 5 s · Could not reach" in run.warnings[0]
    assert "did not recover" in run.warnings[-1]
    assert run.lines == []


async def test_recovers_after_a_transient_failure() -> None:
    api = FakeApi()
    api.set(status="COMPLETED", fulfillment_status="FULFILLED")
    api.queue += [envelope(503, "internal", "Unavailable")] * 3
    run = Run(api)
    assert await run() == EXIT_OK
    assert run.delays == [5.0]
    assert len(run.lines) == 1


async def test_gives_up_after_the_scenario_max_duration_with_exit_3() -> None:
    api = FakeApi()  # preparing, forever
    short = dict(SCHEDULES)
    short[Scenario.PREPARATION] = Schedule(initial=5, maximum=30, max_duration=60)
    run = Run(api, PollingPolicy(short))
    assert await run() == EXIT_GAVE_UP
    assert sum(run.delays) == 60
    assert "gave up after 1 min without a final state" in run.warnings[-1]
