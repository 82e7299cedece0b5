"""What the tracker's bottom line says: how fresh the order is and what it waits for.

The tracker is always in one :class:`Phase`; :func:`freshness` turns the phase, the polling
plan, the times and the last failure into the words of the freshness line (and a mood for
its colour). :func:`load_failure` is what the error screen says when the order could not
be loaded at all. Failures are worded by :func:`tote_track.tracking.errors.describe_error`.

Pure: times are handed in as seconds; nothing here reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from tote_track.api.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    InsecureTransportError,
    InvalidConfigError,
    RateLimitedError,
    ToteError,
    UnauthorizedError,
)
from tote_track.tracking.errors import ErrorWords, describe_error
from tote_track.tracking.polling import PollingPolicy, PollPlan, Scenario, StopReason
from tote_track.tracking.presentation import format_duration, printable

__all__ = ["Freshness", "Phase", "freshness", "load_failure", "phase_after"]

TRY_AGAIN = "Press r to try again or q to quit."


class Phase(StrEnum):
    """Where the tracker is in its life."""

    LOADING = "loading"
    """No order yet: the first check is on its way."""
    LIVE = "live"
    """The order is shown; the next check is planned."""
    CHECKING = "checking"
    """The order is shown and a check is on its way."""
    FAILING = "failing"
    """The last check failed (network, server); a retry is planned."""
    RATE_LIMITED = "rate-limited"
    """The API said "too many requests"; a retry is planned when it allows."""
    PAUSED = "paused"
    """The scenario's max duration passed: checks wait for the customer (r)."""
    FINISHED = "finished"
    """Nothing more can happen to the order: no more checks."""
    STOPPED = "stopped"
    """The order is shown but can no longer be fetched (token refused, ...)."""
    ERROR = "error"
    """The order could not be loaded at all (the error screen)."""


@dataclass(frozen=True, slots=True)
class Freshness:
    text: str
    mood: str
    """The line's colour class: checking, live, reconnecting, paused, finished, error."""


def phase_after(plan: PollPlan, error: BaseException | None = None) -> Phase:
    """The phase once a check ended with ``plan`` (and ``error`` if it failed transiently)."""
    if plan.stop is StopReason.TERMINAL:
        return Phase.FINISHED
    if plan.stop is StopReason.GAVE_UP:
        return Phase.PAUSED
    if error is None:
        return Phase.LIVE
    if describe_error(error).brief == "rate limited":
        return Phase.RATE_LIMITED
    return Phase.FAILING


def _seconds(value: float | None) -> str:
    return "—" if value is None else format_duration(math.ceil(max(0.0, value)))


def _updated(updated_ago: float | None) -> str:
    if updated_ago is None:
        return ""
    if updated_ago < 1:
        return "updated just now"
    return f"updated {format_duration(math.floor(updated_ago))} ago"


def _cause(error: BaseException | None) -> str:
    return describe_error(error).brief if error is not None else "request failed"


def _said(error: BaseException | None) -> str:
    """The server's own sentence (token-free by construction), or the error's kind."""
    if isinstance(error, ToteError):
        return printable(str(error)).rstrip(".")
    return describe_error(error).sentence.rstrip(".") if error is not None else ""


def _waiting_on_network(error: BaseException | None) -> bool:
    return isinstance(error, ApiConnectionError | ApiTimeoutError)


def _join(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


# Why checks paused after a stage's max duration, and what to do (``{waited}``: how long).
_PAUSED_WORDS = {
    Scenario.PAYMENT: "paused · no payment after {waited} · finish paying, then press r",
    Scenario.PREPARATION: "paused after {waited} of checks · press r to check again",
    Scenario.DELIVERY: "paused · not delivered after {waited} · press r to check again",
}


def freshness(
    phase: Phase,
    plan: PollPlan | None,
    policy: PollingPolicy,
    *,
    updated_ago: float | None,
    next_in: float | None,
    error: BaseException | None,
    verbose: bool = False,
) -> Freshness:
    """The freshness line in ``phase``.

    ``updated_ago``: seconds since the shown order arrived (None before it did);
    ``next_in``: seconds until the next planned check (None when none is planned);
    ``error``: the last failure (None after a success); ``verbose``: add the polling
    rhythm (``preparation (5→30 s)``), a detail for QA, not for customers.
    """
    updated = _updated(updated_ago)
    if phase is Phase.ERROR:
        return Freshness(f"could not load the order: {_cause(error)}", "error")
    if phase is Phase.STOPPED:
        return Freshness(_join(f"stopped: {_said(error)}", "press r to try again"), "error")
    if plan is None:
        return Freshness("checking the order…", "checking")
    checking = phase in (Phase.CHECKING, Phase.LOADING)
    if plan.stop is StopReason.TERMINAL:
        last = f"last check failed ({_cause(error)})" if error is not None else ""
        return Freshness(
            _join("tracking finished", updated, "checking now…" if checking else last), "finished"
        )
    if plan.stop is StopReason.GAVE_UP:
        return _paused(plan, policy, checking=checking, error=error)
    if error is not None:
        # Say what the next check waits for, and until when.
        retry = "retrying now…" if checking else f"retry in {_seconds(next_in)}"
        last = f"last {updated}" if updated else ""
        if plan.failures <= 1 and plan.loaded and not isinstance(error, RateLimitedError):
            # One failed check says nothing yet about the API: no alarm.
            again = "trying again now…" if checking else f"trying again in {_seconds(next_in)}"
            return Freshness(_join(updated, "a check didn't get through", again), "live")
        if _waiting_on_network(error):
            return Freshness(_join("reconnecting", retry, _cause(error), last), "reconnecting")
        return Freshness(_join(_cause(error), retry, last), "reconnecting")
    assert plan.scenario is not None
    schedule = policy.schedule(plan.scenario)
    check = "checking now…" if checking else f"next check in {_seconds(next_in)}"
    if plan.scenario is Scenario.COMPLETED:
        # A return may still come: checks go on slowly, then stop by themselves.
        stops = f"checks stop after {format_duration(schedule.max_duration)}"
        return Freshness(_join(updated, "order complete", check, stops), "live")
    rhythm = f"{plan.scenario.value} ({schedule.initial:g}→{schedule.maximum:g} s)"
    return Freshness(_join(updated, check, rhythm if verbose else ""), "live")


def _paused(
    plan: PollPlan, policy: PollingPolicy, *, checking: bool, error: BaseException | None
) -> Freshness:
    """Checks paused after the stage's max duration: why, and what to do."""
    assert plan.scenario is not None
    waited = format_duration(policy.schedule(plan.scenario).max_duration)
    if checking:
        return Freshness(_join(f"paused after {waited}", "checking now…"), "paused")
    if error is not None:
        unreachable = f"could not reach the API ({_cause(error)})"
        return Freshness(
            _join(f"paused after {waited}", unreachable, "press r to resume"), "paused"
        )
    words = _PAUSED_WORDS.get(plan.scenario, "paused after {waited} · press r to resume")
    return Freshness(words.format(waited=waited), "paused")


def load_failure(error: BaseException, *, order_id: str, base_url: str) -> ErrorWords:
    """What the error screen says when the order could not be loaded, and what to do.

    ``r`` tries again, except where only a new start can help (a refused token, an unsafe
    address: both come from the command line).
    """
    words = describe_error(error, order_id=order_id, base_url=base_url)
    if isinstance(error, UnauthorizedError):
        return replace(
            words, next_step=f"{words.next_step.rstrip('.')}, then run tote-track again."
        )
    if isinstance(error, InsecureTransportError | InvalidConfigError):
        return words
    return replace(words, next_step=_join_sentences(words.next_step, TRY_AGAIN))


def _join_sentences(*sentences: str) -> str:
    return " ".join(sentence for sentence in sentences if sentence)
