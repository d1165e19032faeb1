"""The audit trail is hash-chained: altering, removing or truncating it is detected and the
first bad event is named, by ``audit.verify`` and by ``registrar audit verify``. On both
databases.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import JSON, bindparam, select, text

from registrar import audit
from registrar.cli import main
from registrar.db import Database
from registrar.models import AuditEvent

from .conftest import World


def url_of(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def execute(db: Database, sql: str, **params: Any) -> int:
    """Raw SQL behind the application's back, committed; returns the rows touched."""
    statement = text(sql)
    if "payload" in params:
        statement = statement.bindparams(bindparam("payload", type_=JSON))
    with db.engine.begin() as connection:
        return connection.execute(statement, params).rowcount


def stored_seqs(db: Database) -> list[int]:
    with db.engine.connect() as connection:
        return list(connection.scalars(text("SELECT seq FROM audit_event ORDER BY seq")))


def payload_of(db: Database, seq: int) -> dict[str, Any]:
    with db.engine.connect() as connection:
        payload = connection.scalar(select(AuditEvent.__table__.c.payload).where(AuditEvent.__table__.c.seq == seq))
    assert isinstance(payload, dict)
    return payload


def verdict(db: Database) -> audit.Verdict:
    with db.reading() as session:
        return audit.verify(session)


@pytest.fixture
def trail(world: World) -> World:
    """An election, its associations, and two candidacies that went through some actions."""
    first = world.nominate(full_name="Aruzhan Smagulova")
    world.walk(first, "medical_check")
    second = world.nominate(world.associations[1], full_name="Daulet Ermekov")
    world.walk(second, "declarations_filed")
    return world


def cli_verify(db: Database) -> Any:
    return CliRunner().invoke(main, ["--database", url_of(db), "audit", "verify"])


# --- intact ----------------------------------------------------------------------------------


def test_an_untouched_chain_verifies_and_counts_every_event(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    # announce + 9 associations + 2 nominations + their actions
    assert len(seqs) > 12
    assert seqs == list(range(1, len(seqs) + 1)), "appends are numbered without gaps"
    result = verdict(trail.db)
    assert result.ok
    assert result.events == len(seqs)
    assert result.first_bad is None and result.problem == ""


def test_verify_reads_the_chain_in_batches_without_losing_the_link(trail: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Batches of 3: each batch starts after the last seq of the one before, and the session
    # is emptied between them; the chain must still link across the seams.
    events = audit._events
    monkeypatch.setattr(audit, "_events", lambda session: events(session, batch=3))
    seqs = stored_seqs(trail.db)
    assert verdict(trail.db) == audit.Verdict(len(seqs))
    execute(trail.db, "DELETE FROM audit_event WHERE seq = 7")  # the first of the third batch
    assert verdict(trail.db).first_bad == 7


def test_an_empty_trail_verifies(db: Database) -> None:
    result = verdict(db)
    assert result.ok and result.events == 0


def test_each_event_links_to_the_one_before(trail: World) -> None:
    with trail.db.reading() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert events[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == len(events)


# --- tampering -------------------------------------------------------------------------------


def test_altering_one_events_payload_names_that_event(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    target = seqs[len(seqs) // 2]
    payload = payload_of(trail.db, target)
    payload["forged"] = True
    assert execute(trail.db, "UPDATE audit_event SET payload = :payload WHERE seq = :seq", payload=payload, seq=target) == 1
    result = verdict(trail.db)
    assert not result.ok
    assert result.first_bad == target
    assert result.events == target - 1  # the events before it still verify
    assert f"event {target} was altered" in result.problem


def test_altering_a_nested_value_of_the_payload_is_detected(trail: World) -> None:
    # The first event announced the election; its payload carries the computed calendar.
    payload = payload_of(trail.db, 1)
    assert "calendar" in payload
    payload["calendar"]["registration_closes"] = "2029-10-30T18:00:00+05:00"
    execute(trail.db, "UPDATE audit_event SET payload = :payload WHERE seq = 1", payload=payload)
    result = verdict(trail.db)
    assert (result.first_bad, result.events) == (1, 0)


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "someone:else"), ("to_state", "registered"), ("action", "register")],
)
def test_altering_who_or_what_of_an_event_is_detected(trail: World, column: str, value: str) -> None:
    target = stored_seqs(trail.db)[-3]
    execute(trail.db, f"UPDATE audit_event SET {column} = :value WHERE seq = :seq", value=value, seq=target)
    assert verdict(trail.db).first_bad == target


def test_deleting_an_event_in_the_middle_names_the_missing_seq(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    target = seqs[len(seqs) // 2]
    assert execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=target) == 1
    result = verdict(trail.db)
    assert not result.ok
    assert result.first_bad == target
    assert f"event {target} is missing" in result.problem


def test_deleting_the_first_event_is_detected(trail: World) -> None:
    execute(trail.db, "DELETE FROM audit_event WHERE seq = 1")
    result = verdict(trail.db)
    assert (result.first_bad, result.events) == (1, 0)


def test_deleting_the_last_event_is_detected_by_the_head(trail: World) -> None:
    last = stored_seqs(trail.db)[-1]
    assert execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=last) == 1
    result = verdict(trail.db)
    assert not result.ok
    assert result.first_bad == last
    assert result.events == last - 1
    assert f"ends at event {last - 1} but {last} were appended" in result.problem


def test_renumbering_to_hide_a_deletion_is_detected(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    target = seqs[len(seqs) // 2]
    execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=target)
    # Close the gap event by event, in increasing order (no primary key collision).
    for seq in seqs[seqs.index(target) + 1 :]:
        execute(trail.db, "UPDATE audit_event SET seq = :new WHERE seq = :old", new=seq - 1, old=seq)
    result = verdict(trail.db)
    assert result.first_bad == target  # the event now numbered ``target`` does not follow its predecessor


def test_new_events_after_a_verified_chain_continue_it(trail: World) -> None:
    before = verdict(trail.db).events
    candidacy = trail.nominate(trail.associations[2], full_name="Third Candidate")
    trail.walk(candidacy, "declarations_filed")
    after = verdict(trail.db)
    assert after.ok and after.events == before + 2


# --- the command line ------------------------------------------------------------------------


def test_cli_audit_verify_exits_0_on_an_intact_chain(trail: World) -> None:
    result = cli_verify(trail.db)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"audit chain intact: {len(stored_seqs(trail.db))} events"
    assert result.stderr == ""


def test_cli_audit_verify_exits_1_naming_the_first_bad_event(trail: World) -> None:
    seqs = stored_seqs(trail.db)
    altered, deleted = seqs[4], seqs[9]
    payload = payload_of(trail.db, altered) | {"forged": True}
    execute(trail.db, "UPDATE audit_event SET payload = :payload WHERE seq = :seq", payload=payload, seq=altered)
    execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=deleted)
    result = cli_verify(trail.db)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [f"registrar: audit chain broken: event {altered} was altered: its content does not match its hash"]


def test_cli_audit_verify_names_a_truncated_chain(trail: World) -> None:
    last = stored_seqs(trail.db)[-1]
    execute(trail.db, "DELETE FROM audit_event WHERE seq = :seq", seq=last)
    result = cli_verify(trail.db)
    assert result.exit_code == 1
    assert f"the chain ends at event {last - 1} but {last} were appended" in result.stderr
    assert "Traceback" not in result.output
