"""The audit trail: append-only and hash-chained.

Each event's hash is SHA-256 over the previous event's hash and the event's own canonical
JSON, so altering, removing or re-ordering any stored event breaks every hash after it.
Appends take the one ``audit_head`` row's lock, which orders them into a single chain and
numbers them without gaps.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from registrar.db import JSONText, insert_many, json_dumper
from registrar.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return _canonical(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_canonical = json_dumper(sort_keys=True, default=_plain)


def jsonable(value: Any) -> Any:
    """The payload as it will read back from a JSON column (dates as ISO strings)."""
    return json.loads(canonical(value))


def _digest(prev_hash: str, event: Any) -> str:
    """The hash of an event (a row or an ``AuditEvent``), chained to the one before it."""
    return _chained(prev_hash, _body(event.seq, event.at, event.actor, event.action, event.subject_type, event.subject_id,
                                     event.from_state, event.to_state, canonical(event.payload)))  # fmt: skip


def _chained(prev_hash: str, body: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


_string: Callable[[str], str] = json.encoder.encode_basestring  # what dumps() uses


def _body(seq: int, at: dt.datetime, actor: str, action: str, subject_type: str, subject_id: str,
          from_state: str | None, to_state: str | None, payload: str) -> str:  # fmt: skip
    """``canonical()`` of the hashed fields, byte for byte (a test holds it), assembled from its parts.

    The keys are in sorted order. Built by hand so that the payload, dumped once, is both
    hashed and stored: a burst of the deadline sweep appends a hundred thousand events.
    """
    return (f'{{"action":{_string(action)},"actor":{_string(actor)},"at":{_instant(at)},'
            f'"from":{_nullable(from_state)},"payload":{payload},"seq":{int(seq)},'
            f'"subject":[{_string(subject_type)},{_string(str(subject_id))}],"to":{_nullable(to_state)}}}')  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _instant(at: dt.datetime) -> str:
    # The events of a burst share a handful of instants (their deadlines' due_at).
    return _string(_plain(at))


def _nullable(value: str | None) -> str:
    return "null" if value is None else _string(value)


def _insert_head_if_missing(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(AuditHead).values(id=1, last_seq=0, last_hash=GENESIS).on_conflict_do_nothing(index_elements=["id"])


def append(
    session: Session,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any],
    from_state: str | None = None,
    to_state: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; call it last, so the head lock is held briefly."""
    head = _locked_head(session)
    event = AuditEvent(
        seq=head.last_seq + 1,
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        from_state=from_state,
        to_state=to_state,
        payload=jsonable(payload),
        prev_hash=head.last_hash,
    )
    event.hash = _digest(head.last_hash, event)
    head.last_seq, head.last_hash = event.seq, event.hash
    session.add(event)
    return event


def _locked_head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        # The migration seeds the head; should it be missing (an emptied database), concurrent
        # first appenders create it without a conflict and then queue on its lock.
        session.execute(_insert_head_if_missing(session))
        head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    return head


class Entry(NamedTuple):
    """One event to append with :func:`append_many` (a tuple: the sweep makes them by the hundred thousand)."""

    at: dt.datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    payload: dict[str, Any]
    from_state: str | None = None
    to_state: str | None = None


def append_many(session: Session, entries: list[Entry]) -> list[int]:
    """Append events in order, in one set-based INSERT; return their sequence numbers.

    The same chain as :func:`append` (one head lock, the same hash), for the deadline sweep,
    which records thousands of events in one transaction.
    """
    if not entries:
        return []
    head = _locked_head(session)
    seq, prev = head.last_seq, head.last_hash
    rows: list[dict[str, Any]] = []
    seqs: list[int] = []
    for entry in entries:
        seq += 1
        seqs.append(seq)
        payload = canonical(entry.payload)  # hashed and stored as this one text
        digest = _chained(prev, _body(seq, entry.at, entry.actor, entry.action, entry.subject_type, str(entry.subject_id),
                                      entry.from_state, entry.to_state, payload))  # fmt: skip
        rows.append({"seq": seq, "at": entry.at, "actor": entry.actor, "action": entry.action,
                     "subject_type": entry.subject_type, "subject_id": str(entry.subject_id), "from_state": entry.from_state,
                     "to_state": entry.to_state, "payload": JSONText(payload), "prev_hash": prev, "hash": digest})  # fmt: skip
        prev = digest
    insert_many(session, cast(Table, AuditEvent.__table__), rows)
    head.last_seq, head.last_hash = seq, prev
    return seqs


@dataclass(frozen=True)
class Verdict:
    events: int
    first_bad: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None and not self.problem


def _events(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch))
        chunk = list(rows)
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq
        session.expunge_all()


def verify(session: Session) -> Verdict:
    """Recompute the chain; name the first event that was altered, removed or inserted."""
    prev, expected_seq, count = GENESIS, 1, 0
    for event in _events(session):
        if event.seq != expected_seq:
            return Verdict(count, expected_seq, f"event {expected_seq} is missing (the next stored is {event.seq})")
        if event.prev_hash != prev:
            return Verdict(count, event.seq, f"event {event.seq} does not follow the event before it")
        if _digest(prev, event) != event.hash:
            return Verdict(count, event.seq, f"event {event.seq} was altered: its content does not match its hash")
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != count or head.last_hash != prev):
        return Verdict(count, count + 1, f"the chain ends at event {count} but {head.last_seq} were appended")
    return Verdict(count)


def history(session: Session, subject_type: str, subject_id: str | int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
            .order_by(AuditEvent.seq)
        )
    )
