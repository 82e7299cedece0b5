"""Fixtures of the tracker tests: the real sandbox app in-process, a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.tui.support import BASE_URL, FakeApi, FakeClock, make_client
from tote_track.api.control import SandboxControl
from tote_track.api.models import Order
from tote_track.sandbox.app import create_app
from tote_track.tracking.lifecycle import LifecycleEvent


class Switchboard(httpx.AsyncBaseTransport):
    """The sandbox's ASGI transport, with requests recorded and failures injectable.

    ``fail_cancels`` makes that many ``POST …/cancel`` requests fail with a dropped
    connection before they reach the server.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.fail_cancels = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/cancel") and self.fail_cancels > 0:
            self.fail_cancels -= 1
            raise httpx.ConnectError("connection reset by peer", request=request)
        return await self.inner.handle_async_request(request)

    def cancels(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/cancel")]


@dataclass
class Sandbox:
    transport: Switchboard
    control: SandboxControl

    async def order(self, body: dict[str, Any] | None = None, *events: str) -> Order:
        order = await self.control.create_order(body)
        for event in events:
            order = await self.fire(order.id, event)
        return order

    async def fire(self, order_id: str, event: str) -> Order:
        return await self.control.fire_event(order_id, LifecycleEvent(event))


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """The sandbox API in-process (lifespan running) behind a recording transport."""
    app = create_app(token="sandbox")
    async with app.router.lifespan_context(app):
        transport = Switchboard(httpx.ASGITransport(app=app))
        async with make_client(transport, BASE_URL) as client:
            yield Sandbox(transport, SandboxControl(client))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> FakeApi:
    """A scripted API answering the guide's order until a test queues other answers."""
    return FakeApi()
