"""Injected faults for the upstream endpoints: latency, 5xx, 429 and dropped connections.

``PUT /sandbox/faults`` replaces the whole configuration (an omitted field is off);
``DELETE /sandbox/faults`` turns everything off. Randomness comes from an injectable
``random.Random`` and time from the engine's clock, so tests are deterministic.

The rate limit is a token bucket holding ``rate_limit_per_minute`` requests that refills
continuously at that rate; a refused request gets ``Retry-After`` in whole seconds (at
least 1), the time until the bucket holds one request again.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from tote_track.sandbox.errors import InjectedServerError, RateLimited

__all__ = ["WHOLE", "FaultConfig", "Faults", "InjectedDrop"]


def _whole(value: object) -> object:
    """JSON Schema's integer: 3 or 3.0, never "3" or true."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        return int(value)
    return value


WHOLE = BeforeValidator(_whole)
"""Put last in ``Annotated[int, Field(...), WHOLE]``: an integer as JSON Schema means it
(``3`` or ``3.0``), never a string or a boolean."""

Rate = Annotated[float, Strict(), Field(ge=0, le=1)] | None


class FaultConfig(BaseModel):
    """The body of ``PUT /sandbox/faults``; every field optional, ``null`` meaning off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error_rate: Rate = Field(
        default=None, description="Share of requests answered with 500 or 503 (0 to 1)."
    )
    latency_ms: Annotated[int, Field(ge=0, le=60_000), WHOLE] | None = Field(
        default=None, description="Delay added to every request, in milliseconds."
    )
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=1_000_000), WHOLE] | None = Field(
        default=None, description="Requests allowed per minute before 429 rate_limited."
    )
    drop_rate: Rate = Field(
        default=None,
        description="Share of requests whose connection is closed without any response.",
    )

    @property
    def active(self) -> bool:
        return any((self.error_rate, self.latency_ms, self.rate_limit_per_minute, self.drop_rate))

    def effective(self) -> dict[str, float | int | None]:
        """The configuration as ``PUT``/``DELETE`` report it, with off shown as 0 or null."""
        return {
            "error_rate": float(self.error_rate or 0),
            "latency_ms": self.latency_ms or 0,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "drop_rate": float(self.drop_rate or 0),
        }


class InjectedDrop(BaseException):
    """Close the connection without a response.

    A ``BaseException`` on purpose: Starlette's error middleware catches ``Exception`` and
    would answer 500; this must travel past it to the application's outermost layer,
    which closes the connection instead.
    """


class Faults:
    """The current fault configuration and the rate limiter's bucket."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        rng: random.Random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self.rng = rng
        self._sleep = sleep
        self.config = FaultConfig()
        self._tokens = 0.0
        self._refilled_at: datetime | None = None

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self._tokens = float(config.rate_limit_per_minute or 0)
        self._refilled_at = None

    def clear(self) -> None:
        self.configure(FaultConfig())

    def check_rate_limit(self) -> None:
        """Take one request from the bucket, or raise :class:`RateLimited`."""
        per_minute = self.config.rate_limit_per_minute
        if not per_minute:
            return
        now = self._clock()
        per_second = per_minute / 60.0
        if self._refilled_at is not None:
            elapsed = max((now - self._refilled_at).total_seconds(), 0.0)
            self._tokens = min(float(per_minute), self._tokens + elapsed * per_second)
        self._refilled_at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return
        wait = (1.0 - self._tokens) / per_second
        raise RateLimited(max(1, math.ceil(wait - 1e-6)))

    async def disrupt(self) -> None:
        """Wait the configured latency, then maybe drop the connection or fail with 5xx."""
        config = self.config
        if config.latency_ms:
            await self._sleep(config.latency_ms / 1000)
        if config.drop_rate and self.rng.random() < config.drop_rate:
            raise InjectedDrop
        if config.error_rate and self.rng.random() < config.error_rate:
            raise InjectedServerError(self.rng.choice((500, 503)))
