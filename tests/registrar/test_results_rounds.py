"""After a first round without a majority: the second round (V5, V2) and the re-run (V6, V1).

Every test runs on a SQLite file and on the real PostgreSQL (the ``db`` fixture); the helpers
are those of test_results.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from registrar import results, sweep
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed
from registrar.models import CalendarResolution, Election, ElectionDecision
from registrar.rules import Rules
from tests.demo_copies import copied

from .conftest import ELECTION_ID, rules_key
from .test_results import CODES, DAY, HOUR, SECOND, Vote, count_ahead, count_rows, election_deadline, national, outbox, protocol

SECOND_ROUND_DAY = dt.date(2029, 12, 16)
RERUN_ID = "kz-2029-rerun"


def to_second_round(db: Database, rules: Rules, candidates: int = 3) -> Vote:
    """A first round without a majority: A 45%, B 40%, C 10%, against all 5% of 1,000,000 valid votes.

    Built once per worker, backend and ``candidates`` on the empty ``db``, then copied
    (tests/demo_copies.py); the phase checked is the one the build's decision returned."""

    def build(built: Database) -> tuple[Vote, str]:
        vote = count_ahead(built, rules, candidates)
        a, b, c = vote.ids[:3]
        vote.submit(national({a: 450_000, b: 400_000, c: 100_000}, against=50_000, invalid=10_000))
        return vote, vote.establish().phase

    vote, phase = copied(db, ("to_second_round", candidates, rules_key(rules)), build,
                         lambda kept, database: (kept[0].rebound(database, rules), kept[1]))  # fmt: skip
    assert phase == "second_round_due"
    return vote


def call_second_round(vote: Vote, day: dt.date = SECOND_ROUND_DAY, *, at: dt.datetime | None = None,
                      **kw: Any) -> results.ElectionOutcome:  # fmt: skip
    at = at or vote.establishing + HOUR
    return vote.decide("call_second_round", {"number": "R-2", "decided_on": vote.day(at), "voting_day": day.isoformat()},
                       at=at, **kw)  # fmt: skip


def opens(vote: Vote, day: dt.date = SECOND_ROUND_DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(7), tzinfo=vote.rules.zone)


def closes(vote: Vote, day: dt.date = SECOND_ROUND_DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(20), tzinfo=vote.rules.zone)


def stored_phase(vote: Vote, election_id: str = ELECTION_ID) -> str:
    return vote.election(election_id).phase


def rerun_payload(vote: Vote, at: dt.datetime, election_day: dt.date, *, resolutions: bool = True) -> dict[str, Any]:
    """V6/V1: a re-run announced on the day of the decision, its milestones set by the CEC's resolution."""
    zone = vote.rules.zone
    announced = at.astimezone(zone).date()
    day = lambda n: announced + dt.timedelta(days=n)  # noqa: E731
    set_by_cec = [
        ("nomination_closes", dt.datetime.combine(day(10), dt.time(18), tzinfo=zone)),
        ("registration_opens", dt.datetime.combine(day(10), dt.time(0), tzinfo=zone)),
        ("registration_closes", dt.datetime.combine(day(25), dt.time(18), tzinfo=zone)),
    ]
    return {"id": RERUN_ID, "title": "Presidential election 2029 (re-run)", "election_day": election_day.isoformat(),
            "number": "R-9", "decided_on": announced.isoformat(),
            "resolutions": [{"milestone": m, "value": v.isoformat(), "number": "R-9/1", "adopted_on": announced.isoformat()}
                            for m, v in set_by_cec] if resolutions else []}  # fmt: skip


# --- V5: the second round's day -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "accepted"),
    [(dt.date(2030, 1, 25), True), (dt.date(2030, 1, 26), False), (dt.date(2029, 11, 28), False),
     (dt.date(2029, 11, 20), False)],
)  # fmt: skip
def test_v5_the_second_round_is_held_within_two_months_of_the_first_on_a_day_ahead(
    db: Database, rules: Rules, day: dt.date, accepted: bool
) -> None:
    """V5: within two months of 25 Nov 2029 is by 25 Jan 2030; the 26th is too late; the day the CEC
    decides (00:00 on 28 Nov) or a day past cannot be the second round's."""
    vote = to_second_round(db, rules)
    version = vote.election().version
    if accepted:
        outcome = call_second_round(vote, day)
        assert outcome.phase == "second_round" and outcome.details["voting_day"] == day.isoformat()
        assert vote.election().second_round_day == day
        return
    with pytest.raises(GuardFailed) as raised:
        call_second_round(vote, day)
    assert {u.rule for u in raised.value.unmet} == {"V5"}
    reason = raised.value.unmet[0].reason
    assert ("by 2030-01-25" in reason) if day > dt.date(2030, 1, 25) else ("after today (2029-11-28)" in reason)
    election = vote.election()
    assert (election.phase, election.version, election.second_round_day) == ("second_round_due", version, None)
    assert election_deadline(db, "second_round_due").due_at == dt.datetime(2030, 1, 26, tzinfo=rules.zone)


def test_v5_a_tie_for_the_second_place_is_not_decided_by_the_code(db: Database, rules: Rules) -> None:
    """V5: B and C tie for the second place: the law does not say who goes on; establishing the results
    is refused with the reason (V5), and the CEC may declare the election void (V6)."""
    vote = count_ahead(db, rules, 3)
    a, b, c = vote.ids
    vote.submit(national({a: 400_000, b: 300_000, c: 300_000}))
    with pytest.raises(GuardFailed) as raised:
        vote.establish()
    (unmet,) = raised.value.unmet
    assert unmet.rule == "V5" and f"candidacies {b} and {c} are tied for second place" in unmet.reason
    assert results.show_election(db, ELECTION_ID, at=vote.establishing)["phase"] == "counting"
    assert vote.decide("declare_void", {"number": "R-V", "decided_on": "2029-11-27", "reason": "tie"},
                       at=vote.establishing).phase == "void"  # fmt: skip


def test_v5_no_second_round_called_in_two_months_is_escalated_to_the_cec(db: Database, rules: Rules) -> None:
    """V5: the second_round_due deadline ends with the last day of the two months; the sweep escalates."""
    vote = to_second_round(db, rules)
    due = election_deadline(db, "second_round_due")
    assert due.rule == "V5"
    assert sweep.sweep(db, due.due_at - SECOND).fired["second_round_due"] == 0
    assert sweep.sweep(db, due.due_at).fired["second_round_due"] == 1
    assert {m.recipient for m in outbox(db, "deadline.second_round_due")} == {"cec"}
    assert stored_phase(vote) == "second_round_due"


# --- V2: the second round's voting hours ------------------------------------------------------------


def test_v2_the_second_round_votes_from_0700_to_2000_local_and_the_sweep_moves_its_phases(db: Database, rules: Rules) -> None:
    """V2/V5: the sweep opens the second round's voting at 07:00 local (fixing its ballot) and closes it
    at 20:00; protocols are received from then on (V3), with their own 2-day deadline."""
    vote = to_second_round(db, rules)
    a, b, _ = vote.ids
    outcome = call_second_round(vote)
    assert outcome.details["candidates"] == [a, b]
    due = {d["kind"]: dt.datetime.fromisoformat(d["due_at"]) for d in outcome.deadlines}
    assert due["second_round_voting_opens"] == opens(vote)
    assert due["second_round_voting_closes"] == closes(vote)
    assert due["protocols_due"] == dt.datetime(2029, 12, 19, tzinfo=rules.zone)  # 2 days from 16 Dec, to 24:00
    assert due["results_due"] == dt.datetime(2029, 12, 24, tzinfo=rules.zone)  # 7 days
    assert "second_round_due" not in due  # called in time: V5's escalation no longer falls due

    sweep.sweep(db, opens(vote) - SECOND)
    assert stored_phase(vote) == "second_round" and vote.election().second_round_ballot is None
    report = sweep.sweep(db, opens(vote))
    assert report.fired["second_round_voting_opens"] == 1
    assert stored_phase(vote) == "second_round_voting"
    assert vote.election().second_round_ballot == [a, b]
    with pytest.raises(NotAllowed, match="second_round_voting"):
        vote.submit([protocol("AST", {a: 10, b: 10}, signed_on="2029-12-16")], at=closes(vote) - SECOND)

    assert sweep.sweep(db, closes(vote) - SECOND).fired["second_round_voting_closes"] == 0
    assert sweep.sweep(db, closes(vote)).fired["second_round_voting_closes"] == 1
    assert stored_phase(vote) == "second_round_counting"
    view = vote.submit([protocol("AST", {a: 10, b: 10}, signed_on="2029-12-16")], at=closes(vote) + HOUR)[0]
    assert (view["round"], view["version"]) == (2, 1)
    shown = results.show_election(db, ELECTION_ID, at=closes(vote) + HOUR)
    assert shown["counting_round"] == 2 and len(shown["missing_units"]) == 19
    # the first round's protocols are still those in force for round 1
    assert len(results.protocols(db, ELECTION_ID, 1)) == 20
    # V3 in the second round: at its 2 days, the CEC and the 19 commissions still missing are told
    due = dt.datetime(2029, 12, 19, tzinfo=rules.zone)
    assert sweep.sweep(db, due).fired["protocols_due"] == 1
    told = outbox(db, "deadline.protocols_due")
    assert len({m.event_seq for m in told}) == 1
    assert {m.recipient for m in told} == {"cec", *(f"commission:{code}" for code in CODES if code != "AST")}


def test_v2_the_second_round_phase_follows_its_hours_even_before_the_sweep_runs(db: Database, rules: Rules) -> None:
    """V2: the phase is read from the second round's hours; a sweep that runs late changes nothing."""
    vote = to_second_round(db, rules)
    call_second_round(vote)
    phase = lambda at: results.show_election(db, ELECTION_ID, at=at)["phase"]  # noqa: E731
    assert phase(opens(vote) - SECOND) == "second_round"
    assert phase(opens(vote)) == "second_round_voting"
    assert phase(closes(vote) - SECOND) == "second_round_voting"
    assert phase(closes(vote)) == "second_round_counting"
    report = sweep.sweep(db, closes(vote) + DAY)  # an outage over the whole day
    assert report.fired["second_round_voting_opens"] == report.fired["second_round_voting_closes"] == 1
    assert stored_phase(vote) == "second_round_counting"


# --- V5: withdrawals, deaths, the winner --------------------------------------------------------------


def test_v5_a_second_round_with_a_withdrawal_the_next_takes_the_place_and_wins(db: Database, rules: Rules) -> None:
    """Scenario V5: B, second, withdraws after the second round is called; C, third in the first round,
    takes the place; C has more votes and is elected, then registered (V7)."""
    vote = to_second_round(db, rules)
    a, b, c = vote.ids
    call_second_round(vote)
    withdrawn = vote.world.act(b, "withdraw", {"number": "W-1", "decided_on": "2029-11-29"},
                               at=vote.establishing + 2 * DAY)  # fmt: skip
    assert withdrawn.state == "withdrawn"
    sweep.sweep(db, opens(vote))
    assert vote.election().second_round_ballot == [a, c]
    at = closes(vote) + 2 * HOUR
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([protocol("AST", {a: 10, b: 10}, signed_on="2029-12-16")], at=at)
    assert raised.value.errors[f"votes.{b}"] == ["not a candidate on this ballot"]
    vote.submit(national({a: 400_000, c: 500_000}, against=30_000, signed_on="2029-12-16"), at=at)
    outcome = vote.establish(at + DAY, number="R-3")
    assert (outcome.previous_phase, outcome.phase, outcome.details["winner"]) == ("second_round_counting", "elected", c)
    registered = vote.decide("register_president", {"number": "R-4", "decided_on": "2029-12-18"}, at=at + 2 * DAY)
    assert registered.phase == "president_registered"
    public = results.results(db, ELECTION_ID, at=at + 2 * DAY)
    assert [r["round"] for r in public["rounds"]] == [1, 2]
    second = public["rounds"][1]
    assert [(s["candidacy_id"], s["percent"]) for s in second["candidates"]] == [(c, "53.76"), (a, "43.01")]
    assert second["outcome"]["kind"] == "elected" and second["outcome"]["winner"] == c
    assert public["president"] == {"candidacy_id": c, "full_name": "Candidate C", "association": "National Association 3",
                                   "status": "registered"}  # fmt: skip


@pytest.mark.parametrize("when", ["second_round_due", "second_round"])
def test_v5_a_leader_who_dies_before_the_second_round_is_replaced_by_the_next(db: Database, rules: Rules, when: str) -> None:
    """V5/D5: the leader's death is recorded before the second round: the third of the first round takes the place."""
    vote = to_second_round(db, rules)
    a, b, c = vote.ids
    death = {"number": "D-1", "decided_on": "2029-11-28", "reason": "death certificate 123"}
    if when == "second_round":
        call_second_round(vote)
    assert vote.world.act(a, "record_death", death, at=vote.establishing + 3 * HOUR).state == "deceased"
    if when == "second_round_due":
        assert call_second_round(vote, at=vote.establishing + 4 * HOUR).details["candidates"] == [b, c]
    sweep.sweep(db, opens(vote))
    assert vote.election().second_round_ballot == [b, c]


def test_v5_a_withdrawal_is_not_allowed_once_the_second_round_votes(db: Database, rules: Rules) -> None:
    """V5: a candidate may withdraw before the second round, not while it is voted."""
    vote = to_second_round(db, rules)
    b = vote.ids[1]
    call_second_round(vote)
    with pytest.raises(GuardFailed) as raised:
        vote.world.act(b, "withdraw", {"number": "W-1", "decided_on": "2029-12-16"}, at=opens(vote) + HOUR)
    assert any(u.rule == "V5" and "second_round_voting" in u.reason for u in raised.value.unmet)


def test_v5_equal_votes_in_the_second_round_is_no_winner_and_a_rerun_follows(db: Database, rules: Rules) -> None:
    """V5/V6: in the second round the one with more votes wins; equal votes: no winner, then a re-run."""
    vote = to_second_round(db, rules)
    a, b, _ = vote.ids
    call_second_round(vote)
    at = closes(vote) + 2 * HOUR
    vote.submit(national({a: 450_000, b: 450_000}, against=10_000, signed_on="2029-12-16"), at=at)
    outcome = vote.establish(at + DAY, number="R-3")
    assert outcome.phase == "no_winner" and outcome.details["winner"] is None
    assert "equal votes" in outcome.details["reason"]
    due = election_deadline(db, "rerun_due")
    assert due.due_at == dt.datetime(2030, 2, 18, tzinfo=rules.zone)  # two months from 17 Dec, to 24:00
    with pytest.raises(NotAllowed):
        vote.decide("register_president", {"number": "R-4", "decided_on": "2029-12-18"}, at=at + DAY + HOUR)
    rerun_at = at + 2 * DAY
    called = vote.decide("call_rerun", rerun_payload(vote, rerun_at, dt.date(2030, 2, 16)), at=rerun_at)
    assert called.phase == "rerun_called" and called.details["rerun"] == RERUN_ID
    assert election_deadline(db, "rerun_due", "cancelled")
    assert results.results(db, ELECTION_ID, at=rerun_at)["rerun"] == RERUN_ID


# --- V6 and V1: the re-run ---------------------------------------------------------------------------


def test_v6_a_void_election_leads_to_a_rerun_with_the_same_voters_on_cec_set_timelines(db: Database, rules: Rules) -> None:
    """Scenario V6/V1: the CEC declares the election void while counting; the re-run is a new election
    naming the one it repeats, with the same voter count, its milestones set by the CEC's resolutions."""
    vote = count_ahead(db, rules, 2)
    void_at = vote.establishing
    declared = vote.decide("declare_void", {"number": "R-V", "decided_on": vote.day(void_at),
                                            "reason": "mass violations"}, at=void_at)  # fmt: skip
    assert (declared.previous_phase, declared.phase) == ("counting", "void")
    assert election_deadline(db, "results_due", "cancelled")
    assert election_deadline(db, "rerun_due").due_at == dt.datetime(2030, 1, 28, tzinfo=rules.zone)
    with pytest.raises(NotAllowed):
        vote.submit([protocol("AST", dict.fromkeys(vote.ids, 1))], at=void_at + HOUR)

    rerun_at = void_at + DAY  # 28 Nov 23:00 local
    called = vote.decide("call_rerun", rerun_payload(vote, rerun_at, dt.date(2030, 1, 27)), at=rerun_at)
    assert (called.phase, called.details["rerun"]) == ("rerun_called", RERUN_ID)
    original, rerun = vote.election(), vote.election(RERUN_ID)
    assert rerun.rerun_of == ELECTION_ID
    assert (rerun.registered_voters, rerun.voters_counted_on) == (original.registered_voters, original.voters_counted_on)
    assert (rerun.announced_on, rerun.election_day) == (dt.date(2029, 11, 28), dt.date(2030, 1, 27))
    with db.reading() as session:
        resolutions = session.scalars(
            select(CalendarResolution).where(CalendarResolution.election_id == RERUN_ID).order_by(CalendarResolution.id)
        ).all()
        assert [(r.milestone, r.number) for r in resolutions] == [
            ("nomination_closes", "R-9/1"), ("registration_opens", "R-9/1"), ("registration_closes", "R-9/1")]  # fmt: skip
    shown = results.show_election(db, RERUN_ID, at=rerun_at + DAY)
    assert shown["phase"] == "nomination"
    cutoffs = {d["kind"]: d["due_local"] for d in shown["deadlines"]}
    assert cutoffs["nomination_closes"].startswith("2029-12-08T18:00")
    assert cutoffs["registration_closes"].startswith("2029-12-23T18:00")
    assert election_deadline(db, "rerun_due", "cancelled")
    public = results.results(db, ELECTION_ID, at=rerun_at)
    assert public["rerun"] == RERUN_ID and public["phase"] == "rerun_called"
    assert [d["kind"] for d in public["decisions"]] == ["declare_void", "call_rerun"]
    assert public["decisions"][0]["reason"] == "mass violations"
    assert results.results(db, RERUN_ID, at=rerun_at)["rerun_of"] == ELECTION_ID


def test_v1_a_rerun_on_the_computed_calendar_is_refused_naming_the_milestones_to_set_and_nothing_is_written(
    db: Database, rules: Rules
) -> None:
    """V1/V6: two months leave no room for the regular timelines; the calendar names the milestones
    the CEC must set, and the failed decision leaves the election as it was, with no new election."""
    vote = count_ahead(db, rules, 2)
    vote.decide("declare_void", {"number": "R-V", "decided_on": "2029-11-27", "reason": "violations"},
                at=vote.establishing)  # fmt: skip
    before = vote.election()
    decisions = count_rows(db, ElectionDecision)
    rerun_at = vote.establishing + DAY
    with pytest.raises(InvalidPayload) as raised:
        vote.decide("call_rerun", rerun_payload(vote, rerun_at, dt.date(2030, 1, 27), resolutions=False), at=rerun_at)
    (message,) = raised.value.errors["election_day"]
    assert message.endswith("(V1: set nomination_closes, registration_opens by resolution)")
    after = vote.election()
    assert (after.phase, after.version) == (before.phase, before.version) == ("void", before.version)
    assert count_rows(db, Election) == 1 and count_rows(db, ElectionDecision) == decisions
    assert election_deadline(db, "rerun_due").status == "pending"
    assert results.show_election(db, ELECTION_ID, at=rerun_at)["allowed"] == ["call_rerun"]


@pytest.mark.parametrize(("day", "accepted"), [(dt.date(2030, 1, 27), True), (dt.date(2030, 1, 28), False)])
def test_v6_the_rerun_is_held_within_two_months(db: Database, rules: Rules, day: dt.date, accepted: bool) -> None:
    """V6: declared void on 27 Nov 2029, the re-run is held by 27 Jan 2030, two months from the decision that
    calls for it, however late the CEC names the day (here on the 28th)."""
    vote = count_ahead(db, rules, 2)
    vote.decide("declare_void", {"number": "R-V", "decided_on": "2029-11-27", "reason": "violations"},
                at=vote.establishing)  # fmt: skip
    rerun_at = vote.establishing + DAY
    if accepted:
        assert vote.decide("call_rerun", rerun_payload(vote, rerun_at, day), at=rerun_at).phase == "rerun_called"
        return
    with pytest.raises(GuardFailed) as raised:
        vote.decide("call_rerun", rerun_payload(vote, rerun_at, day), at=rerun_at)
    assert [u.rule for u in raised.value.unmet] == ["V6"]
    assert "by 2030-01-27" in raised.value.unmet[0].reason
    assert count_rows(db, Election) == 1 and vote.election().phase == "void"
