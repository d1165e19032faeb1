"""Scanned papers on the web: a clerk files one, another officer downloads the same bytes, the public finds nothing."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from registrar import attachments as papers
from registrar.db import Database
from registrar.models import Attachment, AuditEvent, StoredFile
from registrar.rules import Rules
from tests.registrar.conftest import ELECTION_ID, copied_world
from tests.web.conftest import Client

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def candidacy(db: Database, rules: Rules) -> int:
    return copied_world(db, rules).nominate(full_name="Ахметова Айгүл Серікқызы")


def upload(client: Client, candidacy: int, content: bytes, name: str = "consent.pdf", record: str = "document:consent",
           **extra: str) -> tuple[int, str]:  # fmt: skip
    response = client.submit(f"/officer/candidacy/{candidacy}/documents",
                             {"record": record, "file": (io.BytesIO(content), name), **extra},
                             content_type="multipart/form-data")  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def test_a_clerk_attaches_a_scan_and_the_commission_downloads_the_same_bytes(
    login_as: Callable[[str], Client], candidacy: int, db: Database
) -> None:
    status, _ = upload(login_as("clerk"), candidacy, PDF, next=f"/officer/candidacies/{candidacy}")
    assert status == 302
    commission = login_as("commission")
    page = commission.get(f"/officer/candidacy/{candidacy}/documents").get_data(as_text=True)
    digest = hashlib.sha256(PDF).hexdigest()
    assert "consent.pdf" in page and digest in page and "consent to stand" in page
    assert "Test Clerk" in page or "clerk1" in page, "who attached it (by name once web.people is registered)"
    (filed,) = papers.attachments_of(db, "candidacy", candidacy)
    response = commission.get(f"/officer/documents/{filed.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=consent.pdf"
    assert hashlib.sha256(response.data).hexdigest() == digest
    with db.reading() as session:
        event = session.get(AuditEvent, filed.audit_seq)
    assert event is not None and event.payload["sha256"] == digest


def test_a_non_latin_file_name_is_kept_and_offered_on_download(login_as: Callable[[str], Client], candidacy: int,
                                                               db: Database) -> None:  # fmt: skip
    upload(login_as("clerk"), candidacy, PDF, name="Согласие.pdf")
    (filed,) = papers.attachments_of(db, "candidacy", candidacy)
    disposition = login_as("auditor").get(f"/officer/documents/{filed.id}").headers["Content-Disposition"]
    assert "filename*=UTF-8''%D0%A1%D0%BE%D0%B3%D0%BB%D0%B0%D1%81%D0%B8%D0%B5.pdf" in disposition


def test_the_public_finds_no_papers_and_a_role_that_does_not_read_them_is_refused(
    login_as: Callable[[str], Client], client: Client, candidacy: int, db: Database
) -> None:
    upload(login_as("clerk"), candidacy, PDF)
    (filed,) = papers.attachments_of(db, "candidacy", candidacy)
    assert client.get(f"/officer/documents/{filed.id}").status_code == 404
    assert client.get(f"/officer/candidacy/{candidacy}/documents").status_code == 404
    public_page = client.get(f"/candidacies/{candidacy}").get_data(as_text=True)
    assert filed.sha256 not in public_page and "consent.pdf" not in public_page, "no trace of the paper on the public page"
    admin = login_as("admin")
    assert admin.get(f"/officer/documents/{filed.id}").status_code == 403
    assert admin.get(f"/officer/candidacy/{candidacy}/documents").status_code == 403


def test_a_role_that_may_not_attach_is_refused_and_nothing_is_stored(login_as: Callable[[str], Client], candidacy: int,
                                                                     db: Database) -> None:  # fmt: skip
    status, _ = upload(login_as("auditor"), candidacy, PDF)
    assert status == 403
    assert papers.attachments_of(db, "candidacy", candidacy) == []


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        (b"MZ\x90\x00" + bytes(64), "consent.pdf", "The file must be a PDF, JPEG or PNG scan."),
        (b"", "consent.pdf", "Choose the scanned file to attach."),
    ],
    ids=["renamed-executable", "no-file"],
)
def test_a_bad_file_shows_the_error_at_the_file_field_and_stores_nothing(
    login_as: Callable[[str], Client], candidacy: int, db: Database, content: bytes, name: str, says: str
) -> None:
    status, page = upload(login_as("clerk"), candidacy, content, name=name)
    assert status == 422
    assert 'class="error-summary"' in page and f'href="#f-doc-all-file">File: {says}</a>' in page
    assert 'class="field field-error"' in page and 'aria-invalid="true"' in page
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_an_oversize_file_is_refused_with_the_limit_in_megabytes(login_as: Callable[[str], Client], candidacy: int,
                                                                 app: Flask, db: Database) -> None:  # fmt: skip
    from dataclasses import replace

    app.extensions["registrar.settings"] = replace(app.extensions["registrar.settings"], document_max_bytes=1024 * 1024)
    status, page = upload(login_as("clerk"), candidacy, PDF + bytes(1024 * 1024))
    assert status == 422 and "The file is larger than 1 MB." in page
    assert papers.attachments_of(db, "candidacy", candidacy) == []


def test_an_elections_resolution_is_filed_under_the_election(login_as: Callable[[str], Client], candidacy: int,
                                                             db: Database) -> None:  # fmt: skip
    clerk = login_as("clerk")
    response = clerk.submit(f"/officer/election/{ELECTION_ID}/documents",
                            {"record": "resolution", "file": (io.BytesIO(PDF), "resolution.pdf")},
                            content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    assert [p.record for p in papers.attachments_of(db, "election", ELECTION_ID)] == ["resolution"]
    missing = clerk.submit(
        "/officer/election/no-such-election/documents",
        {"record": "resolution", "file": (io.BytesIO(PDF), "r.pdf")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 404
    for absent in ("/officer/candidacy/99999999999999999999/documents", "/officer/candidacy/x/documents",
                   "/officer/election/no-such-election/documents"):  # fmt: skip
        assert clerk.get(absent).status_code == 404, absent
    assert clerk.submit("/officer/candidacy/99999999999999999999/documents", {"record": "decision",
                        "file": (io.BytesIO(PDF), "r.pdf")}, content_type="multipart/form-data").status_code == 404  # fmt: skip
