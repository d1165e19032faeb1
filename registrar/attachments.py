"""The scanned papers: a PDF or image attached to the record it proves, its SHA-256 in the audit trail.

A candidacy's papers (the minutes extract, the consent, the declarations' certificates, the
medical and language conclusions, the signature protocols, the decisions) and an election's
(its resolutions, the territorial commissions' protocols) are attached to the candidacy or the
election they belong to, naming the record (``"document:consent"``, ``"decision:register"``).
The bytes are kept once per content, named by their SHA-256 (:class:`StoredFile`); each
attachment is a row of its own and an audit event carrying that hash, so a paper shown later
can be checked against what was filed.

What a file is, is read from its first bytes, never from its name nor from what the browser
declared: a renamed executable stays refused. Nothing of it is public.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import cast

import filetype
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from registrar import audit, roles
from registrar.db import Database, dialect_insert
from registrar.errors import InvalidPayload, NotFound
from registrar.models import Attachment, Candidacy, Election, StoredFile
from registrar.settings import Settings

# The papers are scans: PDF, JPEG, PNG. Anything else (a Word file, a ZIP, a script) is refused.
ACCEPTED_TYPES: dict[str, str] = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
STORED = cast(Table, StoredFile.__table__)
SUBJECTS: dict[str, type[Candidacy] | type[Election]] = {"candidacy": Candidacy, "election": Election}
# What it proves: a kind and, after a colon, which one ("document:consent", "protocol:round1:ALA").
RECORD = re.compile(r"[a-z][a-z0-9_]*(:[A-Za-z0-9_.-]+)*")
RECORD_LENGTH = Attachment.__table__.c.record.type.length  # type: ignore[attr-defined]
FILENAME_LENGTH = Attachment.__table__.c.filename.type.length  # type: ignore[attr-defined]

# The message ids of a refusal, keyed by the field: the web says them in the reader's language.
EMPTY = "document.empty"
TOO_LARGE = "document.too_large"
WRONG_TYPE = "document.wrong_type"
BAD_RECORD = "document.bad_record"


def may_attach(role: str) -> bool:
    """The roles file's [actions.attach_document]: the CEC's staff and members file the papers."""
    return roles.may(role, "attach_document")


def may_read(role: str) -> bool:
    """The roles file's [actions.read_documents]: never the public."""
    return roles.may(role, "read_documents")


@dataclass(frozen=True)
class Attached:
    """One paper as the officers see it: what it is, who filed it, when, and the hash to check it by."""

    id: int
    subject_type: str
    subject_id: str
    record: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime
    audit_seq: int | None


def content_type_of(content: bytes) -> str | None:
    """The type the bytes are (read from their signature), if it is one of :data:`ACCEPTED_TYPES`."""
    kind = filetype.guess(content[:8192])
    mime = kind.mime if kind is not None else None
    return mime if mime in ACCEPTED_TYPES else None


def clean_filename(filename: str, content_type: str) -> str:
    """The name to keep and to offer on download: its last path part, no control characters, a length that fits."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        name = "document." + {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
    if len(name) > FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = FILENAME_LENGTH - len(dot + extension)
        name = (stem[:keep] + dot + extension) if dot and keep > 0 else name[:FILENAME_LENGTH]
    return name


def check(record: str, content: bytes, settings: Settings) -> str:
    """The content type of an acceptable paper; else InvalidPayload naming the field and the message id."""
    if not isinstance(record, str) or len(record) > RECORD_LENGTH or not RECORD.fullmatch(record):
        raise InvalidPayload({"record": [BAD_RECORD]})
    if not content:
        raise InvalidPayload({"file": [EMPTY]})
    if len(content) > settings.document_max_bytes:
        raise InvalidPayload({"file": [TOO_LARGE]})
    content_type = content_type_of(content)
    if content_type is None:
        raise InvalidPayload({"file": [WRONG_TYPE]})
    return content_type


def attach(
    db: Database,
    subject_type: str,
    subject_id: str | int,
    record: str,
    filename: str,
    content: bytes,
    actor: str,
    *,
    settings: Settings | None = None,
    at: dt.datetime | None = None,
) -> Attached:
    """Attach a paper to a candidacy or an election, in one transaction: the bytes (once per
    SHA-256), the attachment and the audit event carrying the hash. A refusal stores nothing."""
    settings = settings if settings is not None else Settings()
    at = at or dt.datetime.now(dt.UTC)
    content_type = check(record, content, settings)
    sha256 = hashlib.sha256(content).hexdigest()
    name = clean_filename(filename, content_type)
    with db.transaction() as session:
        subject = _subject(session, subject_type, subject_id)
        # Once per content: a second filing of the same scan (even a concurrent one) adds no bytes.
        session.execute(dialect_insert(STORED, session.get_bind().dialect.name)
                        .values(sha256=sha256, size=len(content), content=content, stored_at=at)
                        .on_conflict_do_nothing(index_elements=["sha256"]))  # fmt: skip
        row = Attachment(subject_type=subject_type, subject_id=subject, record=record, sha256=sha256, filename=name,
                         content_type=content_type, size=len(content), uploaded_by=actor, uploaded_at=at)  # fmt: skip
        session.add(row)
        session.flush()
        event = audit.append(session, at=at, actor=actor, action="attach_document", subject_type=subject_type,
                             subject_id=subject, payload={"attachment": row.id, "record": record, "filename": name,
                                                          "content_type": content_type, "size": len(content),
                                                          "sha256": sha256})  # fmt: skip
        row.audit_seq = event.seq
        return _attached(row)


def _subject(session: Session, subject_type: str, subject_id: str | int) -> str:
    """The subject's id as attachments keep it; NotFound for a subject that is not there."""
    model = SUBJECTS.get(subject_type)
    key: str | int = str(subject_id)
    if model is Candidacy:
        # A candidacy's id is an INTEGER: anything else (or out of its range) names none.
        key = int(subject_id) if str(subject_id).isdigit() and 0 < int(subject_id) < 2**31 else 0
    if model is None or not key or session.get(model, key) is None:
        raise NotFound(f"no {subject_type} {subject_id}")
    return str(subject_id)


def subject_exists(db: Database, subject_type: str, subject_id: str | int) -> bool:
    with db.reading() as session:
        try:
            _subject(session, subject_type, subject_id)
        except NotFound:
            return False
        return True


def attachments_of(db: Database, subject_type: str, subject_id: str | int, record: str | None = None) -> list[Attached]:
    """The papers of a subject (of one record when ``record`` is given), the first filed first."""
    query = select(Attachment).where(Attachment.subject_type == subject_type, Attachment.subject_id == str(subject_id))
    if record is not None:
        query = query.where(Attachment.record == record)
    with db.reading() as session:
        return [_attached(row) for row in session.scalars(query.order_by(Attachment.uploaded_at, Attachment.id))]


def attachment(db: Database, attachment_id: int) -> Attached:
    with db.reading() as session:
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise NotFound(f"no attachment {attachment_id}")
        return _attached(row)


def content_of(db: Database, attachment_id: int) -> tuple[Attached, bytes]:
    """An attachment and its bytes, as filed (their SHA-256 is the one in the audit event)."""
    with db.reading() as session:
        found = session.execute(
            select(Attachment, StoredFile.content).join(StoredFile, StoredFile.sha256 == Attachment.sha256)
            .where(Attachment.id == attachment_id)
        ).one_or_none()  # fmt: skip
        if found is None:
            raise NotFound(f"no attachment {attachment_id}")
        return _attached(found[0]), bytes(found[1])


def _attached(row: Attachment) -> Attached:
    return Attached(row.id, row.subject_type, row.subject_id, row.record, row.filename, row.content_type, row.size,
                    row.sha256, row.uploaded_by, row.uploaded_at, row.audit_seq)  # fmt: skip
