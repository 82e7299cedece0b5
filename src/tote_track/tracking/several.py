"""Several orders followed at once (``watch A B C``): when the whole watch is decided, and
its exit code.

Each order is watched by the single-order rules (``headless.follow_order``) and ends with
that watch's exit code (``exit_codes``). The whole watch ends once every order is decided:
0 when every one reached the target (or, without one, completed), otherwise the highest of
their codes (1 ended another way, 3 gave up, 4 API error). With ``fail_fast`` it ends as
soon as one order can no longer get there (its watch ended with a code other than 0).

Pure: the caller hands in the codes of the orders decided so far.
"""

from __future__ import annotations

from collections.abc import Mapping

from tote_track import exit_codes

__all__ = ["combined_exit", "verdict"]


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
