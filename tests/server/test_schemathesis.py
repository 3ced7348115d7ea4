"""Schemathesis on /openapi.json: generated requests never get a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from app.server.app import create_app
from app.server.settings import Settings

app = create_app(Settings())
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_api_never_answers_5xx(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.status_code)
