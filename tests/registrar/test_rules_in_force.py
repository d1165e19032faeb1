"""An election keeps the rules it was announced under: editing its kind's file mid-election moves
none of its dates, conditions or deadlines, while the next election announced follows the edit."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib

import pytest
from sqlalchemy import select, update

from registrar import actions, demo, officer_views, public, rules_in_force
from registrar.calendar import compute
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload
from registrar.models import Election
from registrar.resources import packaged
from registrar.rules import Rules, RulesError, parse
from tests.kinds import Edit, edit_presidential_fixture  # noqa: F401 - the fixture
from tests.registrar.conftest import ANNOUNCED, ELECTION_DAY, ELECTION_ID, World

EDITS = {
    "min_age_years = 40": "min_age_years = 45",  # E2
    "answer_days = 4": "answer_days = 9",  # D2
    "closes_days_before_election = 40": "closes_days_before_election = 45",  # G1
    '"medical_conclusion", "language_conclusion",\n]': '"medical_conclusion", "language_conclusion", "tax_certificate",\n]',  # D6
}

ASKED = {"organisation": "A bank", "subject": "Accounts"}


def _election(db: Database, election_id: str) -> Election:
    with db.reading() as session:
        election = session.get(Election, election_id)
        assert election is not None
        session.expunge(election)
        return election


def _days_after(world: World, days: int) -> str:
    """The end (T2: 24:00) of the ``days``-th day after the registration-time action, as a deadline's due_local."""
    day = world.registration_time.astimezone(world.rules.zone).date() + dt.timedelta(days=days + 1)
    return dt.datetime.combine(day, dt.time(0), tzinfo=world.rules.zone).isoformat()


def _announce_again(world: World, election_id: str) -> None:
    at = dt.datetime.combine(ANNOUNCED, dt.time(12), tzinfo=world.rules.zone)
    actions.announce_election(world.db, {"id": election_id, "title": "The same dates, announced after the edit",
                                         "kind": "presidential", "announced_on": ANNOUNCED.isoformat(),
                                         "election_day": ELECTION_DAY.isoformat()}, actor="test:commission", at=at)  # fmt: skip


def test_the_announcement_stores_the_file_in_force_with_its_hash(world: World) -> None:
    election = _election(world.db, ELECTION_ID)
    text = packaged("rules/presidential.toml").read_text(encoding="utf-8")
    assert election.rules_text == text
    assert election.rules_sha256 == hashlib.sha256(text.encode()).hexdigest()  # what sha256sum says of the file
    assert election.rules_title == world.rules.title == "Election of the President of the Republic of Kazakhstan"
    assert rules_in_force.of_election(election).by_id == world.rules.by_id


def test_an_election_keeps_its_rules_when_the_file_is_edited(world: World, edit_presidential: Edit) -> None:
    db, before = world.db, officer_views.election_calendar(world.db, ELECTION_ID)
    edited = edit_presidential(EDITS)
    assert (edited.E2.min_age_years, edited.D2.answer_days, edited.G1.closes_days_before_election) == (45, 9, 45)

    # Its calendar, on the officers' pages and the public's, is the one it was announced with (G1: 40 days).
    assert officer_views.election_calendar(db, ELECTION_ID).to_json() == before.to_json()
    public_close = next(m for m in public.election(db, ELECTION_ID).timeline.milestones if m.name == "registration_closes")
    assert public_close.at == before.registration_closes
    assert before.local(before.registration_closes).date() == ELECTION_DAY - dt.timedelta(days=40)

    # A 42-year-old is registered (E2: 40) on the documents it listed (D6: no tax certificate) ...
    candidacy = world.nominate(full_name="Forty Two", birth_date=ELECTION_DAY.replace(year=ELECTION_DAY.year - 42).isoformat())
    asked = world.act(candidacy, "send_information_request", ASKED)
    answer_by = next(d for d in asked.deadlines if d["kind"] == "information_request_answer")
    assert answer_by["rule"] == "D2" and answer_by["due_local"] == _days_after(world, 4)
    world.walk(candidacy, "registered")
    assert actions.show_candidacy(db, candidacy)["state"] == "registered"
    assert "tax_certificate" not in actions.show_candidacy(db, candidacy)["documents"]

    # ... while the election announced after the edit follows the edited file.
    _announce_again(world, "kz-2029-edited")
    after = officer_views.election_calendar(db, "kz-2029-edited")
    assert after.to_json() == compute(ANNOUNCED, ELECTION_DAY, edited, []).to_json()
    assert after.local(after.registration_closes).date() == ELECTION_DAY - dt.timedelta(days=45)
    assert _election(db, "kz-2029-edited").rules_sha256 != _election(db, ELECTION_ID).rules_sha256
    born = ELECTION_DAY.replace(year=ELECTION_DAY.year - 42).isoformat()
    nominated = actions.nominate(db, "kz-2029-edited", {
        "association_id": world.associations[1], "person": demo.person("Also Forty Two", ELECTION_DAY, birth_date=born),
        "decision": demo.decision(world.calendar.local(world.nomination_time).date() - dt.timedelta(days=1))},
        actor="test:clerk", at=world.nomination_time)  # fmt: skip
    asked = actions.perform(db, nominated.candidacy_id, "send_information_request", ASKED, actor="test:clerk",
                            at=world.registration_time)  # fmt: skip
    answer_by = next(d for d in asked.deadlines if d["kind"] == "information_request_answer")
    assert answer_by["due_local"] == _days_after(world, 9)
    with pytest.raises(GuardFailed) as refused:
        demo.walk(db, nominated.candidacy_id, "registered", world.registration_time + dt.timedelta(days=1), actor="test:clerk")
    assert {(u.rule, u.reason) for u in refused.value.unmet} >= {("D6", "missing: tax certificate")}
    later = world.registration_time + dt.timedelta(days=2)
    for trigger, payload in (("record_document", {"kind": "tax_certificate", "received_on": "2029-10-01", "reference": "T-1"}),
                             ("submit_documents", {})):  # fmt: skip
        actions.perform(db, nominated.candidacy_id, trigger, payload, actor="test:clerk", at=later)
    with pytest.raises(GuardFailed) as too_young:
        decided_on = world.calendar.local(later + dt.timedelta(hours=1)).date().isoformat()
        actions.perform(db, nominated.candidacy_id, "register", {"number": "CEC-1", "decided_on": decided_on},
                        actor="test:commission", at=later + dt.timedelta(hours=1))  # fmt: skip
    assert [u.rule for u in too_young.value.unmet] == ["E2"]


def test_an_announcement_reads_the_file_afresh(world: World, edit_presidential: Edit) -> None:
    # An announcement of any kind reads the file afresh: the cache of the rules in force does not hold it back.
    edit_presidential(EDITS)
    preview = actions.preview_calendar({"id": "kz-x", "title": "x", "kind": "presidential", "announced_on": ANNOUNCED.isoformat(),
                                        "election_day": ELECTION_DAY.isoformat()})  # fmt: skip
    assert preview.local(preview.registration_closes).date() == ELECTION_DAY - dt.timedelta(days=45)


def test_an_altered_snapshot_is_refused_not_applied(world: World) -> None:
    with world.db.transaction() as session:
        session.execute(update(Election).where(Election.id == ELECTION_ID)
                        .values(rules_text=Election.rules_text + "\n# edited in the database\n"))  # fmt: skip
    election = _election(world.db, ELECTION_ID)
    rules_in_force._BY_HASH.pop((election.rules_sha256, election.announced_on), None)  # as in a fresh process
    with pytest.raises(RulesError, match="do not match their SHA-256"):
        rules_in_force.of_election(election)


def test_a_stored_copy_with_a_key_the_code_no_longer_reads_still_applies(world: World) -> None:
    # An election announced before N1.self_nomination was dropped from the schema keeps its
    # text (and its hash); the key is passed over, while a file in force with it is refused.
    older = (
        packaged("rules/presidential.toml").read_text(encoding="utf-8").replace("[N1]\n", "[N1]\nself_nomination = false\n", 1)
    )
    assert "self_nomination" in older
    with world.db.transaction() as session:
        session.execute(update(Election).where(Election.id == ELECTION_ID)
                        .values(rules_text=older, rules_sha256=rules_in_force.digest(older)))  # fmt: skip
    election = _election(world.db, ELECTION_ID)
    assert rules_in_force.of_election(election).N1.nominator_kinds == world.rules.N1.nominator_kinds
    with pytest.raises(RulesError, match=r"N1\.self_nomination: Unknown field"):
        parse(tomllib.loads(older), packaged("rules/presidential.toml"))


def test_an_announcement_without_a_kind_or_of_an_unknown_kind_is_a_field_error(db: Database, rules: Rules) -> None:
    payload = {"id": "kz-x", "title": "x", "announced_on": "2029-08-24", "election_day": "2029-11-25"}
    with pytest.raises(InvalidPayload) as missing:
        actions.announce_election(db, payload, actor="test")
    assert list(missing.value.errors) == ["kind"] and "presidential" in missing.value.errors["kind"][0]
    with pytest.raises(InvalidPayload) as unknown:
        actions.announce_election(db, payload | {"kind": "mayoral"}, actor="test")
    assert list(unknown.value.errors) == ["kind"] and "'mayoral'" in unknown.value.errors["kind"][0]
    with db.reading() as session:
        assert session.scalars(select(Election)).all() == []
