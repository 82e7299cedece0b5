"""One sweep of a location's orders: what the board reads, without the board.

Textual is not needed here, so the board's first sweep can run on a thread while Textual
loads (``tui.board.run``, ``api.early``); every later sweep runs in the board's worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tote_track.api.client import ToteClient
from tote_track.api.errors import PaginationLimitError
from tote_track.tracking.board import SWEEP_PAGE_CAP, SWEEP_STATUS, BoardOrder, board_order

__all__ = ["SWEEP_PAGE_SIZE", "Sweep", "sweep"]

SWEEP_PAGE_SIZE = 100
"""Orders per request of a sweep: the API's maximum, so requests = pages, as few as can be."""

log = logging.getLogger("tote_track.board")


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one sweep read: the orders on the board, how many orders it went through, how
    many it left out as not valid, and whether it stopped at the page cap."""

    orders: tuple[BoardOrder, ...]
    seen: int
    skipped: int = 0
    capped: bool = False


async def sweep(
    client: ToteClient,
    location_id: str,
    *,
    page_size: int = SWEEP_PAGE_SIZE,
    max_pages: int = SWEEP_PAGE_CAP,
) -> Sweep:
    """Every confirmed order of the location, page after page (one request per page), at
    most ``max_pages`` pages. An order that is not valid is left out and counted; the
    others are shown. Only the little the board needs of each order is kept."""
    orders: list[BoardOrder] = []
    problems: list[str] = []
    seen = 0
    capped = False
    try:
        async for summary in client.iter_orders(
            location_id=location_id,
            status=SWEEP_STATUS,
            page_size=page_size,
            max_pages=max_pages,
            on_invalid=problems.append,
        ):
            seen += 1
            order = board_order(summary)
            if order is not None:
                orders.append(order)
    except PaginationLimitError:
        capped = True
    for problem in problems[:3]:
        log.warning("board: an order left out (not valid): %s", problem)
    return Sweep(tuple(orders), seen, len(problems), capped)
