"""Several orders followed at once (``watch A B C``): when the whole watch is decided, and
its exit code.

Each order is watched by the single-order rules (``headless.follow_order``) and ends with
that watch's exit code (``exit_codes``). The whole watch ends once every order is decided:
0 when every one reached the target (or, without one, completed), otherwise the highest of
their codes (1 ended another way, 3 gave up, 4 API error). With ``fail_fast`` it ends as
soon as one order can no longer get there (its watch ended with a code other than 0).

The tracker shows several orders as a list, one :func:`order_line` each.

Pure: the caller hands in the codes of the orders decided so far, and the orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tote_track import exit_codes
from tote_track.api.statuses import OrderStatus
from tote_track.tracking.presentation import status_breakdown
from tote_track.tracking.stepper import Progress

if TYPE_CHECKING:  # the models (pydantic) load with the first order, not before
    from tote_track.api.models import OrderSummary

__all__ = ["OrderLine", "combined_exit", "order_line", "verdict"]


def combined_exit(codes: Mapping[str, int]) -> int:
    """The exit code of a watch whose orders ended with ``codes`` (order id: code)."""
    return max(codes.values(), default=exit_codes.OK)


def verdict(decided: Mapping[str, int], watched: int, *, fail_fast: bool = False) -> int | None:
    """The whole watch's exit code once it is decided, else None (keep watching).

    ``decided``: the exit code of each order whose watch ended; ``watched``: how many
    orders are watched in all.
    """
    failed = [code for code in decided.values() if code != exit_codes.OK]
    if fail_fast and failed:
        return max(failed)
    if len(decided) >= watched:
        return combined_exit(decided)
    return None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One order in the list of several: where it is in words, and its step."""

    status: str
    """The customer's words for where it is: ``Being prepared``, ``Ready · waiting for you``."""
    step: str
    """The current step and how far along (``Preparing 3/5``), or how it ended."""


def order_line(order: OrderSummary, progress: Progress) -> OrderLine:
    """The compact line of an order beside others (the tracker's list of several)."""
    order_row, _, fulfillment_row = status_breakdown(order)
    ending = progress.ending  # None on the happy path (under way, or completed)
    off_path = ending is not None
    status = order_row if off_path or order.status == OrderStatus.PENDING else fulfillment_row
    total = len(progress.steps)
    current = progress.current
    if current is not None:
        step = f"{current.label} {progress.steps.index(current) + 1}/{total}"
    elif ending is None:
        done = progress.done
        step = f"{done[-1].label} {len(done)}/{total}" if done else f"0/{total}"
    else:
        step = ending
    return OrderLine(status=status.words, step=step)
