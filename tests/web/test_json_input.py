"""A JSON body no field could hold is refused whole, as 400 JSON, before any action starts (issue 13:
1,000 levels of nesting and a lone surrogate each answered 500, the second after the action began)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from registrar.models import AuditEvent, Election

from .conftest import WebWorld


def nested(levels: int) -> str:
    return '{"title": ' + "[" * levels + "1" + "]" * levels + "}"


@pytest.mark.parametrize("body", [
    nested(1000),
    nested(100_000),
    '{"id": "kz-2031", "title": "\\ud800", "kind": "presidential"}',
    '{"\\udfff": 1}',
])  # fmt: skip
def test_a_body_no_field_could_hold_is_a_400_and_nothing_is_stored(
    web_world: WebWorld, token_for: Callable[[str], str], body: str
) -> None:
    headers = {"Authorization": f"Bearer {token_for('commission')}", "Content-Type": "application/json"}
    before = events(web_world)
    response = web_world.client().post("/api/v1/elections", data=body, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["code"] == "malformed"
    assert events(web_world) == before
    with web_world.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Election)) == 0


def events(web_world: WebWorld) -> int:
    with web_world.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_a_payload_as_deep_as_the_api_needs_still_parses(web_world: WebWorld, token_for: Callable[[str], str]) -> None:
    headers = {"Authorization": f"Bearer {token_for('commission')}", "Content-Type": "application/json"}
    response = web_world.client().post("/api/v1/elections", data=nested(20), headers=headers)
    assert response.status_code == 422  # parsed, then refused at its fields


@pytest.mark.parametrize("tag", ['"²"', "²", '"1²"', '"٣"', "9" * 40])
def test_an_if_match_that_is_no_version_is_a_400(web_world: WebWorld, token_for: Callable[[str], str], tag: str) -> None:
    headers = {"Authorization": f"Bearer {token_for('clerk')}", "If-Match": tag}
    response = web_world.client().post("/api/v1/candidacies/1/actions/withdraw", json={}, headers=headers)
    assert response.status_code == 400 and response.get_json()["code"] == "malformed"


@pytest.mark.parametrize("body", ["[1, 2]", "7", '"text"', "null"])
def test_a_body_that_is_no_object_is_refused_at_the_schema(
    web_world: WebWorld, token_for: Callable[[str], str], body: str
) -> None:
    headers = {"Authorization": f"Bearer {token_for('commission')}", "Content-Type": "application/json"}
    before = events(web_world)
    response = web_world.client().post("/api/v1/elections", data=body, headers=headers)
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    assert events(web_world) == before
