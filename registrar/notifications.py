"""Delivering the outbox: who is told (contacts), in which words (messages), and how (e-mail, webhooks).

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
    ``Message-ID`` from it (the same message always has the same Message-ID); webhooks carry it
    in the body's ``delivery`` field and the ``X-Registrar-Delivery`` header. Because the claim
    counts the attempt, a message whose sending kills the deliverer each time still ends
    ``failed`` after ``delivery_max_attempts`` instead of looping.

Retries
    A contact that already took the message (an ``ok`` attempt) is not sent it again. A failed
    send leaves the row pending with ``next_attempt_at = now + backoff``: ``delivery_backoff_seconds``
    after the first failure, doubling after each, capped at ``delivery_backoff_max_seconds``;
    after ``delivery_max_attempts`` the row is ``failed``. A recipient without any active contact
    is marked ``no_contact`` at once (shown by ``registrar notifications list --status
    no_contact``), not retried; :func:`requeue` puts such rows back once a contact is added.

Webhook signatures
    A webhook is a JSON ``POST`` of ``{"delivery", "topic", "recipient", "payload", "message"}``
    (``message``: the rendered subject and body in the contact's language). Its headers::

        X-Registrar-Delivery:  the delivery key (percent-encoded where it is not ASCII)
        X-Registrar-Timestamp: unix seconds when it was sent
        X-Registrar-Signature: "sha256=" + hex(HMAC-SHA256(secret, f"{timestamp}.{body}"))

    where ``body`` is the exact request body (UTF-8 bytes) and ``secret`` the contact's secret.
    Receivers recompute the HMAC over the raw body, compare in constant time, and refuse a
    timestamp far from their clock (a replayed request); :func:`verify_signature` does all
    three with the standard library only and may be copied as it is. Any 2xx answer is
    success; redirects are not followed (a moved endpoint is an error to fix, not to guess).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import smtplib
import ssl
import string
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from registrar import audit
from registrar.db import Database
from registrar.deadlines import AFTER_VOTE
from registrar.errors import InvalidPayload, NotFound
from registrar.machines import ELECTION_TRIGGERS
from registrar.models import Candidacy, Contact, DeliveryAttempt, OutboxMessage
from registrar.resources import InstallationError, config_file, packaged, read_toml
from registrar.rules_in_force import capital_zone
from registrar.settings import Settings, Smtp

MESSAGES_DIR = packaged("messages")
LANGUAGES = ("kk", "ru", "en")
CHANNELS = ("email", "webhook")
STATUSES = ("pending", "delivered", "failed", "no_contact")

# Every topic the outbox carries that has its own words; "candidacy.*" serves every candidacy
# action without a table of its own, "fallback" any topic none names. The decisions on an
# election and its deadlines after the vote come from the domain's tables, so a new one cannot
# go out in the fallback's words: the loader refuses a message file without it.
TOPICS = (
    "candidacy.*",
    "candidacy.false_declaration",
    "deadline.reminder",
    "deadline.information_request_answer",
    "deadline.declaration_verification",
    "deadline.appeal_window",
    "deadline.court_review",
    "deadline.documents_check",
    "deadline.registration_closes",
    "election.extension_possible",
    "deadline.nomination_closes",
    "deadline.voting_opens",
    "candidacy.record_death",
    "election.submit_protocol",
    "election.correct_protocol",
    *(f"election.{trigger}" for trigger in ELECTION_TRIGGERS),
    *(f"deadline.{kind}" for kind in AFTER_VOTE),
    "fallback",
)
# What a template may name: the payload's fields; the topic and the whole payload as text; and
# {concerning}, the [phrases] line naming the candidacy or, for an election's deadline, the election.
PAYLOAD_FIELDS = frozenset(
    {"candidacy", "election", "trigger", "from", "to", "at", "kind", "rule", "due_local", "registered", "max_extension_days",
     "round", "unit", "version"}
)  # fmt: skip
PLACEHOLDERS = PAYLOAD_FIELDS | {"topic", "details", "concerning"}
PHRASES = ("concerning_candidacy", "concerning_election")
MISSING = "—"
# Values shown in the reader's words rather than as the code's identifiers, and the table of
# the message file that has the words.
LOCALISED = {"from": "states", "to": "states", "trigger": "actions", "kind": "deadlines"}
# An election's messages move the election between phases, not a candidacy between states.
LOCALISED_BY_FAMILY = {"election": LOCALISED | {"from": "phases", "to": "phases"}}
WORDS = ("states", "phases", "actions", "deadlines")


# --- Contacts -------------------------------------------------------------------------------

# commission:<code> is a territorial election commission (V3), by its unit's code in config/territory.toml.
RECIPIENT = re.compile(r"^(cec|association:[1-9][0-9]*|candidate:[1-9][0-9]*|commission:[A-Z]{2,5}|organisation:\S.{0,180})$")


class ContactSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # forms carry CSRF tokens and buttons

    recipient = fields.String(
        required=True,
        validate=validate.Regexp(
            RECIPIENT,
            error='"cec", "association:<id>", "candidate:<id>", "commission:<unit code>" or "organisation:<name>"',
        ),
    )
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    address = fields.String(required=True, validate=validate.Length(min=3, max=500))
    language = fields.String(load_default="kk", validate=validate.OneOf(LANGUAGES))
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=16, max=200))

    # Run even when a field is already wrong: an officer fixing a form wants every error at once.
    @validates_schema(skip_on_field_errors=False)
    def _address_fits_channel(self, data: dict[str, Any], **_: Any) -> None:
        channel, address, errors = data.get("channel"), data.get("address"), {}
        check = {"email": validate.Email(error="not an e-mail address"),
                 "webhook": validate.URL(schemes={"http", "https"}, require_tld=False, error="not an http(s) URL")}  # fmt: skip
        if address is not None and channel in check:
            try:
                check[channel](address)
            except ValidationError as err:
                errors["address"] = err.messages
        if channel == "webhook" and not data.get("secret"):
            errors["secret"] = ["a webhook needs a secret (16 characters or more) to sign its requests"]
        if channel == "email" and data.get("secret"):
            errors["secret"] = ["only webhooks have a secret"]
        if errors:
            raise ValidationError(errors)


_CONTACT_SCHEMA = ContactSchema()


def _load_contact(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidPayload({"_schema": ["the payload must be a JSON object"]})
    try:
        return dict(_CONTACT_SCHEMA.load(payload))
    except ValidationError as err:
        raise InvalidPayload(err.normalized_messages()) from None


def _audited_address(channel: str, address: str) -> str:
    # The audit chain is permanent and may be shown: a webhook URL can hold a token in its path
    # or query, so only its origin is kept, with a fingerprint that still identifies the URL.
    if channel != "webhook":
        return address
    parts = urllib.parse.urlsplit(address)
    fingerprint = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''} (sha256 {fingerprint})"


def add_contact(db: Database, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None) -> int:
    """Record where a recipient is reached; an inactive identical contact is reactivated."""
    at = at or dt.datetime.now(dt.UTC)
    data = _load_contact(payload)
    with db.transaction() as session:
        contact = session.scalar(
            select(Contact).where(
                Contact.recipient == data["recipient"], Contact.channel == data["channel"], Contact.address == data["address"]
            )
        )
        if contact is not None and contact.active:
            raise InvalidPayload({"address": [f"already a contact of {data['recipient']} (#{contact.id})"]})
        action = "reactivate_contact" if contact is not None else "add_contact"
        if contact is None:
            contact = Contact(recipient=data["recipient"], channel=data["channel"], address=data["address"], created_at=at)
            session.add(contact)
        contact.language, contact.secret, contact.active = data["language"], data["secret"], True
        session.flush()
        audit.append(session, at=at, actor=actor, action=action, subject_type="contact", subject_id=contact.id,
                     payload={"recipient": contact.recipient, "channel": contact.channel, "language": contact.language,
                              "address": _audited_address(contact.channel, contact.address),
                              "signed": contact.secret is not None})  # fmt: skip
        return contact.id


def deactivate_contact(db: Database, contact_id: int, *, actor: str, at: dt.datetime | None = None) -> None:
    """Stop sending to a contact; its delivery log stays."""
    at = at or dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id}")
        if not contact.active:
            raise InvalidPayload({"contact": [f"contact {contact_id} is already inactive"]})
        contact.active = False
        audit.append(session, at=at, actor=actor, action="deactivate_contact", subject_type="contact",
                     subject_id=contact.id, payload={"recipient": contact.recipient, "channel": contact.channel})  # fmt: skip


def list_contacts(db: Database, *, recipient: str | None = None, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Contacts as plain dicts; the webhook secret is never shown, only whether there is one."""
    query = select(Contact).order_by(Contact.recipient, Contact.id)
    if recipient is not None:
        query = query.where(Contact.recipient == recipient)
    if not include_inactive:
        query = query.where(Contact.active.is_(True))
    with db.reading() as session:
        return [
            {
                "id": c.id,
                "recipient": c.recipient,
                "channel": c.channel,
                "address": c.address,
                "language": c.language,
                "signed": c.secret is not None,
                "active": c.active,
                "created_at": c.created_at.isoformat(),
            }  # fmt: skip
            for c in session.scalars(query)
        ]


# --- Messages -------------------------------------------------------------------------------


class MessagesError(InstallationError, ValueError):
    """A message file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Text:
    subject: str
    body: str
    language: str


@dataclass(frozen=True)
class Catalogue:
    language: str
    topics: Mapping[str, Mapping[str, str]]
    words: Mapping[str, Mapping[str, str]]  # states, phases, actions, deadlines
    phrases: Mapping[str, str]

    def template(self, topic: str) -> Mapping[str, str]:
        if topic in self.topics:
            return self.topics[topic]
        family = topic.split(".", 1)[0] + ".*"
        return self.topics.get(family, self.topics["fallback"])


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _check_placeholders(path: Traversable, where: str, text: str, allowed: frozenset[str]) -> None:
    try:
        unknown = _fields(text) - allowed
    except ValueError as err:
        raise MessagesError(f"{path}: {where}: {err}") from None
    if unknown:
        raise MessagesError(
            f"{path}: {where}: unknown placeholder(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(allowed))}"
        )


def load_catalogue(language: str, directory: Path | None = None) -> Catalogue:
    """Read and check ``<directory>/<language>.toml``: every topic, two strings each, known placeholders only."""
    path = directory / f"{language}.toml" if directory is not None else config_file(f"messages/{language}.toml")
    raw = read_toml(path, MessagesError, f"no messages for language {language!r}")
    topics = raw.get("topics", {})
    for topic in TOPICS:
        if topic not in topics:
            raise MessagesError(f"{path}: [topics.{topic!r}] is missing")
    for topic, table in topics.items():
        for part in ("subject", "body"):
            text = table.get(part) if isinstance(table, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise MessagesError(f"{path}: topics.{topic!r}.{part}: expected a non-empty string")
            _check_placeholders(path, f"topics.{topic!r}.{part}", text, PLACEHOLDERS)
    phrases = raw.get("phrases", {})
    for name in PHRASES:
        if not isinstance(phrases.get(name), str):
            raise MessagesError(f"{path}: phrases.{name}: expected a string")
        _check_placeholders(path, f"phrases.{name}", phrases[name], PAYLOAD_FIELDS)
    words = {name: dict(raw.get(name, {})) for name in WORDS}
    return Catalogue(language, {t: {"subject": v["subject"].strip(), "body": v["body"].strip()} for t, v in topics.items()},
                     words, {name: phrases[name] for name in PHRASES})  # fmt: skip


@cache
def catalogue(language: str) -> Catalogue:
    return load_catalogue(language)


def _shown(name: str, value: Any, words: Mapping[str, Mapping[str, str]], localised: Mapping[str, str]) -> str:
    if value is None or value == "":
        return MISSING
    if name in localised:
        return words[localised[name]].get(str(value), str(value).replace("_", " "))
    if name in ("at", "due_local") and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            return f"{moment:%Y-%m-%d %H:%M}"
        if name == "at":  # the action's moment is stored in UTC; people read the capital's time (T1)
            moment = moment.astimezone(capital_zone())
        offset = moment.strftime("%z")
        return f"{moment:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}"
    return str(value)


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return MISSING


def render(topic: str, payload: Mapping[str, Any], language: str, *, catalogue_of: Catalogue | None = None) -> Text:
    """The message for ``topic`` in ``language``, its placeholders filled from ``payload``."""
    book = catalogue_of or catalogue(language if language in LANGUAGES else "kk")
    localised = LOCALISED_BY_FAMILY.get(topic.split(".", 1)[0], LOCALISED)
    values = _Values({name: _shown(name, payload.get(name), book.words, localised) for name in PAYLOAD_FIELDS})
    about = "concerning_candidacy" if payload.get("candidacy") not in (None, "") else "concerning_election"
    values["concerning"] = book.phrases[about].format_map(values)
    values["topic"] = topic
    values["details"] = json.dumps(dict(payload), ensure_ascii=False, sort_keys=True, default=str)
    template = book.template(topic)
    return Text(template["subject"].format_map(values), template["body"].format_map(values), book.language)


# --- Sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    ok: bool
    detail: str


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under the contact's secret."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str, timestamp: str | int, body: bytes | str, signature: str, now: float | None = None, tolerance: float = 300
) -> bool:
    """For receivers (standard library only, copy it as it is): is the request Registrar's, and fresh?

    ``timestamp`` and ``signature`` are the X-Registrar-Timestamp and X-Registrar-Signature
    headers, ``body`` the raw request body, ``now`` unix seconds (default: the clock). A
    request older or newer than ``tolerance`` seconds is refused, so a captured one cannot be
    replayed later; de-duplicate what passes on the delivery key.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = "sha256=" + hmac.new(secret.encode(), f"{sent_at}.".encode() + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip())


def message_id(delivery_key: str, contact_id: int, sender: str) -> str:
    """The same delivery to the same contact always gets the same Message-ID, so a re-send is one message."""
    domain = sender.rpartition("@")[2] or "registrar.invalid"
    return f"<{hashlib.sha256(delivery_key.encode()).hexdigest()[:32]}.{contact_id}@{domain}>"


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


class _Mailer:
    """One SMTP connection for a run of deliveries, opened when first needed, reopened after an error."""

    def __init__(self, smtp: Smtp):
        self.smtp = smtp
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.smtp
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if cfg.ssl:
            connection = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=context)
        else:
            connection = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        try:
            connection.ehlo()
            if cfg.starttls and not cfg.ssl:
                connection.starttls(context=context)
                connection.ehlo()
            if cfg.username:
                connection.login(cfg.username, cfg.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, message: EmailMessage, to: str) -> str:
        reused = self.connection is not None
        if self.connection is None:
            self.connection = self._connect()
        try:
            refused = self.connection.send_message(message, from_addr=self.smtp.sender, to_addrs=[to])
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            # The server dropped the connection kept from an earlier message: one fresh try.
            return self.send(message, to)
        except BaseException:
            self.close()
            raise
        if refused:
            return f"refused: {refused}"
        return f"accepted by {self.smtp.host}:{self.smtp.port}"

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()


def _email(claim: _Claim, target: _Target, text: Text, now: dt.datetime, smtp: Smtp) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = target.address
    message["Subject"] = text.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(claim.delivery_key, target.id, smtp.sender)
    message["X-Registrar-Delivery"] = claim.delivery_key
    message["X-Registrar-Topic"] = claim.topic
    message.set_content(text.body + "\n")
    message["Content-Language"] = text.language  # after set_content, which clears the Content-* headers
    return message


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx then surfaces as an HTTPError: a failed attempt


_OPENER = urllib.request.build_opener(_NoRedirect)


def webhook_body(claim: _Claim, text: Text) -> bytes:
    document = {"delivery": claim.delivery_key, "topic": claim.topic, "recipient": claim.recipient,
                "payload": claim.payload,
                "message": {"language": text.language, "subject": text.subject, "body": text.body}}  # fmt: skip
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _post(claim: _Claim, target: _Target, text: Text, timeout: float) -> Sent:
    body = webhook_body(claim, text)
    timestamp = int(time.time())  # the receiver's replay window is on its real clock, not on `now`
    request = urllib.request.Request(
        target.address,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "registrar-notifications",
            "X-Registrar-Delivery": urllib.parse.quote(claim.delivery_key, safe=":/@!$&'()*+,;=-._~"),
            "X-Registrar-Timestamp": str(timestamp),
            "X-Registrar-Signature": sign(target.secret or "", timestamp, body),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Sent(True, f"HTTP {response.status}")
    except urllib.error.HTTPError as err:
        with err:
            excerpt = err.read(200).decode("utf-8", "replace").strip()
        return Sent(False, f"HTTP {err.code} {err.reason}" + (f": {excerpt}" if excerpt else ""))


def _send(claim: _Claim, target: _Target, now: dt.datetime, settings: Settings, mailer: _Mailer) -> Sent:
    try:
        text = render(claim.topic, claim.context, target.language)
        if target.channel == "email":
            return Sent(True, mailer.send(_email(claim, target, text, now, settings.smtp), target.address))
        if target.channel == "webhook":
            return _post(claim, target, text, settings.webhook_timeout_seconds)
        return Sent(False, f"unknown channel {target.channel!r}")
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


# --- Delivery -------------------------------------------------------------------------------


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
            return True
        row.attempts += 1
        row.next_attempt_at = now + dt.timedelta(seconds=lease_seconds(targets, settings))
        return _Claim(row.id, row.delivery_key, row.topic, row.recipient, dict(row.payload), row.attempts, targets,
                      _context(session, row.payload))  # fmt: skip


def _context(session: Session, payload: dict[str, Any]) -> dict[str, Any]:
    context = dict(payload)
    # A deadline's notice names its candidacy only; readers want the election too.
    if context.get("election") is None and str(context.get("candidacy", "")).isdigit():
        context["election"] = session.scalar(select(Candidacy.election_id).where(Candidacy.id == int(context["candidacy"])))
    return context


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


def deliver_due(db: Database, now: dt.datetime, *, settings: Settings) -> DeliveryReport:
    """Deliver up to ``settings.delivery_batch`` due outbox rows, in id order, to their active contacts."""
    if now.tzinfo is None:
        raise ValueError("naive datetime: every instant in Registrar is timezone-aware")
    report = DeliveryReport()
    with _mailer(settings.smtp) as mailer:
        for _ in range(settings.delivery_batch):
            claim = _claim(db, now, settings, report)
            if claim is None:
                break
            if isinstance(claim, _Claim):
                results = [(target, _send(claim, target, now, settings, mailer)) for target in claim.targets]
                _record(db, claim, results, now, settings, report)
                report.keys.append(claim.delivery_key)
    return report


@contextmanager
def _mailer(smtp: Smtp) -> Iterator[_Mailer]:
    mailer = _Mailer(smtp)
    try:
        yield mailer
    finally:
        mailer.close()


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
