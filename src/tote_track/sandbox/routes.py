"""The sandbox's endpoints under ``/v1/online-ordering``, each declaring its parameters.

Query parameters are pydantic models (:class:`ListOrdersQuery`, :class:`NoQuery`): FastAPI
validates them and documents them in ``/openapi.json`` from the same declaration. Every
parameter rule raises a whole sentence (``INVALID_PARAMETER``), which the app's validation
handler sends as the envelope's message; an unknown parameter is refused with the names the
endpoint takes. Handlers return ready-made JSON bytes (each order's JSON is cached by its
record), so no response is re-validated against its model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from tote_track.api.models import (
    CancelRequest,
    FulfillmentStatus,
    Order,
    OrderStatus,
    OrderSummary,
    Page,
)
from tote_track.sandbox import autoplay
from tote_track.sandbox.engine import Engine, EventRequest, NewOrder, is_uuid
from tote_track.sandbox.errors import (
    INVALID_PARAMETER,
    CancelNotAllowed,
    InvalidRequest,
    OrderNotFound,
    SandboxError,
    error_body,
    sandbox_error_response,
    validation_message,
)
from tote_track.sandbox.faults import FaultConfig
from tote_track.sandbox.idempotency import KEY_PATTERN, fingerprint_of, parse_key
from tote_track.sandbox.openapi import UPSTREAM_ERRORS, error_responses
from tote_track.sandbox.store import OrderFilter

__all__ = [
    "BASE_PATH",
    "HotReads",
    "ListOrdersQuery",
    "NoQuery",
    "ResetResult",
    "order_body",
    "page_body",
    "router",
]

BASE_PATH = "/v1/online-ordering"
_ORDER_SERIALIZER = Order.__pydantic_serializer__
_JSON = "application/json"


def _json(
    body: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(body, status_code=status_code, media_type=_JSON, headers=headers)


def _shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


# ---------------------------------------------------------------------------------------
# Parameter rules: each raises one sentence naming the parameter and what it must be.


def _refused(info: ValidationInfo, rule: str, raw: object) -> PydanticCustomError:
    return PydanticCustomError(
        INVALID_PARAMETER,
        "The {name} parameter must be {rule}; got {got}.",
        {"name": info.field_name, "rule": rule, "got": _shown(raw)},
    )


def _one_of(enum: type[OrderStatus] | type[FulfillmentStatus]) -> BeforeValidator:
    names = [member.value for member in enum]
    rule = "one of " + ", ".join(names)

    def check(raw: object, info: ValidationInfo) -> object:
        if raw not in names:
            raise _refused(info, rule, raw)
        return raw

    return BeforeValidator(check)


def _uuid(raw: object, info: ValidationInfo) -> str:
    if not isinstance(raw, str) or not is_uuid(raw):
        raise _refused(info, "a UUID", raw)
    return raw.lower()


def _limit(raw: object, info: ValidationInfo) -> int:
    text = str(raw)
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= 100):
        raise _refused(info, "a whole number from 1 to 100", raw)
    return int(text)


_MOMENT_RULE = "an ISO 8601 date-time such as 2026-01-31T10:07:00Z"
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def _moment(*, end_of_day: bool) -> BeforeValidator:
    """An ISO 8601 date-time (no offset: UTC), or a date: its first or last moment."""

    def check(raw: object, info: ValidationInfo) -> datetime:
        text = str(raw).strip()
        if len(text) > 64:
            raise _refused(info, _MOMENT_RULE, raw)
        try:
            if _DATE_ONLY.fullmatch(text):
                day = date.fromisoformat(text)
                moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
            else:
                # A "+" left unencoded in a query string arrives as a space.
                moment = datetime.fromisoformat(_SPACE_OFFSET.sub(r"+\1", text))
        except ValueError:
            raise _refused(info, _MOMENT_RULE, raw) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # the calendar's first or last day, in another zone
            edge = datetime.min if moment.year == 1 else datetime.max
            return edge.replace(tzinfo=UTC)

    return BeforeValidator(check)


def _order_id(raw: object) -> str:
    if not isinstance(raw, str) or not is_uuid(raw):
        raise PydanticCustomError(
            INVALID_PARAMETER,
            "The order id {got} is not a UUID; order ids look like "
            "f9a8b7c6-d5e4-3210-fedc-ba9876543210.",
            {"got": _shown(raw)},
        )
    return raw.lower()


_ORDER_ID = TypeAdapter(Annotated[str, BeforeValidator(_order_id)])

OrderId = Annotated[
    str,
    BeforeValidator(_order_id),
    Path(
        description="The order's id (a UUID).",
        json_schema_extra={"format": "uuid"},
        examples=["f9a8b7c6-d5e4-3210-fedc-ba9876543210"],
    ),
]


# ---------------------------------------------------------------------------------------
# Query parameter models.


class QueryParameters(BaseModel):
    """A route's query parameters; any other name is refused (400)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    endpoint: ClassVar[str] = "this endpoint"

    @model_validator(mode="before")
    @classmethod
    def _known_names(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                names = ", ".join(cls.model_fields)
                takes = f"takes {names}" if names else "takes no query parameters"
                raise PydanticCustomError(
                    INVALID_PARAMETER,
                    "Unknown query parameter {unknown}; {endpoint} {takes}.",
                    {"unknown": ", ".join(unknown), "endpoint": cls.endpoint, "takes": takes},
                )
        return data


class NoQuery(QueryParameters):
    """The query of an endpoint that takes no parameters."""


class ListOrdersQuery(QueryParameters):
    """``GET /orders``: the filters (combined with AND), the page size and the cursor."""

    endpoint: ClassVar[str] = "GET /orders"

    status: Annotated[OrderStatus | SkipJsonSchema[None], _one_of(OrderStatus)] = Field(
        None, description="Only orders with this overall status."
    )
    fulfillment_status: Annotated[
        FulfillmentStatus | SkipJsonSchema[None], _one_of(FulfillmentStatus)
    ] = Field(None, description="Only orders at this fulfillment stage.")
    location_id: Annotated[str | SkipJsonSchema[None], BeforeValidator(_uuid)] = Field(
        None,
        description="Only orders of this store location.",
        json_schema_extra={"format": "uuid"},
    )
    date_from: Annotated[datetime | SkipJsonSchema[None], _moment(end_of_day=False)] = Field(
        None,
        description="Orders created on or after this time (ISO 8601; a date: its start).",
    )
    date_to: Annotated[datetime | SkipJsonSchema[None], _moment(end_of_day=True)] = Field(
        None,
        description="Orders created on or before this time (ISO 8601; a date: its end).",
    )
    limit: Annotated[int, BeforeValidator(_limit)] = Field(
        20, ge=1, le=100, description="Page size."
    )
    cursor: str | SkipJsonSchema[None] = Field(
        None, description="The next_cursor of the previous page, unchanged."
    )

    def filters(self) -> OrderFilter:
        return OrderFilter(
            status=self.status,
            fulfillment_status=self.fulfillment_status,
            location_id=self.location_id,
            date_from=self.date_from,
            date_to=self.date_to,
        )


NoQueryParameters = Annotated[NoQuery, Query()]
ListOrdersParameters = Annotated[ListOrdersQuery, Query()]


def _repeated(params: QueryParams) -> None:
    """``?status=A&status=B`` is refused rather than read as one of them."""
    if len(params) != len(params.multi_items()):
        seen: set[str] = set()
        for name, _ in params.multi_items():
            if name in seen:
                raise InvalidRequest(f"The query parameter {name} is given more than once.")
            seen.add(name)


async def _each_parameter_once(request: Request) -> None:
    _repeated(request.query_params)


# ---------------------------------------------------------------------------------------
# The two hot reads: their bodies, and the layer that serves them before routing.


def order_body(engine: Engine, order_id: str) -> bytes:
    """``GET /orders/{order_id}``'s body (``order_id`` already checked)."""
    return engine.get_record(order_id).json


def page_body(engine: Engine, query: ListOrdersQuery) -> bytes:
    """``GET /orders``' body."""
    return engine.list_page(query.filters(), limit=query.limit, cursor=query.cursor).json()


_ORDERS_PATH = f"{BASE_PATH}/orders"


class HotReads:
    """``GET /orders`` and ``GET /orders/{id}`` answered before FastAPI's routing, while no
    fault is configured: the two requests a polling tracker or board repeats all day.

    FastAPI's routing and dependency solving cost several times what these reads do
    (``bench/sandbox_load.py``: 0.3-0.4x bare Starlette per CPU through the routes, over
    0.6x here). This layer holds no rule of its own: it validates with the routes' own
    parameter models and id rule, answers with the same body functions and the same
    envelope, and leaves everything else (other paths, redirects, any fault) to the
    routes, which document and serve the same requests. ``test_hot_reads_answer_like_the
    _routes`` holds the two to the same answers.
    """

    def __init__(self, app: ASGIApp, *, engine: Engine) -> None:
        self.app = app
        self._engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(_ORDERS_PATH)
            and not self._engine.faults.config.active
        ):
            answer = self._answer(scope)
            if answer is not None:
                status, body = answer
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", _JSON.encode()),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> tuple[int, bytes] | None:
        rest: str = scope["path"][len(_ORDERS_PATH) :]
        raw_query: bytes = scope["query_string"]
        params = QueryParams(raw_query) if raw_query else None
        try:
            if not rest:
                if params is not None:
                    _repeated(params)
                query = ListOrdersQuery.model_validate(dict(params or ()))
                return 200, page_body(self._engine, query)
            if rest[0] != "/" or len(rest) < 2 or "/" in rest[1:]:
                return None  # not one of the two (or a redirect): the router's
            order_id = _ORDER_ID.validate_python(rest[1:])
            if params is not None:
                _repeated(params)
                NoQuery.model_validate(dict(params))
            return 200, order_body(self._engine, order_id)
        except ValidationError as exc:
            return 400, error_body(scope, "invalid_request", validation_message(exc.errors()))
        except SandboxError as exc:
            return exc.status_code, error_body(scope, exc.code, exc.message)


# ---------------------------------------------------------------------------------------
# The routes.


class ResetResult(BaseModel):
    orders_deleted: int


def router(engine: Engine) -> APIRouter:
    """Every endpoint, serving ``engine``."""
    api = APIRouter(prefix=BASE_PATH, dependencies=[Depends(_each_parameter_once)])
    faults = engine.faults

    async def upstream_faults() -> None:
        faults.check_rate_limit()
        await faults.disrupt()

    # -- upstream endpoints ---------------------------------------------------------------

    @api.get(
        "/orders/{order_id}",
        response_model=Order,
        responses=error_responses(*UPSTREAM_ERRORS, 404),
        summary="Get an order",
        operation_id="getOrder",
        tags=["orders"],
    )
    async def get_order(order_id: OrderId, query: NoQueryParameters) -> Response:
        if faults.config.active:
            await upstream_faults()
        return _json(order_body(engine, order_id))

    @api.get(
        "/orders",
        response_model=Page[OrderSummary],
        responses=error_responses(*UPSTREAM_ERRORS),
        summary="List orders, newest first",
        operation_id="listOrders",
        tags=["orders"],
    )
    async def list_orders(query: ListOrdersParameters) -> Response:
        if faults.config.active:
            await upstream_faults()
        return _json(page_body(engine, query))

    @api.post(
        "/orders/{order_id}/cancel",
        response_model=Order,
        responses=error_responses(*UPSTREAM_ERRORS, 404, 409, 422),
        summary="Cancel an order",
        description=(
            "Allowed while fulfillment_status is PENDING or IN_PROGRESS. Voids PENDING and "
            "AUTHORIZED payments, refunds CAPTURED and COMPLETED ones in full. Send an "
            "Idempotency-Key to retry safely; without one the request is not idempotent."
        ),
        operation_id="cancelOrder",
        tags=["orders"],
    )
    async def cancel_order(
        order_id: OrderId,
        body: CancelRequest,
        request: Request,
        query: NoQueryParameters,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description=(
                    "1 to 255 printable ASCII characters, plain or double-quoted; the "
                    "response is replayed to retries with the same key for 24 hours."
                ),
                json_schema_extra={"pattern": KEY_PATTERN, "minLength": 1, "maxLength": 255},
            ),
        ] = None,
    ) -> Response:
        faults.check_rate_limit()
        key = parse_key(idempotency_key)
        if key is None:
            await faults.disrupt()
            return _json(engine.cancel_record(order_id, body.reason).json)
        path = f"/orders/{order_id}/cancel"
        fingerprint = fingerprint_of("POST", path, body.model_dump(mode="json"))
        kept = engine.idempotency.claim(key, fingerprint)
        if kept is not None:
            return _json(kept.body, kept.status_code, {"Idempotent-Replayed": "true"})
        try:
            await faults.disrupt()
            try:
                record = engine.cancel_record(order_id, body.reason, idempotency=(key, fingerprint))
            except (OrderNotFound, CancelNotAllowed) as exc:
                response = sandbox_error_response(request.scope, exc)
                engine.idempotency.complete(key, fingerprint, exc.status_code, bytes(response.body))
                return response
            return _json(record.json)
        finally:
            engine.idempotency.release(key)

    # -- sandbox control endpoints ---------------------------------------------------------

    @api.post(
        "/sandbox/orders",
        status_code=201,
        response_model=Order,
        responses=error_responses(400, 401),
        summary="Create an order (sandbox only)",
        description=(
            "Every field is optional; without a body, an order like the guide's example "
            "(curbside, a sub and two waters) at PENDING / UNPAID / PENDING."
        ),
        operation_id="sandboxCreateOrder",
        tags=["sandbox"],
    )
    async def create_order(
        request: Request, query: NoQueryParameters, body: Annotated[NewOrder | None, Body()] = None
    ) -> Response:
        body = body if body is not None else NewOrder()
        playing = body.autoplay
        autoplayer: Any = None
        if playing is not None:
            body, autoplayer = _with_scenario(request, body)
        order = engine.create_order(body)
        if playing is not None:
            autoplayer.start(order.id, playing.scenario, float(playing.speed))
        return _json(_ORDER_SERIALIZER.to_json(order, exclude_none=True), 201)

    @api.post(
        "/sandbox/orders/{order_id}/events",
        response_model=Order,
        responses=error_responses(400, 401, 404, 409),
        summary="Move an order along its lifecycle (sandbox only)",
        operation_id="sandboxFireEvent",
        tags=["sandbox"],
    )
    async def fire_event(
        order_id: OrderId, body: EventRequest, query: NoQueryParameters
    ) -> Response:
        order = engine.apply_event(order_id, body.type)
        return _json(_ORDER_SERIALIZER.to_json(order, exclude_none=True))

    def fault_settings() -> Response:
        return _json(json.dumps(faults.config.effective()).encode())

    @api.get(
        "/sandbox/faults",
        response_model=FaultConfig,
        responses=error_responses(400, 401),
        summary="The injected faults (sandbox only)",
        operation_id="sandboxGetFaults",
        tags=["sandbox"],
    )
    async def get_faults(query: NoQueryParameters) -> Response:
        return fault_settings()

    @api.put(
        "/sandbox/faults",
        response_model=FaultConfig,
        responses=error_responses(400, 401),
        summary="Inject faults into the order endpoints (sandbox only)",
        description="Replaces the whole configuration; an omitted field is off.",
        operation_id="sandboxSetFaults",
        tags=["sandbox"],
    )
    async def set_faults(body: FaultConfig, query: NoQueryParameters) -> Response:
        faults.configure(body)
        return fault_settings()

    @api.delete(
        "/sandbox/faults",
        response_model=FaultConfig,
        responses=error_responses(400, 401),
        summary="Stop injecting faults (sandbox only)",
        operation_id="sandboxClearFaults",
        tags=["sandbox"],
    )
    async def clear_faults(query: NoQueryParameters) -> Response:
        faults.clear()
        return fault_settings()

    @api.post(
        "/sandbox/reset",
        response_model=ResetResult,
        responses=error_responses(400, 401),
        summary="Delete every order (sandbox only)",
        operation_id="sandboxReset",
        tags=["sandbox"],
    )
    async def reset(query: NoQueryParameters) -> Response:
        deleted = engine.reset()
        return _json(json.dumps({"orders_deleted": deleted}).encode())

    return api


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
            f"Unknown scenario {_shown(playing.scenario)}; use one of: {', '.join(names)}."
        )
    merged = dict(autoplay.scenario_order_body(playing.scenario))
    merged.update(body.model_dump(include=body.model_fields_set, exclude={"autoplay"}))
    try:
        return NewOrder.model_validate(merged), autoplayer
    except ValidationError as exc:
        raise InvalidRequest(validation_message(exc.errors())) from exc
