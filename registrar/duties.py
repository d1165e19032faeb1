"""Duties: what the law expects someone to do by a time, read from the deadlines and the states.

A duty is no second copy of anything. Each deadline row, with its kind's declaration
(:data:`registrar.deadlines.DEADLINES`: its rule, whose duty it is, the steps it waits for, the
states it is open in, its effect) and the records of the subject, says what is owed:

- ``due``: the row is pending and its time has not come;
- ``overdue``: its time has passed and the step it waits for has not been taken, whether the
  sweep has reached it yet (still pending) or has fired it (a notice recorded, the row
  ``fired``): the sweep's notice is not the end of a duty. It stays owed while its subject is
  still where the kind is open (the candidacy's state, the election's phase); an act the sweep
  could not take (``skipped``) on a subject still open stays owed too;
- ``done``: the step that discharges it was taken (read below), or, for a kind whose effect is
  an act, the sweep took that act.

A row closed without its step (the candidacy withdrew, the CEC moved a milestone and a new row
replaced it, a fired notice whose subject has since left the kind's states) binds no one and is
no duty.

Only a kind whose effect is a notice is a duty (:attr:`registrar.deadlines.DeadlineKind.owed`):
one whose effect is an act (a milestone passing, an appeal window closing) is the law acting by
itself at its time, and nobody owes it.

When a step was taken: the deadline row alone cannot say it. A step cancels a *pending* row
(the answer cancels its D2 row, the last verification the G4 row, leaving a state the rows it
closes), but a row the sweep has fired stays ``fired`` whatever follows. So the duty reads
what the step leaves behind, as the kind declares it:

- a kind whose step answers one of several things (its ``answered``): the record itself, the
  one the sweep's own notice names (D2: the request the row's key names has its answer; G4: no
  declaration still waits for its verification; V3: no unit's protocol of the round is missing);
- any other kind: the audit event of one of the kind's ``duty`` steps on the same subject, at or
  after the row was opened (every step appends one, its action the trigger).

A territorial commission's officer (a role of :data:`registrar.roles.UNIT_ROLES`) owes its own
unit's part of a duty that is owed unit by unit (:data:`UNIT_PARTS`: V3, each commission's
protocol of the round), never the others' and never the whole: its duty is due at the row's time,
overdue after it (whatever the sweep recorded, while the subject is where the kind is open) until
its unit's protocol of the round is recorded, then done. The CEC's staff keep the whole, until
every unit's is in.

An officer may take a duty (:func:`take`): the only thing stored about a duty, so that two
officers of one role do not work the same one. A unit's part is its officer's alone: there is
nothing to take.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Integer, String, Table, bindparam, delete, exists, func, select, union_all
from sqlalchemy import cast as cast_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from registrar import deadlines, machines, roles
from registrar.actions import calendar_of
from registrar.db import Database
from registrar.errors import NotAllowed, NotFound
from registrar.models import (
    AuditEvent,
    Candidacy,
    Deadline,
    Declaration,
    DutyTaken,
    Election,
    InformationRequest,
    Protocol,
)

Status = Literal["overdue", "due", "done"]
STATUSES: tuple[Status, ...] = ("overdue", "due", "done")


@dataclass(frozen=True)
class Duty:
    """One duty: whose it is (``roles``, from the kind's ``duty`` steps), on what (the candidacy or the
    election, and the election either belongs to), by when (``due_at`` in UTC, ``due_local`` as the
    law speaks of it), under which rule, and where it stands. ``late_by``: how late an overdue duty
    is (None otherwise); ``discharged_by``: the steps that discharge it (the kind's ``duty``);
    ``done_at``: when it was done, where known; ``recorded`` and ``outcome``: the deadline row's
    status and what the sweep recorded when it fell due; ``computed_from``: how its time was reckoned;
    ``where``: the candidacy's state or the election's phase now; ``taken_by``: the login of the
    officer who has taken it, if one has; ``unit``: the territorial unit whose part of the duty
    this is (a territorial commission's officer's), None for a duty as a whole."""

    kind: str
    rule: str
    roles: frozenset[str]
    subject_type: str
    subject_id: str
    election_id: str | None
    due_at: dt.datetime
    due_local: str
    status: Status
    late_by: dt.timedelta | None
    discharged_by: tuple[str, ...]
    done_at: dt.datetime | None
    deadline_id: int
    key: str
    recorded: str
    outcome: str | None
    computed_from: str
    where: str | None = None
    taken_by: str | None = None
    unit: str | None = None

    @property
    def round(self) -> int | None:
        """The election round the duty is of (V3, V4: their rows' keys name it), None for the others."""
        return deadlines.round_of(self.key) if self.kind in ROUND_KINDS else None


# The kinds whose rows are one per election round (their keys name it).
ROUND_KINDS = frozenset({"protocols_due", "results_due"})


def _unit_protocol(session: Session, row: Deadline, unit: str) -> dt.datetime | None:
    """V3: when the unit's protocol of the round the row names first reached the CEC (None: not yet)."""
    return session.scalar(
        select(func.min(Protocol.submitted_at)).where(
            Protocol.election_id == row.subject_id, Protocol.round == deadlines.round_of(row.key), Protocol.unit == unit
        )
    )


# The kinds owed unit by unit, each with when the unit's part was done (None: not yet): a
# territorial commission's officer owes its unit's part of these and of nothing else.
UNIT_PARTS: dict[str, Callable[[Session, Deadline, str], dt.datetime | None]] = {"protocols_due": _unit_protocol}


# --- The duties -------------------------------------------------------------------------------


def kinds_for(role: str | None) -> list[str]:
    """The kinds of deadline that are ``role``'s duty (None: everyone's); a role tied to a unit owes
    only kinds owed unit by unit (:data:`UNIT_PARTS`)."""
    owed = roles.deadline_roles()
    return [name for name, kind in deadlines.DEADLINES.items()
            if kind.owed and (role is None or role in owed.get(name, frozenset()))
            and (role not in roles.UNIT_ROLES or name in UNIT_PARTS)]  # fmt: skip


def duties(
    db: Database, *, role: str | None, now: dt.datetime, election_id: str | None = None,
    include_done: bool = False, kind: str | None = None, limit: int | None = None, **chosen: Any,
) -> list[Duty]:  # fmt: skip
    """The duties of ``role`` (None: everyone's) at ``now``, the overdue first (the latest first), then
    the due by their time, then (``include_done``) the done; ``election_id``: one election's only;
    ``kind``: one kind's only; ``limit``: the first so many; ``chosen``: :func:`duties_in`'s filters
    (``unit``: a territorial commission's officer's part)."""
    with db.reading() as session:
        found = duties_in(session, role=role, now=now, election_id=election_id, include_done=include_done, kind=kind,
                          **chosen)  # fmt: skip
    return found[:limit] if limit is not None else found


def duties_in(
    session: Session, *, role: str | None, now: dt.datetime, election_id: str | None = None,
    include_done: bool = False, kind: str | None = None, rule: str | None = None,
    where: Collection[str] = (), status: Status | None = None, taken_by: str | None = None, unit: str | None = None,
    due_by: dt.datetime | None = None, limit: int | None = None, phases: Mapping[str, str] | None = None,
) -> list[Duty]:  # fmt: skip
    """:func:`duties` inside the caller's session. Filters: ``rule`` (its id), ``where`` (the
    subjects' states or phases now), ``status``, ``taken_by`` (a login: the duties that officer took),
    ``due_by`` (the due are listed until then only; the overdue however late), ``limit`` (the
    first so many); ``phases``: the elections' phases at ``now`` where the caller has them already.

    ``unit``: the parts of the duties owed unit by unit that are that territorial unit's (its
    officer's queue). A role tied to a unit owes nothing without its unit: nothing else is its."""
    if role in roles.UNIT_ROLES and unit is None:
        return []
    if unit is not None:
        found = _unit_duties(session, unit, role=role, now=now, election_id=election_id, include_done=include_done,
                             kind=kind, rule=rule, where=where, status=status, phases=phases)  # fmt: skip
        return [d for d in found if due_by is None or d.status != "due" or d.due_at <= due_by][:limit]
    kinds = [k for k in kinds_for(role) if (kind is None or k == kind) and (rule is None or deadlines.DEADLINES[k].rule == rule)]
    if not kinds:
        return []
    rows = _rows(session, kinds, now=now, election_id=election_id, include_done=include_done, status=status,
                 taken_by=taken_by, due_by=due_by, limit=None if where else limit)  # fmt: skip
    candidacies = _candidacies(session, {int(r.subject_id) for r in rows if r.subject_type == "candidacy"})
    known = dict(phases or {})
    known |= _phases(session, {r.subject_id for r in rows if r.subject_type == "election"} - known.keys(), now)
    closed = [r for r in rows if r.status != "pending"]
    steps_taken = _steps_taken(session, [r for r in closed if deadlines.DEADLINES[r.kind].answered is None])
    answered = _answered(session, [r for r in closed if deadlines.DEADLINES[r.kind].answered is not None])
    takers = _takers(session, [r.id for r in rows])
    owed = roles.deadline_roles()
    found = []
    for row in rows:
        declared = deadlines.DEADLINES[row.kind]
        if row.subject_type == "candidacy":
            state, election = candidacies.get(row.subject_id, (None, None))
        else:
            state, election = known.get(row.subject_id), row.subject_id
        if where and state not in where:
            continue
        found_status, done_at = _status(row, declared, state, steps_taken, answered, now)
        if found_status is None or (found_status == "done" and not include_done) or status not in (None, found_status):
            continue
        if found_status == "due" and due_by is not None and row.due_at > due_by:
            continue
        found.append(
            Duty(kind=row.kind, rule=row.rule, roles=owed.get(row.kind, frozenset()), subject_type=row.subject_type,
                 subject_id=row.subject_id, election_id=election, due_at=row.due_at, due_local=row.due_local,
                 status=found_status, late_by=now - row.due_at if found_status == "overdue" else None,
                 discharged_by=declared.duty, done_at=done_at, deadline_id=row.id, key=row.key, recorded=row.status,
                 outcome=row.outcome, computed_from=row.computed_from, where=state, taken_by=takers.get(row.id))
        )  # fmt: skip
    found.sort(key=lambda d: (STATUSES.index(d.status), d.due_at, d.deadline_id))
    return found[:limit] if limit is not None else found


# The columns a duty is read from: rows, not ORM instances (a page reads hundreds of them).
_DEADLINE = cast(Table, Deadline.__table__)


def _rows(
    session: Session, kinds: list[str], *, now: dt.datetime, election_id: str | None, include_done: bool,
    status: Status | None, taken_by: str | None, due_by: dt.datetime | None, limit: int | None,
) -> list[Any]:  # fmt: skip
    """The deadline rows that may be the duties asked for.

    With the done left out, the read is bounded by what is owed, not by the table: a fired row of a
    candidacy's kind is read only while its candidacy is still where the kind is open (else it binds
    no one, or it is done), and a pending one only when due by ``due_by``; the rows fired, cancelled
    or of other kinds that a long election piles up are never read. An election's rows are few (its
    cut-offs and its rounds): they are read, and judged by its phase now.
    """
    if include_done:  # the done are read as well: every row but those never opened
        query = _narrowed(select(*_DEADLINE.c).where(_DEADLINE.c.kind.in_(kinds),
                                                     _DEADLINE.c.status.in_(("pending", "fired", "cancelled"))),
                          election_id is not None, taken_by is not None)  # fmt: skip
        if status == "due":
            query = query.where(_DEADLINE.c.status == "pending", _DEADLINE.c.due_at > now)
        elif status == "overdue":
            query = query.where(_DEADLINE.c.due_at <= now)
        chosen = {"election": election_id, "login": taken_by}
        bound = {name: value for name, value in chosen.items() if value is not None}
        return list(session.execute(query.order_by(_DEADLINE.c.due_at, _DEADLINE.c.id), bound))
    query = _owed(tuple(kinds), status, election_id is not None, taken_by is not None, due_by is not None, limit is not None)
    values: dict[str, Any] = {"now": now, "due_by": max(due_by, now) if due_by is not None else None, "limit": limit,
              "election": election_id, "login": taken_by}  # fmt: skip
    return list(session.execute(query, {name: value for name, value in values.items() if value is not None}))


def _narrowed(query: Any, by_election: bool, by_taker: bool) -> Any:
    if by_election:
        query = query.where(deadlines.of_election(cast(str, bindparam("election", type_=String))))
    if by_taker:
        query = query.join(DutyTaken, DutyTaken.deadline_id == _DEADLINE.c.id).where(DutyTaken.login == bindparam("login"))
    return query


@functools.cache
def _owed(kinds: tuple[str, ...], status: Status | None, by_election: bool, by_taker: bool, due_by: bool, limited: bool) -> Any:
    """The read of :func:`_rows` with the done left out, built once for each shape of the filters (the
    values are bound when it runs): one statement whose parts each read their own index."""
    moment = _DEADLINE.c.due_at.type
    base = select(*_DEADLINE.c).where(_DEADLINE.c.kind.in_(kinds))
    # A pending row is a duty (deadlines.follow_state keeps it its subject's): overdue from its time, due before.
    pending = base.where(_DEADLINE.c.status == "pending")
    if status == "due":
        pending = pending.where(_DEADLINE.c.due_at > bindparam("now", type_=moment))
    elif status == "overdue":
        pending = pending.where(_DEADLINE.c.due_at <= bindparam("now", type_=moment))
    if due_by:
        pending = pending.where(_DEADLINE.c.due_at <= bindparam("due_by", type_=moment))
    pending = _narrowed(pending, by_election, by_taker).order_by(_DEADLINE.c.due_at, _DEADLINE.c.id)
    # The first ``limit`` pending rows by time are the only pending ones among the first ``limit``
    # duties: among pending rows the duties' order (the overdue, then the due, each by time) is theirs.
    parts = [(pending.limit(bindparam("limit")) if limited else pending).subquery()]
    if status != "due":  # a fired row is never due
        fired = base.where(_DEADLINE.c.status == "fired")
        for name in kinds:
            declared = deadlines.DEADLINES[name]
            if declared.family == "candidacy":
                still_open = select(Candidacy.id).where(Candidacy.id == cast_(_DEADLINE.c.subject_id, Integer),
                                                        Candidacy.state.in_(declared.open_in))  # fmt: skip
                query = fired.where(_DEADLINE.c.kind == name, _DEADLINE.c.subject_type == "candidacy", exists(still_open))
                if declared.answered is deadlines.request_answered:
                    # Only a candidacy with a request still unanswered can owe one (its index, migration
                    # 0016, finds them): the fired rows answered since, most of them, are never read.
                    unanswered = select(cast_(InformationRequest.candidacy_id, String)).where(
                        InformationRequest.answered_at.is_(None))  # fmt: skip
                    query = query.where(_DEADLINE.c.subject_id.in_(unanswered))
            else:
                query = fired.where(_DEADLINE.c.kind == name, _DEADLINE.c.subject_type == "election")
            parts.append(_narrowed(query, by_election, by_taker).subquery())
    return union_all(*(select(*part.c) for part in parts))


def _unit_duties(
    session: Session, unit: str, *, role: str | None, now: dt.datetime, election_id: str | None, include_done: bool,
    kind: str | None, rule: str | None, where: Collection[str], status: Status | None,
    phases: Mapping[str, str] | None = None,
) -> list[Duty]:  # fmt: skip
    """The unit's parts of the duties owed unit by unit: one per row, its own status (the unit's
    record, not the whole's); nobody takes a unit's part, it is its officer's."""
    kinds = [k for k in kinds_for(role) if k in UNIT_PARTS and (kind is None or k == kind)
             and (rule is None or deadlines.DEADLINES[k].rule == rule)]  # fmt: skip
    if not kinds:
        return []
    query = select(Deadline).where(Deadline.kind.in_(kinds), Deadline.status.in_(("pending", "fired", "cancelled")))
    if election_id is not None:
        query = query.where(deadlines.of_election(election_id))
    rows = list(session.scalars(query.order_by(Deadline.due_at, Deadline.id)))
    known = dict(phases or {})
    known |= _phases(session, {r.subject_id for r in rows} - known.keys(), now)
    owed = roles.deadline_roles()
    found = []
    for row in rows:
        declared, phase = deadlines.DEADLINES[row.kind], known.get(row.subject_id)
        if where and phase not in where:
            continue
        done_at = UNIT_PARTS[row.kind](session, row, unit)
        found_status: Status | None
        if done_at is not None and (row.status != "cancelled" or row.cancelled_at is None or done_at <= row.cancelled_at):
            found_status = "done"
        elif row.status == "pending" or (row.status == "fired" and phase is not None and phase in declared.open_in):
            found_status, done_at = ("overdue" if row.due_at <= now else "due"), None
        else:  # a row closed without the unit's part, or a notice whose election has moved on: no one's now
            continue
        if (found_status == "done" and not include_done) or status not in (None, found_status):
            continue
        found.append(
            Duty(kind=row.kind, rule=row.rule, roles=owed.get(row.kind, frozenset()), subject_type=row.subject_type,
                 subject_id=row.subject_id, election_id=row.subject_id, due_at=row.due_at, due_local=row.due_local,
                 status=found_status, late_by=now - row.due_at if found_status == "overdue" else None,
                 discharged_by=declared.duty, done_at=done_at, deadline_id=row.id, key=row.key, recorded=row.status,
                 outcome=row.outcome, computed_from=row.computed_from, where=phase, unit=unit)
        )  # fmt: skip
    return sorted(found, key=lambda d: (STATUSES.index(d.status), d.due_at, d.deadline_id))


def _status(
    row: Any, declared: deadlines.DeadlineKind, where: str | None,
    steps_taken: dict[tuple[str, str], list[tuple[dt.datetime, str]]], answered: Mapping[int, Any], now: dt.datetime,
) -> tuple[Status | None, dt.datetime | None]:  # fmt: skip
    """Where one row's duty stands (None: it binds no one), and when it was done if known."""
    if row.status == "pending":  # a pending row belongs to its subject's present state (deadlines.follow_state)
        return ("overdue" if row.due_at <= now else "due"), None
    if declared.answered is not None:
        done = answered.get(row.id)
        if done:
            return "done", done if isinstance(done, dt.datetime) else None
    else:
        # A step after a pending row was cancelled is another row's (the state was left and entered again).
        until = row.cancelled_at if row.status == "cancelled" else None
        taken = [at for at, action in steps_taken.get((row.subject_type, row.subject_id), [])
                 if action in declared.duty and at >= row.created_at and (until is None or at <= until)]  # fmt: skip
        if taken:
            return "done", min(taken)
    if row.status == "fired" and where is not None and where in declared.open_in:
        return "overdue", None
    return None, None


def _answered(session: Session, rows: list[Any]) -> dict[int, Any]:
    """Each row's answer (its kind's ``answered``), by the row's id: for the kinds a page lists by the
    hundred (D2, G4), one read for all the rows, the same question as theirs asked once; for the
    others (V3: an election's round, a few rows), the kind's own."""
    found: dict[int, Any] = {}
    requests = {r.id: deadlines.information_request_of(r.key) for r in rows
                if deadlines.DEADLINES[r.kind].answered is deadlines.request_answered}  # fmt: skip
    wanted = sorted({i for i in requests.values() if i is not None})
    answers: dict[int, dt.datetime | None] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        read = select(InformationRequest.id, InformationRequest.answered_at).where(InformationRequest.id.in_(chunk))
        answers.update((request_id, at) for request_id, at in session.execute(read))
    verified = deadlines.declarations_verified
    declaring = sorted({int(r.subject_id) for r in rows if deadlines.DEADLINES[r.kind].answered is verified})
    waiting: set[int] = set()
    for start in range(0, len(declaring), 1000):
        waiting.update(session.scalars(select(Declaration.candidacy_id).where(
            Declaration.candidacy_id.in_(declaring[start : start + 1000]), Declaration.verification == "pending")))  # fmt: skip
    for row in rows:
        declared = deadlines.DEADLINES[row.kind]
        if declared.answered is deadlines.request_answered:
            request_id = requests[row.id]
            found[row.id] = answers.get(request_id) if request_id is not None else None
        elif declared.answered is deadlines.declarations_verified:
            found[row.id] = int(row.subject_id) not in waiting
        elif declared.answered is not None:
            found[row.id] = declared.answered(session, cast(Deadline, row))
    return found


def _takers(session: Session, deadline_ids: list[int]) -> dict[int, str]:
    """Who has taken each of the rows' duties."""
    found: dict[int, str] = {}
    for start in range(0, len(deadline_ids), 1000):
        chunk = deadline_ids[start : start + 1000]
        taken = session.execute(select(DutyTaken.deadline_id, DutyTaken.login).where(DutyTaken.deadline_id.in_(chunk)))
        found.update((deadline_id, login) for deadline_id, login in taken)
    return found


def _candidacies(session: Session, ids: Iterable[int]) -> dict[str, tuple[str, str]]:
    """Each candidacy's state and election, by its id as a deadline row names it."""
    found: dict[str, tuple[str, str]] = {}
    chosen = sorted(ids)
    for start in range(0, len(chosen), 1000):
        rows = session.execute(
            select(Candidacy.id, Candidacy.state, Candidacy.election_id).where(Candidacy.id.in_(chosen[start : start + 1000]))
        )
        found.update((str(cid), (state, election)) for cid, state, election in rows)
    return found


def _phases(session: Session, ids: Iterable[str], now: dt.datetime) -> dict[str, str]:
    """Each election's phase at ``now`` (the calendar's, then the decisions taken since)."""
    chosen = sorted(ids)
    if not chosen:
        return {}
    return {
        election.id: machines.current_phase(election, calendar_of(election), now)
        for election in session.scalars(select(Election).where(Election.id.in_(chosen)).options(*LIGHT_ELECTION))
    }


# An election's phase needs neither its rules' text nor its territory's (kilobytes each), read
# once per process where a hash is new (rules_in_force, territory): not on every page.
LIGHT_ELECTION = (defer(Election.rules_text), defer(Election.territory_text))


def _steps_taken(session: Session, rows: list[Deadline]) -> dict[tuple[str, str], list[tuple[dt.datetime, str]]]:
    """The audit events of the rows' duty steps on the rows' subjects, from the earliest row's opening on."""
    taken: dict[tuple[str, str], list[tuple[dt.datetime, str]]] = {}
    if not rows:
        return taken
    steps = sorted({step for r in rows for step in deadlines.DEADLINES[r.kind].duty})
    since = min(r.created_at for r in rows)
    for subject_type in sorted({r.subject_type for r in rows}):
        ids = sorted({r.subject_id for r in rows if r.subject_type == subject_type})
        for start in range(0, len(ids), 1000):
            events = session.execute(
                select(AuditEvent.subject_id, AuditEvent.at, AuditEvent.action).where(
                    AuditEvent.subject_type == subject_type,
                    AuditEvent.subject_id.in_(ids[start : start + 1000]),
                    AuditEvent.action.in_(steps),
                    AuditEvent.at >= since,
                )
            )
            for subject_id, at, action in events:
                taken.setdefault((subject_type, subject_id), []).append((at, action))
    return taken


# --- Taking a duty ------------------------------------------------------------------------------


class TakenByAnother(NotAllowed):
    """The duty is another officer's: ``login`` took it ("" if they took it a moment ago)."""

    def __init__(self, kind: str, login: str):
        self.login = login
        super().__init__("take_duty", kind, f"already taken by {login or 'another officer'}")


def take(db: Database, deadline_id: int, *, login: str, role: str, now: dt.datetime) -> None:
    """``login`` takes the duty of the deadline row ``deadline_id``, so that the others of the role
    leave it to them. Only a role that owes it may take it, and only while it is owed; a duty another
    officer has taken is theirs until they release it (NotAllowed, naming them)."""
    with db.transaction() as session:
        row = session.get(Deadline, deadline_id)
        if row is None:
            raise NotFound(f"no deadline {deadline_id}")
        if row.kind not in kinds_for(role):
            raise NotAllowed("take_duty", row.kind, f"{deadlines.DEADLINES[row.kind].rule}: not a duty of the {role}")
        if role in roles.UNIT_ROLES:
            # The row is the whole election's; a unit's officer owes its own part, which no one else shares.
            raise NotAllowed("take_duty", row.kind, f"{deadlines.DEADLINES[row.kind].rule}: the {role} owes its unit's part only")
        taken = session.get(DutyTaken, deadline_id)
        if taken is not None and taken.login != login:
            raise TakenByAnother(row.kind, taken.login)
        if taken is None:
            session.add(DutyTaken(deadline_id=deadline_id, login=login, taken_at=now))
            try:
                session.flush()
            except IntegrityError:  # another officer took it between the read and the write
                raise TakenByAnother(row.kind, "") from None


def release(db: Database, deadline_id: int, *, login: str) -> None:
    """``login`` gives back a duty they took; releasing one not taken by them changes nothing."""
    with db.transaction() as session:
        session.execute(delete(DutyTaken).where(DutyTaken.deadline_id == deadline_id, DutyTaken.login == login))
