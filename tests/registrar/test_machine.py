"""The candidacy machine: every transition of the table, the refusals, the guards and the phase gates.

Each test names the rule it proves (RULES.md). The table (``machines.CANDIDACY_STEPS``) drives
the parametrized test, so a row added to it is tested without touching this file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from marshmallow import Schema
from sqlalchemy import func, select

from registrar import actions, demo, machines, schemas
from registrar.calendar import compute
from registrar.db import Database
from registrar.errors import GuardFailed, NotAllowed
from registrar.machines import CANDIDACY_STEPS, TRIGGERS, Step
from registrar.models import Appeal, Candidacy, Certificate, Decision, InformationRequest
from registrar.rules import Rules
from registrar.states import FINAL, STATES
from tests.demo_copies import copied

from .conftest import ANNOUNCED, ELECTION_DAY, World, build_world, rules_key

HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)


# --- helpers -------------------------------------------------------------------------------


def paper(world: World, trigger: str, at: dt.datetime, **extra: Any) -> dict[str, Any]:
    """The valid payload an officer enters for ``trigger`` on the local day of ``at``."""
    day = world.calendar.local(at).date()
    if trigger in ("record_medical_conclusion", "record_language_conclusion", "record_contribution",
                   "record_signature_protocol"):  # fmt: skip
        found = next(p for p in demo.papers("medical_check", world.calendar, world.rules, day) if p["_trigger"] == trigger)
        return {k: v for k, v in found.items() if k != "_trigger"}
    if trigger == "send_information_request":
        return {"organisation": "Halyk Bank", "subject": "accounts held by the candidate"}
    if trigger == "record_declaration_verification":
        return {"filer": "candidate", "result": "confirmed", "verified_on": day.isoformat()}
    return demo.papers(trigger, world.calendar, world.rules, day, **extra)[0]


def record_papers(world: World, candidacy: int, at: dt.datetime, **skip_or_replace: Any) -> dt.datetime:
    """Record what happens in medical_check (demo.papers); ``trigger=None`` skips, ``trigger=[...]`` replaces."""
    day = world.calendar.local(at).date()
    payloads = demo.papers("medical_check", world.calendar, world.rules, day)
    replaced = {trigger: items for trigger, items in skip_or_replace.items()}
    for trigger, items in replaced.items():
        payloads = [p for p in payloads if p["_trigger"] != trigger]
        payloads += [{"_trigger": trigger, **item} for item in items or []]
    for payload in payloads:
        at += dt.timedelta(minutes=1)
        world.act(candidacy, payload.pop("_trigger"), payload, at=at)
    return at


def state_of(world: World, candidacy: int) -> tuple[str, int]:
    with world.db.reading() as session:
        row = session.get(Candidacy, candidacy)
        assert row is not None
        return row.state, row.version


def request_ids(world: World, candidacy: int) -> list[int]:
    with world.db.reading() as session:
        return list(session.scalars(select(InformationRequest.id).where(InformationRequest.candidacy_id == candidacy)))


# --- every allowed transition ---------------------------------------------------------------

TRANSITIONS = [pytest.param(step, id=f"{step.rule}-{step.trigger}-to-{step.dest or 'same'}") for step in CANDIDACY_STEPS]


# Where a candidacy is brought before a step fires: a state, and for an appeal the state whose
# decision is appealed (None: the state's own route, demo.ROUTES).
Route = tuple[str, str | None]


def _route(step: Step, source: str) -> Route:
    """How ``step`` needs a candidacy in ``source``: an appeal the step routes on is filed against the right decision."""
    if source == "appealed" and step.dest in ("cancelled_final", "registered"):
        return source, "registration_cancelled"
    if source == "appealed" and step.trigger == "uphold_appeal":  # refused where it stood: the row's destination
        return source, step.dest
    return source, None


def _reach(world: World, candidacy: int, route: Route) -> dt.datetime:
    """Bring a fresh candidacy along ``route``; returns the last action's moment."""
    source, decided_in = route
    if decided_in == "registration_cancelled":
        at = world.walk(candidacy, "registration_cancelled") + HOUR
        world.act(candidacy, "appeal", paper(world, "appeal", at), at=at)
        return at
    if decided_in is not None:
        at = world.walk(candidacy, decided_in) + HOUR
        world.act(candidacy, "refuse", paper(world, "refuse", at), at=at)
        world.act(candidacy, "appeal", paper(world, "appeal", at + HOUR), at=at + HOUR)
        return at + HOUR
    return world.walk(candidacy, source)


# Every route a row of the table needs, and each state's own (the forbidden transitions and G6's
# tests start from those): one build serves every test of the module.
WALKS = sorted({_route(step, source) for step in CANDIDACY_STEPS for source in step.source} |
                {(state, None) for state in STATES}, key=repr)  # fmt: skip


@dataclass(frozen=True)
class Reached:
    """The 2029 election with a candidacy brought along each route, each from its own association (N5)."""

    world: World
    at: dict[Route, tuple[int, dt.datetime]]  # the candidacy, and the moment of its last action

    def rebound(self, db: Database, rules: Rules) -> Reached:
        return Reached(self.world.rebound(db, rules), dict(self.at))

    def an_hour_after(self, state: str) -> tuple[World, int, dt.datetime]:
        """The world, the candidacy walked straight to ``state``, and an hour after its last action."""
        candidacy, at = self.at[(state, None)]
        return self.world, candidacy, at + HOUR


def reached(db: Database, rules: Rules) -> Reached:
    """Every route walked through the real actions, once per worker and backend, then copied (tests/demo_copies.py)."""

    def build(built: Database) -> Reached:
        world = build_world(built, rules, national=len(WALKS))
        at = {}
        for route, association in zip(WALKS, world.associations, strict=True):
            candidacy = world.nominate(association)
            at[route] = candidacy, _reach(world, candidacy, route)
        return Reached(world, at)

    return copied(db, ("test_machine.reached", rules_key(rules)), build,
                  lambda kept, database: kept.rebound(database, rules))  # fmt: skip


def _fire_from(world: World, step: Step, source: str, candidacy: int, reached_at: dt.datetime) -> None:
    at = reached_at + HOUR
    assert state_of(world, candidacy)[0] == source

    if step.trigger == "close_appeal_window":  # G6: only once the window has lapsed
        at += dt.timedelta(days=world.rules.G6.appeal_days + 1)
    if step.trigger == "refuse_incomplete":  # G1: from the second registration closes
        at = max(at, world.calendar.registration_closes)
    if step.trigger == "answer_information_request":  # D2: the answer needs a request to answer
        world.act(candidacy, "send_information_request", paper(world, "send_information_request", at), at=at)
        at += HOUR
    if step.trigger == "submit_documents":  # D6: the complete set first
        at = record_papers(world, candidacy, at) + HOUR

    if step.trigger == "answer_information_request":
        payload = {"request_id": request_ids(world, candidacy)[-1], "answer": "two current accounts"}
    elif step.trigger == "record_document":
        view = actions.show_candidacy(world.db, candidacy, at=at)
        missing = [kind for kind in ("consent", "biography") if not view["documents"][kind]]
        payload = {"kind": (missing or ["declaration_certificates"])[0], "received_on": f"{at:%Y-%m-%d}",
                   "reference": "received by the CEC"}  # fmt: skip
    else:
        payload = paper(world, step.trigger, at)

    outcome = world.act(candidacy, step.trigger, payload, at=at)

    assert (outcome.previous_state, outcome.state) == (source, step.dest or source)
    assert state_of(world, candidacy)[0] == outcome.state
    history = actions.show_candidacy(world.db, candidacy, at=at)["history"]
    assert history[-1] == {"seq": outcome.event_seq, "at": at.astimezone(dt.UTC).isoformat(), "actor": "test:clerk",
                           "action": step.trigger, "from": source, "to": outcome.state}  # fmt: skip


@pytest.mark.parametrize("step", TRANSITIONS)
def test_every_transition_of_the_table_fires_from_each_of_its_states(db: Database, rules: Rules, step: Step) -> None:
    """Every row of CANDIDACY_STEPS (its rule id is in the test id), from each of its source states.

    A fresh candidacy per source state (each from its own association, N5), brought there by
    the real actions (:func:`reached`), fires the trigger with a valid payload at a time the
    step's window allows; it lands on the row's destination, or stays where it was for a
    record-only step.
    """
    walked = reached(db, rules)
    world = walked.world
    assert len(step.source) <= len(world.associations)
    # A step of the public record (record_registration) is taken only in an import of that record.
    recording = schemas.from_the_record if step.by == "record" else contextlib.nullcontext
    for source in step.source:
        try:
            with recording():
                _fire_from(world, step, source, *walked.at[_route(step, source)])
        except Exception as err:
            raise AssertionError(f"{step.trigger} from {source}: {err!r}") from err


def test_the_table_covers_every_state_and_every_step_is_declared_whole() -> None:
    """Each state is the source or the destination of a row; each step names its payload, its officer's
    words, and (if it changes the state) what the public history says; a record step names what it writes."""
    touched = {s for step in CANDIDACY_STEPS for s in (*step.source, step.dest) if s}
    assert touched == set(STATES)
    assert all(not machines.steps_from(state) for state in FINAL)
    for step in (*CANDIDACY_STEPS, *machines.ELECTION_STEPS):
        assert step.title and issubclass(step.schema, Schema), step.trigger
    for step in CANDIDACY_STEPS:
        assert bool(step.done) == (step.dest is not None), step.trigger
        assert step.dest is not None or step.record is not None, f"{step.trigger} changes nothing and records nothing"
    assert set(machines.TRIGGER_SCHEMAS) == set(TRIGGERS)


def test_the_rows_of_one_trigger_are_one_action() -> None:
    """A trigger routed to several rows (by state, by the decision appealed, by rule) is one action: a
    second row that named another payload, recorder or title would be refused when the table is read."""
    from dataclasses import replace

    withdraw = [step for step in CANDIDACY_STEPS if step.trigger == "withdraw"]
    assert {step.rule for step in withdraw} == {"G7", "V5"}
    machines._one_declaration(tuple(withdraw), "schema", "record", "by", "title", "done")
    for field, value in (("title", "Withdraw"), ("record", None), ("by", "clerk")):
        with pytest.raises(ValueError, match=f"withdraw: its rows disagree on {field}"):
            machines._one_declaration((withdraw[0], replace(withdraw[1], **{field: value})),
                                      "schema", "record", "by", "title", "done")  # fmt: skip


# --- forbidden transitions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        pytest.param("nominated", "register", id="G2-register-from-nominated"),
        pytest.param("declarations_filed", "submit_documents", id="D6-submit-from-declarations_filed"),
        pytest.param("registered", "appeal", id="G6-appeal-from-registered"),
        pytest.param("registered", "refuse", id="G3-refuse-from-registered"),
        pytest.param("refused", "uphold_appeal", id="G6-uphold-without-an-appeal"),
        pytest.param("withdrawn", "withdraw", id="G7-withdraw-from-withdrawn"),
        pytest.param("revoked", "file_declarations", id="G7-file-from-revoked"),
        pytest.param("refused_final", "appeal", id="G6-appeal-from-refused_final"),
        pytest.param("cancelled_final", "uphold_appeal", id="G6-uphold-from-cancelled_final"),
        pytest.param("registered", "elect_president", id="unknown-trigger"),
    ],
)
def test_a_forbidden_transition_is_refused_naming_the_trigger_and_the_state(
    db: Database, rules: Rules, state: str, trigger: str
) -> None:
    """NotAllowed names both the trigger and the state; the candidacy does not change (G2, G3, G6, G7)."""
    world, candidacy, at = reached(db, rules).an_hour_after(state)
    before = state_of(world, candidacy)

    with pytest.raises(NotAllowed) as refused:
        world.act(candidacy, trigger, paper(world, "withdraw", at), at=at)

    assert (refused.value.trigger, refused.value.state) == (trigger, state)
    assert trigger in str(refused.value)
    assert state in str(refused.value)
    assert state_of(world, candidacy) == before


@pytest.mark.parametrize("state", sorted(FINAL))
def test_nothing_leaves_a_final_state(state: str, rules: Rules) -> None:
    """G6/G7: withdrawn, revoked, refused_final and cancelled_final are final: every trigger is refused."""
    calendar = compute(ANNOUNCED, ELECTION_DAY, rules)
    assert machines.allowed_triggers(state, calendar, calendar.registration_opens + HOUR) == []
    for trigger in TRIGGERS:
        with pytest.raises(NotAllowed) as refused:
            machines.step_for(trigger, state)
        assert (refused.value.trigger, refused.value.state) == (trigger, state)


# --- guards explain themselves -------------------------------------------------------------


def test_register_lists_every_unmet_rule_with_its_reason(world: World) -> None:
    """G2/G3: a registration refused names every ground at once: E2 (too young), D4 (signatures), D5 (contribution)."""
    too_young = ELECTION_DAY.replace(year=ELECTION_DAY.year - 40) + dt.timedelta(days=1)  # 39 on election day
    candidacy = world.nominate(birth_date=too_young.isoformat())
    at = world.walk(candidacy, "medical_check") + HOUR
    day = world.calendar.local(at).date()
    due = world.rules.contribution_due_on(day)
    at = record_papers(
        world, candidacy, at,
        record_contribution=[{"amount": due - 1, "paid_on": day.isoformat(), "receipt_number": "P-1"}],
        record_signature_protocol=[{"region": "AST", "commission": "TEC Astana", "signed_on": day.isoformat(),
                                    "submitted": 900, "valid": 800}],
    )  # fmt: skip
    at += HOUR
    world.act(candidacy, "submit_documents", {}, at=at)
    before = state_of(world, candidacy)

    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, "register", paper(world, "register", at), at=at + HOUR)

    unmet = refused.value.unmet
    assert refused.value.trigger == "register"
    assert sorted({u.rule for u in unmet}) == ["D4", "D5", "E2"]
    assert all(u.reason for u in unmet)
    reasons = {u.rule: [x.reason for x in unmet if x.rule == u.rule] for u in unmet}
    assert any("40" in reason for reason in reasons["E2"])
    assert reasons["D4"] == [
        "800 valid signatures, 121,000 needed (1% of 12,100,000 voters)",
        "0 regions hold at least 4,322 valid signatures each, 14 needed",
    ]
    assert reasons["D5"] == [f"{due - 1:,} tenge paid on {day.isoformat()}, {due:,} due (50 x 85,000)"]
    # The API's body keeps each rule and its English reason, and adds the message id and its parameters.
    body = refused.value.as_dict()["unmet"]
    assert [{"rule": u["rule"], "reason": u["reason"]} for u in body] == [{"rule": u.rule, "reason": u.reason} for u in unmet]
    assert [u["message"] for u in body] == ["E2.too_young", "D4.too_few_signatures", "D4.too_few_regions", "D5.too_little"]
    assert body[0]["params"]["min_age"] == 40 and isinstance(body[0]["params"]["day"], str)
    assert all(f"{u.rule}: {u.reason}" in str(refused.value) for u in unmet)
    # Nothing of the refused decision is kept: no decision, no certificate, same state and version.
    assert state_of(world, candidacy) == before
    with world.db.reading() as session:
        assert session.scalar(select(func.count(Decision.id)).where(Decision.candidacy_id == candidacy)) == 0
        assert session.scalar(select(func.count(Certificate.id))) == 0


@pytest.mark.parametrize(
    ("appealed_against", "final"),
    [("refused", "refused_final"), ("registration_cancelled", "cancelled_final")],
)
def test_g6_dismissing_an_appeal_makes_the_appealed_decision_final(
    db: Database, rules: Rules, appealed_against: str, final: str
) -> None:
    """G6: the court's dismissal lands on refused_final or cancelled_final according to what was appealed."""
    world, candidacy, at = reached(db, rules).an_hour_after(appealed_against)
    world.act(candidacy, "appeal", paper(world, "appeal", at), at=at)

    outcome = world.act(candidacy, "dismiss_appeal", paper(world, "dismiss_appeal", at), at=at + HOUR)

    assert outcome.state == final
    with world.db.reading() as session:
        appeal = session.scalar(select(Appeal).where(Appeal.candidacy_id == candidacy))
        assert appeal is not None
        assert (appeal.against, appeal.outcome) == (appealed_against, "dismissed")
        decision = session.scalar(select(Decision).where(Decision.candidacy_id == candidacy, Decision.kind == "dismiss_appeal"))
        assert decision is not None and decision.body == "Supreme Court"


@pytest.mark.parametrize(("decision", "final"), [("refused", "refused_final"), ("registration_cancelled", "cancelled_final")])
def test_g6_close_appeal_window_waits_for_the_window_to_lapse(db: Database, rules: Rules, decision: str, final: str) -> None:
    """G6/T2: the appeal window ends at 24:00 local of the 10th day; before that the decision is not final."""
    walked = reached(db, rules)
    world = walked.world
    candidacy, decided_at = walked.at[(decision, None)]
    due = actions.show_candidacy(world.db, candidacy, at=decided_at)["deadlines"][0]
    lapses = dt.datetime.fromisoformat(due["due_at"])
    expected = world.calendar.local(decided_at).date() + dt.timedelta(days=world.rules.G6.appeal_days + 1)
    assert due["kind"] == "appeal_window"
    assert due["due_local"] == f"{expected.isoformat()}T00:00:00+05:00"

    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, "close_appeal_window", {}, at=lapses - SECOND)
    assert [u.rule for u in refused.value.unmet] == ["G6"]
    assert f"open until {expected.isoformat()} 00:00 +0500" in refused.value.unmet[0].reason
    assert state_of(world, candidacy)[0] == decision

    assert world.act(candidacy, "close_appeal_window", {}, at=lapses).state == final


def test_g6_an_appeal_is_accepted_until_the_window_lapses_and_not_after(world: World) -> None:
    """G6: an appeal one second before the window ends is filed; one at its end is refused with G6."""
    late, in_time = world.nominate(), world.nominate(world.associations[1])
    world.walk(late, "refused")
    decided_at = world.walk(in_time, "refused")
    lapses = dt.datetime.fromisoformat(actions.show_candidacy(world.db, late, at=decided_at)["deadlines"][0]["due_at"])

    with pytest.raises(GuardFailed) as refused:
        world.act(late, "appeal", paper(world, "appeal", lapses), at=lapses)
    assert [u.rule for u in refused.value.unmet] == ["G6"]
    assert "closed at" in refused.value.unmet[0].reason

    assert world.act(in_time, "appeal", paper(world, "appeal", lapses), at=lapses - SECOND).state == "appealed"


# --- phase gates ---------------------------------------------------------------------------


def test_n2_nomination_closes_at_18_00_local_two_months_before_election_day(world: World) -> None:
    """N2/T1: nominating at exactly 18:00:00 local is refused; one second earlier is accepted."""
    closes = world.calendar.nomination_closes
    assert world.calendar.local(closes).strftime("%Y-%m-%d %H:%M:%S %z") == "2029-09-25 18:00:00 +0500"

    with pytest.raises(GuardFailed) as refused:
        world.nominate(world.associations[0], at=closes)
    assert [u.rule for u in refused.value.unmet] == ["N2"]
    assert "2029-09-25 18:00 +0500" in refused.value.unmet[0].reason

    candidacy = world.nominate(world.associations[0], at=closes - SECOND)
    assert state_of(world, candidacy) == ("nominated", 1)


def test_n2_nomination_does_not_open_before_the_day_after_the_announcement(world: World) -> None:
    """N2: at 23:59:59 on the announcement day nomination is not open yet; at 00:00 the next day it is."""
    opens = world.calendar.nomination_opens
    assert world.calendar.local(opens).isoformat() == "2029-08-25T00:00:00+05:00"
    with pytest.raises(GuardFailed) as refused:
        world.nominate(at=opens - SECOND)
    assert [u.rule for u in refused.value.unmet] == ["N2"]
    assert "announced phase" in refused.value.unmet[0].reason
    assert world.nominate(at=opens) > 0


def test_g1_a_registration_decision_after_registration_closes_is_refused(world: World) -> None:
    """G1: registration closes at 18:00 local, 40 days before election day; register at that instant is refused."""
    closes = world.calendar.registration_closes
    assert world.calendar.local(closes).isoformat() == "2029-10-16T18:00:00+05:00"
    late, in_time = world.nominate(), world.nominate(world.associations[1])
    world.walk(late, "documents_submitted")
    world.walk(in_time, "documents_submitted")

    with pytest.raises(GuardFailed) as refused:
        world.act(late, "register", paper(world, "register", closes), at=closes)
    assert [u.rule for u in refused.value.unmet] == ["G1"]
    with pytest.raises(GuardFailed) as refused:
        world.act(late, "refuse", paper(world, "refuse", closes), at=closes + HOUR)
    assert [u.rule for u in refused.value.unmet] == ["G1"]
    assert state_of(world, late)[0] == "documents_submitted"

    assert world.act(in_time, "register", paper(world, "register", closes), at=closes - SECOND).state == "registered"


def test_g1_allowed_triggers_follow_the_phase(world: World) -> None:
    """G1: the decision triggers are offered in the registration phase and not after it closes."""
    closes = world.calendar.registration_closes
    open_now = machines.allowed_triggers("documents_submitted", world.calendar, closes - SECOND)
    closed = machines.allowed_triggers("documents_submitted", world.calendar, closes)
    assert {"register", "refuse"} <= set(open_now)
    assert not {"register", "refuse", "record_document"} & set(closed)
    assert {"withdraw", "revoke_nomination", "send_information_request"} <= set(closed)


@pytest.mark.parametrize(
    ("milestone", "offset", "phase"),
    [
        ("nomination_opens", -SECOND, "announced"),
        ("nomination_opens", dt.timedelta(0), "nomination"),
        ("registration_opens", -SECOND, "nomination"),
        ("registration_opens", dt.timedelta(0), "registration"),
        ("nomination_closes", dt.timedelta(0), "registration"),
        ("registration_closes", -SECOND, "registration"),
        ("registration_closes", dt.timedelta(0), "campaign"),
        ("voting_opens", -SECOND, "campaign"),
        ("voting_opens", dt.timedelta(0), "voting"),
        ("voting_closes", -SECOND, "voting"),
        ("voting_closes", dt.timedelta(0), "counting"),
    ],
)
def test_phase_at_follows_the_calendar(rules: Rules, milestone: str, offset: dt.timedelta, phase: str) -> None:
    """N2, G1, V2: the election's phase at each milestone, and one second before it."""
    calendar = compute(ANNOUNCED, ELECTION_DAY, rules)
    moment = calendar.milestones()[milestone]
    assert isinstance(moment, dt.datetime)
    assert machines.phase_at(calendar, moment + offset) == phase


# --- the diagram ---------------------------------------------------------------------------


def test_mermaid_shows_every_state_and_every_transition_with_its_rule() -> None:
    """The diagram the lawyers read: each state, and each arrow labelled with its trigger and rule id."""
    diagram = machines.mermaid()
    assert diagram.lstrip().startswith("---") or "stateDiagram" in diagram
    for state in STATES:
        assert f'state "{state}" as {state}' in diagram
    arrows = {}
    for line in diagram.splitlines():
        if " --> " in line and ": " in line:
            ends, labels = line.strip().split(": ", 1)
            arrows[ends] = labels.split(" | ")  # two steps between the same states share one arrow
    for step in CANDIDACY_STEPS:
        if step.dest is None:
            continue
        for source in step.source:
            assert f"{step.trigger} [{step.rule}]" in arrows[f"{source} --> {step.dest}"]
