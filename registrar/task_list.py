"""A candidacy's steps as a task list: each step done, to do (it could succeed now) or not yet
possible, with the unmet rules that say why; and a step's payload checked as the action would
check it, without performing it (the "check your answers" page comes before the decision).

Nothing here writes. What could succeed is read from the same table the action fires
(:data:`registrar.machines.CANDIDACY_STEPS`): the step's source states, its window, its
routing and its conditions, evaluated on the stored records as of ``at``. A condition whose
records the step's own payload brings (the declarations the step files) cannot be judged
before the payload is there: such a step is to do when its state and window allow it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registrar import audit, machines, reasons, schemas
from registrar import conditions as law
from registrar.actions import calendar_of, now
from registrar.calendar import local_date
from registrar.conditions import Context, ElectionContext
from registrar.db import Database
from registrar.eligibility import Unmet
from registrar.errors import GuardFailed, NotAllowed, StaleVersion
from registrar.models import Candidacy, Contribution, Declaration, InformationRequest, LanguageConclusion, MedicalConclusion
from registrar.records import candidacy_row, election_row
from registrar.results.decisions import PREPARE
from registrar.rules import Rules
from registrar.rules_in_force import of_election

DONE, TO_DO, CANNOT_START = "done", "to_do", "cannot_start"

# Conditions met or not by the step's own payload: its recorder writes what they read.
MET_BY_PAYLOAD: dict[str, tuple[law.Condition, ...]] = {"file_declarations": (law.declarations_filed,)}

# Records the law asks for once: once there, the step that records them is done (its recorder refuses a second).
ONCE: dict[str, type[Any]] = {
    "record_medical_conclusion": MedicalConclusion,
    "record_language_conclusion": LanguageConclusion,
    "record_contribution": Contribution,
}

# The person's facts the eligibility rules (E1-E9) read, in the order the register page shows them.
ELIGIBILITY_FACTS = ("birth_date", "citizen_by_birth", "resident_since", "education_level", "public_service_months",
                     "legally_incompetent", "detained_by_court_order", "unexpunged_criminal_record",
                     "presidential_terms_served", "married")  # fmt: skip


@dataclass(frozen=True)
class Task:
    """One step of the candidacy for the task list: ``status`` is done, to_do or cannot_start;
    ``unmet`` what stands in the way now (empty when it could succeed), ``taken`` how often it was taken."""

    trigger: str
    rule: str
    title: str
    status: str
    unmet: tuple[Unmet, ...] = ()
    taken: int = 0


@dataclass(frozen=True)
class ConditionStatus:
    """One of a step's conditions as of now: its rule ids, what the law requires (the catalogues'
    ``requires.<condition>`` with its parameters) and what is unmet (empty: met)."""

    rule: str
    unmet: tuple[Unmet, ...] = ()
    requirement: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return not self.unmet

    def requires(self, language: str) -> str:
        """What the law requires, in ``language``: the condition's words, else its rule id."""
        return reasons.render(self.requirement, self.params, language) if self.requirement else self.rule


@dataclass(frozen=True)
class Decision:
    """What the decider must see before a step: its conditions one by one, and the person's facts."""

    conditions: tuple[ConditionStatus, ...]
    facts: dict[str, Any] = field(default_factory=dict)


def tasks(db: Database, candidacy_id: int, triggers: Collection[str], *, at: dt.datetime | None = None) -> list[Task]:
    """The steps of ``triggers`` (those a role may take) the election's rules have, in the table's order."""
    at = at or now()
    with db.reading() as session:
        ctx = _context(session, candidacy_row(session, candidacy_id), at)
        taken: dict[str, int] = {}
        for event in audit.history(session, "candidacy", candidacy_id):
            taken[event.action] = taken.get(event.action, 0) + 1
        reachable = _reachable(ctx.candidacy.state)
        out = []
        for trigger in machines.TRIGGERS:
            rows = [s for s in machines.CANDIDACY_STEPS if s.trigger == trigger and s.applies(ctx.rules)]
            if trigger not in triggers or not rows:
                continue
            unmet, recorded = _standing_in_the_way(ctx, rows), _recorded(ctx, trigger)
            times = taken.get(trigger, 0)
            if not times and not reachable.intersection(s for row in rows for s in row.source):
                continue  # never taken and never to be: a final state's list is what was done
            status = TO_DO if not unmet and not recorded else DONE if times or recorded else CANNOT_START
            out.append(Task(trigger, rows[0].rule, rows[0].title, status, tuple(() if status == DONE else unmet), times))
        return out


def could_succeed(db: Database, candidacy_id: int, trigger: str, *, at: dt.datetime | None = None) -> list[Unmet]:
    """What stands in the way of ``trigger`` now (empty: it could succeed, given a valid payload)."""
    at = at or now()
    with db.reading() as session:
        ctx = _context(session, candidacy_row(session, candidacy_id), at)
        return _standing_in_the_way(ctx, [s for s in machines.CANDIDACY_STEPS if s.trigger == trigger])


def check(db: Database, candidacy_id: int, trigger: str, payload: dict[str, Any], *, expected_version: int | None,
          at: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """The payload as the action would load it, if the action could succeed now; else the error
    the action would raise (StaleVersion, NotAllowed, InvalidPayload, GuardFailed). Writes nothing."""
    at = at or now()
    with db.reading() as session:
        candidacy = candidacy_row(session, candidacy_id)
        if expected_version is not None and candidacy.version != expected_version:
            raise StaleVersion(expected_version, candidacy.version)
        step = machines.step_for(trigger, candidacy.state)
        ctx = _context(session, candidacy, at, trigger)
        if not step.applies(ctx.rules):
            raise NotAllowed(trigger, candidacy.state, f"{trigger!r}: the {ctx.rules.title} rules have no {step.rule}")
        data = schemas.load(step.schema, payload, ctx.rules)
        unmet = _standing_in_the_way(ctx, [s for s in machines.CANDIDACY_STEPS if s.trigger == trigger])
        if "decided_on" in data:  # what the action checks of the decision it records: its date, within its window
            window = machines.window_for(step, machines.reinstated(candidacy))
            opened = machines.decision_opens(window, ctx.calendar)
            unmet += law.dated_within(step.rule, data["decided_on"], local_date(at, ctx.rules), opened)
        if unmet:
            raise GuardFailed(trigger, unmet)
        return data


def before_deciding(db: Database, candidacy_id: int, trigger: str, *, at: dt.datetime | None = None) -> Decision:
    """Each condition of ``trigger``'s step from the candidacy's state, met or not, with the person's facts
    (the eligibility rules one by one: E1-E9 as the rules have them)."""
    at = at or now()
    with db.reading() as session:
        candidacy = candidacy_row(session, candidacy_id)
        ctx = _context(session, candidacy, at, trigger)
        rows = [s for s in machines.CANDIDACY_STEPS if s.trigger == trigger and candidacy.state in s.source]
        statuses: list[ConditionStatus] = []
        for condition in rows[0].conditions if rows else ():
            unmet = condition(ctx)
            if condition is law.eligible:
                rules = [f"E{n}" for n in range(1, 10) if ctx.rules.has(f"E{n}")]
                statuses += [ConditionStatus(r, tuple(u for u in unmet if u.rule == r), f"requires.{r}",
                                             requirement_params(r, ctx.rules)) for r in rules]  # fmt: skip
            else:
                statuses.append(ConditionStatus(_rule_of(condition, unmet), tuple(unmet), requirement_of(condition)))
        person = candidacy.person
        return Decision(tuple(statuses), {name: getattr(person, name) for name in ELIGIBILITY_FACTS})


def _reachable(state: str) -> set[str]:
    """The states the candidacy may still reach from ``state`` (itself included), by the table's steps."""
    seen, todo = {state}, [state]
    while todo:
        here = todo.pop()
        for step in machines.steps_from(here):
            if step.dest is not None and step.dest not in seen:
                seen.add(step.dest)
                todo.append(step.dest)
    return seen


def _context(session: Session, candidacy: Candidacy, at: dt.datetime, trigger: str = "") -> Context:
    election = candidacy.election
    return Context(session, of_election(election), calendar_of(election), election, candidacy, at, trigger)


def _standing_in_the_way(ctx: Context, rows: list[machines.Step]) -> list[Unmet]:
    """What the machine would refuse the step for, read as it reads it: the state, the routing,
    the window, the conditions; and what its recorder would refuse whatever the payload."""
    candidacy, rules = ctx.candidacy, ctx.rules
    applying = [s for s in rows if s.applies(rules)]
    if not applying:
        return [Unmet.because(rows[0].rule, "task.no_rule", title=rules.title, rule_id=rows[0].rule)] if rows else []
    here = [s for s in applying if candidacy.state in s.source and (s.when is None or s.when(ctx))]
    if not here:
        sources = list(dict.fromkeys(state for s in applying for state in s.source))
        return [Unmet.because(applying[0].rule, "task.wrong_state", states=sources, state=candidacy.state)]
    step = here[0]
    window = machines.window_for(step, machines.reinstated(candidacy))
    phase = machines.current_phase(ctx.election, ctx.calendar, ctx.at)
    unmet = machines.window_unmet(window, ctx.calendar, ctx.at, phase, rules) if window else []
    judged_later = MET_BY_PAYLOAD.get(step.trigger, ())
    for condition in step.conditions:
        if condition not in judged_later:
            unmet += condition(ctx)
    return unmet + _recorder_refuses(ctx, step.trigger)


def _recorder_refuses(ctx: Context, trigger: str) -> list[Unmet]:
    """What a step's recorder refuses whatever is typed: an answer with no request awaiting one (D2)."""
    needs: dict[str, Callable[[], list[Unmet]]] = {
        "answer_information_request": lambda: [] if _unanswered(ctx) else [Unmet.because("D2", "D2.no_request_waiting")],
        "record_declaration_verification": lambda: [] if ctx.every(Declaration) else [Unmet.because("G4", "G4.no_declaration")],
    }
    return needs[trigger]() if trigger in needs else []


def _unanswered(ctx: Context) -> bool:
    found = ctx.session.scalar(
        select(InformationRequest.id).where(
            InformationRequest.candidacy_id == ctx.candidacy.id, InformationRequest.answered_at.is_(None)
        )
    )
    return found is not None


def _recorded(ctx: Context, trigger: str) -> bool:
    """The step has nothing left to record: a record kept once is there, every document, every verification."""
    if trigger in ONCE:
        return ctx.one(ONCE[trigger]) is not None
    if trigger == "record_document":
        return all(law._has_document(ctx, kind) for kind in ctx.rules.value("D6.documents", []))
    if trigger == "record_declaration_verification":
        declarations = ctx.every(Declaration)
        return bool(declarations) and all(d.verification != "pending" for d in declarations)
    return False


def requirement_of(condition: Callable[..., Any]) -> str:
    """The message id of what a condition requires: ``requires.<its name>`` (the catalogues' [reasons])."""
    return f"requires.{getattr(condition, '__name__', '')}"


def requirement_params(rule: str, rules: Rules) -> dict[str, Any]:
    """The numbers an eligibility requirement names, as the election kind's rules set them."""
    if rule == "E2":
        return {"min_age": rules.E2.min_age_years}
    if rule == "E4":
        return {"years": rules.E4.residence_years}
    if rule == "E6":
        return {"years": rules.E6.service_years}
    return {}


RULE_ID = re.compile(r"^([A-Z]\d+(?:-[A-Z]\d+)?)")


def _rule_of(condition: law.Condition, unmet: list[Unmet]) -> str:
    """The rule a condition enforces: its unmet rule, else the one its docstring opens with."""
    if unmet:
        return ", ".join(dict.fromkeys(u.rule for u in unmet))
    found = RULE_ID.match((condition.__doc__ or "").strip())
    return found.group(1) if found else getattr(condition, "__name__", "")


def check_election(db: Database, election_id: str, trigger: str, payload: dict[str, Any], *,
                   expected_version: int | None, at: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """A decision on the election (V4-V7) checked as :func:`registrar.results.perform_election` checks
    it: the version, the phase, the payload, what the protocols decide and the conditions of the row
    it would take; its payload as loaded, or the error it would raise. Writes nothing."""
    at = at or now()
    with db.reading() as session:
        election = election_row(session, election_id)
        if expected_version is not None and election.version != expected_version:
            raise StaleVersion(expected_version, election.version)
        rules, calendar = of_election(election), calendar_of(election)
        phase = machines.current_phase(election, calendar, at)
        machines.election_step_for(trigger, phase)
        data = schemas.load(machines.ELECTION_SCHEMAS[trigger], payload, rules)
        ctx = ElectionContext(session, rules, calendar, election, at, phase, trigger, data)
        if trigger in PREPARE:
            PREPARE[trigger](ctx)
        unmet: list[Unmet] = []
        for step in machines.ELECTION_STEPS:  # the rows in the machine's order; the first whose conditions hold is taken
            if step.trigger != trigger or phase not in step.source or (step.when is not None and not step.when(ctx)):
                continue
            if not rules.has(step.rule):
                unmet.append(Unmet.because(step.rule, "task.no_rule", title=rules.title, rule_id=step.rule))
                continue
            found = law.election_decision_dated(ctx, step.rule) + [u for c in step.conditions for u in c(ctx)]
            if not found:
                return data
            unmet += found
        raise GuardFailed(trigger, unmet)
