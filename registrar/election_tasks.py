"""An election's own steps as a task list: the CEC's actions on its calendar and figures (V1, N7,
D4) and the decisions after the vote (V4-V7), each to do (it could succeed now, given a valid
payload) or not yet possible, with the unmet rules that say why.

Nothing here writes. The actions' refusals that do not depend on what is typed are read as the
actions read them (:mod:`registrar.actions`: V1's calendar closes once the vote is counted;
N7 reopens nomination only after registration closed with too few registered); a decision
after the vote is possible in the phases its rows of :data:`registrar.machines.ELECTION_STEPS`
start from, and listed while the election may still reach one of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy.orm import Session

from registrar import conditions, machines, states
from registrar.actions import calendar_of, now
from registrar.db import Database
from registrar.eligibility import Unmet
from registrar.models import Election
from registrar.records import election_row
from registrar.rules import Rules
from registrar.rules_in_force import of_election
from registrar.task_list import CANNOT_START, TO_DO, Task

# The phases the clock moves an election through after the vote (the second round's hours, V2).
BY_THE_HOURS = {"second_round": "second_round_voting", "second_round_voting": "second_round_counting"}
# The election's own actions, by the rule each applies (an election whose rules lack it has no such step).
ACTIONS = {"set_milestone": "V1", "extend_nomination": "N7", "record_voter_count": "D4"}


def actions(db: Database, election_id: str, names: Collection[str], *, at: dt.datetime | None = None) -> list[Task]:
    """The actions of ``names`` (those a role may take) the election's rules have, in :data:`ACTIONS`' order."""
    at = at or now()
    with db.reading() as session:
        election = election_row(session, election_id)
        rules = of_election(election)
        out = []
        for name, rule in ACTIONS.items():
            if name in names and rules.has(rule):
                unmet = tuple(_action_unmet(session, election, rules, name, at))
                out.append(Task(name, rule, name, CANNOT_START if unmet else TO_DO, unmet))
        return out


def action_unmet(db: Database, election_id: str, name: str, *, at: dt.datetime | None = None) -> list[Unmet]:
    """What stands in the way of the election's action ``name`` now, whatever is typed (empty: it could succeed)."""
    at = at or now()
    with db.reading() as session:
        election = election_row(session, election_id)
        return _action_unmet(session, election, of_election(election), name, at)


def _action_unmet(session: Session, election: Election, rules: Rules, name: str, at: dt.datetime) -> list[Unmet]:
    calendar = calendar_of(election)
    phase = machines.current_phase(election, calendar, at)
    if name == "set_milestone" and phase in states.AFTER_COUNT:
        return [Unmet.because("V1", "V1.calendar_closed", phase=phase)]
    if name != "extend_nomination":
        return []
    return conditions.extension_unmet(session, election, rules, calendar, at)


def decisions(db: Database, election_id: str, triggers: Collection[str], *, at: dt.datetime | None = None) -> list[Task]:
    """The decisions on the election of ``triggers`` (those a role may take), in the machine's order:
    to do in the phases they start from; else not yet possible while the election may still reach
    one of those phases (a decision it never can is not listed)."""
    at = at or now()
    with db.reading() as session:
        election = election_row(session, election_id)
        rules = of_election(election)
        phase = machines.current_phase(election, calendar_of(election), at)
    reachable = _reachable(phase)
    out = []
    for trigger in machines.ELECTION_TRIGGERS:
        rows = [s for s in machines.ELECTION_STEPS if s.trigger == trigger and s.by != "system" and rules.has(s.rule)]
        if trigger not in triggers or not rows:
            continue
        sources = list(dict.fromkeys(p for s in rows for p in s.source))
        if phase in sources:
            out.append(Task(trigger, rows[0].rule, rows[0].title, TO_DO))
        elif reachable.intersection(sources):
            unmet = (Unmet.because(rows[0].rule, "task.wrong_phase", phases=sources, phase=phase),)
            out.append(Task(trigger, rows[0].rule, rows[0].title, CANNOT_START, unmet))
    return out


def decision_unmet(db: Database, election_id: str, trigger: str, *, at: dt.datetime | None = None) -> list[Unmet]:
    """What stands in the way of the decision ``trigger`` now, whatever is typed: the election's phase,
    or rules without it (empty: it could be taken; its conditions are checked with its payload)."""
    at = at or now()
    with db.reading() as session:
        election = election_row(session, election_id)
        rules = of_election(election)
        phase = machines.current_phase(election, calendar_of(election), at)
    rows = [s for s in machines.ELECTION_STEPS if s.trigger == trigger and s.by != "system"]
    applying = [s for s in rows if rules.has(s.rule)]
    if not applying:
        return [Unmet.because(rows[0].rule, "task.no_rule", title=rules.title, rule_id=rows[0].rule)] if rows else []
    sources = list(dict.fromkeys(p for s in applying for p in s.source))
    return [] if phase in sources else [Unmet.because(applying[0].rule, "task.wrong_phase", phases=sources, phase=phase)]


def _reachable(phase: str) -> set[str]:
    """The phases the election may still reach from ``phase`` (itself excluded) by its decisions and hours."""
    later = set(states.PHASES[states.PHASES.index(phase) + 1 :]) if phase in states.BEFORE_COUNT else set()
    seen, todo = set(later), [phase, *later]
    while todo:
        here = todo.pop()
        following = [s.dest for s in machines.ELECTION_STEPS if here in s.source]
        for there in [*following, *([BY_THE_HOURS[here]] if here in BY_THE_HOURS else [])]:
            if there not in seen:
                seen.add(there)
                todo.append(there)
    seen.discard(phase)
    return seen
