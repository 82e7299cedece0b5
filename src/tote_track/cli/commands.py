"""The commands of ``tote-track``: their parameters and help, and which runner each hands to
``run_command`` (the one place a failure becomes an exit code)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from tote_track.cli.params import (
    TOKEN_IN_PS,
    FloatRange,
    IntRange,
    api_config,
    api_options,
    enum_value,
    location_value,
    moment_value,
    order_refs,
    serve_option,
    token_file_option,
    until_value,
)
from tote_track.run import pause_collection, run_command

DEMO_SPEED = 1.0


def _exit_with(runner: Callable[[], int]) -> NoReturn:
    sys.exit(run_command(runner))


@click.command("track")
@click.argument("order_ids", nargs=-1, required=True, callback=order_refs, metavar="ORDER...")
@api_options
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
    type=FloatRange(min=0, min_open=True, max=1_000_000),
    default=1.0,
    hidden=True,
    help="Poll this many times faster than the guide's schedule (a fast sandbox).",
)
@click.option("--verbose", is_flag=True, help="Show the polling rhythm on the bottom line (QA).")
def track_command(
    order_ids: tuple[str, ...],
    base_url: str | None,
    token: str | None,
    ca_bundle: str | None,
    notify: bool,
    no_bell: bool,
    poll_speed: float,
    verbose: bool,
) -> None:
    """Track one order live: progress, statuses, money; r refresh, c cancel, q quit.

    Several orders (up to 20; codes, ids and links mixed, each once): a list of them with
    the selected one's detail below; the arrows or 1-9 switch, each order is checked on its
    own schedule and notifies on its own.

    Exits 0 after quitting, 4 when the order cannot be loaded (not found, token refused).
    When stdin or stdout is not a terminal, prints one line per change instead, until the
    order ends (exit codes as `watch`: 0 completed, 1 ended another way, 3 gave up, 4 API
    error).
    """
    pause_collection()  # until the tracker shows its first order (tui.tracker.app)
    from tote_track.tui.tracker.run import run_track

    _exit_with(
        lambda: run_track(
            api_config(base_url, token, ca_bundle),
            order_ids[0] if len(order_ids) == 1 else order_ids,
            notify=notify and not no_bell,
            poll_speed=poll_speed,
            verbose=verbose,
        )
    )


@click.command("watch")
@click.argument("order_ids", nargs=-1, required=True, callback=order_refs, metavar="ORDER...")
@click.option(
    "--until",
    metavar="STATE",
    callback=until_value,
    help="Stop (exit 0) once the order reaches STATE: a status (PENDING, CONFIRMED, "
    "COMPLETED, FAILED, VOIDED, CANCELLED) or a fulfillment status (PENDING, IN_PROGRESS, "
    "PREPARING, READY_FOR_PICKUP, FULFILLED, DELIVERED, RETURNED, CANCELLED), any case. "
    "A state the order went through between two polls counts as reached.",
)
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per line (below).")
@click.option(
    "--fail-fast",
    is_flag=True,
    help="Several orders: stop as soon as one can no longer get there (its exit code).",
)
@api_options
@click.option(
    "--poll-speed",
    type=FloatRange(min=0, min_open=True, max=1_000_000),
    default=1.0,
    hidden=True,
    help="Poll this many times faster than the guide's schedule (a fast sandbox).",
)
def watch_command(
    order_ids: tuple[str, ...],
    until: str | None,
    json_lines: bool,
    fail_fast: bool,
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
    Several orders (up to 20; codes, ids and links mixed, each once): each is
    followed on its own schedule and every line starts with its code; the watch
    ends when every order is decided: 0 when all reached STATE (or completed),
    else the highest of their exit codes. --fail-fast ends it as soon as one
    can no longer get there.

    \b
    --json: every event as one JSON object per line on stdout, e.g.
      {"seen_at": "2026-01-31T10:09:12.000Z", "event": "change",
       "id": "f9a8b7c6-...", "short_code": "F9A8B7", "code": "F9A8B7",
       "status": "CONFIRMED",
       "payment_status": "PAID", "fulfillment_status": "PREPARING",
       "headline": "Your order is being prepared."}
    event is change, retry, gave_up, finished or error; the status fields are the
    last known ones (null before the order was first read). retry adds retry_in
    (seconds) and error; gave_up adds waited (seconds) and exit_code; finished adds
    outcome (completed, cancelled, returned, failed, voided or null), until, reached
    and exit_code; error adds error and exit_code. error is {message, code,
    status_code, request_id}. A final error also gets one line on stderr.
    """

    def watch() -> int:
        from tote_track.api.warm import WarmConnection

        config = api_config(base_url, token, ca_bundle)
        warm = WarmConnection(config).start()  # its handshakes, while the client loads
        from tote_track.headless import run_watch

        return run_watch(
            config,
            order_ids,
            until=until,
            json_lines=json_lines,
            poll_speed=poll_speed,
            fail_fast=fail_fast,
            warm=warm,
        )

    _exit_with(watch)


@click.command("list")
@click.option("--status", callback=enum_value, metavar="S", help="Only orders with this status.")
@click.option(
    "--fulfillment-status",
    callback=enum_value,
    metavar="F",
    help="Only orders at this fulfillment status (e.g. READY_FOR_PICKUP).",
)
@click.option(
    "--location", callback=location_value, metavar="UUID", help="Only this store's orders."
)
@click.option(
    "--from",
    "date_from",
    callback=moment_value,
    metavar="T",
    help="Orders created at or after T (ISO 8601 date or date-time; no offset: UTC).",
)
@click.option(
    "--to",
    "date_to",
    callback=moment_value,
    metavar="T",
    help="Orders created at or before T (a date alone: until the end of that day).",
)
@click.option(
    "--limit",
    type=IntRange(1, 100),
    default=None,
    help="Orders per page, 1-100 (default 20; with --all, pages of 100).",
)
@click.option("--all", "all_pages", is_flag=True, help="Every matching order, page after page.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of the API's summaries.")
@api_options
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
    more follow. With --all each order is printed as it arrives; one listing reads at most
    1,000 pages, 100,000 orders and 256 MiB of answers, and an error ends it where it
    stopped (the JSON array left open). Exit codes: 0 listed (also when no order matches),
    2 bad arguments (checked before any request), 4 API or network error.
    """
    if date_from is not None and date_to is not None and date_from > date_to:
        raise click.BadParameter(
            f"--from ({date_from.isoformat()}) is later than --to ({date_to.isoformat()}); "
            "--from must be at or before --to.",
            param_hint="'--from' / '--to'",
        )
    from tote_track.headless import run_list

    filters = {
        "status": status,
        "fulfillment_status": fulfillment_status,
        "location_id": location,
        "date_from": date_from,
        "date_to": date_to,
    }
    _exit_with(
        lambda: run_list(
            api_config(base_url, token, ca_bundle),
            filters,
            limit=limit,
            all_pages=all_pages,
            as_json=as_json,
        )
    )


@click.command("demo")
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
    type=FloatRange(min=0, min_open=True, max=1000),
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
@serve_option("the demo")
def demo_command(scenario: str, speed: float, board: bool, serve: Any) -> None:
    """The tracker on a built-in sandbox: no token or network needed.

    Starts the sandbox API on a free loopback port (its URL is shown, so you can curl it),
    creates an order that moves by itself, and opens the tracker on it. With --board, a
    busy store's orders arrive every few seconds and the board shows them.

    With --serve, the demo opens in web browsers: each tab of the tracker demo plays its
    own order; with --board one sandbox and one stream of orders feed every tab's board.
    """
    from tote_track.demo import run_demo_command

    _exit_with(lambda: run_demo_command(scenario, speed, board=board, serve=serve))


@click.command("board")
@click.option(
    "--location",
    callback=location_value,
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
@click.option(
    "--uncollected-after",
    type=IntRange(1, 24 * 60),
    default=15,
    show_default=True,
    metavar="MINUTES",
    help='A code ready for longer moves to a small "Please ask at the counter" strip.',
)
@click.option(
    "--max-sessions",
    type=IntRange(1, 64),
    default=8,
    show_default=True,
    help="With --serve: at most this many browser tabs at once (more get a plain page).",
)
@click.option(
    "--no-key",
    is_flag=True,
    help="With --serve beyond loopback: no access key in the URL (a trusted network only).",
)
@api_options
@serve_option("the board")
def board_command(
    location: str | None,
    kiosk: bool,
    quiet: bool,
    uncollected_after: int,
    max_sessions: int,
    no_key: bool,
    base_url: str | None,
    token: str | None,
    ca_bundle: str | None,
    serve: Any,
) -> None:
    """A live board of one store's orders: "Preparing" and "Ready for pickup".

    Each order shows as its short code only, refreshed every 5 s; a newly ready code is
    called (shown alone in the largest type, the terminal's bell chimes; --quiet: no
    chime), then marked NEW for 45 s. r refreshes, q quits.
    Exits 2 on a bad location id or base URL.

    With --serve [HOST:]PORT the board opens in web browsers (a TV, a tablet): each tab
    runs its own board; the API token stays in this process and never reaches the page.
    """
    if location is None and (kiosk or serve is not None):
        flag = "--kiosk" if kiosk else "--serve"
        raise click.UsageError(
            f"{flag} needs --location UUID (run tote-track board without {flag} to "
            "choose the store from a list)."
        )
    from tote_track.tui.board.run import run_board_command

    _exit_with(
        lambda: run_board_command(
            api_config(base_url, token, ca_bundle),
            location,
            kiosk=kiosk,
            chime=not quiet,
            serve=serve,
            uncollected_after=uncollected_after,
            max_sessions=max_sessions,
            no_key=no_key,
        )
    )


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8787, show_default=True, type=IntRange(0, 65535))
@click.option(
    "--token",
    default="sandbox",
    show_default=True,
    help="Bearer token to accept (beyond loopback: a random secret of 22 or more characters). "
    + TOKEN_IN_PS.format(env=""),
)
@token_file_option
@click.option(
    "--db",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="SQLite file: orders survive restarts (default: in memory).",
)
@click.option(
    "--orders",
    type=IntRange(0, 100_000),
    default=0,
    help="Start with N sample orders (an empty store only).",
)
@click.option(
    "--seed",
    type=IntRange(0, 2**32 - 1),
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

    _exit_with(
        lambda: run_sandbox(
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


@click.command("conformance")
@api_options
@click.option(
    "--order",
    "order_id",
    default=None,
    metavar="ID",
    help="The order to read (default: the newest order GET /orders lists).",
)
@click.option(
    "--cancel",
    default=None,
    metavar="ORDER",
    help="Also check cancel: CANCELS this order (one POST with an Idempotency-Key).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON report instead of rows.")
def conformance_command(
    base_url: str | None,
    token: str | None,
    ca_bundle: str | None,
    order_id: str | None,
    cancel: str | None,
    as_json: bool,
) -> None:
    """Check an API against the order-tracking guide, reading only (unless --cancel).

    GET /orders/{id}: every field, type and enum of the guide, money in integer minor
    units, ISO 8601 date-times. GET /orders: the page, the five filters, limit, and a few
    pages through the cursor. The error envelope of a 404 (an unknown order) and a 401 (a
    made-up token). One row per check: PASS, or FAIL with the field's path, what the guide
    expects and what came.

    \b
    Exit codes:
      0    every check passed
      1    a check failed
      2    usage error (bad arguments, an insecure base URL)
      4    the API could not be reached, or refused the token
    """
    from tote_track.conformance import run_conformance

    _exit_with(
        lambda: run_conformance(
            api_config(base_url, token, ca_bundle),
            order_id=order_id,
            cancel=cancel,
            as_json=as_json,
        )
    )
