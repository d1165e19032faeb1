"""Duties: what the law expects of each role by a time, derived from the deadlines and the states.

An overdue duty stays on its role's list, at the top, until the step that discharges it is
taken, whatever the sweep recorded (issue 12, "1. Duties"). Every test runs on a SQLite file
and on the real PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registrar import deadlines, demo, sweep
from registrar.duties import Duty, duties, duties_in, kinds_for, release, take
from registrar.errors import NotAllowed
from registrar.models import Candidacy, Deadline, DutyTaken, InformationRequest

from .conftest import ELECTION_ID, World

SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
D2 = "information_request_answer"


def ask(world: World, candidacy: int, at: dt.datetime, organisation: str = "Halyk Bank") -> int:
    """D2: the CEC asks an organisation about the candidate's assets; returns the request's id."""
    world.act(candidacy, "send_information_request", {"organisation": organisation, "subject": "accounts"}, at=at)
    with world.db.reading() as session:
        return max(session.scalars(select(InformationRequest.id).where(InformationRequest.candidacy_id == candidacy)))


def answer(world: World, candidacy: int, request: int, at: dt.datetime) -> None:
    world.act(candidacy, "answer_information_request", {"request_id": request, "answer": "one account"}, at=at)


def fallen_due(world: World, state: str, kind: str) -> tuple[int, Deadline]:
    """A candidacy walked to ``state``, and its ``kind`` deadline swept an hour after it fell due."""
    candidacy = world.nominate()
    world.walk(candidacy, state)
    row = the_row(world, kind, candidacy)
    sweep.sweep(world.db, row.due_at + HOUR)
    return candidacy, row


def assert_done_by_the_step(world: World, candidacy: int, step: str, *, role: str, kind: str, at: dt.datetime) -> None:
    """``step`` taken at ``at`` (with the demo's paper for it): the duty leaves ``role``'s list and is done at ``at``."""
    [paper] = demo.papers(step, world.calendar, world.rules, world.calendar.local(at).date())
    world.act(candidacy, step, paper, at=at)
    assert duties(world.db, role=role, now=at + HOUR, kind=kind) == []
    [done] = duties(world.db, role=role, now=at + HOUR, kind=kind, include_done=True)
    assert (done.status, done.done_at) == ("done", at)


def the_row(world: World, kind: str, candidacy: int) -> Deadline:
    with world.db.reading() as session:
        [row] = session.scalars(select(Deadline).where(Deadline.kind == kind, Deadline.subject_id == str(candidacy)))
    return row


def of_candidacies(found: list[Duty], kind: str) -> list[tuple[str, str]]:
    return [(d.subject_id, d.status) for d in found if d.kind == kind and d.subject_type == "candidacy"]


# --- D2: the information request's four days --------------------------------------------------


def test_d2_an_unanswered_request_is_due_then_overdue_and_stays_after_the_sweep_fires_it(world: World) -> None:
    """D2: due within four days; past them, overdue with how late, before and after the sweep's notice;
    done once the answer is recorded (and then listed only when the done are asked for)."""
    candidacy = world.nominate()
    request = ask(world, candidacy, world.registration_time)
    row = the_row(world, D2, candidacy)

    [duty] = duties(world.db, role="clerk", now=row.due_at - HOUR, kind=D2)
    assert (duty.status, duty.rule, duty.subject_type, duty.subject_id) == ("due", "D2", "candidacy", str(candidacy))
    assert (duty.election_id, duty.due_at, duty.due_local, duty.late_by) == (ELECTION_ID, row.due_at, row.due_local, None)
    assert duty.discharged_by == ("answer_information_request",) and "clerk" in duty.roles

    # Past due, before the sweep has run: overdue already.
    [duty] = duties(world.db, role="clerk", now=row.due_at + HOUR, kind=D2)
    assert (duty.status, duty.late_by, duty.recorded) == ("overdue", HOUR, "pending")

    # The sweep fires it (a notice): today's dashboard loses it; the duty stays, later and later.
    late = row.due_at + 2 * DAY
    assert sweep.sweep(world.db, row.due_at + HOUR).fired[D2] == 1
    [duty] = duties(world.db, role="clerk", now=late, kind=D2)
    assert (duty.status, duty.late_by, duty.recorded, duty.outcome) == ("overdue", 2 * DAY, "fired", "notified")

    answer(world, candidacy, request, late + HOUR)
    assert duties(world.db, role="clerk", now=late + 2 * HOUR, kind=D2) == []
    [done] = duties(world.db, role="clerk", now=late + 2 * HOUR, kind=D2, include_done=True)
    assert (done.status, done.done_at, done.late_by, done.recorded) == ("done", late + HOUR, None, "fired")


def test_d2_a_request_answered_in_time_is_done_and_never_overdue(world: World) -> None:
    """D2: the answer within the four days cancels the row; the duty is done, the sweep has nothing to fire."""
    candidacy = world.nominate()
    request = ask(world, candidacy, world.registration_time)
    row = the_row(world, D2, candidacy)
    answer(world, candidacy, request, world.registration_time + DAY)
    sweep.sweep(world.db, row.due_at + DAY)

    assert duties(world.db, role="clerk", now=row.due_at + DAY, kind=D2) == []
    [done] = duties(world.db, role="clerk", now=row.due_at + DAY, kind=D2, include_done=True)
    assert (done.status, done.recorded, done.done_at) == ("done", "cancelled", world.registration_time + DAY)


def test_d2_answering_one_request_leaves_the_other_overdue(world: World) -> None:
    """D2: each request is a duty of its own; the answer to one does not discharge another."""
    candidacy = world.nominate()
    first = ask(world, candidacy, world.registration_time, "Halyk Bank")
    ask(world, candidacy, world.registration_time, "Kaspi Bank")
    with world.db.reading() as session:
        rows = list(session.scalars(select(Deadline).where(Deadline.kind == D2).order_by(Deadline.id)))
    sweep.sweep(world.db, rows[0].due_at + HOUR)
    answer(world, candidacy, first, rows[0].due_at + 2 * HOUR)

    found = duties(world.db, role="clerk", now=rows[0].due_at + 3 * HOUR, kind=D2, include_done=True)
    assert sorted((d.key, d.status) for d in found) == sorted([(rows[0].key, "done"), (rows[1].key, "overdue")])


def test_d2_a_candidacy_that_left_the_race_owes_nothing(world: World) -> None:
    """D2/G7: a fired request of a candidacy since withdrawn binds no one: it is neither overdue nor done."""
    candidacy = world.nominate()
    ask(world, candidacy, world.registration_time)
    row = the_row(world, D2, candidacy)
    sweep.sweep(world.db, row.due_at + HOUR)
    [statement] = demo.papers("withdraw", world.calendar, world.rules, world.calendar.local(row.due_at).date())
    world.act(candidacy, "withdraw", statement, at=row.due_at + 2 * HOUR)
    assert duties(world.db, role="clerk", now=row.due_at + DAY, kind=D2, include_done=True) == []


# --- Sorting and the role's list ---------------------------------------------------------------


def test_d2_overdue_first_the_latest_first_then_due_by_their_time(world: World) -> None:
    """The list's order: overdue before due; among the overdue the most late first; the due by due time."""
    oldest, older, newest = (world.nominate(association) for association in world.associations[:3])
    start = world.registration_time
    ask(world, oldest, start)
    ask(world, older, start + DAY)  # T2: a period ends at the end of a day: a day later, a day later due
    ask(world, newest, start + 3 * DAY)
    now = the_row(world, D2, older).due_at + HOUR
    sweep.sweep(world.db, now)

    found = duties(world.db, role="clerk", now=now, kind=D2)
    assert [(d.subject_id, d.status) for d in found] == [(str(oldest), "overdue"), (str(older), "overdue"),
                                                         (str(newest), "due")]  # fmt: skip
    assert found[0].late_by is not None and found[1].late_by is not None and found[0].late_by > found[1].late_by
    # Without a kind, the clerk's whole list keeps the same order (the election's milestones among them).
    everything = duties(world.db, role="clerk", now=now)
    ranks = [("overdue", "due").index(d.status) for d in everything]
    assert ranks == sorted(ranks)
    assert [d.due_at for d in everything if d.status == "due"] == sorted(d.due_at for d in everything if d.status == "due")
    assert of_candidacies(everything, D2) == [(d.subject_id, d.status) for d in found]


def test_d2_is_the_clerks_duty_and_no_one_elses(world: World) -> None:
    """D2's declared duty is answer_information_request, which the clerk records: the clerk's list has it,
    revenue's and the court's do not; everyone's list (role None) has it once."""
    candidacy = world.nominate()
    ask(world, candidacy, world.registration_time)
    row = the_row(world, D2, candidacy)
    sweep.sweep(world.db, row.due_at + HOUR)
    now = row.due_at + DAY

    assert of_candidacies(duties(world.db, role="clerk", now=now), D2) == [(str(candidacy), "overdue")]
    for other in ("revenue", "court"):
        assert of_candidacies(duties(world.db, role=other, now=now), D2) == []
        assert all(other in d.roles for d in duties(world.db, role=other, now=now))
    assert of_candidacies(duties(world.db, role=None, now=now), D2) == [(str(candidacy), "overdue")]


def test_g4_revenue_owes_the_verification_until_every_declaration_is_verified(world: World) -> None:
    """G4: revenue's duty from registration, overdue after 15 days (and after the sweep's escalation),
    done only when the last declaration's verification is recorded."""
    candidacy, row = fallen_due(world, "registered", "declaration_verification")
    later = row.due_at + 2 * DAY
    [duty] = duties(world.db, role="revenue", now=later, kind="declaration_verification")
    assert (duty.status, duty.rule, duty.late_by, duty.recorded) == ("overdue", "G4", 2 * DAY, "fired")

    day = world.calendar.local(later).date().isoformat()
    first, *others = world.rules.D1.filers
    world.act(candidacy, "record_declaration_verification", {"filer": first, "result": "confirmed", "verified_on": day},
              at=later)  # fmt: skip
    if others:
        assert [d.status for d in duties(world.db, role="revenue", now=later, kind="declaration_verification")] == ["overdue"]
    for filer in others:
        world.act(candidacy, "record_declaration_verification", {"filer": filer, "result": "confirmed", "verified_on": day},
                  at=later)  # fmt: skip
    assert duties(world.db, role="revenue", now=later + HOUR, kind="declaration_verification") == []
    [done] = duties(world.db, role="revenue", now=later + HOUR, kind="declaration_verification", include_done=True)
    assert done.status == "done"


def test_d7_the_commissions_check_is_overdue_after_the_notice_until_it_registers(world: World) -> None:
    """D7: five days from the complete documents; the sweep's notice leaves it overdue on the commission's
    list; the registration (G2), the step D7 waits for, makes it done."""
    candidacy, row = fallen_due(world, "documents_submitted", "documents_check")
    [duty] = duties(world.db, role="commission", now=row.due_at + 2 * HOUR, kind="documents_check")
    assert (duty.status, duty.rule, duty.recorded) == ("overdue", "D7", "fired")

    assert_done_by_the_step(world, candidacy, "register", role="commission", kind="documents_check", at=row.due_at + 3 * HOUR)


def test_g6_the_courts_ten_days_stay_on_its_list_until_it_rules(world: World) -> None:
    """G6: the appeal filed, the court's review is the court's duty; past its days, and after the sweep's
    notice, it stays overdue on the court's list (the commission's has none); dismissing the appeal makes it done."""
    candidacy, row = fallen_due(world, "appealed", "court_review")
    later = row.due_at + 2 * DAY
    [duty] = duties(world.db, role="court", now=later, kind="court_review")
    assert (duty.status, duty.rule, duty.late_by, duty.recorded) == ("overdue", "G6", 2 * DAY, "fired")
    assert duty.discharged_by == ("uphold_appeal", "dismiss_appeal")
    assert duties(world.db, role="commission", now=later, kind="court_review") == []

    assert_done_by_the_step(world, candidacy, "dismiss_appeal", role="court", kind="court_review", at=later)


# --- One election's duties ------------------------------------------------------------------


def test_d2_the_election_filter_keeps_one_elections_duties(world: World) -> None:
    """An election's duties are its own deadlines and its candidacies'; another election's list has none of them."""
    candidacy = world.nominate()
    ask(world, candidacy, world.registration_time)
    other = "kz-2029-other"
    demo.announce(world.db, other, "Another election", dt.date(2029, 9, 1), dt.date(2029, 12, 2), actor="test:commission")
    now = world.registration_time + HOUR

    second = world.nominate(world.associations[1])
    ask(world, second, world.registration_time)
    with world.db.transaction() as session:  # the second candidacy moved to the other election
        session.get(Candidacy, second).election_id = other

    ours = duties(world.db, role=None, now=now, election_id=ELECTION_ID)
    theirs = duties(world.db, role=None, now=now, election_id=other)
    assert of_candidacies(ours, D2) == [(str(candidacy), "due")]
    assert of_candidacies(theirs, D2) == [(str(second), "due")]
    assert {d.election_id for d in ours} == {ELECTION_ID} and {d.election_id for d in theirs} == {other}
    everyone = duties(world.db, role=None, now=now)
    assert len(everyone) == len(ours) + len(theirs)
    assert duties(world.db, role=None, now=now, limit=1) == everyone[:1]
    assert len({d.deadline_id for d in everyone}) == len(everyone)  # never duplicated


# --- What is nobody's duty ------------------------------------------------------------------------


def test_the_law_acting_by_itself_is_nobodys_duty(world: World) -> None:
    """A kind whose effect is an act (a milestone passing, an appeal window closing: N2, G1, V2, G6's
    window) is the law acting at its time: no role's list shows it, before or after it falls due; a
    kind whose effect is a notice is someone's."""
    acts = {name for name, kind in deadlines.DEADLINES.items() if isinstance(kind.effect, deadlines.Act)}
    assert {"nomination_closes", "registration_closes", "voting_opens", "appeal_window"} <= acts
    assert not acts & set(kinds_for(None))
    assert set(kinds_for(None)) == set(deadlines.DEADLINES) - acts
    _candidacy, row = fallen_due(world, "refused", "appeal_window")
    for now in (row.due_at - HOUR, row.due_at + HOUR):
        assert not [d for d in duties(world.db, role=None, now=now, include_done=True) if d.kind in acts]
    assert of_candidacies(duties(world.db, role=None, now=row.due_at + HOUR), "appeal_window") == []


def test_d7_a_refusal_also_ends_the_commissions_check(world: World) -> None:
    """D7: the check ends in a decision either way: a refusal (G3) after the sweep's notice makes it done."""
    candidacy, row = fallen_due(world, "documents_submitted", "documents_check")
    assert_done_by_the_step(world, candidacy, "refuse", role="commission", kind="documents_check", at=row.due_at + 3 * HOUR)


# --- Filters ------------------------------------------------------------------------------------


def test_the_filters_by_rule_state_and_status_keep_only_what_they_name(world: World) -> None:
    """By rule (D2 or G4), by the subject's state now, by status (due or overdue): each keeps exactly its own."""
    early, late = world.nominate(), world.nominate(world.associations[1])
    ask(world, early, world.registration_time)
    ask(world, late, world.registration_time + 3 * DAY)
    world.walk(late, "declarations_filed", world.registration_time + 3 * DAY + HOUR)
    now = world.registration_time + 5 * DAY  # the first request's four days have passed, not the second's

    everyone = duties(world.db, role="clerk", now=now, rule="D2")
    assert of_candidacies(everyone, D2) == [(str(early), "overdue"), (str(late), "due")]
    assert of_candidacies(duties(world.db, role="clerk", now=now, rule="D2", status="overdue"), D2) == [(str(early), "overdue")]
    assert of_candidacies(duties(world.db, role="clerk", now=now, rule="D2", status="due"), D2) == [(str(late), "due")]
    assert of_candidacies(duties(world.db, role="clerk", now=now, where=("nominated",)), D2) == [(str(early), "overdue")]
    assert {d.where for d in duties(world.db, role="clerk", now=now, where=("declarations_filed",))} == {"declarations_filed"}
    assert duties(world.db, role="clerk", now=now, rule="G4") == []  # the revenue's rule is not the clerk's


# --- "Mine": an officer takes a duty ----------------------------------------------------------------


def test_an_officer_takes_a_duty_and_no_one_else_of_the_role_can_take_it_until_released(world: World) -> None:
    """Two clerks: the first takes the D2 duty; it is on her list of taken duties and marked taken on the
    role's; the second cannot take it (named); a role that does not owe it cannot; released, it is free again.
    Taking changes nothing else: the duty is still due, and still one."""
    candidacy = world.nominate()
    ask(world, candidacy, world.registration_time)
    now = world.registration_time + HOUR
    [duty] = duties(world.db, role="clerk", now=now, kind=D2)
    assert duty.taken_by is None

    take(world.db, duty.deadline_id, login="aigerim", role="clerk", now=now)
    take(world.db, duty.deadline_id, login="aigerim", role="clerk", now=now)  # again: still hers, once
    [taken] = duties(world.db, role="clerk", now=now, kind=D2)
    assert (taken.taken_by, taken.status, taken.deadline_id) == ("aigerim", "due", duty.deadline_id)
    assert [d.deadline_id for d in duties(world.db, role="clerk", now=now, taken_by="aigerim")] == [duty.deadline_id]
    assert duties(world.db, role="clerk", now=now, taken_by="bolat") == []
    with pytest.raises(NotAllowed, match="aigerim"):
        take(world.db, duty.deadline_id, login="bolat", role="clerk", now=now)
    with pytest.raises(NotAllowed, match="D2"):
        take(world.db, duty.deadline_id, login="judge", role="court", now=now)

    release(world.db, duty.deadline_id, login="bolat")  # not his: nothing changes
    assert duties(world.db, role="clerk", now=now, kind=D2)[0].taken_by == "aigerim"
    release(world.db, duty.deadline_id, login="aigerim")
    take(world.db, duty.deadline_id, login="bolat", role="clerk", now=now)
    with world.db.reading() as session:
        assert [(t.deadline_id, t.login) for t in session.scalars(select(DutyTaken))] == [(duty.deadline_id, "bolat")]


def test_the_bounded_read_lists_what_the_whole_list_filtered_does(world: World) -> None:
    """The dashboard's read narrows in the database (the pending rows by the horizon, a fired D2 row only
    while its request is unanswered, the first so many): it lists exactly what the whole list, filtered
    afterwards, lists, whatever the horizon and the limit."""
    people = [world.nominate(association) for association in world.associations[:4]]
    requests = [ask(world, candidacy, world.registration_time + i * DAY) for i, candidacy in enumerate(people)]
    second = the_row(world, D2, people[1]).due_at
    sweep.sweep(world.db, second + HOUR)  # the first two fire
    answer(world, people[0], requests[0], second + 2 * HOUR)  # the first is answered since: done
    now = second + 3 * HOUR
    whole = duties(world.db, role="clerk", now=now)
    assert of_candidacies(whole, D2) == [(str(people[1]), "overdue"), (str(people[2]), "due"), (str(people[3]), "due")]
    for horizon in (None, HOUR, DAY, 3 * DAY, 10 * DAY):
        for limit in (None, 1, 2, 3):
            expected = [d for d in whole if horizon is None or d.status == "overdue" or d.due_at <= now + horizon][:limit]
            with world.db.reading() as session:
                found = duties_in(session, role="clerk", now=now, due_by=now + horizon if horizon else None, limit=limit)
            assert found == expected, (horizon, limit)
