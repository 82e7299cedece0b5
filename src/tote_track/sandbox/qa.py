"""The sandbox's QA endpoints: the request journal, scripted answers per order, and an
order's polling judged against the guide.

* ``GET /sandbox/requests[?order_id=ID]``: the journal (:mod:`.journal`), oldest first;
  ``DELETE /sandbox/requests`` empties it.
* ``POST /sandbox/orders/{id}/script``: the order's next answers (:mod:`.scripts`);
  ``GET`` shows what is left of it, ``DELETE`` drops it.
* ``GET /sandbox/orders/{id}/polling[?speed=X]``: the journal's reads of the order judged
  by :func:`tote_track.tracking.polling_verdict.judge` under the client's own polling
  policy (``speed``: a client polling X times faster, as ``watch --poll-speed X`` or the
  demo's tracker at ``--speed X``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Annotated, ClassVar, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo
from pydantic.json_schema import SkipJsonSchema

from tote_track.sandbox.engine import Engine
from tote_track.sandbox.journal import FINAL, Entry
from tote_track.sandbox.openapi import error_responses
from tote_track.sandbox.routes import (
    BASE_PATH,
    EngineDep,
    NoQueryParameters,
    OrderId,
    QueryParameters,
    each_parameter_once,
    json_response,
    refused,
    uuid_parameter,
)
from tote_track.sandbox.scripts import Script, ScriptedAnswer
from tote_track.tracking.polling import PollingPolicy, Scenario
from tote_track.tracking.polling_verdict import Observed, judge

__all__ = ["observed", "qa"]

qa = APIRouter(
    prefix=f"{BASE_PATH}/sandbox",
    dependencies=[Depends(each_parameter_once)],
    responses=error_responses(400, 401),
    tags=["sandbox QA"],
)
"""Endpoints that show what clients did and script what they meet."""


def _body(value: object) -> Response:
    return json_response(json.dumps(value, ensure_ascii=False).encode())


# -- the journal ---------------------------------------------------------------------------


class JournalEntry(BaseModel):
    at: str = Field(description="When the request arrived (ISO 8601, UTC).")
    method: str
    path: str = Field(description="The request's path (no query string, no headers).")
    status: int | None = Field(description="The status answered; null: dropped, no answer.")
    order_id: str | None = Field(description="The order the path names, if any.")
    request_id: str | None
    duration_ms: float = Field(description="From arrival to the end of the answer.")
    retry_after: float | None = Field(description="The Retry-After of an error answer.")
    stage: str | None = Field(
        description="For a read of one order answered 200: its polling stage "
        "(payment, preparation, delivery, completed) or final."
    )


class JournalPage(BaseModel):
    requests: list[JournalEntry]


class JournalCleared(BaseModel):
    requests_deleted: int


class RequestsQuery(QueryParameters):
    endpoint: ClassVar[str] = "GET /sandbox/requests"

    order_id: Annotated[str | SkipJsonSchema[None], BeforeValidator(uuid_parameter)] = Field(
        None,
        description="Only the requests naming this order.",
        json_schema_extra={"format": "uuid"},
    )


@qa.get(
    "/requests",
    response_model=JournalPage,
    summary="The requests the sandbox answered, oldest first (the last 10,000)",
    operation_id="sandboxListRequests",
)
async def list_requests(query: Annotated[RequestsQuery, Query()], engine: EngineDep) -> Response:
    entries = engine.journal.entries(query.order_id)
    return _body({"requests": [entry.as_json() for entry in entries]})


@qa.delete(
    "/requests",
    response_model=JournalCleared,
    summary="Forget the recorded requests",
    operation_id="sandboxClearRequests",
)
async def clear_requests(query: NoQueryParameters, engine: EngineDep) -> Response:
    return _body({"requests_deleted": engine.journal.clear()})


# -- scripts -------------------------------------------------------------------------------


class ScriptState(BaseModel):
    order_id: str
    responses: list[ScriptedAnswer] = Field(description="The answers still to come.")


def _script_state(engine: Engine, order_id: str) -> Response:
    pending = engine.scripts.pending(order_id)
    return _body(
        {
            "order_id": order_id,
            "responses": [answer.model_dump(exclude_none=True) for answer in pending],
        }
    )


@qa.post(
    "/orders/{order_id}/script",
    response_model=ScriptState,
    responses=error_responses(404),
    summary="Script the order's next answers",
    description=(
        "The next requests for the order (GET /orders/{id} and its cancel) get these "
        "answers in order, one each; then it is served normally again. status 200 is "
        "served normally (after delay_ms); any other is the error envelope with that "
        "status. Replaces the order's earlier script."
    ),
    operation_id="sandboxScriptOrder",
)
async def script_order(
    order_id: OrderId, body: Script, query: NoQueryParameters, engine: EngineDep
) -> Response:
    engine.get_record(order_id)  # 404 for an unknown order
    engine.scripts.load(order_id, body)
    return _script_state(engine, order_id)


@qa.get(
    "/orders/{order_id}/script",
    response_model=ScriptState,
    summary="What is left of the order's script",
    operation_id="sandboxGetScript",
)
async def get_script(order_id: OrderId, query: NoQueryParameters, engine: EngineDep) -> Response:
    return _script_state(engine, order_id)


@qa.delete(
    "/orders/{order_id}/script",
    response_model=ScriptState,
    summary="Drop what is left of the order's script",
    operation_id="sandboxClearScript",
)
async def clear_script(order_id: OrderId, query: NoQueryParameters, engine: EngineDep) -> Response:
    engine.scripts.forget(order_id)
    return _script_state(engine, order_id)


# -- polling -------------------------------------------------------------------------------


def observed(entries: Iterable[Entry], order_id: str) -> list[Observed]:
    """The journal's reads of the order, and the requests that changed it or the sandbox
    (an event, a cancel, new faults: a client may read at once after them), for the judge."""
    order_path = f"{BASE_PATH}/orders/{order_id.lower()}"
    changes = (f"{order_path}/cancel", f"{BASE_PATH}/sandbox/orders/{order_id.lower()}/events")
    faults = f"{BASE_PATH}/sandbox/faults"
    seen: list[Observed] = []
    for entry in entries:
        path = entry.path.lower()
        if entry.method == "GET" and path == order_path:
            stage = None if entry.stage in (None, FINAL) else Scenario(entry.stage)
            seen.append(
                Observed(
                    entry.at,
                    entry.duration,
                    read=True,
                    status=entry.status,
                    stage=stage,
                    retry_after=entry.retry_after,
                )
            )
        elif entry.status == 200 and (
            (entry.method == "POST" and path in changes)
            or (entry.method in ("PUT", "DELETE") and path == faults)
        ):
            seen.append(Observed(entry.at, entry.duration, read=False))
    return seen


def _speed(raw: object, info: ValidationInfo) -> float:
    try:
        speed = float(str(raw))
    except ValueError:
        speed = math.nan
    if not (math.isfinite(speed) and 0 < speed <= 1000):
        raise refused(info, "a number above 0 and at most 1000", raw)
    return speed


class PollingQuery(QueryParameters):
    endpoint: ClassVar[str] = "GET /sandbox/orders/{order_id}/polling"

    speed: Annotated[float, BeforeValidator(_speed)] = Field(
        1.0,
        gt=0,
        le=1000,
        description="Judge a client that polls this many times faster than the guide "
        "(watch --poll-speed, the demo's --speed).",
    )


class PollingInterval(BaseModel):
    at: str = Field(description="When the read arrived.")
    seconds: float = Field(description="The wait before it: from the previous answer's end.")
    stage: str = Field(
        description="The stage whose row applies (payment, preparation, delivery, "
        "completed), or after_change, final, gave_up (not judged)."
    )
    expected: float | None = Field(description="The wait the guide's table asks for.")
    maximum: float | None = Field(description="The stage's max interval.")
    after: str = Field(description="The previous answer (a status, Retry-After, a change).")
    verdict: Literal["ok", "too_fast", "too_slow"]


class PollingVerdict(BaseModel):
    verdict: Literal["ok", "too_fast", "too_slow"]
    intervals: list[PollingInterval]


@qa.get(
    "/orders/{order_id}/polling",
    response_model=PollingVerdict,
    responses=error_responses(404),
    summary="The order's polling judged against the guide's table",
    description=(
        "Each wait between reads of the order (GET /orders/{id}), from the end of one "
        "answer to the next read, against its stage's row: the initial interval doubling "
        "to the max, the backoff after errors, Retry-After. too_fast if any wait was "
        "shorter, too_slow if any was longer than the max; an early read after an "
        "event, a cancel or a change of the faults is not judged."
    ),
    operation_id="sandboxJudgePolling",
)
async def judge_polling(
    order_id: OrderId, query: Annotated[PollingQuery, Query()], engine: EngineDep
) -> Response:
    engine.get_record(order_id)  # 404 for an unknown order
    policy = PollingPolicy().scaled(query.speed)
    report = judge(observed(engine.journal.entries(), order_id), policy)
    return _body(report.as_json())
