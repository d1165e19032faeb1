"""Lists the API serves to officials: pending deadlines, appeals, associations.

Plain queries that decide nothing (what is due is decided when the deadline row is written,
in ``registrar.deadlines``); the officer's pages may want them too, and then they belong in
``registrar`` beside ``registrar.public``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registrar.actions import now
from registrar.db import Database
from registrar.deadlines import of_election
from registrar.models import Appeal, Association, Candidacy, Deadline, Person


def deadlines(
    db: Database, *, election: str | None = None, overdue: bool | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Pending deadlines, soonest first; ``election`` keeps the election's own and its candidacies'."""
    at = now()
    query = select(Deadline).where(Deadline.status == "pending").order_by(Deadline.due_at, Deadline.id).limit(limit)
    if election is not None:
        query = query.where(of_election(election))
    if overdue is not None:
        query = query.where(Deadline.due_at <= at if overdue else Deadline.due_at > at)
    with db.reading() as session:
        return [{"id": d.id, "subject_type": d.subject_type, "subject_id": d.subject_id, "kind": d.kind, "rule": d.rule,
                 "due_at": d.due_at, "due_local": d.due_local, "overdue": d.due_at <= at}
                for d in session.scalars(query)]  # fmt: skip


def appeals(db: Database) -> list[dict[str, Any]]:
    """G6: every appeal, the latest first, with the end of the court's review period while it runs."""
    with db.reading() as session:
        rows = session.execute(
            select(Appeal, Candidacy.election_id, Person.full_name)
            .join(Candidacy, Appeal.candidacy_id == Candidacy.id)
            .join(Person, Candidacy.person_id == Person.id)
            .order_by(Appeal.filed_at.desc(), Appeal.id.desc())
        ).all()
        reviews = {
            int(d.subject_id): d.due_at
            for d in session.scalars(select(Deadline).where(Deadline.kind == "court_review", Deadline.status == "pending"))
        }
    return [{"id": a.id, "candidacy_id": a.candidacy_id, "election_id": election_id, "full_name": name,
             "against": a.against, "case_number": a.case_number, "filed_at": a.filed_at, "outcome": a.outcome,
             "decided_at": a.decided_at, "court_due_at": reviews.get(a.candidacy_id) if a.outcome is None else None}
            for a, election_id, name in rows]  # fmt: skip


def associations(db: Database) -> list[dict[str, Any]]:
    with db.reading() as session:
        rows = session.scalars(select(Association).order_by(Association.id))
        return [{"id": a.id, "registration_number": a.registration_number, "name": a.name, "kind": a.kind,
                 "registered_on": a.registered_on} for a in rows]  # fmt: skip


def candidacies(db: Database, election_id: str) -> list[dict[str, Any]]:
    """An election's candidacies, each with its (public) name and state."""
    with db.reading() as session:
        rows = session.execute(
            select(Candidacy.id, Person.full_name, Candidacy.state, Candidacy.state_since)
            .join(Person, Candidacy.person_id == Person.id)
            .where(Candidacy.election_id == election_id)
            .order_by(Candidacy.id)
        ).all()
    return [{"id": r.id, "full_name": r.full_name, "state": r.state, "state_since": r.state_since} for r in rows]
