"""The ``tote-track`` command line.

Heavy modules (Textual, the sandbox's server stack) are imported inside the commands
that need them, so ``tote-track --help`` and ``watch`` start fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from tote_track import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _OrderIdGroup(click.Group):
    """A group where ``tote-track ORDER_ID`` means ``tote-track track ORDER_ID``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        if (
            first is not None
            and first not in self.commands
            and not _is_group_option_value(args, first)
        ):
            args = ["track", *args]
        return super().parse_args(ctx, args)


def _is_group_option_value(args: list[str], value: str) -> bool:
    # `tote-track --base-url URL ORDER_ID`: URL is an option value, not a command.
    index = args.index(value)
    return index > 0 and args[index - 1] in ("--base-url", "--token")


def _api_options(func: Any) -> Any:
    func = click.option(
        "--token",
        envvar="TOTE_API_TOKEN",
        default=None,
        show_envvar=True,
        help="API token (never printed).",
    )(func)
    return click.option(
        "--base-url",
        envvar="TOTE_API_BASE_URL",
        default=None,
        show_envvar=True,
        help="API base URL (default: the Tote sandbox).",
    )(func)


@click.group(cls=_OrderIdGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="tote-track")
def main() -> None:
    """Follow a Tote online order from your terminal.

    \b
    tote-track ORDER_ID        track one order (live progress, cancel)
    tote-track demo            the tracker on a built-in sandbox, no token needed
    tote-track sandbox         a local Tote Orders API for testing
    """


@main.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token", default="sandbox", show_default=True, help="Bearer token to accept.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="SQLite file: orders survive restarts (default: in memory).",
)
@click.option("--seed", type=click.IntRange(0, 100_000), default=0, help="Create N sample orders.")
def sandbox_command(host: str, port: int, token: str, db: str | None, seed: int) -> None:
    """Serve a local Tote Orders API on loopback until Ctrl-C."""
    from tote_track.sandbox.server import run_sandbox

    sys.exit(run_sandbox(host=host, port=port, token=token, db=db, seed=seed))


if __name__ == "__main__":  # pragma: no cover
    main()
