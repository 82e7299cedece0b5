"""The ``tote-track`` command line.

Heavy modules (Textual, the sandbox's server stack) are imported inside the commands
that need them, so ``tote-track --help`` and ``watch`` start fast.
"""

from __future__ import annotations

import sys
import uuid
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


ORDER_ID_EXAMPLE = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
DEMO_SPEED = 1.0


def _order_id(value: str) -> str:
    """The order id in its canonical form; a usage error (exit 2) unless it is a UUID."""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an order id. Order ids are UUIDs like {ORDER_ID_EXAMPLE}.",
            param_hint="ORDER_ID",
        ) from None


@main.command("track")
@click.argument("order_id")
@_api_options
@click.option("--no-notify", is_flag=True, help="No pop-up notification when the order changes.")
@click.option("--no-bell", is_flag=True, help="No terminal bell when the order changes.")
def track_command(
    order_id: str, base_url: str | None, token: str | None, no_notify: bool, no_bell: bool
) -> None:
    """Track one order live: progress, statuses, money; r refresh, c cancel, q quit.

    Exits 0 after quitting, 4 when the order cannot be loaded (not found, token refused).
    When stdout is not a terminal, prints one line per change instead, until the order
    ends (exit codes as `watch`: 0 completed, 1 ended another way, 3 gave up, 4 API error).
    """
    from tote_track.api.config import ClientConfig
    from tote_track.api.errors import InvalidConfigError

    order_id = _order_id(order_id)
    try:
        config = ClientConfig.resolve(base_url, token)
    except InvalidConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    if not _stdout_is_terminal():
        click.echo(
            "stdout is not a terminal: printing one line per change (like `tote-track watch`).",
            err=True,
        )
        sys.exit(_follow_headless(config, order_id))
    from tote_track.tui.app import run_tracker

    sys.exit(run_tracker(config, order_id, notify=not no_notify, bell=not no_bell))


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _follow_headless(config: Any, order_id: str) -> int:
    import asyncio

    from tote_track.api.client import ToteClient
    from tote_track.headless import follow_order

    async def run() -> int:
        async with ToteClient(config) as client:
            return await follow_order(
                client,
                order_id,
                echo=click.echo,
                warn=lambda line: click.echo(line, err=True),
            )

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 130


@main.command("demo")
@click.option(
    "--scenario",
    default="pickup",
    show_default=True,
    help="Which journey the sandbox plays: pickup, curbside, kiosk, delivery, payment_failed, "
    "voided, split_payment, cancel_window, too_late_to_cancel, returned, store_cancel.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True, max=1000),
    default=DEMO_SPEED,
    show_default=True,
    help="How much faster than a real store (1: a pickup takes about two minutes).",
)
def demo_command(scenario: str, speed: float) -> None:
    """The tracker on a built-in sandbox: no token or network needed.

    Starts the sandbox API on a free loopback port (its URL is shown, so you can curl it),
    creates an order that moves by itself, and opens the tracker on it.
    """
    from tote_track.tui.demo import run_demo

    sys.exit(run_demo(scenario, speed))


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
