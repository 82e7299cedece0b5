"""The sandbox's HTTP face: the Tote Orders API under ``/v1/online-ordering``.

Layers, outermost first:

1. ``_DropGuard`` turns an injected dropped connection into a closed socket (under uvicorn)
   or ``httpx.RemoteProtocolError`` (in-process, through ``httpx.ASGITransport``) -- in both
   cases the client sees a transport error and no response.
2. FastAPI's error middleware, answering unexpected exceptions with 500 ``internal``.
3. ``_Gate``: gives every request an ``X-Request-Id`` (header of every response, and
   ``request_id`` of every error body) and checks ``Authorization: Bearer TOKEN``.
   ``/v1/online-ordering/openapi.json`` is public: it documents the API and holds no data.
   While no fault is configured, it also answers the two hot reads (``GET /orders`` and
   ``GET /orders/{id}``) itself, with the same code and answers as the routes.
4. The routes. Handlers return ready-made JSON bytes (each order's JSON is cached by its
   record), so no response is re-validated against its model.

Every error is ``{"error": {"code", "message", "request_id"}}``.
"""

from __future__ import annotations

import asyncio
import hmac
import importlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tote_track import __version__
from tote_track.api.models import (
    CancelRequest,
    ErrorEnvelope,
    FulfillmentStatus,
    Order,
    OrderStatus,
    OrderSummary,
    Page,
)
from tote_track.sandbox.engine import (
    Engine,
    EventRequest,
    NewOrder,
    is_uuid,
)
from tote_track.sandbox.errors import (
    CancelNotAllowed,
    InvalidRequest,
    OrderNotFound,
    SandboxError,
)
from tote_track.sandbox.faults import FaultConfig, InjectedDrop
from tote_track.sandbox.idempotency import KEY_PATTERN, fingerprint_of, parse_key
from tote_track.sandbox.store import OrderFilter, OrderStore

__all__ = ["BASE_PATH", "OPENAPI_PATH", "create_app"]

BASE_PATH = "/v1/online-ordering"
OPENAPI_PATH = f"{BASE_PATH}/openapi.json"
_ORDERS_PREFIX = f"{BASE_PATH}/orders"
_ORDER_SERIALIZER = Order.__pydantic_serializer__
_JSON = "application/json"


# ---------------------------------------------------------------------------------------
# Responses.


def _request_id(scope: Scope) -> str | None:
    state = scope.get("state")
    if isinstance(state, Mapping):
        value = state.get("request_id")
        return value if isinstance(value, str) else None
    return None


def _error_body(scope: Scope, code: str, message: str) -> bytes:
    error = {"code": code, "message": message, "request_id": _request_id(scope)}
    return json.dumps({"error": error}, ensure_ascii=False).encode()


def _error_response(
    scope: Scope,
    status_code: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        _error_body(scope, code, message),
        status_code=status_code,
        media_type=_JSON,
        headers=dict(headers or {}),
    )


def _sandbox_error_response(scope: Scope, exc: SandboxError) -> Response:
    return _error_response(scope, exc.status_code, exc.code, exc.message, exc.headers)


def _json(
    body: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(body, status_code=status_code, media_type=_JSON, headers=headers)


def _order_json(order: Order) -> bytes:
    return _ORDER_SERIALIZER.to_json(order, exclude_none=True)


_STATUS_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "unauthorized",
    404: "not_found",
    405: "invalid_request",
    409: "invalid_request",
    413: "invalid_request",
    415: "invalid_request",
    422: "invalid_request",
    429: "rate_limited",
}


def _validation_message(errors: Sequence[Any]) -> str:
    parts: list[str] = []
    for error in errors[:3]:
        if not isinstance(error, Mapping):  # pragma: no cover - pydantic always sends dicts
            continue
        if error.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        if error.get("type") == "missing" and not loc:
            return "The request needs a JSON body."
        where = ".".join(loc)
        text = str(error.get("msg", "is invalid"))
        parts.append(f"{where}: {text}" if where else text)
    return "The request is invalid: " + "; ".join(parts) + "."


# ---------------------------------------------------------------------------------------
# ASGI layers.


class _Gate:
    """Request ids for everything; the bearer token for everything but the OpenAPI page."""

    def __init__(self, app: ASGIApp, *, token: str, engine: Engine) -> None:
        self.app = app
        self._expected = f"bearer {token}".encode()
        self._engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        if scope["path"] != OPENAPI_PATH:
            problem = self._auth_problem(scope)
            if problem is not None:
                response = _error_response(
                    scope, 401, "unauthorized", problem, {"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send_with_id)
                return
            if scope["method"] == "GET" and not self._engine.faults.config.active:
                answer = self._fast_read(scope)
                if answer is not None:
                    status, body = answer
                    await send_with_id(
                        {
                            "type": "http.response.start",
                            "status": status,
                            "headers": [
                                (b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    await send_with_id({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send_with_id)

    def _fast_read(self, scope: Scope) -> tuple[int, bytes] | None:
        """``GET /orders`` and ``GET /orders/{id}`` without the framework (the hot paths of
        a polling tracker), while no faults are configured; the routes below answer the
        same requests identically (and document them), and serve them under faults."""
        path: str = scope["path"]
        if not path.startswith(_ORDERS_PREFIX):
            return None
        rest = path[len(_ORDERS_PREFIX) :]
        try:
            if not rest:
                params = QueryParams(scope["query_string"])
                filters, limit, cursor = _list_query(params)
                return 200, self._engine.list_page(filters, limit=limit, cursor=cursor).json()
            if rest[0] != "/" or "/" in rest[1:] or len(rest) < 2:
                return None
            if scope["query_string"]:
                _check_no_query(QueryParams(scope["query_string"]))
            return 200, self._engine.get_record(_order_id(rest[1:])).json
        except SandboxError as exc:
            if exc.headers:  # pragma: no cover - read errors carry no headers
                return None
            return exc.status_code, _error_body(scope, exc.code, exc.message)

    def _auth_problem(self, scope: Scope) -> str | None:
        values = [v for k, v in scope["headers"] if k == b"authorization"]
        if not values:
            return "Authentication required: send the header 'Authorization: Bearer <token>'."
        value = values[0].strip()
        if value.lower() == b"bearer":
            return "The Authorization header has no token after 'Bearer'."
        if value[:7].lower() != b"bearer ":
            return "The Authorization header must use the Bearer scheme: 'Bearer <token>'."
        given = b"bearer " + value[7:].strip()
        if len(values) > 1 or not hmac.compare_digest(given, self._expected):
            return "The bearer token is not valid for this server."
        return None


class _DropGuard:
    """Outermost layer: carries out an injected dropped connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except InjectedDrop:
            # uvicorn's receive is a bound method of the request cycle, which holds the
            # connection's transport: close it, so the client sees the connection end
            # without a response. Elsewhere (in-process) raise what httpx raises then.
            cycle = getattr(receive, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is None:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response."
                ) from None
            transport.close()
            for _ in range(10):  # let the server see the disconnection before returning
                if getattr(cycle, "disconnected", True):
                    break
                await asyncio.sleep(0)


class SandboxApp(FastAPI):
    """FastAPI with the drop guard outside its error middleware."""

    def build_middleware_stack(self) -> ASGIApp:
        return _DropGuard(super().build_middleware_stack())


# ---------------------------------------------------------------------------------------
# Request parsing.

_LIST_PARAMS = ("status", "fulfillment_status", "location_id", "date_from", "date_to", "limit")
_LIST_PARAMS_ALL = (*_LIST_PARAMS, "cursor")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")
_LIMIT = re.compile(r"^\d{1,3}$")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _order_id(order_id: str) -> str:
    if not is_uuid(order_id):
        raise InvalidRequest(
            f"The order id {_shown(order_id)} is not a UUID; order ids look like "
            "f9a8b7c6-d5e4-3210-fedc-ba9876543210."
        )
    return order_id.lower()


def _no_query(request: Request) -> None:
    _check_no_query(request.query_params)


def _check_no_query(params: QueryParams) -> None:
    if params:
        names = ", ".join(sorted(set(params.keys())))
        raise InvalidRequest(f"This endpoint takes no query parameters; got {names}.")


def _enum_param(
    name: str, raw: str | None, enum: type[OrderStatus] | type[FulfillmentStatus]
) -> Any:
    if raw is None:
        return None
    names = [member.value for member in enum]
    if raw not in names:
        raise InvalidRequest(
            f"The {name} parameter must be one of {', '.join(names)}; got {_shown(raw)}."
        )
    return enum(raw)


def _moment_param(name: str, raw: str | None, *, end_of_day: bool) -> datetime | None:
    if raw is None:
        return None
    text = raw.strip()
    problem = InvalidRequest(
        f"The {name} parameter must be an ISO 8601 date-time such as 2026-01-31T10:07:00Z; "
        f"got {_shown(raw)}."
    )
    if len(text) > 64:
        raise problem
    try:
        if _DATE_ONLY.fullmatch(text):
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        else:
            # A "+" left unencoded in a query string arrives as a space.
            moment = datetime.fromisoformat(_SPACE_OFFSET.sub(r"+\1", text))
    except ValueError:
        raise problem from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # no offset: UTC
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (
            datetime.min.replace(tzinfo=UTC)
            if moment.year == 1
            else datetime.max.replace(tzinfo=UTC)
        )


def _list_query(params: QueryParams) -> tuple[OrderFilter, int, str | None]:
    unknown = sorted(set(params.keys()) - set(_LIST_PARAMS_ALL))
    if unknown:
        raise InvalidRequest(
            f"Unknown query parameter {', '.join(unknown)}; "
            f"GET /orders takes {', '.join(_LIST_PARAMS_ALL)}."
        )
    for name in params:
        if len(params.getlist(name)) > 1:
            raise InvalidRequest(f"The query parameter {name} is given more than once.")
    location_id = params.get("location_id")
    if location_id is not None and not is_uuid(location_id):
        raise InvalidRequest(
            f"The location_id parameter must be a UUID; got {_shown(location_id)}."
        )
    filters = OrderFilter(
        status=_enum_param("status", params.get("status"), OrderStatus),
        fulfillment_status=_enum_param(
            "fulfillment_status", params.get("fulfillment_status"), FulfillmentStatus
        ),
        location_id=location_id.lower() if location_id else None,
        date_from=_moment_param("date_from", params.get("date_from"), end_of_day=False),
        date_to=_moment_param("date_to", params.get("date_to"), end_of_day=True),
    )
    raw_limit = params.get("limit")
    limit = 20
    if raw_limit is not None:
        if not _LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= 100:
            raise InvalidRequest(
                "The limit parameter must be a whole number from 1 to 100; "
                f"got {_shown(raw_limit)}."
            )
        limit = int(raw_limit)
    return filters, limit, params.get("cursor")


# ---------------------------------------------------------------------------------------
# OpenAPI.

OrderIdPath = Annotated[
    str,
    Path(
        description="The order's id (a UUID).",
        json_schema_extra={"format": "uuid"},
        examples=["f9a8b7c6-d5e4-3210-fedc-ba9876543210"],
    ),
]

_ERROR_WORDS = {
    400: "Malformed request (invalid_request).",
    401: "Missing or wrong bearer token (unauthorized).",
    404: "No such order (not_found).",
    409: "Not allowed in the order's current state, or the Idempotency-Key is in use.",
    422: "The Idempotency-Key was used with a different request (idempotency_key_reused).",
    429: "Too many requests (rate_limited); see Retry-After.",
    500: "Server error (internal).",
    503: "Temporarily unavailable (internal); see Retry-After.",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorEnvelope, "description": _ERROR_WORDS[code]} for code in codes}


_UPSTREAM_ERRORS = (400, 401, 429, 500, 503)

_LIST_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "status",
        "in": "query",
        "required": False,
        "description": "Only orders with this overall status.",
        "schema": {"type": "string", "enum": [m.value for m in OrderStatus]},
    },
    {
        "name": "fulfillment_status",
        "in": "query",
        "required": False,
        "description": "Only orders at this fulfillment stage.",
        "schema": {"type": "string", "enum": [m.value for m in FulfillmentStatus]},
    },
    {
        "name": "location_id",
        "in": "query",
        "required": False,
        "description": "Only orders of this store location.",
        "schema": {"type": "string", "format": "uuid"},
    },
    {
        "name": "date_from",
        "in": "query",
        "required": False,
        "description": "Orders created on or after this time (ISO 8601).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "date_to",
        "in": "query",
        "required": False,
        "description": "Orders created on or before this time (ISO 8601).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Page size.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The next_cursor of the previous page, unchanged.",
        "schema": {"type": "string"},
    },
]


def _response_headers(status: str, operation_id: str) -> dict[str, Any]:
    def header(description: str, schema: dict[str, Any], required: bool) -> dict[str, Any]:
        return {"description": description, "schema": schema, "required": required}

    headers = {"X-Request-Id": header("This request's id (also in error bodies).", _STRING, True)}
    if status in ("429", "503"):
        headers["Retry-After"] = header(
            "Seconds to wait before retrying.", {"type": "integer"}, status == "429"
        )
    if status == "401":
        headers["WWW-Authenticate"] = header("Bearer", _STRING, True)
    if operation_id == "cancelOrder" and status != "400":
        headers["Idempotent-Replayed"] = header(
            "true when this is the kept response of an earlier request with the same "
            "Idempotency-Key.",
            {"type": "string", "enum": ["true"]},
            False,
        )
    return headers


_STRING: dict[str, Any] = {"type": "string"}


class ResetResult(BaseModel):
    orders_deleted: int


def _openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})["bearerAuth"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "The sandbox's token (default: sandbox).",
        }
        schema["security"] = [{"bearerAuth": []}]
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.get("responses", {})
                generated = responses.get("422", {})
                ref = json.dumps(generated)
                if "HTTPValidationError" in ref:
                    del responses["422"]
                for status, response in responses.items():
                    response["headers"] = _response_headers(status, operation["operationId"])
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        module = _autoplay_module()
        autoplay = components.get("schemas", {}).get("AutoplayRequest")
        if module is not None and autoplay is not None:
            autoplay["properties"]["scenario"]["enum"] = list(module.SCENARIO_NAMES)
        app.openapi_schema = schema
        return schema

    return openapi


# ---------------------------------------------------------------------------------------
# The application.


def create_app(
    *,
    token: str = "sandbox",
    store: OrderStore | None = None,
    clock: Callable[[], datetime] | None = None,
    engine: Engine | None = None,
) -> FastAPI:
    """The sandbox API. ``app.state.engine`` holds the order book; the lifespan runs
    ``app.state.autoplayer`` (scripted scenarios) when that module is available."""
    if not token:
        raise ValueError("the sandbox needs a non-empty token")
    engine = engine if engine is not None else Engine(store, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        autoplayer = _make_autoplayer(engine)
        app.state.autoplayer = autoplayer
        try:
            yield
        finally:
            app.state.autoplayer = None
            if autoplayer is not None:
                await autoplayer.aclose()

    app = SandboxApp(
        title="Tote Online Ordering API (sandbox)",
        version=__version__,
        description=(
            "A local server of the Tote Orders API: the upstream order endpoints exactly "
            "as the order-tracking guide documents them, plus sandbox-only control "
            "endpoints under /sandbox. Every request needs 'Authorization: Bearer TOKEN'."
        ),
        openapi_url=OPENAPI_PATH,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        strict_content_type=False,
    )
    app.state.engine = engine
    app.state.autoplayer = None
    app.add_middleware(_Gate, token=token, engine=engine)
    router = _router(engine)
    _install_error_handlers(app, router.routes)
    app.include_router(router)
    app.openapi = _openapi_of(app)  # type: ignore[method-assign]
    return app


def _make_autoplayer(engine: Engine) -> Any:
    module = _autoplay_module()
    if module is None:
        return None
    return module.Autoplayer(engine)


def _autoplay_module() -> Any:
    try:
        return importlib.import_module("tote_track.sandbox.autoplay")
    except ModuleNotFoundError as exc:
        if exc.name != "tote_track.sandbox.autoplay":
            raise
        return None


def _methods_of(routes: Sequence[BaseRoute], path: str) -> str:
    """Every method some route serves at ``path`` (for a 405's ``Allow``)."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


def _install_error_handlers(app: FastAPI, routes: Sequence[BaseRoute]) -> None:
    async def sandbox_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SandboxError)
        return _sandbox_error_response(request.scope, exc)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        content_type = request.headers.get("content-type", "")
        body_sent = request.headers.get("content-length", "0") != "0"
        if body_sent and content_type and "json" not in content_type:
            # `curl -d '{...}'` sends a form; say what to send instead of a schema error.
            message = (
                f"The body must be JSON sent with 'Content-Type: application/json' "
                f"(this request said {content_type.split(';')[0]!r})."
            )
        else:
            message = _validation_message(exc.errors())
        return _error_response(request.scope, 400, "invalid_request", message)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        headers = dict(exc.headers or {})
        method = request.method
        path = request.url.path
        if status == 404:
            message = f"There is no endpoint {method} {path}."
        elif status == 405:
            allowed = _methods_of(routes, path)
            headers = {**headers, "Allow": allowed}
            message = f"The endpoint {path} does not support {method}; it supports {allowed}."
        else:
            message = str(exc.detail) if exc.detail else "The request could not be served."
            if not message.endswith("."):
                message += "."
        code = _STATUS_CODES.get(status, "internal" if status >= 500 else "invalid_request")
        return _error_response(request.scope, status, code, message, headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        request_id = _request_id(request.scope)
        response = _error_response(
            request.scope,
            500,
            "internal",
            "The sandbox hit an unexpected error; the request may be retried.",
        )
        if request_id:
            response.headers["X-Request-Id"] = request_id
        return response

    app.add_exception_handler(SandboxError, sandbox_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)


def _router(engine: Engine) -> APIRouter:
    router = APIRouter(prefix=BASE_PATH)
    faults = engine.faults

    async def upstream_faults() -> None:
        faults.check_rate_limit()
        await faults.disrupt()

    # -- upstream endpoints ---------------------------------------------------------------

    @router.get(
        "/orders/{order_id}",
        response_model=Order,
        responses=_errors(*_UPSTREAM_ERRORS, 404),
        summary="Get an order",
        operation_id="getOrder",
        tags=["orders"],
    )
    async def get_order(order_id: OrderIdPath, request: Request) -> Response:
        if faults.config.active:
            await upstream_faults()
        _no_query(request)
        return _json(engine.get_record(_order_id(order_id)).json)

    @router.get(
        "/orders",
        response_model=Page[OrderSummary],
        responses=_errors(*_UPSTREAM_ERRORS),
        summary="List orders, newest first",
        operation_id="listOrders",
        tags=["orders"],
        openapi_extra={"parameters": _LIST_PARAMETERS},
    )
    async def list_orders(request: Request) -> Response:
        if faults.config.active:
            await upstream_faults()
        filters, limit, cursor = _list_query(request.query_params)
        return _json(engine.list_page(filters, limit=limit, cursor=cursor).json())

    @router.post(
        "/orders/{order_id}/cancel",
        response_model=Order,
        responses=_errors(*_UPSTREAM_ERRORS, 404, 409, 422),
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
        order_id: OrderIdPath,
        body: CancelRequest,
        request: Request,
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
        _no_query(request)
        oid = _order_id(order_id)
        key = parse_key(idempotency_key)
        if key is None:
            await faults.disrupt()
            return _json(engine.cancel_record(oid, body.reason).json)
        fingerprint = fingerprint_of("POST", f"/orders/{oid}/cancel", body.model_dump(mode="json"))
        kept = engine.idempotency.claim(key, fingerprint)
        if kept is not None:
            return _json(kept.body, kept.status_code, {"Idempotent-Replayed": "true"})
        try:
            await faults.disrupt()
            try:
                record = engine.cancel_record(oid, body.reason, idempotency=(key, fingerprint))
            except (OrderNotFound, CancelNotAllowed) as exc:
                response = _sandbox_error_response(request.scope, exc)
                engine.idempotency.complete(key, fingerprint, exc.status_code, bytes(response.body))
                return response
            return _json(record.json)
        finally:
            engine.idempotency.release(key)

    # -- sandbox control endpoints ---------------------------------------------------------

    @router.post(
        "/sandbox/orders",
        status_code=201,
        response_model=Order,
        responses=_errors(400, 401),
        summary="Create an order (sandbox only)",
        description=(
            "Every field is optional; without a body, an order like the guide's example "
            "(curbside, a sub and two waters) at PENDING / UNPAID / PENDING."
        ),
        operation_id="sandboxCreateOrder",
        tags=["sandbox"],
    )
    async def create_order(
        request: Request, body: Annotated[NewOrder | None, Body()] = None
    ) -> Response:
        _no_query(request)
        body = body if body is not None else NewOrder()
        autoplay = body.autoplay
        autoplayer: Any = None
        if autoplay is not None:
            body, autoplayer = _with_scenario(request, body)
        order = engine.create_order(body)
        if autoplay is not None:
            autoplayer.start(order.id, autoplay.scenario, float(autoplay.speed))
        return _json(_order_json(order), 201)

    @router.post(
        "/sandbox/orders/{order_id}/events",
        response_model=Order,
        responses=_errors(400, 401, 404, 409),
        summary="Move an order along its lifecycle (sandbox only)",
        operation_id="sandboxFireEvent",
        tags=["sandbox"],
    )
    async def fire_event(order_id: OrderIdPath, body: EventRequest, request: Request) -> Response:
        _no_query(request)
        return _json(_order_json(engine.apply_event(_order_id(order_id), body.type)))

    @router.get(
        "/sandbox/faults",
        response_model=FaultConfig,
        responses=_errors(400, 401),
        summary="The injected faults (sandbox only)",
        operation_id="sandboxGetFaults",
        tags=["sandbox"],
    )
    async def get_faults(request: Request) -> Response:
        _no_query(request)
        return _json(json.dumps(faults.config.effective()).encode())

    @router.put(
        "/sandbox/faults",
        response_model=FaultConfig,
        responses=_errors(400, 401),
        summary="Inject faults into the order endpoints (sandbox only)",
        description="Replaces the whole configuration; an omitted field is off.",
        operation_id="sandboxSetFaults",
        tags=["sandbox"],
    )
    async def set_faults(body: FaultConfig, request: Request) -> Response:
        _no_query(request)
        faults.configure(body)
        return _json(json.dumps(faults.config.effective()).encode())

    @router.delete(
        "/sandbox/faults",
        response_model=FaultConfig,
        responses=_errors(400, 401),
        summary="Stop injecting faults (sandbox only)",
        operation_id="sandboxClearFaults",
        tags=["sandbox"],
    )
    async def clear_faults(request: Request) -> Response:
        _no_query(request)
        faults.clear()
        return _json(json.dumps(faults.config.effective()).encode())

    @router.post(
        "/sandbox/reset",
        response_model=ResetResult,
        responses=_errors(400, 401),
        summary="Delete every order (sandbox only)",
        operation_id="sandboxReset",
        tags=["sandbox"],
    )
    async def reset(request: Request) -> Response:
        _no_query(request)
        deleted = engine.reset()
        return _json(json.dumps({"orders_deleted": deleted}).encode())

    return router


def _with_scenario(request: Request, body: NewOrder) -> tuple[NewOrder, Any]:
    """The body with the scenario's defaults under the fields the caller gave."""
    autoplay = body.autoplay
    assert autoplay is not None
    module = _autoplay_module()
    autoplayer = getattr(request.app.state, "autoplayer", None)
    if module is None or autoplayer is None:
        raise InvalidRequest("Autoplay is not available on this server.")
    names: Sequence[str] = module.SCENARIO_NAMES
    if autoplay.scenario not in names:
        raise InvalidRequest(
            f"Unknown scenario {_shown(autoplay.scenario)}; use one of: {', '.join(names)}."
        )
    merged = dict(module.scenario_order_body(autoplay.scenario))
    merged.update(body.model_dump(include=body.model_fields_set, exclude={"autoplay"}))
    try:
        return NewOrder.model_validate(merged), autoplayer
    except ValidationError as exc:
        raise InvalidRequest(_validation_message(exc.errors())) from exc
