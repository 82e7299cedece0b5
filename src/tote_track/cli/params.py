"""The command line's parameters: the options several commands share, and the checks that
turn a bad value into a usage error (exit 2) naming what is allowed, before any request."""

from __future__ import annotations

import functools
import math
import os
import sys
import uuid
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from click.core import ParameterSource

from tote_track.api.errors import shorten
from tote_track.tracking.order_ref import ECHO_LIMIT

_Command = TypeVar("_Command", bound=Callable[..., Any])


TOKEN_FILE_LIMIT = 64 * 1024
"""The largest ``--token-file`` read: a token is tens of characters, not a file's worth."""
TOKEN_IN_PS = (
    "A token given here is visible to other users of this machine (in `ps`) while the "
    "command runs: prefer {env}--token-file."
)


def api_options(func: _Command) -> _Command:
    """``--base-url``, ``--token``, ``--token-file`` and ``--ca-bundle`` (each but
    ``--token-file`` also from the environment)."""
    func = token_file_option(func)
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
        help="API token (never printed). " + TOKEN_IN_PS.format(env="TOTE_API_TOKEN or "),
    )(func)
    return click.option(
        "--base-url",
        envvar="TOTE_API_BASE_URL",
        default=None,
        show_envvar=True,
        help="API base URL (default: the Tote sandbox).",
    )(func)


def token_file_option(func: _Command) -> _Command:
    """``--token-file FILE`` (``-``: standard input): the command's ``token`` read from a
    file, so it never shows in ``ps``. Given with ``--token`` on the command line: a usage
    error; it wins over ``TOTE_API_TOKEN`` and a default."""

    @functools.wraps(func)
    def command(*args: Any, token_file: str | None = None, **kwargs: Any) -> Any:
        if token_file is not None:
            ctx = click.get_current_context()
            if ctx.get_parameter_source("token") is ParameterSource.COMMANDLINE:
                raise click.UsageError("Give the token once: --token or --token-file.", ctx)
            kwargs["token"] = _read_token_file(token_file, ctx)
        return func(*args, **kwargs)

    return click.option(
        "--token-file",
        metavar="FILE",
        default=None,
        help="Read the token from FILE (- for standard input); leading and trailing "
        "whitespace is ignored.",
    )(command)  # type: ignore[return-value]


def _read_token_file(path: str, ctx: click.Context) -> str:
    """The token in ``path`` (``-``: standard input), stripped; a usage error (exit 2)
    naming the file when it cannot be read, is empty or is too large to be a token."""
    name = "standard input" if path == "-" else _quoted(path)

    def refuse(why: str) -> NoReturn:
        raise click.BadParameter(f"{name} {why}.", ctx, param_hint="'--token-file'")

    try:
        if path == "-":
            text = sys.stdin.read(TOKEN_FILE_LIMIT + 1)
        else:
            with open(os.path.expanduser(path), encoding="utf-8") as file:
                text = file.read(TOKEN_FILE_LIMIT + 1)
    except OSError as error:
        refuse(f"cannot be read ({(error.strerror or type(error).__name__).lower()})")
    except (UnicodeDecodeError, ValueError):
        refuse("is not text")
    if len(text) > TOKEN_FILE_LIMIT:
        refuse(f"is larger than {TOKEN_FILE_LIMIT // 1024} KiB: it is not a token")
    if not text.strip():
        refuse("holds no token (it is empty)")
    return text.strip()


def api_config(base_url: str | None, token: str | None, ca_bundle: str | None) -> Any:
    """The checked API configuration (``InvalidConfigError`` when it is refused: exit 2)."""
    from tote_track.api.config import ClientConfig

    return ClientConfig.resolve(base_url, token, ca_bundle=ca_bundle)


def serve_option(what: str) -> Callable[[_Command], _Command]:
    return click.option(
        "--serve",
        callback=_serve_value,
        metavar="[HOST:]PORT",
        help=f"Serve {what} to web browsers instead: one app per browser tab, the API token "
        "kept in this process. PORT alone listens on 127.0.0.1 (this machine only); name "
        "another address to reach it from a TV or tablet, e.g. 0.0.0.0:8080. Prints the URL.",
    )


def _quoted(value: object) -> str:
    """A refused argument, quoted; a long one is cut (a 10 KB one is not echoed whole)."""
    return repr(shorten(str(value), ECHO_LIMIT))


class IntRange(click.IntRange):
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


class FloatRange(click.FloatRange):
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


def order_ref(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``value`` checked as an order id, a link to an order or a short code; a usage error
    (exit 2) when it is none of these. A short code is looked up when the command runs."""
    from tote_track.tracking.order_ref import parse_order_ref

    try:
        parse_order_ref(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="ORDER") from None
    return value


def order_refs(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """``values`` checked as orders (ids, links and codes mixed, up to ``MAX_ORDERS``), each
    order once (the first way it was named); a usage error (exit 2) otherwise."""
    from tote_track.tracking.order_ref import OrderRef, parse_order_ref, parse_order_refs

    try:
        refs = parse_order_refs(values)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="ORDER") from None
    first: dict[OrderRef, str] = {}
    for value in values:
        first.setdefault(parse_order_ref(value), value)
    return tuple(first[ref] for ref in refs)


def until_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from tote_track.tracking.lifecycle import parse_target

    try:
        return parse_target(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def enum_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
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


def location_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
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


def moment_value(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
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
