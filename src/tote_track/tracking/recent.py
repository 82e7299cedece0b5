"""The recent orders: those created in the last :data:`RECENT_DAYS` days, newest first, at
most :data:`RECENT_PAGES` pages of :data:`RECENT_PAGE_SIZE` (500 orders).

Both places that search orders without knowing their id read this window, the same way:
the short-code lookup (``tote-track 27C343``) and the board's location picker. An older
order is tracked by its id or its link. The pages are read by the client's one paging loop
(``ToteClient.iter_orders``, bounded by ``max_pages``); the time is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tote_track.api.errors import PaginationLimitError

if TYPE_CHECKING:
    from tote_track.api.client import ToteClient
    from tote_track.api.models import OrderSummary

__all__ = ["RECENT_DAYS", "RECENT_PAGES", "RECENT_PAGE_SIZE", "RecentOrders", "recent_orders"]

RECENT_DAYS = 7
RECENT_PAGES = 5
RECENT_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class RecentOrders:
    """The recent orders read, and whether they are all of the window's."""

    orders: tuple[OrderSummary, ...]
    complete: bool
    """False when more orders of the window follow the pages read."""

    @property
    def where(self) -> str:
        """Which orders were searched, for a sentence: "the orders of the last 7 days", or
        "the 500 most recent orders of the last 7 days" when there were more."""
        if self.complete:
            return f"the orders of the last {RECENT_DAYS} days"
        return f"the {len(self.orders)} most recent orders of the last {RECENT_DAYS} days"


async def recent_orders(
    client: ToteClient, now: datetime, *, pages: int = RECENT_PAGES
) -> RecentOrders:
    """The orders created in the :data:`RECENT_DAYS` days before ``now``, at most ``pages``
    pages of them (newest first). A ``ToteError`` of a request passes through."""
    orders: list[OrderSummary] = []
    try:
        async for order in client.iter_orders(
            date_from=now - timedelta(days=RECENT_DAYS),
            page_size=RECENT_PAGE_SIZE,
            max_pages=pages,
        ):
            orders.append(order)
    except PaginationLimitError:
        return RecentOrders(tuple(orders), complete=False)
    return RecentOrders(tuple(orders), complete=True)
