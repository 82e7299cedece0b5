"""The freshness line's words and the error screen's, from the phase, plan, times and error."""

from __future__ import annotations

import pytest

from tote_track.api.errors import (
    ApiConnectionError,
    BadRequestError,
    BadResponseError,
    InsecureTransportError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)
from tote_track.tracking.freshness import Phase, freshness, load_failure, phase_after
from tote_track.tracking.polling import PollingPolicy, PollPlan, Scenario, StopReason

POLICY = PollingPolicy()
BASE_URL = "https://api.example/v1/online-ordering"
ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
LIVE = PollPlan(Scenario.PREPARATION, 0.0, 1, 0, 10.0, None)
FAILED_ONCE = PollPlan(Scenario.DELIVERY, 0.0, 2, 1, 10.0, None)
FAILING = PollPlan(Scenario.PREPARATION, 0.0, 2, 2, 10.0, None)
PAUSED = PollPlan(Scenario.PREPARATION, 0.0, 9, 0, None, StopReason.GAVE_UP)
FINISHED = PollPlan(None, 0.0, 0, 0, None, StopReason.TERMINAL)
RATE_LIMITED = RateLimitedError("Slow down", status_code=429, retry_after=45)
NO_CONNECTION = ApiConnectionError("Could not reach the Tote API: refused")
SERVER_ERROR = ServerError("Boom", status_code=503)


def words(
    phase: Phase,
    plan: PollPlan | None,
    *,
    updated_ago: float | None = 3,
    next_in: float | None = 10,
    error: BaseException | None = None,
    verbose: bool = False,
) -> tuple[str, str]:
    line = freshness(
        phase,
        plan,
        POLICY,
        updated_ago=updated_ago,
        next_in=next_in,
        error=error,
        verbose=verbose,
    )
    return line.text, line.mood


@pytest.mark.parametrize(
    ("plan", "error", "phase"),
    [
        (LIVE, None, Phase.LIVE),
        (LIVE, RATE_LIMITED, Phase.RATE_LIMITED),
        (LIVE, SERVER_ERROR, Phase.FAILING),
        (LIVE, NO_CONNECTION, Phase.FAILING),
        (PAUSED, NO_CONNECTION, Phase.PAUSED),
        (FINISHED, None, Phase.FINISHED),
    ],
)
def test_the_phase_after_a_check(plan: PollPlan, error: BaseException | None, phase: Phase) -> None:
    assert phase_after(plan, error) is phase


@pytest.mark.parametrize(
    ("phase", "plan", "error", "next_in", "expected"),
    [
        (Phase.LOADING, None, None, None, ("checking the order…", "checking")),
        (
            Phase.LIVE,
            LIVE,
            None,
            2.2,
            ("updated 3 s ago · next check in 3 s", "live"),
        ),
        (
            Phase.CHECKING,
            LIVE,
            None,
            None,
            ("updated 3 s ago · checking now…", "live"),
        ),
        (
            Phase.RATE_LIMITED,
            LIVE,
            RATE_LIMITED,
            45,
            ("rate limited · retry in 45 s · last updated 3 s ago", "reconnecting"),
        ),
        (
            Phase.FAILING,
            FAILING,
            NO_CONNECTION,
            8,
            ("reconnecting · retry in 8 s · no connection · last updated 3 s ago", "reconnecting"),
        ),
        (
            Phase.FAILING,
            FAILING,
            SERVER_ERROR,
            10,
            ("server error · retry in 10 s · last updated 3 s ago", "reconnecting"),
        ),
        (
            Phase.CHECKING,
            FAILING,
            SERVER_ERROR,
            None,
            ("server error · retrying now… · last updated 3 s ago", "reconnecting"),
        ),
        (
            Phase.PAUSED,
            PAUSED,
            NO_CONNECTION,
            None,
            (
                "paused after 1 h · could not reach the API (no connection) · press r to resume",
                "paused",
            ),
        ),
        (Phase.FINISHED, FINISHED, None, None, ("tracking finished · updated 3 s ago", "finished")),
        (
            Phase.STOPPED,
            LIVE,
            UnauthorizedError("Token revoked", status_code=401),
            None,
            ("stopped: Token revoked (HTTP 401) · press r to try again", "error"),
        ),
    ],
)
def test_the_freshness_line_says_what_it_waits_for_and_until_when(
    phase: Phase,
    plan: PollPlan | None,
    error: BaseException | None,
    next_in: float | None,
    expected: tuple[str, str],
) -> None:
    assert words(phase, plan, error=error, next_in=next_in) == expected


def test_before_the_first_answer_there_is_no_updated_time() -> None:
    text, _ = words(Phase.FAILING, FAILING, updated_ago=None, next_in=5, error=NO_CONNECTION)
    assert text == "reconnecting · retry in 5 s · no connection"


def test_the_polling_rhythm_is_qa_detail_shown_only_when_verbose() -> None:
    assert words(Phase.LIVE, LIVE, next_in=2.2) == ("updated 3 s ago · next check in 3 s", "live")
    assert words(Phase.LIVE, LIVE, next_in=2.2, verbose=True) == (
        "updated 3 s ago · next check in 3 s · preparation (5→30 s)",
        "live",
    )


@pytest.mark.parametrize("error", [SERVER_ERROR, NO_CONNECTION])
def test_one_failed_check_raises_no_alarm(error: BaseException) -> None:
    text, mood = words(Phase.FAILING, FAILED_ONCE, next_in=10, error=error)
    assert (text, mood) == (
        "updated 3 s ago · a check didn't get through · trying again in 10 s",
        "live",
    )
    assert "server error" not in text
    # The second in a row is news: reconnecting, and why.
    text, mood = words(Phase.FAILING, FAILING, next_in=20, error=error)
    assert mood == "reconnecting"
    assert text.endswith("retry in 20 s · last updated 3 s ago") or "retry in 20 s" in text


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (Scenario.PAYMENT, "paused · no payment after 2 min · finish paying, then press r"),
        (Scenario.PREPARATION, "paused after 1 h of checks · press r to check again"),
        (Scenario.DELIVERY, "paused · not delivered after 2 h · press r to check again"),
    ],
)
def test_a_pause_says_why_and_what_to_do(scenario: Scenario, expected: str) -> None:
    paused = PollPlan(scenario, 0.0, 9, 0, None, StopReason.GAVE_UP)
    assert words(Phase.PAUSED, paused) == (expected, "paused")
    assert len(expected) <= 78  # the bottom line of an 80-column terminal


@pytest.mark.parametrize(
    ("error", "title", "hint"),
    [
        (BadRequestError("limit must be 1-100", status_code=400), "rejected", "order id"),
        (BadResponseError("The API sent HTML"), "not the API's", "/v1/online-ordering"),
        (InsecureTransportError("Refusing plain http"), "Unsafe", "--base-url"),
        (UnauthorizedError("Bad token", status_code=401), "refused the token", "run tote-track"),
        (ServerError("Boom", status_code=500), "had an error", "r to try again"),
        (RuntimeError("bug"), "Something went wrong", "r to try again"),
    ],
)
def test_every_load_error_says_what_to_do(error: Exception, title: str, hint: str) -> None:
    failure = load_failure(error, order_id=ORDER_ID, base_url=BASE_URL)
    assert title in failure.title
    assert hint in failure.next_step
    assert failure.sentence.endswith(".")
