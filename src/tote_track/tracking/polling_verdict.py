"""A client's polling of one order judged against the guide's table.

The requests a server saw for an order (its reads, and the requests that changed it) are
replayed through :class:`~tote_track.tracking.polling.PollingPolicy`, the policy our own
client polls by: after each answer the policy says how long a client should wait before
the next read (the stage's initial interval, doubling to its maximum; the backoff after
an error; at least the ``Retry-After`` the server sent). Each wait the client actually
made, from the end of one answer to the next read, is then:

* ``too_fast`` when shorter than that delay (less :data:`EARLY_MARGIN`);
* ``too_slow`` when longer than the stage's max interval (or the delay, if a
  ``Retry-After`` made it longer), plus :data:`LATE_MARGIN`;
* not judged (``expected`` None) after polling should have stopped (a final order, or the
  stage's max duration passed), nor when it came early after a request that changed the
  order (an event, a cancel): a client that knows of a change reads at once. The
  schedule restarts at such a read.

The verdict is ``too_fast`` if any wait was, else ``too_slow`` if any was, else ``ok``.
Pure: the caller hands in what was observed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tote_track.tracking.polling import PollingPolicy, PollPlan, Scenario, StopReason

__all__ = [
    "EARLY_MARGIN",
    "LATE_MARGIN",
    "Interval",
    "Observed",
    "PollingReport",
    "Verdict",
    "judge",
]

EARLY_MARGIN = (0.1, 0.05)
"""A wait counts as too fast below ``delay * (1 - 0.1) - 0.05`` seconds (timer jitter)."""
LATE_MARGIN = (0.25, 1.0)
"""A wait counts as too slow above ``limit * (1 + 0.25) + 1.0`` seconds (a loaded machine)."""


class Verdict(StrEnum):
    OK = "ok"
    TOO_FAST = "too_fast"
    TOO_SLOW = "too_slow"


@dataclass(frozen=True, slots=True)
class Observed:
    """One request of the order, as the server answered it.

    ``read``: a read of the order (``GET /orders/{id}``); otherwise a request that changed
    it (only those that succeeded belong here). ``status`` None: no answer (dropped).
    ``stage``: for a read answered 200, the stage of the order it returned (None: final).
    """

    at: datetime
    duration: float
    read: bool
    status: int | None = 200
    stage: Scenario | None = None
    retry_after: float | None = None

    @property
    def answered_at(self) -> datetime:
        return self.at + timedelta(seconds=self.duration)


@dataclass(frozen=True, slots=True)
class Interval:
    """The wait before one read: from the end of the previous answer to this read."""

    at: datetime
    seconds: float
    stage: str
    expected: float | None
    maximum: float | None
    after: str
    verdict: Verdict

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "seconds": round(self.seconds, 3),
            "stage": self.stage,
            "expected": None if self.expected is None else round(self.expected, 3),
            "maximum": None if self.maximum is None else round(self.maximum, 3),
            "after": self.after,
            "verdict": self.verdict.value,
        }


@dataclass(frozen=True, slots=True)
class PollingReport:
    verdict: Verdict
    intervals: tuple[Interval, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "intervals": [interval.as_json() for interval in self.intervals],
        }


def _answer_words(request: Observed) -> str:
    if request.status is None:
        return "no answer"
    if request.retry_after is not None:
        return f"{request.status}, Retry-After {request.retry_after:g} s"
    return str(request.status)


def _judged(plan: PollPlan, policy: PollingPolicy, waited: float) -> tuple[str, Verdict, float]:
    """(stage, verdict, maximum) of a wait under a live plan."""
    assert plan.scenario is not None
    assert plan.delay is not None
    maximum = policy.schedule(plan.scenario).maximum
    share, seconds = EARLY_MARGIN
    if waited < plan.delay * (1 - share) - seconds:
        return plan.scenario.value, Verdict.TOO_FAST, maximum
    share, seconds = LATE_MARGIN
    if waited > max(plan.delay, maximum) * (1 + share) + seconds:
        return plan.scenario.value, Verdict.TOO_SLOW, maximum
    return plan.scenario.value, Verdict.OK, maximum


def _interval(
    plan: PollPlan, policy: PollingPolicy, request: Observed, waited: float, after: str
) -> Interval:
    """A wait judged under the plan the previous answer left (None: after a change)."""
    if plan.stop is not None or plan.delay is None:
        stage = "final" if plan.stop is StopReason.TERMINAL else "gave_up"
        return Interval(request.at, waited, stage, None, None, after, Verdict.OK)
    stage, verdict, maximum = _judged(plan, policy, waited)
    return Interval(request.at, waited, stage, plan.delay, maximum, after, verdict)


def _next_plan(
    plan: PollPlan | None, policy: PollingPolicy, request: Observed, now: float, restart: bool
) -> PollPlan:
    """The plan a client following the policy holds after this read's answer."""
    if request.status == 200:
        if plan is None or plan.stop is not None or restart:
            return policy.start_in(request.stage, now)
        return policy.after_reading(plan, request.stage, now)
    start = plan if plan is not None else policy.before_first(now)
    return policy.after_failure(start, now, request.retry_after)


def judge(requests: Sequence[Observed], policy: PollingPolicy | None = None) -> PollingReport:
    """The verdict on the reads among ``requests`` (oldest first) under ``policy``."""
    policy = policy or PollingPolicy()
    intervals: list[Interval] = []
    plan: PollPlan | None = None
    previous: Observed | None = None
    change: Observed | None = None
    for request in requests:
        if not request.read:
            change = request
            continue
        if plan is not None and previous is not None:
            waited = (request.at - previous.answered_at).total_seconds()
            interval = _interval(plan, policy, request, waited, _answer_words(previous))
            if change is not None and interval.verdict is Verdict.TOO_FAST:
                after = f"a change of the order ({_answer_words(change)})"
                interval = Interval(
                    request.at, waited, "after_change", None, None, after, Verdict.OK
                )
            intervals.append(interval)
        now = (request.answered_at - requests[0].at).total_seconds()
        plan = _next_plan(plan, policy, request, now, restart=change is not None)
        previous, change = request, None
    verdicts = {interval.verdict for interval in intervals}
    verdict = next((v for v in (Verdict.TOO_FAST, Verdict.TOO_SLOW) if v in verdicts), Verdict.OK)
    return PollingReport(verdict, tuple(intervals))
