"""Fixtures of the sandbox tests: a controllable clock, both stores, the app in-process."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tote_track.sandbox.app import create_app
from tote_track.sandbox.engine import Engine
from tote_track.sandbox.store import MemoryStore, OrderStore, SqliteStore

BASE_URL = "http://sandbox.test/v1/online-ordering"
TOKEN = "sandbox"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GUIDE_ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
START = datetime(2026, 1, 31, 10, 7, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told (``advance``), so time is part of the test."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OrderStore]:
    """Every test using this runs against both stores."""
    made: OrderStore = (
        MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "sandbox.db")
    )
    yield made
    made.close()


@pytest.fixture
def engine(store: OrderStore, clock: FakeClock) -> Engine:
    return Engine(store, clock=clock, rng=random.Random(1234))


@pytest.fixture
async def app(engine: Engine) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running (``httpx.ASGITransport`` does not run it)."""
    application = create_app(token=TOKEN, engine=engine)
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE_URL,
        headers=AUTH if headers is None else headers,
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


async def create_order(client: httpx.AsyncClient, body: Any = None) -> dict[str, Any]:
    response = await client.post("/sandbox/orders", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def fire(client: httpx.AsyncClient, order_id: str, *events: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for event in events:
        response = await client.post(f"/sandbox/orders/{order_id}/events", json={"type": event})
        assert response.status_code == 200, response.text
        data = response.json()
    return data
