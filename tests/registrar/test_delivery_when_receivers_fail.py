"""The mail server down and a webhook receiver answering 500 for a while: nothing is lost or sent twice.

While they fail, every round is a failed attempt that leaves each message pending with its
backoff; once they are back, each message reaches each of its contacts once, with the delivery
key it was always sent with, and a contact that took a message during the outage (the other
channel) is not sent it again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from registrar.db import Database
from registrar.models import OutboxMessage
from registrar.notifications import deliver_due, delivery_log
from tests.ports import free_port

from .test_notifications import T0, Inbox, Receiver, _handler, enqueue, mailbox, settings_for, webhook

OUTAGE_ROUNDS = 3  # rounds while both receivers fail: the attempts stay below delivery_max_attempts


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    """The webhook receiver of tests/registrar/test_notifications.py, which verifies each signature."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Receiver(port=int(server.server_address[1]))
    server.RequestHandlerClass = _handler(state)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def test_messages_wait_for_receivers_that_are_down_and_arrive_once_with_their_keys(db: Database, hooks: Receiver) -> None:
    smtp_port = free_port()  # the mail server's port: nothing listens on it until the outage ends
    inbox = Inbox()
    inbox.port = smtp_port
    settings = settings_for(inbox, delivery_max_attempts=8, delivery_backoff_seconds=30, delivery_backoff_max_seconds=60)
    mailbox(db, "cec", "duty@cec.example.kz", "kk")
    webhook(db, "cec", hooks.url("/cec"))
    webhook(db, "association:1", hooks.url("/association"))
    mailbox(db, "candidate:7", "candidate@example.kz", "ru")
    keys = [enqueue(db, recipient) for recipient in ("cec", "association:1", "candidate:7", "cec", "association:1")]
    hooks.plans = {"/cec": [500] * 1000, "/association": [500] * 1000}

    now = T0
    for _ in range(OUTAGE_ROUNDS):
        report = deliver_due(db, now, settings=settings)
        assert (report.delivered, report.retrying) == (0, len(keys)), report
        now += dt.timedelta(seconds=60)  # every backoff (at most 60 s) has run out
    assert all(r.status == 500 for r in hooks.requests)
    assert {status for status, _ in _rows(db).values()} == {"pending"}

    hooks.plans = {}  # the receiver is fixed, and the mail server comes up on its port
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        for _ in range(3):
            deliver_due(db, now, settings=settings)
            now += dt.timedelta(seconds=60)
    finally:
        controller.stop()

    rows = _rows(db)
    assert {key: status for key, (status, _) in rows.items()} == dict.fromkeys(keys, "delivered"), "a message was lost"
    mailed = Counter((m["X-Registrar-Delivery"], tuple(to)) for to, m in inbox.messages)
    expected_mail = {(key, ("duty@cec.example.kz",)) for key in keys if key.endswith(":cec")} | {
        (key, ("candidate@example.kz",)) for key in keys if key.endswith(":candidate:7")}  # fmt: skip
    assert mailed == Counter(dict.fromkeys(expected_mail, 1)), "each e-mail once, once the server is back"
    taken = Counter(r.document["delivery"] for r in hooks.requests if r.status == 200)
    hooked = [key for key in keys if not key.endswith(":candidate:7")]
    assert taken == Counter(dict.fromkeys(hooked, 1)), "each webhook taken once, once the receiver is back"
    assert {r.document["delivery"] for r in hooks.requests} == set(hooked), "the retries carry the messages' own keys"
    assert all(r.verified for r in hooks.requests)
    for key in keys:  # one successful attempt per contact, after a failed one for each outage round
        log = delivery_log(db, rows[key][1])
        per_contact = Counter(attempt["contact_id"] for attempt in log if attempt["ok"])
        assert set(per_contact.values()) == {1}, log
        assert sum(not attempt["ok"] for attempt in log) == OUTAGE_ROUNDS * len(per_contact), log


def _rows(db: Database) -> dict[str, tuple[str, int]]:
    with db.reading() as session:
        return {key: (status, id_) for key, status, id_ in
                session.execute(select(OutboxMessage.delivery_key, OutboxMessage.status, OutboxMessage.id))}  # fmt: skip
