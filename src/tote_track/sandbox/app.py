"""The sandbox's HTTP face: the Tote Orders API under ``/v1/online-ordering``.

:func:`create_app` assembles the parts: the routers (:mod:`.routes`, the upstream
endpoints, each declaring its parameters; :mod:`.control`, the sandbox's own), which reach
the engine through ``app.state.engine`` (``EngineDep``); the ASGI layers around them
(:mod:`.middleware`, plus :class:`~.routes.HotReads`, the two hot reads served before
routing); the OpenAPI document (:mod:`.openapi`) and the error handlers below, which
answer every error, from any endpoint or validator, with the envelope ``{"error":
{"code", "message", "request_id"}}``.

Layers, outermost first: ``DropGuard``, ``JsonLines``, ``RequestIds``, ``JournalLayer`` (the request
journal), ``BodyLimit`` (413), FastAPI's error middleware (500 ``internal``),
``BearerAuth`` (401), ``HotReads``, FastAPI's exception handlers, routes.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from tote_track import __version__
from tote_track.sandbox.autoplay import Autoplayer
from tote_track.sandbox.control import control
from tote_track.sandbox.engine import Engine
from tote_track.sandbox.errors import (
    SandboxError,
    error_response,
    sandbox_error_response,
    validation_message,
)
from tote_track.sandbox.journal import JournalLayer
from tote_track.sandbox.middleware import BearerAuth, BodyLimit, DropGuard, JsonLines, RequestIds
from tote_track.sandbox.openapi import openapi_of
from tote_track.sandbox.qa import qa
from tote_track.sandbox.routes import BASE_PATH, HotReads, orders
from tote_track.sandbox.store import OrderStore

__all__ = ["BASE_PATH", "OPENAPI_PATH", "SandboxApp", "create_app"]

OPENAPI_PATH = f"{BASE_PATH}/openapi.json"

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


class SandboxApp(FastAPI):
    """FastAPI with the drop guard, request ids, the request journal and the body limit
    outside its error middleware, so an unexpected error's 500 and a 413 carry
    ``X-Request-Id`` and are recorded."""

    def build_middleware_stack(self) -> ASGIApp:
        engine: Engine = self.state.engine
        journal = JournalLayer(
            BodyLimit(super().build_middleware_stack()),
            journal=engine.journal,
            clock=engine.now,
            timer=time.monotonic,
            secret=self.state.token,
        )
        return DropGuard(JsonLines(RequestIds(journal)))


def create_app(
    *,
    token: str = "sandbox",
    store: OrderStore | None = None,
    clock: Callable[[], datetime] | None = None,
    engine: Engine | None = None,
) -> FastAPI:
    """The sandbox API. ``app.state.engine`` holds the order book; the lifespan runs
    ``app.state.autoplayer`` (scripted scenarios)."""
    if not token:
        raise ValueError("the sandbox needs a non-empty token")
    engine = engine if engine is not None else Engine(store, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        autoplayer = Autoplayer(engine)
        app.state.autoplayer = autoplayer
        try:
            yield
        finally:
            app.state.autoplayer = None
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
    app.state.token = token
    app.state.autoplayer = None
    # Added last is outermost: the token is checked before the hot reads answer.
    app.add_middleware(HotReads, engine=engine)
    app.add_middleware(BearerAuth, token=token, public_paths=frozenset({OPENAPI_PATH}))
    routers = (orders, control, qa)
    for api in routers:
        app.include_router(api)
    _install_error_handlers(app, [route for api in routers for route in api.routes])
    app.openapi = openapi_of(app)  # type: ignore[method-assign]
    return app


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
        return sandbox_error_response(request.scope, exc)

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
            message = validation_message(exc.errors())
        return error_response(request.scope, 400, "invalid_request", message)

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
        return error_response(request.scope, status, code, message, headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        return error_response(
            request.scope,
            500,
            "internal",
            "The sandbox hit an unexpected error; the request may be retried.",
        )

    app.add_exception_handler(SandboxError, sandbox_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
