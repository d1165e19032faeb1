"""schemathesis against /api/v1/openapi.json: no generated request gets a 5xx, and every answer is
what the document says (its status, content type, headers and body).

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
from schemathesis import checks
from schemathesis.core.result import Err, Ok
from sqlalchemy import select

from registrar import accounts
from registrar.models import Candidacy, Election
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


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def test_every_generated_request_is_answered_as_documented(demo_app: Flask) -> None:
    # Driven through hypothesis directly: schemathesis's pytest plugin does not run under pytest 9 yet.
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    tokens = [None, demo_app.config["TEST_TOKEN_clerk"], demo_app.config["TEST_TOKEN_commission"]]
    results = list(api.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), [r.err() for r in results if isinstance(r, Err)]
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == 25  # every endpoint of the API

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def answered_as_documented(case: schemathesis.Case) -> None:
            for token in tokens:
                response = case.call(headers={"Authorization": f"Bearer {token}"} if token else {})
                case.validate_response(response, checks=CHECKS)

        answered_as_documented()


def test_every_read_of_the_demo_records_is_answered_as_documented(demo_app: Flask) -> None:
    # Random path parameters mostly meet a 404; here every read is sent with the ids the demo holds
    # (each election, some candidacies, good and bad query strings), so the documented 200 and 422
    # bodies are the ones checked.
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    database = demo_app.extensions["registrar.db"]
    with database.reading() as session:
        election_ids = list(session.scalars(select(Election.id)))
        candidacy_ids = list(session.scalars(select(Candidacy.id).limit(5)))
    tokens = [None, demo_app.config["TEST_TOKEN_clerk"], demo_app.config["TEST_TOKEN_commission"]]
    queries = [{}, {"round": "x", "history": "maybe", "overdue": "perhaps", "limit": "0"}]
    sent = 0
    for result in api.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET":
            continue
        names = {parameter.name for parameter in operation.path_parameters}
        ids = [{"election_id": i} for i in election_ids] if "election_id" in names else [{}]
        if "candidacy_id" in names:
            ids = [{"candidacy_id": i} for i in candidacy_ids]
        for path_parameters in ids:
            for query in queries:
                for token in tokens:
                    case = operation.Case(path_parameters=path_parameters, query=query)
                    response = case.call(headers={"Authorization": f"Bearer {token}"} if token else {})
                    case.validate_response(response, checks=CHECKS)
                    sent += 1
    assert sent > 100
