"""Property-based tests of the whole API from its own OpenAPI document (schemathesis).

Every operation gets generated requests (valid and invalid); every response must match
the schema (status documented, body and headers as described), no request may cause a
5xx, and what the schema calls valid must not be refused as malformed.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tote_track.sandbox.app import OPENAPI_PATH, create_app

from .conftest import AUTH


class _Autoplayer:
    """Stands in for the scenario driver (the test client does not run the lifespan)."""

    def start(self, order_id: str, scenario: str, speed: float) -> None:
        """Nothing to play."""


app = create_app()
app.state.autoplayer = _Autoplayer()
schema = schemathesis.openapi.from_asgi(OPENAPI_PATH, app)


def _has_cross_field_rules(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    items = body.get("items")
    currencies = {
        repr(item["unit_price"].get("currency", "USD"))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("unit_price"), dict)
    }
    answers = body.get("responses")
    retry_after_beside = any(
        isinstance(answer, dict)
        and answer.get("retry_after") is not None
        and answer.get("status") not in (429, 503)
        for answer in (answers if isinstance(answers, list) else [])
    )
    return bool(body.get("payments")) or len(currencies) > 1 or retry_after_beside


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms_to_the_schema(case: schemathesis.Case) -> None:
    # Each example starts from an empty sandbox: generated requests reuse the same few
    # Idempotency-Key values, and a key reused with another body is rightly refused (422).
    app.state.engine.reset()
    excluded = []
    if case.query and "cursor" in case.query:
        # Any string is a schema-valid cursor, but only the server's own are accepted.
        excluded.append(positive_data_acceptance)
    if _has_cross_field_rules(case.body):
        # One currency per order, a payment plan within the total, a script's retry_after
        # with 429 or 503 only: rules between fields that JSON Schema cannot state.
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers=AUTH, excluded_checks=excluded)
