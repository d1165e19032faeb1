"""A scanned paper in a real browser: a clerk attaches a PDF to a candidacy, the commission downloads
it, and the bytes it gets have the SHA-256 the audit trail recorded."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from registrar import demo
from registrar.models import AuditEvent
from tests.e2e.conftest import Site
from tests.e2e.test_officer_in_a_browser import log_in, log_out

REGISTERED = demo.named("registered")
# A one-page PDF as a scanner writes it (the type is read from these bytes, not from the name).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")  # fmt: skip


def test_a_clerk_attaches_a_pdf_and_the_commission_downloads_it_with_the_audited_hash(site: Site, page: Any) -> None:
    from registrar.models import Candidacy, Person

    with site.db.reading() as session:
        candidacy = session.scalar(select(Candidacy.id).join(Person).where(Person.full_name == REGISTERED))
    page.set_extra_http_headers({"Accept-Language": "en"})
    log_in(page, site, "clerk")
    page.goto(f"{site.url}/officer/candidacy/{candidacy}/documents")
    page.select_option("select[name=record]", "document:consent")
    page.set_input_files("input[type=file]", files=[{"name": "consent.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("form.attach-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("consent.pdf attached")
    log_out(page)

    log_in(page, site, "commission")
    page.goto(f"{site.url}/officer/candidacy/{candidacy}/documents")
    row = page.locator("table.attachments-list tbody tr", has_text="consent.pdf")
    shown = row.locator("code.sha256").inner_text()
    with page.expect_download() as download:
        row.locator("a", has_text="consent.pdf").click()
    received = Path(download.value.path()).read_bytes()
    with site.db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "attach_document",
                                                         AuditEvent.subject_id == str(candidacy))).one()  # fmt: skip
    assert download.value.suggested_filename == "consent.pdf"
    assert hashlib.sha256(received).hexdigest() == event.payload["sha256"] == shown == hashlib.sha256(PDF).hexdigest()
    assert event.actor == "user:demo-clerk"
