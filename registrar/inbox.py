"""An officer's inbox: the outbox's messages addressed to their role, each read or unread by the officer.

The messages are the outbox's rows (one per event and recipient, :mod:`registrar.notifications`);
an officer reads those of their role's recipients (:func:`registrar.officer_views.recipients_for`:
the CEC's and the role's own). Whether one was read is the officer's, not the role's: a row of
``inbox_read`` per (message, login), so two clerks each have their own unread count. Each
message comes with the names of what it concerns (the candidate, the election's title) and who
acted (its audit event's actor), read in the same query, so a page never shows a bare id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Integer, Select, and_, cast, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import AuditEvent, Candidacy, Election, InboxRead, OutboxMessage, Person
from registrar.names import in_languages
from registrar.officer_views import recipients_for

PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    """What an officer narrows the inbox to: unread only, one topic ("candidacy.register",
    "deadline.declaration_verification"), one election (a candidacy's messages belong to its election)."""

    unread_only: bool = False
    topic: str = ""
    election: str = ""


@dataclass(frozen=True)
class Message:
    id: int
    topic: str
    recipient: str
    payload: dict[str, Any]
    status: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    candidacy_id: int | None
    candidate: str
    election_id: str | None
    election_title: str
    actor: str  # who took the step the message tells of (the audit event's actor)

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def action(self) -> str:
        """What happened, by the name the audit log gives it: a step's trigger ("register"), an
        election's ("election.submit_protocol"), a deadline's ("deadline.declaration_verification")."""
        return str(self.payload.get("trigger") or self.topic.removeprefix("candidacy."))


@dataclass(frozen=True)
class InboxPage:
    messages: list[Message]
    total: int  # the messages the filters match
    unread: int  # the officer's unread messages, whatever the filters
    page: int
    pages: int
    filters: Filters
    topics: list[str]  # the topics there are in the role's inbox, for the filter
    elections: list[tuple[str, str]]  # (id, title), newest election day first


# A candidacy's messages carry its id (an integer, or a string in a deadline's notice); an
# election's carry the election's id. Read as the same types on SQLite and PostgreSQL.
_candidacy_of_message = cast(OutboxMessage.payload["candidacy"].as_string(), Integer)
_election_of_message: ColumnElement[str] = func.coalesce(OutboxMessage.payload["election"].as_string(), Candidacy.election_id)


Named = Select[OutboxMessage, dt.datetime | None, int | None, str | None, str | None, str | None, str | None,
               dict[str, Any] | None]  # fmt: skip
Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def _narrowed(query: Query, login: str, role: str, filters: Filters) -> Query:
    """The officer's messages the filters let through (the query has joined a candidacy when it filters by election)."""
    query = query.outerjoin(InboxRead, and_(InboxRead.outbox_id == OutboxMessage.id, InboxRead.login == login)).where(
        OutboxMessage.recipient.in_(recipients_for(role))
    )
    if filters.unread_only:
        query = query.where(InboxRead.read_at.is_(None))
    if filters.topic:
        query = query.where(OutboxMessage.topic == filters.topic)
    if filters.election:
        query = query.where(_election_of_message == filters.election)
    return query


def _mine(login: str, role: str, filters: Filters) -> Named:
    """The messages with the names of what they concern and who acted."""
    named: Named = (
        select(OutboxMessage, InboxRead.read_at, Candidacy.id, Person.full_name, _election_of_message, Election.title,
               AuditEvent.actor, Election.title_by_language)
        .outerjoin(AuditEvent, AuditEvent.seq == OutboxMessage.event_seq)
        .outerjoin(Candidacy, Candidacy.id == _candidacy_of_message)
        .outerjoin(Person, Person.id == Candidacy.person_id)
        .outerjoin(Election, Election.id == _election_of_message)
    )  # fmt: skip
    return _narrowed(named, login, role, filters)


def _ids(login: str, role: str, filters: Filters) -> Select[tuple[int]]:
    """The messages' ids only: what the counts and the marking read, without the names' joins."""
    ids: Select[tuple[int]] = select(OutboxMessage.id)
    if filters.election:
        ids = ids.outerjoin(Candidacy, Candidacy.id == _candidacy_of_message)
    return _narrowed(ids, login, role, filters)


def _message(row: Any) -> Message:
    m, read_at, candidacy_id, candidate, election_id, title, actor, titles = row
    return Message(m.id, m.topic, m.recipient, dict(m.payload or {}), m.status, m.created_at, read_at, candidacy_id,
                   candidate or "", election_id, in_languages(title, titles), actor or "")  # fmt: skip


def _count(session: Session, ids: Select[tuple[int]]) -> int:
    return int(session.scalar(select(func.count()).select_from(ids.subquery())) or 0)


def page(
    db: Database, login: str, role: str, filters: Filters = Filters(), number: int = 1, *, size: int = PAGE_SIZE
) -> InboxPage:
    """One page of the officer's inbox, newest first; a page past the last is the last."""
    with db.reading() as session:
        query = _mine(login, role, filters)
        total = _count(session, _ids(login, role, filters))
        pages = max(1, -(-total // size))
        number = min(max(1, number), pages)
        rows = session.execute(query.order_by(OutboxMessage.id.desc()).limit(size).offset((number - 1) * size))
        messages = [_message(row) for row in rows]
        unread = _count(session, _ids(login, role, Filters(unread_only=True)))
        topics = sorted(session.scalars(
            select(OutboxMessage.topic).where(OutboxMessage.recipient.in_(recipients_for(role))).distinct()
        ))  # fmt: skip
        elections: list[tuple[str, str]] = [(e.id, in_languages(e.title, e.title_by_language)) for e in session.execute(
            select(Election.id, Election.title, Election.title_by_language).order_by(Election.election_day.desc(), Election.id)
        )]  # fmt: skip
    return InboxPage(messages, total, unread, number, pages, filters, topics, elections)


def message(db: Database, login: str, role: str, outbox_id: int) -> Message:
    """One message of the officer's inbox; NotFound if it is not addressed to their role."""
    with db.reading() as session:
        row = session.execute(_mine(login, role, Filters()).where(OutboxMessage.id == outbox_id)).first()
    if row is None:
        raise NotFound(f"no message {outbox_id} in the inbox of {login}")
    return _message(row)


def unread_count(db: Database, login: str, role: str) -> int:
    with db.reading() as session:
        return _count(session, _ids(login, role, Filters(unread_only=True)))


def mark_read(db: Database, login: str, role: str, ids: Iterable[int], *, at: dt.datetime | None = None) -> int:
    """Mark these messages of the officer's inbox read (others, and those read already, are left); how many were new."""
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    return _mark(db, login, role, lambda query: query.where(OutboxMessage.id.in_(wanted)), at)


def mark_all_read(db: Database, login: str, role: str, filters: Filters = Filters(), *, at: dt.datetime | None = None) -> int:
    """Mark read every unread message the filters match; how many there were."""
    return _mark(db, login, role, lambda query: query, at, filters)


def _mark(db: Database, login: str, role: str, narrow: Any, at: dt.datetime | None, filters: Filters = Filters()) -> int:
    at = at or dt.datetime.now(dt.UTC)
    unread = narrow(_ids(login, role, Filters(True, filters.topic, filters.election)))
    # Twice, at most: the same officer marking from two tabs at once may insert a row the other
    # just inserted; the second round finds it read and adds the rest.
    for attempt in range(2):
        try:
            with db.transaction() as session:
                ids = list(session.scalars(unread))
                if ids:
                    session.execute(insert(InboxRead), [{"outbox_id": i, "login": login, "read_at": at} for i in ids])
                return len(ids)
        except IntegrityError:
            if attempt:
                raise
    return 0
