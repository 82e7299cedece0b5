from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tote_track.api.client import DEFAULT_MAX_RETRIES
from tote_track.api.errors import ApiConnectionError, ApiTimeoutError, ServerError
from tote_track.api.models import OrderSummary
from tote_track.tracking.polling import (
    RETRY_AFTER_CAP,
    SCHEDULES,
    UNREACHED_ATTEMPTS,
    PollingPolicy,
    PollPlan,
    Scenario,
    Schedule,
    StopReason,
    never_reached,
    scenario_for,
    should_replace,
)

from .orders import make_order

POLICY = PollingPolicy()
SLACK = 1e-6

# One order per scenario, and one per terminal status.
ORDERS: dict[Scenario, OrderSummary] = {
    Scenario.PAYMENT: make_order("PENDING", "UNPAID", "PENDING"),
    Scenario.PREPARATION: make_order("CONFIRMED", "PAID", "PREPARING"),
    Scenario.DELIVERY: make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "DELIVERY"),
    Scenario.COMPLETED: make_order("COMPLETED", "PAID", "FULFILLED"),
}
GUIDE_SCENARIOS = [Scenario.PAYMENT, Scenario.PREPARATION, Scenario.DELIVERY]
TERMINAL_ORDERS = [
    make_order("COMPLETED", "PAID", "RETURNED"),
    make_order("FAILED", "UNPAID", "CANCELLED"),
    make_order("VOIDED", "UNPAID", "CANCELLED"),
    make_order("CANCELLED", "UNPAID", "CANCELLED"),
]

TERMINAL_IDS = [f"{o.status}-{o.fulfillment_status}" for o in TERMINAL_ORDERS]

# --- scenario_for ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["PICKUP", "CURBSIDE", "KIOSK", "DELIVERY", "DRONE"])
@pytest.mark.parametrize("payment", ["UNPAID", "PROCESSING", "PARTIALLY_PAID", "ON_HOLD"])
def test_pending_and_not_paid_is_payment(mode: str, payment: str) -> None:
    assert scenario_for(make_order("PENDING", payment, "PENDING", mode)) is Scenario.PAYMENT


def test_pending_but_paid_waits_for_the_store() -> None:
    assert scenario_for(make_order("PENDING", "PAID", "PENDING")) is Scenario.PREPARATION


@pytest.mark.parametrize("mode", ["PICKUP", "CURBSIDE", "KIOSK", "DELIVERY"])
@pytest.mark.parametrize("fulfillment", ["PENDING", "IN_PROGRESS", "PREPARING"])
def test_confirmed_before_ready_is_preparation(mode: str, fulfillment: str) -> None:
    order = make_order("CONFIRMED", "PAID", fulfillment, mode)
    assert scenario_for(order) is Scenario.PREPARATION


@pytest.mark.parametrize("mode", ["PICKUP", "CURBSIDE", "KIOSK", "DRONE"])
def test_ready_in_collection_modes_is_preparation(mode: str) -> None:
    order = make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", mode)
    assert scenario_for(order) is Scenario.PREPARATION


def test_ready_for_delivery_is_delivery() -> None:
    order = make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "DELIVERY")
    assert scenario_for(order) is Scenario.DELIVERY


@pytest.mark.parametrize(
    ("fulfillment", "mode"), [("FULFILLED", "PICKUP"), ("DELIVERED", "DELIVERY")]
)
def test_handed_over_but_not_yet_completed_is_preparation(fulfillment: str, mode: str) -> None:
    assert scenario_for(make_order("CONFIRMED", "PAID", fulfillment, mode)) is Scenario.PREPARATION


def test_partially_paid_confirmed_order_is_preparation() -> None:
    order = make_order("CONFIRMED", "PARTIALLY_PAID", "IN_PROGRESS")
    assert scenario_for(order) is Scenario.PREPARATION


@pytest.mark.parametrize("order", TERMINAL_ORDERS, ids=TERMINAL_IDS)
def test_terminal_status_means_stop(order: OrderSummary) -> None:
    assert scenario_for(order) is None


@pytest.mark.parametrize(
    ("status", "payment", "fulfillment", "mode"),
    [
        ("ON_HOLD", "PAID", "PREPARING", "PICKUP"),
        ("CONFIRMED", "PAID", "BAGGING", "PICKUP"),
        ("CONFIRMED", "PAID", "BAGGING", "DELIVERY"),
        ("CONFIRMED", "SETTLING", "PREPARING", "DRONE"),
    ],
)
def test_unknown_values_fall_back_to_preparation(
    status: str, payment: str, fulfillment: str, mode: str
) -> None:
    assert scenario_for(make_order(status, payment, fulfillment, mode)) is Scenario.PREPARATION


# --- schedules ------------------------------------------------------------------------------


def test_schedules_are_the_guides_table() -> None:
    assert {
        Scenario.PAYMENT: Schedule(1, 5, 120),
        Scenario.PREPARATION: Schedule(5, 30, 3600),
        Scenario.DELIVERY: Schedule(10, 60, 7200),
        # After completion: the delivery schedule's max interval, until its max duration.
        Scenario.COMPLETED: Schedule(60, 60, 7200),
    } == SCHEDULES
    assert [s.value for s in Scenario] == ["payment", "preparation", "delivery", "completed"]


def test_schedules_cannot_be_mutated() -> None:
    with pytest.raises(TypeError):
        SCHEDULES[Scenario.PAYMENT] = Schedule(1, 1, 1)  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        SCHEDULES[Scenario.PAYMENT].initial = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("initial", "maximum", "max_duration"), [(0, 5, 10), (6, 5, 10), (1, 5, 4)]
)
def test_schedule_rejects_impossible_bounds(
    initial: float, maximum: float, max_duration: float
) -> None:
    with pytest.raises(ValueError, match="initial <= maximum"):
        Schedule(initial, maximum, max_duration)


def test_backoff_doubles_up_to_the_maximum() -> None:
    assert [SCHEDULES[Scenario.PREPARATION].backoff(n) for n in range(6)] == [5, 10, 20, 30, 30, 30]
    assert [SCHEDULES[Scenario.PAYMENT].backoff(n) for n in range(5)] == [1, 2, 4, 5, 5]
    assert [SCHEDULES[Scenario.DELIVERY].backoff(n) for n in range(5)] == [10, 20, 40, 60, 60]
    assert SCHEDULES[Scenario.DELIVERY].backoff(10**9) == 60
    assert SCHEDULES[Scenario.DELIVERY].backoff(-3) == 10


def test_policy_needs_every_scenario() -> None:
    with pytest.raises(ValueError, match="delivery"):
        PollingPolicy({s: Schedule(1, 1, 1) for s in (Scenario.PAYMENT, Scenario.PREPARATION)})


def test_policy_accepts_faster_schedules() -> None:
    fast = PollingPolicy({s: Schedule(0.1, 0.4, 2) for s in Scenario})
    plan = fast.start(ORDERS[Scenario.PREPARATION], now=0)
    assert plan.delay == pytest.approx(0.1)
    assert fast.schedule(Scenario.DELIVERY).maximum == 0.4


# --- the policy, step by step ---------------------------------------------------------------


def test_start_waits_the_initial_interval() -> None:
    for scenario, order in ORDERS.items():
        plan = POLICY.start(order, now=100)
        assert plan == PollPlan(scenario, 100, 0, 0, SCHEDULES[scenario].initial, None)
        assert not plan.stopped
        assert POLICY.deadline(plan) == 100 + SCHEDULES[scenario].max_duration


@pytest.mark.parametrize("order", TERMINAL_ORDERS, ids=TERMINAL_IDS)
def test_start_on_a_terminal_order_stops(order: OrderSummary) -> None:
    plan = POLICY.start(order, now=5)
    assert plan.stop is StopReason.TERMINAL
    assert plan.delay is None
    assert plan.scenario is None
    assert plan.stopped
    assert POLICY.deadline(plan) is None


def test_successes_double_the_delay() -> None:
    order = ORDERS[Scenario.PREPARATION]
    plan = POLICY.start(order, now=0)
    now = 0.0
    delays = []
    for _ in range(6):
        assert plan.delay is not None
        delays.append(plan.delay)
        now += plan.delay
        plan = POLICY.after_success(plan, order, now)
    assert delays == [5, 10, 20, 30, 30, 30]
    assert plan.attempt == 6
    assert plan.started_at == 0


def test_scenario_change_restarts_the_schedule() -> None:
    plan = POLICY.start(ORDERS[Scenario.PAYMENT], now=0)
    for now in (1, 3, 7):
        plan = POLICY.after_success(plan, ORDERS[Scenario.PAYMENT], now)
    assert plan.attempt == 3
    plan = POLICY.after_success(plan, ORDERS[Scenario.PREPARATION], now=12)
    assert plan == PollPlan(Scenario.PREPARATION, 12, 0, 0, 5, None)
    plan = POLICY.after_success(plan, ORDERS[Scenario.DELIVERY], now=20)
    assert plan == PollPlan(Scenario.DELIVERY, 20, 0, 0, 10, None)


def test_terminal_order_stops_polling() -> None:
    plan = POLICY.start(ORDERS[Scenario.DELIVERY], now=0)
    plan = POLICY.after_success(plan, TERMINAL_ORDERS[1], now=10)
    assert plan.stop is StopReason.TERMINAL
    assert plan.delay is None


def test_gives_up_after_the_max_duration_and_clips_the_last_delay() -> None:
    order = ORDERS[Scenario.PAYMENT]
    plan = POLICY.start(order, now=1000)
    now = 1000.0
    delays = []
    while plan.delay is not None:
        delays.append(plan.delay)
        now += plan.delay
        plan = POLICY.after_success(plan, order, now)
    # 1 + 2 + 4 + 5 * 22 = 117, then 3 s to end exactly at 120 s.
    assert delays == [1, 2, 4, *[5] * 22, 3]
    assert sum(delays) == 120
    assert plan.stop is StopReason.GAVE_UP
    assert plan.scenario is Scenario.PAYMENT
    assert now - plan.started_at == 120


def test_a_late_success_gives_up_at_once() -> None:
    order = ORDERS[Scenario.PREPARATION]
    plan = POLICY.start(order, now=0)
    plan = POLICY.after_success(plan, order, now=3600)
    assert plan.stop is StopReason.GAVE_UP
    assert plan.delay is None


def test_resume_restarts_the_scenario_clock() -> None:
    order = ORDERS[Scenario.PREPARATION]
    gave_up = POLICY.after_success(POLICY.start(order, now=0), order, now=4000)
    assert gave_up.stop is StopReason.GAVE_UP
    resumed = POLICY.resume(gave_up, order, now=5000)
    assert resumed == PollPlan(Scenario.PREPARATION, 5000, 0, 0, 5, None)
    assert POLICY.resume(gave_up, TERMINAL_ORDERS[0], now=5000).stop is StopReason.TERMINAL


def test_failures_back_off_like_successes_and_keep_the_scenario() -> None:
    order = ORDERS[Scenario.PREPARATION]
    plan = POLICY.start(order, now=0)
    plan = POLICY.after_failure(plan, now=5)
    assert (plan.scenario, plan.attempt, plan.failures, plan.delay) == (
        Scenario.PREPARATION,
        1,
        1,
        10,
    )
    plan = POLICY.after_failure(plan, now=15)
    assert (plan.attempt, plan.failures, plan.delay) == (2, 2, 20)
    plan = POLICY.after_success(plan, order, now=35)
    assert (plan.attempt, plan.failures, plan.delay) == (3, 0, 30)


def test_failure_after_the_deadline_gives_up() -> None:
    plan = POLICY.start(ORDERS[Scenario.PAYMENT], now=0)
    plan = POLICY.after_failure(plan, now=121)
    assert plan.stop is StopReason.GAVE_UP
    assert plan.failures == 1


def test_retry_after_wins_over_a_shorter_backoff() -> None:
    plan = POLICY.start(ORDERS[Scenario.PREPARATION], now=0)
    plan = POLICY.after_failure(plan, now=5, retry_after=42)
    assert plan.delay == 42
    assert plan.attempt == 1
    # the backoff goes on from where it was, not from the Retry-After
    plan = POLICY.after_success(plan, ORDERS[Scenario.PREPARATION], now=47)
    assert plan.delay == 20


def test_backoff_wins_over_a_shorter_retry_after() -> None:
    plan = POLICY.start(ORDERS[Scenario.DELIVERY], now=0)
    plan = POLICY.after_failure(plan, now=10, retry_after=1)
    assert plan.delay == 20


@pytest.mark.parametrize("retry_after", [0, -5, float("nan")])
def test_meaningless_retry_after_is_ignored(retry_after: float) -> None:
    plan = POLICY.start(ORDERS[Scenario.DELIVERY], now=0)
    assert POLICY.after_failure(plan, now=10, retry_after=retry_after).delay == 20


def test_retry_after_is_capped() -> None:
    assert RETRY_AFTER_CAP == 300
    plan = POLICY.start(ORDERS[Scenario.PREPARATION], now=0)
    assert POLICY.after_failure(plan, now=5, retry_after=86_400).delay == 300
    assert POLICY.after_failure(plan, now=5, retry_after=float("inf")).delay == 300
    assert PollingPolicy(retry_after_cap=60).after_failure(plan, 5, retry_after=500).delay == 60


def test_retry_after_past_the_deadline_gives_up_instead_of_polling_early() -> None:
    plan = POLICY.start(ORDERS[Scenario.PAYMENT], now=0)
    plan = POLICY.after_failure(plan, now=100, retry_after=30)
    assert plan.stop is StopReason.GAVE_UP
    assert plan.scenario is Scenario.PAYMENT
    assert plan.failures == 1


def test_retry_after_ending_at_the_deadline_is_kept() -> None:
    plan = POLICY.start(ORDERS[Scenario.PAYMENT], now=0)
    plan = POLICY.after_failure(plan, now=100, retry_after=20)
    assert plan.delay == 20
    assert plan.stop is None


def test_failure_on_a_stopped_plan_changes_nothing() -> None:
    stopped = POLICY.start(TERMINAL_ORDERS[0], now=0)
    assert POLICY.after_failure(stopped, now=10, retry_after=3) is stopped
    order = ORDERS[Scenario.PAYMENT]
    gave_up = POLICY.after_success(POLICY.start(order, now=0), order, now=500)
    assert POLICY.after_failure(gave_up, now=501) is gave_up


def test_plans_are_immutable() -> None:
    plan = POLICY.start(ORDERS[Scenario.PAYMENT], now=0)
    with pytest.raises(FrozenInstanceError):
        plan.delay = 3  # type: ignore[misc]


# --- should_replace -------------------------------------------------------------------------

T0 = datetime(2026, 1, 31, 10, 9, tzinfo=UTC)


def test_anything_replaces_nothing() -> None:
    assert should_replace(None, make_order(updated_at=T0))


def test_older_response_never_replaces_a_newer_one() -> None:
    newer = make_order(fulfillment_status="PREPARING", updated_at=T0 + timedelta(seconds=30))
    older = make_order(fulfillment_status="IN_PROGRESS", updated_at=T0)
    assert not should_replace(newer, older)
    assert should_replace(older, newer)


def test_same_instant_replaces() -> None:
    assert should_replace(make_order(updated_at=T0), make_order(updated_at=T0))


def test_different_order_always_replaces() -> None:
    shown = make_order(updated_at=T0 + timedelta(hours=1))
    other = make_order(order_id="0000aaaa-0000-0000-0000-000000000000", updated_at=T0)
    assert should_replace(shown, other)


def test_comparison_is_by_instant_not_by_offset() -> None:
    paris = timezone(timedelta(hours=1))
    shown = make_order(updated_at=T0)  # 10:09 UTC
    same_instant = make_order(updated_at=datetime(2026, 1, 31, 11, 9, tzinfo=paris))
    earlier = make_order(updated_at=datetime(2026, 1, 31, 11, 8, tzinfo=paris))
    assert should_replace(shown, same_instant)
    assert not should_replace(shown, earlier)


# --- after completion -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        make_order("COMPLETED", "PAID", "FULFILLED"),
        make_order("COMPLETED", "PAID", "DELIVERED", "DELIVERY"),
    ],
)
def test_a_completed_order_is_checked_slowly_for_a_return(order: OrderSummary) -> None:
    assert scenario_for(order) is Scenario.COMPLETED
    plan = POLICY.start(order, now=0)
    assert (plan.scenario, plan.delay, plan.stop) == (Scenario.COMPLETED, 60, None)
    plan = POLICY.after_success(plan, order, now=60)
    assert plan.delay == 60


def test_the_slow_check_ends_as_finished_not_given_up() -> None:
    order = ORDERS[Scenario.COMPLETED]
    plan = POLICY.start(order, now=0)
    now = 0.0
    polls = 0
    while plan.delay is not None:
        now += plan.delay
        polls += 1
        plan = POLICY.after_success(plan, order, now)
    assert (plan.stop, now, polls) == (StopReason.TERMINAL, 7200, 120)
    failing = POLICY.after_failure(POLICY.start(order, now=0), now=7100, retry_after=200)
    assert failing.stop is StopReason.TERMINAL


def test_a_return_after_completion_stops_polling() -> None:
    plan = POLICY.start(ORDERS[Scenario.COMPLETED], now=0)
    returned = POLICY.after_success(plan, make_order("COMPLETED", "PAID", "RETURNED"), now=60)
    assert returned.stop is StopReason.TERMINAL


def test_a_policy_of_the_guide_scenarios_derives_the_slow_check() -> None:
    fast = PollingPolicy({s: Schedule(1, 2, 10) for s in GUIDE_SCENARIOS})
    assert fast.schedule(Scenario.COMPLETED) == Schedule(2, 2, 10)


def test_a_scaled_policy_is_that_many_times_faster() -> None:
    fast = POLICY.scaled(10)
    assert fast.schedule(Scenario.PREPARATION) == Schedule(0.5, 3, 360)
    assert fast.schedule(Scenario.COMPLETED) == Schedule(6, 6, 720)
    assert fast.retry_after_cap == POLICY.retry_after_cap
    for speed in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive"):
            POLICY.scaled(speed)


# --- properties -----------------------------------------------------------------------------

# No per-example deadline: the machine running the suite may be busy; the work is small.
PROPERTY = settings(deadline=None, max_examples=150)
scenarios = st.sampled_from(GUIDE_SCENARIOS)
starts = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
latencies = st.floats(min_value=0, max_value=10, allow_nan=False, allow_infinity=False)
retry_afters = st.one_of(
    st.none(), st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
)
outcomes = st.lists(st.tuples(st.booleans(), latencies, retry_afters), max_size=200)


def _run_successes(scenario: Scenario, start: float, lat: list[float]) -> tuple[list[float], float]:
    """Poll one scenario until the policy stops; returns the delays and the final clock."""
    order = ORDERS[scenario]
    plan = POLICY.start(order, start)
    now = start
    delays: list[float] = []
    step = 0
    while plan.delay is not None:
        delays.append(plan.delay)
        now += plan.delay + (lat[step] if step < len(lat) else 0.0)
        step += 1
        plan = POLICY.after_success(plan, order, now)
    assert plan.stop is StopReason.GAVE_UP
    assert now - plan.started_at >= SCHEDULES[scenario].max_duration - SLACK
    return delays, now


@PROPERTY
@given(scenarios, starts, st.lists(latencies, max_size=300))
def test_success_delays_stay_within_bounds_and_never_shrink(
    scenario: Scenario, start: float, lat: list[float]
) -> None:
    schedule = SCHEDULES[scenario]
    delays, _ = _run_successes(scenario, start, lat)
    *regular, last = delays
    for delay in regular:
        assert schedule.initial <= delay <= schedule.maximum
    assert regular == sorted(regular)
    # only the last delay may be shorter: clipped to end at the deadline
    assert 0 < last <= schedule.maximum
    if last < schedule.initial or (regular and last < regular[-1]):
        assert start + sum(delays) + sum(lat[: len(delays) - 1]) == pytest.approx(
            start + schedule.max_duration, abs=SLACK
        )


@PROPERTY
@given(scenarios, starts, st.lists(latencies, max_size=300))
def test_delays_until_giving_up_fit_in_the_max_duration(
    scenario: Scenario, start: float, lat: list[float]
) -> None:
    delays, _ = _run_successes(scenario, start, lat)
    assert sum(delays) <= SCHEDULES[scenario].max_duration + SLACK


@PROPERTY
@given(scenarios, starts, outcomes)
def test_mixed_outcomes_fit_the_max_duration_and_honour_retry_after(
    scenario: Scenario,
    start: float,
    steps: list[tuple[bool, float, float | None]],
) -> None:
    schedule = SCHEDULES[scenario]
    order = ORDERS[scenario]
    plan = POLICY.start(order, start)
    now = start
    total = 0.0
    failures_in_a_row = 0
    for ok, latency, retry_after in steps:
        assert plan.delay is not None
        total += plan.delay
        now += plan.delay + latency
        if ok:
            plan = POLICY.after_success(plan, order, now)
            failures_in_a_row = 0
        else:
            plan = POLICY.after_failure(plan, now, retry_after)
            failures_in_a_row += 1
            if plan.delay is not None and retry_after:
                assert plan.delay >= min(retry_after, RETRY_AFTER_CAP)
        assert plan.scenario is scenario
        assert plan.failures == failures_in_a_row
        if plan.stop is not None:
            assert plan.stop is StopReason.GAVE_UP
            break
        assert plan.delay is not None
        assert 0 < plan.delay <= max(schedule.maximum, RETRY_AFTER_CAP)
        assert total <= schedule.max_duration + SLACK
    assert total <= schedule.max_duration + SLACK


@PROPERTY
@given(scenarios, starts, st.lists(st.booleans(), max_size=40))
def test_failures_without_retry_after_never_shrink_the_delay(
    scenario: Scenario, start: float, oks: list[bool]
) -> None:
    order = ORDERS[scenario]
    plan = POLICY.start(order, start)
    now = start
    delays: list[float] = []
    for ok in oks:
        if plan.delay is None:
            break
        delays.append(plan.delay)
        now += plan.delay
        plan = POLICY.after_success(plan, order, now) if ok else POLICY.after_failure(plan, now)
    # Only the delay that ends exactly at the deadline (the one before GAVE_UP) is clipped;
    # it may be shorter than the one before it, yet still above the initial interval.
    unclipped = delays[:-1] if plan.stop is StopReason.GAVE_UP else delays
    assert unclipped == sorted(unclipped)


@PROPERTY
@given(scenarios, scenarios, starts, st.lists(st.booleans(), max_size=20), latencies)
def test_scenario_change_restarts_at_the_initial_interval(
    first: Scenario, second: Scenario, start: float, oks: list[bool], gap: float
) -> None:
    plan = POLICY.start(ORDERS[first], start)
    now = start
    for ok in oks:
        if plan.delay is None:
            break
        now += plan.delay
        plan = (
            POLICY.after_success(plan, ORDERS[first], now)
            if ok
            else POLICY.after_failure(plan, now)
        )
    now += gap
    after = POLICY.after_success(plan, ORDERS[second], now)
    if first != second:
        assert after == PollPlan(second, now, 0, 0, SCHEDULES[second].initial, None)
    else:
        assert after.scenario is second
        assert after.started_at == start


@PROPERTY
@given(scenarios, starts, st.lists(st.booleans(), max_size=20), st.sampled_from(TERMINAL_ORDERS))
def test_terminal_order_always_stops(
    scenario: Scenario, start: float, oks: list[bool], terminal: OrderSummary
) -> None:
    plan = POLICY.start(ORDERS[scenario], start)
    now = start
    for ok in oks:
        now += 1
        plan = (
            POLICY.after_success(plan, ORDERS[scenario], now)
            if ok
            else POLICY.after_failure(plan, now)
        )
    stopped = POLICY.after_success(plan, terminal, now + 1)
    assert stopped.stop is StopReason.TERMINAL
    assert stopped.delay is None
    assert POLICY.after_failure(stopped, now + 2, retry_after=5) is stopped


def test_before_the_first_order_failures_retry_on_the_preparation_schedule() -> None:
    waiting = POLICY.before_first(100.0)
    assert (waiting.scenario, waiting.delay, waiting.stop) == (Scenario.PREPARATION, None, None)
    first = POLICY.after_failure(waiting, 100.0)
    assert first.delay == 5.0
    assert first.failures == 1
    second = POLICY.after_failure(first, 105.0)
    assert second.delay == 10.0
    assert POLICY.after_failure(waiting, 100.0, retry_after=12).delay == 12


# --- an API never reached -------------------------------------------------------------------

NO_CONNECTION = ApiConnectionError("Could not reach the Tote API at 127.0.0.1:9: refused")
SERVER_ERROR = ServerError("Unavailable", status_code=503)


def test_connection_failures_before_the_first_load_stop_after_the_few_attempts_of_list() -> None:
    assert UNREACHED_ATTEMPTS == 1 + DEFAULT_MAX_RETRIES  # the attempts of a one-shot call
    assert never_reached(NO_CONNECTION)
    assert never_reached(ApiTimeoutError("the TLS handshake did not finish in time"))
    assert not never_reached(SERVER_ERROR)
    # A connection that dropped, or an answer that never came, reached a server.
    assert not never_reached(ApiConnectionError("Server disconnected", reached=True))
    assert not never_reached(ApiTimeoutError("no answer in time", reached=True))
    plan = POLICY.before_first(0.0)
    now = 0.0
    delays = []
    for _ in range(UNREACHED_ATTEMPTS - 1):
        plan = POLICY.after_failure(plan, now, unreached=True)
        assert plan.stop is None
        assert plan.delay is not None
        delays.append(plan.delay)
        now += plan.delay
    plan = POLICY.after_failure(plan, now, unreached=True)
    assert plan.stop is StopReason.UNREACHABLE
    assert plan.delay is None
    assert plan.failures == UNREACHED_ATTEMPTS
    assert delays == [5.0, 10.0]  # the calm schedule's waits: 15 s in all, not an hour


def test_an_api_that_answers_with_errors_was_reached_and_keeps_the_schedule() -> None:
    plan = POLICY.before_first(0.0)
    for index in range(10):
        plan = POLICY.after_failure(plan, float(index), unreached=False)
        assert plan.stop is None


def test_once_loaded_connection_failures_follow_the_schedule_until_its_max_duration() -> None:
    order = ORDERS[Scenario.PREPARATION]
    plan = POLICY.start(order, 0.0)
    now = 0.0
    for _ in range(UNREACHED_ATTEMPTS * 3):
        plan = POLICY.after_failure(plan, now, unreached=True)
        assert plan.stop is None
        assert plan.loaded
        assert plan.delay is not None
        now += plan.delay


def test_an_order_read_after_a_failed_first_request_is_loaded_whatever_its_scenario() -> None:
    # The retries before the first load run the preparation schedule; an order that turns
    # out to be in that very scenario must still count as loaded, or three dropped
    # connections later the watch would stop as if the API had never answered.
    plan = POLICY.after_failure(POLICY.before_first(0.0), 0.0, unreached=True)
    assert not plan.loaded
    assert plan.delay is not None
    now = plan.delay
    plan = POLICY.after_success(plan, ORDERS[Scenario.PREPARATION], now)
    assert plan.scenario is Scenario.PREPARATION
    assert plan.loaded
    for _ in range(UNREACHED_ATTEMPTS * 2):
        assert plan.delay is not None
        now += plan.delay
        plan = POLICY.after_failure(plan, now, unreached=True)
        assert plan.stop is None
