"""The ``tote-track`` command line.

Heavy modules (Textual, the sandbox's server stack) are imported inside the commands
that need them, so ``tote-track --help`` and ``watch`` start fast.
"""

from __future__ import annotations

import math
import sys
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import click

from tote_track import __version__, exit_codes
from tote_track.api.errors import shorten
from tote_track.tracking.order_ref import ECHO_LIMIT

_Command = TypeVar("_Command", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _OrderIdGroup(click.Group):
    """A group where ``tote-track ORDER_ID`` means ``tote-track track ORDER_ID``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = _first_positional(args)
        if first is not None and first not in self.commands:
            args = ["track", *args]
        return super().parse_args(ctx, args)


# The tracker's options that take a value: in `tote-track --base-url URL ORDER`, URL is
# the option's value and ORDER the first positional argument.
_VALUE_OPTIONS = frozenset({"--base-url", "--token", "--ca-bundle"})


def _first_positional(args: list[str]) -> str | None:
    after_value_option = False
    for arg in args:
        if after_value_option:
            after_value_option = False
            continue
        if arg.startswith("-"):
            after_value_option = arg in _VALUE_OPTIONS
            continue
        return arg
    return None


def _api_options(func: Any) -> Any:
    func = click.option(
        "--ca-bundle",
        envvar="TOTE_CA_BUNDLE",
        default=None,
        show_envvar=True,
        metavar="FILE",
        help="PEM file of a CA to trust besides the system's (a company proxy's CA, say). "
        "SSL_CERT_FILE, SSL_CERT_DIR, HTTPS_PROXY and NO_PROXY work too; certificates are "
        "always checked.",
    )(func)
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


"""The most characters of a refused argument a message quotes (a 10 KB one is cut)."""


def _quoted(value: object) -> str:
    return repr(shorten(str(value), ECHO_LIMIT))


class _IntRange(click.IntRange):
    """click's IntRange whose error for a non-number names the numbers allowed."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            try:
                int(value)
            except ValueError:
                self.fail(
                    f"{_quoted(value)} is not a valid integer in the range "
                    f"{self._describe_range()}.",
                    param,
                    ctx,
                )
        return super().convert(value, param, ctx)


class _FloatRange(click.FloatRange):
    """click's FloatRange that also refuses nan (it compares false with every bound) and
    names the numbers allowed when the value is not one."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        allowed = f"a number in the range {self._describe_range()}"
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{_quoted(value)} is not {allowed}.", param, ctx)
        if math.isnan(number):
            self.fail(f"{_quoted(value)} is not {allowed}.", param, ctx)
        return super().convert(value, param, ctx)


@click.group(cls=_OrderIdGroup, context_settings=CONTEXT_SETTINGS)
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

    ORDER is the order's 6-character code (27C343), its id (a UUID) or a link to it
    (https://.../orders/<id>; only the id is taken from a link, the order is read from
    the configured API). A code is looked up among the orders of the last 7 days (at most
    the 500 most recent).
    """


DEMO_SPEED = 1.0


def _order_ref(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``value`` checked as an order id, a link to an order or a short code; a usage error
    (exit 2) when it is none of these. The short code is looked up later (:func:`_order_id`)."""
    from tote_track.tracking.order_ref import parse_order_ref

    try:
        parse_order_ref(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="ORDER") from None
    return value


def _order_id(config: Any, value: str) -> str:
    """The order id ``value`` names; a short code is looked up among the recent orders.

    Exits 4 when no order has the code (or the API fails), 2 when several do (listed)."""
    from tote_track.tracking.order_ref import parse_order_ref

    ref = parse_order_ref(value)
    if ref.order_id is not None:
        return ref.order_id
    import asyncio

    from tote_track.api.client import ToteClient
    from tote_track.api.errors import InvalidConfigError, ToteError
    from tote_track.headless import EXIT_API_ERROR, OrderLookupError, find_order

    async def lookup() -> str:
        async with ToteClient(config) as client:
            return await find_order(client, value)

    try:
        return asyncio.run(lookup())
    except OrderLookupError as error:
        _echo_error(f"Error: {error.message}")
        for line in error.lines:
            _echo_error(line)
        sys.exit(error.exit_code)
    except InvalidConfigError as error:
        _echo_error(f"Error: {error}")
        sys.exit(2)
    except ToteError as error:
        _echo_error(f"Error: could not look up the code {ref.short_code}: {error.message}")
        sys.exit(EXIT_API_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)


@main.command("track")
@click.argument("order_id", callback=_order_ref, metavar="ORDER")
@_api_options
@click.option(
    "--notify/--no-notify",
    envvar="TOTE_NOTIFY",
    default=True,
    show_envvar=True,
    help="Tell you when the order is ready, handed over, cancelled or failed: a desktop "
    "notification through the terminal (iTerm2, WezTerm, Windows Terminal, Ghostty, kitty, "
    "foot, GNOME Terminal; only while the terminal is in the background where it says so), "
    "the bell in other terminals. TOTE_NOTIFY=0 turns them off too.",
)
@click.option("--no-bell", "no_bell", is_flag=True, hidden=True, help="Same as --no-notify.")
@click.option(
    "--poll-speed",
    type=_FloatRange(min=0, min_open=True, max=1_000_000),
    default=1.0,
    hidden=True,
    help="Poll this many times faster than the guide's schedule (a fast sandbox).",
)
def track_command(
    order_id: str,
    base_url: str | None,
    token: str | None,
    ca_bundle: str | None,
    notify: bool,
    no_bell: bool,
    poll_speed: float,
) -> None:
    """Track one order live: progress, statuses, money; r refresh, c cancel, q quit.

    Exits 0 after quitting, 4 when the order cannot be loaded (not found, token refused).
    When stdin or stdout is not a terminal, prints one line per change instead, until the
    order ends (exit codes as `watch`: 0 completed, 1 ended another way, 3 gave up, 4 API
    error).
    """
    config = _resolve_config(base_url, token, ca_bundle)
    order_id = _order_id(config, order_id)
    not_terminal = _not_a_terminal()
    if not_terminal:
        click.echo(
            f"{not_terminal} is not a terminal: printing one line per change "
            "(like `tote-track watch`).",
            err=True,
        )
        sys.exit(_follow_headless(config, order_id))
    from tote_track.tui.tracker.app import run_tracker

    policy = None
    if poll_speed != 1.0:
        from tote_track.tracking.polling import PollingPolicy

        policy = PollingPolicy().scaled(poll_speed)
    sys.exit(run_tracker(config, order_id, notify=notify and not no_bell, policy=policy))


def _echo_error(line: str) -> None:
    """One line on stderr; the server's (or user's) words in it cannot act on the terminal."""
    from tote_track.tracking.presentation import printable

    click.echo(printable(line), err=True)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # closed
        return False


def _not_a_terminal() -> str | None:
    """Which of stdout and stdin is not a terminal (a screen needs both: without keys it
    could never be quit), or None when both are."""
    if not _stdout_is_terminal():
        return "stdout"
    if not _stdin_is_terminal():
        return "stdin"
    return None


def _follow_headless(
    config: Any,
    order_id: str,
    *,
    until: str | None = None,
    json_lines: bool = False,
    policy: Any = None,
) -> int:
    import asyncio

    from tote_track.api.client import ToteClient
    from tote_track.headless import follow_order

    async def run() -> int:
        # No retries inside the client: the polling policy owns every wait (Retry-After too).
        async with ToteClient(config, max_retries=0) as client:
            return await follow_order(
                client,
                order_id,
                echo=click.echo,
                warn=lambda line: click.echo(line, err=True),
                until=until,
                json_lines=json_lines,
                policy=policy,
            )

    from tote_track.api.errors import InvalidConfigError

    try:
        return asyncio.run(run())
    except InvalidConfigError as error:  # SSL_CERT_FILE or the CA bundle did not load
        _echo_error(f"Error: {error}")
        return exit_codes.USAGE
    except KeyboardInterrupt:
        return exit_codes.INTERRUPTED
    except BrokenPipeError:
        return _stdout_closed()


def _stdout_closed() -> int:
    """The reader of stdout went away (``| head``): stop quietly, as a killed pipe would."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
    except (OSError, ValueError):  # stdout without a file descriptor (captured)
        pass
    return exit_codes.PIPE_CLOSED


def _resolve_config(base_url: str | None, token: str | None, ca_bundle: str | None) -> Any:
    """The checked API configuration; a usage error (exit 2) when it is refused."""
    from tote_track.api.config import ClientConfig
    from tote_track.api.errors import InvalidConfigError

    try:
        return ClientConfig.resolve(base_url, token, ca_bundle=ca_bundle)
    except InvalidConfigError as error:
        _echo_error(f"Error: {error}")
        sys.exit(exit_codes.USAGE)


def _until_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from tote_track.headless import parse_target

    try:
        return parse_target(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@main.command("watch")
@click.argument("order_id", callback=_order_ref, metavar="ORDER")
@click.option(
    "--until",
    metavar="STATE",
    callback=_until_value,
    help="Stop (exit 0) once the order reaches STATE: a status (PENDING, CONFIRMED, "
    "COMPLETED, FAILED, VOIDED, CANCELLED) or a fulfillment status (PENDING, IN_PROGRESS, "
    "PREPARING, READY_FOR_PICKUP, FULFILLED, DELIVERED, RETURNED, CANCELLED), any case. "
    "A state the order went through between two polls counts as reached.",
)
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per line (below).")
@_api_options
@click.option(
    "--poll-speed",
    type=_FloatRange(min=0, min_open=True, max=1_000_000),
    default=1.0,
    hidden=True,
    help="Poll this many times faster than the guide's schedule (a fast sandbox).",
)
def watch_command(
    order_id: str,
    until: str | None,
    json_lines: bool,
    base_url: str | None,
    token: str | None,
    ca_bundle: str | None,
    poll_speed: float,
) -> None:
    """Follow one order without a screen, for scripts: a line per change until it ends.

    Polls like the tracker (the guide's backoff: 1-5 s while payment is pending, 5-30 s
    while the store prepares, 10-60 s while out for delivery) and prints one line each time
    a status changes, with the local time it was seen. Network errors, 5xx and 429 never
    end the watch: "reconnecting · retry in N s" goes to stderr and the next try waits as
    long as the schedule (or the server's Retry-After) says.

    \b
    Exit codes:
      0    --until STATE reached; without --until: the order completed (status
           COMPLETED, whatever its fulfillment: a returned order was completed)
      1    the order ended another way (status FAILED, VOIDED or CANCELLED),
           or --until STATE can no longer be reached
      2    usage error (bad arguments, an insecure base URL)
      3    gave up: the stage's longest wait passed without an end (2 min for
           payment, 60 min for preparation, 120 min for delivery; 120 min of
           checks for a return after completion with --until RETURNED)
      4    API or network error that did not recover (not found, token refused,
           a certificate not trusted)
      130  interrupted (Ctrl-C)
    The exit code depends on what the order is, never on which states a poll
    happened to see; a non-zero exit prints one line on stderr saying why.

    \b
    --json: every event as one JSON object per line on stdout, e.g.
      {"seen_at": "2026-01-31T10:09:12.000Z", "event": "change",
       "id": "f9a8b7c6-...", "short_code": "F9A8B7", "status": "CONFIRMED",
       "payment_status": "PAID", "fulfillment_status": "PREPARING",
       "headline": "Your order is being prepared."}
    event is change, retry, gave_up, finished or error; the status fields are the
    last known ones (null before the order was first read). retry adds retry_in
    (seconds) and error; gave_up adds waited (seconds) and exit_code; finished adds
    outcome (completed, cancelled, returned, failed, voided or null), until, reached
    and exit_code; error adds error and exit_code. error is {message, code,
    status_code, request_id}. A final error also gets one line on stderr.
    """
    config = _resolve_config(base_url, token, ca_bundle)
    order_id = _order_id(config, order_id)
    policy = None
    if poll_speed != 1.0:
        from tote_track.tracking.polling import PollingPolicy

        policy = PollingPolicy().scaled(poll_speed)
    sys.exit(_follow_headless(config, order_id, until=until, json_lines=json_lines, policy=policy))


def _enum_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A status filter in the API's spelling; a usage error naming the allowed values."""
    if value is None:
        return None
    from tote_track.api.models import FulfillmentStatus, OrderStatus

    enum = FulfillmentStatus if param.name == "fulfillment_status" else OrderStatus
    allowed = [member.value for member in enum]
    text = value.strip().upper().replace("-", "_")
    if text in allowed:
        return text
    raise click.BadParameter(f"{_quoted(value)} is not one of {', '.join(allowed)} (any case).")


def _location_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise click.BadParameter(
            f"{_quoted(value)} is not a location id. Location ids are UUIDs like "
            "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d."
        ) from None


def _serve_value(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from tote_track.serve import parse_serve_address

    try:
        return parse_serve_address(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _serve_option(what: str) -> Callable[[_Command], _Command]:
    return click.option(
        "--serve",
        callback=_serve_value,
        metavar="[HOST:]PORT",
        help=f"Serve {what} to web browsers instead: one app per browser tab, the API token "
        "kept in this process. PORT alone listens on 127.0.0.1 (this machine only); name "
        "another address to reach it from a TV or tablet, e.g. 0.0.0.0:8080. Prints the URL.",
    )


def _not_a_terminal_unless_served() -> str | None:
    """As _not_a_terminal, but a session textual-serve started draws in a browser tab."""
    from tote_track.serve import served_to_browser

    return None if served_to_browser() else _not_a_terminal()


def _moment_value(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """An aware UTC datetime from an ISO 8601 date or date-time (no offset: UTC).

    A date alone is the whole day: its first instant for --from, its last for --to.
    """
    if value is None:
        return None
    from datetime import UTC, date, datetime, time

    text = value.strip()
    try:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            moment = datetime.fromisoformat(text)
        else:
            end = param.name == "date_to"
            moment = datetime.combine(day, time.max if end else time.min)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise click.BadParameter(
            f"{_quoted(value)} is not a date or date-time. Use ISO 8601: 2026-01-31, "
            "2026-01-31T10:07:00Z or 2026-01-31T10:07:00+01:00 (without an offset: UTC)."
        ) from None


@main.command("list")
@click.option("--status", callback=_enum_value, metavar="S", help="Only orders with this status.")
@click.option(
    "--fulfillment-status",
    callback=_enum_value,
    metavar="F",
    help="Only orders at this fulfillment status (e.g. READY_FOR_PICKUP).",
)
@click.option(
    "--location", callback=_location_value, metavar="UUID", help="Only this store's orders."
)
@click.option(
    "--from",
    "date_from",
    callback=_moment_value,
    metavar="T",
    help="Orders created at or after T (ISO 8601 date or date-time; no offset: UTC).",
)
@click.option(
    "--to",
    "date_to",
    callback=_moment_value,
    metavar="T",
    help="Orders created at or before T (a date alone: until the end of that day).",
)
@click.option(
    "--limit",
    type=_IntRange(1, 100),
    default=None,
    help="Orders per page, 1-100 (default 20; with --all, pages of 100).",
)
@click.option("--all", "all_pages", is_flag=True, help="Every matching order, page after page.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of the API's summaries.")
@_api_options
def list_command(
    status: str | None,
    fulfillment_status: str | None,
    location: str | None,
    date_from: Any,
    date_to: Any,
    limit: int | None,
    all_pages: bool,
    as_json: bool,
    base_url: str | None,
    token: str | None,
    ca_bundle: str | None,
) -> None:
    """List orders, newest first: a table (or JSON with --json).

    Filters combine (AND). Without --all one page is shown, with a footer saying when
    more follow. Exit codes: 0 listed (also when no order matches), 2 bad arguments
    (checked before any request), 4 API or network error.
    """
    if date_from is not None and date_to is not None and date_from > date_to:
        raise click.BadParameter(
            f"--from ({date_from.isoformat()}) is later than --to ({date_to.isoformat()}); "
            "--from must be at or before --to.",
            param_hint="'--from' / '--to'",
        )
    config = _resolve_config(base_url, token, ca_bundle)
    filters = {
        "status": status,
        "fulfillment_status": fulfillment_status,
        "location_id": location,
        "date_from": date_from,
        "date_to": date_to,
    }
    sys.exit(_list_orders(config, filters, limit=limit, all_pages=all_pages, as_json=as_json))


def _list_orders(
    config: Any, filters: dict[str, Any], *, limit: int | None, all_pages: bool, as_json: bool
) -> int:
    import asyncio

    from tote_track.api.client import ToteClient
    from tote_track.api.errors import InvalidConfigError, ToteError
    from tote_track.headless import orders_json, orders_table
    from tote_track.tracking.presentation import format_duration

    async def say_then_sleep(delay: float) -> None:
        # The client waits out Retry-After (up to minutes) before its retries: say so, or
        # `list` looks hung. Waits under a second are the backoff's jitter, not worth a line.
        if delay >= 1:
            _echo_error(
                f"the API is busy (rate limited or failing); retrying in {format_duration(delay)}"
            )
        await asyncio.sleep(delay)

    async def fetch() -> tuple[list[Any], bool]:
        async with ToteClient(config, sleep=say_then_sleep) as client:
            if all_pages:
                orders = client.iter_orders(**filters, page_size=limit or 100)
                return [order async for order in orders], False
            page = await client.list_orders(**filters, limit=limit)
            return list(page.data), page.pagination.has_more

    try:
        orders, has_more = asyncio.run(fetch())
    except InvalidConfigError as error:  # SSL_CERT_FILE or the CA bundle did not load
        _echo_error(f"Error: {error}")
        return exit_codes.USAGE
    except ToteError as error:
        _echo_error(f"error: {error}")
        return exit_codes.API_ERROR
    except KeyboardInterrupt:
        return exit_codes.INTERRUPTED
    try:
        if as_json:
            click.echo(orders_json(orders))
        else:
            click.echo("\n".join(orders_table(orders, has_more=has_more)))
    except BrokenPipeError:
        return _stdout_closed()
    return exit_codes.OK


@main.command("demo")
@click.option(
    "--scenario",
    default="pickup",
    show_default=True,
    help="Which journey the sandbox plays: pickup, curbside, kiosk, delivery, payment_failed, "
    "voided, split_payment, cancel_window, too_late_to_cancel, returned, store_cancel; or "
    "manual / manual_delivery: an order only the QA console (key e) moves.",
)
@click.option(
    "--speed",
    type=_FloatRange(min=0, min_open=True, max=1000),
    default=DEMO_SPEED,
    show_default=True,
    help="How much faster than a real store (1: a pickup takes about two minutes).",
)
@click.option(
    "--board",
    "board",
    is_flag=True,
    help="Show the store board instead: a steady stream of orders at one sandbox store (q quits).",
)
@_serve_option("the demo")
def demo_command(scenario: str, speed: float, board: bool, serve: Any) -> None:
    """The tracker on a built-in sandbox: no token or network needed.

    Starts the sandbox API on a free loopback port (its URL is shown, so you can curl it),
    creates an order that moves by itself, and opens the tracker on it. With --board, a
    busy store's orders arrive every few seconds and the board shows them.

    With --serve, the demo opens in web browsers: each tab of the tracker demo plays its
    own order; with --board one sandbox and one stream of orders feed every tab's board.
    """
    if serve is not None:
        from tote_track.serve import serve_board_demo, serve_tracker_demo

        if board:
            sys.exit(serve_board_demo(speed, serve, echo=click.echo))
        sys.exit(serve_tracker_demo(scenario, speed, serve, echo=click.echo))
    not_terminal = _not_a_terminal_unless_served()
    if board:
        if not_terminal:
            click.echo(f"Error: the board needs a terminal ({not_terminal} is not one).", err=True)
            sys.exit(exit_codes.USAGE)
        from tote_track.demo import run_board_demo

        sys.exit(run_board_demo(speed))
    from tote_track.demo import MANUAL_SCENARIOS, run_demo

    if not not_terminal:
        sys.exit(run_demo(scenario, speed))
    if scenario in MANUAL_SCENARIOS:
        click.echo(
            f"Error: the {scenario} scenario is moved by the QA console, which needs a "
            f"terminal ({not_terminal} is not one).",
            err=True,
        )
        sys.exit(exit_codes.USAGE)
    click.echo(
        f"{not_terminal} is not a terminal: printing one line per change of the demo order "
        "until it ends (like `tote-track watch`).",
        err=True,
    )

    def follow(config: Any, order_id: str) -> int:
        from tote_track.tracking.polling import PollingPolicy

        # The sandbox plays the order `speed` times faster: poll that much faster too.
        return _follow_headless(config, order_id, policy=PollingPolicy().scaled(speed))

    sys.exit(run_demo(scenario, speed, follow=follow))


@main.command("board")
@click.option(
    "--location",
    callback=_location_value,
    metavar="UUID",
    help="The store whose orders are shown (without it: choose from the recent orders' "
    "locations; --kiosk needs it).",
)
@click.option(
    "--kiosk",
    is_flag=True,
    help="For a screen in the store: no header, footer or palette; pages turn by themselves; "
    "Ctrl+Q or Ctrl+C close it.",
)
@click.option("--quiet", is_flag=True, help="No chime (the terminal bell) when codes become ready.")
@_api_options
@_serve_option("the board")
def board_command(
    location: str | None,
    kiosk: bool,
    quiet: bool,
    base_url: str | None,
    token: str | None,
    ca_bundle: str | None,
    serve: Any,
) -> None:
    """A live board of one store's orders: "Preparing" and "Ready for pickup".

    Each order shows as its short code only, refreshed every 5 s; newly ready orders are
    marked NEW and the terminal's bell chimes (--quiet: no chime). r refreshes, q quits.
    Exits 2 on a bad location id or base URL.

    With --serve [HOST:]PORT the board opens in web browsers (a TV, a tablet): each tab
    runs its own board; the API token stays in this process and never reaches the page.
    """
    if location is None and (kiosk or serve is not None):
        flag = "--kiosk" if kiosk else "--serve"
        click.echo(
            f"Error: {flag} needs --location UUID (run tote-track board without {flag} to "
            "choose the store from a list).",
            err=True,
        )
        sys.exit(exit_codes.USAGE)
    config = _resolve_config(base_url, token, ca_bundle)
    if serve is not None:
        from tote_track.serve import serve_board

        assert location is not None
        sys.exit(serve_board(config, location, serve, kiosk=kiosk, echo=click.echo))
    not_terminal = _not_a_terminal_unless_served()
    if not_terminal:
        click.echo(f"Error: the board needs a terminal ({not_terminal} is not one).", err=True)
        sys.exit(exit_codes.USAGE)
    from tote_track.tui.board.app import run_board

    sys.exit(run_board(config, location, kiosk=kiosk, chime=not quiet))


@main.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8787, show_default=True, type=_IntRange(0, 65535))
@click.option(
    "--token",
    default="sandbox",
    show_default=True,
    help="Bearer token to accept (beyond loopback: a secret of 16 or more characters).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="SQLite file: orders survive restarts (default: in memory).",
)
@click.option(
    "--orders",
    type=_IntRange(0, 100_000),
    default=0,
    help="Start with N sample orders (an empty store only).",
)
@click.option(
    "--seed",
    type=_IntRange(0, 2**32 - 1),
    default=None,
    help="Random seed: the same sample orders and order ids on every start.",
)
@click.option(
    "--tls",
    is_flag=True,
    help="Serve HTTPS with a certificate from a throwaway local CA (its file is printed; kept "
    "next to --db, else in a temporary directory).",
)
@click.option(
    "--certfile",
    default=None,
    metavar="FILE",
    help="Serve HTTPS with this PEM certificate (chain) of your own instead.",
)
@click.option(
    "--keyfile", default=None, metavar="FILE", help="The private key of --certfile (PEM)."
)
def sandbox_command(
    host: str,
    port: int,
    token: str,
    db: str | None,
    orders: int,
    seed: int | None,
    tls: bool,
    certfile: str | None,
    keyfile: str | None,
) -> None:
    """Serve a local Tote Orders API on loopback until Ctrl-C (HTTPS with --tls)."""
    from tote_track.sandbox.server import run_sandbox

    sys.exit(
        run_sandbox(
            host=host,
            port=port,
            token=token,
            db=db,
            orders=orders,
            seed=seed,
            tls=tls,
            certfile=certfile,
            keyfile=keyfile,
        )
    )


if __name__ == "__main__":  # pragma: no cover
    main()
