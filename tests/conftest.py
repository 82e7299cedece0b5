from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hostile_server import HostileServer
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.sandbox.server import EmbeddedSandbox

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def guide_order_json() -> dict[str, Any]:
    """The guide's example ``GET /orders/{id}`` response, word for word."""
    data: dict[str, Any] = load_fixture("guide_order.json")
    return data


@pytest.fixture
def guide_cancel_json() -> dict[str, Any]:
    """The guide's example cancel response, word for word."""
    data: dict[str, Any] = load_fixture("guide_cancel_response.json")
    return data


@pytest.fixture
def hostile_server() -> Iterator[HostileServer]:
    """A loopback API that answers whatever the test routes (see tests/hostile_server.py)."""
    with HostileServer() as server:
        yield server


def pickup_order(sandbox: EmbeddedSandbox, *events: str) -> str:
    """A new pickup order on a running sandbox, moved along by ``events``; its id."""

    async def create() -> str:
        async with ToteClient(sandbox.config) as client:
            control = SandboxControl(client)
            order = await control.create_order({"handoff": {"mode": "PICKUP"}})
            for event in events:
                await control.fire_event(order.id, event)
            return order.id

    return asyncio.run(create())
