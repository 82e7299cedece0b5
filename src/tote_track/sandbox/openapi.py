"""The sandbox's OpenAPI document: FastAPI's, generated from the routes and their parameter
models, plus what the middleware does (bearer auth, ``X-Request-Id``, ``Retry-After``) and
the error envelope in place of FastAPI's validation-error schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tote_track.api.models import ErrorEnvelope
from tote_track.sandbox.autoplay import SCENARIO_NAMES

__all__ = ["UPSTREAM_ERRORS", "error_responses", "openapi_of"]

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

UPSTREAM_ERRORS = (400, 401, 429, 500, 503)
"""What every upstream endpoint may answer (faults included)."""


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: each status with the envelope as its body."""
    return {code: {"model": ErrorEnvelope, "description": _ERROR_WORDS[code]} for code in codes}


_STRING: dict[str, Any] = {"type": "string"}


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


def openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: built once, on first use."""

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
                # Validation errors are 400s in the envelope, never FastAPI's 422 schema.
                if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                    del responses["422"]
                for status, response in responses.items():
                    response["headers"] = _response_headers(status, operation["operationId"])
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        autoplay = components.get("schemas", {}).get("AutoplayRequest")
        if autoplay is not None:
            autoplay["properties"]["scenario"]["enum"] = list(SCENARIO_NAMES)
        app.openapi_schema = schema
        return schema

    return openapi
