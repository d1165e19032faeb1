"""Legal deadlines as rows: which state opens them, which states keep them open, how long.

This module records and cancels deadlines inside an action's transaction. Running them
when they fall due (the sweep) is the deadline engine's job; it reads the same rows.
A pending deadline always belongs to the candidacy's current state: leaving the state
cancels it, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, cast, or_, select, update
from sqlalchemy.orm import Session

from registrar.calendar import ElectionCalendar, period_end
from registrar.models import Candidacy, Deadline
from registrar.rules import Rules

STANDING = frozenset({"nominated", "declarations_filed", "medical_check", "documents_submitted", "registered"})


@dataclass(frozen=True)
class DeadlineKind:
    name: str
    rule: str
    open_in: frozenset[str]
    days: Callable[[Rules], int]
    opened_by_entering: frozenset[str] = frozenset()
    says: str = ""


KINDS: dict[str, DeadlineKind] = {
    kind.name: kind
    for kind in (
        DeadlineKind(
            "information_request_answer", "D2", STANDING, lambda r: r.D2.answer_days,
            says="the organisation must answer the CEC's information request",
        ),
        DeadlineKind(
            "documents_check", "D7", frozenset({"documents_submitted"}), lambda r: r.D7.check_days,
            frozenset({"documents_submitted"}), "the CEC checks the complete documents",
        ),
        DeadlineKind(
            "declaration_verification", "G4", frozenset({"registered"}), lambda r: r.G4.verification_days,
            frozenset({"registered"}), "the revenue authorities verify the declarations",
        ),
        DeadlineKind(
            "appeal_window", "G6", frozenset({"refused", "registration_cancelled"}), lambda r: r.G6.appeal_days,
            frozenset({"refused", "registration_cancelled"}), "the decision may be appealed to the Supreme Court",
        ),
        DeadlineKind(
            "court_review", "G6", frozenset({"appealed"}), lambda r: r.G6.court_review_days,
            frozenset({"appealed"}), "the Supreme Court decides the appeal",
        ),
    )
}  # fmt: skip

# The election's own cut-offs, taken from its calendar.
ELECTION_MILESTONES = {"nomination_closes": "N2", "registration_closes": "G1", "voting_opens": "V2"}


def _local(moment: dt.datetime, calendar: ElectionCalendar) -> str:
    return calendar.local(moment).isoformat()


def _add(session: Session, row: Deadline) -> Deadline:
    existing = session.scalar(select(Deadline).where(Deadline.key == row.key))
    if existing is not None:
        return existing
    session.add(row)
    return row


def open_deadline(
    session: Session,
    kind_name: str,
    candidacy_id: int,
    *,
    started_at: dt.datetime,
    rules: Rules,
    calendar: ElectionCalendar,
    now: dt.datetime,
    key_suffix: str = "",
) -> Deadline | None:
    """Record a candidacy deadline counted from ``started_at`` (T2); a repeat of the same key is a no-op."""
    kind = KINDS[kind_name]
    if kind.rule not in rules:
        return None
    days = kind.days(rules)
    due = period_end(started_at, days, rules)
    return _add(
        session,
        Deadline(
            key=f"candidacy:{candidacy_id}:{kind.name}:{started_at.astimezone(dt.UTC).isoformat()}{key_suffix}",
            subject_type="candidacy",
            subject_id=str(candidacy_id),
            kind=kind.name,
            rule=kind.rule,
            due_at=due,
            due_local=_local(due, calendar),
            computed_from=f"{days} days ({kind.rule}) from {_local(started_at, calendar)}",
            created_at=now,
        ),
    )


def information_request_of(key: str) -> int | None:
    """The information request a D2 deadline's key names (``...:information_request_answer:<start>:<request id>``)."""
    _, _, kind_and_rest = key.partition(":information_request_answer:")
    last = kind_and_rest.rsplit(":", 1)[-1] if kind_and_rest else ""
    return int(last) if last.isdigit() else None


def cancel(session: Session, *conditions: object, now: dt.datetime) -> None:
    session.execute(
        update(Deadline)
        .where(Deadline.status == "pending", *conditions)  # type: ignore[arg-type]
        .values(status="cancelled", cancelled_at=now)
        .execution_options(synchronize_session="fetch")
    )


def follow_state(
    session: Session,
    candidacy_id: int,
    new_state: str,
    *,
    at: dt.datetime,
    rules: Rules,
    calendar: ElectionCalendar,
) -> None:
    """Cancel the deadlines the new state closes; open the ones entering it opens."""
    closed = [k.name for k in KINDS.values() if new_state not in k.open_in]
    cancel(
        session,
        Deadline.subject_type == "candidacy",
        Deadline.subject_id == str(candidacy_id),
        Deadline.kind.in_(closed),
        now=at,
    )
    for kind in KINDS.values():
        if new_state in kind.opened_by_entering:
            open_deadline(session, kind.name, candidacy_id, started_at=at, rules=rules, calendar=calendar, now=at)


def schedule_election(session: Session, election_id: str, calendar: ElectionCalendar, *, now: dt.datetime) -> None:
    """Record the election's cut-offs; a milestone the CEC moved replaces its pending row."""
    milestones = calendar.milestones()
    for name, rule in ELECTION_MILESTONES.items():
        due = milestones[name]
        assert isinstance(due, dt.datetime)
        key = f"election:{election_id}:{name}:{due.astimezone(dt.UTC).isoformat()}"
        cancel(
            session,
            Deadline.subject_type == "election",
            Deadline.subject_id == election_id,
            Deadline.kind == name,
            Deadline.key != key,
            now=now,
        )
        resolution = calendar.set_by(name)
        source = f"CEC resolution {resolution.number} of {resolution.adopted_on}" if resolution else f"rule {rule}"
        _add(
            session,
            Deadline(
                key=key,
                subject_type="election",
                subject_id=election_id,
                kind=name,
                rule=rule,
                due_at=due,
                due_local=_local(due, calendar),
                computed_from=source,
                created_at=now,
            ),
        )


def of_election(election_id: str) -> ColumnElement[bool]:
    """The deadlines of an election: its own cut-offs and those of its candidacies (subject_id is text)."""
    candidacies = select(cast(Candidacy.id, String(64))).where(Candidacy.election_id == election_id)
    return or_((Deadline.subject_type == "election") & (Deadline.subject_id == election_id),
               (Deadline.subject_type == "candidacy") & Deadline.subject_id.in_(candidacies))  # fmt: skip


def pending_for(session: Session, subject_type: str, subject_id: str | int) -> list[Deadline]:
    return list(
        session.scalars(
            select(Deadline)
            .where(
                Deadline.subject_type == subject_type,
                Deadline.subject_id == str(subject_id),
                Deadline.status == "pending",
            )
            .order_by(Deadline.due_at)
        )
    )


def fired_for(session: Session, subject_type: str, subject_id: str | int) -> list[Deadline]:
    return list(
        session.scalars(
            select(Deadline)
            .where(Deadline.subject_type == subject_type, Deadline.subject_id == str(subject_id), Deadline.status == "fired")
            .order_by(Deadline.due_at)
        )
    )
