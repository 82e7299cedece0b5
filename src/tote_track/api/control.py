"""The local sandbox's control endpoints (create orders, fire events, faults, reset) and its
QA endpoints (the request journal, scripted answers, the polling verdict).

These endpoints exist only on the sandbox server (``tote-track sandbox``), never upstream.
They share the client's connection, token and error mapping. Creating an order and firing
an event are not idempotent, so they are sent once (no retries).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from tote_track.api.client import ToteClient, parse_model
from tote_track.api.errors import BadResponseError
from tote_track.api.models import Order

__all__ = ["SandboxControl"]


class SandboxControl:
    """Drive a sandbox server through ``/sandbox/...`` with an open :class:`ToteClient`."""

    def __init__(self, client: ToteClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"SandboxControl(base_url={self._client.base_url!r})"

    async def create_order(self, body: Mapping[str, Any] | None = None) -> Order:
        """``POST /sandbox/orders``: a new order (a realistic default without ``body``)."""
        payload = await self._client.request_json(
            "POST", "/sandbox/orders", json=dict(body) if body is not None else None, max_retries=0
        )
        return parse_model(Order, payload, "order")

    async def fire_event(self, order_id: str, event: str) -> Order:
        """``POST /sandbox/orders/{order_id}/events``: move the order along (409 if not allowed)."""
        payload = await self._client.request_json(
            "POST",
            f"/sandbox/orders/{_path_id(order_id)}/events",
            json={"type": str(event)},
            max_retries=0,
        )
        return parse_model(Order, payload, "order")

    async def set_faults(
        self,
        *,
        error_rate: float | None = None,
        latency_ms: int | None = None,
        rate_limit_per_minute: int | None = None,
        drop_rate: float | None = None,
    ) -> dict[str, Any]:
        """``PUT /sandbox/faults`` with the settings given; returns the server's settings."""
        settings = {
            "error_rate": error_rate,
            "latency_ms": latency_ms,
            "rate_limit_per_minute": rate_limit_per_minute,
            "drop_rate": drop_rate,
        }
        body = {name: value for name, value in settings.items() if value is not None}
        payload = await self._client.request_json(
            "PUT", "/sandbox/faults", json=body, allow_empty=True
        )
        if payload is None:
            return {}
        if not isinstance(payload, dict):
            raise BadResponseError(
                "The sandbox answered the faults update with something other than an object"
            )
        return payload

    async def clear_faults(self) -> None:
        """``DELETE /sandbox/faults``: no more injected failures."""
        await self._client.request_json("DELETE", "/sandbox/faults", allow_empty=True)

    async def reset(self) -> None:
        """``POST /sandbox/reset``: empty the sandbox's store."""
        await self._client.request_json("POST", "/sandbox/reset", allow_empty=True)

    async def requests(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """``GET /sandbox/requests``: the requests the sandbox answered, oldest first."""
        params = {"order_id": order_id} if order_id is not None else None
        payload = await self._client.request_json("GET", "/sandbox/requests", params=params)
        entries = payload.get("requests") if isinstance(payload, dict) else None
        if not isinstance(entries, list):
            raise BadResponseError("The sandbox's journal is not a list of requests")
        return [entry for entry in entries if isinstance(entry, dict)]

    async def clear_requests(self) -> None:
        """``DELETE /sandbox/requests``: forget the recorded requests."""
        await self._client.request_json("DELETE", "/sandbox/requests", allow_empty=True)

    async def script(self, order_id: str, responses: Sequence[Mapping[str, Any]]) -> None:
        """``POST /sandbox/orders/{order_id}/script``: the order's next answers."""
        await self._client.request_json(
            "POST",
            f"/sandbox/orders/{_path_id(order_id)}/script",
            json={"responses": [dict(answer) for answer in responses]},
            max_retries=0,
        )

    async def polling(self, order_id: str, speed: float = 1.0) -> dict[str, Any]:
        """``GET /sandbox/orders/{order_id}/polling``: the order's polling judged against
        the guide (``verdict`` and ``intervals``); ``speed``: the client polls that much
        faster than the guide."""
        payload = await self._client.request_json(
            "GET",
            f"/sandbox/orders/{_path_id(order_id)}/polling",
            params={"speed": f"{speed:g}"} if speed != 1.0 else None,
        )
        if not isinstance(payload, dict) or not isinstance(payload.get("verdict"), str):
            raise BadResponseError("The sandbox's polling verdict has no verdict")
        return payload


def _path_id(order_id: str) -> str:
    if not isinstance(order_id, str) or not order_id.strip():
        raise ValueError("order_id must be a non-empty string")
    return quote(order_id, safe="")
