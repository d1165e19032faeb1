"""Legal deadlines as rows: which state opens them, which states keep them open, how long.

This module records and cancels deadlines inside an action's transaction. Running them
when they fall due (the sweep) is the deadline engine's job; it reads the same rows.
A pending deadline always belongs to the candidacy's current state: leaving the state
cancels it, in the same transaction.

Each kind's ``says`` names its period by the rule's key (``{D2.answer_days}``);
:func:`says` renders it with the election kind's rules.
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
            says="the organisation must answer the CEC's information request within {D2.answer_days} days",
        ),
        DeadlineKind(
            "documents_check", "D7", frozenset({"documents_submitted"}), lambda r: r.D7.check_days,
            frozenset({"documents_submitted"}), "the CEC checks the complete documents within {D7.check_days} days",
        ),
        DeadlineKind(
            "declaration_verification", "G4", frozenset({"registered"}), lambda r: r.G4.verification_days,
            frozenset({"registered"}), "the revenue authorities verify the declarations within {G4.verification_days} days",
        ),
        DeadlineKind(
            "appeal_window", "G6", frozenset({"refused", "registration_cancelled"}), lambda r: r.G6.appeal_days,
            frozenset({"refused", "registration_cancelled"}),
            "the decision may be appealed to the Supreme Court within {G6.appeal_days} days",
        ),
        DeadlineKind(
            "court_review", "G6", frozenset({"appealed"}), lambda r: r.G6.court_review_days,
            frozenset({"appealed"}), "the Supreme Court decides the appeal within {G6.court_review_days} days",
        ),
    )
}  # fmt: skip

# The election's own cut-offs, taken from its calendar.
ELECTION_MILESTONES = {"nomination_closes": "N2", "registration_closes": "G1", "voting_opens": "V2"}

_BEFORE_COUNT = frozenset({"announced", "nomination", "registration", "campaign", "voting", "counting"})
_SECOND_ROUND = frozenset({"second_round", "second_round_voting", "second_round_counting"})


@dataclass(frozen=True)
class AfterVote:
    """An election deadline after the vote (V3-V7): pending only while the election is in ``open_in``."""

    name: str
    rule: str
    open_in: frozenset[str]
    says: str


AFTER_VOTE: dict[str, AfterVote] = {
    kind.name: kind
    for kind in (
        AfterVote("protocols_due", "V3", _BEFORE_COUNT | _SECOND_ROUND,
                  "the territorial commissions submit their protocols within {V3.protocol_days} days"),
        AfterVote("results_due", "V4", _BEFORE_COUNT | _SECOND_ROUND,
                  "the CEC establishes the results within {V4.results_days} days"),
        AfterVote("second_round_due", "V5", frozenset({"second_round_due"}),
                  "the second round is held within {V5.second_round_within_months} months of the first"),
        AfterVote("second_round_voting_opens", "V2", frozenset({"second_round"}), "voting opens in the second round"),
        AfterVote("second_round_voting_closes", "V2", frozenset({"second_round", "second_round_voting"}),
                  "voting closes in the second round"),
        AfterVote("president_registration_due", "V7", frozenset({"elected"}),
                  "the CEC registers the elected President within {V7.registration_days} days"),
        AfterVote("president_appeal_window", "V7", frozenset({"president_refused"}),
                  "the refusal may be appealed to the Supreme Court within {V7.appeal_days} days"),
        AfterVote("president_court_review", "V7", frozenset({"president_appealed"}),
                  "the Supreme Court decides the appeal within {V7.court_review_days} days"),
        AfterVote("rerun_due", "V6", frozenset({"void", "no_winner", "refusal_final"}),
                  "the re-run is held within {V6.rerun_within_months} months"),
    )
}  # fmt: skip


def says(kind_name: str, rules: Rules) -> str:
    """What a deadline kind (:data:`KINDS`, :data:`AFTER_VOTE`) means, its period from ``rules``."""
    kind = KINDS.get(kind_name) or AFTER_VOTE[kind_name]
    return rules.say(kind.says)


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


def open_election_deadline(
    session: Session, election_id: str, kind_name: str, due: dt.datetime, *, calendar: ElectionCalendar,
    computed_from: str, now: dt.datetime, round_: int | None = None,
) -> Deadline:  # fmt: skip
    """Record an election deadline after the vote (:data:`AFTER_VOTE`); the same one twice is a no-op.

    A pending one of the same kind (and round) due at another moment is replaced: the CEC moved it."""
    kind = AFTER_VOTE[kind_name]
    prefix = f"election:{election_id}:{kind.name}:" + (f"r{round_}:" if round_ is not None else "")
    key = f"{prefix}{due.astimezone(dt.UTC).isoformat()}"
    cancel(session, Deadline.subject_type == "election", Deadline.subject_id == election_id,
           Deadline.key.like(f"{prefix}%"), Deadline.key != key, now=now)  # fmt: skip
    return _add(
        session,
        Deadline(key=key, subject_type="election", subject_id=election_id, kind=kind.name, rule=kind.rule, due_at=due,
                 due_local=_local(due, calendar), computed_from=computed_from, created_at=now),
    )  # fmt: skip


def round_of(key: str) -> int:
    """The round a V3/V4 deadline's key names (``election:<id>:<kind>:r<round>:<due>``)."""
    return int(key.split(":")[3].removeprefix("r"))


def count_deadlines(
    session: Session, election_id: str, voting_closes: dt.datetime, round_: int, *,
    rules: Rules, calendar: ElectionCalendar, now: dt.datetime,
) -> None:  # fmt: skip
    """V3/V4: the protocols within V3.protocol_days and the results within V4.results_days, counted
    from the close of voting (T2)."""
    shown = _local(voting_closes, calendar)
    for kind, days in (("protocols_due", int(rules.V3.protocol_days)), ("results_due", int(rules.V4.results_days))):
        rule = AFTER_VOTE[kind].rule
        open_election_deadline(session, election_id, kind, period_end(voting_closes, days, rules), calendar=calendar,
                               computed_from=f"{days} days ({rule}) from the close of voting at {shown}", now=now,
                               round_=round_)  # fmt: skip


def follow_phase(session: Session, election_id: str, new_phase: str, *, now: dt.datetime) -> None:
    """Cancel the election's deadlines after the vote that the new phase closes."""
    closed = [k.name for k in AFTER_VOTE.values() if new_phase not in k.open_in]
    cancel(session, Deadline.subject_type == "election", Deadline.subject_id == election_id,
           Deadline.kind.in_(closed), now=now)  # fmt: skip


def schedule_election(
    session: Session, election_id: str, calendar: ElectionCalendar, *, now: dt.datetime, rules: Rules | None = None
) -> None:
    """Record the election's cut-offs (with ``rules``, also the first round's V3/V4 deadlines);
    a milestone the CEC moved replaces its pending row."""
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
    if rules is not None and "V3" in rules and "V4" in rules:
        count_deadlines(session, election_id, calendar.voting_closes, 1, rules=rules, calendar=calendar, now=now)


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
