"""An API checked against the order-tracking guide: pure rules over what it answered.

``tote-track conformance`` (:mod:`tote_track.conformance`) makes the requests and hands the
decoded answers here; each rule returns :class:`Check` rows: what was checked (a field's
path, ``[]`` for every element of an array), whether it passed, what the guide expects and
what came (for a failure, at the first place it failed: ``page.data[3].status``).

The shapes come from the client's own models (:mod:`tote_track.api.models`), walked field by
field, with the guide's stricter words where a model is lenient on purpose: an enum value
outside the guide's lists is a failure here (the tracker tolerates it), money is an integer
number of minor units, a date-time is an ISO 8601 string with its offset, ids are UUIDs.
Fields the guide does not name are allowed (the models keep them too).
"""

from __future__ import annotations

import json
import re
import types
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel

from tote_track.api.models import (
    CancelResult,
    Money,
    Order,
    OrderSummary,
    Page,
    TolerantEnum,
    check_moment,
)
from tote_track.tracking.lifecycle import (
    CANCELLABLE_FULFILLMENT_STATUSES,
    TERMINAL_ORDER_STATUSES,
)

__all__ = [
    "MAX_PAGES",
    "PAGE_LIMIT",
    "Check",
    "FilterProbe",
    "Said",
    "cancel_checks",
    "error_checks",
    "filter_checks",
    "filter_probes",
    "order_checks",
    "page_checks",
    "pagination_checks",
    "shape_checks",
]

MAX_PAGES = 3
"""Pages followed through ``next_cursor`` (a bounded look, not a crawl)."""
PAGE_LIMIT = 2
"""The ``limit`` of the followed pages: small, so that a few orders make several pages."""
_UUID_FIELDS = frozenset({"id", "cart_id", "location_id"})
_MONEY_AMOUNT = "an integer number of minor units (cents), not a string or a decimal"
_MOMENT = "an ISO 8601 date-time with its offset, such as 2026-01-31T10:07:00Z"


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the report."""

    area: str
    check: str
    passed: bool
    expected: str
    got: str
    path: str
    """Where ``got`` was read (the first failing element for an array's field)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "check": self.check,
            "passed": self.passed,
            "expected": self.expected,
            "got": self.got,
            "path": self.path,
        }


class Said(str):
    """What came, already in words (a count, "neither"): shown as it is, not as JSON."""


def _orders(count: int) -> Said:
    return Said(f"{count} order" if count == 1 else f"{count} orders")


def described(value: object) -> str:
    """What came, as JSON (cut to 80 characters), or ``missing``."""
    if value is _MISSING:
        return "missing"
    if isinstance(value, Said):
        return str(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


_MISSING = object()


class _Rows:
    """Rows keyed by check: the first failure of a check replaces its pass."""

    def __init__(self, area: str) -> None:
        self.area = area
        self._rows: dict[str, Check] = {}

    def add(self, check: str, path: str, passed: bool, expected: str, got: object) -> None:
        kept = self._rows.get(check)
        if kept is None or (kept.passed and not passed):
            self._rows[check] = Check(self.area, check, passed, expected, described(got), path)

    @property
    def rows(self) -> list[Check]:
        return list(self._rows.values())


# -- shapes --------------------------------------------------------------------------------


def _optional(annotation: Any) -> tuple[Any, bool]:
    """(the type, whether null is allowed) of ``X | None``."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _scalar(model: type[BaseModel], name: str, kind: Any) -> tuple[str, Callable[[Any], bool]]:
    """(the guide's words, the test) for a scalar field."""
    if isinstance(kind, type) and issubclass(kind, TolerantEnum):
        members = [member.value for member in kind]
        return "one of " + ", ".join(members), lambda v: isinstance(v, str) and v in members
    if kind is bool:
        return "true or false", lambda v: isinstance(v, bool)
    if kind is int:
        words = _MONEY_AMOUNT if model is Money else "an integer"
        return words, lambda v: isinstance(v, int) and not isinstance(v, bool)
    if kind is AwareDatetime:
        return _MOMENT, _is_moment
    if model is Money and name == "currency":
        return "a 3-letter ISO 4217 code such as USD", lambda v: _matches(v, r"[A-Z]{3}")
    if name in _UUID_FIELDS:
        return "a UUID", _is_uuid
    return "a string", lambda v: isinstance(v, str)


def _matches(value: object, pattern: str) -> bool:
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        return check_moment(datetime.fromisoformat(value))
    except ValueError:
        return None


def _is_moment(value: object) -> bool:
    return _moment(value) is not None


def _walk(rows: _Rows, model: type[BaseModel], value: object, check: str, path: str) -> None:
    """Rows for ``value`` as ``model`` describes it."""
    if not isinstance(value, Mapping):
        rows.add(check, path, False, "an object", value)
        return
    for name, info in model.model_fields.items():
        kind, nullable = _optional(info.annotation)
        field_check, field_path = f"{check}.{name}", f"{path}.{name}"
        field = value.get(name, _MISSING)
        if field is _MISSING or field is None:
            if info.is_required():
                rows.add(field_check, field_path, False, "present (the guide has it)", field)
            elif field is None and not nullable:
                rows.add(field_check, field_path, False, "absent or a value", field)
            continue
        _walk_field(rows, model, name, kind, field, field_check, field_path)


def _walk_field(
    rows: _Rows, model: type[BaseModel], name: str, kind: Any, value: object, check: str, path: str
) -> None:
    if get_origin(kind) is list:
        (element,) = get_args(kind)
        if not isinstance(value, list):
            rows.add(check, path, False, "an array", value)
            return
        rows.add(check, path, True, "an array", Said(f"{len(value)} element(s)"))
        for index, item in enumerate(value):
            _walk_any(rows, model, name, element, item, f"{check}[]", f"{path}[{index}]")
        return
    _walk_any(rows, model, name, kind, value, check, path)


def _walk_any(
    rows: _Rows, model: type[BaseModel], name: str, kind: Any, value: object, check: str, path: str
) -> None:
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        _walk(rows, kind, value, check, path)
        return
    expected, test = _scalar(model, name, kind)
    rows.add(check, path, test(value), expected, value)


def shape_checks(area: str, root: str, value: object, model: type[BaseModel]) -> list[Check]:
    """A row per field of ``model`` (per field of every element, for arrays)."""
    rows = _Rows(area)
    _walk(rows, model, value, root, root)
    return rows.rows


# -- GET /orders/{id} ----------------------------------------------------------------------


def order_checks(area: str, payload: object, order_id: str) -> list[Check]:
    """The full order: every field of the guide, the order asked for, dates in order."""
    checks = shape_checks(area, "order", payload, Order)
    rows = _Rows(area)
    got = payload.get("id") if isinstance(payload, Mapping) else None
    asked = order_id.lower()
    rows.add("order.id is the order asked for", "order.id", str(got).lower() == asked, asked, got)
    if isinstance(payload, Mapping):
        created, updated = _moment(payload.get("created_at")), _moment(payload.get("updated_at"))
        if created is not None and updated is not None:
            rows.add(
                "order.updated_at is not before created_at",
                "order.updated_at",
                updated >= created,
                f"at or after {payload.get('created_at')}",
                payload.get("updated_at"),
            )
    return checks + rows.rows


# -- GET /orders ---------------------------------------------------------------------------


def _summaries(payload: object) -> list[Mapping[str, Any]]:
    data = payload.get("data") if isinstance(payload, Mapping) else None
    return [row for row in data if isinstance(row, Mapping)] if isinstance(data, list) else []


def page_checks(
    area: str, payload: object, *, limit: int | None = None, shape: bool = True
) -> list[Check]:
    """A page of summaries: its shape (unless ``shape`` is False: a further page of one
    already checked), no items or payments, the limit, newest first."""
    checks = shape_checks(area, "page", payload, Page[OrderSummary]) if shape else []
    rows = _Rows(area)
    summaries = _summaries(payload)
    for index, row in enumerate(summaries):
        extra = [name for name in ("items", "payments") if name in row]
        rows.add(
            "page.data[] has no items or payments",
            f"page.data[{index}]",
            not extra,
            "a summary: no items or payments arrays",
            Said(", ".join(extra) or "neither"),
        )
    if limit is not None:
        rows.add(
            f"limit={limit} is a page of at most {limit}",
            "page.data",
            len(summaries) <= limit,
            f"at most {limit} orders",
            _orders(len(summaries)),
        )
    pagination = payload.get("pagination") if isinstance(payload, Mapping) else None
    if isinstance(pagination, Mapping) and pagination.get("has_more") is True:
        cursor = pagination.get("next_cursor")
        rows.add(
            "has_more comes with a next_cursor",
            "page.pagination.next_cursor",
            isinstance(cursor, str) and bool(cursor),
            "a non-empty string while has_more is true",
            cursor,
        )
    return checks + rows.rows + _newest_first(area, summaries, "page.data")


def _newest_first(area: str, summaries: Sequence[Mapping[str, Any]], where: str) -> list[Check]:
    rows = _Rows(area)
    previous: datetime | None = None
    for index, row in enumerate(summaries):
        moment = _moment(row.get("created_at"))
        if moment is None:
            continue
        rows.add(
            f"{where} is newest first",
            f"{where}[{index}].created_at",
            previous is None or moment <= previous,
            "created_at never later than the order before it",
            row.get("created_at"),
        )
        previous = moment
    return rows.rows


def pagination_checks(area: str, pages: Sequence[object]) -> list[Check]:
    """Pages followed through ``next_cursor``: no order twice, newest first throughout."""
    rows = _Rows(area)
    seen: dict[str, int] = {}
    every: list[Mapping[str, Any]] = []
    for number, page in enumerate(pages, start=1):
        for row in _summaries(page):
            order_id = str(row.get("id"))
            rows.add(
                "no order comes twice across pages",
                f"page {number}: {order_id}",
                order_id not in seen,
                "each order on one page only",
                Said(f"also on page {seen[order_id]}" if order_id in seen else "once"),
            )
            seen.setdefault(order_id, number)
            every.append(row)
    rows.add(
        f"cursor pagination followed ({len(pages)} page(s), at most {MAX_PAGES})",
        "pagination.next_cursor",
        bool(pages),
        "pages of orders",
        _orders(len(every)),
    )
    return rows.rows + _newest_first(area, every, "pages")


@dataclass(frozen=True, slots=True)
class FilterProbe:
    """One filter of ``GET /orders``, with a value taken from an order the API listed."""

    name: str
    value: str
    expected: str
    keeps: Callable[[Mapping[str, Any]], bool]


def _same_text(field: str, value: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda row: str(row.get(field, "")).lower() == value.lower()


def _created(compare: Callable[[datetime, datetime], bool], moment: datetime) -> Any:
    def keeps(row: Mapping[str, Any]) -> bool:
        created = _moment(row.get("created_at"))
        return created is not None and compare(created, moment)

    return keeps


def filter_probes(sample: Mapping[str, Any]) -> list[FilterProbe]:
    """The five filters, each with the value of ``sample`` (so at least it matches)."""
    probes: list[FilterProbe] = []
    for name in ("status", "fulfillment_status", "location_id"):
        value = sample.get(name)
        if isinstance(value, str) and value:
            probes.append(
                FilterProbe(name, value, f"every {name} {value}", _same_text(name, value))
            )
    moment = _moment(sample.get("created_at"))
    if moment is not None:
        text = str(sample["created_at"])
        probes.append(
            FilterProbe(
                "date_from", text, f"created_at at or after {text}", _created(_at_or_after, moment)
            )
        )
        probes.append(
            FilterProbe(
                "date_to", text, f"created_at at or before {text}", _created(_at_or_before, moment)
            )
        )
    return probes


def _at_or_after(created: datetime, moment: datetime) -> bool:
    return created >= moment


def _at_or_before(created: datetime, moment: datetime) -> bool:
    return created <= moment


def filter_checks(area: str, probe: FilterProbe, payload: object) -> list[Check]:
    """The filtered page keeps only matching orders, and not none (the sample matches)."""
    rows = _Rows(area)
    check = f"{probe.name}={probe.value}"
    summaries = _summaries(payload)
    rows.add(
        f"{check} finds the order it was taken from",
        "page.data",
        bool(summaries),
        "at least one order",
        _orders(len(summaries)),
    )
    for index, row in enumerate(summaries):
        field = "created_at" if probe.name.startswith("date_") else probe.name
        rows.add(
            f"{check} keeps only matching orders",
            f"page.data[{index}].{field}",
            probe.keeps(row),
            probe.expected,
            row.get(field),
        )
    return rows.rows


# -- errors and cancel ---------------------------------------------------------------------


def error_checks(
    area: str, expected_status: int, status: int | None, payload: object
) -> list[Check]:
    """An error answer: its status and the envelope ``{"error": {"code", "message"}}``."""
    rows = _Rows(area)
    rows.add(
        f"status {expected_status}",
        "status",
        status == expected_status,
        str(expected_status),
        status,
    )
    error = payload.get("error", _MISSING) if isinstance(payload, Mapping) else _MISSING
    if not isinstance(error, Mapping):
        rows.add("error envelope", "error", False, '{"error": {"code", "message"}}', payload)
        return rows.rows
    for name in ("code", "message"):
        value = error.get(name, _MISSING)
        ok = isinstance(value, str) and bool(value.strip())
        rows.add(f"error.{name}", f"error.{name}", ok, "a non-empty string", value)
    return rows.rows


def cancel_checks(area: str, before: object, status: int | None, payload: object) -> list[Check]:
    """A cancel's answer against the order it was sent for: 200 and CANCELLED while
    fulfillment was PENDING or IN_PROGRESS, else 409 in the error envelope."""
    fulfillment = before.get("fulfillment_status") if isinstance(before, Mapping) else None
    order_status = before.get("status") if isinstance(before, Mapping) else None
    allowed = (
        isinstance(fulfillment, str)
        and fulfillment in CANCELLABLE_FULFILLMENT_STATUSES
        and not (isinstance(order_status, str) and order_status in TERMINAL_ORDER_STATUSES)
    )
    if not allowed:
        return error_checks(area, 409, status, payload)
    rows = _Rows(area)
    rows.add("status 200", "status", status == 200, f"200 (fulfillment was {fulfillment})", status)
    checks = rows.rows + shape_checks(area, "cancel", payload, CancelResult)
    for name in ("status", "fulfillment_status"):
        value = payload.get(name) if isinstance(payload, Mapping) else None
        checks.append(
            Check(
                area,
                f"cancel.{name} is CANCELLED",
                value == "CANCELLED",
                "CANCELLED",
                described(value),
                f"cancel.{name}",
            )
        )
    return checks


def summary_of(checks: Iterable[Check]) -> tuple[int, int]:
    """(passed, failed)."""
    results = [check.passed for check in checks]
    return results.count(True), results.count(False)
