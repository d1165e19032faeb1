"""The statements of one action on a candidacy: the lock that begins it and the writes that end it.

An action begins by locking its candidacy, and reads in the same statement what every action
needs beside it: the election (without the kilobytes of its stored rules and territory, each
parsed once per process already) and the CEC's resolutions its calendar is computed from. It
ends the same way whatever the step: the candidacy's row written with its version moved on
(the optimistic lock), the audit event and the head of the chain, one message for each
recipient, and the candidacy's pending deadlines read back for the outcome. These are plain
statements on the tables, in as few as the database allows (on PostgreSQL one statement, which
locks the head and hashes the event onto it; on SQLite the database moves the head onto each
event): the hot path of every officer's action and of the sweep's, where the ORM's unit of
work cost more than the database (issue 15). What an action decides stays in
:mod:`registrar.actions` and the machines; this module only moves rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.orm import Session, defer, joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from registrar import audit, machines
from registrar.errors import NotFound
from registrar.models import CalendarResolution, Candidacy, Deadline, Election, OutboxMessage

# A stored resolution as the calendar reads it: (milestone, value as stored, number, adopted on).
Stored = tuple[str, str, str, dt.date]


def _lock(parties: bool) -> Select[Candidacy, str, str, str, dt.date]:
    """The action's first statement: the candidacy locked, its election beside it (without the
    kilobytes of its stored rules, parsed once per process already), and the election's CEC
    resolutions as the calendar reads them, one row each (or one row of NULLs); with ``parties``,
    the person and the nominating association too."""
    options = [
        joinedload(Candidacy.election).options(
            defer(Election.rules_text), defer(Election.territory_text), lazyload(Election.resolutions)
        )
    ]
    if not parties:
        options += [lazyload(Candidacy.association), lazyload(Candidacy.person)]
    return (
        select(
            Candidacy,
            CalendarResolution.milestone,
            CalendarResolution.value,
            CalendarResolution.number,
            CalendarResolution.adopted_on,
        )
        .outerjoin(CalendarResolution, CalendarResolution.election_id == Candidacy.election_id)
        .where(Candidacy.id == bindparam("candidacy_id"))
        .order_by(CalendarResolution.id)
        .options(*options)
        .with_for_update(of=Candidacy)
    )


_LOCKED = {False: _lock(parties=False), True: _lock(parties=True)}
# A step with conditions weighs the person and the nominating association (E1-E9, D1's filers, N1).
_WEIGHS_PARTIES = frozenset(step.trigger for step in machines.CANDIDACY_STEPS if step.conditions)


def locked(session: Session, candidacy_id: int, trigger: str) -> tuple[Candidacy, tuple[Stored, ...]]:
    """The candidacy, locked until the action's transaction ends, and its election's resolutions."""
    rows = session.execute(_LOCKED[trigger in _WEIGHS_PARTIES], {"candidacy_id": candidacy_id}).all()
    if not rows:
        raise NotFound(f"no candidacy {candidacy_id}")
    return rows[0][0], tuple((m, v, n, a) for _, m, v, n, a in rows if m is not None)


# --- The end of an action: the candidacy's row, its event, its messages -------------------------
#
# Every action ends the same way: the candidacy's row written with its version moved on (the
# optimistic lock), the audit event and the head of the chain, one message for each recipient,
# and the candidacy's pending deadlines read back for the outcome. They are written here as
# plain statements on the tables, in as few as the database allows: one on PostgreSQL.

CANDIDACIES = cast(Table, Candidacy.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)
_DEADLINES = cast(Table, Deadline.__table__)
# What an action changes on the candidacy's own row (the state, when, and what a decision or
# an appeal stands on); an action that changes anything else is written by the ORM.
_ACTION_COLUMNS = ("state", "state_since", "updated_at", "decided_from", "appealed_from")
_MOVE = (
    update(CANDIDACIES)
    .where(CANDIDACIES.c.id == bindparam("c_id"), CANDIDACIES.c.version == bindparam("c_version"))
    .values({name: bindparam(f"c_{name}", type_=CANDIDACIES.c[name].type) for name in _ACTION_COLUMNS}
            | {"version": CANDIDACIES.c.version + 1})
)  # fmt: skip
_ACTION_ATTRIBUTES = frozenset(_ACTION_COLUMNS)
_CANDIDACY_ATTRIBUTES = frozenset(inspect(Candidacy).attrs.keys())
_OUTBOX_COLUMNS = ("delivery_key", "event_seq", "topic", "recipient", "payload", "status", "created_at", "attempts")
_TO_OUTBOX = insert(OUTBOX)
_PENDING_SINCE = and_(
    _DEADLINES.c.subject_type == "candidacy",
    _DEADLINES.c.subject_id == bindparam("d_subject_id", type_=_DEADLINES.c.subject_id.type),
    _DEADLINES.c.status == "pending",
)
_PENDING_COLUMNS = (_DEADLINES.c.kind, _DEADLINES.c.rule, _DEADLINES.c.due_at, _DEADLINES.c.due_local)
# SQLite takes its one writer's lock at BEGIN (registrar.db), so nothing can move the head or
# the candidacy's deadlines under the action: the head is read with the deadlines, in one
# statement (no row: the head is missing, audit.locked_head puts it back).
_HEAD_AND_PENDING = (
    select(audit.HEAD.c.last_seq, audit.HEAD.c.last_hash, *_PENDING_COLUMNS)
    .select_from(audit.HEAD.outerjoin(_DEADLINES, _PENDING_SINCE))
    .where(audit.HEAD.c.id == 1)
    .order_by(_DEADLINES.c.due_at)
)
_PENDING = select(*_PENDING_COLUMNS).where(_PENDING_SINCE).order_by(_DEADLINES.c.due_at)


def moved(session: Session, candidacy: Candidacy) -> dict[str, Any] | None:
    """The candidacy's row as the action leaves it, to be written with its event; everything else
    the action added is flushed. The object leaves the session, so the ORM does not write the row
    a second time (a later action in the same session reads it afresh). None: the ORM wrote it."""
    state = inspect(candidacy)
    changed = _CANDIDACY_ATTRIBUTES - state.unmodified
    if state.pending or not changed or not changed <= _ACTION_ATTRIBUTES:
        session.flush()
        return None
    row = {f"c_{name}": getattr(candidacy, name) for name in _ACTION_COLUMNS}
    row |= {"c_id": candidacy.id, "c_version": candidacy.version}
    session.expunge(candidacy)
    session.flush()
    return row


def written(
    session: Session, candidacy: Candidacy, moved: dict[str, Any] | None, entry: audit.Entry,
    told: Callable[[int], list[dict[str, Any]]],
) -> tuple[int, int, Sequence[Any]]:  # fmt: skip
    """Write the candidacy's row (``moved``), the event and its messages; the candidacy's version,
    the event's number and the candidacy's pending deadlines after them."""
    connection = session.connection()
    pending_of = {"d_subject_id": str(candidacy.id)}
    postgresql = connection.dialect.name == "postgresql"
    if postgresql and moved is not None:
        event = _unchained(entry)
        # The messages of an event numbered 0: PostgreSQL writes the number the head gives.
        rows = told(0)
        messages = {f"o{i}_{name}": value for i, row in enumerate(rows) for name, value in row.items()}
        messages |= {f"o{i}_delivery_key": row["delivery_key"].removeprefix("0") for i, row in enumerate(rows)}
        read = connection.execute(_all_at_once(len(rows)), moved | event | messages | pending_of).all()
        if not read:
            raise StaleDataError(f"candidacy {candidacy.id}: version {moved['c_version']} is no longer current")
        return int(read[0].version), int(read[0].seq), [row for row in read if row.kind is not None]
    if moved is not None and connection.execute(_MOVE, moved).rowcount != 1:
        raise StaleDataError(f"candidacy {candidacy.id}: version {moved['c_version']} is no longer current")
    head_and_pending = [] if postgresql else connection.execute(_HEAD_AND_PENDING, pending_of).all()
    if head_and_pending:
        head = (int(head_and_pending[0].last_seq), str(head_and_pending[0].last_hash))
    else:
        head = audit.locked_head(session)
    event = audit.event_row(head, entry)
    connection.execute(audit.INSERT_EVENT, event)
    if postgresql:  # on SQLite the database moves the head onto the event (migration 0015)
        connection.execute(audit.MOVE_HEAD, event)
    connection.execute(_TO_OUTBOX, told(event["e_seq"]))
    pending: Sequence[Any] = [row for row in head_and_pending if row.kind is not None]
    if not head_and_pending:
        pending = connection.execute(_PENDING, pending_of).all()
    version = int(moved["c_version"]) + 1 if moved is not None else candidacy.version
    return version, event["e_seq"], pending


def _unchained(entry: audit.Entry) -> dict[str, Any]:
    """The parameters of an event whose number and hashes PostgreSQL takes from the head under its
    lock (:func:`_all_at_once`): its hashed text in the two parts around its number (audit.draft)."""
    made = audit.draft(entry)
    return {"e_at": entry.at, "e_actor": entry.actor, "e_action": entry.action, "e_subject_type": entry.subject_type,
            "e_subject_id": str(entry.subject_id), "e_from_state": entry.from_state, "e_to_state": entry.to_state,
            "e_payload": json.loads(made.payload), "e_before_seq": "\n" + made.before_seq,
            "e_after_seq": made.after_seq}  # fmt: skip


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


@functools.cache
def _all_at_once(messages: int) -> Select[Any]:
    """PostgreSQL: the end of an action as one statement, its writes in data-modifying WITH
    clauses. The head of the chain is locked in it and the event numbered and hashed on it by
    the server (sha256 of the previous hash and the event's canonical text, as audit._chained:
    audit.verify recomputes it in Python), so no round trip waits for the head first. It reads
    the moved row's version and the event's number beside each pending deadline (no row: the
    version had moved)."""
    moved = _MOVE.returning(CANDIDACIES.c.version).cte("moved")
    held = select(audit.HEAD.c.last_seq, audit.HEAD.c.last_hash).where(audit.HEAD.c.id == 1).with_for_update().cte("held")
    # The migration seeds the head; an emptied database has none: the chain then begins anew.
    locked = union_all(
        select(held.c.last_seq, held.c.last_hash),
        select(literal(0), literal(audit.GENESIS)).where(~exists(select(held.c.last_seq))),
    ).cte("locked")
    seq = (locked.c.last_seq + 1).label("seq")
    hashed = func.encode(func.sha256(func.convert_to(
        locked.c.last_hash + bindparam("e_before_seq", type_=Text) + sql_cast(seq, Text) + bindparam("e_after_seq", type_=Text),
        literal_column("'UTF8'"))), literal_column("'hex'"))  # fmt: skip
    columns = ("at", "actor", "action", "subject_type", "subject_id", "from_state", "to_state", "payload")
    event = (
        insert(audit.EVENTS)
        .from_select(("seq", *columns, "prev_hash", "hash"),
                     select(seq, *(_param(f"e_{name}", audit.EVENTS.c[name]) for name in columns), locked.c.last_hash, hashed))
        .returning(audit.EVENTS.c.seq, audit.EVENTS.c.hash)
        .cte("event")
    )  # fmt: skip
    moved_on = upsert(audit.HEAD).from_select(("id", "last_seq", "last_hash"), select(literal(1), event.c.seq, event.c.hash))
    head = moved_on.on_conflict_do_update(
        index_elements=["id"], set_={"last_seq": moved_on.excluded.last_seq, "last_hash": moved_on.excluded.last_hash}
    ).cte("head")
    # Each message a SELECT of its parameters beside the event's number (a multi-row VALUES would
    # be compiled anew each time); its delivery key is the number and what follows it.
    told = [
        select(*(sql_cast(event.c.seq, Text) + _param(f"o{i}_{name}", OUTBOX.c[name]) if name == "delivery_key"
                 else event.c.seq if name == "event_seq" else _param(f"o{i}_{name}", OUTBOX.c[name])
                 for name in _OUTBOX_COLUMNS)).select_from(event)
        for i in range(messages)
    ]  # fmt: skip
    tell = insert(OUTBOX).from_select(_OUTBOX_COLUMNS, union_all(*told) if messages > 1 else told[0]).cte("told")
    pending = _PENDING.subquery("pending")
    return (
        select(moved.c.version, event.c.seq, pending.c.kind, pending.c.rule, pending.c.due_at, pending.c.due_local)
        .select_from(moved.join(event, true()).outerjoin(pending, true()))
        .order_by(pending.c.due_at)
        .add_cte(event, head, tell)
    )
