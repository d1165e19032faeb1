"""A second election kind needs a rules file, not code: tests/data/rules/senate_test.toml (no E3, E6,
E9, N6, N7, D4, D5 nor V5; other ages, nominators, declarations and documents) walked from its
announcement to a registered candidate through the same actions as the presidential election."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from registrar import actions, demo, public, rules_in_force
from registrar.cli import main
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed
from registrar.models import Election
from registrar.resources import ENVIRONMENT_VARIABLE
from registrar.rules import Rules, RulesError, for_kind
from tests.kinds import DATA, SECOND_KIND, second_kind_fixture  # noqa: F401 - the fixture

ELECTION_ID = "st-2031"
REGIONAL = {"registration_number": "R-1", "name": "Regional Association", "kind": "regional", "registered_on": "2010-01-01"}
ANNOUNCED, ELECTION_DAY = dt.date(2031, 2, 3), dt.date(2031, 5, 25)


def _local(rules: Rules, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=rules.zone)


def _person(name: str, age: int, **facts: Any) -> dict[str, Any]:
    """Old enough for this kind (E2: 25) but not for a president (40), ten years resident (E4), no public service."""
    born = ELECTION_DAY.replace(year=ELECTION_DAY.year - age).isoformat()
    resident = ELECTION_DAY.replace(year=ELECTION_DAY.year - 11).isoformat()
    return demo.person(name, ELECTION_DAY, birth_date=born, resident_since=resident, public_service_months=0, **facts)


def test_a_second_kind_is_walked_from_its_announcement_to_registered(db: Database, second_kind: Rules) -> None:
    rules = second_kind
    announcement = {"id": ELECTION_ID, "title": "Test election 2031", "kind": SECOND_KIND, "announced_on": ANNOUNCED.isoformat(),
                    "election_day": ELECTION_DAY.isoformat(), "registered_voters": 1000}  # fmt: skip
    actions.announce_election(db, announcement, actor="test:commission", at=_local(rules, ANNOUNCED, 10))
    with db.reading() as session:
        election = session.get(Election, ELECTION_ID)
        assert election is not None and election.rules_title == "Test election kind (not a law)"
        calendar = actions.calendar_of(election)
    # Its own calendar: N2 from the third day after the announcement to one month before, G1 to 20 days before, V2 08:00.
    assert calendar.local(calendar.nomination_opens) == _local(rules, ANNOUNCED + dt.timedelta(days=3), 0)
    assert calendar.local(calendar.nomination_closes) == _local(rules, dt.date(2031, 4, 25), 18)
    assert calendar.local(calendar.registration_closes) == _local(rules, ELECTION_DAY - dt.timedelta(days=20), 18)
    assert calendar.local(calendar.voting_opens) == _local(rules, ELECTION_DAY, 8)

    at = _local(rules, dt.date(2031, 3, 2), 10)
    regional = actions.register_association(db, REGIONAL, actor="test", at=at)
    # N3: a majority of those present (60 of 110), not of the 120 members; N1: a regional association; N5: two each.
    decision = demo.decision(dt.date(2031, 3, 1), members=120, votes_for=60)
    ids = [actions.nominate(db, ELECTION_ID, {"association_id": regional, "person": _person(name, 30), "decision": decision},
                            actor="test:clerk", at=at + dt.timedelta(hours=i)).candidacy_id
           for i, name in enumerate(("First Nominee", "Second Nominee"))]  # fmt: skip
    with pytest.raises(GuardFailed) as third:
        actions.nominate(db, ELECTION_ID, {"association_id": regional, "person": _person("Third", 30), "decision": decision},
                         actor="test:clerk", at=at + dt.timedelta(hours=3))  # fmt: skip
    assert [u.rule for u in third.value.unmet] == ["N5"]

    candidacy, at = ids[0], _local(rules, dt.date(2031, 4, 28), 10)  # registration open, nomination closed
    declared = {"filer": "candidate", "valued_as_of": calendar.declarations_as_of.isoformat(), "filed_on": "2031-04-28",
                "revenue_office": "SRC", "receipt_number": "R-1"}  # fmt: skip
    with pytest.raises(InvalidPayload) as spouse:  # D1: the candidate alone declares
        actions.perform(db, candidacy, "file_declarations", {"declarations": [declared, declared | {"filer": "spouse"}]},
                        actor="test:clerk", at=at)  # fmt: skip
    assert "not a declaration filer of these rules" in str(spouse.value.errors["declarations"])
    steps: list[tuple[str, dict[str, Any]]] = [
        ("file_declarations", {"declarations": [declared]}),
        ("start_medical_check", {}),
        ("record_medical_conclusion", {"institution": "Clinic", "number": "MC-1", "issued_on": "2031-04-28", "fit": True}),
        ("record_document", {"kind": "consent", "received_on": "2031-04-28", "reference": "consent letter"}),
    ]
    for i, (trigger, payload) in enumerate(steps):
        actions.perform(db, candidacy, trigger, payload, actor="test:clerk", at=at + dt.timedelta(minutes=i))
    # No signatures (D4), contribution (D5) nor language examination (E3) in this kind: nothing to record.
    offered = actions.show_candidacy(db, candidacy, at=at)["allowed"]
    assert "record_document" in offered and "submit_documents" in offered
    assert not {"record_signature_protocol", "record_contribution", "record_language_conclusion"} & set(offered)
    with pytest.raises(NotAllowed, match="rules have no D4"):
        protocol = {"region": "ABA", "commission": "TEC", "signed_on": "2031-04-28", "submitted": 10, "valid": 9}
        actions.perform(db, candidacy, "record_signature_protocol", protocol, actor="test:clerk", at=at)
    with pytest.raises(InvalidPayload) as unknown_paper:
        actions.perform(db, candidacy, "record_document", {"kind": "language_conclusion", "received_on": "2031-04-28",
                                                           "reference": "x"}, actor="test:clerk", at=at)  # fmt: skip
    assert "kind" in unknown_paper.value.errors

    # D6: the biography is still missing, and this kind's documents are the checklist.
    with pytest.raises(GuardFailed) as incomplete:
        actions.perform(db, candidacy, "submit_documents", {}, actor="test:clerk", at=at + dt.timedelta(hours=1))
    assert [(u.rule, u.reason) for u in incomplete.value.unmet] == [("D6", "missing: biography")]
    assert actions.show_candidacy(db, candidacy)["documents"] == {
        "consent": True, "biography": False, "declaration_certificates": True, "medical_conclusion": True}  # fmt: skip
    actions.perform(db, candidacy, "record_document", {"kind": "biography", "received_on": "2031-04-28", "reference": "bio"},
                    actor="test:clerk", at=at + dt.timedelta(hours=2))  # fmt: skip
    actions.perform(db, candidacy, "submit_documents", {}, actor="test:clerk", at=at + dt.timedelta(hours=3))
    registered = actions.perform(db, candidacy, "register", {"number": "CEC-ST-1", "decided_on": "2031-04-29"},
                                 actor="test:commission", at=at + dt.timedelta(days=1))  # fmt: skip
    assert registered.state == "registered"
    shown = actions.show_candidacy(db, candidacy)
    assert shown["certificate"] == "ST-2031-001" and shown["state"] == "registered"
    # G2: this kind publishes the name and the year of birth, nothing more.
    assert public.published_columns(db, ELECTION_ID) == ("full_name", "birth_year")
    listed = [dict(c.candidate) for c in public.published_list(db, ELECTION_ID)]
    assert listed == [{"full_name": "First Nominee", "birth_year": ELECTION_DAY.year - 30}]


def test_the_same_person_is_refused_for_president(db: Database, rules: Rules) -> None:
    """The presidential rules ask what the second kind does not: the contrast is in the files, not the code."""
    demo.announce(db, "kz-2031", "Presidential election 2031", ANNOUNCED, ELECTION_DAY, actor="test:commission")
    at = _local(rules, dt.date(2031, 3, 2), 10)
    regional = actions.register_association(db, REGIONAL, actor="test", at=at)
    with pytest.raises(GuardFailed) as refused:
        actions.nominate(db, "kz-2031", {"association_id": regional, "person": _person("First Nominee", 30),
                                         "decision": demo.decision(dt.date(2031, 3, 1), members=120, votes_for=60)},
                         actor="test:clerk", at=at)  # fmt: skip
    assert sorted({u.rule for u in refused.value.unmet}) == ["N1", "N3"]


def test_the_calendar_command_asks_for_the_kind_where_more_than_one_is_installed(second_kind: Rules) -> None:
    args = ["calendar", "--announced", ANNOUNCED.isoformat(), "--election-day", ELECTION_DAY.isoformat()]
    unnamed = CliRunner().invoke(main, args)
    assert unnamed.exit_code == 2 and "--kind: which election kind? one of presidential, senate_test" in unnamed.output
    named = CliRunner().invoke(main, [*args, "--kind", SECOND_KIND, "--json"])
    assert named.exit_code == 0, named.output
    assert json.loads(named.output)["voting_opens"] == f"{ELECTION_DAY.isoformat()}T08:00:00+05:00"  # V2 of this kind


def test_one_kind_installed_is_the_kind() -> None:
    args = ["calendar", "--announced", ANNOUNCED.isoformat(), "--election-day", ELECTION_DAY.isoformat(), "--json"]
    only = CliRunner().invoke(main, args)
    assert only.exit_code == 0 and json.loads(only.output)["voting_opens"].endswith("T07:00:00+05:00"), only.output


def test_every_kind_reads_instants_in_the_capitals_zone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """T1: a notice or a page without an election in view reads instants in the one zone every kind shares."""
    assert rules_in_force.capital_zone() == ZoneInfo("Asia/Almaty")
    (tmp_path / "rules").mkdir()
    text = (DATA / "rules" / f"{SECOND_KIND}.toml").read_text(encoding="utf-8")
    (tmp_path / "rules" / f"{SECOND_KIND}.toml").write_text(text.replace('"Asia/Almaty"', '"Asia/Aqtobe"'), encoding="utf-8")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path))
    for_kind.cache_clear()
    rules_in_force.capital_zone.cache_clear()
    try:
        with pytest.raises(RulesError, match="must share the capital's time zone"):
            rules_in_force.capital_zone()
    finally:
        for_kind.cache_clear()
        rules_in_force.capital_zone.cache_clear()
