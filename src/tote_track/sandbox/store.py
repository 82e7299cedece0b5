"""Where the sandbox keeps its orders and idempotency keys: in memory or in SQLite.

Both stores answer the same questions the same way (one test suite runs against both):
the newest-first keyset page of a filtered listing, one order by id, and the idempotency
records of the cancel endpoint. Records are immutable, so the memory store hands out the
stored objects themselves (no copies) and caches their JSON.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import TypeAdapter

from tote_track.api.models import (
    FulfillmentStatus,
    Money,
    Order,
    OrderStatus,
    PaymentMethod,
)

__all__ = [
    "IdempotencyRecord",
    "MemoryStore",
    "OrderFilter",
    "OrderRecord",
    "OrderStore",
    "PlannedPayment",
    "SortKey",
    "SqliteStore",
    "sort_key_text",
]

SortKey = tuple[datetime, str]
"""Where an order sits in a listing: ``(created_at, id)``; listings are newest first."""

_ORDER_SERIALIZER = Order.__pydantic_serializer__
_SUMMARY_EXCLUDE = {"items", "payments"}


@dataclass(frozen=True, slots=True)
class PlannedPayment:
    """A payment named when the order was created; it joins ``payments`` when submitted."""

    amount: Money
    payment_method: PaymentMethod

    def to_json(self) -> dict[str, Any]:
        return {"amount": self.amount.model_dump(), "payment_method": str(self.payment_method)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedPayment:
        return cls(
            amount=Money.model_validate(data["amount"]),
            payment_method=PaymentMethod(data["payment_method"]),
        )


class OrderRecord:
    """One stored order: the wire ``Order`` plus the payments still planned for it.

    The order and its two JSON forms (full, and the summary ``GET /orders`` lists) are
    computed from one another on first use and then kept, so a record read many times is
    serialised once.
    """

    __slots__ = ("_json", "_order", "_summary_json", "plan")

    def __init__(self, order: Order, plan: Sequence[PlannedPayment] = ()) -> None:
        self._order: Order | None = order
        self._json: bytes | None = None
        self._summary_json: bytes | None = None
        self.plan: tuple[PlannedPayment, ...] = tuple(plan)

    @classmethod
    def from_json(
        cls, doc: bytes, summary: bytes | None, plan: Sequence[PlannedPayment]
    ) -> OrderRecord:
        record = cls.__new__(cls)
        record._order = None
        record._json = doc
        record._summary_json = summary
        record.plan = tuple(plan)
        return record

    @property
    def order(self) -> Order:
        if self._order is None:
            assert self._json is not None
            self._order = Order.model_validate_json(self._json)
        return self._order

    @property
    def id(self) -> str:
        return self.order.id

    @property
    def key(self) -> SortKey:
        return (self.order.created_at, self.order.id)

    @property
    def json(self) -> bytes:
        """The order as ``GET /orders/{id}`` returns it."""
        if self._json is None:
            self._json = _ORDER_SERIALIZER.to_json(self.order, exclude_none=True)
        return self._json

    @property
    def summary_json(self) -> bytes:
        """The order as ``GET /orders`` lists it (no ``items`` or ``payments``)."""
        if self._summary_json is None:
            self._summary_json = _ORDER_SERIALIZER.to_json(
                self.order, exclude=_SUMMARY_EXCLUDE, exclude_none=True
            )
        return self._summary_json


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """The filters of ``GET /orders``, combined with AND; ``None`` means any."""

    status: OrderStatus | None = None
    fulfillment_status: FulfillmentStatus | None = None
    location_id: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None

    def matches(self, order: Order) -> bool:
        return (
            (self.status is None or order.status == self.status)
            and (
                self.fulfillment_status is None
                or order.fulfillment_status == self.fulfillment_status
            )
            and (self.location_id is None or order.location_id == self.location_id)
            and (self.date_from is None or order.created_at >= self.date_from)
            and (self.date_to is None or order.created_at <= self.date_to)
        )


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """The first response to a request made with ``key``, replayed to its retries."""

    key: str
    fingerprint: str
    status_code: int
    body: bytes
    created_at: datetime


class OrderStore(Protocol):
    """What the engine needs from storage. Every write is durable when the call returns."""

    def get(self, order_id: str) -> OrderRecord | None: ...

    def put(self, record: OrderRecord, *, idempotency: IdempotencyRecord | None = None) -> None:
        """Insert or replace an order (and, atomically with it, an idempotency record)."""

    def page(
        self, filters: OrderFilter, *, before: SortKey | None, limit: int
    ) -> list[OrderRecord]:
        """Up to ``limit`` matching orders, newest first, all strictly older than ``before``."""

    def count(self) -> int: ...

    def clear(self) -> int:
        """Delete every order and idempotency record; return how many orders there were."""

    def get_idempotency(self, key: str) -> IdempotencyRecord | None: ...

    def put_idempotency(self, record: IdempotencyRecord) -> None: ...

    def delete_idempotency(self, key: str) -> None: ...

    def purge_idempotency(self, created_before: datetime) -> int:
        """Forget the idempotency records created before ``created_before``."""

    def close(self) -> None: ...


# Larger than any order id, so (t, _ID_MAX) sorts after every order created at t.
_ID_MAX = "\U0010ffff"


class MemoryStore:
    """Orders in a dict plus a sorted index of ``(created_at, id)``."""

    def __init__(self) -> None:
        self._orders: dict[str, OrderRecord] = {}
        self._keys: list[SortKey] = []
        self._idempotency: dict[str, IdempotencyRecord] = {}

    def get(self, order_id: str) -> OrderRecord | None:
        return self._orders.get(order_id)

    def put(self, record: OrderRecord, *, idempotency: IdempotencyRecord | None = None) -> None:
        previous = self._orders.get(record.id)
        if previous is None:
            bisect.insort(self._keys, record.key)
        elif previous.key != record.key:
            raise ValueError("an order's created_at never changes")
        self._orders[record.id] = record
        if idempotency is not None:
            self._idempotency[idempotency.key] = idempotency

    def page(
        self, filters: OrderFilter, *, before: SortKey | None, limit: int
    ) -> list[OrderRecord]:
        keys = self._keys
        high = len(keys) if before is None else bisect.bisect_left(keys, before)
        if filters.date_to is not None:
            high = min(high, bisect.bisect_right(keys, (filters.date_to, _ID_MAX)))
        low = 0 if filters.date_from is None else bisect.bisect_left(keys, (filters.date_from, ""))
        found: list[OrderRecord] = []
        for index in range(high - 1, low - 1, -1):
            record = self._orders[keys[index][1]]
            if filters.matches(record.order):
                found.append(record)
                if len(found) >= limit:
                    break
        return found

    def count(self) -> int:
        return len(self._orders)

    def clear(self) -> int:
        count = len(self._orders)
        self._orders.clear()
        self._keys.clear()
        self._idempotency.clear()
        return count

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        return self._idempotency.get(key)

    def put_idempotency(self, record: IdempotencyRecord) -> None:
        self._idempotency[record.key] = record

    def delete_idempotency(self, key: str) -> None:
        self._idempotency.pop(key, None)

    def purge_idempotency(self, created_before: datetime) -> int:
        stale = [k for k, r in self._idempotency.items() if r.created_at < created_before]
        for key in stale:
            del self._idempotency[key]
        return len(stale)

    def close(self) -> None:
        """Nothing to release."""


def sort_key_text(moment: datetime) -> str:
    """A UTC timestamp as fixed-width text, so text order is time order."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _from_sort_text(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


_PLAN_ADAPTER: TypeAdapter[list[dict[str, Any]]] = TypeAdapter(list[dict[str, Any]])

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    location_id TEXT NOT NULL,
    status TEXT NOT NULL,
    fulfillment_status TEXT NOT NULL,
    doc BLOB NOT NULL,
    summary BLOB NOT NULL,
    plan TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_newest ON orders (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS orders_location ON orders (location_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS orders_status ON orders (status, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS orders_fulfillment
    ON orders (fulfillment_status, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_age ON idempotency_keys (created_at);
"""


class SqliteStore:
    """Orders in one SQLite file: JSON documents plus the indexed columns listings use.

    WAL journal with ``synchronous=FULL``: a write acknowledged to a client survives the
    process being killed (``kill -9``) or the machine losing power. One connection, shared
    by the threads that use the store under a lock.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def get(self, order_id: str) -> OrderRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc, summary, plan FROM orders WHERE id = ?", (order_id,)
            ).fetchone()
        return None if row is None else _record_of(row)

    def put(self, record: OrderRecord, *, idempotency: IdempotencyRecord | None = None) -> None:
        order = record.order
        plan = json.dumps([p.to_json() for p in record.plan])
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO orders (id, created_at, location_id, status, fulfillment_status,"
                    " doc, summary, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
                    " fulfillment_status = excluded.fulfillment_status,"
                    " location_id = excluded.location_id,"
                    " doc = excluded.doc, summary = excluded.summary, plan = excluded.plan",
                    (
                        order.id,
                        sort_key_text(order.created_at),
                        order.location_id,
                        str(order.status),
                        str(order.fulfillment_status),
                        record.json,
                        record.summary_json,
                        plan,
                    ),
                )
                if idempotency is not None:
                    self._put_idempotency(idempotency)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def page(
        self, filters: OrderFilter, *, before: SortKey | None, limit: int
    ) -> list[OrderRecord]:
        where: list[str] = []
        args: list[Any] = []
        if filters.status is not None:
            where.append("status = ?")
            args.append(str(filters.status))
        if filters.fulfillment_status is not None:
            where.append("fulfillment_status = ?")
            args.append(str(filters.fulfillment_status))
        if filters.location_id is not None:
            where.append("location_id = ?")
            args.append(filters.location_id)
        if filters.date_from is not None:
            where.append("created_at >= ?")
            args.append(sort_key_text(filters.date_from))
        if filters.date_to is not None:
            where.append("created_at <= ?")
            args.append(sort_key_text(filters.date_to))
        if before is not None:
            where.append("(created_at, id) < (?, ?)")
            args += [sort_key_text(before[0]), before[1]]
        sql = "SELECT doc, summary, plan FROM orders"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_record_of(row) for row in rows]

    def count(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM orders").fetchone()
        return int(count)

    def clear(self) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            (count,) = self._db.execute("SELECT COUNT(*) FROM orders").fetchone()
            self._db.execute("DELETE FROM orders")
            self._db.execute("DELETE FROM idempotency_keys")
            self._db.execute("COMMIT")
        return int(count)

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT key, fingerprint, status_code, body, created_at FROM idempotency_keys"
                " WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        return IdempotencyRecord(
            key=row[0],
            fingerprint=row[1],
            status_code=int(row[2]),
            body=bytes(row[3]),
            created_at=_from_sort_text(row[4]),
        )

    def put_idempotency(self, record: IdempotencyRecord) -> None:
        with self._lock:
            self._put_idempotency(record)

    def _put_idempotency(self, record: IdempotencyRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO idempotency_keys"
            " (key, fingerprint, status_code, body, created_at) VALUES (?, ?, ?, ?, ?)",
            (
                record.key,
                record.fingerprint,
                record.status_code,
                record.body,
                sort_key_text(record.created_at),
            ),
        )

    def delete_idempotency(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM idempotency_keys WHERE key = ?", (key,))

    def purge_idempotency(self, created_before: datetime) -> int:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?",
                (sort_key_text(created_before),),
            )
        return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _record_of(row: tuple[Any, ...]) -> OrderRecord:
    doc, summary, plan = row
    planned = [PlannedPayment.from_json(item) for item in _PLAN_ADAPTER.validate_json(plan)]
    return OrderRecord.from_json(bytes(doc), bytes(summary), planned)
