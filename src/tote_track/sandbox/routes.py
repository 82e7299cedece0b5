"""The sandbox's endpoints under ``/v1/online-ordering``, each declaring its parameters.

Query parameters are pydantic models (:class:`ListOrdersQuery`, :class:`NoQuery`): FastAPI
validates them and documents them in ``/openapi.json`` from the same declaration. Every
parameter rule raises a whole sentence (``INVALID_PARAMETER``), which the app's validation
handler sends as the envelope's message; an unknown parameter is refused with the names the
endpoint takes. Handlers return ready-made JSON bytes (each order's JSON is cached by its
record), so no response is re-validated against its model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request
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
from tote_track.sandbox.engine import Engine, is_uuid
from tote_track.sandbox.errors import (
    INVALID_PARAMETER,
    CancelNotAllowed,
    InvalidRequest,
    OrderNotFound,
    SandboxError,
    error_body,
    validation_message,
)
from tote_track.sandbox.idempotency import (
    KEY_PATTERN,
    KeyedRequest,
    fingerprint_of,
    parse_key,
    run_once,
)
from tote_track.sandbox.openapi import UPSTREAM_ERRORS, error_responses
from tote_track.sandbox.store import OrderFilter

__all__ = [
    "BASE_PATH",
    "EngineDep",
    "HotReads",
    "ListOrdersQuery",
    "NoQuery",
    "NoQueryParameters",
    "OrderId",
    "QueryParameters",
    "each_parameter_once",
    "engine_of",
    "json_response",
    "order_body",
    "orders",
    "page_body",
    "refused",
    "shown",
    "uuid_parameter",
]

BASE_PATH = "/v1/online-ordering"
_JSON = "application/json"


def json_response(
    body: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A response of ready-made JSON bytes."""
    return Response(body, status_code=status_code, media_type=_JSON, headers=headers)


def shown(value: object) -> str:
    """A value a caller sent, quoted and cut to 40 characters, for an error sentence."""
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


# ---------------------------------------------------------------------------------------
# Parameter rules: each raises one sentence naming the parameter and what it must be.


def refused(info: ValidationInfo, rule: str, raw: object) -> PydanticCustomError:
    """The sentence refusing a query parameter: what it must be, and what came."""
    return PydanticCustomError(
        INVALID_PARAMETER,
        "The {name} parameter must be {rule}; got {got}.",
        {"name": info.field_name, "rule": rule, "got": shown(raw)},
    )


def _one_of(enum: type[OrderStatus] | type[FulfillmentStatus]) -> BeforeValidator:
    names = [member.value for member in enum]
    rule = "one of " + ", ".join(names)

    def check(raw: object, info: ValidationInfo) -> object:
        if raw not in names:
            raise refused(info, rule, raw)
        return raw

    return BeforeValidator(check)


def uuid_parameter(raw: object, info: ValidationInfo) -> str:
    """A query parameter's rule: a UUID (lower-cased)."""
    if not isinstance(raw, str) or not is_uuid(raw):
        raise refused(info, "a UUID", raw)
    return raw.lower()


def _limit(raw: object, info: ValidationInfo) -> int:
    text = str(raw)
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= 100):
        raise refused(info, "a whole number from 1 to 100", raw)
    return int(text)


_MOMENT_RULE = "an ISO 8601 date-time such as 2026-01-31T10:07:00Z"
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def _moment(*, end_of_day: bool) -> BeforeValidator:
    """An ISO 8601 date-time (no offset: UTC), or a date: its first or last moment."""

    def check(raw: object, info: ValidationInfo) -> datetime:
        text = str(raw).strip()
        if len(text) > 64:
            raise refused(info, _MOMENT_RULE, raw)
        try:
            if _DATE_ONLY.fullmatch(text):
                day = date.fromisoformat(text)
                moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
            else:
                # A "+" left unencoded in a query string arrives as a space.
                moment = datetime.fromisoformat(_SPACE_OFFSET.sub(r"+\1", text))
        except ValueError:
            raise refused(info, _MOMENT_RULE, raw) from None
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
            {"got": shown(raw)},
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
    location_id: Annotated[str | SkipJsonSchema[None], BeforeValidator(uuid_parameter)] = Field(
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


async def each_parameter_once(request: Request) -> None:
    """Every route's dependency: a query parameter given twice is refused (400)."""
    _repeated(request.query_params)


# ---------------------------------------------------------------------------------------
# The two hot reads: their bodies, and the layer that serves them before routing.


def order_body(engine: Engine, order_id: str, scope: Scope) -> bytes:
    """``GET /orders/{order_id}``'s body (``order_id`` already checked). The order served
    goes in ``scope["state"]["order"]`` for the request journal."""
    record = engine.get_record(order_id)
    scope.setdefault("state", {})["order"] = record.order
    return record.json


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
    routes, which document and serve the same requests. While an order has a script
    (:mod:`.scripts`), every read goes to the routes too. ``test_hot_reads_answer_like_the
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
            and not self._engine.scripts
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
            return 200, order_body(self._engine, order_id, scope)
        except ValidationError as exc:
            return 400, error_body(scope, "invalid_request", validation_message(exc.errors()))
        except SandboxError as exc:
            return exc.status_code, error_body(scope, exc.code, exc.message)


# ---------------------------------------------------------------------------------------
# The upstream endpoints.


def engine_of(request: Request) -> Engine:
    """The engine the app serves (``app.state.engine``)."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(engine_of)]
"""A route's engine: ``engine: EngineDep``."""

orders = APIRouter(prefix=BASE_PATH, dependencies=[Depends(each_parameter_once)], tags=["orders"])
"""The order endpoints, exactly as the guide documents them."""


async def _upstream_faults(engine: Engine) -> None:
    engine.faults.check_rate_limit()
    await engine.faults.disrupt()


@orders.get(
    "/orders/{order_id}",
    response_model=Order,
    responses=error_responses(*UPSTREAM_ERRORS, 404),
    summary="Get an order",
    operation_id="getOrder",
)
async def get_order(
    order_id: OrderId, query: NoQueryParameters, request: Request, engine: EngineDep
) -> Response:
    scripted = bool(engine.scripts) and await engine.scripts.play(order_id)
    if not scripted and engine.faults.config.active:
        await _upstream_faults(engine)
    return json_response(order_body(engine, order_id, request.scope))


@orders.get(
    "/orders",
    response_model=Page[OrderSummary],
    responses=error_responses(*UPSTREAM_ERRORS),
    summary="List orders, newest first",
    operation_id="listOrders",
)
async def list_orders(query: ListOrdersParameters, engine: EngineDep) -> Response:
    if engine.faults.config.active:
        await _upstream_faults(engine)
    return json_response(page_body(engine, query))


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "1 to 255 printable ASCII characters, plain or double-quoted; the "
            "response is replayed to retries with the same key for 24 hours."
        ),
        json_schema_extra={"pattern": KEY_PATTERN, "minLength": 1, "maxLength": 255},
    ),
]


@orders.post(
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
)
async def cancel_order(
    order_id: OrderId,
    body: CancelRequest,
    request: Request,
    query: NoQueryParameters,
    engine: EngineDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    scripted = bool(engine.scripts) and await engine.scripts.play(order_id)
    if not scripted:
        engine.faults.check_rate_limit()

    async def cancel(keyed: KeyedRequest | None) -> Response:
        if not scripted:
            await engine.faults.disrupt()
        return json_response(engine.cancel_record(order_id, body.reason, idempotency=keyed).json)

    key = parse_key(idempotency_key)
    if key is None:
        return await cancel(None)
    target = f"/orders/{order_id}/cancel"
    keyed = (key, fingerprint_of("POST", target, body.model_dump(mode="json")))
    return await run_once(
        engine.idempotency,
        keyed,
        request.scope,
        cancel,
        kept_errors=(OrderNotFound, CancelNotAllowed),
    )
