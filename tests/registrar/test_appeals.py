"""The appeals register (registrar.appeals): each appealable decision with its window, its appeal,
the court's clock and the judgment, read from the records the steps write (G6, V7)."""

from __future__ import annotations

import datetime as dt

import pytest

from registrar import appeals, sweep
from registrar.db import Database
from registrar.errors import NotFound
from registrar.rules import Rules

from .conftest import ELECTION_ID, World
from .test_results import COURT, DAY, SECOND
from .test_results_president import appeal as appeal_president
from .test_results_president import elected
from .test_results_president import refuse as refuse_president

HOUR = dt.timedelta(hours=1)


def day(world: World, at: dt.datetime) -> str:
    return world.calendar.local(at).date().isoformat()


def refused(world: World, name: str = "Гүлнар Әбенова", nominator: int = 0,
            start: dt.datetime | None = None) -> tuple[int, dt.datetime]:  # fmt: skip
    candidacy = world.nominate(world.associations[nominator], full_name=name)
    return candidacy, world.walk(candidacy, "refused", start)


def appeal(world: World, candidacy: int, at: dt.datetime, case: str = "SC-7") -> None:
    world.act(candidacy, "appeal", {"case_number": case, "filed_on": day(world, at)}, at=at)


def rule(world: World, candidacy: int, trigger: str, at: dt.datetime, number: str = "SC-7/R") -> None:
    world.act(candidacy, trigger, {"number": number, "decided_on": day(world, at)}, at=at)


def only(entries: list[appeals.AppealEntry]) -> appeals.AppealEntry:
    assert len(entries) == 1, entries
    return entries[0]


def test_a_refusal_may_be_appealed_until_its_window_ends(world: World) -> None:
    candidacy, at = refused(world)
    entry = only(appeals.register(world.db, at=at + HOUR))
    assert (entry.rule, entry.candidacy_id, entry.appellant, entry.against) == ("G6", candidacy, "Гүлнар Әбенова", "refused")
    assert entry.decision is not None and entry.decision.kind == "refuse" and entry.decision.body == "CEC"
    assert entry.decision.number.startswith("refuse-") and entry.decision.decided_on == world.calendar.local(at).date()
    assert entry.association == "National Association 1" and entry.election_title == "Presidential election 2029"
    assert entry.status == "window_open" and entry.appeal_id is None and entry.court is None and not entry.overdue
    assert entry.window is not None and entry.window.kind == "appeal_window" and entry.window.rule == "G6"
    assert entry.window.remaining == entry.window.due_at - (at + HOUR) > 9 * DAY
    # The window runs out: the decision is final, whether or not the sweep has come by yet.
    late = entry.window.due_at + SECOND
    assert only(appeals.register(world.db, at=late)).status == "window_closed"
    sweep.sweep(world.db, late)
    assert only(appeals.register(world.db, at=late)).status == "window_closed"
    assert only(appeals.register(world.db, at=late)).candidacy_state == "refused_final"


def test_an_appeal_pending_past_the_courts_days_is_overdue_first_with_how_late_then_dismissed(world: World) -> None:
    early, at = refused(world, "Асель Нұрланова")
    appeal(world, early, at + HOUR)
    later, at2 = refused(world, "Марат Кенжебеков", 1, start=at + DAY)
    first = appeals.register(world.db, at=at2 + HOUR)
    assert [e.candidacy_id for e in first] == [later, early], "the latest first while nothing is overdue"
    pending = first[1]
    assert (pending.status, pending.case_number, pending.filed_at) == ("pending", "SC-7", at + HOUR)
    assert pending.court is not None and pending.court.kind == "court_review"
    assert pending.court.due_at - (at + HOUR) >= 10 * DAY - DAY, "the court's 10 days (G6.court_review_days)"
    # Two days past the court's time, the sweep having recorded its notice: overdue, at the top.
    now = pending.court.due_at + 2 * DAY
    sweep.sweep(world.db, now)
    register = appeals.register(world.db, at=now)
    top = register[0]
    assert (top.candidacy_id, top.status, top.overdue, top.late_by) == (early, "pending", True, 2 * DAY)
    assert appeals.counts(register)["overdue"] == 1
    rule(world, early, "dismiss_appeal", now)
    done = next(e for e in appeals.register(world.db, at=now) if e.candidacy_id == early)
    assert (done.status, done.outcome, done.overdue, done.late_by) == ("dismissed", "dismissed", False, None)
    assert done.judgment is not None and (done.judgment.number, done.judgment.body) == ("SC-7/R", "Supreme Court")
    assert done.judgment.decided_on == world.calendar.local(now).date() and done.ruled_at == now
    assert done.candidacy_state == "refused_final"


def test_upheld_then_refused_again_each_decision_has_its_own_line(world: World) -> None:
    candidacy, at = refused(world)
    appeal(world, candidacy, at + HOUR, "SC-1")
    rule(world, candidacy, "uphold_appeal", at + 2 * HOUR, "SC-1/R")
    world.act(candidacy, "refuse", {"number": "R-2", "decided_on": day(world, at + 3 * HOUR), "grounds": ["documents_missing"]},
              at=at + 3 * HOUR)  # fmt: skip
    history = appeals.history(world.db, candidacy, at=at + 4 * HOUR)
    assert [(e.status, e.case_number) for e in history] == [("upheld", "SC-1"), ("window_open", None)]
    assert [e.decision.number[:3] if e.decision else None for e in history] == ["ref", "R-2"]
    assert history[0].judgment is not None and history[0].judgment.number == "SC-1/R"
    # Each decision's own window row: the first closed by the appeal, the second running.
    assert [e.window.recorded if e.window else None for e in history] == ["cancelled", "pending"]
    assert history[0].court is not None and history[1].court is None
    assert appeals.register(world.db, at=at + 4 * HOUR, appealed_only=True) == [history[0]]


def test_a_cancelled_registration_is_appealed_against_the_cancellation(world: World) -> None:
    candidacy = world.nominate(full_name="Тимур Беков")
    at = world.walk(candidacy, "registration_cancelled")
    entry = only(appeals.register(world.db, at=at, election_id=ELECTION_ID))
    assert (entry.against, entry.decision.kind if entry.decision else None) == ("registration_cancelled", "cancel_registration")


def test_one_election_one_candidacy_and_unknown_ones(world: World) -> None:
    candidacy, at = refused(world)
    other = world.nominate(world.associations[1], full_name="Бөтен Адам")
    assert appeals.history(world.db, other, at=at) == []
    assert only(appeals.register(world.db, at=at, election_id=ELECTION_ID)).candidacy_id == candidacy
    with pytest.raises(NotFound):
        appeals.register(world.db, at=at, election_id="no-such-election")
    with pytest.raises(NotFound):
        appeals.history(world.db, 999_999, at=at)


def test_v7_the_refusal_to_register_the_president_elect_and_its_appeal(db: Database, rules: Rules) -> None:
    vote = elected(db, rules, flagged=5)
    refused_at = vote.establishing + DAY
    refuse_president(vote, refused_at)
    (open_,) = appeals.register(db, at=refused_at + SECOND)
    assert (open_.rule, open_.against, open_.status) == ("V7", "president_refused", "window_open")
    assert open_.candidacy_id == vote.ids[0]
    assert open_.decision is not None and (open_.decision.kind, open_.decision.number) == ("refuse_president", "R-5")
    assert open_.window is not None and open_.window.kind == "president_appeal_window"
    appeal_president(vote, refused_at + DAY)
    (pending,) = appeals.register(db, at=refused_at + DAY, election_id=ELECTION_ID)
    assert (pending.status, pending.case_number) == ("pending", "SC-1")
    assert pending.court is not None and pending.court.kind == "president_court_review"
    late = pending.court.due_at + DAY
    (overdue,) = appeals.register(db, at=late)
    assert overdue.overdue and overdue.late_by == DAY
    vote.decide("dismiss_president_appeal", {"number": "SC-1/R", "decided_on": vote.day(late)}, at=late, actor=COURT)
    (ruled,) = appeals.history(db, vote.ids[0], at=late)
    assert (ruled.status, ruled.judgment.number if ruled.judgment else None) == ("dismissed", "SC-1/R")
