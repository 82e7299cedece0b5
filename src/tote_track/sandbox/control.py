"""The sandbox-only control endpoints under ``/sandbox``: create orders, move them along,
inject faults, empty the store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from tote_track.api.models import Order
from tote_track.sandbox import autoplay
from tote_track.sandbox.engine import Engine, EventRequest, NewOrder
from tote_track.sandbox.errors import InvalidRequest, validation_message
from tote_track.sandbox.faults import FaultConfig
from tote_track.sandbox.openapi import error_responses
from tote_track.sandbox.routes import (
    BASE_PATH,
    EngineDep,
    NoQueryParameters,
    OrderId,
    each_parameter_once,
    json_response,
    shown,
)

__all__ = ["ResetResult", "control"]

_ORDER_SERIALIZER = Order.__pydantic_serializer__

control = APIRouter(
    prefix=f"{BASE_PATH}/sandbox",
    dependencies=[Depends(each_parameter_once)],
    responses=error_responses(400, 401),
    tags=["sandbox"],
)
"""The sandbox's own endpoints (never upstream)."""


def _order_json(order: Order, status_code: int = 200) -> Response:
    return json_response(_ORDER_SERIALIZER.to_json(order, exclude_none=True), status_code)


@control.post(
    "/orders",
    status_code=201,
    response_model=Order,
    summary="Create an order (sandbox only)",
    description=(
        "Every field is optional; without a body, an order like the guide's example "
        "(curbside, a sub and two waters) at PENDING / UNPAID / PENDING."
    ),
    operation_id="sandboxCreateOrder",
)
async def create_order(
    request: Request,
    query: NoQueryParameters,
    engine: EngineDep,
    body: Annotated[NewOrder | None, Body()] = None,
) -> Response:
    body = body if body is not None else NewOrder()
    playing = body.autoplay
    autoplayer: Any = None
    if playing is not None:
        body, autoplayer = _with_scenario(request, body)
    order = engine.create_order(body)
    if playing is not None:
        autoplayer.start(order.id, playing.scenario, float(playing.speed))
    return _order_json(order, 201)


def _with_scenario(request: Request, body: NewOrder) -> tuple[NewOrder, Any]:
    """The body with the scenario's defaults under the fields the caller gave."""
    playing = body.autoplay
    assert playing is not None
    autoplayer = getattr(request.app.state, "autoplayer", None)
    if autoplayer is None:
        raise InvalidRequest("Autoplay is not available on this server.")
    names: Sequence[str] = autoplay.SCENARIO_NAMES
    if playing.scenario not in names:
        raise InvalidRequest(
            f"Unknown scenario {shown(playing.scenario)}; use one of: {', '.join(names)}."
        )
    merged = dict(autoplay.scenario_order_body(playing.scenario))
    merged.update(body.model_dump(include=body.model_fields_set, exclude={"autoplay"}))
    try:
        return NewOrder.model_validate(merged), autoplayer
    except ValidationError as exc:
        raise InvalidRequest(validation_message(exc.errors())) from exc


@control.post(
    "/orders/{order_id}/events",
    response_model=Order,
    responses=error_responses(404, 409),
    summary="Move an order along its lifecycle (sandbox only)",
    operation_id="sandboxFireEvent",
)
async def fire_event(
    order_id: OrderId, body: EventRequest, query: NoQueryParameters, engine: EngineDep
) -> Response:
    return _order_json(engine.apply_event(order_id, body.type))


def _fault_settings(engine: Engine) -> Response:
    return json_response(json.dumps(engine.faults.config.effective()).encode())


@control.get(
    "/faults",
    response_model=FaultConfig,
    summary="The injected faults (sandbox only)",
    operation_id="sandboxGetFaults",
)
async def get_faults(query: NoQueryParameters, engine: EngineDep) -> Response:
    return _fault_settings(engine)


@control.put(
    "/faults",
    response_model=FaultConfig,
    summary="Inject faults into the order endpoints (sandbox only)",
    description="Replaces the whole configuration; an omitted field is off.",
    operation_id="sandboxSetFaults",
)
async def set_faults(body: FaultConfig, query: NoQueryParameters, engine: EngineDep) -> Response:
    engine.faults.configure(body)
    return _fault_settings(engine)


@control.delete(
    "/faults",
    response_model=FaultConfig,
    summary="Stop injecting faults (sandbox only)",
    operation_id="sandboxClearFaults",
)
async def clear_faults(query: NoQueryParameters, engine: EngineDep) -> Response:
    engine.faults.clear()
    return _fault_settings(engine)


class ResetResult(BaseModel):
    orders_deleted: int


@control.post(
    "/reset",
    response_model=ResetResult,
    summary="Delete every order (sandbox only)",
    operation_id="sandboxReset",
)
async def reset(query: NoQueryParameters, engine: EngineDep) -> Response:
    deleted = engine.reset()
    return json_response(json.dumps({"orders_deleted": deleted}).encode())
