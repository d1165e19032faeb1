"""The officers' inbox on the web: one line a message in words, read and unread per officer, filters, pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import render_template_string
from sqlalchemy import insert

from registrar import inbox
from registrar.actions import outbox_rows
from registrar.db import Database
from registrar.models import OutboxMessage

from .conftest import WebWorld

T0 = dt.datetime(2029, 10, 1, 9, 0, tzinfo=dt.UTC)
ROW = re.compile(r"<tr( class=\"unread\")?>\s*<td>")


def _tell(db: Database, recipient: str, topic: str, payload: dict[str, Any], count: int = 1, seq: int = 10_000) -> None:
    rows = [row for n in range(count) for row in outbox_rows(seq + n, topic, [recipient], payload, T0 + dt.timedelta(minutes=n))]
    with db.transaction() as session:
        session.execute(insert(OutboxMessage), rows)


def _rows(page: str) -> list[bool]:
    """The list's lines, each True when unread."""
    return [bool(unread) for unread in ROW.findall(page)]


def test_a_message_reads_in_words_and_opening_it_marks_it_read_for_that_officer_only(web_world: WebWorld) -> None:
    notice = {"election": "kz-2029", "kind": "declaration_verification", "rule": "G4", "due_at": "2029-10-10T13:00:00+00:00"}
    _tell(web_world.db, "cec", "deadline.declaration_verification", notice)
    first, second = web_world.login_as("clerk"), web_world.login_as("commission")
    page = first.get("/officer/inbox").get_data(as_text=True)
    assert _rows(page) == [True] and "Unread: 1." in page
    shown = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1])
    assert "Deadline fell due" in shown and "declaration_verification" not in shown, "the deadline by its name, not its code"
    assert "{" not in shown, "no payload dump"

    message_id = inbox.page(web_world.db, "clerk1", "clerk").messages[0].id
    opened = first.get(f"/officer/inbox/{message_id}").get_data(as_text=True)
    assert "G4" in opened and "10 October 2029, 18:00" in opened, "the details: the rule, the due time in local time"
    assert _rows(first.get("/officer/inbox").get_data(as_text=True)) == [False]
    assert _rows(second.get("/officer/inbox").get_data(as_text=True)) == [True], "another officer has not read it"


def test_another_roles_message_is_not_there(web_world: WebWorld) -> None:
    _tell(web_world.db, "role:court", "candidacy.appeal", {"trigger": "appeal"})
    court_message = inbox.page(web_world.db, "court1", "court").messages[0].id
    clerk = web_world.login_as("clerk")
    assert clerk.get(f"/officer/inbox/{court_message}").status_code == 404
    assert _rows(clerk.get("/officer/inbox").get_data(as_text=True)) == []


def test_mark_chosen_and_mark_all_read_keep_the_filters(web_world: WebWorld) -> None:
    _tell(web_world.db, "cec", "deadline.reminder", {"election": "kz-2029", "kind": "registration_closes"}, count=3)
    _tell(web_world.db, "cec", "election.submit_protocol", {"election": "kz-2030", "unit": "ABA"}, count=2, seq=20_000)
    client = web_world.login_as("clerk")
    ids = [m.id for m in inbox.page(web_world.db, "clerk1", "clerk").messages]

    oldest_reminder = ids[-1]
    response = client.submit("/officer/inbox/read", {"id": [str(oldest_reminder), "99999999999999999999", "x"], "unread": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/officer/inbox?unread=1"
    assert inbox.unread_count(web_world.db, "clerk1", "clerk") == 4

    response = client.submit("/officer/inbox/read", {"all": "1", "topic": "deadline.reminder"})
    assert response.headers["Location"] == "/officer/inbox?topic=deadline.reminder"
    unread = [m.topic for m in inbox.page(web_world.db, "clerk1", "clerk", inbox.Filters(unread_only=True)).messages]
    assert unread == ["election.submit_protocol"] * 2

    by_election = client.get("/officer/inbox", query_string={"election": "kz-2030", "unread": "1"}).get_data(as_text=True)
    assert _rows(by_election) == [True, True]
    assert client.post("/officer/inbox/read", data={"all": "1"}).status_code == 400, "the form's CSRF token is needed"


def test_five_hundred_messages_are_ten_small_pages_newest_first(web_world: WebWorld) -> None:
    _tell(web_world.db, "cec", "deadline.reminder", {"election": "kz-2029", "kind": "registration_closes"}, count=500)
    client = web_world.login_as("clerk")
    response = client.get("/officer/inbox")
    page = response.get_data(as_text=True)
    assert len(_rows(page)) == 50 and "Page 1 of 10" in page and "Unread: 500." in page
    assert len(page) < 60_000, f"the page is {len(page)} characters"
    assert 'rel="next"' in page and 'rel="prev"' not in page

    last = client.get("/officer/inbox", query_string={"page": "10"}).get_data(as_text=True)
    assert len(_rows(last)) == 50 and "Page 10 of 10" in last and 'rel="next"' not in last
    newest, oldest = (inbox.page(web_world.db, "clerk1", "clerk", number=n).messages for n in (1, 10))
    assert newest[0].created_at == T0 + dt.timedelta(minutes=499) and oldest[-1].created_at == T0
    assert client.get("/officer/inbox", query_string={"page": "junk"}).status_code == 200


def test_the_unread_count_is_a_template_global(web_world: WebWorld) -> None:
    _tell(web_world.db, "cec", "candidacy.register", {"trigger": "register"}, count=2)
    client = web_world.login_as("commission")
    with client:
        client.get("/officer/inbox")
        assert render_template_string("{{ unread_count() }}") == "2"
    with web_world.app.test_request_context("/"):
        assert render_template_string("{{ unread_count() }}") == "0", "nobody signed in: nothing unread"
