"""The sandbox's errors: each knows its HTTP status and the envelope's ``code``."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CancelNotAllowed",
    "EventNotAllowed",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "InjectedServerError",
    "InvalidRequest",
    "OrderNotFound",
    "RateLimited",
    "SandboxError",
    "Unauthorized",
]


class SandboxError(Exception):
    """An error the API reports as ``{"error": {"code": ..., "message": ...}}``."""

    status_code: int = 400
    code: str = "invalid_request"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})


class InvalidRequest(SandboxError):
    status_code = 400
    code = "invalid_request"


class Unauthorized(SandboxError):
    status_code = 401
    code = "unauthorized"


class OrderNotFound(SandboxError):
    status_code = 404
    code = "not_found"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"No order with id {order_id} exists.")
        self.order_id = order_id


class CancelNotAllowed(SandboxError):
    status_code = 409
    code = "cancel_not_allowed"


class EventNotAllowed(SandboxError):
    status_code = 409
    code = "event_not_allowed"


class IdempotencyKeyInUse(SandboxError):
    status_code = 409
    code = "idempotency_key_in_use"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; "
            "retry in a moment to get its result.",
            headers={"Retry-After": "1"},
        )


class IdempotencyKeyReused(SandboxError):
    status_code = 422
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request."
        )


class RateLimited(SandboxError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            f"Too many requests; retry in {retry_after} {unit}.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class InjectedServerError(SandboxError):
    code = "internal"

    def __init__(self, status_code: int) -> None:
        super().__init__(
            "The server ran into a temporary problem (a fault injected by the sandbox); "
            "retry the request.",
            headers={"Retry-After": "1"} if status_code == 503 else None,
        )
        self.status_code = status_code
