"""Order summaries for the tracking tests, built from the guide's example order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tote_track.api.models import OrderSummary

ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
CREATED_AT = datetime(2026, 1, 31, 10, 7, tzinfo=UTC)
UPDATED_AT = datetime(2026, 1, 31, 10, 9, tzinfo=UTC)


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def make_order(
    status: str = "CONFIRMED",
    payment_status: str = "PAID",
    fulfillment_status: str = "PENDING",
    mode: str = "PICKUP",
    *,
    order_id: str = ORDER_ID,
    updated_at: datetime | None = None,
    handoff: dict[str, Any] | None = None,
    total_paid: int = 1945,
    balance_due: int = 0,
) -> OrderSummary:
    """An order summary in the given state; strings go through the tolerant enums."""
    return OrderSummary.model_validate(
        {
            "id": order_id,
            "cart_id": "c1d2e3f4-a5b6-7890-cdef-1234567890ab",
            "location_id": "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d",
            "status": status,
            "payment_status": payment_status,
            "fulfillment_status": fulfillment_status,
            "handoff": {"mode": mode, **(handoff or {})},
            "subtotal": usd(1797),
            "total_tax": usd(148),
            "total_discount": usd(0),
            "total": usd(1945),
            "total_paid": usd(total_paid),
            "balance_due": usd(balance_due),
            "created_at": CREATED_AT,
            "updated_at": updated_at or UPDATED_AT,
        }
    )
