"""Legal deadlines as rows: which state opens them, which states keep them open, how long.

This module records and cancels deadlines inside an action's transaction. Running them
when they fall due (the sweep) is the deadline engine's job; it reads the same rows.
A pending deadline always belongs to the candidacy's current state: leaving the state
cancels it, in the same transaction.

Every kind is declared once, in :data:`DEADLINES`: its rule, where it is open, its period,
what it means, what happens when it falls due and whose duty it is. The rest follows: the
sweep runs the effect the kind names (:mod:`registrar.sweep`), the officers' dashboard shows
each role the kinds it owes (:func:`registrar.roles.deadline_roles`), and the words for a
kind in each language are the messages' ``[deadlines]`` entry of its name.

What a kind says names its period by the rule's key (``{D2.answer_days}``); :func:`says`
renders it with the election kind's rules.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from typing import cast as cast_to

from sqlalchemy import ColumnElement, String, Table, bindparam, cast, func, or_, select, update
from sqlalchemy.orm import Session

from registrar.calendar import ElectionCalendar, period_end
from registrar.db import dialect_insert
from registrar.models import Candidacy, Deadline, Declaration, InformationRequest
from registrar.rules import Rules
from registrar.states import BEFORE_COUNT, SECOND_ROUND, STANDING

# A candidacy's deadlines open and close with its state; the election's milestones are its
# calendar's cut-offs, moved only by a CEC resolution; the deadlines after the vote (V3-V7)
# close with the election's phase.
Family = Literal["candidacy", "milestone", "after_vote"]


@dataclass(frozen=True)
class Notice:
    """Falling due changes nothing: the sweep records it and tells the parties ``to`` (the CEC,
    the organisation asked, the candidacy's association and candidate, the commissions whose
    protocols are missing)."""

    says: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class Act:
    """Falling due acts: the sweep takes a system step of the machines (``close_appeal_window``),
    or one of its own effects (the phase moving on, registration closing)."""

    does: str
    says: str


# Whether the one thing a deadline row waits for is done, read from the record that answers it:
# True, or the moment it was done; None or False: not yet.
Answered = Callable[[Session, Deadline], dt.datetime | bool | None]


def request_answered(session: Session, row: Deadline) -> dt.datetime | None:
    """D2: the request the row's key names has its answer."""
    request_id = information_request_of(row.key)
    request = session.get(InformationRequest, request_id) if request_id is not None else None
    return request.answered_at if request is not None else None


def declarations_verified(session: Session, row: Deadline) -> bool:
    """G4: no declaration of the candidacy still waits for its verification."""
    waiting = select(func.count(Declaration.id)).where(
        Declaration.candidacy_id == int(row.subject_id), Declaration.verification == "pending"
    )
    return not session.scalar(waiting)


def protocols_in(session: Session, row: Deadline) -> bool:
    """V3: every territorial unit's protocol of the round the row's key names has reached the CEC."""
    from registrar.results import missing_units  # the results read the deadlines: imported when asked

    return not missing_units(session, row.subject_id, round_of(row.key))


@dataclass(frozen=True)
class DeadlineKind:
    """One kind of legal deadline. ``duty``: the steps or actions whose roles owe it, the people
    the deadline waits for; ``open_in``: the states (a candidacy's) or phases (after the vote) in
    which it stays pending.

    ``answered``: for a kind whose step answers one of several things (one request among a
    candidacy's requests, one declaration, one unit's protocol), the record that says whether the
    row's own thing is done; any other kind is done when one of its ``duty`` steps is taken
    (:mod:`registrar.duties`)."""

    name: str
    rule: str
    family: Family
    says: str
    effect: Notice | Act
    duty: tuple[str, ...]
    open_in: tuple[str, ...] = ()
    opened_by_entering: tuple[str, ...] = ()
    days: Callable[[Rules], int] | None = None
    answered: Answered | None = None

    @property
    def owed(self) -> bool:
        """Whether somebody owes it: a kind whose effect is a notice waits for a person, and stays
        owed after its time; one whose effect is an act is the law acting by itself at its time (a
        milestone passing, a window closing): nobody's duty."""
        return isinstance(self.effect, Notice)

    def period(self, rules: Rules) -> int:
        """Its period in days under ``rules``."""
        if self.days is None:
            raise ValueError(f"{self.name}: no period in days (it is counted otherwise)")
        return int(self.days(rules))

    @property
    def effect_says(self) -> str:
        return f"{self.rule}: {self.effect.says}"


# fmt: off
DEADLINES: dict[str, DeadlineKind] = {kind.name: kind for kind in (
    # --- A candidacy's -----------------------------------------------------------------------
    DeadlineKind(
        "information_request_answer", "D2", "candidacy",
        "the organisation must answer the CEC's information request within {D2.answer_days} days",
        Notice("the organisation did not answer the information request within {D2.answer_days} days",
               to=("cec", "organisation")),
        duty=("answer_information_request",),
        open_in=STANDING, days=lambda r: r.D2.answer_days, answered=request_answered,
    ),
    DeadlineKind(
        "documents_check", "D7", "candidacy",
        "the CEC checks the complete documents within {D7.check_days} days",
        Notice("the CEC's check of the complete documents is due ({D7.check_days} days)", to=("cec",)),
        duty=("register", "refuse"),
        open_in=("documents_submitted",), opened_by_entering=("documents_submitted",), days=lambda r: r.D7.check_days,
    ),
    DeadlineKind(
        "declaration_verification", "G4", "candidacy",
        "the revenue authorities verify the declarations within {G4.verification_days} days",
        Notice("no verification result from the revenue authorities within {G4.verification_days} days: "
               "escalated to the CEC", to=("cec", "candidacy")),
        duty=("record_declaration_verification",),
        open_in=("registered",), opened_by_entering=("registered",), days=lambda r: r.G4.verification_days,
        answered=declarations_verified,
    ),
    DeadlineKind(
        "appeal_window", "G6", "candidacy",
        "the decision may be appealed to the Supreme Court within {G6.appeal_days} days",
        Act("close_appeal_window", "no appeal within the window: the refusal or cancellation becomes final"),
        duty=("appeal",),
        open_in=("refused", "registration_cancelled"), opened_by_entering=("refused", "registration_cancelled"),
        days=lambda r: r.G6.appeal_days,
    ),
    DeadlineKind(
        "court_review", "G6", "candidacy",
        "the Supreme Court decides the appeal within {G6.court_review_days} days",
        Notice("the Supreme Court's {G6.court_review_days} days to decide the appeal have passed without a recorded "
               "ruling", to=("cec", "candidacy")),
        duty=("uphold_appeal", "dismiss_appeal"),
        open_in=("appealed",), opened_by_entering=("appealed",), days=lambda r: r.G6.court_review_days,
    ),
    # --- The election's milestones, from its calendar ----------------------------------------
    DeadlineKind(
        "nomination_closes", "N2", "milestone",
        "nominations reach the CEC until {N2.closes_at}, {N2.closes_months_before_election} months before election day",
        Act("move_phase", "nomination closes"),
        duty=("nominate", "extend_nomination"),
    ),
    DeadlineKind(
        "registration_closes", "G1", "milestone",
        "the CEC registers candidates until {G1.closes_at}, {G1.closes_days_before_election} days before election day",
        Act("close_registration", "registration closes; incomplete candidacies are refused (G3); N7 if fewer than "
                                  "{N7.min_registered} registered"),
        duty=("register", "submit_documents"),
    ),
    DeadlineKind(
        "voting_opens", "V2", "milestone",
        "voting opens at {V2.opens_at} on election day",
        Act("move_phase", "voting opens"),
        duty=("set_milestone",),
    ),
    # --- After the vote (V3-V7) ---------------------------------------------------------------
    DeadlineKind(
        "protocols_due", "V3", "after_vote",
        "the territorial commissions submit their protocols within {V3.protocol_days} days",
        Notice("protocols of territorial commissions are missing after {V3.protocol_days} days", to=("cec", "commissions")),
        duty=("submit_protocol",),
        open_in=(*BEFORE_COUNT, *SECOND_ROUND), days=lambda r: r.V3.protocol_days, answered=protocols_in,
    ),
    DeadlineKind(
        "results_due", "V4", "after_vote",
        "the CEC establishes the results within {V4.results_days} days",
        Notice("the results were not established within {V4.results_days} days: escalated to the CEC", to=("cec",)),
        duty=("establish_results",),
        open_in=(*BEFORE_COUNT, *SECOND_ROUND), days=lambda r: r.V4.results_days,
    ),
    DeadlineKind(
        "second_round_due", "V5", "after_vote",
        "the second round is held within {V5.second_round_within_months} months of the first",
        Notice("no second round was held within {V5.second_round_within_months} months of the first: escalated to "
               "the CEC", to=("cec",)),
        duty=("call_second_round",),
        open_in=("second_round_due",),
    ),
    DeadlineKind(
        "second_round_voting_opens", "V2", "after_vote",
        "voting opens in the second round",
        Act("move_phase", "voting opens in the second round; its ballot is fixed"),
        duty=("call_second_round",),
        open_in=("second_round",),
    ),
    DeadlineKind(
        "second_round_voting_closes", "V2", "after_vote",
        "voting closes in the second round",
        Act("move_phase", "voting closes in the second round"),
        duty=("call_second_round",),
        open_in=("second_round", "second_round_voting"),
    ),
    DeadlineKind(
        "president_registration_due", "V7", "after_vote",
        "the CEC registers the elected President within {V7.registration_days} days",
        Notice("the elected President was not registered within {V7.registration_days} days: escalated", to=("cec",)),
        duty=("register_president", "refuse_president"),
        open_in=("elected",), days=lambda r: r.V7.registration_days,
    ),
    DeadlineKind(
        "president_appeal_window", "V7", "after_vote",
        "the refusal may be appealed to the Supreme Court within {V7.appeal_days} days",
        Act("close_president_appeal_window",
            "no appeal within the window: the refusal to register the President-elect is final"),
        duty=("appeal_president_refusal", "close_president_appeal_window"),
        open_in=("president_refused",), days=lambda r: r.V7.appeal_days,
    ),
    DeadlineKind(
        "president_court_review", "V7", "after_vote",
        "the Supreme Court decides the appeal within {V7.court_review_days} days",
        Notice("the Supreme Court's {V7.court_review_days} days to decide the appeal have passed without a ruling",
               to=("cec",)),
        duty=("uphold_president_appeal", "dismiss_president_appeal"),
        open_in=("president_appealed",), days=lambda r: r.V7.court_review_days,
    ),
    DeadlineKind(
        "rerun_due", "V6", "after_vote",
        "the re-run is held within {V6.rerun_within_months} months",
        Notice("no re-run was called within {V6.rerun_within_months} months: escalated to the CEC", to=("cec",)),
        duty=("call_rerun",),
        open_in=("void", "no_winner", "refusal_final"),
    ),
)}
# fmt: on


def _family(family: Family) -> dict[str, DeadlineKind]:
    return {name: kind for name, kind in DEADLINES.items() if kind.family == family}


KINDS = _family("candidacy")
ELECTION_MILESTONES = _family("milestone")
AFTER_VOTE = _family("after_vote")


def says(kind_name: str, rules: Rules) -> str:
    """What a deadline kind means, its period from ``rules``."""
    return rules.say(DEADLINES[kind_name].says)


def _local(moment: dt.datetime, calendar: ElectionCalendar) -> str:
    return calendar.local(moment).isoformat()


def _add(session: Session, row: Deadline) -> Deadline:
    # Actions add deadlines without flushing as they go: one added earlier in the same
    # transaction may not be in the table yet.
    for added in session.new:
        if isinstance(added, Deadline) and added.key == row.key:
            return added
    existing = session.scalar(select(Deadline).where(Deadline.key == row.key))
    if existing is not None:
        return existing
    session.add(row)
    return row


_TABLE = cast_to(Table, Deadline.__table__)
# A candidacy's deadline is written as it is opened, by a statement that makes the same key
# twice a no-op in the database: no read first to see whether it is there (issue 15).
_OPEN = {dialect: dialect_insert(_TABLE, dialect).on_conflict_do_nothing(index_elements=["key"])
         for dialect in ("postgresql", "sqlite")}  # fmt: skip


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
) -> None:
    """Record a candidacy deadline counted from ``started_at`` (T2); a repeat of the same key is a no-op."""
    kind = KINDS[kind_name]
    if kind.rule not in rules:
        return
    days = kind.period(rules)
    due = period_end(started_at, days, rules)
    session.execute(
        _OPEN[session.get_bind().dialect.name],
        {"key": f"candidacy:{candidacy_id}:{kind.name}:{started_at.astimezone(dt.UTC).isoformat()}{key_suffix}",
         "subject_type": "candidacy", "subject_id": str(candidacy_id), "kind": kind.name, "rule": kind.rule,
         "due_at": due, "due_local": _local(due, calendar), "status": "pending", "created_at": now,
         "computed_from": f"{days} days ({kind.rule}) from {_local(started_at, calendar)}"},
    )  # fmt: skip


# What the sweep records on a fired row (``Deadline.outcome``), written and read back here only.
NOT_ACTED = ("skipped", "no effect")


def moved(before: str, after: str) -> str:
    """The outcome of an act that moved its subject from one state to another."""
    return f"{before} -> {after}"


def what_followed(outcome: str | None) -> tuple[str, ...]:
    """A fired row's outcome as data: ("moved", before, after), ("skipped",) or ("notified",)."""
    text = outcome or ""
    before, arrow, after = text.partition(" -> ")
    if arrow and before.isidentifier() and after.split(";")[0].isidentifier():
        return ("moved", before, after.split(";")[0])
    return ("skipped",) if text.startswith(NOT_ACTED) else ("notified",)


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


# The candidacy's pending deadlines of the kinds a state closes, cancelled as it is entered: one
# statement built once, with no ORM objects to keep in step (actions read deadlines as rows).
_CANCEL_CLOSED = (
    update(_TABLE)
    .where(_TABLE.c.status == "pending", _TABLE.c.subject_type == "candidacy", _TABLE.c.subject_id == bindparam("subject"),
           _TABLE.c.kind.in_(bindparam("closed", expanding=True)))
    .values(status="cancelled", cancelled_at=bindparam("at", type_=_TABLE.c.cancelled_at.type))
)  # fmt: skip


@functools.cache
def _entering(state: str) -> tuple[list[str], list[str]]:
    """The candidacy kinds ``state`` closes, and those entering it opens."""
    closed = [k.name for k in KINDS.values() if state not in k.open_in]
    return closed, [k.name for k in KINDS.values() if state in k.opened_by_entering]


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
    closed, opened = _entering(new_state)
    session.execute(_CANCEL_CLOSED, {"subject": str(candidacy_id), "closed": closed, "at": at})
    for name in opened:
        open_deadline(session, name, candidacy_id, started_at=at, rules=rules, calendar=calendar, now=at)


def open_election_deadline(
    session: Session, election_id: str, kind_name: str, due: dt.datetime, *, calendar: ElectionCalendar,
    computed_from: str, now: dt.datetime, round_: int | None = None,
) -> Deadline:  # fmt: skip
    """Record an election's deadline (a milestone, or one after the vote); the same one twice is a no-op.

    A pending one of the same kind (and round) due at another moment is replaced: the CEC moved it."""
    kind = DEADLINES[kind_name]
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
    for kind in (AFTER_VOTE["protocols_due"], AFTER_VOTE["results_due"]):
        days = kind.period(rules)
        open_election_deadline(session, election_id, kind.name, period_end(voting_closes, days, rules), calendar=calendar,
                               computed_from=f"{days} days ({kind.rule}) from the close of voting at {shown}", now=now,
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
    for name, kind in ELECTION_MILESTONES.items():
        due = milestones[name]
        assert isinstance(due, dt.datetime)
        resolution = calendar.set_by(name)
        source = f"CEC resolution {resolution.number} of {resolution.adopted_on}" if resolution else f"rule {kind.rule}"
        open_election_deadline(session, election_id, name, due, calendar=calendar, computed_from=source, now=now)
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
