"""``registrar audit verify --records``: the tables replayed against the trail (issue 13).

Each change below, made behind the application's back, left the chain intact; the replay names
the record it touched. The demo (a candidacy in every state, decisions, certificates, protocols
and their corrections, results, the President's registration) replays clean, before and after
its deadlines fire.
"""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from registrar import audit, replay, sweep
from registrar.cli import main
from registrar.db import Database
from tests.demo_copies import build_demo

from .test_audit import execute, url_of
from .test_checkpoints import events, rewrite


@pytest.fixture
def demo(db: Database) -> Database:
    build_demo(db)
    return db


def differences(db: Database) -> list[str]:
    with db.reading() as session:
        return [str(m) for m in replay.mismatches(session)]


def one(db: Database, sql: str) -> str:
    with db.engine.connect() as connection:
        return str(connection.scalar(text(sql)))


def test_the_demo_replays_clean_before_and_after_its_deadlines_fire(demo: Database) -> None:
    assert differences(demo) == []
    sweep.sweep(demo, dt.datetime.now(dt.UTC) + dt.timedelta(days=120))
    assert differences(demo) == []


def test_a_candidacys_state_changed_under_the_trail_is_named(demo: Database) -> None:
    candidacy = one(demo, "SELECT min(id) FROM candidacy WHERE state = 'refused'")
    execute(demo, "UPDATE candidacy SET state = 'registered' WHERE id = :id", id=int(candidacy))
    assert differences(demo) == [f"candidacy {candidacy}: its state is 'registered', the trail says 'refused'"]


def test_a_candidates_name_changed_under_the_trail_is_named(demo: Database) -> None:
    person, candidacy = one(demo, "SELECT min(person_id) FROM candidacy"), one(demo, "SELECT min(id) FROM candidacy")
    execute(demo, "UPDATE person SET full_name = 'Подставное Имя' WHERE id = :id", id=int(person))
    found = differences(demo)
    assert len(found) == 1 and found[0].startswith(f"candidacy {candidacy}: its candidate's full_name is 'Подставное Имя'")


def test_a_protocols_votes_changed_under_the_trail_are_named(demo: Database) -> None:
    protocol = one(demo, "SELECT min(id) FROM protocol")
    execute(demo, "UPDATE protocol SET ballots_cast = ballots_cast - 1, invalid_ballots = invalid_ballots - 1 WHERE id = :id",
            id=int(protocol))  # fmt: skip
    found = differences(demo)
    assert [f.split(": its ")[1].split(" ")[0] for f in found] == ["ballots_cast", "invalid_ballots"]


@pytest.mark.parametrize("sql, record", [
    ("DELETE FROM decision WHERE id = (SELECT min(id) FROM decision WHERE kind = 'refuse')", "candidacy"),
    ("UPDATE decision SET number = '999/9999' WHERE id = (SELECT min(id) FROM decision)", "candidacy"),
    ("UPDATE certificate SET candidacy_id = (SELECT max(id) FROM candidacy) WHERE id = (SELECT min(id) FROM certificate)",
     "certificate"),
    ("UPDATE election SET phase = 'voting' WHERE id = 'demo-presidential'", "election demo-presidential"),
    ("DELETE FROM protocol WHERE id = (SELECT max(id) FROM protocol)", "protocol"),
])  # fmt: skip
def test_decisions_certificates_phases_and_protocols_changed_under_the_trail_are_named(
    demo: Database, sql: str, record: str
) -> None:
    execute(demo, sql)
    found = differences(demo)
    assert found and all(f.startswith(record) for f in found), found


def test_a_fake_register_event_appended_with_its_hash_is_caught_by_the_records(demo: Database) -> None:
    # The tail append the checkpoints cannot see until they sign it: its claim is not in the records.
    candidacy = one(demo, "SELECT min(id) FROM candidacy WHERE state = 'refused'")
    with demo.transaction() as session:
        audit.append(session, at=dt.datetime.now(dt.UTC), actor="demo:commission", action="register",
                     subject_type="candidacy", subject_id=candidacy, from_state="refused", to_state="registered",
                     payload={"rule": "G2"})  # fmt: skip
    with demo.reading() as session:
        assert audit.verify(session).ok
    assert differences(demo)[0] == f"candidacy {candidacy}: its state is 'refused', the trail says 'registered'"


def test_cli_verify_records_names_the_first_difference(demo: Database) -> None:
    verify = ["--database", url_of(demo), "audit", "verify", "--records"]
    clean = CliRunner().invoke(main, verify)
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.startswith("records agree with the trail:")
    rows = events(demo)
    rewrite(demo, rows)  # rehashed as it was: still the same trail
    candidacy = one(demo, "SELECT min(id) FROM candidacy WHERE state = 'refused'")
    execute(demo, "UPDATE candidacy SET state = 'registered' WHERE id = :id", id=int(candidacy))
    result = CliRunner().invoke(main, verify)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"registrar: records differ from the audit trail: candidacy {candidacy}: "
                                     "its state is 'registered', the trail says 'refused'")  # fmt: skip
