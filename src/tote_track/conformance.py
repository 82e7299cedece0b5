"""``tote-track conformance``: an API checked against the order-tracking guide.

The runner makes the requests through the project's client (TLS, proxies, bounded bodies,
retries of 429 and 5xx) and hands each decoded answer to the pure rules of
:mod:`tote_track.tracking.conformance`; it then prints one row per check (or JSON).

Read-only unless ``--cancel ORDER``: ``GET /orders`` (a page, a few pages through the
cursor with a small ``limit``, each of the five filters with a value taken from a listed
order), ``GET /orders/{id}``, and two error answers (an unknown order: 404; a made-up
token: 401). ``--cancel ORDER`` also cancels that order (one ``POST /orders/{id}/cancel``
with an ``Idempotency-Key``) and checks the answer against the order's state before.

Exit codes (``exit_codes``): 0 every check passed, 1 one failed (``CHECKS_FAILED``), 4 the
API could not be reached or refused the token (``run_command``'s mapping).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import click

from tote_track import exit_codes
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import ApiStatusError, BadResponseError, server_text
from tote_track.run import CommandFailed
from tote_track.tracking import conformance as rules
from tote_track.tracking.conformance import Check

__all__ = ["Answer", "run_conformance"]

CANCEL_REASON = "tote-track conformance check"
_NOT_JSON = object()


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as the rules see it: its status and its decoded JSON."""

    status: int | None
    payload: Any


async def _ask(
    client: ToteClient,
    method: str,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    body: object | None = None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """One request's answer; an error status is an answer too (not reaching the API raises)."""
    try:
        payload = await client.request_json(method, path, params=params, json=body, headers=headers)
    except ApiStatusError as error:
        return Answer(error.status_code, error.payload)
    except BadResponseError as error:
        return Answer(error.status_code, {"not the API's JSON": error.message})
    return Answer(200, payload)


def _order_path(order_id: str, suffix: str = "") -> str:
    return f"/orders/{quote(order_id, safe='')}{suffix}"


@dataclass
class _Run:
    client: ToteClient
    config: ClientConfig
    checks: list[Check] = field(default_factory=list)

    async def pages(self) -> Mapping[str, Any] | None:
        """``GET /orders``, then a few small pages through the cursor; the first order."""
        first = await _ask(self.client, "GET", "/orders")
        if first.status in (401, 403):
            raise CommandFailed(
                f"the API refused the token (HTTP {first.status}); nothing could be checked.",
                exit_codes.API_ERROR,
            )
        self.checks += rules.page_checks("GET /orders", first.payload)
        pages: list[object] = []
        cursor: str | None = None
        for _ in range(rules.MAX_PAGES):
            params = {"limit": str(rules.PAGE_LIMIT)}
            if cursor is not None:
                params["cursor"] = cursor
            page = await _ask(self.client, "GET", "/orders", params=params)
            pages.append(page.payload)
            self.checks += rules.page_checks(
                f"GET /orders?limit={rules.PAGE_LIMIT}, page {len(pages)}",
                page.payload,
                limit=rules.PAGE_LIMIT,
                shape=False,
            )
            cursor = _next_cursor(page.payload)
            if cursor is None:
                break
        self.checks += rules.pagination_checks("GET /orders, the pages followed", pages)
        rows = first.payload.get("data") if isinstance(first.payload, Mapping) else None
        if isinstance(rows, list) and rows and isinstance(rows[0], Mapping):
            return rows[0]
        return None

    async def order(self, order_id: str) -> Answer:
        answer = await _ask(self.client, "GET", _order_path(order_id))
        self.checks += rules.order_checks("GET /orders/{id}", answer.payload, order_id)
        return answer

    async def filters(self, sample: Mapping[str, Any]) -> None:
        for probe in rules.filter_probes(sample):
            answer = await _ask(self.client, "GET", "/orders", params={probe.name: probe.value})
            self.checks += rules.filter_checks(f"GET /orders?{probe.name}", probe, answer.payload)

    async def errors(self, order_id: str | None) -> None:
        missing = await _ask(self.client, "GET", _order_path(str(uuid.uuid4())))
        self.checks += rules.error_checks("404 unknown order", 404, missing.status, missing.payload)
        stranger = ClientConfig(
            self.config.base_url, f"not-a-token-{uuid.uuid4().hex}", self.config.ca_bundle
        )
        async with ToteClient(stranger, max_retries=0) as refused:
            path = _order_path(order_id) if order_id else "/orders"
            answer = await _ask(refused, "GET", path)
        self.checks += rules.error_checks("401 made-up token", 401, answer.status, answer.payload)

    async def cancel(self, order_id: str) -> None:
        before = await _ask(self.client, "GET", _order_path(order_id))
        answer = await _ask(
            self.client,
            "POST",
            _order_path(order_id, "/cancel"),
            body={"reason": CANCEL_REASON},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        self.checks += rules.cancel_checks(
            "POST /orders/{id}/cancel", before.payload, answer.status, answer.payload
        )


def _next_cursor(payload: object) -> str | None:
    pagination = payload.get("pagination") if isinstance(payload, Mapping) else None
    if not isinstance(pagination, Mapping) or pagination.get("has_more") is not True:
        return None
    cursor = pagination.get("next_cursor")
    return cursor if isinstance(cursor, str) and cursor else None


async def _check(config: ClientConfig, order_id: str | None, cancel: str | None) -> list[Check]:
    async with ToteClient(config) as client:
        run = _Run(client, config)
        first = await run.pages()
        chosen = order_id or (
            str(first["id"]) if first and isinstance(first.get("id"), str) else None
        )
        if chosen is None:
            run.checks.append(
                Check(
                    "GET /orders/{id}",
                    "an order to check",
                    False,
                    "an order in GET /orders, or --order ID",
                    "no orders",
                    "GET /orders",
                )
            )
        else:
            order = await run.order(chosen)
            sample = (
                order.payload
                if order.status == 200 and isinstance(order.payload, Mapping)
                else first
            )
            if sample is not None:
                await run.filters(sample)
        await run.errors(chosen)
        if cancel is not None:
            await run.cancel(cancel)
        return run.checks


def _safe(text: str, token: str | None) -> str:
    return server_text(text, token, limit=200)


def _print_rows(checks: Sequence[Check], token: str | None) -> None:
    area = None
    for check in checks:
        if check.area != area:
            area = check.area
            click.echo(f"\n{_safe(area, token)}")
        name = _safe(check.check, token)
        if check.passed:
            click.echo(f"  PASS  {name}: {_safe(check.got, token)}")
            continue
        where = "" if check.path == check.check else f" (at {_safe(check.path, token)})"
        click.echo(
            f"  FAIL  {name}{where}: expected {_safe(check.expected, token)}; "
            f"got {_safe(check.got, token)}"
        )


def run_conformance(
    config: ClientConfig,
    *,
    order_id: str | None = None,
    cancel: str | None = None,
    as_json: bool = False,
) -> int:
    """Check the API at ``config`` against the guide; 0 all passed, 1 any failed."""
    checks = asyncio.run(_check(config, order_id, cancel))
    passed, failed = rules.summary_of(checks)
    writes = (
        f"cancels order {cancel}" if cancel else "none (read-only; --cancel ORDER checks cancel)"
    )
    if as_json:
        token = config.token
        report = {
            "base_url": config.base_url,
            "writes": writes,
            "checks": [
                {
                    key: _safe(value, token) if isinstance(value, str) else value
                    for key, value in check.as_json().items()
                }
                for check in checks
            ],
            "passed": passed,
            "failed": failed,
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(
            f"Conformance of {_safe(config.base_url, config.token)} to the order-tracking guide"
        )
        click.echo(f"Writes: {_safe(writes, config.token)}")
        _print_rows(checks, config.token)
        click.echo(f"\n{passed + failed} checks: {passed} passed, {failed} failed.")
    return exit_codes.OK if failed == 0 else exit_codes.CHECKS_FAILED
