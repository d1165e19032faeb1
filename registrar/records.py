"""What each step of a candidacy writes: the records the law asks for, one recorder a step.

A step names its recorder in its declaration (:data:`registrar.machines.CANDIDACY_STEPS`);
:func:`registrar.actions.perform_in` runs it before the machine fires, so the conditions read
what was just recorded. A recorder may also say who else is told (``ctx.told``), under which
topic (``ctx.topic``), and what the audit event notes besides the payload (``ctx.noted``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, func, select
from sqlalchemy.orm import Session

from registrar import deadlines
from registrar.conditions import Context
from registrar.db import dialect_insert
from registrar.errors import InvalidPayload, NotFound
from registrar.models import (
    Appeal,
    Candidacy,
    Certificate,
    Contribution,
    Deadline,
    Decision,
    Declaration,
    Document,
    Election,
    InformationRequest,
    LanguageConclusion,
    MedicalConclusion,
    SignatureProtocol,
)
from registrar.reasons import said


def election_row(session: Session, election_id: str, *, lock: bool = False) -> Election:
    """The election's row (locked for the action's transaction with ``lock``), or NotFound."""
    query = select(Election).where(Election.id == election_id)
    election = session.scalar(query.with_for_update() if lock else query)
    if election is None:
        raise NotFound(f"no election {election_id!r}")
    return election


def candidacy_row(session: Session, candidacy_id: int) -> Candidacy:
    """The candidacy's row, or NotFound."""
    candidacy = session.get(Candidacy, candidacy_id)
    if candidacy is None:
        raise NotFound(f"no candidacy {candidacy_id}")
    return candidacy


Recorder = Callable[[Context, dict[str, Any]], None]


def decision(body: str) -> Recorder:
    """The decision of ``body`` (the CEC, the court, the candidate, the association) with its number and grounds."""

    def record(ctx: Context, data: dict[str, Any]) -> None:
        ctx.session.add(
            Decision(
                candidacy_id=ctx.candidacy.id,
                kind=ctx.trigger,
                body=body,
                number=data["number"],
                decided_on=data["decided_on"],
                grounds=data.get("grounds", []),
                reason=data.get("reason", ""),
                recorded_at=ctx.at,
            )  # fmt: skip
        )

    return record


def declarations(ctx: Context, data: dict[str, Any]) -> None:
    for item in data["declarations"]:
        ctx.session.add(Declaration(candidacy_id=ctx.candidacy.id, **item))


def information_request(ctx: Context, data: dict[str, Any]) -> None:
    request = InformationRequest(candidacy_id=ctx.candidacy.id, sent_at=ctx.at, **data)
    ctx.session.add(request)
    ctx.session.flush()
    deadlines.open_deadline(ctx.session, "information_request_answer", ctx.candidacy.id, started_at=ctx.at,
                            rules=ctx.rules, calendar=ctx.calendar, now=ctx.at, key_suffix=f":{request.id}")  # fmt: skip
    ctx.told.append(f"organisation:{data['organisation']}")


def information_answer(ctx: Context, data: dict[str, Any]) -> None:
    request = ctx.session.get(InformationRequest, data["request_id"])
    if request is None or request.candidacy_id != ctx.candidacy.id:
        raise InvalidPayload({"request_id": [said("record.no_such_request")]})
    if request.answered_at is not None:
        raise InvalidPayload({"request_id": [said("record.request_answered")]})
    request.answered_at, request.answer = ctx.at, data["answer"]

    deadlines.cancel(ctx.session, Deadline.key.like(f"candidacy:{ctx.candidacy.id}:information_request_answer:%:{request.id}"),
                     now=ctx.at)  # fmt: skip


def once(model: type[Any], message: str) -> Recorder:
    """A record the law asks for once (a medical conclusion, the contribution): a second is refused,
    saying ``message`` (a field error's id: "record.medical_conclusion_recorded")."""

    def record(ctx: Context, data: dict[str, Any]) -> None:
        if not _added_unless_recorded(ctx.session, model, ("candidacy_id",), {"candidacy_id": ctx.candidacy.id, **data}):
            raise InvalidPayload({"_schema": [said(message)]})

    return record


def signature_protocol(ctx: Context, data: dict[str, Any]) -> None:
    # A territorial commission may send a corrected protocol: it replaces the earlier one,
    # and the audit trail keeps both.
    connection = ctx.session.connection()
    connection.execute(_protocol_recorded(connection.dialect.name), {"candidacy_id": ctx.candidacy.id, **data})


def document(ctx: Context, data: dict[str, Any]) -> None:
    if not _added_unless_recorded(ctx.session, Document, ("candidacy_id", "kind"), {"candidacy_id": ctx.candidacy.id, **data}):
        raise InvalidPayload({"kind": [said("record.document_recorded", document=data["kind"])]})


# A record kept once per candidacy (or per candidacy and kind, or region) is written in one
# statement that also tells whether one was already there: its unique key decides.


def _added_unless_recorded(session: Session, model: type[Any], key: tuple[str, ...], row: dict[str, Any]) -> bool:
    """Insert ``row`` unless a record with the same ``key`` exists; whether it was inserted."""
    connection = session.connection()
    return connection.execute(_unless_recorded(model.__table__, key, connection.dialect.name), row).first() is not None


@functools.cache
def _unless_recorded(table: Table, key: tuple[str, ...], dialect: str) -> Insert:
    # The row comes back only if it was inserted (the row count of an INSERT is the driver's to give).
    inserted: Insert = dialect_insert(table, dialect).on_conflict_do_nothing(index_elements=list(key)).returning(table.c.id)
    return inserted


@functools.cache
def _protocol_recorded(dialect: str) -> Insert:
    table = cast(Table, SignatureProtocol.__table__)
    insert = dialect_insert(table, dialect)
    kept = ("id", "candidacy_id", "region")
    return insert.on_conflict_do_update(
        index_elements=["candidacy_id", "region"],
        set_={column.name: insert.excluded[column.name] for column in table.columns if column.name not in kept},
    )


_ELECTION_LOCK = select(Election.__table__.c.id).where(Election.__table__.c.id == bindparam("election_id")).with_for_update()
# Whether the candidacy holds a certificate in force, and how many the election has issued: one statement.
_CERTIFICATES = select(
    select(Certificate.id).where(Certificate.candidacy_id == bindparam("candidacy_id"), Certificate.revoked_at.is_(None))
    .limit(1).scalar_subquery(),
    # Counted from the certificates (a few dozen an election), never from the election's candidacies:
    # SQLite's planner walked every candidacy of the election for it (129 ms at a million).
    select(func.count(Certificate.id))
    .where(select(Candidacy.id).where(Candidacy.id == Certificate.candidacy_id,
                                      Candidacy.election_id == bindparam("election_id")).exists())
    .scalar_subquery(),
)  # fmt: skip


def issue_certificate(ctx: Context) -> None:
    if ctx.trigger == "record_registration":
        return  # a past election's public record: the certificate the CEC issued is not in it, and none is made up
    # The election row's lock orders concurrent registrations, so numbers never collide; SQLite's
    # one writer holds its lock from BEGIN (registrar.db), so there it is already held.
    ids = {"election_id": ctx.election.id, "candidacy_id": ctx.candidacy.id}
    if ctx.session.get_bind().dialect.name != "sqlite":
        ctx.session.execute(_ELECTION_LOCK, ids)
    current, issued = ctx.session.execute(_CERTIFICATES, ids).one()
    if current is not None:
        return
    number = f"{ctx.election.id.upper()}-{(issued or 0) + 1:03d}"
    ctx.session.add(Certificate(number=number, candidacy_id=ctx.candidacy.id, issued_at=ctx.at))
    ctx.noted["certificate"] = number


def revoke_certificate(ctx: Context) -> None:
    for certificate in ctx.session.scalars(
        select(Certificate).where(Certificate.candidacy_id == ctx.candidacy.id, Certificate.revoked_at.is_(None))
    ):
        certificate.revoked_at = ctx.at


def verification(ctx: Context, data: dict[str, Any]) -> None:
    declaration = ctx.session.scalar(
        select(Declaration).where(Declaration.candidacy_id == ctx.candidacy.id, Declaration.filer == data["filer"])
    )
    if declaration is None:
        raise InvalidPayload({"filer": [said("record.no_declaration_of", filer=data["filer"])]})
    declaration.verification, declaration.verified_on = data["result"], data["verified_on"]
    ctx.session.flush()  # the verification just recorded is one of those counted
    pending = ctx.session.scalar(
        select(func.count(Declaration.id)).where(
            Declaration.candidacy_id == ctx.candidacy.id, Declaration.verification == "pending"
        )
    )
    if not pending:
        deadlines.cancel(ctx.session, Deadline.subject_type == "candidacy", Deadline.subject_id == str(ctx.candidacy.id),
                         Deadline.kind == "declaration_verification", now=ctx.at)  # fmt: skip
    if data["result"] == "false":
        ctx.topic = "candidacy.false_declaration"  # G4: a ground to cancel; the CEC decides


def refusal(ctx: Context, data: dict[str, Any]) -> None:
    ctx.candidacy.decided_from = ctx.candidacy.state
    decision("CEC")(ctx, data)


# G1/G3: the number a refusal at the close of registration is recorded under (registrar.replay reads it).
REFUSED_AT_CLOSE = "G1: registration closed"


def refusal_at_close(ctx: Context, data: dict[str, Any]) -> None:
    # G1/G3: no resolution number of its own; the decision is the closing of registration.
    closes = ctx.calendar.local(ctx.calendar.registration_closes)
    reason = f"the documents were incomplete when registration closed at {closes:%Y-%m-%d %H:%M %z}"
    refusal(ctx, {"number": REFUSED_AT_CLOSE, "decided_on": closes.date(), "grounds": ["documents_missing"],
                   "reason": reason})  # fmt: skip


def appeal(ctx: Context, data: dict[str, Any]) -> None:
    ctx.candidacy.appealed_from = ctx.candidacy.state
    ctx.session.add(Appeal(candidacy_id=ctx.candidacy.id, against=ctx.candidacy.state,
                           case_number=data["case_number"], filed_at=ctx.at))  # fmt: skip


def court_ruling(outcome: str) -> Recorder:
    def record(ctx: Context, data: dict[str, Any]) -> None:
        pending = ctx.session.scalar(
            select(Appeal).where(Appeal.candidacy_id == ctx.candidacy.id, Appeal.outcome.is_(None)).order_by(Appeal.id.desc())
        )
        if pending is not None:
            pending.outcome, pending.decided_at = outcome, ctx.at
        decision("Supreme Court")(ctx, data)

    return record


# The recorders the steps name (registrar.machines.CANDIDACY_STEPS), one object each, so two
# rows of one trigger can be seen to name the same one.
cec_decision = decision("CEC")
candidate_statement = decision("candidate")  # G7: the candidate's statement of withdrawal
association_decision = decision("association")  # G7: the association revokes its nomination
court_upholds = court_ruling("upheld")
court_dismisses = court_ruling("dismissed")
medical_conclusion = once(MedicalConclusion, "record.medical_conclusion_recorded")
language_conclusion = once(LanguageConclusion, "record.language_conclusion_recorded")
contribution = once(Contribution, "record.contribution_recorded")

# What entering a state does besides the deadlines: the certificate follows registration.
ON_ENTER: dict[str, Callable[[Context], None]] = {
    "registered": issue_certificate,
    "registration_cancelled": revoke_certificate,
    "withdrawn": revoke_certificate,
    "revoked": revoke_certificate,
    "deceased": revoke_certificate,
}
