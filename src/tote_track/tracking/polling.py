"""The polling policy: which schedule applies to an order, the next delay, when to stop.

The guide's "Polling recommendations" table, as three scenarios (seconds):

    scenario     initial  max  max duration  when
    payment            1    5           120  status PENDING, payment not yet complete
    preparation        5   30          3600  confirmed, PENDING..PREPARING, or READY_FOR_PICKUP
                                             in a collection mode (also the calm default)
    delivery          10   60          7200  DELIVERY mode at READY_FOR_PICKUP (ready for the
                                             driver, or with it: the API does not say which)
    completed         60   60          7200  COMPLETED, still FULFILLED or DELIVERED: the guide's
                                             diagram lets it become RETURNED, so a slow check (the
                                             delivery schedule's max interval) goes on until that
                                             schedule's max duration

Delays double from the initial interval up to the max; a scenario change restarts the
schedule; polling stops at a final ``status`` (``StopReason.TERMINAL``; for a completed
order, at the end of its slow check) or when the scenario's max duration has passed
(``StopReason.GAVE_UP``, and the caller may ``resume``).

Until the order has been loaded once, a failure to reach the API at all (refused, a name
that does not resolve, a stalled handshake: :func:`never_reached`) gets
``UNREACHED_ATTEMPTS`` attempts in all, as many as a one-shot call (``list``) makes, and
then polling stops (``StopReason.UNREACHABLE``); once loaded, the schedule applies.

Pure: times are monotonic seconds handed in by the caller; nothing here sleeps or reads a
clock. Every method returns a new, immutable ``PollPlan``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from tote_track.api.errors import RETRY_AFTER_CAP, ApiConnectionError
from tote_track.api.statuses import FulfillmentStatus, HandoffMode, OrderStatus, PaymentStatus
from tote_track.tracking.lifecycle import TERMINAL_FULFILLMENT_STATUSES, TERMINAL_ORDER_STATUSES

if TYPE_CHECKING:  # the models (pydantic) load with the first order, not before
    from tote_track.api.models import OrderSummary

__all__ = [
    "RETRY_AFTER_CAP",
    "SCHEDULES",
    "UNREACHED_ATTEMPTS",
    "PollPlan",
    "PollingPolicy",
    "Scenario",
    "Schedule",
    "StopReason",
    "after_completion",
    "never_reached",
    "scenario_for",
    "should_replace",
]


# 2 ** 64 times any initial interval is far beyond every maximum; capping the exponent
# keeps the arithmetic finite however many attempts a long session accumulates.
_MAX_EXPONENT = 64
# A deadline reached to within a microsecond counts as reached: a delay clipped to end at
# the deadline, added back to the caller's clock, may fall short of it by a rounding error.
_DEADLINE_SLACK = 1e-6

UNREACHED_ATTEMPTS = 3
"""Attempts in all while the API was never reached (before the first load): as many as a
one-shot call makes (the client's first try and its ``DEFAULT_MAX_RETRIES`` retries)."""


def never_reached(error: BaseException) -> bool:
    """Whether ``error`` is a connection-level failure: no connection to the API at all
    (refused, DNS, TLS, proxy, a connection or handshake that stalled). A connection that
    dropped, or an answer that did not come, reached a server: the schedule applies."""
    return isinstance(error, ApiConnectionError) and not error.reached


class Scenario(StrEnum):
    PAYMENT = "payment"
    PREPARATION = "preparation"
    DELIVERY = "delivery"
    COMPLETED = "completed"
    """Completed, but a return may still come: the slow check after the handoff."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """Backoff bounds of one scenario, in seconds."""

    initial: float
    maximum: float
    max_duration: float

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum <= self.max_duration:
            raise ValueError(
                "a schedule needs 0 < initial <= maximum <= max_duration, got "
                f"{self.initial}/{self.maximum}/{self.max_duration}"
            )

    def backoff(self, attempt: int) -> float:
        """The delay before poll number ``attempt + 1``: initial * 2**attempt, up to maximum."""
        exponent = min(max(attempt, 0), _MAX_EXPONENT)
        return float(min(self.initial * 2**exponent, self.maximum))


def after_completion(delivery: Schedule) -> Schedule:
    """The slow check of a completed order: the delivery schedule's max interval, for that
    schedule's max duration."""
    return Schedule(
        initial=delivery.maximum, maximum=delivery.maximum, max_duration=delivery.max_duration
    )


_GUIDE_SCENARIOS = (Scenario.PAYMENT, Scenario.PREPARATION, Scenario.DELIVERY)
_DELIVERY = Schedule(initial=10.0, maximum=60.0, max_duration=7200.0)
SCHEDULES: Mapping[Scenario, Schedule] = MappingProxyType(
    {
        Scenario.PAYMENT: Schedule(initial=1.0, maximum=5.0, max_duration=120.0),
        Scenario.PREPARATION: Schedule(initial=5.0, maximum=30.0, max_duration=3600.0),
        Scenario.DELIVERY: _DELIVERY,
        Scenario.COMPLETED: after_completion(_DELIVERY),
    }
)


def scenario_for(order: OrderSummary) -> Scenario | None:
    """The polling scenario an order is in; None when nothing more can happen to it (stop).

    * ``status`` COMPLETED: completed (a return may come), unless already RETURNED (stop).
    * Any other final ``status`` (FAILED, VOIDED, CANCELLED): None.
    * ``status`` PENDING and ``payment_status`` not PAID: payment.
    * DELIVERY mode at READY_FOR_PICKUP (the driver has it): delivery.
    * Everything else that is still live is preparation, the calm default: confirmed orders
      from PENDING to READY_FOR_PICKUP in a collection mode, a FULFILLED/DELIVERED order
      whose ``status`` has not yet caught up to COMPLETED, and any value this version does
      not know.
    """
    if order.status == OrderStatus.COMPLETED:
        returnable = order.fulfillment_status not in TERMINAL_FULFILLMENT_STATUSES
        return Scenario.COMPLETED if returnable else None
    if order.status in TERMINAL_ORDER_STATUSES:
        return None
    if order.status == OrderStatus.PENDING and order.payment_status != PaymentStatus.PAID:
        return Scenario.PAYMENT
    if (
        order.handoff.mode == HandoffMode.DELIVERY
        and order.fulfillment_status == FulfillmentStatus.READY_FOR_PICKUP
    ):
        return Scenario.DELIVERY
    return Scenario.PREPARATION


class StopReason(StrEnum):
    TERMINAL = "terminal"
    GAVE_UP = "gave_up"
    UNREACHABLE = "unreachable"
    """The API was never reached: the first load failed ``UNREACHED_ATTEMPTS`` times."""


@dataclass(frozen=True, slots=True)
class PollPlan:
    """What to do next.

    ``scenario``: the schedule in force (None once the order is terminal).
    ``started_at``: when that scenario's clock started (monotonic seconds).
    ``attempt``: how many delays of this scenario have been handed out before this one;
    ``delay`` is the schedule's backoff for it (subject to the deadline and Retry-After).
    ``failures``: failed polls in a row since the last success (0 after a success).
    ``delay``: seconds to wait before the next poll; None iff ``stop`` is set.
    ``stop``: why polling stopped, or None while it goes on.
    ``loaded``: whether the order has been loaded (False only before the first success).
    """

    scenario: Scenario | None
    started_at: float
    attempt: int
    failures: int
    delay: float | None
    stop: StopReason | None
    loaded: bool = True

    @property
    def stopped(self) -> bool:
        return self.stop is not None


class PollingPolicy:
    """Turns poll outcomes into the next ``PollPlan``. Holds configuration only.

    ``schedules`` may be replaced (a faster demo, tests); the guide's three scenarios are
    required, and the completed one defaults to :func:`after_completion` of the delivery
    schedule. ``retry_after_cap`` bounds how long a server's ``Retry-After`` can hold
    polling back.
    """

    def __init__(
        self,
        schedules: Mapping[Scenario, Schedule] = SCHEDULES,
        *,
        retry_after_cap: float = RETRY_AFTER_CAP,
    ) -> None:
        missing = [s.value for s in _GUIDE_SCENARIOS if s not in schedules]
        if missing:
            raise ValueError(f"no schedule for scenario(s): {', '.join(missing)}")
        complete = dict(schedules)
        complete.setdefault(Scenario.COMPLETED, after_completion(complete[Scenario.DELIVERY]))
        self.schedules: Mapping[Scenario, Schedule] = MappingProxyType(complete)
        self.retry_after_cap = retry_after_cap

    def scaled(self, speed: float) -> PollingPolicy:
        """This policy ``speed`` times faster (for a sandbox that plays at that speed)."""
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed must be a positive number, got {speed}")
        return PollingPolicy(
            {
                scenario: Schedule(
                    initial=s.initial / speed,
                    maximum=s.maximum / speed,
                    max_duration=s.max_duration / speed,
                )
                for scenario, s in self.schedules.items()
            },
            retry_after_cap=self.retry_after_cap,
        )

    def schedule(self, scenario: Scenario) -> Schedule:
        return self.schedules[scenario]

    def deadline(self, plan: PollPlan) -> float | None:
        """When the plan's scenario gives up (monotonic seconds); None once terminal."""
        if plan.scenario is None:
            return None
        return plan.started_at + self.schedules[plan.scenario].max_duration

    def start(self, order: OrderSummary, now: float) -> PollPlan:
        """The plan right after the first fetch of ``order`` at ``now``."""
        return self.start_in(scenario_for(order), now)

    def start_in(self, scenario: Scenario | None, now: float) -> PollPlan:
        """:meth:`start` for an order in ``scenario`` (None: nothing more can happen)."""
        if scenario is None:
            return _terminal(now)
        return self._fresh(scenario, now)

    def before_first(self, now: float) -> PollPlan:
        """The plan while no order has arrived yet (the very first request failed).

        Retries follow the calm preparation schedule until the order is known; the first
        retry waits that schedule's initial interval. While the API was never reached the
        retries are bounded (``UNREACHED_ATTEMPTS``, see :meth:`after_failure`).
        """
        return PollPlan(
            scenario=Scenario.PREPARATION,
            started_at=now,
            attempt=-1,  # no delay handed out yet: after_failure's next one is backoff(0)
            failures=0,
            delay=None,
            stop=None,
            loaded=False,
        )

    def resume(self, plan: PollPlan, order: OrderSummary, now: float) -> PollPlan:
        """Start over after ``GAVE_UP`` (or at any time): the scenario clock restarts at now."""
        del plan  # a resumed plan owes nothing to the old one but the order it tracked
        return self.start(order, now)

    def after_success(self, plan: PollPlan, order: OrderSummary, now: float) -> PollPlan:
        """A poll returned ``order`` at ``now``.

        Terminal ``status``: stop (TERMINAL). Another scenario than the plan's: the schedule
        restarts at its initial interval with the clock at now. Same scenario: the next,
        doubled delay, or GAVE_UP once ``now - started_at >= max_duration``. A delay never
        reaches past the scenario's deadline: the last one is clipped to end exactly there,
        where the final poll then gives up.
        """
        return self.after_reading(plan, scenario_for(order), now)

    def after_reading(self, plan: PollPlan, scenario: Scenario | None, now: float) -> PollPlan:
        """:meth:`after_success` for an order read in ``scenario`` (None: stop)."""
        if scenario is None:
            return _terminal(now)
        if scenario != plan.scenario:
            return self._fresh(scenario, now)
        # An order was read: it is loaded from now on, even when the first request failed
        # and the retries ran in the very scenario the order turned out to be in.
        return self._next(replace(plan, loaded=True), now, failures=0)

    def after_failure(
        self,
        plan: PollPlan,
        now: float,
        retry_after: float | None = None,
        *,
        unreached: bool = False,
    ) -> PollPlan:
        """A poll failed at ``now`` with a transient error (network, 5xx, 429).

        ``unreached``: the failure was connection-level (:func:`never_reached`). Before the
        order was ever loaded, the ``UNREACHED_ATTEMPTS``-th failure in a row that is one
        stops polling (UNREACHABLE): the API is not there, saying so beats waiting.

        The scenario is kept (there is no new order to judge) and the backoff doubles as
        after a success; ``failures`` counts the failures in a row.

        ``Retry-After`` wins: the delay is ``max(backoff, retry_after)`` with ``retry_after``
        capped at ``retry_after_cap`` (300 s by default) so that a wild header cannot stall
        the tracker. Waiting less than the server asked would only earn another 429, so a
        ``Retry-After`` that reaches past the scenario's deadline ends polling now
        (GAVE_UP, resumable) instead of being clipped. A stopped plan is returned as is.
        """
        if plan.stop is not None or plan.scenario is None:
            return plan
        if unreached and not plan.loaded and plan.failures + 1 >= UNREACHED_ATTEMPTS:
            return replace(
                plan, failures=plan.failures + 1, delay=None, stop=StopReason.UNREACHABLE
            )
        if retry_after is not None and retry_after > 0:
            wait = min(retry_after, self.retry_after_cap)
            deadline = plan.started_at + self.schedules[plan.scenario].max_duration
            if now + wait > deadline + _DEADLINE_SLACK:
                return _out_of_time(plan, now, failures=plan.failures + 1)
        else:
            wait = 0.0
        nxt = self._next(plan, now, failures=plan.failures + 1)
        if nxt.delay is None or nxt.delay >= wait:
            return nxt
        return replace(nxt, delay=wait)

    def _fresh(self, scenario: Scenario, now: float) -> PollPlan:
        schedule = self.schedules[scenario]
        return PollPlan(
            scenario=scenario,
            started_at=now,
            attempt=0,
            failures=0,
            delay=schedule.backoff(0),
            stop=None,
        )

    def _next(self, plan: PollPlan, now: float, *, failures: int) -> PollPlan:
        assert plan.scenario is not None
        schedule = self.schedules[plan.scenario]
        remaining = plan.started_at + schedule.max_duration - now
        if remaining <= _DEADLINE_SLACK:
            return _out_of_time(plan, now, failures=failures)
        attempt = plan.attempt + 1
        return PollPlan(
            scenario=plan.scenario,
            started_at=plan.started_at,
            attempt=attempt,
            failures=failures,
            delay=min(schedule.backoff(attempt), remaining),
            stop=None,
            loaded=plan.loaded,
        )


def _terminal(now: float) -> PollPlan:
    return PollPlan(
        scenario=None, started_at=now, attempt=0, failures=0, delay=None, stop=StopReason.TERMINAL
    )


def _out_of_time(plan: PollPlan, now: float, *, failures: int) -> PollPlan:
    """The scenario's max duration passed: a completed order's slow check simply ends
    (tracking is finished); any other scenario gives up (and may be resumed)."""
    if plan.scenario is Scenario.COMPLETED:
        return _terminal(now)
    return replace(plan, failures=failures, delay=None, stop=StopReason.GAVE_UP)


def should_replace(shown: OrderSummary | None, incoming: OrderSummary) -> bool:
    """Whether a freshly received order should replace the one on screen.

    An older response (``updated_at`` before the shown one's) never replaces a newer one:
    responses can arrive out of order after retries. The same instant replaces (the data
    can only be as new), and so does a different order.
    """
    if shown is None or shown.id != incoming.id:
        return True
    return incoming.updated_at >= shown.updated_at
