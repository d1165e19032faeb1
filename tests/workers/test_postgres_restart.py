"""PostgreSQL itself restarted under the service: its own cluster (harness.PostgresServer), stopped as a crash.

In the middle of a sweep burst: the in-process runner keeps its thread and its engine, its rounds
fail while the server is down, and once it is back every due deadline is applied exactly once.
In the middle of officers' actions: each action is stored whole or not at all, the caller sees
the database's OperationalError, and the web answers 503 (pages, the API and ``/health``), never
a 500, until the server is back.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from registrar import actions, audit, demo, replay, runtime
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.errors import RegistrarError
from registrar.models import AuditEvent, Candidacy, OutboxMessage
from registrar.rules import for_kind
from registrar.settings import Settings
from tests.web.conftest import WebWorld, make_app
from tests.web.helpers import closed_port
from tests.workers.harness import PostgresServer, assert_each_applied_once, fired_count, present_election, wait_until

AUDIT_FILES = {"audit_key_file": os.environ["REGISTRAR_AUDIT_KEY_FILE"],
               "audit_checkpoints_file": os.environ["REGISTRAR_AUDIT_CHECKPOINTS_FILE"]}  # fmt: skip
BURST = 2000
DOWN_SECONDS = 1.0  # long enough for several rounds and requests to find the server gone
RECOVERED_WITHIN = 60


def test_a_sweep_burst_survives_postgres_restarting_under_the_runner(
    restartable_db: Database, postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    db = restartable_db
    election = present_election(db, candidacies=4)
    cut_off = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    keys = election.information_requests_due([cut_off] * BURST)  # a burst due at one cut-off
    # Batches of fifty: the burst is forty transactions, so the crash lands in the middle of one.
    settings = Settings(sweep_interval_seconds=0.05, sweep_batch=50, **AUDIT_FILES)

    with caplog.at_level(logging.ERROR, logger="registrar.runtime"):
        runner = runtime.start(db, settings)
        try:
            wait_until(lambda: fired_count(db, keys) >= 100, timeout=RECOVERED_WITHIN, what="the burst to start")
            postgres_server.stop("immediate")
            rounds_when_down = runner.rounds
            wait_until(lambda: runner.rounds >= rounds_when_down + 3, timeout=RECOVERED_WITHIN, what="rounds while it is down")
            postgres_server.start()
            fired_at_crash = fired_count(db, keys)
            wait_until(lambda: fired_count(db, keys) == len(keys), timeout=RECOVERED_WITHIN,
                       what="the rest of the burst after the restart", logs=postgres_server.log)  # fmt: skip
            assert runner.alive, "the runner's thread ended with the database"
        finally:
            assert runner.stop(timeout=30)

    assert fired_at_crash < len(keys), "the burst was over before the crash; make it larger"
    failed = [r for r in caplog.records if getattr(r, "step", None) == "sweep"]
    assert failed, "no round failed: the server was not down while the runner swept"
    assert all(r.exc_info and issubclass(r.exc_info[0], OperationalError) for r in failed if r.exc_info)
    assert_each_applied_once(db, keys)
    with db.reading() as session:
        rows, distinct = session.execute(select(func.count(), func.count(OutboxMessage.delivery_key.distinct()))).one()
        assert rows == distinct
        assert list(replay.mismatches(session)) == []


# --- Officers at work while the server goes away -----------------------------------------------


@dataclass
class Desk:
    """One officer's thread: nominates new candidacies and files their declarations, one action a transaction."""

    db: Database
    calendar: ElectionCalendar
    number: int
    stopping: threading.Event
    done: Counter[str] = field(default_factory=Counter)
    failures: list[BaseException] = field(default_factory=list)
    states: dict[int, str] = field(default_factory=dict)  # the candidacies it saw nominated -> the state it saw last

    def run(self) -> None:
        rules = for_kind("presidential")
        election_day = self.calendar.election_day
        at = self.calendar.nomination_opens + dt.timedelta(days=2)
        day = self.calendar.local(at).date()
        for i in range(10_000):
            if self.stopping.is_set():
                return
            try:
                association = actions.register_association(
                    self.db, {"registration_number": f"R-{self.number}-{i}", "name": f"Association {self.number}-{i}",
                              "kind": "national", "registered_on": "2010-01-01"}, actor="test:ministry", at=at)  # fmt: skip
                self.done["register_association"] += 1
                candidacy = actions.nominate(
                    self.db, ELECTION,
                    {"association_id": association, "person": demo.person(f"Candidate {self.number}-{i}", election_day),
                     "decision": demo.decision(day - dt.timedelta(days=1))},
                    actor="test:clerk", at=at,
                ).candidacy_id  # fmt: skip
                self.done["nominate"] += 1
                self.states[candidacy] = "nominated"
                for payload in demo.papers("file_declarations", self.calendar, rules, day):
                    actions.perform(self.db, candidacy, payload.pop("_trigger", "file_declarations"), payload,
                                    actor="test:clerk", at=at)  # fmt: skip
                self.done["file_declarations"] += 1
                self.states[candidacy] = "declarations_filed"
            except (OperationalError, RegistrarError) as err:
                self.failures.append(err)


ELECTION = "kz-restart"


def announce(db: Database) -> ElectionCalendar:
    rules = for_kind("presidential")
    election_day = dt.datetime.now(rules.zone).date() + dt.timedelta(days=42)
    return demo.announce(db, ELECTION, "Presidential election (restart test)", election_day - dt.timedelta(days=120),
                         election_day, actor="test:commission")  # fmt: skip


@pytest.fixture
def app(restartable_db: Database) -> Iterator[Flask]:
    yield make_app(restartable_db)


def test_the_app_answers_503_when_the_database_is_down() -> None:
    app = make_app(Database(f"postgresql://postgres@127.0.0.1:{closed_port()}/registrar"))
    assert app.test_client().get("/api/v1/elections").status_code == 503


def test_officer_actions_are_whole_or_absent_across_a_postgres_restart(
    restartable_db: Database, postgres_server: PostgresServer, app: Flask
) -> None:
    db = restartable_db
    calendar = announce(db)
    client = app.test_client()
    officer = WebWorld(app, db).login_as("clerk")  # a signed-in page reads the account from the database too
    assert client.get("/health").status_code == 200

    stopping = threading.Event()
    desks = [Desk(db, calendar, n, stopping) for n in range(4)]
    threads = [threading.Thread(target=desk.run, name=f"desk-{desk.number}") for desk in desks]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: _filed(desks) >= 8, timeout=RECOVERED_WITHIN, what="the officers at work")
        postgres_server.stop("immediate")
        down = _while_down(client)
        dashboard = officer.get("/officer/", headers={"Accept-Language": "en"})
        wait_until(lambda: all(d.failures for d in desks), timeout=RECOVERED_WITHIN, what="every officer to meet the outage")
        postgres_server.start()
        done_when_back = _filed(desks)
        wait_until(lambda: _filed(desks) >= done_when_back + 8, timeout=RECOVERED_WITHIN,
                   what="the officers' actions to succeed again after the restart")  # fmt: skip
        back = client.get("/health")
    finally:
        stopping.set()
        for thread in threads:
            thread.join(60)

    assert down["/health"][0] == 503 and down["/health"][1]["status"] == "degraded"
    assert down["/api/v1/elections"][0] == 503 and down["/api/v1/elections"][1]["code"] == "database_unavailable"
    assert down["/"][0] == 503 and "database" in down["/"][1]
    assert dashboard.status_code == 503 and dashboard.headers["Retry-After"]
    assert back.status_code == 200 and back.get_json()["status"] == "ok"

    failures = [err for desk in desks for err in desk.failures]
    assert {type(err) for err in failures} <= {OperationalError}, f"not the database's own error: {failures[:3]}"
    with db.reading() as session:
        verdict = audit.verify(session)
        assert verdict.ok, verdict.problem
        assert list(replay.mismatches(session)) == []
        stored = {candidacy: state for candidacy, state in session.execute(select(Candidacy.id, Candidacy.state))}
        nominations = select(AuditEvent.subject_id).where(AuditEvent.subject_type == "candidacy", AuditEvent.action == "nominate")
        nominated = set(session.scalars(nominations))
    assert {str(c) for c in stored} == nominated, "a candidacy without its nomination event, or an event without its row"
    for desk in desks:  # what a caller was told was done is there
        for candidacy, state in desk.states.items():
            assert stored.get(candidacy) in ({state} if state == "declarations_filed" else {state, "declarations_filed"})


def _filed(desks: list[Desk]) -> int:
    return sum(desk.done["file_declarations"] for desk in desks)


def _while_down(client: Any) -> dict[str, tuple[int, Any]]:
    """What /health, the API and a public page answer while the server is down: (status, JSON or text)."""
    answers: dict[str, tuple[int, Any]] = {}
    for path in ("/health", "/api/v1/elections", "/"):
        response = client.get(path, headers={"Accept-Language": "en"})
        answers[path] = (response.status_code, response.get_json(silent=True) or response.get_data(as_text=True))
    return answers
