"""One action, few statements: what ``perform`` sends to the database, counted, on both databases.

The issue's bound is eight statements for an action (the lock, the record, the candidacy's row,
the audit chain, the outbox and the outcome's deadlines, and on SQLite its BEGIN). Counting them
catches what would otherwise only show in the benchmark: a query that flushes on its own again,
the calendar's resolutions read for every action, the outcome read back object by object. The
outcome built from the action's own statements is the one a fresh read of the candidacy shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from registrar import action_statements, actions, audit, demo
from registrar.errors import StaleVersion
from registrar.models import AuditEvent, Candidacy, OutboxMessage

from .conftest import World

MINUTE = dt.timedelta(minutes=1)
BOUND = 8  # the issue's, for one action
# A registration's route on average, its two decisions with their many conditions included (about
# 9 on SQLite, whose BEGIN is a statement, and 5 on PostgreSQL when this was written).
ROUTE_BOUND = 10


@contextmanager
def counted(world: World) -> Iterator[list[str]]:
    """The statements sent while the block runs, as SQLAlchemy hands them to the driver."""
    sent: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(world.db.engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(world.db.engine, "before_cursor_execute", before)


def paper(world: World, trigger: str, at: dt.datetime) -> dict[str, Any]:
    """The first payload an officer enters for ``trigger`` (a record kept while in medical_check, or a decision)."""
    day = world.calendar.local(at).date()
    entered = [
        *demo.papers("medical_check", world.calendar, world.rules, day),
        *demo.papers(trigger, world.calendar, world.rules, day),
    ]
    for payload in entered:
        if payload.pop("_trigger", trigger) == trigger:
            return payload
    raise LookupError(trigger)


def test_a_record_action_sends_at_most_eight_statements(world: World) -> None:
    """A signature protocol, a document, a conclusion: the bulk of the actions before registration."""
    candidacy = world.nominate()
    at = world.walk(candidacy, "medical_check")
    protocol = paper(world, "record_signature_protocol", at)
    world.act(candidacy, "record_signature_protocol", protocol, at=at + MINUTE)  # the chain's head exists either way

    corrected = protocol | {"valid": protocol["valid"] - 1}
    with counted(world) as sent:
        outcome = world.act(candidacy, "record_signature_protocol", corrected, at=at + 2 * MINUTE)

    assert outcome.state == "medical_check"
    assert len(sent) <= BOUND, "\n".join(sent)


def test_registration_route_stays_within_the_bound_on_average(world: World) -> None:
    """Every action of a registration, the decisions with their many conditions included."""
    candidacy = world.nominate()
    with counted(world) as sent:
        world.walk(candidacy, "registered")
    with world.db.reading() as session:
        actions_taken = len(session.scalars(select(AuditEvent.seq).where(AuditEvent.subject_id == str(candidacy))).all()) - 1
    assert actions_taken >= 20
    # The walk's own first read (the candidacy and its calendar) is counted too.
    assert len(sent) / actions_taken <= ROUTE_BOUND, "\n".join(sent)


def test_the_outcome_is_what_a_fresh_read_shows(world: World) -> None:
    """The deadlines, version and allowed steps an outcome reports, built within the action's last
    statements, are those show_candidacy reads afterwards; the event and its messages are stored."""
    candidacy = world.nominate()
    at = world.walk(candidacy, "documents_submitted") + MINUTE
    payload = paper(world, "register", at)

    outcome = world.act(candidacy, "register", payload, at=at)

    shown = actions.show_candidacy(world.db, candidacy, at=at)
    assert outcome.state == shown["state"] == "registered"
    assert outcome.version == shown["version"]
    assert outcome.deadlines == shown["deadlines"] and [d["kind"] for d in outcome.deadlines] == ["declaration_verification"]
    assert outcome.allowed == shown["allowed"]
    with world.db.reading() as session:
        stored = session.get(AuditEvent, outcome.event_seq)
        assert stored is not None and (stored.action, stored.from_state, stored.to_state) == (
            "register",
            "documents_submitted",
            "registered",
        )
        assert stored.payload["certificate"] == shown["certificate"]
        told = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.event_seq == outcome.event_seq)).all()
        association = actions.candidacy_row(session, candidacy).association_id
        assert sorted(told) == sorted(actions.candidacy_recipients(association, candidacy))
        assert audit.verify(session).ok


def test_a_version_moved_before_the_write_is_stale_and_writes_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidacy's row is written with the version it was read at: had it moved in between, the
    action is a StaleVersion and neither its event nor its messages stay."""
    candidacy = world.nominate()
    at = world.walk(candidacy, "medical_check") + MINUTE
    before = stored(world)
    taken_out = action_statements.moved

    def moved_meanwhile(session: Session, row: Candidacy) -> dict[str, Any] | None:
        written = taken_out(session, row)
        assert written is not None
        # What another writer would have done between the read and the write.
        session.execute(
            update(action_statements.CANDIDACIES).where(action_statements.CANDIDACIES.c.id == candidacy).values(version=99)
        )
        return written

    monkeypatch.setattr(action_statements, "moved", moved_meanwhile)
    with pytest.raises(StaleVersion):
        world.act(candidacy, "record_contribution", paper(world, "record_contribution", at), at=at)

    assert stored(world) == before


def stored(world: World) -> tuple[list[int], int]:
    with world.db.reading() as session:
        return list(session.scalars(select(AuditEvent.seq))), len(session.scalars(select(OutboxMessage.id)).all())
