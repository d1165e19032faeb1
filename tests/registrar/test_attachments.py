"""The scanned papers: stored once per SHA-256, the hash in the audit event, bad files refused with nothing kept."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from registrar import attachments, audit
from registrar.db import Database
from registrar.errors import InvalidPayload, NotFound
from registrar.models import Attachment, AuditEvent, StoredFile
from registrar.settings import Settings
from tests.registrar.conftest import ELECTION_ID, World

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)


def counts(db: Database) -> tuple[int, int, int]:
    with db.reading() as session:
        return (session.scalar(select(func.count()).select_from(StoredFile)) or 0,
                session.scalar(select(func.count()).select_from(Attachment)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0)  # fmt: skip


def test_a_scan_filed_twice_is_stored_once_and_each_filing_is_audited_with_its_hash(world: World) -> None:
    candidacy = world.nominate()
    first = attachments.attach(world.db, "candidacy", candidacy, "document:consent", "consent.pdf", PDF, "user:clerk1")
    again = attachments.attach(world.db, "election", ELECTION_ID, "resolution:calendar", "copy.pdf", PDF, "user:clerk2")
    assert first.sha256 == again.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (first.content_type, first.size) == ("application/pdf", len(PDF))
    with world.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(StoredFile)) == 1
        events = {e.seq: e for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "attach_document"))}
    assert set(events) == {first.audit_seq, again.audit_seq}
    assert all(event.payload["sha256"] == first.sha256 for event in events.values())
    assert first.audit_seq is not None
    assert events[first.audit_seq].subject_id == str(candidacy) and events[first.audit_seq].actor == "user:clerk1"
    with world.db.reading() as session:
        assert audit.verify(session).ok


def test_the_papers_of_a_subject_and_their_bytes_read_back_as_filed(world: World) -> None:
    candidacy = world.nominate()
    consent = attachments.attach(world.db, "candidacy", candidacy, "document:consent", "consent.png", PNG, "user:clerk1")
    attachments.attach(world.db, "candidacy", candidacy, "conclusion:medical", "C:\\scans\\medical.jpg", JPEG, "user:clerk1")
    listed = attachments.attachments_of(world.db, "candidacy", candidacy)
    assert [(a.record, a.filename, a.content_type) for a in listed] == [
        ("document:consent", "consent.png", "image/png"), ("conclusion:medical", "medical.jpg", "image/jpeg")]  # fmt: skip
    assert attachments.attachments_of(world.db, "candidacy", candidacy, "document:consent") == [consent]
    assert attachments.attachments_of(world.db, "election", ELECTION_ID) == []
    found, content = attachments.content_of(world.db, consent.id)
    assert found == consent and content == PNG
    with pytest.raises(NotFound):
        attachments.content_of(world.db, consent.id + 100)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00" + bytes(64), attachments.WRONG_TYPE),  # an executable named .pdf
        (b"PK\x03\x04" + bytes(64), attachments.WRONG_TYPE),  # a Word file is a ZIP
        (b"just some text, not a scan", attachments.WRONG_TYPE),
        (b"", attachments.EMPTY),
        (PDF + bytes(2048), attachments.TOO_LARGE),
    ],
    ids=["executable", "zip", "text", "empty", "oversize"],
)
def test_a_bad_file_is_refused_at_the_file_field_and_nothing_is_stored(world: World, content: bytes, message: str) -> None:
    candidacy = world.nominate()
    before = counts(world.db)
    small = replace(Settings(), document_max_bytes=2048)
    with pytest.raises(InvalidPayload) as refused:
        attachments.attach(world.db, "candidacy", candidacy, "document:consent", "consent.pdf", content, "user:clerk1",
                           settings=small)  # fmt: skip
    assert refused.value.errors == {"file": [message]}
    assert counts(world.db) == before, "no bytes, no attachment, no audit event"


def test_the_size_limit_is_the_settings_default_of_20_megabytes(world: World) -> None:
    candidacy = world.nominate()
    limit = Settings().document_max_bytes
    assert limit == 20 * 1024 * 1024
    with pytest.raises(InvalidPayload, match=attachments.TOO_LARGE):
        attachments.attach(world.db, "candidacy", candidacy, "document:consent", "big.pdf", PDF + bytes(limit), "user:clerk1")


def test_an_unknown_subject_or_a_malformed_record_stores_nothing(world: World) -> None:
    candidacy = world.nominate()
    before = counts(world.db)
    with pytest.raises(NotFound):
        attachments.attach(world.db, "candidacy", candidacy + 1000, "document:consent", "a.pdf", PDF, "user:clerk1")
    with pytest.raises(NotFound):
        attachments.attach(world.db, "association", 1, "document:consent", "a.pdf", PDF, "user:clerk1")
    with pytest.raises(InvalidPayload) as refused:
        attachments.attach(world.db, "candidacy", candidacy, "Document consent!", "a.pdf", PDF, "user:clerk1")
    assert refused.value.errors == {"record": [attachments.BAD_RECORD]}
    assert counts(world.db) == before


def test_a_filename_keeps_its_last_part_without_control_characters_and_fits_the_column() -> None:
    assert attachments.clean_filename("../../etc/passwd\x00.pdf", "application/pdf") == "passwd.pdf"
    assert attachments.clean_filename("", "image/png") == "document.png"
    long = attachments.clean_filename("я" * 400 + ".pdf", "application/pdf")
    assert len(long) == attachments.FILENAME_LENGTH and long.endswith(".pdf")


def test_the_roles_that_attach_and_read_never_include_the_public() -> None:
    assert attachments.may_attach("clerk") and not attachments.may_attach("auditor")
    assert attachments.may_read("court") and attachments.may_read("auditor")
    assert not attachments.may_read("public") and not attachments.may_read("admin")
