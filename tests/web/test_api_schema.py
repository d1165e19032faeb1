"""schemathesis against /api/v1/openapi.json: no generated request gets a 5xx.

Runs on a demo database, anonymously and with a clerk's and a commission member's token, so
generated bodies reach the actions' own validation and the state machine, not only the 401.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err, Ok

from registrar import accounts
from tests.databases import sqlite_copy
from tests.demo_copies import build_demo
from tests.web.conftest import make_app


@pytest.fixture(scope="module")
def demo_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    database = sqlite_copy(sqlite_template, tmp_path_factory.mktemp("schemathesis"))
    build_demo(database)
    app = make_app(database)
    for role in ("clerk", "commission"):
        accounts.create_user(database, f"fuzz-{role}", role, "a long enough password 1")
        app.config[f"TEST_TOKEN_{role}"] = accounts.issue_token(database, f"fuzz-{role}", "fuzz")
    yield app
    database.dispose()


def test_no_generated_request_is_a_server_error(demo_app: Flask) -> None:
    # Driven through hypothesis directly: schemathesis's pytest plugin does not run under pytest 9 yet.
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    tokens = [None, demo_app.config["TEST_TOKEN_clerk"], demo_app.config["TEST_TOKEN_commission"]]
    results = list(api.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), [r.err() for r in results if isinstance(r, Err)]
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == 19  # every endpoint of the API

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: schemathesis.Case) -> None:
            for token in tokens:
                response = case.call(headers={"Authorization": f"Bearer {token}"} if token else {})
                assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text[:500])

        no_server_error()
