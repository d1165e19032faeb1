"""Who did what, in words: actors by the officer's name and role, the deadline engine, the audit chain's verdict."""

from __future__ import annotations

import pytest
from flask import Flask, session
from sqlalchemy import select

from registrar import accounts
from registrar.audit import Verdict
from registrar.db import Database
from registrar.models import AuditEvent
from web.people import actor_label, verdict_label

from .conftest import PASSWORD, WebWorld


@pytest.fixture
def officers(db: Database) -> Database:
    accounts.create_user(db, "aigul", "clerk", PASSWORD, full_name="Aigul Sadykova")
    accounts.create_user(db, "demo-commission", "commission", PASSWORD, full_name="Demo commission", actor="demo")
    accounts.create_user(db, "nameless", "court", PASSWORD)
    return db


@pytest.mark.parametrize(
    ("actor", "english", "kazakh"),
    [
        ("user:aigul", "Aigul Sadykova (CEC staff)", "Aigul Sadykova (ОСК аппараты)"),
        ("user:nameless", "nameless (Supreme Court)", "nameless (Жоғарғы Сот)"),
        ("token:aigul/court system", "Aigul Sadykova (CEC staff), by the API token “court system”",
         "Aigul Sadykova (ОСК аппараты), «court system» API токені арқылы"),
        ("system:deadlines", "The deadline engine", "Мерзімдер жүйесі (автоматты түрде)"),
        ("sweep", "The deadline engine", "Мерзімдер жүйесі (автоматты түрде)"),
        ("demo:commission", "Demo commission (Member of the CEC)", "Demo commission (ОСК мүшесі)"),
        ("demo:clerk", "CEC staff", "ОСК аппараты"),  # no demo-clerk account: the role
        ("test:ministry", "Ministry of Justice", "Әділет министрлігі"),
        ("cli", "The operator, at the command line", "Оператор, пәрмен жолы арқылы"),
        ("user:gone", "gone", "gone"),  # an account no longer there: its login
        ("bench", "bench", "bench"),
    ],
)  # fmt: skip
def test_actors_in_words(app: Flask, officers: Database, actor: str, english: str, kazakh: str) -> None:
    for language, expected in (("en", english), ("kk", kazakh)):
        with app.test_request_context("/"):
            session["language"] = language
            assert actor_label(actor) == expected


@pytest.mark.parametrize(
    ("verdict", "english"),
    [
        (Verdict(369), "The audit chain is intact: all 369 events match their hashes."),
        (Verdict(41, 42, "event 42 was altered: its content does not match its hash"),
         "Event 42 was altered: its content does not match its hash. The 41 events before it are intact."),
        (Verdict(9, 10, "event 10 is missing (the next stored is 12)"),
         "Event 10 is missing: the chain is cut there. The 9 events before it are intact."),
        (Verdict(9, 10, "event 10 does not follow the event before it"),
         "Event 10 does not follow the event before it: an event was removed or inserted. The 9 events before it are intact."),
        (Verdict(367, 368, "the chain ends at event 367 but 369 were appended"),
         "The chain ends at event 367, but 369 were appended: the last events were removed."),
    ],
)  # fmt: skip
def test_the_verdict_in_words(app: Flask, verdict: Verdict, english: str) -> None:
    with app.test_request_context("/"):
        session["language"] = "en"
        assert verdict_label(verdict) == english
    with app.test_request_context("/"):  # a request's language is read once
        session["language"] = "ru"
        russian = verdict_label(verdict)
        assert "событи" in russian.lower() and "event" not in russian.lower()


def test_the_audit_page_names_the_officers_and_says_the_verdict_in_kazakh(web_world: WebWorld) -> None:
    auditor = web_world.login_as("auditor")
    auditor.get("/language/kk")
    page = auditor.get("/officer/audit", query_string={"verify": "1"}).get_data(as_text=True)
    assert "Оператор, пәрмен жолы арқылы" in page, "the account was created at the console"
    assert "Аудит тізбегі бұзылмаған: барлық 1 оқиға өз хэштеріне сәйкес келеді." in page
    assert "Verdict(" not in page and "create_account" not in page

    accounts.set_profile(web_world.db, "auditor1", full_name="Dana K", actor="user:auditor1")
    with web_world.db.transaction() as db_session:
        first = db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).first()
        assert first is not None
        first.payload = {"role": "admin"}  # tampered with
    page = auditor.get("/officer/audit", query_string={"verify": "1"}).get_data(as_text=True)
    assert "1 оқиғасы өзгертілген" in page
    assert "Dana K (Аудитор)" in page, "the actor of the second event by the name the account has now"
