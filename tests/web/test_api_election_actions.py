"""Issue 14, part 5: what an officer does on an election's calendar and figures, and on an
association's name, another system does through the API; and what an election requires of a
candidacy is read, not learned from a refusal."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from registrar import actions, roles
from registrar.db import Database
from registrar.models import AuditEvent, Election
from tests.registrar.conftest import ELECTION_ID, World, copied_world
from tests.web.conftest import make_app

V1 = "/api/v1"
VALID: dict[str, tuple[str, dict[str, Any]]] = {
    "milestones": ("set_milestone", {"milestone": "registration_closes", "value": "2029-10-20T18:00:00",
                                     "number": "CEC-17/2029", "adopted_on": "2029-09-20"}),
    "voter-count": ("record_voter_count", {"registered_voters": 12_100_001, "voters_counted_on": "2029-08-24"}),
}  # fmt: skip


class Api:
    def __init__(self, app: Flask, world: World, token_for: Any):
        self.app, self.world, self.client = app, world, app.test_client()
        self._token_for, self._tokens = token_for, dict[str, str]()

    def headers(self, role: str) -> dict[str, str]:
        if role == "public":
            return {}
        if role not in self._tokens:
            self._tokens[role] = self._token_for(role)
        return {"Authorization": f"Bearer {self._tokens[role]}"}

    def post(self, url: str, body: Any, role: str) -> Any:
        return self.client.post(V1 + url, data=json.dumps(body), content_type="application/json", headers=self.headers(role))

    def get(self, url: str, role: str = "public") -> Any:
        return self.client.get(V1 + url, headers=self.headers(role))


@pytest.fixture
def api(db: Database, rules: Any) -> Api:
    from registrar import accounts

    world = copied_world(db, rules)
    app = make_app(db)
    numbers = iter(range(1, 1000))

    def token_for(role: str) -> str:
        login = f"api-{role}-{next(numbers)}"
        accounts.create_user(db, login, role, "a long enough password 1", unit="AST" if role in roles.UNIT_ROLES else None)
        return accounts.issue_token(db, login, "tests")

    return Api(app, world, token_for)


def last_event(db: Database) -> AuditEvent:
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        session.expunge(event)
        return event


# --- Each operation ------------------------------------------------------------------------------


def test_v1_a_milestone_set_by_the_api_moves_the_calendar(api: Api) -> None:
    response = api.post(f"/elections/{ELECTION_ID}/milestones", VALID["milestones"][1], "commission")
    assert response.status_code == 200, response.get_json()
    assert response.headers["Location"].endswith(f"{V1}/elections/{ELECTION_ID}")
    closes = next(m for m in response.get_json()["timeline"]["milestones"] if m["name"] == "registration_closes")
    assert closes["local"] == "2029-10-20T18:00:00+05:00", closes
    assert last_event(api.world.db).action == "set_milestone"


def test_d4_a_voter_count_recorded_by_the_api_is_the_thresholds(api: Api) -> None:
    response = api.post(f"/elections/{ELECTION_ID}/voter-count", VALID["voter-count"][1], "clerk")
    assert response.status_code == 200, response.get_json()
    needed = api.get(f"/elections/{ELECTION_ID}/requirements").get_json()["signatures"]
    assert (needed["registered_voters"], needed["required"], needed["per_region_min"]) == (12_100_001, 121_001, 4_322)


def test_n7_an_extension_by_the_api_is_refused_while_registration_is_open_and_taken_after(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"days": 10, "number": "CEC-N7", "adopted_on": "2029-10-17"}
    refused = api.post(f"/elections/{ELECTION_ID}/nomination-extension", body, "commission")
    assert refused.status_code == 422 and refused.get_json()["code"] == "unmet_conditions", refused.get_json()
    assert refused.get_json()["rules"] == ["N7"]
    # Another system loading the election takes it at the moment it took effect (after the close).
    after = api.world.calendar.registration_closes + dt.timedelta(hours=20)
    monkeypatch.setattr(actions, "now", lambda: after + dt.timedelta(days=1))  # the loader runs a day later
    taken = api.post(f"/elections/{ELECTION_ID}/nomination-extension", body | {"effective_at": after.isoformat()}, "importer")
    assert taken.status_code == 200, taken.get_json()
    closes = next(m for m in taken.get_json()["timeline"]["milestones"] if m["name"] == "registration_closes")
    assert closes["local"] == "2029-10-26T18:00:00+05:00", closes


def test_n1_an_association_renamed_by_the_api(api: Api) -> None:
    association = api.world.associations[0]
    response = api.post(f"/associations/{association}/names", {"name": "Renamed Association", "valid_from": "2029-09-01"},
                        "clerk")  # fmt: skip
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["id"] == association
    assert last_event(api.world.db).action == "rename_association"


# --- Their refusals ------------------------------------------------------------------------------

CHANGES = {
    f"/elections/{ELECTION_ID}/milestones": "set_milestone",
    f"/elections/{ELECTION_ID}/nomination-extension": "extend_nomination",
    f"/elections/{ELECTION_ID}/voter-count": "record_voter_count",
    "/associations/1/names": "rename_association",
}


def test_each_change_by_role_401_403_and_a_field_error_422(api: Api) -> None:
    for url, action in CHANGES.items():
        for role in roles.ROLES:
            response = api.post(url, {"number": ""}, role)
            body = response.get_json()
            if role == "public":
                assert (response.status_code, body["code"]) == (401, "unauthenticated"), (url, role)
            elif not roles.may(role, action):
                assert (response.status_code, body["code"]) == (403, "forbidden"), (url, role)
            else:
                assert (response.status_code, body["code"]) == (422, "invalid"), (url, role, body)
                assert body["field_errors"], body


def test_a_field_error_names_its_field(api: Api) -> None:
    body = VALID["voter-count"][1] | {"registered_voters": 0}
    refused = api.post(f"/elections/{ELECTION_ID}/voter-count", body, "clerk").get_json()
    assert set(refused["field_errors"]) == {"registered_voters"}
    impossible = VALID["milestones"][1] | {"value": "2029-11-26T18:00:00+05:00"}  # after the vote
    refused = api.post(f"/elections/{ELECTION_ID}/milestones", impossible, "commission").get_json()
    assert refused["code"] == "invalid" and set(refused["field_errors"]) == {"value"}
    misspelled = api.post(f"/elections/{ELECTION_ID}/voter-count", body | {"voters": 1}, "clerk").get_json()
    assert "voters" in misspelled["field_errors"]  # strict: a field the schema does not declare


@pytest.mark.parametrize("url, role", [
    ("/elections/no-such/milestones", "commission"), ("/elections/no-such/nomination-extension", "commission"),
    ("/elections/no-such/voter-count", "clerk"), ("/associations/9999/names", "clerk"),
])  # fmt: skip
def test_an_unknown_election_or_association_is_404(api: Api, url: str, role: str) -> None:
    body = {"name": "X", "valid_from": "2029-09-01"} if "names" in url else VALID["voter-count"][1]
    response = api.post(url, body, role)
    assert (response.status_code, response.get_json()["code"]) == (404, "not_found")


def test_effective_at_is_the_importers_only(api: Api) -> None:
    body = VALID["voter-count"][1] | {"effective_at": "2029-09-01T12:00:00+05:00"}
    refused = api.post(f"/elections/{ELECTION_ID}/voter-count", body, "clerk").get_json()
    assert set(refused["field_errors"]) == {"effective_at"}


# --- What an election requires of a candidacy ----------------------------------------------------


@pytest.mark.parametrize("day, needed, of", [(dt.date(2019, 4, 9), 12, 17), (dt.date(2022, 9, 21), 14, 20)])
def test_the_requirements_are_read_by_anyone(api: Api, day: dt.date, needed: int, of: int) -> None:
    with api.world.db.transaction() as session:  # as if called that day (tests/registrar/test_territory_by_date.py)
        session.execute(update(Election).where(Election.id == ELECTION_ID).values(announced_on=day))
    response = api.get(f"/elections/{ELECTION_ID}/requirements")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    signatures = body["signatures"]
    assert (signatures["rule"], signatures["regions_needed"], signatures["regions_total"]) == ("D4", needed, of)
    assert len(signatures["regions"]) == of and set(signatures["regions"][0]["names"]) == {"kk", "ru", "en"}
    assert body["contribution"]["rule"] == "D5" and body["contribution"]["due"] > 0
    assert body["declarations"]["rule"] == "D1" and dt.date.fromisoformat(body["declarations"]["as_of"]) < day
    assert api.get("/elections/no-such/requirements").status_code == 404


def test_the_openapi_document_lists_each_operation_with_its_body_and_errors(api: Api) -> None:
    spec = api.client.get(f"{V1}/openapi.json").get_json()
    bodies = {"milestones": "Resolution", "nomination-extension": "ExtendNomination", "voter-count": "VoterCount"}
    for path, schema in bodies.items():
        post = spec["paths"][f"{V1}/elections/{{election_id}}/{path}"]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{schema}"}
        assert {"401", "403", "404", "422"} <= set(post["responses"]) and post["security"] == [{"bearer": []}]
    rename = spec["paths"][f"{V1}/associations/{{association_id}}/names"]["post"]
    assert rename["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Rename"}
    read = spec["paths"][f"{V1}/elections/{{election_id}}/requirements"]["get"]
    assert read["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ElectionRequirements"
    }
    assert {"Resolution", "ExtendNomination", "VoterCount", "Rename", "ElectionRequirements"} <= set(
        spec["components"]["schemas"]
    )


def test_the_officer_pages_partial_says_the_requirements(api: Api) -> None:
    from flask import render_template

    from registrar import requirements

    with api.app.test_request_context("/officer/", headers={"Accept-Language": "en"}):
        page = render_template("officer/_requirements.html", requirements=requirements.of(api.world.db, ELECTION_ID))
    assert "What a candidacy needs" in page and "Signatures of voters (D4)" in page
    assert "from at least 14 of the 20 regions" in page and "Abai Region" in page
    assert "Election contribution (D5)" in page and "Declarations (D1)" in page
