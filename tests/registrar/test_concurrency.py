"""Actions racing on the real PostgreSQL: row locks, the optimistic version and the audit chain.

Twenty threads wait at a barrier and fire at the same instant, each through its own session
from one engine whose pool holds all of them (Database(url, pool_size=25, max_overflow=5)).
What the code does with a lost race, read from actions.perform: the candidacy row is locked
(SELECT ... FOR UPDATE) and *then* the expected version is compared, so a caller that waited
on the lock sees the winner's version and gets StaleVersion, never NotAllowed; the state is
only looked at after the version check.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from registrar import actions, audit, demo
from registrar.db import Database
from registrar.errors import GuardFailed, NotAllowed, StaleVersion
from registrar.models import AuditEvent, Candidacy, Certificate, Deadline, InformationRequest
from registrar.rules import Rules

from .conftest import ELECTION_DAY, ELECTION_ID, World, build_world

pytestmark = pytest.mark.postgresql

THREADS = 20
T = TypeVar("T")


@pytest.fixture
def pool(pg_db: Database, pg_url: str) -> Iterator[Database]:
    """The emptied session database (pg_db), through an engine with a connection for every thread."""
    database = Database(pg_url, pool_size=25, max_overflow=5)
    yield database
    database.dispose()


@pytest.fixture
def pg_world(pool: Database, rules: Rules) -> World:
    return build_world(pool, rules, national=12)


def at_once(work: Callable[[int], T], threads: int = THREADS) -> list[T | Exception]:
    """Run ``work(0..threads-1)`` in as many threads, released together by a barrier; results in order."""
    barrier = threading.Barrier(threads)

    def run(index: int) -> T | Exception:
        barrier.wait(timeout=60)
        try:
            return work(index)
        except Exception as err:  # every outcome is inspected by the test
            return err

    with ThreadPoolExecutor(max_workers=threads) as executor:
        return list(executor.map(run, range(threads)))


def verdict(db: Database) -> audit.Verdict:
    with db.reading() as session:
        return audit.verify(session)


def events_of(db: Database, candidacy_id: int, after: int = 0) -> list[AuditEvent]:
    with db.reading() as session:
        return [e for e in audit.history(session, "candidacy", candidacy_id) if e.seq > after]


def head(db: Database) -> int:
    return verdict(db).events


def version_of(db: Database, candidacy_id: int) -> tuple[str, int]:
    with db.reading() as session:
        row = session.execute(select(Candidacy.state, Candidacy.version).where(Candidacy.id == candidacy_id)).one()
        return row.state, row.version


# --- One decision on one candidacy ----------------------------------------------------------

DECISIONS = {"register": "registered", "refuse": "refused", "withdraw": "withdrawn"}


def test_conflicting_decisions_at_the_same_instant_one_wins_the_rest_are_stale(pg_world: World) -> None:
    db, calendar, rules = pg_world.db, pg_world.calendar, pg_world.rules
    candidacy = pg_world.nominate(full_name="Contested Candidate")
    at = pg_world.walk(candidacy, "documents_submitted") + dt.timedelta(hours=1)
    state, version = version_of(db, candidacy)
    assert state == "documents_submitted"
    seq = head(db)
    triggers = [list(DECISIONS)[i % len(DECISIONS)] for i in range(THREADS)]
    payloads = [demo.papers(t, calendar, rules, calendar.local(at).date(), number=f"{t}-{i}")[0] for i, t in enumerate(triggers)]

    results = at_once(lambda i: actions.perform(db, candidacy, triggers[i], payloads[i], actor=f"test:officer-{i}",
                                                expected_version=version, at=at))  # fmt: skip

    winners = [(i, r) for i, r in enumerate(results) if isinstance(r, actions.Outcome)]
    losers = [r for r in results if not isinstance(r, actions.Outcome)]
    assert len(winners) == 1, results
    index, outcome = winners[0]
    trigger = triggers[index]
    assert outcome.state == DECISIONS[trigger]
    # A loser either waited on the row lock or came after the commit: either way the version
    # check (made after the lock, before the state is looked at) is what refuses it.
    assert all(isinstance(e, StaleVersion) for e in losers), [e for e in losers if not isinstance(e, StaleVersion)]
    assert {(e.expected, e.current) for e in losers if isinstance(e, StaleVersion)} == {(version, outcome.version)}
    assert version_of(db, candidacy) == (DECISIONS[trigger], outcome.version)
    new = events_of(db, candidacy, after=seq)
    assert [(e.seq, e.action, e.from_state, e.to_state, e.actor) for e in new] == [
        (outcome.event_seq, trigger, "documents_submitted", DECISIONS[trigger], f"test:officer-{index}")
    ]
    assert head(db) == seq + 1
    assert verdict(db).ok
    with db.reading() as session:
        certificates = session.scalar(select(func.count(Certificate.id)).where(Certificate.candidacy_id == candidacy))
    assert certificates == (1 if trigger == "register" else 0)


def test_conflicting_decisions_without_a_version_the_losers_see_the_new_state(pg_world: World) -> None:
    """No expected version: a loser that waited on the row lock reads the winner's state and gets NotAllowed.

    register and refuse both leave documents_submitted and neither is open from where the
    other leads, so exactly one can happen whatever the order.
    """
    db, calendar, rules = pg_world.db, pg_world.calendar, pg_world.rules
    candidacy = pg_world.nominate(full_name="Contested Again")
    at = pg_world.walk(candidacy, "documents_submitted") + dt.timedelta(hours=1)
    seq = head(db)
    triggers = ["register" if i % 2 else "refuse" for i in range(THREADS)]
    payloads = [demo.papers(t, calendar, rules, calendar.local(at).date(), number=f"{t}-{i}")[0] for i, t in enumerate(triggers)]

    results = at_once(lambda i: actions.perform(db, candidacy, triggers[i], payloads[i], actor=f"test:officer-{i}", at=at))

    winners = [(i, r) for i, r in enumerate(results) if isinstance(r, actions.Outcome)]
    assert len(winners) == 1, results
    index, outcome = winners[0]
    losers = [r for r in results if not isinstance(r, actions.Outcome)]
    assert all(isinstance(e, NotAllowed) and e.state == outcome.state for e in losers), losers
    assert version_of(db, candidacy) == (DECISIONS[triggers[index]], outcome.version)
    assert [e.seq for e in events_of(db, candidacy, after=seq)] == [outcome.event_seq] == [seq + 1]
    assert verdict(db).ok


# --- N5: one candidacy per association ------------------------------------------------------


def test_n5_twenty_nominations_by_one_association_at_once_leave_one_candidacy(pg_world: World) -> None:
    db, association = pg_world.db, pg_world.associations[0]
    at = pg_world.nomination_time
    seq = head(db)

    def nominate(i: int) -> actions.Outcome:
        return actions.nominate(
            db, ELECTION_ID,
            {"association_id": association, "person": demo.person(f"Nominee {i}", ELECTION_DAY),
             "decision": demo.decision(pg_world.calendar.local(at).date() - dt.timedelta(days=1))},
            actor=f"test:association-{i}", at=at,
        )  # fmt: skip

    results = at_once(nominate)

    winners = [r for r in results if isinstance(r, actions.Outcome)]
    losers = [r for r in results if not isinstance(r, actions.Outcome)]
    assert len(winners) == 1, results
    assert all(isinstance(e, GuardFailed) and [u.rule for u in e.unmet] == ["N5"] for e in losers), losers
    with db.reading() as session:
        candidacies = list(session.scalars(select(Candidacy.id).where(Candidacy.association_id == association)))
    assert candidacies == [winners[0].candidacy_id]
    assert head(db) == seq + 1
    assert verdict(db).ok


# --- Internal actions without an expected version ---------------------------------------------


@pytest.mark.parametrize("instants", ["distinct", "same"])
def test_twenty_information_requests_at_once_all_land_and_each_moves_the_version(pg_world: World, instants: str) -> None:
    """D2 requests carry no expected version: all succeed, serialised by the row lock.

    ``same``: all twenty at one instant (as a batch or the sweep would send them);
    ``distinct``: a microsecond apart. Either way each action must move the version on.
    """
    db = pg_world.db
    candidacy = pg_world.nominate(full_name="Much Asked About")
    _, version = version_of(db, candidacy)
    seq = head(db)
    at = pg_world.registration_time

    def ask(i: int) -> actions.Outcome:
        moment = at if instants == "same" else at + dt.timedelta(microseconds=i)
        return actions.perform(db, candidacy, "send_information_request",
                               {"organisation": f"Bank {i}", "subject": "accounts of the candidate"},
                               actor=f"test:clerk-{i}", at=moment)  # fmt: skip

    results = at_once(ask)

    assert all(isinstance(r, actions.Outcome) for r in results), [r for r in results if not isinstance(r, actions.Outcome)]
    outcomes = [r for r in results if isinstance(r, actions.Outcome)]
    new = events_of(db, candidacy, after=seq)
    assert [e.seq for e in new] == list(range(seq + 1, seq + THREADS + 1))  # gapless, all of them this candidacy's
    assert sorted(o.event_seq for o in outcomes) == [e.seq for e in new]
    check = verdict(db)
    assert check.ok and check.events == seq + THREADS, check
    with db.reading() as session:
        requests = session.scalar(select(func.count(InformationRequest.id)).where(InformationRequest.candidacy_id == candidacy))
        pending = session.scalar(
            select(func.count(Deadline.id)).where(Deadline.subject_id == str(candidacy), Deadline.status == "pending",
                                                  Deadline.kind == "information_request_answer"))  # fmt: skip
    assert (requests, pending) == (THREADS, THREADS)
    assert version_of(db, candidacy) == ("nominated", version + THREADS), (
        f"{THREADS} actions at {instants} instants moved the version from {version} to {version_of(db, candidacy)[1]}"
    )
    assert sorted(o.version for o in outcomes) == list(range(version + 1, version + THREADS + 1))


# --- Different candidacies at once: certificates and the audit chain --------------------------


def test_ten_registrations_at_once_get_distinct_certificates_in_one_unbroken_chain(pg_world: World) -> None:
    db = pg_world.db
    candidacies = [pg_world.nominate(association, full_name=f"Candidate {i}") for i, association in
                   enumerate(pg_world.associations[:10])]  # fmt: skip
    at = max(pg_world.walk(c, "documents_submitted") for c in candidacies) + dt.timedelta(hours=1)
    seq = head(db)
    payload = demo.papers("register", pg_world.calendar, pg_world.rules, pg_world.calendar.local(at).date())[0]

    results = at_once(lambda i: actions.perform(db, candidacies[i], "register", payload, actor=f"test:cec-{i}", at=at),
                      threads=len(candidacies))  # fmt: skip

    assert all(isinstance(r, actions.Outcome) and r.state == "registered" for r in results), results
    with db.reading() as session:
        numbers = sorted(session.scalars(select(Certificate.number)))
    assert numbers == [f"{ELECTION_ID.upper()}-{n:03d}" for n in range(1, len(candidacies) + 1)]
    check = verdict(db)
    assert check.ok and check.events == seq + len(candidacies), check


# --- The very first audit event ---------------------------------------------------------------


def test_the_first_audit_events_of_an_empty_database_race_without_error(pool: Database) -> None:
    """Twenty first appends at once on emptied tables (pg_db truncates audit_head too).

    Found here: audit.append created the missing audit_head row with a plain insert, so every
    thread found no row to lock, all took seq 1, and all but one failed with an IntegrityError
    on pk_audit_event that nominate / register_association / announce_election let through
    (and perform would have reported as InvalidPayload). Now the migration seeds the head and
    append inserts it if missing without a conflict before taking its lock.
    """
    at = dt.datetime(2029, 8, 24, 11, tzinfo=dt.UTC)

    def register(i: int) -> Any:
        return actions.register_association(
            pool, {"registration_number": f"F-{i:03d}", "name": f"First Association {i}", "kind": "national",
                   "registered_on": "2010-01-01"}, actor="test:ministry", at=at)  # fmt: skip

    results = at_once(register)

    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, f"{len(failures)} of {THREADS} first appends failed, e.g. {failures[0]!r}"
    check = verdict(pool)
    assert check.ok and check.events == THREADS, check
