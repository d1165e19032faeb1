"""What the officers' pages read: the queue of candidacies waiting for a role, the longest waiting
first, across all its states; the round being counted, which the protocol form asks about."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import select

from registrar import officer_views, sweep, territory
from registrar.db import Database
from registrar.models import Candidacy, Deadline, InformationRequest
from registrar.rules import Rules
from tests.demo_copies import build_demo

from .conftest import ELECTION_ID, World
from .test_results import HOUR, count_ahead, protocol

TODAY = dt.date(2029, 10, 1)
DAY = dt.timedelta(days=1)


def test_the_queue_is_every_waiting_candidacy_in_waiting_order(db: Database) -> None:
    build_demo(db, TODAY)
    for role, limit in itertools.product(["clerk", "commission", "revenue", "court", "auditor"], [3, 100]):
        states = officer_views.states_for(role)
        with db.reading() as session:
            everyone = session.execute(select(Candidacy.id, Candidacy.state_since).where(Candidacy.state.in_(states))).all()
        expected = [cid for cid, _ in sorted(everyone, key=lambda row: (row[1], row[0]))][:limit]
        queue = officer_views.candidacies_for(db, role, limit=limit)
        assert [c["id"] for c in queue] == expected, (role, limit)
        assert all(c["state"] in states for c in queue)
        assert officer_views.candidacies_for(db, role, election="another", limit=limit) == []


def test_the_round_counted_is_read_with_its_ballot_by_name_and_the_units_still_to_report(db: Database, rules: Rules) -> None:
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    voting = officer_views.counting(db, ELECTION_ID, at=vote.counting - 4 * HOUR)
    assert (voting["round"], voting["ballot"], voting["missing_units"]) == (None, [], [])
    counted = officer_views.counting(db, ELECTION_ID, at=vote.counting)
    units = [(u.code, u.name) for u in territory.current().units]
    assert counted["round"] == 1 and counted["rules"].kind == rules.kind
    assert counted["ballot"] == [(a, "Candidate A"), (b, "Candidate B")]
    assert sorted(counted["missing_units"]) == sorted(units)
    vote.submit([protocol(units[0][0], {a: 600, b: 400})])
    assert sorted(officer_views.counting(db, ELECTION_ID, at=vote.counting)["missing_units"]) == sorted(units[1:])


def test_d2_an_overdue_duty_stays_on_the_dashboard_after_the_sweep_until_its_step_is_taken(world: World) -> None:
    """Issue 12's first finding: the dashboard listed only pending deadline rows, so a D2 request the
    sweep had notified vanished from the clerk's list while still unanswered. It stays, overdue, at
    the top, until the answer is recorded; the auditor, who sees all, sees it too."""
    candidacy = world.nominate()
    sent = world.registration_time
    world.act(candidacy, "send_information_request", {"organisation": "Halyk Bank", "subject": "accounts"}, at=sent)
    with world.db.reading() as session:
        [(request, due)] = session.execute(
            select(InformationRequest.id, Deadline.due_at).join(Deadline, Deadline.subject_id == str(candidacy))
            .where(InformationRequest.candidacy_id == candidacy, Deadline.kind == "information_request_answer")
        ).all()  # fmt: skip
    sweep.sweep(world.db, due + HOUR)
    later = due + 2 * DAY

    def listed(role: str) -> list[dict[str, Any]]:
        return [d for d in officer_views.duties_of(world.db, role, at=later) if d["kind"] == "information_request_answer"]

    [overdue] = listed("clerk")
    assert overdue["overdue"] and overdue["late_by"] == 2 * DAY and overdue["subject_id"] == str(candidacy)
    assert officer_views.duties_of(world.db, "clerk", at=later)[0]["overdue"], "the overdue come first"
    assert listed("auditor") == [overdue]
    world.act(candidacy, "answer_information_request", {"request_id": request, "answer": "one account"}, at=later)
    assert listed("clerk") == []
