"""Delivering the outbox: each due row, to every active contact of its recipient, at least once.

Every action writes its notifications into the ``outbox`` table in its own transaction;
:func:`deliver_due` sends them afterwards, to every active :class:`~registrar.models.Contact`
of the message's recipient, and logs each try as a :class:`~registrar.models.DeliveryAttempt`.

Claiming and sending
    A deliverer claims one due row at a time (``status = 'pending'`` and ``next_attempt_at``
    empty or past, in id order) in a short transaction: on PostgreSQL with ``FOR UPDATE SKIP
    LOCKED``, so concurrent deliverers take different rows; on SQLite the transaction holds the
    one writer lock. The claim counts the attempt and pushes ``next_attempt_at`` a lease ahead
    (:func:`lease_seconds`), so no other deliverer takes the row while it is being sent. The
    sending happens outside any transaction (a slow mail server never holds a database lock);
    a second short transaction records the attempts and the row's new status.

At least once, never silently lost
    If the process dies between sending and recording, nothing records the send: the lease
    runs out, the row is due again and is **sent again, with the same delivery key**. Receivers
    de-duplicate on that key: e-mails carry it in ``X-Registrar-Delivery`` and derive their
    ``Message-ID`` from it (:mod:`~registrar.notifications.mail`); webhooks carry it in the
    body's ``delivery`` field and the ``X-Registrar-Delivery`` header
    (:mod:`~registrar.notifications.webhooks`). Because the claim counts the attempt, a message
    whose sending kills the deliverer each time still ends ``failed`` after
    ``delivery_max_attempts`` instead of looping.

Retries
    A contact that already took the message (an ``ok`` attempt) is not sent it again. A failed
    send leaves the row pending with ``next_attempt_at = now + backoff``: ``delivery_backoff_seconds``
    after the first failure, doubling after each, capped at ``delivery_backoff_max_seconds``;
    after ``delivery_max_attempts`` the row is ``failed``. A recipient without any active contact
    is marked ``no_contact`` at once (shown by ``registrar notifications list --status
    no_contact``), not retried; :func:`requeue` puts such rows back once a contact is added.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from registrar import metrics
from registrar.db import Database
from registrar.errors import InvalidPayload
from registrar.models import Candidacy, Contact, Decision, DeliveryAttempt, OutboxMessage
from registrar.notifications.mail import Mailer, letter
from registrar.notifications.messages import GIVE_REASONS, render
from registrar.notifications.webhooks import Refused, post, webhook_body
from registrar.settings import Settings

STATUSES = ("pending", "delivered", "failed", "no_contact")


@dataclass(frozen=True)
class Sent:
    """What one try to reach one contact came to: the server's answer, or why it failed."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class _Target:
    """A contact as it stood when the row was claimed (the sending happens outside the session)."""

    id: int
    channel: str
    address: str
    language: str
    secret: str | None


@dataclass(frozen=True)
class _Claim:
    id: int
    delivery_key: str
    topic: str
    recipient: str
    payload: dict[str, Any]
    attempt: int
    targets: tuple[_Target, ...]
    context: dict[str, Any]  # the payload, with what the words need and it lacks (the candidacy's election)


@dataclass
class DeliveryReport:
    """What one :func:`deliver_due` run did with the rows it claimed."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    no_contact: int = 0
    sent: int = 0  # contact sends that succeeded
    errors: int = 0  # contact sends that failed
    keys: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.delivered + self.retrying + self.failed + self.no_contact

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retrying": self.retrying, "failed": self.failed,
                "no_contact": self.no_contact, "sent": self.sent, "errors": self.errors}  # fmt: skip


def backoff_seconds(attempts: int, settings: Settings) -> float:
    """The wait after the ``attempts``-th failure: the first backoff, doubled each time, capped."""
    return float(min(settings.delivery_backoff_seconds * 2 ** max(attempts - 1, 0), settings.delivery_backoff_max_seconds))


def lease_seconds(targets: Sequence[_Target], settings: Settings) -> float:
    """How long a claimed row is left alone: twice the time its sends may take, and a minute."""
    timeouts = (settings.smtp.timeout_seconds if t.channel == "email" else settings.webhook_timeout_seconds for t in targets)
    return 60 + 2 * sum(timeouts)


def _due(now: dt.datetime) -> Any:
    return (OutboxMessage.status == "pending") & or_(
        OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now
    )


def _claim(db: Database, now: dt.datetime, settings: Settings, report: DeliveryReport) -> _Claim | bool | None:
    """Take the next due row: a claim to send, True when it was settled without sending, None when none is due."""
    with db.transaction() as session:
        query = select(OutboxMessage).where(_due(now)).order_by(OutboxMessage.id).limit(1)
        if db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.scalar(query)
        if row is None:
            return None
        contacts = session.scalars(
            select(Contact).where(Contact.recipient == row.recipient, Contact.active.is_(True)).order_by(Contact.id)
        ).all()
        done = set(
            session.scalars(
                select(DeliveryAttempt.contact_id).where(DeliveryAttempt.outbox_id == row.id, DeliveryAttempt.ok.is_(True))
            )
        )
        targets = tuple(_Target(c.id, c.channel, c.address, c.language, c.secret) for c in contacts if c.id not in done)
        if not targets:
            if done:  # every contact took it already (the last record was lost, or a contact left since)
                row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
                report.delivered += 1
            else:
                row.status, row.next_attempt_at = "no_contact", None
                row.last_error = f"no active contact for {row.recipient}"
                report.no_contact += 1
            metrics.delivered(row.status, row.attempts)
            return True
        row.attempts += 1
        row.next_attempt_at = now + dt.timedelta(seconds=lease_seconds(targets, settings))
        return _Claim(row.id, row.delivery_key, row.topic, row.recipient, dict(row.payload), row.attempts, targets,
                      _context(session, row.payload, row.topic))  # fmt: skip


# The CEC's decisions whose grounds a refusal, a cancellation and the court's rulings on them say.
GROUNDED = ("refuse", "refuse_incomplete", "cancel_registration")


def _context(session: Session, payload: dict[str, Any], topic: str = "") -> dict[str, Any]:
    context = dict(payload)
    # A deadline's notice names its candidacy only; readers want the election too.
    if context.get("election") is None and str(context.get("candidacy", "")).isdigit():
        context["election"] = session.scalar(select(Candidacy.election_id).where(Candidacy.id == int(context["candidacy"])))
    # A decision's message says its grounds: those the CEC recorded with the refusal or cancellation
    # (the court's ruling is on that decision), as of the message's moment.
    family, _, trigger = topic.partition(".")
    candidacy = str(context.get("candidacy", ""))
    if family == "candidacy" and trigger in GIVE_REASONS and "grounds" not in context and candidacy.isdigit():
        grounds = _grounds_of(session, int(candidacy), _moment(context.get("at")))
        if grounds:
            context["grounds"] = grounds
    return context


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _grounds_of(session: Session, candidacy_id: int, at: dt.datetime | None) -> list[str]:
    """The grounds of the candidacy's latest refusal or cancellation recorded by ``at`` (any, without it)."""
    query = select(Decision.grounds).where(Decision.candidacy_id == candidacy_id, Decision.kind.in_(GROUNDED))
    if at is not None:
        query = query.where(Decision.recorded_at <= at)
    grounds = session.scalar(query.order_by(Decision.recorded_at.desc(), Decision.id.desc()).limit(1))
    return [str(g) for g in grounds or []]


def _send(claim: _Claim, target: _Target, now: dt.datetime, settings: Settings, mailer: Mailer) -> Sent:
    try:
        text = render(claim.topic, claim.context, target.language)
        if target.channel == "email":
            mail = letter(text, to=target.address, contact_id=target.id, delivery_key=claim.delivery_key, topic=claim.topic,
                          now=now, smtp=settings.smtp)  # fmt: skip
            return Sent(True, mailer.send(mail, target.address))
        if target.channel == "webhook":
            body = webhook_body(claim.delivery_key, claim.topic, claim.recipient, claim.payload, text)
            return Sent(True, post(target.address, body, secret=target.secret or "", delivery_key=claim.delivery_key,
                                   timeout=settings.webhook_timeout_seconds))  # fmt: skip
        return Sent(False, f"unknown channel {target.channel!r}")
    except Refused as err:  # the endpoint's status and the start of its answer, as it gave them
        return Sent(False, str(err))
    except Exception as err:  # any failure of one contact is that attempt's failure, never the batch's
        return Sent(False, _why(err)[:1000])


def _why(err: Exception) -> str:
    if isinstance(err, smtplib.SMTPResponseException):
        reply = err.smtp_error.decode("utf-8", "replace") if isinstance(err.smtp_error, bytes) else str(err.smtp_error)
        return f"SMTP {err.smtp_code} {reply}"
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return "SMTP recipient refused: " + "; ".join(
            f"{address}: {code} {reply.decode('utf-8', 'replace')}" for address, (code, reply) in err.recipients.items()
        )
    reason = getattr(err, "reason", None)  # urllib's URLError
    return f"{type(err).__name__}: {reason if reason is not None else err}"


def _record(db: Database, claim: _Claim, results: list[tuple[_Target, Sent]], now: dt.datetime,
            settings: Settings, report: DeliveryReport) -> None:  # fmt: skip
    with db.transaction() as session:
        row = session.get(OutboxMessage, claim.id)
        assert row is not None  # outbox rows are never deleted
        for target, sent in results:
            session.add(DeliveryAttempt(outbox_id=claim.id, contact_id=target.id, attempt=claim.attempt,
                                        channel=target.channel, address=target.address, at=now, ok=sent.ok,
                                        detail=sent.detail))  # fmt: skip
        failures = [f"{target.channel} {target.address}: {sent.detail}" for target, sent in results if not sent.ok]
        report.sent += len(results) - len(failures)
        report.errors += len(failures)
        if not failures:
            row.status, row.delivered_at, row.next_attempt_at, row.last_error = "delivered", now, None, None
            report.delivered += 1
        elif row.attempts >= settings.delivery_max_attempts:
            row.status, row.next_attempt_at, row.last_error = "failed", None, "; ".join(failures)
            report.failed += 1
        else:
            row.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(row.attempts, settings))
            row.last_error = "; ".join(failures)
            report.retrying += 1
        metrics.delivered(row.status if row.status != "pending" else "retrying", claim.attempt)


def deliver_due(db: Database, now: dt.datetime, *, settings: Settings) -> DeliveryReport:
    """Deliver up to ``settings.delivery_batch`` due outbox rows, in id order, to their active contacts."""
    if now.tzinfo is None:
        raise ValueError("naive datetime: every instant in Registrar is timezone-aware")
    report = DeliveryReport()
    with Mailer(settings.smtp) as mailer:
        for _ in range(settings.delivery_batch):
            claim = _claim(db, now, settings, report)
            if claim is None:
                break
            if isinstance(claim, _Claim):
                results = [(target, _send(claim, target, now, settings, mailer)) for target in claim.targets]
                _record(db, claim, results, now, settings, report)
                report.keys.append(claim.delivery_key)
    return report


# --- Reading and operating ------------------------------------------------------------------


def _row_view(row: OutboxMessage) -> dict[str, Any]:
    def iso(moment: dt.datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {"id": row.id, "delivery_key": row.delivery_key, "topic": row.topic, "recipient": row.recipient,
            "status": row.status, "attempts": row.attempts, "created_at": iso(row.created_at),
            "next_attempt_at": iso(row.next_attempt_at), "delivered_at": iso(row.delivered_at),
            "last_error": row.last_error}  # fmt: skip


def list_messages(db: Database, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest outbox rows (of one status), newest first."""
    if status is not None and status not in STATUSES:
        raise InvalidPayload({"status": [f"one of: {', '.join(STATUSES)}"]})
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    with db.reading() as session:
        return [_row_view(row) for row in session.scalars(query)]


def delivery_log(db: Database, outbox_id: int) -> list[dict[str, Any]]:
    """Every attempt to send one outbox row, oldest first."""
    with db.reading() as session:
        attempts = session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == outbox_id).order_by(DeliveryAttempt.id)
        )
        return [{"attempt": a.attempt, "contact_id": a.contact_id, "channel": a.channel, "address": a.address,
                 "at": a.at.isoformat(), "ok": a.ok, "detail": a.detail} for a in attempts]  # fmt: skip


def counts(session: Session) -> dict[str, int]:
    """How many outbox rows are in each status (for health pages)."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: 0 for status in STATUSES} | {status: int(n) for status, n in rows}


def requeue(db: Database, *, status: str, recipient: str | None = None) -> int:
    """Put ``failed`` or ``no_contact`` rows back to pending (after a contact is added or an endpoint fixed).

    Attempts start again from zero; contacts that already took a message are still not sent it again.
    """
    if status not in ("failed", "no_contact"):
        raise InvalidPayload({"status": ["only failed or no_contact messages can be requeued"]})
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.status == status)
        .values(status="pending", attempts=0, next_attempt_at=None, last_error=None)
    )
    if recipient is not None:
        statement = statement.where(OutboxMessage.recipient == recipient)
    with db.transaction() as session:
        return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
