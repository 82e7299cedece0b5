"""``tote-track ORDER`` (``track``): the tracker's screen in a terminal, else lines.

Textual is imported only when there is a terminal to draw on: in a pipe the command is
``watch``'s loop (``headless``) and loads no UI.

In a terminal the API's connection opens first, on a thread, while Textual loads
(``api.warm``); then the frame is painted; the order's first request follows it at once, on
that connection, and what showing the order needs loads while it is out (``TrackerApp``).
A short code is looked up before the screen (its errors are said as ever), on a thread while
Textual loads (``api.early``); the order's request follows on the same connection, and its
answer is the app's first.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TYPE_CHECKING, Any

from tote_track.api.config import ClientConfig
from tote_track.api.early import EarlyCall
from tote_track.api.warm import WarmConnection
from tote_track.run import not_a_terminal, resume_collection, say
from tote_track.tracking.order_ref import parse_order_ref
from tote_track.tracking.polling import PollingPolicy

if TYPE_CHECKING:
    from tote_track.api.client import Reply, ToteClient

__all__ = ["FirstRequest", "run_track"]


def run_track(
    config: ClientConfig,
    text: str | Sequence[str],
    *,
    notify: bool = True,
    poll_speed: float = 1.0,
    verbose: bool = False,
) -> int:
    """Track the order ``text`` names (or each of several) until the customer quits (or,
    without a terminal, until it ends, a line per change); the exit code."""
    if not isinstance(text, str):
        return _run_several(config, text, notify=notify, poll_speed=poll_speed, verbose=verbose)
    policy = PollingPolicy().scaled(poll_speed) if poll_speed != 1.0 else None
    not_terminal = not_a_terminal()
    if not_terminal:
        from tote_track.headless import order_id_of, run_follow

        resume_collection()  # lines for as long as the order lasts: no screen starts
        order_id = order_id_of(config, text)
        say(
            f"{not_terminal} is not a terminal: printing one line per change "
            "(like `tote-track watch`)."
        )
        return run_follow(config, order_id, policy=policy)
    known = parse_order_ref(text).order_id
    if known is not None:  # an id, or a link: the app sends the first request
        warm = WarmConnection(config).start()  # its handshakes, while Textual loads
        from tote_track.tui.tracker.app import run_tracker

        return run_tracker(config, known, notify=notify, policy=policy, verbose=verbose, warm=warm)
    first = FirstRequest(config, text)
    from tote_track.tui.tracker.app import run_tracker  # Textual, while the lookup is out

    return run_tracker(
        config, first.order_id(), notify=notify, policy=policy, verbose=verbose, early=first.call
    )


def _run_several(
    config: ClientConfig,
    texts: Sequence[str],
    *,
    notify: bool,
    poll_speed: float,
    verbose: bool,
) -> int:
    """Several orders: their codes are looked up first (each as for one order), then one
    tracker follows them all; without a terminal, ``watch``'s lines for each."""
    warm = WarmConnection(config).start()  # its handshakes, while the client loads
    from tote_track.headless import order_ids_of, run_watch

    order_ids = order_ids_of(config, texts, warm=warm)
    not_terminal = not_a_terminal()
    if not_terminal:
        resume_collection()
        say(
            f"{not_terminal} is not a terminal: printing one line per change "
            "(like `tote-track watch`)."
        )
        return run_watch(config, order_ids, poll_speed=poll_speed, warm=warm)
    from tote_track.tui.tracker.app import run_tracker

    policy = PollingPolicy().scaled(poll_speed) if poll_speed != 1.0 else None
    return run_tracker(config, order_ids, notify=notify, policy=policy, verbose=verbose, warm=warm)


class FirstRequest:
    """The tracker's first requests for a short code, sent at once on a thread
    (``api.early``): the lookup, then the order's ``GET`` (for an id or a link: the
    ``GET`` alone).

    Like every check of the tracker the order's ``GET`` is one attempt (the polling policy
    owns every wait); the lookup retries as it always did.
    """

    def __init__(self, config: ClientConfig, text: str) -> None:
        self.text = text
        # The connection opens while the client's libraries load (api.warm).
        warm = WarmConnection(config).start()
        self.found: Future[str] = Future()
        """The order's id: at once for an id or a link, after the lookup for a code."""
        known = parse_order_ref(text).order_id
        if known is not None:
            self.found.set_result(known)
        else:
            # Imported here, before the thread starts: the lookup reads the models anyway.
            import tote_track.headless  # noqa: F401
        self.call: EarlyCall[Reply] = EarlyCall(warm, self._first_call).start()

    async def _first_call(self, client: ToteClient) -> Reply:
        if not self.found.done():
            from tote_track.headless import find_order

            try:
                self.found.set_result(await find_order(client, self.text))
            except BaseException as error:
                self.found.set_exception(error)
                raise
        return await client.get_order_reply(self.found.result(), max_retries=0)

    def order_id(self) -> str:
        """The order's id; waits for a code's lookup, whose failure is raised as the lookup
        always said it (``headless.lookup_failures``)."""
        if self.found.done():
            return self.found.result()
        from tote_track.headless import lookup_failures

        with lookup_failures(self.text):
            # The call may stop before the lookup (the trusted CAs did not load).
            either: list[Future[Any]] = [self.found, self.call.outcome]
            wait(either, return_when=FIRST_COMPLETED)
            if not self.found.done():
                self.call.outcome.result()
            return self.found.result()
