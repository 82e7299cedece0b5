"""``tote-track board``: the board in this terminal, or served to web browsers.

Textual is imported only when the board is drawn here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from tote_track.api.config import ClientConfig
from tote_track.api.early import EarlyCall
from tote_track.api.warm import WarmConnection
from tote_track.run import require_terminal

if TYPE_CHECKING:
    from tote_track.serve import ServeAddress
    from tote_track.tui.board.sweep import Sweep

__all__ = ["run_board_command"]


def run_board_command(
    config: ClientConfig,
    location_id: str | None,
    *,
    kiosk: bool = False,
    chime: bool = True,
    serve: ServeAddress | None = None,
    uncollected_after: int = 15,
    max_sessions: int = 8,
    no_key: bool = False,
) -> int:
    """The board of ``location_id`` (without it: the picker) until it is closed; the exit
    code. With ``serve``: served to web browsers until Ctrl+C."""
    if serve is not None:
        from tote_track.serve import serve_board

        assert location_id is not None  # the command line asks for it with --serve
        return serve_board(
            config,
            location_id,
            serve,
            kiosk=kiosk,
            uncollected_after=uncollected_after,
            max_sessions=max_sessions,
            no_key=no_key,
        )
    require_terminal("the board")
    warm = WarmConnection(config).start()  # its handshakes, while Textual loads
    first = None if location_id is None else first_sweep(warm, location_id)
    try:
        from tote_track.tui.board.app import run_board

        return run_board(
            config,
            location_id,
            kiosk=kiosk,
            chime=chime,
            uncollected_after=timedelta(minutes=uncollected_after),
            warm=warm,
            first=None if first is None else first.outcome,
        )
    finally:
        if first is not None:
            first.cancel()
        warm.close()


def first_sweep(warm: WarmConnection, location_id: str) -> EarlyCall[Sweep]:
    """The board's first sweep, on a thread while Textual loads (``api.early``), on the
    connection opened ahead; one request per page, as every sweep of the board (the board's
    policy owns every wait)."""
    from tote_track.tui.board.sweep import sweep

    return EarlyCall(warm, lambda client: sweep(client, location_id), max_retries=0).start()
