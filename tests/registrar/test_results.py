"""Election day and after, through the domain (registrar.results): protocols (V3) and results (V4).

Every test runs on a SQLite file and on the real PostgreSQL (the ``db`` fixture). An election
is brought to its count by :func:`count_ahead`: the 2029 election of the shared ``build_world``,
candidates walked to registered through the real actions, the sweep run when voting opens so
the ballot is fixed; built once per worker and backend, then copied into each test's database
(tests/demo_copies.py). The helpers here are shared with test_results_rounds.py and
test_results_president.py.

Percentages in comments are worked by hand: hundredths of a percent are part * 10_000 / whole,
rounded half up.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from registrar import audit, demo, results, sweep, territory
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed
from registrar.models import Deadline, Election, ElectionDecision, ElectionResult, OutboxMessage, Protocol
from registrar.rules import Rules
from tests.demo_copies import copied

from .conftest import ELECTION_ID, World, build_world, rules_key

SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
UNITS = territory.current().units
CODES = [unit.code for unit in UNITS]
CLERK = "test:clerk"
CEC = "test:commission"
COURT = "test:court"


# --- helpers (shared with the other test_results_* modules) ---------------------------------


@dataclass
class Vote:
    """The 2029 election with registered candidates, its first-round ballot fixed."""

    world: World
    ids: list[int]

    @property
    def db(self) -> Database:
        return self.world.db

    @property
    def rules(self) -> Rules:
        return self.world.rules

    @property
    def counting(self) -> dt.datetime:
        """Three hours after the polls closed (23:00 local on election day): the count is under way."""
        return self.world.calendar.voting_closes + 3 * HOUR

    @property
    def establishing(self) -> dt.datetime:
        """Two days into the count: every protocol is in, the CEC decides."""
        return self.counting + 2 * DAY

    def local(self, *args: int) -> dt.datetime:
        return dt.datetime(*args, tzinfo=self.rules.zone)  # type: ignore[misc]

    def submit(self, payloads: Sequence[dict[str, Any]], at: dt.datetime | None = None) -> list[dict[str, Any]]:
        return [results.submit_protocol(self.db, ELECTION_ID, p, actor=CLERK, at=at or self.counting) for p in payloads]

    def decide(self, trigger: str, payload: dict[str, Any] | None = None, *, at: dt.datetime,
               actor: str = CEC, **kw: Any) -> results.ElectionOutcome:  # fmt: skip
        return results.perform_election(self.db, ELECTION_ID, trigger, payload or {}, actor=actor, at=at, **kw)

    def establish(self, at: dt.datetime | None = None, number: str = "R-1") -> results.ElectionOutcome:
        at = at or self.establishing
        return self.decide("establish_results", {"number": number, "decided_on": self.day(at)}, at=at)

    def day(self, at: dt.datetime) -> str:
        return at.astimezone(self.rules.zone).date().isoformat()

    def rebound(self, db: Database, rules: Rules) -> Vote:
        return Vote(self.world.rebound(db, rules), list(self.ids))

    def election(self, election_id: str = ELECTION_ID) -> Election:
        with self.db.reading() as session:
            election = session.get(Election, election_id)
            assert election is not None
            session.expunge(election)
            return election


def count_ahead(db: Database, rules: Rules, candidates: int = 3) -> Vote:
    """Register ``candidates`` candidates ("Candidate A", B ... of National Association 1, 2 ...), open the vote.

    Built once per worker, backend and ``candidates`` on the empty ``db``, then copied (tests/demo_copies.py)."""
    return copied(db, ("count_ahead", candidates, rules_key(rules)), lambda built: built_count(built, rules, candidates),
                  lambda vote, database: vote.rebound(database, rules))  # fmt: skip


def built_count(db: Database, rules: Rules, candidates: int) -> Vote:
    """What :func:`count_ahead` copies, built through the real actions."""
    world = build_world(db, rules, national=max(candidates, 2))
    ids = []
    for i in range(candidates):
        candidacy = world.nominate(world.associations[i], full_name=f"Candidate {chr(ord('A') + i)}")
        world.walk(candidacy, "registered")
        ids.append(candidacy)
    sweep.sweep(db, world.calendar.voting_opens + MINUTE)
    return Vote(world, ids)


def register_paying(world: World, candidacy: int, amount: int) -> None:
    """Walk a candidacy to registered through the real actions, its contribution (D5) being ``amount``."""
    at = world.walk(candidacy, "medical_check") + HOUR
    for payload in demo.papers("medical_check", world.calendar, world.rules, world.calendar.local(at).date()):
        step = payload.pop("_trigger")
        if step == "record_contribution":
            payload["amount"] = amount
        world.act(candidacy, step, payload, at=at)
    world.act(candidacy, "submit_documents", {}, at=at + HOUR)
    day = world.calendar.local(at + 2 * HOUR).date().isoformat()
    world.act(candidacy, "register", {"number": f"REG-{candidacy}", "decided_on": day}, at=at + 2 * HOUR)


def split(total: int, parts: int = len(UNITS)) -> list[int]:
    """``total`` over ``parts`` units, as evenly as integers allow (the first units take the remainder)."""
    share, rest = divmod(total, parts)
    return [share + (1 if i < rest else 0) for i in range(parts)]


def protocol(unit: str, votes: Mapping[int, int], *, against: int = 0, invalid: int = 0, unused: int = 10,
             absent: int = 1000, **extra: Any) -> dict[str, Any]:  # fmt: skip
    """A protocol that adds up (V3): valid = votes + against all, cast = valid + invalid, and so on."""
    cast = sum(votes.values()) + against + invalid
    issued = cast + unused
    return {"unit": unit, "voters_on_list": issued + absent, "ballots_issued": issued, "ballots_cast": cast,
            "invalid_ballots": invalid, "votes": {str(k): v for k, v in votes.items()}, "against_all": against,
            "chair": f"Chair of {unit}", "members_signed": 5, "signed_on": "2029-11-25"} | extra  # fmt: skip


def national(totals: Mapping[int, int], *, against: int = 0, invalid: int = 0, voters: int | None = None,
             flagged: int = 0, signed_on: str = "2029-11-25") -> list[dict[str, Any]]:  # fmt: skip
    """The 20 protocols of a round whose national totals are ``totals`` (V4 adds them back up).

    ``voters``: the voters on the lists nationally (every ballot issued was cast); ``flagged``:
    the first units whose vote was declared void or violated (V7), alternately."""
    per = {c: split(n) for c, n in totals.items()}
    against_by, invalid_by = split(against), split(invalid)
    voters_by = split(voters) if voters is not None else None
    payloads = []
    for i, unit in enumerate(UNITS):
        marked = i < flagged
        payload = protocol(unit.code, {c: per[c][i] for c in totals}, against=against_by[i], invalid=invalid_by[i],
                           signed_on=signed_on, void=marked and i % 2 == 0, violations=marked and i % 2 == 1)  # fmt: skip
        if voters_by is not None:
            payload["ballots_issued"] = payload["ballots_cast"]
            payload["voters_on_list"] = voters_by[i]
            assert voters_by[i] >= payload["ballots_issued"]
        payloads.append(payload)
    return payloads


def outbox(db: Database, topic: str, **payload: Any) -> list[OutboxMessage]:
    """The outbox messages of ``topic`` whose payload has the given values."""
    with db.reading() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id))
        return [m for m in rows if all(m.payload.get(k) == v for k, v in payload.items())]


def election_deadline(db: Database, kind: str, status: str = "pending", subject: str = ELECTION_ID) -> Deadline:
    with db.reading() as session:
        rows = session.scalars(
            select(Deadline).where(Deadline.subject_type == "election", Deadline.subject_id == subject,
                                   Deadline.kind == kind, Deadline.status == status)
        ).all()  # fmt: skip
    assert len(rows) == 1, f"{len(rows)} {status} {kind} deadlines of {subject}"
    return rows[0]


def count_rows(db: Database, model: Any) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- V3: a protocol must add up, be signed, and is submitted once -----------------------------


def test_v3_a_protocol_whose_sums_do_not_add_up_is_refused_with_its_fields(db: Database, rules: Rules) -> None:
    """V3: the votes must add up to the valid ballots; no stage may hold more ballots than the one before."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    good = protocol("AST", {a: 600, b: 300}, against=50, invalid=20)
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([good | {"votes": {str(a): 601, str(b): 300}}])
    assert list(raised.value.errors) == ["votes"]
    assert "add up to 951, but the valid ballots are 950 (cast 970 - invalid 20)" in raised.value.errors["votes"][0]
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([good | {"ballots_cast": good["ballots_issued"] + 1}])
    assert "cannot exceed the ballots issued (980)" in raised.value.errors["ballots_cast"][0]
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([good | {"ballots_issued": good["voters_on_list"] + 1}])
    assert "ballots_issued" in raised.value.errors
    assert results.protocols(db, ELECTION_ID) == []
    assert vote.submit([good])[0]["valid"] == 950


def test_v3_negative_counts_are_refused_each_under_its_field(db: Database, rules: Rules) -> None:
    """V3: a count is never negative; a candidate's votes are named ``votes.<id>`` like every vote error."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    good = protocol("AST", {a: 600, b: 300}, against=50)
    bad = good | {"voters_on_list": -1, "against_all": -3, "votes": {str(a): -5, str(b): 300}}
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([bad])
    errors = raised.value.errors
    assert set(errors) == {"voters_on_list", "against_all", f"votes.{a}"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())
    assert results.protocols(db, ELECTION_ID) == []


def test_v3_votes_for_someone_not_on_the_ballot_or_none_for_a_candidate_are_refused(db: Database, rules: Rules) -> None:
    """V3: the protocol counts votes for exactly the candidates on the ballot fixed when voting opened."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([protocol("AST", {a: 600, 999: 300}, against=50)])
    assert raised.value.errors[f"votes.{999}"] == ["not a candidate on this ballot"]
    assert raised.value.errors[f"votes.{b}"] == ["the votes for every candidate on the ballot are required"]
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([protocol("AST", {a: 600, b: 300}) | {"against_all": None}])
    assert raised.value.errors["against_all"] == ["required: against all is on this ballot"]
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([protocol("XXX", {a: 600, b: 300})])
    assert "unit" in raised.value.errors


def test_v3_a_protocol_signed_before_its_rounds_vote_is_refused(db: Database, rules: Rules) -> None:
    """V3: the commission signs the protocol of the count, so on the day of the vote or later."""
    vote = count_ahead(db, rules, 2)
    payload = protocol("AST", dict.fromkeys(vote.ids, 100))
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([payload | {"signed_on": "2029-11-24"}])
    assert raised.value.errors == {"signed_on": ["cannot be before the vote on 2029-11-25"]}
    assert vote.submit([payload | {"signed_on": "2029-11-26"}], at=vote.counting + DAY)[0]["signed_on"] == "2029-11-26"


def test_v3_a_protocol_is_not_signed_after_the_day_it_reaches_the_cec(db: Database, rules: Rules) -> None:
    """V3: a protocol dated a day after it was received is refused at signed_on; nothing is stored."""
    vote = count_ahead(db, rules, 2)
    received_on = vote.counting.astimezone(rules.zone).date()
    later = (received_on + dt.timedelta(days=1)).isoformat()
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([protocol("AST", dict.fromkeys(vote.ids, 100)) | {"signed_on": later}])
    assert raised.value.errors == {"signed_on": [f"cannot be after the day the protocol is received ({received_on})"]}
    assert results.protocols(db, ELECTION_ID) == []


@pytest.mark.parametrize(("signed", "accepted"), [(3, False), (4, True), (7, True), (8, False)])
def test_v3_a_protocol_is_signed_by_more_than_half_of_the_commission(
    db: Database, rules: Rules, signed: int, accepted: bool
) -> None:
    """V3: signed by the chair and more than half of the 7 members: 4 is enough, 3 is not, 8 is too many."""
    vote = count_ahead(db, rules, 2)
    payload = protocol("AST", dict.fromkeys(vote.ids, 100), members_signed=signed)
    if accepted:
        assert vote.submit([payload])[0]["members_signed"] == signed
        return
    with pytest.raises(InvalidPayload) as raised:
        vote.submit([payload])
    expected = "at least 4 of the commission's 7 members must sign (V3)" if signed < 4 else "the commission has 7 members"
    assert raised.value.errors == {"members_signed": [expected]}


def test_v3_submitted_once_a_correction_is_a_new_version_and_both_stay_on_record(db: Database, rules: Rules) -> None:
    """V3: a protocol is submitted once; a correction is version 2 with its reason; the audit trail and
    protocols(history=True) keep both, and the results count the version in force."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    first = protocol("AST", {a: 600, b: 300}, against=50)
    assert vote.submit([first])[0]["version"] == 1
    with pytest.raises(InvalidPayload, match="already submitted"):
        vote.submit([first])
    corrected = protocol("AST", {a: 590, b: 310}, against=50)
    with pytest.raises(InvalidPayload) as raised:
        results.submit_protocol(db, ELECTION_ID, corrected, actor=CLERK, at=vote.counting, correction=True)
    assert "reason" in raised.value.errors
    with pytest.raises(InvalidPayload, match=r"no protocol of .* is submitted yet"):
        results.submit_protocol(db, ELECTION_ID, protocol("ALA", {a: 1, b: 1}) | {"reason": "typo"}, actor=CLERK,
                                at=vote.counting, correction=True)  # fmt: skip
    later = vote.counting + HOUR
    view = results.submit_protocol(db, ELECTION_ID, corrected | {"reason": "a recount of station 12"}, actor=CLERK,
                                   at=later, correction=True)  # fmt: skip
    assert (view["version"], view["reason"], view["votes"]) == (2, "a recount of station 12", {str(a): 590, str(b): 310})

    in_force = results.protocols(db, ELECTION_ID)
    assert [(p["unit"], p["version"]) for p in in_force] == [("AST", 2)]
    every = results.protocols(db, ELECTION_ID, 1, history=True)
    assert [(p["version"], p["votes"][str(a)]) for p in every] == [(1, 600), (2, 590)]
    assert dt.datetime.fromisoformat(every[0]["superseded_at"]) == later
    assert every[1]["superseded_at"] is None
    with db.reading() as session:
        events = [e for e in audit.history(session, "election", ELECTION_ID) if "protocol" in e.action]
        assert [(e.action, e.payload["unit"], e.payload["version"]) for e in events] == [
            ("submit_protocol", "AST", 1), ("correct_protocol", "AST", 2)]  # fmt: skip
        assert events[1].payload["data"]["reason"] == "a recount of station 12"
        assert events[0].payload["data"]["votes"] == {str(a): 600, str(b): 300}
    counted = results.results(db, ELECTION_ID, at=later)["rounds"][0]
    assert {c["candidacy_id"]: c["votes"] for c in counted["candidates"]} == {a: 590, b: 310}
    assert counted["units"][0]["version"] == 2


@pytest.mark.parametrize("when", ["campaign", "voting", "after the results"])
def test_v3_a_protocol_outside_the_counting_phase_is_not_allowed(db: Database, rules: Rules, when: str) -> None:
    """V3: protocols are received while the votes are counted; before the polls close or once the
    results are established, NotAllowed names the phase."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    moment = {"campaign": vote.world.calendar.voting_opens - HOUR,
              "voting": vote.world.calendar.voting_closes - SECOND,
              "after the results": vote.establishing + HOUR}[when]  # fmt: skip
    expected_phase = {"campaign": "campaign", "voting": "voting", "after the results": "elected"}[when]
    if when == "after the results":
        vote.submit(national({a: 700_000, b: 300_000}))
        assert vote.establish().phase == "elected"
    before = count_rows(db, Protocol)
    with pytest.raises(NotAllowed) as raised:
        vote.submit([protocol("AST", {a: 1, b: 1})], at=moment)
    assert expected_phase in str(raised.value) and "V3" in str(raised.value)
    assert count_rows(db, Protocol) == before


def test_v3_protocols_due_in_two_days_reminds_and_then_escalates_to_the_missing_commissions(db: Database, rules: Rules) -> None:
    """V3: 2 days from the close of voting; the reminder goes to the commissions still missing, and at
    the due time the sweep tells the CEC and exactly those commissions (``commission:<code>``)."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    payloads = national({a: 700_000, b: 300_000})
    vote.submit(payloads[:17])
    due = election_deadline(db, "protocols_due")
    assert due.rule == "V3"
    assert due.due_at == vote.local(2029, 11, 28, 0, 0)  # 24:00 on the second day after 25 Nov (T2)

    sweep.sweep(db, due.due_at - 24 * HOUR)
    reminded = {m.recipient for m in outbox(db, "deadline.reminder", kind="protocols_due")}
    assert reminded == {"cec", *(f"commission:{code}" for code in CODES[17:])}

    vote.submit(payloads[17:18], at=due.due_at - HOUR)
    assert sweep.sweep(db, due.due_at - SECOND).fired["protocols_due"] == 0
    assert sweep.sweep(db, due.due_at).fired["protocols_due"] == 1
    told = outbox(db, "deadline.protocols_due")
    assert {m.recipient for m in told} == {"cec", *(f"commission:{code}" for code in CODES[18:])}
    assert election_deadline(db, "protocols_due", "fired").outcome == "notified"
    with db.reading() as session:
        events = [e for e in audit.history(session, "election", ELECTION_ID) if e.action == "deadline.protocols_due"]
    assert len(events) == 1 and events[0].payload["rule"] == "V3"
    assert results.show_election(db, ELECTION_ID, at=due.due_at)["missing_units"] == CODES[18:]


# --- V4: the results ----------------------------------------------------------------------------


def test_v4_the_results_are_not_established_while_protocols_are_missing_and_the_guard_names_them(
    db: Database, rules: Rules
) -> None:
    """V4 (with V3): the CEC establishes the results on every territorial commission's protocol."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    vote.submit(national({a: 700_000, b: 300_000})[:18])
    version = vote.election().version
    with pytest.raises(GuardFailed) as raised:
        vote.establish()
    (unmet,) = raised.value.unmet
    assert unmet.rule == "V3"
    assert f"2 territorial commissions: {CODES[18]}, {CODES[19]}" in unmet.reason
    assert vote.election().version == version
    assert results.show_election(db, ELECTION_ID, at=vote.establishing)["phase"] == "counting"
    assert count_rows(db, ElectionResult) == 0 and count_rows(db, ElectionDecision) == 0


def test_v4_results_due_in_seven_days_are_escalated_to_the_cec(db: Database, rules: Rules) -> None:
    """V4: no results established within 7 days of the close of voting: the sweep escalates to the CEC."""
    vote = count_ahead(db, rules, 2)
    due = election_deadline(db, "results_due")
    assert (due.rule, due.due_at) == ("V4", vote.local(2029, 12, 3, 0, 0))  # 24:00 on 2 Dec, 7 days after 25 Nov
    assert sweep.sweep(db, due.due_at - SECOND).fired["results_due"] == 0
    assert sweep.sweep(db, due.due_at).fired["results_due"] == 1
    assert {m.recipient for m in outbox(db, "deadline.results_due")} == {"cec"}
    assert sweep.sweep(db, due.due_at + DAY).fired["results_due"] == 0  # once


def test_v4_establishing_the_results_in_time_closes_the_count_deadlines(db: Database, rules: Rules) -> None:
    """V3/V4: once the results are established, the protocols' and the results' deadlines no longer fall due."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    vote.submit(national({a: 700_000, b: 300_000}))
    outcome = vote.establish()
    assert (outcome.previous_phase, outcome.phase) == ("counting", "elected")
    assert election_deadline(db, "results_due", "cancelled")
    assert election_deadline(db, "protocols_due", "cancelled")
    report = sweep.sweep(db, vote.establishing + 8 * DAY)
    assert report.fired["results_due"] == report.fired["protocols_due"] == 0


def test_v4_turnout_and_shares_of_the_valid_votes_with_against_all_counted_as_valid(db: Database, rules: Rules) -> None:
    """V4: against all is a valid vote. 340,000 of 680,000 valid is exactly 50%: no majority, although
    it is more than half of the votes for candidates (340,000 of 660,000); turnout 700,000 / 1,000,000."""
    vote = count_ahead(db, rules, 3)
    a, b, c = vote.ids
    vote.submit(national({a: 340_000, b: 300_000, c: 20_000}, against=20_000, invalid=20_000, voters=1_000_000))
    outcome = vote.establish()
    assert outcome.phase == "second_round_due"
    assert outcome.details["outcome"] == "second_round" and outcome.details["leaders"] == [a, b]
    (first,) = results.results(db, ELECTION_ID, at=vote.establishing)["rounds"]
    assert first["totals"] == {"units": 20, "voters_on_list": 1_000_000, "ballots_issued": 700_000,
                               "ballots_cast": 700_000, "invalid_ballots": 20_000, "valid": 680_000,
                               "turnout_percent": "70.00"}  # fmt: skip
    # 340,000/680,000 = 50.00; 300,000/680,000 = 44.1176 -> 44.12; 20,000/680,000 = 2.9411 -> 2.94
    assert [(c_["candidacy_id"], c_["votes"], c_["percent"]) for c_ in first["candidates"]] == [
        (a, 340_000, "50.00"), (b, 300_000, "44.12"), (c, 20_000, "2.94")]  # fmt: skip
    assert first["against_all"] == {"votes": 20_000, "percent": "2.94"}
    assert first["status"] == "established" and first["protocols"] == {"received": 20, "expected": 20}
    assert first["outcome"]["kind"] == "second_round" and first["outcome"]["winner"] is None


def test_v4_more_than_half_of_the_valid_votes_elects(db: Database, rules: Rules) -> None:
    """V4: 340,001 of 680,000 valid votes (50.0001%, shown 50.00) is more than half: elected."""
    vote = count_ahead(db, rules, 3)
    a, b, c = vote.ids
    vote.submit(national({a: 340_001, b: 299_999, c: 20_000}, against=20_000, invalid=20_000, voters=1_000_000))
    outcome = vote.establish()
    assert (outcome.phase, outcome.details["winner"]) == ("elected", a)
    public = results.results(db, ELECTION_ID, at=vote.establishing)
    assert public["rounds"][0]["candidates"][0]["percent"] == "50.00"
    assert public["rounds"][0]["outcome"]["kind"] == "elected"
    assert public["president"]["candidacy_id"] == a and public["president"]["status"] == "elected"
    assert public["president"]["full_name"] == "Candidate A"


@pytest.mark.parametrize(("leader", "elected"), [(4_500_001, True), (4_500_000, False)])
def test_v4_nine_million_valid_votes_to_the_hundredth_through_the_protocols(
    db: Database, rules: Rules, leader: int, elected: bool
) -> None:
    """V4 on national figures: 9,000,000 valid votes over 20 units. 4,500,001 is 50.0000111% (shown
    50.00) and elects; 4,500,000 is exactly 50% (shown 50.00) and does not."""
    vote = count_ahead(db, rules, 3)
    a, b, c = vote.ids
    rest = 9_000_000 - leader - 450_000 - 3_600_000
    payloads = national({a: leader, b: 3_600_000, c: rest}, against=450_000, invalid=123_457, voters=12_000_000)
    assert sum(p["votes"][str(a)] for p in payloads) == leader
    vote.submit(payloads)
    outcome = vote.establish()
    assert outcome.phase == ("elected" if elected else "second_round_due")
    (first,) = results.results(db, ELECTION_ID, at=vote.establishing)["rounds"]
    assert first["totals"]["valid"] == 9_000_000
    # 9,123,457 / 12,000,000 = 76.0288...% -> 76.03
    assert first["totals"]["turnout_percent"] == "76.03"
    # c: 449,999 / 9,000,000 = 4.99998...% -> 5.00; 450,000 -> 5.00 exactly
    assert [(s["votes"], s["percent"]) for s in first["candidates"]] == [
        (leader, "50.00"), (3_600_000, "40.00"), (rest, "5.00")]  # fmt: skip
    assert first["against_all"] == {"votes": 450_000, "percent": "5.00"}
    assert first["outcome"]["kind"] == ("elected" if elected else "second_round")


def test_g2_the_public_results_carry_no_signatures(db: Database, rules: Rules) -> None:
    """G2/V3: the public read model shows figures, names and associations, never who signed a protocol."""
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    vote.submit(national({a: 700_000, b: 300_000}))
    vote.establish()
    public = results.results(db, ELECTION_ID, at=vote.establishing)
    text = json.dumps(public)
    assert "Chair of" not in text
    for field in ("chair", "members_signed", "submitted_by", CLERK):
        assert field not in text
    # ... while the officers' view of the protocols does carry them
    assert results.protocols(db, ELECTION_ID)[0]["chair"] == f"Chair of {CODES[0]}"
    assert public["rounds"][0]["units"][0]["code"] == CODES[0]
