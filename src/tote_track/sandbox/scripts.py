"""Scripted answers per order: "the next two GETs of this order answer 503".

``POST /sandbox/orders/{id}/script`` with ``{"responses": [{"status": 503}, {"status":
429, "retry_after": 2}, {"status": 200, "delay_ms": 3000}]}`` replaces the order's script.
The next requests for that order (``GET /orders/{id}`` and its cancel) take these answers
in turn, one each; then the order is served normally again.

* ``status`` 200 serves the request normally (after ``delay_ms``); any other answer is the
  standard error envelope with that status (and ``X-Request-Id``, as every answer).
* ``retry_after`` (whole seconds) goes with 429 and 503 only; a 429 without one says 1.
* ``delay_ms`` (up to :data:`MAX_DELAY_MS`) holds the answer back first, whatever it is.
* A script holds 1 to :data:`MAX_RESPONSES` answers. An answered error is not kept for an
  ``Idempotency-Key`` (nothing ran), as with injected faults.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tote_track.sandbox.errors import INVALID_PARAMETER, SandboxError

__all__ = [
    "ALLOWED_STATUSES",
    "MAX_DELAY_MS",
    "MAX_RESPONSES",
    "MAX_RETRY_AFTER",
    "Script",
    "ScriptedAnswer",
    "ScriptedError",
    "Scripts",
]

MAX_RESPONSES = 50
MAX_DELAY_MS = 30_000
MAX_RETRY_AFTER = 300
_ERROR_CODES = {
    401: "unauthorized",
    404: "not_found",
    408: "internal",
    429: "rate_limited",
    500: "internal",
    502: "internal",
    503: "internal",
    504: "internal",
}
ALLOWED_STATUSES = (200, *_ERROR_CODES)
_RETRY_AFTER_STATUSES = (429, 503)


def _sentence(text: str, **values: Any) -> PydanticCustomError:
    return PydanticCustomError(INVALID_PARAMETER, text, values)


def _whole(name: str, low: int, high: int, unit: str) -> BeforeValidator:
    """A whole number from ``low`` to ``high`` (``3`` or ``3.0``), else one sentence."""

    def check(value: object) -> int:
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is not None and float(number).is_integer() and low <= number <= high:
            return int(number)
        raise _sentence(
            "{name} must be {unit} from {low} to {high}; got {got}.",
            name=name,
            unit=unit,
            low=low,
            high=high,
            got=json.dumps(value)[:40],
        )

    return BeforeValidator(check)


_RETRY_AFTER = _whole("retry_after", 0, MAX_RETRY_AFTER, "whole seconds")
_DELAY = _whole("delay_ms", 0, MAX_DELAY_MS, "whole milliseconds")


class ScriptedAnswer(BaseModel):
    """One answer of a script."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Annotated[int, _whole("status", 100, 599, "an HTTP status")] = Field(
        description="200 (served normally) or an error status.",
        json_schema_extra={"enum": list(ALLOWED_STATUSES)},
    )
    retry_after: Annotated[int, Field(ge=0, le=MAX_RETRY_AFTER), _RETRY_AFTER] | None = Field(
        default=None, description="Retry-After in whole seconds (429 and 503 only)."
    )
    delay_ms: Annotated[int, Field(ge=0, le=MAX_DELAY_MS), _DELAY] | None = Field(
        default=None, description="Milliseconds to hold the answer back."
    )

    @field_validator("status", mode="after")
    @classmethod
    def _known_status(cls, status: int) -> int:
        if status not in ALLOWED_STATUSES:
            allowed = ", ".join(str(each) for each in ALLOWED_STATUSES)
            raise _sentence(
                "A scripted status must be one of {allowed}; got {status}.",
                allowed=allowed,
                status=status,
            )
        return status

    @model_validator(mode="after")
    def _retry_after_fits(self) -> ScriptedAnswer:
        if self.retry_after is not None and self.status not in _RETRY_AFTER_STATUSES:
            raise _sentence(
                "retry_after goes with a 429 or 503 answer, not with {status}.",
                status=self.status,
            )
        return self


class Script(BaseModel):
    """The body of ``POST /sandbox/orders/{id}/script``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    responses: Annotated[list[ScriptedAnswer], Field(min_length=1, max_length=MAX_RESPONSES)] = (
        Field(description="The next answers for the order's GET and cancel requests, in order.")
    )

    @field_validator("responses", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        if isinstance(value, list) and not 1 <= len(value) <= MAX_RESPONSES:
            raise _sentence(
                "A script holds 1 to {most} responses; this one has {count}.",
                most=MAX_RESPONSES,
                count=len(value),
            )
        return value


class ScriptedError(SandboxError):
    """A scripted error answer, in the standard envelope."""

    def __init__(self, answer: ScriptedAnswer) -> None:
        retry_after = answer.retry_after
        if retry_after is None and answer.status == 429:
            retry_after = 1
        super().__init__(
            f"The sandbox answered {answer.status}, as this order's script asked.",
            headers=None if retry_after is None else {"Retry-After": str(retry_after)},
        )
        self.status_code = answer.status
        self.code = _ERROR_CODES[answer.status]


class Scripts:
    """The pending scripted answers of every order."""

    def __init__(self, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._pending: dict[str, deque[ScriptedAnswer]] = {}
        self._sleep = sleep

    def __bool__(self) -> bool:
        """Whether any order has an answer waiting (the hot reads step aside then)."""
        return bool(self._pending)

    def load(self, order_id: str, script: Script) -> None:
        """Replace the order's pending answers with ``script``'s."""
        self._pending[order_id.lower()] = deque(script.responses)

    def pending(self, order_id: str) -> list[ScriptedAnswer]:
        return list(self._pending.get(order_id.lower(), ()))

    def forget(self, order_id: str) -> int:
        """Drop the order's pending answers; returns how many there were."""
        return len(self._pending.pop(order_id.lower(), ()))

    def clear(self) -> None:
        self._pending.clear()

    def take(self, order_id: str) -> ScriptedAnswer | None:
        """The order's next answer, now used up; ``None`` when it has no script."""
        answers = self._pending.get(order_id.lower())
        if not answers:
            return None
        answer = answers.popleft()
        if not answers:
            del self._pending[order_id.lower()]
        return answer

    async def play(self, order_id: str) -> bool:
        """Give the request the order's next answer, if it has one: wait its delay, then
        return True (serve it normally, without injected faults) or raise
        :class:`ScriptedError`. False: no script, the request is served as usual."""
        answer = self.take(order_id)
        if answer is None:
            return False
        if answer.delay_ms:
            await self._sleep(answer.delay_ms / 1000)
        if answer.status != 200:
            raise ScriptedError(answer)
        return True
