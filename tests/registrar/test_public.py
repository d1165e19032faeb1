"""The public read models (rule G2): what they show, in what order, and that nothing private leaks.

One demo election per backend for the whole module (the demo walks a candidacy into each of
the twelve states through the real actions), plus a few private records with marked values:
an information request, a contact, a refusal whose free-text reason names the spouse.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import String, select

from registrar import actions, demo, machines, public, states
from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import (
    Candidacy,
    Contact,
    Contribution,
    Declaration,
    Document,
    InformationRequest,
    LanguageConclusion,
    MedicalConclusion,
    NominationDecision,
    Person,
    SignatureProtocol,
)
from registrar.rules import for_kind
from tests.conftest import BACKENDS
from tests.databases import module_database
from tests.demo_copies import build_demo

SPOUSE = "Marzhan Secretova"
PRIVATE_TABLES = (Declaration, InformationRequest, MedicalConclusion, LanguageConclusion, SignatureProtocol, Contribution,
                  Document, NominationDecision, Contact)  # fmt: skip


# Columns holding a word from a fixed list (who filed, which document, which channel), not a fact about someone.
VOCABULARY = {"filer", "kind", "region", "channel", "language", "body", "verification", "status"}


def add_private_records(db: Database) -> None:
    """Records the public must never see, with values easy to search for."""
    now = actions.now()
    with db.reading() as session:
        registered = session.scalar(select(Candidacy.id).where(Candidacy.state == "registered").order_by(Candidacy.id))
        nominated = session.scalar(select(Candidacy.id).where(Candidacy.state == "nominated").order_by(Candidacy.id))
    assert registered and nominated
    actions.perform(db, registered, "send_information_request",
                    {"organisation": "Halyk Bank Confidential Branch", "subject": "accounts of the spouse " + SPOUSE},
                    actor="test:clerk", at=now)  # fmt: skip
    actions.perform(db, nominated, "refuse",
                    {"number": "CEC-77/1", "decided_on": now.date().isoformat(), "grounds": ["documents_missing"],
                     "reason": f"the declaration of the spouse {SPOUSE} omits 48,000,000 tenge of deposits"},
                    actor="test:commission", at=now)  # fmt: skip
    with db.transaction() as session:
        session.add(Contact(recipient=f"candidate:{registered}", channel="email", address="private.candidate@mail.kz",
                            language="kk", created_at=now))  # fmt: skip


def private_demo(database: Database) -> Database:
    """The demo on an empty ``database``, with the private records beside it."""
    build_demo(database)
    add_private_records(database)
    return database


def private_values(db: Database) -> set[str]:
    """Every text stored in a private record, and each person's facts beyond G2 (birth date, residence since ...)."""
    values: set[str] = {SPOUSE, "48,000,000"}
    with db.reading() as session:
        for model in PRIVATE_TABLES:
            texts = [c for c in model.__table__.columns
                     if isinstance(c.type, String) and not c.foreign_keys and c.name not in VOCABULARY]  # fmt: skip
            for row in session.execute(select(*texts)) if texts else ():
                values.update(str(v) for v in row if v)
        for person in session.scalars(select(Person)):
            if person.birth_date:  # an archive's nominee whose birth date the public record does not give has none
                values.add(person.birth_date.isoformat())
            if person.resident_since:
                values.add(person.resident_since.isoformat())
    # Only values long enough to identify a record are searched for.
    return {v for v in values if len(v) >= 6}


@pytest.fixture(scope="module", params=BACKENDS)
def demo_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = private_demo(module_database(request, tmp_path_factory, "public"))
    yield database
    database.dispose()


def everything_public(db: Database) -> dict[str, Any]:
    """Every public structure of the demo, as JSON data (the diagram apart: it is the machine, not data)."""
    statuses = [public.as_json(public.candidacy_status(db, i)) for i in public.candidacy_ids(db, demo.DEMO_ID)]
    for status in statuses:
        status.pop("diagram")
    return {
        "elections": public.as_json(public.elections(db)),
        "election": public.as_json(public.election(db, demo.DEMO_ID)),
        "list": public.as_json(public.published_list(db, demo.DEMO_ID)),
        "statuses": statuses,
        "appeals": public.as_json([public.election_appeals(db, e.id) for e in public.elections(db)]),
        "appeal_histories": public.as_json([public.appeal_history(db, i) for i in public.candidacy_ids(db, demo.DEMO_ID)]),
        # The API's lists, the deadlines and the appeals included (it shows those to officials only).
        "lists": public.as_json(
            [public.associations(db), public.candidacies(db, demo.DEMO_ID), public.pending_deadlines(db), public.appeals(db)]
        ),
    }


def test_no_private_value_appears_in_any_public_structure(demo_db: Database) -> None:
    text = json.dumps(everything_public(demo_db), ensure_ascii=False)
    secrets = private_values(demo_db)
    assert {
        "Halyk Bank Confidential Branch",
        "private.candidate@mail.kz",
        demo.REVENUE_OFFICE,
        demo.MEDICAL_INSTITUTION,
    } <= secrets
    leaked = sorted(v for v in secrets if v in text)
    assert leaked == []


def test_no_private_field_name_appears_in_any_public_structure(demo_db: Database) -> None:
    keys: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            keys.update(value)
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(everything_public(demo_db))
    private = {"birth_date", "spouse", "declarations", "reason", "address", "answer", "subject", "organisation", "fit",
               "fluent", "valid", "submitted", "amount", "receipt_number", "reference", "minutes_number", "members",
               "votes_for", "education_level", "resident_since", "married", "actor", "payload", "data"}  # fmt: skip
    assert keys & private == set()


def test_the_diagram_is_the_machine_and_carries_no_record(demo_db: Database) -> None:
    status = public.candidacy_status(demo_db, public.candidacy_ids(demo_db, demo.DEMO_ID)[0])
    assert status.diagram.steps == public.diagram(status.state, for_kind("presidential")).steps
    assert status.diagram.mermaid == machines.mermaid()


def test_the_published_list_has_exactly_the_fields_of_g2_for_the_registered_only(demo_db: Database) -> None:
    listed = public.published_list(demo_db, demo.DEMO_ID)
    registered = sorted([demo.named("registered"), demo.named("registered", 1)], key=public.name_key)
    assert [c.candidate.full_name for c in listed] == registered
    published = public.published_fields(for_kind("presidential"))
    assert published == ("full_name", "birth_year", "position", "place_of_work", "place_of_residence")
    for item in public.as_json(listed):
        assert set(item["candidate"]) == set(published)
    first = listed[0].candidate
    assert first.birth_year == public.election(demo_db, demo.DEMO_ID).election.election_day.year - 52  # demo.person
    with demo_db.reading() as session:
        states = {c.id: c.state for c in session.scalars(select(Candidacy))}
    assert {states[c.candidacy_id] for c in listed} == {"registered"}


def test_names_sort_in_the_kazakh_alphabet() -> None:
    names = ["Өмірбек", "Яковлев", "Әлия", "Бекұлы", "Ақан", "Абай", "Қасым", "Кенже", "Ахметов", "Zhaksylyk", "Abenova"]
    assert sorted(names, key=public.name_key) == [
        "Abenova", "Zhaksylyk", "Абай", "Ақан", "Ахметов", "Әлия", "Бекұлы", "Кенже", "Қасым", "Өмірбек", "Яковлев",
    ]  # fmt: skip


def test_the_timeline_orders_the_calendar_and_places_now(demo_db: Database) -> None:
    view = public.election(demo_db, demo.DEMO_ID)
    milestones = view.timeline.milestones
    assert [m.at for m in milestones] == sorted(m.at for m in milestones)
    assert {m.name for m in milestones} >= {"nomination_opens", "registration_closes", "voting_opens", "voting_closes"}
    # The demo is built with registration open: now falls after registration_opens, before it closes.
    names = [m.name for m in milestones]
    assert names.index("registration_opens") < view.timeline.now_index <= names.index("registration_closes")
    assert [m.past for m in milestones] == [i < view.timeline.now_index for i in range(len(milestones))]
    assert view.timeline.phase == view.election.phase == "registration"
    closes = milestones[names.index("registration_closes")]
    assert closes.rule == "G1" and closes.starts_phase == "campaign"
    assert closes.local.utcoffset() == dt.timedelta(hours=5) and closes.local.hour == 18
    assert closes.at.tzinfo == dt.UTC and closes.at == closes.local


def test_a_cec_resolution_shows_on_the_timeline_as_v1(db: Database) -> None:
    actions.announce_election(
        db,
        {"id": "kz-snap", "title": "Snap election", "kind": "presidential",
         "announced_on": "2029-08-24", "election_day": "2029-11-25",
         "resolutions": [{"milestone": "registration_closes", "value": "2029-10-20T18:00:00+05:00", "number": "CEC-12/3",
                          "adopted_on": "2029-08-24"}]},
        actor="test:commission",
    )  # fmt: skip
    closes = next(m for m in public.election(db, "kz-snap").timeline.milestones if m.name == "registration_closes")
    assert (closes.rule, closes.resolution, closes.resolution_adopted_on) == ("V1", "CEC-12/3", dt.date(2029, 8, 24))
    assert closes.local == dt.datetime(2029, 10, 20, 18, tzinfo=dt.timezone(dt.timedelta(hours=5)))


def test_a_status_shows_public_decisions_only(demo_db: Database) -> None:
    by_state = {public.candidacy_status(demo_db, i).state: i for i in public.candidacy_ids(demo_db, demo.DEMO_ID)}
    assert set(states.STATES) - {"nominated"} <= set(by_state)  # the fixture refused the demo's nominated one
    status = public.candidacy_status(demo_db, by_state["cancelled_final"])
    actions_seen = [e.action for e in status.timeline]
    assert actions_seen[0] == "nominate" and actions_seen[-1] == "close_appeal_window"
    # Records that change no state (signature protocols, the medical conclusion ...) are not public steps.
    assert not {"record_signature_protocol", "record_medical_conclusion", "record_contribution"} & set(actions_seen)
    cancel = next(e for e in status.timeline if e.action == "cancel_registration")
    assert cancel.by == "commission" and cancel.rule == "G3" and cancel.number and cancel.grounds == ("documents_missing",)
    assert status.final and status.diagram.states[states.STATES.index("cancelled_final")].current
    assert {s.name for s in status.diagram.states if s.visited} >= {"nominated", "registered", "cancelled_final"}
    assert [s for s in status.diagram.states if s.current] == [s for s in status.diagram.states if s.name == status.state]
    appealed = public.candidacy_status(demo_db, by_state["appealed"])
    assert appealed.timeline[-1].action == "appeal" and appealed.timeline[-1].case_number


def test_unknown_ids_are_not_found(demo_db: Database) -> None:
    for call in (lambda: public.election(demo_db, "nope"), lambda: public.published_list(demo_db, "nope"),
                 lambda: public.candidacy_status(demo_db, 999_999)):  # fmt: skip
        with pytest.raises(NotFound):
            call()


def test_as_json_turns_instants_and_days_into_iso_8601() -> None:
    data = public.as_json(public.Milestone("voting_opens", "V2", dt.datetime(2029, 11, 25, 2, tzinfo=dt.UTC),
                                           dt.datetime(2029, 11, 25, 2, tzinfo=dt.UTC), False, "voting", False))  # fmt: skip
    assert data["at"] == "2029-11-25T02:00:00+00:00" and data["resolution_adopted_on"] is None


def test_the_public_reads_the_appeals_filed_with_their_status_and_no_more(demo_db: Database) -> None:
    with demo_db.reading() as session:
        appealed = [c.id for c in session.scalars(select(Candidacy).where(Candidacy.state == "appealed"))]
    shown = public.election_appeals(demo_db, demo.DEMO_ID)
    assert [a.candidacy_id for a in shown] == appealed, "only the decisions appealed, not those merely appealable"
    (first,) = shown
    assert (first.status, first.against, first.rule, first.judgment_number) == ("pending", "refused", "G6", None)
    assert first.case_number.startswith("6001-") and first.decision_number and first.filed_on <= dt.date.today()
    assert re.fullmatch(r"\d+/\d+", first.decision_number), "numbered as the CEC numbers its resolutions"
    assert public.appeal_history(demo_db, appealed[0]) == shown
    assert set(public.as_json(first)) == {
        "rule", "candidacy_id", "election_id", "full_name", "against", "decision_number", "decision_on", "case_number",
        "filed_at", "filed_on", "status", "judgment_number", "judgment_on"}  # fmt: skip


def test_the_published_list_search_ignores_case_in_every_script() -> None:
    candidate = public.PublishedCandidate({"full_name": "Гүлнар Әбенова", "place_of_residence": "Астана"})
    assert all(public.matches(candidate, q) for q in ("әбенова", "ӘБЕНОВА", "гүлнар  әбен", "астана", ""))
    assert not any(public.matches(candidate, q) for q in ("Бекова", "Гүлнар Бекова", "Abenova"))
