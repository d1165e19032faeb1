"""Delivering the outbox: to a real SMTP server and a real HTTP server started by the tests,
on SQLite and on PostgreSQL.

The HTTP server is a receiver as :mod:`registrar.notifications.webhooks` tells integrators to
write one: it checks the signature and refuses (401) a request that does not verify.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import json
import re
import signal
import ssl
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from registrar import notifications, sweep
from registrar.cli_notifications import contacts, notifications_group
from registrar.db import Database
from registrar.errors import InvalidPayload
from registrar.models import AuditEvent, Contact, DeliveryAttempt, OutboxMessage
from registrar.notifications import (
    LANGUAGES,
    MESSAGES_DIR,
    MISSING,
    TOPICS,
    MessagesError,
    add_contact,
    deactivate_contact,
    deliver_due,
    delivery_log,
    load_catalogue,
    message_id,
    render,
    requeue,
    verify_signature,
)
from registrar.notifications.messages import Catalogue
from registrar.settings import Settings, Smtp
from tests.ports import BIND_ATTEMPTS, free_port

from .conftest import ELECTION_ID, World
from .test_cli import fails_in_one_line
from .test_machine import paper

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-key-for-the-cec-webhook"
SENDER = "registrar@cec.example.kz"
T0 = dt.datetime(2029, 10, 1, 12, 0, tzinfo=dt.UTC)
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
CYRILLIC = {chr(c) for c in range(0x0400, 0x0500)}


def serve_smtp(handler: Inbox, **options: Any) -> Controller:
    """A started aiosmtpd server for ``handler`` on a port of this worker's (another one if that was taken)."""
    for _ in range(BIND_ATTEMPTS):
        handler.port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=handler.port, **options)
        try:
            controller.start()
        except OSError:
            continue
        return controller
    pytest.fail(f"no SMTP server could bind a port in {BIND_ATTEMPTS} attempts", pytrace=False)


# --- A real SMTP server --------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: keeps every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = serve_smtp(handler)
    yield handler
    controller.stop()


# --- A real HTTP receiver of webhooks ------------------------------------------------------


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int

    @property
    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    port: int
    requests: list[Request] = field(default_factory=list)
    plans: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer, then 200
    delay: float = 0.0
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def keys(self) -> list[str]:
        return [r.document["delivery"] for r in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            verified = verify_signature(SECRET, self.headers.get("X-Registrar-Timestamp", ""), body,
                                        self.headers.get("X-Registrar-Signature", ""))  # fmt: skip
            with receiver.lock:
                plan = receiver.plans.get(self.path, [])
                status = (plan.pop(0) if plan else 200) if verified else 401
                receiver.requests.append(Request(self.path, dict(self.headers), body, verified, status))
            receiver.arrived.set()
            if self.path == "/hang":  # the deliverer is killed while it waits for this answer
                receiver.release.wait(60)
            if receiver.delay:
                time.sleep(receiver.delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender is gone

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Receiver(port=int(server.server_address[1]))
    server.RequestHandlerClass = _handler(state)
    server.daemon_threads = True
    # shutdown() waits for the loop to look at its flag, once per poll: the default half second was
    # most of the time of every test with a receiver.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


# --- Helpers ---------------------------------------------------------------------------------


def settings_for(inbox: Inbox | None = None, **overrides: Any) -> Settings:
    smtp = Smtp(host="127.0.0.1", port=inbox.port if inbox else free_port(), sender=SENDER, timeout_seconds=5)
    values: dict[str, Any] = {"smtp": smtp, "delivery_batch": 100, "delivery_max_attempts": 3,
                              "delivery_backoff_seconds": 30, "delivery_backoff_max_seconds": 50,
                              "webhook_timeout_seconds": 5} | overrides  # fmt: skip
    return Settings(**values)


_seq = iter(range(1, 10**9))


def enqueue(db: Database, recipient: str, *, topic: str = "candidacy.register", at: dt.datetime = T0) -> str:
    """An outbox row as an action leaves it, for tests about delivery alone; returns its delivery key."""
    seq = next(_seq)
    payload = {"candidacy": 7, "election": "kz-2029", "trigger": "register", "from": "documents_submitted",
               "to": "registered", "at": at.isoformat()}  # fmt: skip
    with db.transaction() as session:
        session.add(OutboxMessage(delivery_key=f"{seq}:{recipient}", event_seq=seq, topic=topic, recipient=recipient,
                                  payload=payload, status="pending", created_at=at))  # fmt: skip
    return f"{seq}:{recipient}"


def row(db: Database, key: str) -> OutboxMessage:
    with db.reading() as session:
        found = session.scalar(select(OutboxMessage).where(OutboxMessage.delivery_key == key))
        assert found is not None
        return found


def webhook(db: Database, recipient: str, url: str, language: str = "en") -> int:
    return add_contact(db, {"recipient": recipient, "channel": "webhook", "address": url, "language": language,
                            "secret": SECRET}, actor="test:admin", at=T0)  # fmt: skip


def mailbox(db: Database, recipient: str, address: str, language: str) -> int:
    return add_contact(db, {"recipient": recipient, "channel": "email", "address": address, "language": language},
                       actor="test:admin", at=T0)  # fmt: skip


def count(db: Database, model: Any) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- Messages --------------------------------------------------------------------------------

SAMPLE = {"candidacy": 12, "election": "kz-2029", "trigger": "register", "from": "documents_submitted",
          "to": "registered", "at": "2029-10-10T06:30:00+00:00", "kind": "documents_check", "rule": "D7",
          "due_local": "2029-10-15T00:00:00+05:00", "registered": 1, "max_extension_days": 20, "round": 1,
          "unit": "AST", "version": 2, "grounds": ["documents_missing"]}  # fmt: skip


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_renders_in_all_three_languages(topic: str) -> None:
    shown = "candidacy.register" if topic == "candidacy.*" else "no.such_topic" if topic == "fallback" else topic
    texts = {language: render(shown, SAMPLE, language) for language in LANGUAGES}
    for language, text in texts.items():
        whole = text.subject + "\n" + text.body
        assert notifications.catalogue(language).template(shown) is notifications.catalogue(language).topics[topic]
        assert text.language == language
        if topic == "fallback":  # an unknown topic still says what it is and carries the whole payload
            assert "no.such_topic" in text.subject and '"due_local": "2029-10-15T00:00:00+05:00"' in text.body
        else:
            assert "{" not in whole and "}" not in whole, whole
        template = notifications.catalogue(language).topics[topic]
        named = {f for part in template.values() for _, f, _, _ in string.Formatter().parse(part) if f}
        assert named <= {*SAMPLE, "topic", "details", "concerning", "reasons"}, (
            named
        )  # every placeholder is filled from the payload
        assert "kz-2029" in whole
        letters = set(whole)
        if language == "kk":
            assert letters & KAZAKH_LETTERS, whole  # Kazakh, in Cyrillic
        elif language == "ru":
            assert letters & CYRILLIC and not letters & KAZAKH_LETTERS, whole
        else:
            assert not letters & CYRILLIC, whole
    assert len({t.subject for t in texts.values()}) == 3


def test_state_names_and_moments_are_shown_in_the_readers_words() -> None:
    kk, ru, en = (render("candidacy.register", SAMPLE, language) for language in ("kk", "ru", "en"))
    assert "«құжаттар тапсырылған» → «тіркелген»" in kk.body
    assert "«документы представлены» → «зарегистрирован»" in ru.body
    assert '"documents submitted" → "registered"' in en.body
    # The action's moment, stored in UTC, is shown in the capital's time (T1: UTC+5).
    assert "2029-10-10 11:30 UTC+05:00" in en.body
    reminder = render("deadline.reminder", SAMPLE, "kk")
    assert "2029 жылғы 15 қазан, 00:00" in reminder.subject  # the date as Kazakh writes it
    assert "kz-2029 сайлауы, № 12 кандидатура." in reminder.body
    # An election's deadline concerns no candidacy, and the reminder says so rather than "No. —".
    election_reminder = render("deadline.reminder", {"election": "kz-2029", "kind": "registration_closes", "rule": "G1",
                                                     "due_local": "2029-10-15T00:00:00+05:00"}, "en")  # fmt: skip
    assert election_reminder.subject == "Reminder: close of registration, due 2029-10-15 00:00 UTC+05:00"
    assert "Election kz-2029." in election_reminder.body and "candidacy" not in election_reminder.body
    assert MISSING in render("candidacy.register", {"candidacy": 3}, "en").body  # what a payload lacks shows as a dash


def load_changed(tmp_path: Path, change: Callable[[str], str]) -> Catalogue:
    """The packaged English messages, changed by ``change`` and loaded from ``tmp_path``."""
    source = (MESSAGES_DIR / "en.toml").read_text(encoding="utf-8")
    changed = change(source)
    assert changed != source, "the change found nothing to change"
    (tmp_path / "en.toml").write_text(changed, encoding="utf-8")
    return load_catalogue("en", tmp_path)


def test_a_message_file_must_cover_every_topic_with_known_placeholders(tmp_path: Path) -> None:
    with pytest.raises(MessagesError, match=r"deadline\.reminder.*subject.*deadline_name"):
        load_changed(tmp_path, lambda source: source.replace("Reminder: {kind}", "Reminder: {deadline_name}"))
    with pytest.raises(MessagesError, match=r"deadline\.voting_opens.*missing"):
        load_changed(tmp_path, lambda source: source.replace('[topics."deadline.voting_opens"]', "[unused]"))
    with pytest.raises(MessagesError, match="no messages for language 'de'"):
        load_catalogue("de", tmp_path)


# One name of each table of words: a state, a phase, the nomination (no step of a machine), a deadline after the vote.
WORDED = [("states", "deceased"), ("phases", "rerun_called"), ("actions", "nominate"), ("deadlines", "rerun_due")]


def _words_of(source: str, table: str, name: str, line: str) -> str:
    """``source`` with the line of ``name`` in ``[table]`` replaced by ``line`` (nothing: removed)."""
    head, header, rest = source.partition(f"\n[{table}]\n")
    changed = re.sub(rf"^{name} = .*\n", line, rest, count=1, flags=re.MULTILINE)
    assert header and changed != rest, (table, name)
    return head + header + changed


@pytest.mark.parametrize(("table", "name"), WORDED)
def test_a_message_file_must_have_words_for_every_name_of_the_domain(tmp_path: Path, table: str, name: str) -> None:
    with pytest.raises(MessagesError, match=rf"en\.toml: {table}\.{name}: missing"):
        load_changed(tmp_path, lambda source: _words_of(source, table, name, ""))
    with pytest.raises(MessagesError, match=rf"en\.toml: {table}\.{name}: expected a non-empty string"):
        load_changed(tmp_path, lambda source: _words_of(source, table, name, f'{name} = " "\n'))


@pytest.mark.parametrize(("table", "name"), WORDED)
def test_a_message_file_may_not_have_words_for_a_name_the_domain_lacks(tmp_path: Path, table: str, name: str) -> None:
    misspelt = f'{name} = "{name}"\n{name}s = "a misspelling"\n'
    with pytest.raises(MessagesError, match=rf"en\.toml: {table}\.{name}s: no such"):
        load_changed(tmp_path, lambda source: _words_of(source, table, name, misspelt))


# --- Contacts --------------------------------------------------------------------------------

GOOD_EMAIL = {"recipient": "cec", "channel": "email", "address": "duty@cec.example.kz", "language": "kk"}
GOOD_WEBHOOK = {"recipient": "association:7", "channel": "webhook", "address": "https://party.example.kz/hooks/registrar",
                "language": "ru", "secret": SECRET}  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        (GOOD_EMAIL | {"recipient": "mayor"}, {"recipient"}),
        (GOOD_EMAIL | {"recipient": "association:x"}, {"recipient"}),
        (GOOD_EMAIL | {"recipient": "commission:ast"}, {"recipient"}),
        (GOOD_EMAIL | {"recipient": "commission:ASTANA"}, {"recipient"}),
        (GOOD_EMAIL | {"channel": "sms"}, {"channel"}),
        (GOOD_EMAIL | {"address": "duty at cec"}, {"address"}),
        (GOOD_EMAIL | {"secret": SECRET}, {"secret"}),
        (GOOD_WEBHOOK | {"address": "ftp://party.example.kz/hook"}, {"address"}),
        (GOOD_WEBHOOK | {"address": "duty@cec.example.kz"}, {"address"}),
        ({k: v for k, v in GOOD_WEBHOOK.items() if k != "secret"}, {"secret"}),
        (GOOD_WEBHOOK | {"secret": "short"}, {"secret"}),
        (GOOD_EMAIL | {"language": "de", "address": "nobody"}, {"language", "address"}),
        ({"channel": "email"}, {"recipient", "address"}),
    ],
    ids=[
        "recipient",
        "recipient-id",
        "commission-case",
        "commission-length",
        "channel",
        "email",
        "secret-on-email",
        "scheme",
        "url",
        "no-secret",
        "short-secret",
        "two-at-once",
        "missing",
    ],
)
def test_bad_contact_input_names_the_fields_and_stores_nothing(db: Database, payload: dict[str, Any], fields: set[str]) -> None:
    with pytest.raises(InvalidPayload) as caught:
        add_contact(db, payload, actor="test:admin", at=T0)
    assert set(caught.value.errors) == fields
    assert count(db, Contact) == 0
    assert count(db, AuditEvent) == 0


def test_a_contact_is_audited_without_its_secret(db: Database) -> None:
    contact_id = add_contact(db, GOOD_WEBHOOK, actor="test:admin", at=T0)
    with pytest.raises(InvalidPayload, match="already a contact"):
        add_contact(db, GOOD_WEBHOOK, actor="test:admin", at=T0)
    deactivate_contact(db, contact_id, actor="test:admin", at=T0)
    with pytest.raises(InvalidPayload, match="already inactive"):
        deactivate_contact(db, contact_id, actor="test:admin", at=T0)
    assert add_contact(db, GOOD_WEBHOOK | {"language": "kk"}, actor="test:admin", at=T0) == contact_id  # reactivated
    with db.reading() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [(e.action, e.subject_type, e.subject_id) for e in events] == [
        ("add_contact", "contact", str(contact_id)),
        ("deactivate_contact", "contact", str(contact_id)),
        ("reactivate_contact", "contact", str(contact_id)),
    ]
    stored = json.dumps([e.payload for e in events])
    assert SECRET not in stored
    assert "/hooks/registrar" not in stored  # a URL path may hold a token; the origin is kept
    assert events[0].payload["address"].startswith("https://party.example.kz (sha256 ")
    assert notifications.list_contacts(db)[0] | {"created_at": None} == {
        "id": contact_id, "recipient": "association:7", "channel": "webhook", "address": GOOD_WEBHOOK["address"],
        "language": "kk", "signed": True, "active": True, "created_at": None,
    }  # fmt: skip


# --- Delivery --------------------------------------------------------------------------------


def test_an_action_is_mailed_to_every_contact_in_its_language(world: World, inbox: Inbox) -> None:
    db = world.db
    association = f"association:{world.associations[0]}"
    cec = mailbox(db, "cec", "duty@cec.example.kz", "kk")
    party_ru = mailbox(db, association, "office@party.example.kz", "ru")
    party_en = mailbox(db, association, "press@party.example.kz", "en")
    candidacy = world.nominate()
    with db.reading() as session:
        keys = dict(session.execute(select(OutboxMessage.recipient, OutboxMessage.delivery_key)).all())
    assert set(keys) == {"cec", association, f"candidate:{candidacy}"}

    report = deliver_due(db, world.nomination_time + dt.timedelta(minutes=1), settings=settings_for(inbox))

    assert (report.delivered, report.no_contact, report.retrying, report.failed, report.sent) == (2, 1, 0, 0, 3)
    received = {rcpt[0]: message for rcpt, message in inbox.messages}
    assert set(received) == {"duty@cec.example.kz", "office@party.example.kz", "press@party.example.kz"}
    expected = {"duty@cec.example.kz": ("cec", cec, "kk", "ұсынылған"),
                "office@party.example.kz": (association, party_ru, "ru", "выдвинут"),
                "press@party.example.kz": (association, party_en, "en", "nominated")}  # fmt: skip
    for address, (recipient, contact_id, language, state_word) in expected.items():
        message = received[address]
        assert message["X-Registrar-Delivery"] == keys[recipient]
        assert message["Message-ID"] == message_id(keys[recipient], contact_id, SENDER)
        assert message["Content-Language"] == language
        assert message["From"] == SENDER and message["To"] == address
        assert state_word in message["Subject"]
        body = message.get_body(("plain",))
        assert body is not None and f"{candidacy}" in body.get_content()
    assert row(db, keys[f"candidate:{candidacy}"]).status == "no_contact"
    assert row(db, keys["cec"]).status == "delivered"

    again = deliver_due(db, world.nomination_time + dt.timedelta(hours=1), settings=settings_for(inbox))
    assert again.total == 0 and len(inbox.messages) == 3


def test_a_refusal_and_the_courts_ruling_on_it_say_the_grounds_in_the_contacts_language(world: World, inbox: Inbox) -> None:
    db = world.db
    association = f"association:{world.associations[0]}"
    mailbox(db, "cec", "duty@cec.example.kz", "kk")
    mailbox(db, association, "office@party.example.kz", "ru")
    candidacy = world.nominate()
    at = world.walk(candidacy, "refused")
    with db.reading() as session:
        outbox = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "candidacy.refuse")).all()
    assert outbox and "grounds" not in outbox[0].payload  # the words come from the decision as recorded
    for step, later in (("appeal", 1), ("dismiss_appeal", 2)):  # the court rules on the refusal
        moment = at + dt.timedelta(hours=later)
        world.act(candidacy, step, paper(world, step, moment), at=moment)
    deliver_due(db, at + dt.timedelta(hours=3), settings=settings_for(inbox))

    def body(address: str, subject: str) -> str:
        found = [m for rcpt, m in inbox.messages if rcpt[0] == address and subject in m["Subject"]]
        assert len(found) == 1, "\n".join(f"{rcpt[0]} {m['Subject']}" for rcpt, m in inbox.messages)
        return str(found[0].get_body(("plain",)).get_content())  # type: ignore[union-attr]

    kk, ru = body("duty@cec.example.kz", "(G3)"), body("office@party.example.kz", "(G3)")
    assert "Негіздері: қажетті құжаттар тапсырылмады." in kk and "Жоғарғы Сотқа" in kk
    assert "Основания: не представлены необходимые документы." in ru and "Верховный Суд" in ru
    court_kk = body("duty@cec.example.kz", "қанағаттандырусыз")
    court_ru = body("office@party.example.kz", "без удовлетворения")
    assert "Шешімнің негіздері: қажетті құжаттар тапсырылмады." in court_kk
    assert "Основания решения: не представлены необходимые документы." in court_ru
    assert "documents_missing" not in kk + ru + court_kk + court_ru


def test_the_reasons_placeholder_says_grounds_and_unmet_rules_in_words() -> None:
    unmet = [{"rule": "D5", "reason": "the election contribution is not paid", "message": "D5.not_paid", "params": {}}]
    payload = SAMPLE | {
        "trigger": "refuse",
        "to": "refused",
        "grounds": ["documents_missing", "false_declaration"],
        "unmet": unmet,
    }
    kk = render("candidacy.refuse", payload, "kk").body
    assert (
        "Негіздері: қажетті құжаттар тапсырылмады; декларациялардағы анық емес мәліметтер; D5: сайлау жарнасы төленбеген." in kk
    )
    en = render("candidacy.refuse", payload, "en").body
    assert "Grounds: required documents were not submitted; false information in the declarations; D5: the election" in en
    assert f"Grounds: {MISSING}." in render("candidacy.refuse", SAMPLE | {"grounds": []}, "en").body


def test_a_webhook_is_signed_and_the_receiver_verifies_it(db: Database, receiver: Receiver) -> None:
    organisation = "organisation:Мемлекеттік кірістер комитеті"
    webhook(db, organisation, receiver.url(), "kk")
    key = enqueue(db, organisation, topic="deadline.information_request_answer")

    report = deliver_due(db, T0, settings=settings_for())

    assert report.delivered == 1
    [request] = receiver.requests
    assert request.verified and request.status == 200
    assert urllib.parse.unquote(request.headers["X-Registrar-Delivery"]) == key
    document = request.document
    assert (document["delivery"], document["topic"], document["recipient"]) == (key, "deadline.information_request_answer",
                                                                                organisation)  # fmt: skip
    assert document["payload"]["candidacy"] == 7
    assert document["message"]["language"] == "kk" and "сұрау салуына жауап" in document["message"]["subject"]
    timestamp, signature = request.headers["X-Registrar-Timestamp"], request.headers["X-Registrar-Signature"]
    assert signature.startswith("sha256=")
    assert not verify_signature("another-secret-of-16+", timestamp, request.body, signature)
    assert not verify_signature(SECRET, timestamp, request.body.replace(b"7", b"8"), signature)
    assert not verify_signature(SECRET, int(timestamp) - 1, request.body, signature)
    assert not verify_signature(SECRET, timestamp, request.body, signature, now=int(timestamp) + 301)
    assert verify_signature(SECRET, timestamp, request.body.decode(), signature, now=int(timestamp) + 299)


def test_a_deadline_notice_of_the_sweep_is_told_in_each_contacts_words(world: World, receiver: Receiver) -> None:
    db = world.db
    candidacy = world.nominate()
    asked_at = world.nomination_time + dt.timedelta(hours=1)
    world.act(candidacy, "send_information_request", {"organisation": "Kaspi Bank", "subject": "accounts"}, at=asked_at)
    webhook(db, "organisation:Kaspi Bank", receiver.url("/bank"), "ru")
    webhook(db, "cec", receiver.url("/cec"), "kk")
    overdue = asked_at + dt.timedelta(days=6)
    sweep.sweep(db, overdue, settings=settings_for())

    deliver_due(db, overdue, settings=settings_for())

    told = {r.path: r.document for r in receiver.requests if r.document["topic"] == "deadline.information_request_answer"}
    assert set(told) == {"/bank", "/cec"}
    assert "election" not in told["/bank"]["payload"]  # the webhook carries the outbox's payload as it is
    bank, cec = told["/bank"]["message"], told["/cec"]["message"]
    assert bank["subject"] == "Срок истёк: ответ на запрос ЦИК (D2)"
    assert f"по кандидатуре № {candidacy}\n(выборы kz-2029)" in bank["body"]  # the election, looked up for the words
    assert cec["language"] == "kk" and f"{ELECTION_ID} сайлауындағы № {candidacy} кандидатура" in cec["body"]
    assert all(MISSING not in m["body"] for m in (bank, cec))


def test_a_wrong_secret_is_a_failed_attempt(db: Database, receiver: Receiver) -> None:
    add_contact(db, {"recipient": "cec", "channel": "webhook", "address": receiver.url(), "secret": "not-the-receivers-key"},
                actor="test:admin", at=T0)  # fmt: skip
    key = enqueue(db, "cec")
    assert deliver_due(db, T0, settings=settings_for()).retrying == 1
    assert receiver.requests[0].status == 401
    assert "HTTP 401" in (row(db, key).last_error or "")


def test_a_failing_endpoint_is_retried_with_backoff_and_logged(db: Database, receiver: Receiver) -> None:
    receiver.plans["/flaky"] = [500, 503]
    webhook(db, "cec", receiver.url("/flaky"))
    key = enqueue(db, "cec")
    settings = settings_for(delivery_max_attempts=5, delivery_backoff_seconds=30, delivery_backoff_max_seconds=3600)

    assert deliver_due(db, T0, settings=settings).retrying == 1
    first = row(db, key)
    assert (first.status, first.attempts, first.next_attempt_at) == ("pending", 1, T0 + dt.timedelta(seconds=30))
    assert "HTTP 500" in (first.last_error or "")

    assert deliver_due(db, T0 + dt.timedelta(seconds=29), settings=settings).total == 0  # not due yet
    assert deliver_due(db, T0 + dt.timedelta(seconds=30), settings=settings).retrying == 1
    # The wait doubles after each failure.
    assert row(db, key).next_attempt_at == T0 + dt.timedelta(seconds=30 + 60)
    assert deliver_due(db, T0 + dt.timedelta(seconds=89), settings=settings).total == 0
    assert deliver_due(db, T0 + dt.timedelta(seconds=90), settings=settings).delivered == 1

    done = row(db, key)
    assert (done.status, done.attempts, done.delivered_at, done.last_error) == ("delivered", 3,
                                                                               T0 + dt.timedelta(seconds=90), None)  # fmt: skip
    log = delivery_log(db, done.id)
    assert [(a["attempt"], a["ok"], a["detail"].split(":")[0]) for a in log] == [
        (1, False, "HTTP 500 Internal Server Error"),
        (2, False, "HTTP 503 Service Unavailable"),
        (3, True, "HTTP 200"),
    ]
    assert receiver.keys() == [key, key, key]  # the same delivery key each time: recognisably one message


def test_spent_attempts_leave_the_message_failed(db: Database, receiver: Receiver) -> None:
    receiver.plans["/down"] = [500] * 10
    webhook(db, "cec", receiver.url("/down"))
    key = enqueue(db, "cec")
    settings = settings_for(delivery_max_attempts=3, delivery_backoff_seconds=30, delivery_backoff_max_seconds=50)

    deliver_due(db, T0, settings=settings)
    deliver_due(db, T0 + dt.timedelta(seconds=30), settings=settings)
    assert row(db, key).next_attempt_at == T0 + dt.timedelta(seconds=30 + 50)  # 60 capped at 50
    report = deliver_due(db, T0 + dt.timedelta(seconds=80), settings=settings)

    assert report.failed == 1
    failed = row(db, key)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("failed", 3, None)
    assert "HTTP 500" in (failed.last_error or "")
    assert deliver_due(db, T0 + dt.timedelta(days=30), settings=settings).total == 0
    assert len(receiver.requests) == 3
    assert [m["delivery_key"] for m in notifications.list_messages(db, status="failed")] == [key]

    receiver.plans["/down"] = []
    assert requeue(db, status="failed") == 1  # the endpoint is fixed: the operator sends it again
    assert deliver_due(db, T0 + dt.timedelta(days=30), settings=settings).delivered == 1


def test_a_recipient_without_an_active_contact_is_marked_no_contact(db: Database, receiver: Receiver) -> None:
    contact_id = webhook(db, "association:3", receiver.url())
    deactivate_contact(db, contact_id, actor="test:admin", at=T0)
    key = enqueue(db, "association:3")

    assert deliver_due(db, T0, settings=settings_for()).no_contact == 1
    marked = row(db, key)
    assert (marked.status, marked.attempts, marked.last_error) == ("no_contact", 0, "no active contact for association:3")
    assert deliver_due(db, T0 + dt.timedelta(days=1), settings=settings_for()).total == 0  # not retried forever
    assert receiver.requests == [] and count(db, DeliveryAttempt) == 0

    webhook(db, "association:3", receiver.url("/new"))
    assert requeue(db, status="no_contact", recipient="association:3") == 1
    assert deliver_due(db, T0 + dt.timedelta(days=1), settings=settings_for()).delivered == 1
    assert [r.path for r in receiver.requests] == ["/new"]


def test_a_retry_does_not_resend_to_a_contact_that_already_took_it(db: Database, inbox: Inbox, receiver: Receiver) -> None:
    receiver.plans["/flaky"] = [500]
    mail_id = mailbox(db, "cec", "duty@cec.example.kz", "ru")
    hook_id = webhook(db, "cec", receiver.url("/flaky"))
    key = enqueue(db, "cec")
    settings = settings_for(inbox)

    first = deliver_due(db, T0, settings=settings)
    assert (first.retrying, first.sent, first.errors) == (1, 1, 1)
    second = deliver_due(db, T0 + dt.timedelta(seconds=30), settings=settings)
    assert (second.delivered, second.sent, second.errors) == (1, 1, 0)

    assert len(inbox.messages) == 1  # the e-mail went once
    assert len(receiver.requests) == 2
    log = delivery_log(db, row(db, key).id)
    assert [(a["attempt"], a["contact_id"], a["ok"]) for a in log] == [
        (1, mail_id, True), (1, hook_id, False), (2, hook_id, True)]  # fmt: skip


class Accounts:
    """aiosmtpd authenticator: one mailbox login."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        self.logins.append(auth_data.login.decode())
        ok = (auth_data.login, auth_data.password) == (b"registrar", b"mail-password")
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_mail_goes_over_tls_with_a_login(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the deliverer verifies the server against this CA only
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, accounts = Inbox(), Accounts()
    # aiosmtpd offers AUTH only after STARTTLS; on an implicit-TLS port the whole session is encrypted.
    tls = ({"tls_context": server_tls, "require_starttls": True, "auth_require_tls": True} if mode == "starttls"
           else {"ssl_context": server_tls, "auth_require_tls": False})  # fmt: skip
    controller = serve_smtp(inbox, authenticator=accounts, **tls)
    try:
        mailbox(db, "cec", "duty@cec.example.kz", "en")
        key_ok, key_refused = enqueue(db, "cec"), enqueue(db, "cec")
        smtp = Smtp(host="127.0.0.1", port=inbox.port, starttls=mode == "starttls", ssl=mode == "ssl",
                    username="registrar", password="mail-password", sender=SENDER, timeout_seconds=5)  # fmt: skip
        report = deliver_due(db, T0, settings=settings_for(delivery_batch=1, smtp=smtp))
        assert report.delivered == 1, row(db, key_ok).last_error
        assert [m["X-Registrar-Delivery"] for _, m in inbox.messages] == [key_ok]

        wrong = dataclasses.replace(smtp, password="not-it")
        assert deliver_due(db, T0, settings=settings_for(smtp=wrong)).retrying == 1
        assert "SMTP 535" in (row(db, key_refused).last_error or "")
        assert set(accounts.logins) == {"registrar"}  # smtplib tries each mechanism the server offers
    finally:
        controller.stop()


def test_an_unreachable_mail_server_is_a_failed_attempt_not_a_crash(db: Database, receiver: Receiver) -> None:
    mailbox(db, "cec", "duty@cec.example.kz", "kk")
    webhook(db, "cec", receiver.url())
    key = enqueue(db, "cec")
    report = deliver_due(db, T0, settings=settings_for(None))  # nothing listens on the SMTP port
    assert (report.retrying, report.sent, report.errors) == (1, 1, 1)
    assert "ConnectionRefusedError" in (row(db, key).last_error or "")


def test_a_deliverer_killed_between_sending_and_recording_sends_again_with_the_same_key(db: Database, receiver: Receiver) -> None:
    webhook(db, "cec", receiver.url("/hang"))
    key = enqueue(db, "cec")
    url = db.engine.url.render_as_string(hide_password=False)
    script = (
        "import datetime as dt, sys\n"
        "from registrar.db import Database\n"
        "from registrar.notifications import deliver_due\n"
        "from registrar.settings import Settings\n"
        "settings = Settings(webhook_timeout_seconds=60)\n"
        "deliver_due(Database(sys.argv[1]), dt.datetime.fromisoformat(sys.argv[2]), settings=settings)\n"
    )
    deliverer = subprocess.Popen([sys.executable, "-c", script, url, T0.isoformat()], cwd=ROOT)
    try:
        assert receiver.arrived.wait(60), "the deliverer never sent the webhook"
    finally:
        deliverer.send_signal(signal.SIGKILL)
        deliverer.wait(30)
    receiver.release.set()

    orphan = row(db, key)
    assert (orphan.status, orphan.attempts) == ("pending", 1)
    assert count(db, DeliveryAttempt) == 0  # the send happened, but nothing recorded it
    assert orphan.next_attempt_at is not None and orphan.next_attempt_at > T0  # leased: no one else takes it meanwhile
    assert deliver_due(db, T0 + dt.timedelta(seconds=1), settings=settings_for()).total == 0

    receiver.plans["/hang"] = []
    report = deliver_due(db, orphan.next_attempt_at, settings=settings_for())
    assert report.delivered == 1
    assert receiver.keys() == [key, key]  # at least once: the re-send carries the same delivery key
    assert [(a["attempt"], a["ok"]) for a in delivery_log(db, orphan.id)] == [(2, True)]


def test_two_deliverers_at_once_send_each_message_once(pg_url: str, pg_db: Database, receiver: Receiver) -> None:
    webhook(pg_db, "cec", receiver.url())
    keys = [enqueue(pg_db, "cec") for _ in range(60)]
    receiver.delay = 0.005  # each send takes a moment, so the two deliverers overlap
    start = threading.Barrier(2)
    reports: list[notifications.DeliveryReport] = []
    errors: list[BaseException] = []

    def deliverer() -> None:
        database = Database(pg_url)
        try:
            start.wait()
            reports.append(deliver_due(database, T0, settings=settings_for(delivery_batch=100)))
        except BaseException as err:
            errors.append(err)
        finally:
            database.dispose()

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert Counter(receiver.keys()) == Counter(keys)  # every message, each exactly once
    assert sum(r.delivered for r in reports) == 60
    assert count(pg_db, DeliveryAttempt) == 60
    with pg_db.reading() as session:
        assert notifications.counts(session) == {"pending": 0, "delivered": 60, "failed": 0, "no_contact": 0}


# --- Command line ----------------------------------------------------------------------------


def invoke(group: Any, db: Database, *args: str) -> Result:
    return CliRunner().invoke(group, list(args), obj={"url": db.engine.url.render_as_string(hide_password=False)})


def test_contacts_from_the_command_line(db: Database, receiver: Receiver) -> None:
    added = invoke(contacts, db, "add", "--recipient", "cec", "--channel", "webhook", "--address", receiver.url(),
                   "--language", "ru", "--secret", SECRET)  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.startswith("contact #1: cec by webhook")

    listed = invoke(contacts, db, "list", "--json")
    assert [c["address"] for c in json.loads(listed.output)] == [receiver.url()]
    assert SECRET not in listed.output and SECRET not in invoke(contacts, db, "list").output

    line = fails_in_one_line(invoke(contacts, db, "add", "--recipient", "cec", "--channel", "webhook", "--address",
                                    "ftp://x.example.kz"), 1)  # fmt: skip
    assert "address" in line and "secret" in line
    assert "recipient" in fails_in_one_line(invoke(contacts, db, "add", "--recipient", "mayor", "--channel", "email",
                                                   "--address", "a@b.kz"), 1)  # fmt: skip

    assert invoke(contacts, db, "deactivate", "1").exit_code == 0
    assert "already inactive" in fails_in_one_line(invoke(contacts, db, "deactivate", "1"), 1)
    assert "no contact 99" in fails_in_one_line(invoke(contacts, db, "deactivate", "99"), 1)
    assert invoke(contacts, db, "list").output.strip() == "no contacts"


def test_notifications_from_the_command_line(db: Database, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    webhook(db, "cec", receiver.url())
    key = enqueue(db, "cec")
    enqueue(db, "candidate:5")

    delivered = invoke(notifications_group, db, "deliver", "--now", "2029-10-01T17:00:00+05:00")
    assert delivered.exit_code == 0, delivered.output
    assert delivered.output.startswith("delivered 1, retrying 0, failed 0, no contact 1")
    assert receiver.keys() == [key]

    listed = invoke(notifications_group, db, "list", "--status", "delivered")
    assert key in listed.output and "candidate:5" not in listed.output
    assert "no active contact for candidate:5" in invoke(notifications_group, db, "list", "--status", "no_contact").output
    assert "HTTP 200" in invoke(notifications_group, db, "log", str(row(db, key).id)).output

    assert "--now" in fails_in_one_line(invoke(notifications_group, db, "deliver", "--now", "2029-10-01T17:00"), 2)
    monkeypatch.setenv("REGISTRAR_DELIVERY_BATCH", "lots")
    assert "REGISTRAR_DELIVERY_BATCH" in fails_in_one_line(invoke(notifications_group, db, "deliver"), 1)


def test_the_command_groups_import_before_the_main_command() -> None:
    # registrar.cli adds these groups to `main`; importing this module first must work too.
    probe = subprocess.run(
        [sys.executable, "-c",
         "import registrar.cli_notifications as n, registrar.cli as c; print(n.contacts.name, n.notifications_group.name)"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["contacts", "notifications"]
