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
) -> tuple[str, str]:
    line = freshness(phase, plan, POLICY, updated_ago=updated_ago, next_in=next_in, error=error)
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
            ("updated 3 s ago · next check in 3 s · preparation (5→30 s)", "live"),
        ),
        (
            Phase.CHECKING,
            LIVE,
            None,
            None,
            ("updated 3 s ago · checking now… · preparation (5→30 s)", "live"),
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
            LIVE,
            NO_CONNECTION,
            8,
            ("reconnecting · retry in 8 s · no connection · last updated 3 s ago", "reconnecting"),
        ),
        (
            Phase.FAILING,
            LIVE,
            SERVER_ERROR,
            10,
            ("server error · retry in 10 s · last updated 3 s ago", "reconnecting"),
        ),
        (
            Phase.CHECKING,
            LIVE,
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
    text, _ = words(Phase.FAILING, LIVE, updated_ago=None, next_in=5, error=NO_CONNECTION)
    assert text == "reconnecting · retry in 5 s · no connection"


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
