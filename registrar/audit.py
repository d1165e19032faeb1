"""The audit trail: append-only and hash-chained.

Each event's hash is SHA-256 over the previous event's hash and the event's own canonical
JSON, so altering, removing or re-ordering any stored event breaks every hash after it.
Appends take the one ``audit_head`` row's lock, which orders them into a single chain and
numbers them without gaps. The lock is held until the transaction ends, so a caller appending
many events makes them ready first (:func:`draft`: their canonical JSON and stored text) and
links them last (:func:`link`: number, previous hash, hash, one COPY).

An event's ``at`` is the moment the action took legal effect. It is the moment it is recorded,
unless its caller dates it (an import's ``effective_at``, the CLI's ``--at``: a decision taken
yesterday, a past election loaded): then the event also keeps, hashed with it, the moment it
was recorded (``payload["recorded_at"]``, see :func:`dated_by_caller`).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from registrar.db import JSONText, dialect_insert, insert_many, json_dumper
from registrar.models import AuditEvent, AuditHead

GENESIS = "0" * 64

# The chain is written with plain statements on its tables, never through ORM objects: an
# append costs no unit of work of the ORM, and no head object in a session can carry a stale
# tip past another append (append and append_many both move the head by statement).
EVENTS = cast(Table, AuditEvent.__table__)
HEAD = cast(Table, AuditHead.__table__)
_LOCK_HEAD = select(HEAD.c.last_seq, HEAD.c.last_hash).where(HEAD.c.id == 1).with_for_update()
# One event's row, its parameters named "e_<column>" (see event_row), and the head moved onto it.
INSERT_EVENT = insert(EVENTS).values({column.name: bindparam(f"e_{column.name}", type_=column.type) for column in EVENTS.c})
MOVE_HEAD = (
    update(HEAD)
    .where(HEAD.c.id == 1)
    .values(last_seq=bindparam("e_seq", type_=HEAD.c.last_seq.type), last_hash=bindparam("e_hash", type_=HEAD.c.last_hash.type))
)


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
    insert_head = dialect_insert(HEAD, session.get_bind().dialect.name)
    return insert_head.values(id=1, last_seq=0, last_hash=GENESIS).on_conflict_do_nothing(index_elements=["id"])


class Appended(NamedTuple):
    """The event :func:`append` added: its number in the chain and its hash."""

    seq: int
    hash: str


class Entry(NamedTuple):
    """One event to append (a tuple: the sweep makes them by the hundred thousand for :func:`append_many`)."""

    at: dt.datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    payload: dict[str, Any]
    from_state: str | None = None
    to_state: str | None = None


# Inside dated_by_caller: True (recorded now), or the moment the caller says the events are recorded.
_DATED_BY_CALLER: contextvars.ContextVar[bool | dt.datetime] = contextvars.ContextVar("dated_by_caller", default=False)
RECORDED_AT = "recorded_at"  # the payload key of the moment a dated event was recorded


@contextlib.contextmanager
def dated_by_caller(recorded: dt.datetime | None = None) -> Iterator[None]:
    """The events appended inside are dated by their caller (an action's ``at`` in the past):
    each keeps the moment it was really recorded beside it (``recorded``: one the caller fixes,
    as the demo does, so that what it writes follows from its day alone)."""
    token = _DATED_BY_CALLER.set(recorded or True)
    try:
        yield
    finally:
        _DATED_BY_CALLER.reset(token)


def _with_recorded_at(payload: dict[str, Any]) -> dict[str, Any]:
    recorded = _DATED_BY_CALLER.get()
    if recorded is False:
        return payload
    return payload | {RECORDED_AT: recorded if isinstance(recorded, dt.datetime) else dt.datetime.now(dt.UTC)}


def recorded_at(event: AuditEvent) -> dt.datetime:
    """When ``event`` was recorded: its own moment, or the one it keeps when its caller dated it."""
    return recorded_apart(event) or event.at


def recorded_apart(event: AuditEvent) -> dt.datetime | None:
    """When ``event`` was recorded, if its caller dated it at another moment (else None: the same)."""
    kept = event.payload.get(RECORDED_AT) if isinstance(event.payload, dict) else None
    return dt.datetime.fromisoformat(kept) if isinstance(kept, str) else None


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
) -> Appended:
    """Append one event in the caller's transaction; call it last, so the head lock is held briefly.

    The caller's pending writes go to the database first, as before any query: the head is
    locked for the append alone."""
    session.flush()
    entry = Entry(at, actor, action, subject_type, str(subject_id), payload, from_state, to_state)
    row = event_row(locked_head(session), entry)
    connection = session.connection()
    connection.execute(INSERT_EVENT, row)
    connection.execute(MOVE_HEAD, row)
    return Appended(row["e_seq"], row["e_hash"])


def event_row(head: tuple[int, str], entry: Entry) -> dict[str, Any]:
    """The event that follows ``head`` (the last seq and hash, read under the head's lock), hashed
    onto it: the parameters of :data:`INSERT_EVENT` and :data:`MOVE_HEAD`, which append it."""
    last_seq, prev = head
    seq = last_seq + 1
    stored = jsonable(_with_recorded_at(entry.payload))
    subject = str(entry.subject_id)
    digest = _chained(prev, _body(seq, entry.at, entry.actor, entry.action, entry.subject_type, subject, entry.from_state,
                                  entry.to_state, canonical(stored)))  # fmt: skip
    return {"e_seq": seq, "e_at": entry.at, "e_actor": entry.actor, "e_action": entry.action,
            "e_subject_type": entry.subject_type, "e_subject_id": subject, "e_from_state": entry.from_state,
            "e_to_state": entry.to_state, "e_payload": stored, "e_prev_hash": prev, "e_hash": digest}  # fmt: skip


def locked_head(session: Session) -> tuple[int, str]:
    """The chain's tip (last seq, last hash), its row locked until the transaction ends."""
    head = session.execute(_LOCK_HEAD).one_or_none()
    if head is None:
        # The migration seeds the head; should it be missing (an emptied database), concurrent
        # first appenders create it without a conflict and then queue on its lock.
        session.execute(_insert_head_if_missing(session))
        head = session.execute(_LOCK_HEAD).one()
    return int(head.last_seq), str(head.last_hash)


def append_many(session: Session, entries: list[Entry]) -> list[int]:
    """Append events in order, in one set-based INSERT; return their sequence numbers.

    The same chain as :func:`append` (one head lock, the same hash), for the deadline sweep,
    which records thousands of events in one transaction.
    """
    first = link(session, [draft(entry) for entry in entries])
    return list(range(first, first + len(entries)))


class Draft(NamedTuple):
    """An event made ready before the head's lock is taken: everything but its place in the chain.

    Its hashed text (see :func:`_body`) is kept in the two parts around its number, and its
    stored columns as the text of a COPY row, so that linking a batch of them under the lock
    costs a hash and a string join each: the rest of a sweep's batch runs beside another's.
    """

    before_seq: str  # the hashed text up to the event's number
    after_seq: str  # and after it
    copied: str  # PostgreSQL: the COPY text of its columns from ``at`` to ``payload``
    entry: Entry
    payload: str  # its canonical JSON, hashed and stored as this one text


def draft(entry: Entry, payload: str | None = None) -> Draft:
    """``entry`` made ready for :func:`link`; ``payload``: its payload's canonical JSON when the
    caller has it already (then ``entry.payload`` is not read: the text must be what
    ``canonical`` makes of the payload, byte for byte)."""
    if payload is None:
        payload = canonical(_with_recorded_at(entry.payload))
    elif _DATED_BY_CALLER.get() is not False:
        payload = canonical(_with_recorded_at(json.loads(payload)))
    subject = str(entry.subject_id)
    head, tail, copied_head, copied_tail = _parts(entry.at, entry.actor, entry.action, entry.subject_type, entry.from_state,
                                                  entry.to_state)  # fmt: skip
    copied = f"{copied_head}{copy_text(subject)}{copied_tail}{payload.replace(BACKSLASH, BACKSLASH * 2)}"
    return Draft(f'{head}{payload},"seq":', f"{tail[0]}{_string(subject)}{tail[1]}", copied, entry, payload)


@functools.lru_cache(maxsize=1024)
def _parts(at: dt.datetime, actor: str, action: str, subject_type: str, from_state: str | None,
           to_state: str | None) -> tuple[str, tuple[str, str], str, str]:  # fmt: skip
    """What an event's texts hold besides its subject and payload: a burst's events share their
    actor, action and a handful of instants, so these are made once (hashed, then COPY text)."""
    head = f'{{"action":{_string(action)},"actor":{_string(actor)},"at":{_instant(at)},"from":{_nullable(from_state)},"payload":'
    tail = f',"subject":[{_string(subject_type)},', f'],"to":{_nullable(to_state)}}}'
    copied = f"{at.astimezone(dt.UTC).isoformat()}\t{copy_text(actor)}\t{copy_text(action)}\t{copy_text(subject_type)}\t"
    return head, tail, copied, f"\t{copy_text(from_state)}\t{copy_text(to_state)}\t"


BACKSLASH = "\\"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def copy_text(value: str | None) -> str:
    """``value`` as a field of PostgreSQL's text COPY format (None: NULL)."""
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def link(session: Session, drafts: list[Draft]) -> int:
    """Chain ``drafts`` in order after the head and insert them; return the first one's number.

    The head's lock is taken here and held until the transaction ends: a caller that has more
    to write calls this last, so that other appenders wait only for the linking and the commit.
    """
    if not drafts:
        return 0
    session.flush()
    last, prev = locked_head(session)
    connection = session.connection()
    seq = last
    if connection.dialect.name == "postgresql":
        lines: list[str] = []
        add = lines.append
        sha256 = hashlib.sha256
        for made in drafts:
            seq += 1
            digest = sha256(f"{prev}\n{made.before_seq}{seq}{made.after_seq}".encode()).hexdigest()
            add(f"{seq}\t{made.copied}\t{prev}\t{digest}\n")
            prev = digest
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(_COPY_EVENTS) as copy:
            copy.write("".join(lines))
    else:
        rows: list[dict[str, Any]] = []
        for made in drafts:
            seq += 1
            digest = _chained(prev, f"{made.before_seq}{seq}{made.after_seq}")
            entry = made.entry
            rows.append({"seq": seq, "at": entry.at, "actor": entry.actor, "action": entry.action,
                         "subject_type": entry.subject_type, "subject_id": str(entry.subject_id),
                         "from_state": entry.from_state, "to_state": entry.to_state, "payload": JSONText(made.payload),
                         "prev_hash": prev, "hash": digest})  # fmt: skip
            prev = digest
        insert_many(session, EVENTS, rows)
    connection.execute(MOVE_HEAD, {"e_seq": seq, "e_hash": prev})
    return last + 1


_COPY_EVENTS = (
    'COPY audit_event (seq, "at", actor, action, subject_type, subject_id, from_state, to_state, payload, prev_hash, hash) '
    "FROM STDIN"
)


@dataclass(frozen=True)
class Verdict:
    events: int
    first_bad: int | None = None
    problem: str = ""
    since: int = 0  # the events up to this one were taken from a signed checkpoint, not recomputed

    @property
    def ok(self) -> bool:
        return self.first_bad is None and not self.problem


_EVENTS = AuditEvent.__table__


def _events(session: Session, batch: int = 5000, after: int = 0) -> Iterator[Any]:
    """The events after ``after`` in seq order, as rows (an event's columns by name), a page at a
    time: the ORM's instances cost two thirds of a full verify, and nothing here changes them."""
    last = after
    while True:
        chunk = session.execute(select(_EVENTS).where(_EVENTS.c.seq > last).order_by(_EVENTS.c.seq).limit(batch)).all()
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify(session: Session, signed: Mapping[int, str] | None = None, *, since: tuple[int, str] | None = None) -> Verdict:
    """Recompute the chain; name the first event that was altered, removed or inserted.

    ``signed``: the head hash each signed checkpoint (registrar.checkpoints) holds by event
    number; the chain must reach every one of them with that hash there.

    ``since``: a checkpoint already checked, (its event, its hash): the chain is recomputed from
    the event after it, which must follow that hash, and the checkpoint's own event must still
    hold it. What came before is the checkpoint's word: a change to those events is found by a
    full verify, which reads them all."""
    signed = signed or {}
    prev, expected_seq, count = GENESIS, 1, 0
    if since is not None:
        seq, digest = since
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
        if stored != digest:
            return Verdict(seq - 1, seq, f"event {seq} differs from its signed checkpoint: the chain was rewritten", seq)
        prev, expected_seq, count = digest, seq + 1, seq
    for event in _events(session, after=count):
        if event.seq != expected_seq:
            return Verdict(count, expected_seq, f"event {expected_seq} is missing (the next stored is {event.seq})")
        if event.prev_hash != prev:
            return Verdict(count, event.seq, f"event {event.seq} does not follow the event before it")
        if _digest(prev, event) != event.hash:
            return Verdict(count, event.seq, f"event {event.seq} was altered: its content does not match its hash")
        if signed.get(event.seq, event.hash) != event.hash:
            return Verdict(count, event.seq, f"event {event.seq} differs from its signed checkpoint: the chain was rewritten")
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    longest = max(signed, default=0)
    if longest > count:
        return Verdict(count, count + 1, f"the chain ends at event {count} but a signed checkpoint holds {longest} events")
    head = session.get(AuditHead, 1)
    if head is None and count:
        return Verdict(count, count + 1, f"the chain's head is missing ({count} events stored)")
    if head is not None and (head.last_seq != count or head.last_hash != prev):
        return Verdict(count, count + 1, f"the chain ends at event {count} but {head.last_seq} were appended")
    return Verdict(count, since=since[0] if since else 0)


def history(session: Session, subject_type: str, subject_id: str | int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
            .order_by(AuditEvent.seq)
        )
    )
