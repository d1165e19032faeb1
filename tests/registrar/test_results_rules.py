"""After the vote, under the election's own rules (registrar.results through the domain).

An election announced under an edited presidential file counts and refunds as that file says
(V4.against_all_is_valid, D5.refund_on), and an election of the second kind, whose file has
no V5, V7 nor D5 (tests/data/rules/senate_test.toml), goes through its count, its results and
the officers' views of them without the rules it lacks: no second-round or registration
deadline is opened, no V7 share is shown, no refund is listed.

Every test runs on a SQLite file and on the real PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import select

from registrar import actions, demo, machines, officer_views, results, sweep
from registrar.conditions import ElectionContext
from registrar.db import Database
from registrar.errors import GuardFailed
from registrar.models import Deadline
from registrar.results import count, decisions
from registrar.rules import Rules, parse
from tests.kinds import DATA, SECOND_KIND, Edit, edit_presidential_fixture, second_kind_fixture  # noqa: F401 - the fixtures
from web import questions

from .conftest import ELECTION_ID
from .test_results import CEC, CLERK, DAY, HOUR, MINUTE, count_ahead, national

# --- V4.against_all_is_valid ------------------------------------------------------------------------


def test_v4_against_all_counted_apart_changes_the_shares_and_the_majority(
    db: Database, rules: Rules, edit_presidential: Edit
) -> None:
    """The figures of test_results' 50% case: 340,000 for A, 300,000 for B, 20,000 for C, 20,000 against
    all, 20,000 invalid. Against all a valid vote (the packaged file), A has exactly 50% of 680,000: a
    second round. Counted apart, the valid votes are the 660,000 for candidates and A's 51.52% elects."""
    edited = edit_presidential({"against_all_is_valid = true": "against_all_is_valid = false"})
    assert edited.V4.against_all_is_valid is False and rules.V4.against_all_is_valid is True
    vote = count_ahead(db, rules, 3)
    a, b, c = vote.ids
    vote.submit(national({a: 340_000, b: 300_000, c: 20_000}, against=20_000, invalid=20_000, voters=1_000_000))
    outcome = vote.establish()
    assert (outcome.phase, outcome.details["outcome"], outcome.details["winner"]) == ("elected", "elected", a)
    assert "51.52% of the valid votes" in outcome.details["reason"]
    (first,) = results.results(db, ELECTION_ID, at=vote.establishing)["rounds"]
    assert first["totals"]["valid"] == 660_000 and first["totals"]["invalid_ballots"] == 20_000
    # 340,000/660,000 = 51.5151 -> 51.52; 300,000/660,000 = 45.4545 -> 45.45; 20,000/660,000 = 3.0303 -> 3.03
    assert [(s["candidacy_id"], s["percent"]) for s in first["candidates"]] == [(a, "51.52"), (b, "45.45"), (c, "3.03")]
    # against all, apart, is shown of the 680,000 valid ballots: 2.94%
    assert first["against_all"] == {"votes": 20_000, "percent": "2.94"}


# --- D5.refund_on -----------------------------------------------------------------------------------


def test_d5_without_vote_share_among_the_grounds_no_one_is_refunded_for_a_share(
    db: Database, rules: Rules, edit_presidential: Edit
) -> None:
    """Under the packaged file B's 30% of the first round refunds B (at least 5%) and A is refunded as
    winner and for the share; with vote_share struck from D5.refund_on, only A is, and only as winner."""
    edit_presidential({'refund_on = ["elected", "vote_share", "death"]': 'refund_on = ["elected", "death"]'})
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    vote.submit(national({a: 700_000, b: 300_000}))
    vote.establish()
    assert [(r["candidacy_id"], r["reasons"]) for r in results.refunds(db, ELECTION_ID)] == [(a, ["elected"])]


# --- A kind without V5, V7 nor D5 ---------------------------------------------------------------------

SENATE_ID = "st-2031"
ANNOUNCED, ELECTION_DAY = dt.date(2031, 2, 3), dt.date(2031, 5, 25)


def _senate_after_vote(db: Database, rules: Rules, candidates: int) -> tuple[list[int], dt.datetime]:
    """The second kind's election with ``candidates`` registered through the actions, its ballot fixed;
    returns the candidacies and a moment of the count (three hours after the polls closed)."""
    local = dt.datetime.combine(ANNOUNCED, dt.time(10), tzinfo=rules.zone)
    actions.announce_election(db, {"id": SENATE_ID, "title": "Test election 2031", "kind": SECOND_KIND,
                                   "announced_on": ANNOUNCED.isoformat(), "election_day": ELECTION_DAY.isoformat(),
                                   "registered_voters": 1000}, actor=CEC, at=local)  # fmt: skip
    calendar = officer_views.election_calendar(db, SENATE_ID)
    nominated = dt.datetime.combine(dt.date(2031, 3, 2), dt.time(10), tzinfo=rules.zone)
    ids = []
    for i in range(candidates):
        association = actions.register_association(
            db, {"registration_number": f"S-{i}", "name": f"Association {i}", "kind": "national",
                 "registered_on": "2010-01-01"}, actor="test:ministry", at=nominated)  # fmt: skip
        person = demo.person(f"Candidate {'ABC'[i]}", ELECTION_DAY, public_service_months=0)
        ids.append(actions.nominate(db, SENATE_ID, {"association_id": association, "person": person,
                                                    "decision": demo.decision(dt.date(2031, 3, 1))},
                                    actor=CLERK, at=nominated + i * MINUTE).candidacy_id)  # fmt: skip
        demo.walk(db, ids[-1], "registered", calendar.registration_opens + DAY + i * HOUR)
    sweep.sweep(db, calendar.voting_opens + MINUTE)
    return ids, calendar.voting_closes + 3 * HOUR


def _submit_and_establish(db: Database, rules: Rules, totals: dict[int, int], at: dt.datetime) -> results.ElectionOutcome:
    for payload in national(totals, signed_on=ELECTION_DAY.isoformat()):
        results.submit_protocol(db, SENATE_ID, payload | {"against_all": None}, actor=CLERK, at=at)  # V4: not on this ballot
    at += 2 * DAY
    day = at.astimezone(rules.zone).date().isoformat()
    return results.perform_election(db, SENATE_ID, "establish_results", {"number": "R-1", "decided_on": day}, actor=CEC, at=at)


def _election_deadlines(db: Database) -> set[str]:
    with db.reading() as session:
        rows = session.scalars(select(Deadline).where(Deadline.subject_type == "election", Deadline.subject_id == SENATE_ID,
                                                      Deadline.status == "pending"))  # fmt: skip
        return {row.kind for row in rows}


def _renders(db: Database, rules: Rules, at: dt.datetime) -> dict[str, Any]:
    """What the officers' election page reads after the vote, and every decision's form under these rules."""
    shown = officer_views.after_vote(db, SENATE_ID, at=at)
    assert shown is not None
    for trigger in machines.ELECTION_SCHEMAS:
        assert questions.decision_fields(trigger, rules) is not None
    return shown


def test_a_kind_without_v7_elects_without_a_registration_deadline_nor_a_v7_share_nor_refunds(
    db: Database, second_kind: Rules
) -> None:
    rules = second_kind
    assert not {"V5", "V7", "D5"} & {rule.id for rule in rules}
    (a, b), counting = _senate_after_vote(db, rules, 2)
    form = questions.protocol_form(officer_views.counting(db, SENATE_ID, at=counting))
    assert form.round == 1 and set(form.candidates) == {f"votes.{a}", f"votes.{b}"}
    outcome = _submit_and_establish(db, rules, {a: 600, b: 400}, counting)
    assert (outcome.phase, outcome.details["winner"]) == ("elected", a)
    # No V7: the CEC has no registration period to keep, and no share of units to weigh.
    assert "president_registration_due" not in _election_deadlines(db)
    shown = _renders(db, rules, counting + 3 * DAY)
    assert shown["violated"] is None and shown["refunds"] == [] and shown["president"]["candidacy_id"] == a
    assert results.refunds(db, SENATE_ID) == []
    # The candidacy's page: its records and every action's form under its election's rules.
    records = officer_views.candidacy_records(db, a)
    assert records["rules"].kind == SECOND_KIND
    for trigger in machines.TRIGGER_SCHEMAS:
        assert questions.trigger_fields(trigger, records["rules"]) is not None


def test_a_kind_without_v5_has_no_second_round_the_cec_declares_the_election_void_instead(
    db: Database, second_kind: Rules
) -> None:
    """No candidate has the majority and the kind has no V5: establishing the results is refused
    naming V5 (the machine's second-round rows do not apply), nothing is written, no V5 deadline is
    opened, and the CEC declares the election void (V6), which opens the re-run's period."""
    rules = second_kind
    (a, b, c), counting = _senate_after_vote(db, rules, 3)
    with pytest.raises(GuardFailed) as refused:
        _submit_and_establish(db, rules, {a: 450, b: 350, c: 200}, counting)
    assert [u.rule for u in refused.value.unmet] == ["V5"]
    assert "rules have no V5: establish_results cannot lead to second round due" in refused.value.unmet[0].reason
    shown = _renders(db, rules, counting + 3 * DAY)
    assert shown["phase"] == "counting" and "second_round_due" not in _election_deadlines(db)
    assert "declare_void" in shown["allowed"]
    day = (counting + 2 * DAY).astimezone(rules.zone).date().isoformat()
    void = results.perform_election(db, SENATE_ID, "declare_void", {"number": "R-2", "decided_on": day,
                                    "reason": "no candidate has the majority (V4) and there is no second round"},
                                    actor=CEC, at=counting + 2 * DAY)  # fmt: skip
    assert void.phase == "void" and "rerun_due" in _election_deadlines(db)


def test_the_after_vote_steps_of_a_rule_a_kind_leaves_out_do_nothing() -> None:
    """V3 sets the signatures a protocol needs, V5-V7 the periods their phases open: a kind without
    them asks only that the signatures not exceed the commission, and opens no period."""
    path = DATA / "rules" / f"{SECOND_KIND}.toml"
    whole = tomllib.loads(path.read_text(encoding="utf-8"))
    bare = parse({k: v for k, v in whole.items() if k not in ("V3", "V6")}, path)
    assert count._signature_errors(1, 7, bare) == {}
    assert count._signature_errors(8, 7, bare) == {"members_signed": ["the commission has 7 members"]}
    assert count._signature_errors(3, 7, parse(whole, path)) == {
        "members_signed": ["at least 4 of the commission's 7 members must sign (V3)"]}  # fmt: skip
    # Each returns before it touches the session: a context holding only the rules is enough.
    ctx = cast(ElectionContext, SimpleNamespace(rules=bare))
    for phase in ("elected", "second_round_due", "president_refused", "president_appealed", "void", "no_winner",
                  "refusal_final"):  # fmt: skip
        assert decisions.ON_ENTER[phase](ctx) is None
