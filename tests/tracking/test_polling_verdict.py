"""The polling judge: a client that follows the policy is ok, whatever it meets; faster
is too_fast, slower than the stage's max is too_slow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tote_track.tracking.polling import PollingPolicy, PollPlan, Scenario
from tote_track.tracking.polling_verdict import Observed, Verdict, judge

START = datetime(2026, 1, 31, 10, 7, tzinfo=UTC)
POLICY = PollingPolicy()


def reads_after(waits: list[float], stage: Scenario | None = Scenario.PAYMENT) -> list[Observed]:
    """Reads answered 200 at once, ``waits`` apart."""
    at = START
    seen = [Observed(at, 0.0, read=True, stage=stage)]
    for wait in waits:
        at += timedelta(seconds=wait)
        seen.append(Observed(at, 0.0, read=True, stage=stage))
    return seen


def test_nothing_to_judge_is_ok() -> None:
    assert judge([]).verdict is Verdict.OK
    assert judge(reads_after([])).intervals == ()


def test_the_payment_row_doubles_from_one_second_to_five() -> None:
    report = judge(reads_after([1, 2, 4, 5, 5]))
    assert report.verdict is Verdict.OK
    assert [i.expected for i in report.intervals] == [1, 2, 4, 5, 5]
    assert {i.stage for i in report.intervals} == {"payment"}


def test_not_doubling_is_too_fast_and_past_the_max_too_slow() -> None:
    assert judge(reads_after([1, 1])).verdict is Verdict.TOO_FAST
    assert judge(reads_after([5, 5, 5])).verdict is Verdict.OK  # slower than due, under max
    slow = judge(reads_after([1, 2, 9]))
    assert slow.verdict is Verdict.TOO_SLOW
    assert [i.verdict for i in slow.intervals] == [Verdict.OK, Verdict.OK, Verdict.TOO_SLOW]


def test_too_fast_wins_over_too_slow() -> None:
    assert judge(reads_after([0.1, 60])).verdict is Verdict.TOO_FAST


def test_the_wait_runs_from_the_end_of_the_previous_answer() -> None:
    slow_answer = Observed(START, 3.0, read=True, stage=Scenario.PAYMENT)
    next_read = Observed(START + timedelta(seconds=4), 0.0, read=True, stage=Scenario.PAYMENT)
    (interval,) = judge([slow_answer, next_read]).intervals
    assert interval.seconds == 1.0
    assert interval.verdict is Verdict.OK


def test_errors_back_off_and_retry_after_is_honoured() -> None:
    failed = Observed(START, 0.0, read=True, status=503, retry_after=None)
    limited = Observed(START + timedelta(seconds=5), 0.0, read=True, status=429, retry_after=20)
    early = Observed(START + timedelta(seconds=15), 0.0, read=True, stage=Scenario.PREPARATION)
    report = judge([failed, limited, early])
    # Before any order: the calm preparation row (5 s), then at least the Retry-After.
    assert [i.expected for i in report.intervals] == [5.0, 20.0]
    assert [i.after for i in report.intervals] == ["503", "429, Retry-After 20 s"]
    assert report.verdict is Verdict.TOO_FAST


def test_a_change_restarts_the_schedule_and_its_read_is_not_judged() -> None:
    first = Observed(START, 0.0, read=True, stage=Scenario.PAYMENT)
    event = Observed(START + timedelta(seconds=0.5), 0.01, read=False)
    at_once = Observed(START + timedelta(seconds=0.6), 0.0, read=True, stage=Scenario.PREPARATION)
    later = Observed(START + timedelta(seconds=5.6), 0.0, read=True, stage=Scenario.PREPARATION)
    report = judge([first, event, at_once, later])
    assert [(i.stage, i.expected) for i in report.intervals] == [
        ("after_change", None),
        ("preparation", 5.0),
    ]
    assert report.verdict is Verdict.OK


def test_reads_after_a_final_order_are_not_judged() -> None:
    report = judge(reads_after([0.1, 0.1], stage=None))
    assert {i.stage for i in report.intervals} == {"final"}
    assert report.verdict is Verdict.OK


def test_a_scaled_policy_judges_a_faster_client() -> None:
    assert judge(reads_after([0.25, 0.5]), POLICY.scaled(4)).verdict is Verdict.OK
    assert judge(reads_after([0.25, 0.5])).verdict is Verdict.TOO_FAST


# A client that does what the policy says is ok, whatever stages and errors it meets.
_ANSWERS = st.one_of(
    st.sampled_from([*Scenario, None]).map(lambda stage: (200, stage, None)),
    st.sampled_from([500, 503, None]).map(lambda status: (status, None, None)),
    st.integers(1, 120).map(lambda seconds: (429, None, float(seconds))),
)


@settings(max_examples=200, deadline=None)
@given(
    answers=st.lists(_ANSWERS, min_size=2, max_size=30),
    latency=st.floats(0, 2),
)
def test_a_client_following_the_policy_is_ok(
    answers: list[tuple[int | None, Scenario | None, float | None]], latency: float
) -> None:
    seen: list[Observed] = []
    plan: PollPlan | None = None
    at = 0.0
    for status, stage, retry_after in answers:
        if plan is not None:
            if plan.delay is None:
                break  # the client stops (final, or it gave up)
            at += plan.delay
        seen.append(
            Observed(
                START + timedelta(seconds=at),
                latency,
                read=True,
                status=status,
                stage=stage,
                retry_after=retry_after,
            )
        )
        at += latency
        if status == 200:
            plan = (
                POLICY.start_in(stage, at)
                if plan is None
                else POLICY.after_reading(plan, stage, at)
            )
        else:
            plan = POLICY.after_failure(plan or POLICY.before_first(at), at, retry_after)
    assert judge(seen).verdict is Verdict.OK
