"""Who is told: the contacts through which each recipient of the outbox is reached.

A recipient (the CEC, an association, a candidate, a territorial commission, an organisation)
may have several contacts, each an e-mail address or a webhook, each read in its own language.
Adding, reactivating and deactivating one is audited; the audit keeps neither a webhook's
secret nor the path of its URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import urllib.parse
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from registrar import audit
from registrar.db import Database
from registrar.errors import InvalidPayload, NotFound
from registrar.models import Contact
from registrar.notifications.messages import LANGUAGES

CHANNELS = ("email", "webhook")
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
            }
            for c in session.scalars(query)
        ]
