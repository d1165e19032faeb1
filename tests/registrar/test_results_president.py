"""The President-elect (V7), the refunds of the election contribution (D5), and how a decision on the
election fails: a stale version, nothing half-written.

Every test runs on a SQLite file and on the real PostgreSQL (the ``db`` fixture); the helpers
are those of test_results.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registrar import audit, results, sweep
from registrar.db import Database
from registrar.errors import GuardFailed, NotAllowed, StaleVersion
from registrar.models import Appeal, Election, ElectionDecision, OutboxMessage
from registrar.rules import Rules
from tests.demo_copies import copied

from .conftest import ELECTION_ID, build_world, rules_key
from .test_results import (
    COURT,
    DAY,
    HOUR,
    SECOND,
    Vote,
    count_ahead,
    count_rows,
    election_deadline,
    national,
    outbox,
    register_paying,
)
from .test_results_rounds import RERUN_ID, rerun_payload


def elected(db: Database, rules: Rules, *, flagged: int = 0, candidates: int = 2) -> Vote:
    """A first-round win for A (70% of 1,000,000 valid votes), ``flagged`` units void or violated (V7).

    Built once per worker, backend, ``flagged`` and ``candidates`` on the empty ``db``, then copied
    (tests/demo_copies.py); the phase checked is the one the build's decision returned."""

    def build(built: Database) -> tuple[Vote, str]:
        vote = count_ahead(built, rules, candidates)
        a, b = vote.ids[:2]
        vote.submit(national({a: 700_000, b: 300_000}, flagged=flagged))
        return vote, vote.establish().phase

    vote, phase = copied(db, ("elected", flagged, candidates, rules_key(rules)), build,
                         lambda kept, database: (kept[0].rebound(database, rules), kept[1]))  # fmt: skip
    assert phase == "elected"
    return vote


def refuse(vote: Vote, at: dt.datetime) -> results.ElectionOutcome:
    return vote.decide("refuse_president", {"number": "R-5", "decided_on": vote.day(at),
                                            "reason": "violations in a quarter of the units"}, at=at)  # fmt: skip


def appeal(vote: Vote, at: dt.datetime) -> results.ElectionOutcome:
    return vote.decide("appeal_president_refusal", {"case_number": "SC-1", "filed_on": vote.day(at)}, at=at, actor=COURT)


# --- Scenario: a first-round win to the registered President -------------------------------------------


def test_v4_v7_a_first_round_win_to_the_registered_president(db: Database, rules: Rules) -> None:
    """Scenario V4/V7: A wins the first round; the CEC registers the President within 7 days; the
    president_registration_due deadline is closed, and the public results name the President."""
    vote = elected(db, rules)
    a = vote.ids[0]
    due = election_deadline(db, "president_registration_due")
    assert (due.rule, due.due_at) == ("V7", dt.datetime(2029, 12, 5, tzinfo=rules.zone))  # 7 days from 27 Nov
    at = vote.establishing + 2 * DAY
    outcome = vote.decide("register_president", {"number": "R-4", "decided_on": vote.day(at)}, at=at)
    assert (outcome.previous_phase, outcome.phase, outcome.details["president"]) == ("elected", "president_registered", a)
    assert outcome.allowed == []
    assert election_deadline(db, "president_registration_due", "cancelled")
    assert sweep.sweep(db, due.due_at + DAY).fired["president_registration_due"] == 0
    public = results.results(db, ELECTION_ID, at=at)
    assert public["phase"] == "president_registered"
    assert public["president"] == {"candidacy_id": a, "full_name": "Candidate A",
                                   "association": "National Association 1", "status": "registered"}  # fmt: skip
    assert [(d["kind"], d["number"]) for d in public["decisions"]] == [("establish_results", "R-1"),
                                                                        ("register_president", "R-4")]  # fmt: skip
    # the President-elect's side is told of the registration, the CEC too
    told = {m.recipient for m in outbox(db, "election.register_president")}
    assert "cec" in told and len(told) > 1
    with pytest.raises(NotAllowed):
        vote.decide("declare_void", {"number": "R-X", "decided_on": vote.day(at), "reason": "x"}, at=at + HOUR)


def test_v7_a_president_elect_whose_death_was_recorded_is_not_registered(db: Database, rules: Rules) -> None:
    """V7/D5: the CEC registers the President-elect only while the candidacy stands; after a recorded death
    it is refused (the CEC may declare the election void, V6), and nothing is written."""
    vote = elected(db, rules)
    a = vote.ids[0]
    at = vote.establishing + DAY
    vote.world.act(a, "record_death", {"number": "D-1", "decided_on": vote.day(at), "reason": "certificate"}, at=at)
    with pytest.raises(GuardFailed) as raised:
        vote.decide("register_president", {"number": "R-4", "decided_on": vote.day(at)}, at=at + HOUR)
    assert [(u.rule, u.reason) for u in raised.value.unmet] == [
        ("V7", f"the President-elect (candidacy {a}) is deceased and cannot be registered")]  # fmt: skip
    assert vote.election().phase == "elected" and count_rows(db, ElectionDecision) == 1
    voided = vote.decide("declare_void", {"number": "R-V", "decided_on": vote.day(at), "reason": "death of the elect"},
                         at=at + 2 * HOUR)  # fmt: skip
    assert voided.phase == "void"


def test_v7_the_president_not_registered_in_seven_days_is_escalated(db: Database, rules: Rules) -> None:
    """V7: 7 days from the results; past them the sweep escalates to the CEC (the registration stays possible)."""
    vote = elected(db, rules)
    due = election_deadline(db, "president_registration_due")
    assert sweep.sweep(db, due.due_at - SECOND).fired["president_registration_due"] == 0
    assert sweep.sweep(db, due.due_at).fired["president_registration_due"] == 1
    assert {m.recipient for m in outbox(db, "deadline.president_registration_due")} == {"cec"}
    late = due.due_at + HOUR
    assert vote.decide("register_president", {"number": "R-4", "decided_on": vote.day(late)}, at=late).phase == (
        "president_registered"
    )


# --- V7: the refusal at a quarter of the units ------------------------------------------------------


@pytest.mark.parametrize(("flagged", "allowed"), [(4, False), (5, True)])
def test_v7_a_refusal_needs_at_least_a_quarter_of_the_units_void_or_violated(
    db: Database, rules: Rules, flagged: int, allowed: bool
) -> None:
    """V7: 5 of 20 units void or violated is exactly a quarter: the CEC may refuse; 4 of 20 is not enough."""
    vote = elected(db, rules, flagged=flagged)
    at = vote.establishing + DAY
    if allowed:
        outcome = refuse(vote, at)
        assert (outcome.phase, outcome.details["violated_share"]) == ("president_refused", "1/4")
        assert election_deadline(db, "president_registration_due", "cancelled")
        window = election_deadline(db, "president_appeal_window")
        assert window.due_at == dt.datetime(2029, 12, 9, tzinfo=rules.zone)  # 10 days from 28 Nov, to 24:00
        assert results.results(db, ELECTION_ID, at=at)["president"]["status"] == "refused"
        return
    with pytest.raises(GuardFailed) as raised:
        refuse(vote, at)
    (unmet,) = raised.value.unmet
    assert unmet.rule == "V7" and "in 1/5 of the units; a refusal needs at least 1/4" in unmet.reason
    assert vote.election().phase == "elected"


def test_v7_the_quarter_is_counted_in_the_round_that_elected(db: Database, rules: Rules) -> None:
    """V7: after a second round, the units void or violated are those of the second round's protocols:
    5 of 20 flagged in the first round do not allow a refusal of the second round's winner."""
    vote = count_ahead(db, rules, 3)
    a, b, c = vote.ids
    vote.submit(national({a: 450_000, b: 400_000, c: 100_000}, against=50_000, flagged=5))
    vote.establish()
    second_day = dt.date(2029, 12, 16)
    at = vote.establishing + HOUR
    vote.decide("call_second_round", {"number": "R-2", "decided_on": vote.day(at), "voting_day": second_day.isoformat()},
                at=at)  # fmt: skip
    counted = dt.datetime.combine(second_day, dt.time(22), tzinfo=rules.zone)
    vote.submit(national({a: 500_000, b: 400_000}, flagged=4, signed_on=second_day.isoformat()), at=counted)
    assert vote.establish(counted + DAY, number="R-3").details["winner"] == a
    with pytest.raises(GuardFailed) as raised:
        refuse(vote, counted + 2 * DAY)
    assert "in 1/5 of the units" in raised.value.unmet[0].reason


def test_v7_refused_at_a_quarter_appealed_and_upheld_the_president_elect_is_registered(db: Database, rules: Rules) -> None:
    """Scenario V7: refused at exactly a quarter, appealed within 10 days, the court annuls the refusal:
    elected again, with 7 new days to register, then registered."""
    vote = elected(db, rules, flagged=5)
    a = vote.ids[0]
    refused_at = vote.establishing + DAY
    refuse(vote, refused_at)
    window = election_deadline(db, "president_appeal_window")
    appealed = appeal(vote, window.due_at - SECOND)
    assert appealed.phase == "president_appealed"
    assert election_deadline(db, "president_appeal_window", "cancelled")
    assert election_deadline(db, "president_court_review")
    with db.reading() as session:
        (row,) = session.scalars(select(Appeal).where(Appeal.against == "president_refused")).all()
        assert (row.candidacy_id, row.case_number, row.outcome) == (a, "SC-1", None)
    ruled_at = window.due_at + 2 * DAY
    upheld = vote.decide("uphold_president_appeal", {"number": "SC-1/R", "decided_on": vote.day(ruled_at)},
                         at=ruled_at, actor=COURT)  # fmt: skip
    assert (upheld.phase, upheld.details["appeal"]) == ("elected", "upheld")
    again = election_deadline(db, "president_registration_due")
    assert again.due_at == dt.datetime(2029, 12, 19, tzinfo=rules.zone)  # 7 days from the ruling on 11 Dec
    with db.reading() as session:
        assert session.scalars(select(Appeal.outcome)).one() == "upheld"
    registered = vote.decide("register_president", {"number": "R-6", "decided_on": vote.day(ruled_at)},
                             at=ruled_at + HOUR)  # fmt: skip
    assert registered.phase == "president_registered"
    with db.reading() as session:
        bodies = [d.body for d in session.scalars(select(ElectionDecision).order_by(ElectionDecision.id))]
    assert bodies == ["CEC", "CEC", "Supreme Court", "CEC"]


def test_v7_an_appeal_after_ten_days_is_refused_and_the_sweep_makes_the_refusal_final(db: Database, rules: Rules) -> None:
    """V7: the refusal may be appealed within 10 days; the sweep closes the window at its due time:
    refusal_final, then a re-run (V6)."""
    vote = elected(db, rules, flagged=5)
    refuse(vote, vote.establishing + DAY)
    window = election_deadline(db, "president_appeal_window")
    with pytest.raises(GuardFailed) as raised:
        appeal(vote, window.due_at)
    assert [u.rule for u in raised.value.unmet] == ["V7"] and "closed" in raised.value.unmet[0].reason
    assert sweep.sweep(db, window.due_at - SECOND).fired["president_appeal_window"] == 0
    report = sweep.sweep(db, window.due_at + 3 * DAY)  # late: the effect still dates from the due time
    assert report.fired["president_appeal_window"] == 1
    assert vote.election().phase == "refusal_final"
    with db.reading() as session:
        (event,) = [e for e in audit.history(session, "election", ELECTION_ID) if e.action == "close_president_appeal_window"]
        assert (event.at, event.from_state, event.to_state) == (window.due_at, "president_refused", "refusal_final")
        assert event.payload["deadline"] == window.key
    with pytest.raises(NotAllowed):
        appeal(vote, window.due_at + 3 * DAY)
    rerun_due = election_deadline(db, "rerun_due")
    assert rerun_due.rule == "V6"
    at = window.due_at + 4 * DAY
    assert vote.decide("call_rerun", rerun_payload(vote, at, dt.date(2030, 2, 3)), at=at).phase == "rerun_called"


def test_v7_an_appeal_dismissed_makes_the_refusal_final_and_a_rerun_follows(db: Database, rules: Rules) -> None:
    """V7/V6: the court dismisses the appeal: refusal_final; the CEC calls a re-run."""
    vote = elected(db, rules, flagged=5)
    refuse(vote, vote.establishing + DAY)
    appeal(vote, vote.establishing + 2 * DAY)
    at = vote.establishing + 5 * DAY
    dismissed = vote.decide("dismiss_president_appeal", {"number": "SC-1/R", "decided_on": vote.day(at)}, at=at,
                            actor=COURT)  # fmt: skip
    assert (dismissed.phase, dismissed.details["appeal"]) == ("refusal_final", "dismissed")
    assert election_deadline(db, "president_court_review", "cancelled")
    assert dismissed.allowed == ["call_rerun"]
    rerun_at = at + DAY
    called = vote.decide("call_rerun", rerun_payload(vote, rerun_at, dt.date(2030, 2, 2)), at=rerun_at)
    assert called.details["rerun"] == RERUN_ID
    assert vote.election(RERUN_ID).rerun_of == ELECTION_ID
    public = results.results(db, ELECTION_ID, at=rerun_at)
    assert public["president"]["status"] == "refused" and public["rerun"] == RERUN_ID


def test_v6_an_election_declared_void_after_the_results_has_no_president_elect(db: Database, rules: Rules) -> None:
    """V6: the CEC declares the election void after establishing a winner: the public results no longer
    name a President-elect, neither while void nor once the re-run is called; the decisions stay listed."""
    vote = elected(db, rules)
    at = vote.establishing + DAY
    assert results.results(db, ELECTION_ID, at=at)["president"]["status"] == "elected"
    voided = vote.decide("declare_void", {"number": "R-V", "decided_on": vote.day(at), "reason": "fraud"}, at=at)
    assert (voided.previous_phase, voided.phase) == ("elected", "void")
    assert election_deadline(db, "president_registration_due", "cancelled")
    assert results.results(db, ELECTION_ID, at=at)["president"] is None
    # D5: the void election elected no one, so the "winner" is refunded only for the share of the votes.
    assert {r["candidacy_id"]: r["reasons"] for r in results.refunds(db, ELECTION_ID)}[vote.ids[0]] == ["vote_share"]
    rerun_at = at + DAY
    vote.decide("call_rerun", rerun_payload(vote, rerun_at, dt.date(2030, 1, 27)), at=rerun_at)
    public = results.results(db, ELECTION_ID, at=rerun_at)
    assert public["president"] is None and public["rerun"] == RERUN_ID
    assert [d["kind"] for d in public["decisions"]] == ["establish_results", "declare_void", "call_rerun"]
    assert public["rounds"][0]["outcome"]["kind"] == "elected"  # the established figures stay on record


def test_v7_the_courts_time_to_rule_is_flagged_when_it_passes(db: Database, rules: Rules) -> None:
    """V7: the Supreme Court's time to decide the appeal (10 days, unconfirmed) passes without a ruling: flagged."""
    vote = elected(db, rules, flagged=5)
    refuse(vote, vote.establishing + DAY)
    appeal(vote, vote.establishing + 2 * DAY)
    review = election_deadline(db, "president_court_review")
    assert sweep.sweep(db, review.due_at).fired["president_court_review"] == 1
    assert {m.recipient for m in outbox(db, "deadline.president_court_review")} == {"cec"}
    assert vote.election().phase == "president_appealed"


# --- D5: refunds -----------------------------------------------------------------------------------


def test_d5_refunds_to_the_winner_to_five_percent_of_the_first_round_and_on_death(db: Database, rules: Rules) -> None:
    """D5: refunded to the winner, to a candidate with at least 5% of the first round's valid votes
    (50,000 of 1,000,000 is exactly 5%; 49,999 shows as 5.00 but is less), and on a death; the amounts
    are the contributions recorded."""
    world = build_world(db, rules, national=5)
    due = rules.contribution_due_on(world.calendar.local(world.registration_time).date())
    ids = []
    for i, amount in enumerate([due + 1_000, due, due, due, due]):
        candidacy = world.nominate(world.associations[i], full_name=f"Candidate {'ABCDE'[i]}")
        register_paying(world, candidacy, amount)
        ids.append(candidacy)
    a, b, c, d, e = ids
    # E dies during the campaign: never on the ballot, refunded for the death alone
    world.act(e, "record_death", {"number": "D-1", "decided_on": "2029-11-01", "reason": "certificate"},
              at=world.calendar.voting_opens - 10 * DAY)  # fmt: skip
    sweep.sweep(db, world.calendar.voting_opens + SECOND)
    vote = Vote(world, ids)
    assert vote.election().ballot == [a, b, c, d]
    assert results.refunds(db, ELECTION_ID) == [
        {"candidacy_id": e, "full_name": "Candidate E", "association": "National Association 5", "amount": due,
         "reasons": ["death"]}]  # fmt: skip

    vote.submit(national({a: 600_000, b: 250_000, c: 50_000, d: 49_999}, against=50_001))
    assert vote.establish().details["winner"] == a
    assert results.results(db, ELECTION_ID, at=vote.establishing)["rounds"][0]["candidates"][3]["percent"] == "5.00"
    listed = {r["candidacy_id"]: (r["amount"], r["reasons"]) for r in results.refunds(db, ELECTION_ID)}
    assert listed == {a: (due + 1_000, ["elected", "vote_share"]), b: (due, ["vote_share"]), c: (due, ["vote_share"]),
                      e: (due, ["death"])}  # fmt: skip

    # D dies after the vote: refunded for the death, with no share of the votes to reach
    world.act(d, "record_death", {"number": "D-2", "decided_on": vote.day(vote.establishing + DAY), "reason": "certificate"},
              at=vote.establishing + DAY)  # fmt: skip
    assert {r["candidacy_id"]: r["reasons"] for r in results.refunds(db, ELECTION_ID)}[d] == ["death"]


def test_d5_no_vote_share_refund_before_the_first_round_is_established(db: Database, rules: Rules) -> None:
    """D5: the 5% is of the first round's established result; while counting, nobody has it yet."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    vote.submit(national({a: 700_000, b: 300_000}))
    assert results.refunds(db, ELECTION_ID) == []
    vote.establish()
    assert {r["candidacy_id"] for r in results.refunds(db, ELECTION_ID)} == {a, b}


# --- A decision that fails leaves nothing behind --------------------------------------------------------


def test_a_stale_version_is_refused_and_nothing_is_written(db: Database, rules: Rules) -> None:
    """Optimistic lock: two officers read the elected election; one registers the President; the other's
    refusal, taken on the version both read, raises StaleVersion and writes nothing."""
    vote = elected(db, rules, flagged=5)
    at = vote.establishing + DAY
    read = results.show_election(db, ELECTION_ID, at=at)["version"]
    registered = vote.decide("register_president", {"number": "R-4", "decided_on": vote.day(at)}, at=at,
                             expected_version=read)  # fmt: skip
    assert registered.version == read + 1
    decisions, messages = count_rows(db, ElectionDecision), count_rows(db, OutboxMessage)
    with db.reading() as session:
        events = len(audit.history(session, "election", ELECTION_ID))
    with pytest.raises(StaleVersion) as raised:
        vote.decide(
            "refuse_president", {"number": "R-5", "decided_on": vote.day(at), "reason": "violations"}, at=at + HOUR,
            expected_version=read)  # fmt: skip
    assert (raised.value.expected, raised.value.current) == (read, read + 1)
    assert count_rows(db, ElectionDecision) == decisions and count_rows(db, OutboxMessage) == messages
    with db.reading() as session:
        assert len(audit.history(session, "election", ELECTION_ID)) == events
    assert (vote.election().phase, vote.election().version) == ("president_registered", read + 1)


def test_a_refused_decision_writes_no_decision_no_result_no_event(db: Database, rules: Rules) -> None:
    """A decision whose conditions fail (V7 at 4 of 20) leaves the election, its decisions, deadlines and
    audit trail as they were."""
    vote = elected(db, rules, flagged=4)
    with db.reading() as session:
        events = len(audit.history(session, "election", ELECTION_ID))
    before = vote.election()
    with pytest.raises(GuardFailed):
        refuse(vote, vote.establishing + DAY)
    after = vote.election()
    assert (after.phase, after.version) == (before.phase, before.version)
    assert count_rows(db, ElectionDecision) == 1
    with db.reading() as session:
        assert len(audit.history(session, "election", ELECTION_ID)) == events
        assert session.scalars(select(Election.phase)).one() == "elected"
    assert election_deadline(db, "president_registration_due").status == "pending"
