"""The recent orders: one window (7 days, 5 pages of 100) read through iter_orders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from tote_track.api.client import ToteClient
from tote_track.api.errors import PaginationLimitError
from tote_track.tracking.recent import RECENT_PAGE_SIZE, RECENT_PAGES, recent_orders

NOW = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


class Lister:
    """iter_orders as the client's: ``count`` orders, then the page bound if more follow."""

    def __init__(self, count: int, *, more: bool) -> None:
        self.count = count
        self.more = more
        self.asked: dict[str, Any] = {}

    async def iter_orders(self, **asked: Any) -> AsyncIterator[object]:
        self.asked = asked
        for number in range(self.count):
            yield number
        if self.more:
            raise PaginationLimitError(asked["max_pages"], "pages")


async def test_the_window_is_seven_days_of_five_pages_read_by_iter_orders() -> None:
    lister = Lister(3, more=False)
    recent = await recent_orders(cast(ToteClient, lister), NOW)
    assert recent.orders == (0, 1, 2)
    assert recent.complete
    assert recent.where == "the orders of the last 7 days"
    assert lister.asked == {
        "date_from": NOW - timedelta(days=7),
        "page_size": RECENT_PAGE_SIZE,
        "max_pages": RECENT_PAGES,
    }


async def test_more_orders_than_the_pages_read_say_how_many_were_searched() -> None:
    lister = Lister(500, more=True)
    recent = await recent_orders(cast(ToteClient, lister), NOW)
    assert len(recent.orders) == 500
    assert not recent.complete
    assert recent.where == "the 500 most recent orders of the last 7 days"
