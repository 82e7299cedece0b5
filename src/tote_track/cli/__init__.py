"""The ``tote-track`` command line: the commands and their parameters, nothing else.

Each command checks its parameters (``params``), then hands a runner to
``tote_track.run.run_command``, which runs it and maps its failures to exit codes once. The
runners live beside what they run: ``headless`` (``watch``, ``list``), ``tui.tracker.run``,
``tui.board.run``, ``demo``, ``sandbox.server``. Heavy modules (Textual, the sandbox's
server stack) are imported inside the runners that need them, so ``tote-track --help`` and
``watch`` start fast.
"""

from __future__ import annotations

from typing import Any

import click

from tote_track import __version__
from tote_track.cli.commands import (
    board_command,
    conformance_command,
    demo_command,
    list_command,
    sandbox_command,
    track_command,
    watch_command,
)

__all__ = ["main"]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class DefaultCommandGroup(click.Group):
    """A group with a default command: whatever does not name a command goes to it, so
    ``tote-track ORDER`` (and ``tote-track --token T ORDER``) is ``tote-track track ...``.

    click's documented way to change how a command is found (``resolve_command``, as in its
    command-aliases pattern). The group leaves options it does not know to the command
    (``ignore_unknown_options``): only ``--help`` and ``--version`` are its own.
    """

    ignore_unknown_options = True

    def __init__(self, *args: Any, default_command: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_command = default_command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.commands:
            return super().resolve_command(ctx, args)
        command = self.commands[self.default_command]
        return command.name, command, args


@click.group(cls=DefaultCommandGroup, default_command="track", context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="tote-track")
def main() -> None:
    """Follow a Tote online order from your terminal.

    \b
    tote-track ORDER           track one order (live progress, cancel)
    tote-track demo            the tracker on a built-in sandbox, no token needed
    tote-track sandbox         a local Tote Orders API for testing
    tote-track watch ORDER     follow one order in a script (a line per change)
    tote-track list            list orders (a table, or JSON)
    tote-track board --location UUID   a live board of a store's orders
    tote-track board --location UUID --serve 8080   the board in a web browser
    tote-track conformance     check an API against the guide (read-only)

    ORDER is the order's 6-character code (27C343), its id (a UUID) or a link to it
    (https://.../orders/<id>; only the id is taken from a link, the order is read from
    the configured API). A code is looked up among the orders of the last 7 days (at most
    the 500 most recent).
    """


for _command in (
    track_command,
    demo_command,
    sandbox_command,
    watch_command,
    list_command,
    board_command,
    conformance_command,
):
    main.add_command(_command)
