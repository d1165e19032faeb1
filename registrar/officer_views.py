"""What the officers' pages read: the dashboard, a candidacy's records, whose notifications an
officer reads, an election after the vote (its protocols, decisions and refunds), and what the
forms choose from (the associations that may nominate, a candidacy's records, the round being
counted), as plain data: the web builds the forms' fields from the payload schemas (:mod:`web.questions`).

Nothing here changes anything; the pages change things through :mod:`registrar.actions`.
Every list is bounded, so a page costs the same with a thousand candidacies or a hundred thousand.
"""

from __future__ import annotations

import datetime as dt
import functools
from fractions import Fraction
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, select, union_all
from sqlalchemy.orm import joinedload

from registrar import audit, deadlines, duties, machines, results, roles, states, tally, territory
from registrar.actions import calendar_of
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import (
    Appeal,
    Association,
    AuditEvent,
    Candidacy,
    Deadline,
    Declaration,
    Election,
    InformationRequest,
    Person,
)
from registrar.names import InLanguages
from registrar.records import candidacy_row, election_row
from registrar.rules import Rules, for_kind, kinds
from registrar.rules_in_force import described, of_election

LIMIT = 100
SOON = dt.timedelta(days=3)


# Roles that see every deadline and every candidacy (they read; they have no queue of their own).
SEE_ALL = frozenset({"auditor", "admin"})


# --- The dashboard ---------------------------------------------------------------------------


def deadline_kinds(role: str | None = None) -> list[str]:
    """The kinds of deadline that are someone's duty (``role``: that role's; the roles that see all, every one)."""
    return duties.kinds_for(None if role in SEE_ALL else role)


def duty_rules(role: str | None = None) -> list[str]:
    """The rules under which the role owes something, in the order the kinds are declared."""
    return list(dict.fromkeys(deadlines.DEADLINES[k].rule for k in deadline_kinds(role)))


# Whose duties a dashboard lists: the role's, those the officer took, or everyone's.
SCOPES = ("role", "mine", "all")


def duties_of(
    db: Database, role: str, *, at: dt.datetime, kind: str | None = None, election: str | None = None,
    horizon: dt.timedelta | None = SOON, scope: str = "role", login: str | None = None, rule: str | None = None,
    state: str | None = None, status: duties.Status | None = None, limit: int = LIMIT,
) -> list[dict[str, Any]]:  # fmt: skip
    """The role's duties (:mod:`registrar.duties`): the overdue first, the latest first, however
    long ago they fell due and whatever the sweep recorded, until their step is taken; then those
    due within ``horizon`` (None: all).

    ``scope``: "role" (the role's own; a role that sees all sees everyone's), "mine" (those
    ``login`` took), "all" (everyone's). Filters: ``kind``, ``election``, ``rule``, ``state`` (the
    candidacy's state or the election's phase now), ``status`` (due, overdue). Each row has
    ``remaining`` (negative: overdue), ``late_by`` (None unless overdue) and ``taken_by``.
    """
    with db.reading() as session:
        found = _duties_of(session, role, at=at, kind=kind, election=election, horizon=horizon, scope=scope,
                           login=login, rule=rule, state=state, status=status, limit=limit)  # fmt: skip
        return _duty_rows(found, _names(session, _candidacy_ids(found)), at)


def _duties_of(
    session: Any, role: str, *, at: dt.datetime, kind: str | None, election: str | None, horizon: dt.timedelta | None,
    scope: str, login: str | None, rule: str | None, state: str | None, status: duties.Status | None, limit: int,
    phases: dict[str, str] | None = None,
) -> list[duties.Duty]:  # fmt: skip
    owner = role if scope != "all" and role not in SEE_ALL else None
    return duties.duties_in(session, role=owner, now=at, election_id=election, kind=kind, rule=rule,
                            where=(state,) if state else (), status=status, taken_by=login if scope == "mine" else None,
                            due_by=at + horizon if horizon is not None else None, limit=limit, phases=phases)  # fmt: skip


def _candidacy_ids(found: list[Any]) -> list[int]:
    return [int(d.subject_id) for d in found if d.subject_type == "candidacy"]


def _duty_rows(found: list[duties.Duty], people: dict[str, str], at: dt.datetime) -> list[dict[str, Any]]:
    return [
        {"id": d.deadline_id, "kind": d.kind, "rule": d.rule, "subject_type": d.subject_type, "subject_id": d.subject_id,
         "subject": people.get(d.subject_id, d.subject_id), "election": d.election_id, "where": d.where,
         "due_at": d.due_at, "due_local": d.due_local, "computed_from": d.computed_from, "remaining": d.due_at - at,
         "status": d.status, "overdue": d.status == "overdue", "late_by": d.late_by, "taken_by": d.taken_by}
        for d in found
    ]  # fmt: skip


# What the law does by itself at its time: the kinds whose effect is an act.
ACTS = tuple(name for name, kind in deadlines.DEADLINES.items() if not kind.owed)
_DEADLINE = cast(Table, Deadline.__table__)


def coming_up(
    db: Database, *, at: dt.datetime, election: str | None = None, horizon: dt.timedelta | None = SOON, limit: int = LIMIT
) -> list[dict[str, Any]]:
    """What the law does by itself soon (a kind whose effect is an act: a milestone passing, a window
    closing), nobody's duty but everyone's to know: the pending rows due within ``horizon`` (None: all)."""
    with db.reading() as session:
        rows = _coming_rows(session, at=at, election=election, horizon=horizon, limit=limit)
        return _coming(rows, _names(session, _candidacy_ids(rows)), at)


def _coming_rows(session: Any, *, at: dt.datetime, election: str | None, horizon: dt.timedelta | None, limit: int) -> list[Any]:
    values = {"at": at, "until": at + horizon if horizon is not None else None, "election": election, "limit": limit}
    query = _coming_read(horizon is not None, election is not None)
    return list(session.execute(query, {name: value for name, value in values.items() if value is not None}))


@functools.cache
def _coming_read(until: bool, by_election: bool) -> Any:
    """The read of :func:`coming_up`, built once for each shape of its filters (the values bound when it runs)."""
    d, moment = _DEADLINE.c, _DEADLINE.c.due_at.type
    query = select(d.id, d.kind, d.rule, d.subject_type, d.subject_id, d.due_at, d.computed_from).where(
        d.status == "pending", d.kind.in_(ACTS), d.due_at > bindparam("at", type_=moment)
    )
    if until:
        query = query.where(d.due_at <= bindparam("until", type_=moment))
    if by_election:
        query = query.where(deadlines.of_election(cast(str, bindparam("election", type_=String))))
    return query.order_by(d.due_at, d.id).limit(bindparam("limit"))


def _coming(rows: list[Any], people: dict[str, str], at: dt.datetime) -> list[dict[str, Any]]:
    return [
        {"id": r.id, "kind": r.kind, "rule": r.rule, "subject_type": r.subject_type, "subject_id": r.subject_id,
         "subject": people.get(r.subject_id, r.subject_id), "due_at": r.due_at, "remaining": r.due_at - at,
         "computed_from": r.computed_from}
        for r in rows
    ]  # fmt: skip


def _names(session: Any, candidacy_ids: list[int]) -> dict[str, str]:
    if not candidacy_ids:
        return {}
    found = session.execute(
        select(Candidacy.id, Person.full_name)
        .join(Person, Candidacy.person_id == Person.id)
        .where(Candidacy.id.in_(sorted(set(candidacy_ids))))
    )
    return {str(cid): name for cid, name in found}


# Steps that may come at any time but that nobody waits for: they do not put a candidacy in a queue.
UNASKED = frozenset({"refuse", "refuse_incomplete", "cancel_registration", "withdraw", "revoke_nomination",
                     "send_information_request", "answer_information_request", "close_appeal_window"})  # fmt: skip


def states_for(role: str) -> list[str]:
    """The states in which a candidacy waits for the role (a step it takes next applies there)."""
    if role in SEE_ALL:
        return [s for s in states.STATES if s not in states.FINAL]
    mine = roles.triggers_for(role) - UNASKED
    return [s for s in states.STATES if any(step.trigger in mine for step in machines.steps_from(s))]


def candidacies_for(db: Database, role: str, *, election: str | None = None, limit: int = LIMIT) -> list[dict[str, Any]]:
    """Candidacies waiting for the role, the longest waiting first.

    One ordered, limited read per state, merged: each walks the index on (state, state_since,
    id) for its first ``limit`` rows, so the dashboard costs the same with a thousand
    candidacies as with a hundred thousand (one query over all the states sorted them all).
    """
    with db.reading() as session:
        return _candidacies_for(session, role, election=election, limit=limit)


def _candidacies_for(session: Any, role: str, *, election: str | None, limit: int) -> list[dict[str, Any]]:
    query = _waiting(role, by_election=bool(election))
    if query is None:
        return []
    rows = session.execute(query, {"limit": limit, "election": election} if election else {"limit": limit})
    return [{"id": r[0], "election": r[1], "state": r[2], "state_since": r[3], "person": r[4]} for r in rows]


@functools.cache
def _waiting(role: str, *, by_election: bool) -> Any:
    """The read of :func:`candidacies_for`, built once per role: the states it merges follow from the
    machine and the roles, and building the union of a query per state took more time than running it.

    Each state's first rows are joined to their people before the merge: joined after it, the planner
    read the whole person table into a hash whenever it guessed that cheaper than a hundred lookups
    by key (10,000 people: 2.5 ms a page)."""
    firsts = []
    for state in states_for(role):
        query = (select(Candidacy.id, Candidacy.election_id, Candidacy.state, Candidacy.state_since, Person.full_name)
                 .join(Person, Candidacy.person_id == Person.id))  # fmt: skip
        if by_election:
            query = query.where(Candidacy.election_id == bindparam("election"))
        first = (query.where(Candidacy.state == state).order_by(Candidacy.state_since, Candidacy.id)
                 .limit(bindparam("limit")).subquery())  # fmt: skip
        firsts.append(select(*first.c))
    if not firsts:
        return None
    waiting = union_all(*firsts).subquery()
    return select(*waiting.c).order_by(waiting.c.state_since, waiting.c.id).limit(bindparam("limit"))


def elections(db: Database) -> list[dict[str, Any]]:
    with db.reading() as session:
        return [_election(e) for e in _latest_elections(session)]


def _latest_elections(session: Any) -> list[Election]:
    # Their calendars' resolutions in the same read: a page asks for the phase of each.
    latest = select(Election).options(*duties.LIGHT_ELECTION, joinedload(Election.resolutions))
    return list(session.scalars(latest.order_by(Election.election_day.desc()).limit(LIMIT)).unique())


def _election(e: Election) -> dict[str, Any]:
    return {"id": e.id, "title": e.titles, "kind": e.kind, "election_day": e.election_day, "phase": e.phase}


def associations(db: Database, rules: Rules) -> list[tuple[int, str]]:
    """Associations that may nominate under ``rules`` (N1: of the kinds it names, not liquidated), by name."""
    query = select(Association).where(Association.liquidated_on.is_(None))
    if rules.has("N1"):
        query = query.where(Association.kind.in_(rules.N1.nominator_kinds))
    with db.reading() as session:
        found = session.scalars(query)
        return sorted(((a.id, a.named) for a in found), key=lambda pair: pair[1])


# --- A candidacy -----------------------------------------------------------------------------


def candidacy_records(db: Database, candidacy_id: int) -> dict[str, Any]:
    """What the action forms choose from: the information requests, declarations and appeals."""
    with db.reading() as session:
        candidacy = candidacy_row(session, candidacy_id)
        requests = session.scalars(select(InformationRequest).where(InformationRequest.candidacy_id == candidacy_id))
        declarations = session.scalars(select(Declaration).where(Declaration.candidacy_id == candidacy_id))
        appeals = session.scalars(select(Appeal).where(Appeal.candidacy_id == candidacy_id).order_by(Appeal.id))
        return {
            "kind": candidacy.election.kind,
            "title": candidacy.election.titles,
            "rules": of_election(candidacy.election),
            "rules_version": described(candidacy.election),
            "information_requests": [
                {
                    "id": r.id,
                    "organisation": r.organisation,
                    "subject": r.subject,
                    "sent_at": r.sent_at,
                    "answered_at": r.answered_at,
                    "answer": r.answer,
                }
                for r in requests
            ],
            "declarations": [
                {
                    "filer": d.filer,
                    "filed_on": d.filed_on,
                    "revenue_office": d.revenue_office,
                    "receipt_number": d.receipt_number,
                    "verification": d.verification,
                    "verified_on": d.verified_on,
                }
                for d in declarations
            ],
            "appeals": [_appeal(a) for a in appeals],
        }


def _appeal(a: Appeal) -> dict[str, Any]:
    return {
        "case_number": a.case_number,
        "against": a.against,
        "filed_at": a.filed_at,
        "outcome": a.outcome,
        "decided_at": a.decided_at,
    }


# --- Whose the inbox is ---------------------------------------------------------------------------


def recipients_for(role: str) -> list[str]:
    """Whose notifications an officer reads: the CEC's (for the CEC's roles), and the role's own."""
    cec = {"clerk", "commission", "auditor", "admin"}
    return ["cec", f"role:{role}"] if role in cec else [f"role:{role}"]


# --- The election form's preview -----------------------------------------------------------------


def election_calendar(db: Database, election_id: str) -> ElectionCalendar:
    with db.reading() as session:
        election = election_row(session, election_id)
        return calendar_of(election)


def election_rules(db: Database, election_id: str) -> tuple[Rules, dict[str, Any]]:
    """The rules an election follows (its forms are built from them) and how its page names them."""
    with db.reading() as session:
        election = election_row(session, election_id)
        return of_election(election), described(election)


def election_title(db: Database, election_id: str) -> InLanguages:
    """The election's title as entered, knowing its version in each language of the pages."""
    with db.reading() as session:
        return election_row(session, election_id).titles


def election_kinds() -> tuple[tuple[str, str], ...]:
    """The kinds an election may be announced as: each rules file in force, by its title."""
    return tuple((kind, for_kind(kind).title) for kind in kinds())


def announcement_rules(kind: str | None) -> Rules:
    """The rules an announcement form is laid out by before any election exists: the kind chosen,
    else the first there is (the form's fields do not depend on which)."""
    known = kinds()
    return for_kind(kind if kind in known else known[0])


# --- An election after the vote (V3-V7, D5) -------------------------------------------------------

# The phases from the close of the first round's voting on: protocols, results, decisions.
AFTER_VOTE = frozenset({"counting", *states.AFTER_COUNT})


def _election_deadlines(session: Any, election_id: str, at: dt.datetime) -> list[dict[str, Any]]:
    return [{"kind": d.kind, "rule": d.rule, "due_at": d.due_at, "computed_from": d.computed_from,
             "remaining": d.due_at - at, "overdue": d.due_at <= at}
            for d in deadlines.pending_for(session, "election", election_id)]  # fmt: skip


def _ballot(session: Any, election: Election, round_: int | None) -> list[tuple[int, str]]:
    """A round's ballot as (candidacy id, name), in its order (empty when no round is being counted)."""
    on_ballot = results.ballot(session, election, round_) if round_ is not None else []
    names = _names(session, on_ballot)
    return [(cid, names.get(str(cid), f"#{cid}")) for cid in on_ballot]


def _unit_names(election: Election, codes: list[str]) -> list[tuple[str, str]]:
    units = territory.of_election(election)
    return [(code, units.unit(code).name) for code in codes]


def _violated(session: Any, election: Election, rules: Rules) -> dict[str, Any] | None:
    """V7: the units void or violated in the round that elected (else the first), against the share a refusal needs."""
    if not rules.has("V7"):
        return None
    round_, in_force = results.electing_round(session, election.id)
    share = tally.violated_share(p.void or p.violations for p in in_force)
    needed = Fraction(*rules.V7.refusal_share)
    return {"round": round_, "units": sum(1 for p in in_force if p.void or p.violations), "of": len(in_force),
            "share": f"{share.numerator}/{share.denominator}", "needed": f"{needed.numerator}/{needed.denominator}",
            "enough": bool(in_force) and tally.refusal_allowed(share, needed)}  # fmt: skip


def after_vote(db: Database, election_id: str, *, at: dt.datetime) -> dict[str, Any] | None:
    """What an officer sees on an election once its voting has closed (None before): the phase and the
    version a decision must send, the round being counted with each unit's protocol or its absence,
    the pending deadlines, the rounds' figures and outcomes, the decisions so far, the refunds (D5)
    and V7's share of units void or violated."""
    shown = results.show_election(db, election_id, at=at)
    if shown["phase"] not in AFTER_VOTE:
        return None
    read = results.results(db, election_id, at=at)
    with db.reading() as session:
        election = election_row(session, election_id)
        rules = of_election(election)
        round_ = shown["counting_round"]
        ballot = _ballot(session, election, round_)
        due = _election_deadlines(session, election_id, at)
        violated = _violated(session, election, rules)
    units = territory.of_election(election).units
    rounds = []
    for counted in read["rounds"]:
        received = {row["code"]: row for row in counted["units"]}
        rounds.append(counted | {"units": [{"code": u.code, "name": u.name, "commission": u.commission,
                                            "protocol": received.get(u.code)} for u in units]})  # fmt: skip
    return {
        "election": election_id, "title": read["title"], "kind": election.kind, "phase": shown["phase"],
        "version": shown["version"], "allowed": shown["allowed"], "counting_round": round_,
        "missing_units": _unit_names(election, shown["missing_units"]), "ballot": ballot,
        "second_round_day": shown["second_round_day"], "deadlines": due, "rounds": rounds,
        "decisions": read["decisions"], "president": read["president"], "rerun": read["rerun"],
        "rerun_of": read["rerun_of"], "refunds": results.refunds(db, election_id), "violated": violated,
    }  # fmt: skip


def elections_after_vote(db: Database, *, at: dt.datetime, limit: int = LIMIT) -> list[dict[str, Any]]:
    """The dashboard's elections whose voting has closed: their phase, the protocols still missing in
    the round being counted, and their pending deadlines (the soonest first)."""
    with db.reading() as session:
        held = select(Election).options(*duties.LIGHT_ELECTION).where(_held(at))
        found = list(session.scalars(held.order_by(Election.election_day.desc()).limit(limit)))
        return _after_vote(session, found, {e.id: _phase(e, at) for e in found}, at)


def _held(at: dt.datetime) -> Any:
    # An election whose first day of voting is still ahead cannot be past it (local dates lag UTC by hours only).
    return Election.election_day <= at.date() + dt.timedelta(days=1)


def _phase(election: Election, at: dt.datetime) -> str:
    return machines.current_phase(election, calendar_of(election), at)


def _after_vote(session: Any, found: list[Election], phases: dict[str, str], at: dt.datetime) -> list[dict[str, Any]]:
    out = []
    for election in found:
        phase = phases[election.id]
        if phase not in AFTER_VOTE or election.election_day > at.date() + dt.timedelta(days=1):
            continue
        round_ = results.ROUND_COUNTING.get(phase)
        missing = results.missing_units(session, election.id, round_) if round_ is not None else []
        units = len(territory.of_election(election).units)
        out.append({"id": election.id, "title": election.titles, "phase": phase, "counting_round": round_,
                    "received": units - len(missing) if round_ is not None else None, "expected": units,
                    "missing": missing, "deadlines": _election_deadlines(session, election.id, at)})  # fmt: skip
    return out


def dashboard(
    db: Database, role: str, *, at: dt.datetime, horizon: dt.timedelta | None, scope: str = "role",
    login: str | None = None, kind: str | None = None, election: str | None = None, rule: str | None = None,
    state: str | None = None, status: duties.Status | None = None, unit: str | None = None, limit: int = LIMIT,
) -> dict[str, Any]:  # fmt: skip
    """Everything an officer's dashboard shows, read in one session, each election read once (its phase
    serves the duties, the elections after the vote and the list of elections alike): ``elections``
    (as :func:`elections`), ``deadlines`` (as :func:`duties_of`; for a territorial commission's
    officer, ``unit`` its unit, its parts of the duties as :class:`registrar.duties.Duty`),
    ``candidacies`` (:func:`candidacies_for`), ``voted`` (:func:`elections_after_vote`) and ``coming``
    (:func:`coming_up`)."""
    with db.reading() as session:
        latest = _latest_elections(session)
        phases = {e.id: _phase(e, at) for e in latest}
        found: list[Any]
        if unit is not None:
            found = duties.duties_in(session, role=role, now=at, unit=unit, kind=kind, election_id=election, rule=rule,
                                     where=(state,) if state else (), status=status, phases=phases,
                                     due_by=at + horizon if horizon is not None else None, limit=limit)  # fmt: skip
        else:
            found = _duties_of(session, role, at=at, kind=kind, election=election, horizon=horizon, scope=scope,
                               login=login, rule=rule, state=state, status=status, limit=limit, phases=phases)  # fmt: skip
        coming = _coming_rows(session, at=at, election=election, horizon=horizon, limit=limit)
        people = _names(session, _candidacy_ids(found if unit is None else []) + _candidacy_ids(coming))
        # The elections after the vote are among the latest whenever fewer than LIMIT are held after them.
        held = [e for e in latest if e.election_day <= at.date() + dt.timedelta(days=1)]
        return {
            "elections": [_election(e) for e in latest],
            "deadlines": found if unit is not None else _duty_rows(found, people, at),
            "candidacies": _candidacies_for(session, role, election=election, limit=limit),
            "voted": _after_vote(session, held, phases, at),
            "coming": _coming(coming, people, at),
        }


def counting(db: Database, election_id: str, *, at: dt.datetime) -> dict[str, Any]:
    """V3: what a protocol form asks about: the round being counted (``round`` None: none is), its
    ``ballot`` as (candidacy id, name), the ``missing_units`` whose protocol has not reached the CEC
    as (code, name), and the ``rules`` the election follows (the form's fields are laid out by them)."""
    shown = results.show_election(db, election_id, at=at)
    with db.reading() as session:
        election = election_row(session, election_id)
        return {
            "round": shown["counting_round"],
            "rules": of_election(election),
            "ballot": _ballot(session, election, shown["counting_round"]),
            "missing_units": _unit_names(election, shown["missing_units"]),
        }


def unit_of(db: Database, election_id: str, code: str) -> territory.Unit:
    """A territorial unit of the election (as named when it was announced); NotFound if it has none of that code."""
    with db.reading() as session:
        units = territory.of_election(election_row(session, election_id))
    if code not in units.codes:
        raise NotFound(f"no territorial unit {code!r} in election {election_id!r}")
    return units.unit(code)


def protocol_versions(db: Database, election_id: str, round_: int, unit: str) -> list[dict[str, Any]]:
    """V3: every version of a unit's protocol for a round, the first first (the last is in force),
    each with ``names``: its candidates' names by candidacy id."""
    unit_of(db, election_id, unit)
    versions = [p for p in results.protocols(db, election_id, round_, history=True) if p["unit"] == unit]
    with db.reading() as session:
        names = _names(session, sorted({int(cid) for p in versions for cid in p["votes"]}))
    return [p | {"names": {cid: names.get(cid, f"#{cid}") for cid in p["votes"]}} for p in versions]


def audit_page(session: Any, *, before: int | None = None, limit: int = LIMIT) -> list[dict[str, Any]]:
    """The audit log, newest first, a page at a time (``before``: the last sequence number seen)."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    return [{"seq": e.seq, "at": e.at, "recorded_at": audit.recorded_apart(e), "actor": e.actor, "action": e.action,
             "subject_type": e.subject_type,
             "subject_id": e.subject_id, "from": e.from_state, "to": e.to_state, "hash": e.hash}
            for e in session.scalars(query)]  # fmt: skip
