"""Finding an order by its short code through the list endpoint (the real sandbox app)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.tui.support import BASE_URL, make_client
from tote_track import exit_codes
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.headless import OrderLookupError, find_order
from tote_track.sandbox.app import create_app
from tote_track.sandbox.engine import Engine

PREFIX = 0x27C343


class CollidingIds(random.Random):
    """Every id starts with 27C343 (so every order has that short code), then counts up."""

    def __init__(self) -> None:
        super().__init__(0)
        self.count = 0

    def getrandbits(self, k: int) -> int:
        self.count += 1
        return (PREFIX << (k - 24)) | self.count


@pytest.fixture
async def api() -> AsyncIterator[tuple[ToteClient, SandboxControl, CollidingIds]]:
    ids = CollidingIds()
    app = create_app(token="sandbox", engine=Engine(id_rng=ids))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with make_client(transport, BASE_URL) as client:
            yield client, SandboxControl(client), ids


async def test_a_short_code_finds_the_one_order_with_it(
    api: tuple[ToteClient, SandboxControl, CollidingIds],
) -> None:
    client, control, _ = api
    order = await control.create_order({"handoff": {"mode": "PICKUP"}})
    assert order.short_code == "27C343"
    assert await find_order(client, "27c343") == order.id
    assert await find_order(client, "#27C343") == order.id


async def test_a_link_gives_its_id_without_asking_its_host(
    api: tuple[ToteClient, SandboxControl, CollidingIds],
) -> None:
    client, control, _ = api
    order = await control.create_order({"handoff": {"mode": "PICKUP"}})
    link = f"https://attacker.example/shop/orders/{order.id}?ref=mail"
    assert await find_order(client, link) == order.id


async def test_a_code_no_order_has_exits_4(
    api: tuple[ToteClient, SandboxControl, CollidingIds],
) -> None:
    client, control, _ = api
    await control.create_order({"handoff": {"mode": "PICKUP"}})
    with pytest.raises(OrderLookupError) as raised:
        await find_order(client, "ABCDEF")
    assert raised.value.exit_code == exit_codes.API_ERROR
    assert raised.value.message == (
        "No order with the code ABCDEF among the orders of the last 7 days; "
        "track it by its full order id or its link instead."
    )


async def test_an_ambiguous_code_lists_the_orders_and_exits_2(
    api: tuple[ToteClient, SandboxControl, CollidingIds],
) -> None:
    client, control, _ = api
    first = await control.create_order({"handoff": {"mode": "PICKUP"}})
    second = await control.create_order({"handoff": {"mode": "PICKUP"}})
    with pytest.raises(OrderLookupError) as raised:
        await find_order(client, "27C343")
    assert raised.value.exit_code == exit_codes.USAGE
    assert raised.value.message.startswith("2 orders have the code 27C343;")
    listed = "\n".join(raised.value.lines)
    assert first.id in listed
    assert second.id in listed


async def test_only_recent_orders_are_searched(
    api: tuple[ToteClient, SandboxControl, CollidingIds],
) -> None:
    client, control, _ = api
    await control.create_order({"handoff": {"mode": "PICKUP"}})
    later = datetime.now(UTC) + timedelta(days=8)
    with pytest.raises(
        OrderLookupError, match="No order with the code 27C343 among the orders of the last 7 days"
    ):
        await find_order(client, "27C343", now=later)
