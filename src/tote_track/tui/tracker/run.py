"""``tote-track ORDER`` (``track``): the tracker's screen in a terminal, else lines.

Textual is imported only when there is a terminal to draw on: in a pipe the command is
``watch``'s loop (``headless``) and loads no UI.
"""

from __future__ import annotations

from tote_track.api.config import ClientConfig
from tote_track.headless import order_id_of, run_follow
from tote_track.run import not_a_terminal, say
from tote_track.tracking.polling import PollingPolicy

__all__ = ["run_track"]


def run_track(
    config: ClientConfig,
    text: str,
    *,
    notify: bool = True,
    poll_speed: float = 1.0,
    verbose: bool = False,
) -> int:
    """Track the order ``text`` names until the customer quits (or, without a terminal, until
    it ends, a line per change); the exit code."""
    order_id = order_id_of(config, text)
    policy = PollingPolicy().scaled(poll_speed) if poll_speed != 1.0 else None
    not_terminal = not_a_terminal()
    if not_terminal:
        say(
            f"{not_terminal} is not a terminal: printing one line per change "
            "(like `tote-track watch`)."
        )
        return run_follow(config, order_id, policy=policy)
    from tote_track.tui.tracker.app import run_tracker

    return run_tracker(config, order_id, notify=notify, policy=policy, verbose=verbose)
