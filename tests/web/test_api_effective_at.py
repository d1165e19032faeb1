"""Issue 14, parts 3 and 4: another system loading a past election records each action at the
moment it took effect (``effective_at``), judged by the law and the calendar of that moment; the
audit event keeps the moment it was recorded beside it. An officer cannot backdate; a body field
the operation does not take is refused at its name, never dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from registrar import audit, demo
from registrar.db import Database
from registrar.models import AuditEvent, Candidacy, Election
from tests.web.test_api import Api

ANNOUNCED = dt.datetime(2025, 1, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
ELECTION_DAY = dt.date(2025, 4, 13)
ELECTION = {"id": "kz-2025", "title": "Presidential election 2025 (a past one)", "kind": "presidential",
            "announced_on": "2025-01-10", "election_day": ELECTION_DAY.isoformat(), "registered_voters": demo.VOTERS,
            "voters_counted_on": "2025-01-01"}  # fmt: skip
ASSOCIATION = {"registration_number": "0100-NP", "name": "Nur Party", "kind": "national", "registered_on": "2001-01-01"}


@pytest.fixture
def api(db: Database) -> Api:
    from tests.web.conftest import make_app

    return Api(make_app(db), db)


def dated(body: dict[str, Any], moment: dt.datetime | str) -> dict[str, Any]:
    return body | {"effective_at": moment if isinstance(moment, str) else moment.isoformat()}


def _past_election(api: Api) -> int:
    assert api.post("/elections", dated(ELECTION, ANNOUNCED), "importer").status_code == 201
    registered = api.post("/associations", dated(ASSOCIATION, ANNOUNCED), "importer")
    assert registered.status_code == 201, registered.get_json()
    return int(registered.get_json()["id"])


def nomination(association: int, meeting: dt.date) -> dict[str, Any]:
    return {"association_id": association, "person": demo.person("Қасым Тоқаев", ELECTION_DAY),
            "decision": demo.decision(meeting)}  # fmt: skip


def test_an_importer_records_a_past_election_at_the_moments_it_happened(api: Api) -> None:
    association = _past_election(api)
    moment = ANNOUNCED + dt.timedelta(days=10)
    before = dt.datetime.now(dt.UTC)
    nominated = api.post("/elections/kz-2025/candidacies", dated(nomination(association, moment.date()), moment), "importer")
    assert nominated.status_code == 201, nominated.get_json()
    with api.db.reading() as session:
        candidacy = session.get_one(Candidacy, nominated.get_json()["candidacy_id"])
        assert candidacy.state_since == moment.astimezone(dt.UTC)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "nominate")).one()
        announced = session.scalars(select(AuditEvent).where(AuditEvent.action == "announce_election")).one()
        assert session.get_one(Election, "kz-2025").phase == "announced"  # as of its announcement, not today
    assert event.at == moment.astimezone(dt.UTC) and announced.at == ANNOUNCED.astimezone(dt.UTC)
    recorded = audit.recorded_at(event)
    assert before <= recorded <= dt.datetime.now(dt.UTC), "both moments kept: when it took effect, when it was recorded"
    history = api.get(f"/candidacies/{candidacy.id}", "auditor").get_json()["history"]
    assert history[0]["at"].startswith("2025-01-20") and history[0]["recorded_at"] == recorded.isoformat()


def test_the_law_of_the_moment_judges_the_action(api: Api) -> None:
    association = _past_election(api)
    late = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)  # N2: nomination closed at 18:00 on 13 February
    refused = api.post("/elections/kz-2025/candidacies", dated(nomination(association, late.date()), late), "importer")
    assert refused.status_code == 422, refused.get_json()


@pytest.mark.parametrize("moment, message", [
    ("2025-01-20T10:00:00", "must be a moment with its time zone offset"),
    ("yesterday", "must be a moment with its time zone offset"),
    ("2100-01-01T00:00:00+05:00", "cannot be later than now"),
])  # fmt: skip
def test_an_effective_at_is_a_moment_with_its_offset_and_not_ahead(api: Api, moment: str, message: str) -> None:
    answer = api.post("/elections", dated(ELECTION, moment), "importer")
    assert answer.status_code == 422 and message in answer.get_json()["errors"]["effective_at"][0]
    assert answer.get_json()["field_errors"]["effective_at"][0]["message"].startswith("effective_at.")
    with api.db.reading() as session:
        assert session.get(Election, "kz-2025") is None


@pytest.mark.parametrize("role", ["clerk", "commission"])
def test_an_officer_cannot_backdate_an_action(api: Api, role: str) -> None:
    answer = api.post("/elections", dated(ELECTION, ANNOUNCED), role)
    assert answer.status_code == 422
    assert answer.get_json()["field_errors"]["effective_at"][0]["message"] == "effective_at.not_allowed"
    with api.db.reading() as session:
        assert session.get(Election, "kz-2025") is None and session.scalar(select(func.count(AuditEvent.seq))) <= 2


def test_a_field_the_operation_does_not_take_is_refused_at_its_name(api: Api) -> None:
    # Before: an `at` in the body was silently dropped, and the announcement stored as of today.
    answer = api.post("/elections", ELECTION | {"at": "2025-01-10T10:00:00+05:00", "titel": "x"}, "commission")
    assert answer.status_code == 422
    assert set(answer.get_json()["field_errors"]) == {"at", "titel"}
    assert answer.get_json()["field_errors"]["at"][0]["message"] == "payload.unknown_field"
    with api.db.reading() as session:
        assert session.get(Election, "kz-2025") is None
    # Nested bodies too: a person's misspelled fact is named where it is.
    association = api.post("/associations", ASSOCIATION, "clerk").get_json()["id"]
    today = dt.date.today()
    api.post("/elections", ELECTION | {"announced_on": (today - dt.timedelta(days=10)).isoformat(),
                                       "election_day": (today + dt.timedelta(days=75)).isoformat()}, "commission")  # fmt: skip
    body = nomination(association, today - dt.timedelta(days=1))
    body["person"] |= {"birth_place": "Алматы"}
    answer = api.post("/elections/kz-2025/candidacies", body, "clerk")
    assert answer.status_code == 422
    assert answer.get_json()["field_errors"]["person"]["birth_place"][0]["message"] == "payload.unknown_field"


def _document(moment: dt.datetime) -> dict[str, Any]:
    meeting = moment.date() - dt.timedelta(days=1)
    return {"format": "registrar-import/1", "title": "a past election", "sources": {"cec": "CEC resolution"},
            "actions": [
                {"do": "announce_election", "effective_at": ANNOUNCED.isoformat(), "payload": ELECTION, "source": "cec"},
                {"do": "register_association", "key": "np", "effective_at": ANNOUNCED.isoformat(), "payload": ASSOCIATION},
                {"do": "nominate", "key": "first", "association": "np", "effective_at": moment.isoformat(),
                 "payload": {"person": demo.person("Қасым Тоқаев", ELECTION_DAY), "decision": demo.decision(meeting)}},
            ]}  # fmt: skip


def test_an_importer_loads_a_document_over_the_api_and_an_officer_cannot(api: Api) -> None:
    nominated = ANNOUNCED + dt.timedelta(days=10)
    assert api.post("/imports", _document(nominated), "clerk").status_code == 403
    loaded = api.post("/imports", _document(nominated), "importer")
    assert loaded.status_code == 201, loaded.get_json()
    assert loaded.get_json()["election_id"] == "kz-2025" and set(loaded.get_json()["ids"]) == {"np", "first"}
    assert loaded.headers["Location"].endswith("/api/v1/elections/kz-2025")


def test_a_refused_document_is_answered_with_every_refusal_and_stores_nothing(api: Api) -> None:
    late = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)  # N2: nomination closed at 18:00 on 13 February
    refused = api.post("/imports", _document(late), "importer")
    body = refused.get_json()
    assert (refused.status_code, body["code"]) == (422, "import_refused"), body
    assert [(r["index"], r["do"], r["key"]) for r in body["refusals"]] == [(2, "nominate", "first")]
    with api.db.reading() as session:
        assert session.get(Election, "kz-2025") is None and session.scalar(select(func.count(AuditEvent.seq))) <= 2


def test_the_public_page_says_which_version_of_each_changed_rule_the_election_follows(api: Api) -> None:
    _past_election(api)
    page = api.client.get("/elections/kz-2025", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for rule in ("D4", "E9", "V4"):
        assert f"{rule}:" in page
    assert "as in force since" in page and "in force when the election was announced on 2025-01-10" in page
    body = api.get("/elections/kz-2025").get_json()
    assert {v["rule"] for v in body["rules"]["versions"]} == {"D4", "E9", "V4"}
