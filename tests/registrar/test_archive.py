"""Issue 14, the archive: the 2019 and 2022 snap presidential elections from their public record.

Each file loads on a fresh database through the same actions as any import and gives the public
figures (2019: 9,216,410 valid votes, Tokayev 6,539,715, 70.96%; 2022: 7,940,478 valid votes
including 460,484 against all, Tokayev 6,456,393, 81.31%, turnout 69.44% of 11,953,465), each
under the law and over the territory of its day. What the record does not give is left out, and
only such a record may leave it out: a live action still requires every fact, and the CEC's
national figures stand for the protocols only in an import of the public record.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from registrar import actions, audit, conditions, importing, public, results, roles, schemas, sweep
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload
from registrar.models import Association, Candidacy, Decision, Election, Person
from registrar.rules_in_force import of_election


def _shown(db: Database, election_id: str) -> tuple[Any, Any]:
    shown = public.results(db, election_id)
    return shown, shown.rounds[0]


@pytest.mark.parametrize("election_id", importing.ARCHIVE)
def test_every_action_of_an_archive_file_cites_a_source_with_its_address(election_id: str) -> None:
    document = importing.archived(election_id)
    sources = document["sources"]
    assert all(re.search(r"https?://", text) for text in sources.values()), "every source names where it is read"
    assert all(step.get("source") in sources for step in document["actions"]), "every action says where the record says so"
    assert document["notes"], "what the record does not give is said"


def test_2019_loads_as_the_public_record_gives_it(db: Database) -> None:
    loaded = importing.load(db, importing.archived("kz-2019"), actor="import:test")
    shown, first = _shown(db, loaded.election_id)
    assert (shown.phase, shown.president.full_name, shown.president.status) == (
        "president_registered", "Токаев Касым-Жомарт Кемелевич", "registered")  # fmt: skip
    assert (first.totals.valid, first.totals.ballots_cast, first.totals.invalid_ballots) == (9_216_410, 9_274_110, 57_700)
    assert (first.candidates[0].votes, first.candidates[0].percent) == (6_539_715, "70.96")
    assert first.totals.turnout_percent == "77.54"
    assert first.against_all is None, "no 'against all' before the 2022 amendments"
    assert first.national and first.protocols.expected == 17, "the CEC's figures, over the 17 units of 2019"
    assert first.totals.ballots_issued is None, "not in the record, and not shown as if it were"
    with db.reading() as session:
        states = sorted(session.scalars(select(Candidacy.state).where(Candidacy.election_id == "kz-2019")))
        rules = of_election(session.get_one(Election, "kz-2019"))
    assert states == ["refused", *["registered"] * 7, "withdrawn"]
    assert not rules.V4.against_all_on_ballot


def test_2022_loads_as_the_public_record_gives_it(db: Database) -> None:
    importing.load(db, importing.archived("kz-2022"), actor="import:test")
    shown, first = _shown(db, "kz-2022")
    assert (shown.phase, shown.president.status) == ("president_registered", "registered")
    assert (first.totals.valid, first.totals.voters_on_list, first.totals.turnout_percent) == (7_940_478, 11_953_465, "69.44")
    assert (first.candidates[0].full_name, first.candidates[0].votes, first.candidates[0].percent) == (
        "Токаев Касым-Жомарт Кемелулы", 6_456_393, "81.31")  # fmt: skip
    assert first.against_all is not None and (first.against_all.votes, first.against_all.percent) == (460_484, "5.80")
    assert first.totals.invalid_ballots is None, "the record states no invalid count: the derived one is not shown as stated"
    assert first.national and first.protocols.expected == 20
    with db.reading() as session:
        states = sorted(session.scalars(select(Candidacy.state).where(Candidacy.election_id == "kz-2022")))
    assert states == ["refused"] * 6 + ["registered"] * 6


def test_the_archive_loads_once_and_the_sweep_catching_up_keeps_it(db: Database) -> None:
    first = importing.load_archive(db, actor="import:test")
    assert [loaded.election_id for loaded in first] == list(importing.ARCHIVE)
    assert importing.load_archive(db, actor="import:test") == [], "what is held is not loaded again"
    sweep.sweep(db, dt.datetime.now(dt.UTC))
    for election_id in importing.ARCHIVE:
        shown, round_ = _shown(db, election_id)
        assert shown.phase == "president_registered" and round_.status == "established"
    with db.reading() as session:
        refused = session.scalars(select(Candidacy.state).where(Candidacy.election_id == "kz-2019",
                                                                Candidacy.state.like("refused%"))).all()  # fmt: skip
        assert refused == ["refused_final"], "no appeal was entered in the time allowed (G6)"
        # Ak Zhol-like namesakes: one association per name the records share (Auyl, the builders ...).
        builders = session.scalars(select(Association).where(Association.registration_number.is_(None))).all()
        assert len({a.name for a in builders}) == len(builders)
        assert audit.verify(session).ok
        # Nur Otan nominated in 2019 and, renamed AMANAT on 1 March 2022, in 2022: one association.
        nominators = {e: session.scalar(select(Candidacy.association_id).join(Candidacy.person)
                                        .where(Candidacy.election_id == e, Person.full_name.like("Токаев%")))
                      for e in importing.ARCHIVE}  # fmt: skip
    assert nominators["kz-2019"] == nominators["kz-2022"]
    assert [_shown(db, e)[1].candidates[0].association for e in importing.ARCHIVE] == ["Партия «Nur Otan»", "«AMANAT» партиясы"]


def test_national_figures_that_do_not_add_up_load_nothing(db: Database) -> None:
    document = importing.archived("kz-2019")
    establish = next(step for step in document["actions"] if step["do"] == "establish_results")
    establish["payload"]["national"]["votes"]["tokayev"] += 1
    with pytest.raises(importing.ImportRefused) as refused:
        importing.load(db, document, actor="import:test")
    refusal = refused.value.refusals[0]
    assert refusal.do == "establish_results" and "national.votes" in refusal.line()
    assert "9,216,411" in refusal.line(), "the sum the figures do not make, said"
    with db.reading() as session:
        assert session.get(Election, "kz-2019") is None and session.scalar(select(Candidacy.id)) is None


def test_an_archive_exported_loads_again_with_the_same_figures(db: Database, tmp_path: Any) -> None:
    importing.load(db, importing.archived("kz-2022"), actor="import:test")
    document = importing.export(db, "kz-2022")
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    other.upgrade()
    importing.load(other, copy.deepcopy(document), actor="import:test")
    assert _shown(other, "kz-2022")[1] == _shown(db, "kz-2022")[1]


def test_only_an_import_of_the_record_takes_national_figures(db: Database) -> None:
    importing.load(db, importing.archived("kz-2019"), actor="import:test")
    national = {"voters_on_list": 10, "ballots_cast": 5, "invalid_ballots": 0, "votes": {"1": 5}}
    with pytest.raises(InvalidPayload) as refused:
        schemas.load(schemas.EstablishResultsSchema, {"number": "1", "decided_on": "2019-06-10", "national": national})
    assert "national" in refused.value.errors
    assert roles.roles_for("record_registration") == {"importer"}, "nor may an officer record a registration from it"


def test_a_live_action_still_requires_what_the_record_may_leave_out(db: Database) -> None:
    association = {"name": "Ассоциация", "kind": "national"}
    with pytest.raises(InvalidPayload) as missing:
        actions.register_association(db, association, actor="clerk")
    assert set(missing.value.errors) == {"registration_number", "registered_on"}
    with pytest.raises(InvalidPayload) as empty:
        actions.register_association(db, association | {"registration_number": None, "registered_on": None}, actor="clerk")
    assert set(empty.value.errors) == {"registration_number", "registered_on"}
    person = {"full_name": "Асан Асанов", "birth_date": None, "citizen_by_birth": True, "resident_since": None,
              "education_level": "higher", "public_service_months": 60}  # fmt: skip
    with pytest.raises(InvalidPayload) as no_birth_date:
        schemas.load(schemas.PersonSchema, person)
    assert set(no_birth_date.value.errors) == {"birth_date"}, "resident_since null still means: not resident (E4)"
    with schemas.from_the_record():
        assert schemas.load(schemas.PersonSchema, {"full_name": "Асан Асанов"})["birth_date"] is None


def test_eligibility_is_not_judged_on_a_fact_the_record_does_not_give(rules: Any) -> None:
    person = SimpleNamespace(citizen_by_birth=None, birth_date=None, education_level="higher", public_service_months=None)
    ctx = SimpleNamespace(candidacy=SimpleNamespace(person=person), rules=rules, one=lambda model: None)
    unmet = conditions.eligible(ctx)  # type: ignore[arg-type]
    assert [u.rule for u in unmet] == ["E1", "E2", "E6"]
    assert all(u.message == f"{u.rule}.not_in_record" for u in unmet)
    assert "not judged on a guess" in unmet[0].reason


def test_the_results_read_of_the_archive_names_what_it_stands_on(db: Database) -> None:
    importing.load(db, importing.archived("kz-2022"), actor="import:test")
    read = results.results(db, "kz-2022")
    (round_,) = read["rounds"]
    assert round_["national"] and round_["protocols"] == {"received": 0, "expected": 20} and round_["units"] == []
    assert [d["number"] for d in read["decisions"]] == ["", ""], "the record gives no numbers: none invented"


@pytest.mark.parametrize("election_id", importing.ARCHIVE)
def test_the_archive_is_written_as_the_commission_writes_it(db: Database, election_id: str) -> None:
    """Its people, associations and reasons in Cyrillic, as the CEC's record gives them (Latin
    letters only in a registered name's quotes: «Nur Otan», «AMANAT»)."""
    importing.load(db, importing.archived(election_id), actor="import:test")
    with db.reading() as session:
        candidacies = session.scalars(select(Candidacy).where(Candidacy.election_id == election_id)).all()
        reasons = session.scalars(select(Decision.reason).where(Decision.candidacy_id.in_([c.id for c in candidacies])))
        texts = [*(t for c in candidacies for t in (c.person.full_name, c.association.name)), *(r for r in reasons if r)]
    assert texts and [t for t in texts if re.search("[A-Za-z]", re.sub(r"«[A-Za-z ]+»", "", t))] == []


def test_registrar_import_archive_loads_both_once(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from registrar.cli import main

    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(main, ["--database", url, "db", "upgrade"]).exit_code == 0
    first = runner.invoke(main, ["--database", url, "import", "--archive"])
    assert first.exit_code == 0, first.output
    assert "imported kz-2019: 30 actions" in first.output and "2 loaded now, 0 already held" in first.output
    again = runner.invoke(main, ["--database", url, "import", "--archive"])
    assert again.exit_code == 0 and "0 loaded now, 2 already held" in again.output
    neither = runner.invoke(main, ["--database", url, "import"])
    assert neither.exit_code == 2 and "a DOCUMENT, or --archive" in neither.output


def test_a_registration_without_papers_is_refused_outside_an_import_of_the_record(world: Any) -> None:
    """Whoever calls it (an importer's single API action too): record_registration is the public
    record's, so a live candidacy is registered on its papers (G2) or not at all."""
    candidacy = world.nominate()
    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, "record_registration", {"number": "1/1", "decided_on": world.registration_time.date().isoformat()})
    assert [u.message for u in refused.value.unmet] == ["G2.only_from_the_record"]
    with world.db.reading() as session:
        assert session.get_one(Candidacy, candidacy).state == "nominated"
