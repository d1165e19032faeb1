"""The officers' inbox: each officer's read and unread, filters, pages, the names of what a message concerns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, select

from registrar import inbox
from registrar.actions import outbox_rows
from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import InboxRead, OutboxMessage

from .conftest import ELECTION_ID, World

T0 = dt.datetime(2029, 10, 1, 9, 0, tzinfo=dt.UTC)


def _tell(db: Database, recipient: str, topic: str, payload: dict[str, Any], count: int = 1, seq: int = 10_000) -> None:
    """``count`` messages to ``recipient``, as the outbox holds them (one audit event each)."""
    rows = [row for n in range(count) for row in outbox_rows(seq + n, topic, [recipient], payload, T0 + dt.timedelta(minutes=n))]
    with db.transaction() as session:
        session.execute(insert(OutboxMessage), rows)


@pytest.fixture
def told(world: World) -> tuple[World, int]:
    """A nomination (the CEC is told), a deadline's notice about it (its id as a string, no election),
    a message of another election, and one for the court only."""
    candidacy = world.nominate(full_name="Aigul Sadykova")
    _tell(world.db, "cec", "deadline.declaration_verification", {"candidacy": str(candidacy), "kind": "declaration_verification",
                                                                 "rule": "G4"}, seq=20_000)  # fmt: skip
    _tell(world.db, "cec", "election.submit_protocol", {"election": "kz-other", "unit": "ABA", "round": 1}, seq=20_001)
    _tell(world.db, "role:court", "candidacy.appeal", {"candidacy": candidacy, "election": ELECTION_ID, "trigger": "appeal"},
          seq=20_002)  # fmt: skip
    return world, candidacy


def test_messages_name_the_candidate_and_the_election_newest_first(told: tuple[World, int]) -> None:
    world, candidacy = told
    page = inbox.page(world.db, "clerk1", "clerk")
    assert [m.topic for m in page.messages] == [
        "election.submit_protocol",
        "deadline.declaration_verification",
        "candidacy.nominate",
    ]
    protocol, notice, nomination = page.messages
    assert (nomination.candidate, nomination.election_title, nomination.action) == (
        "Aigul Sadykova", "Presidential election 2029", "nominate")  # fmt: skip
    assert nomination.actor == "test:clerk", "who acted is the audit event's actor"
    # A deadline's notice carries the candidacy's id as a string and no election: both are found.
    assert (notice.candidacy_id, notice.candidate, notice.election_id) == (candidacy, "Aigul Sadykova", ELECTION_ID)
    assert notice.action == "deadline.declaration_verification"
    assert (protocol.election_id, protocol.election_title, protocol.candidacy_id) == ("kz-other", "", None)
    # The court reads its own messages only, the CEC's roles the CEC's.
    assert [m.topic for m in inbox.page(world.db, "court1", "court").messages] == ["candidacy.appeal"]


def test_read_and_unread_are_each_officers_own(told: tuple[World, int]) -> None:
    world, _ = told
    first = inbox.page(world.db, "clerk1", "clerk").messages[0]
    assert inbox.unread_count(world.db, "clerk1", "clerk") == 3

    assert inbox.mark_read(world.db, "clerk1", "clerk", [first.id, first.id], at=T0) == 1
    assert inbox.mark_read(world.db, "clerk1", "clerk", [first.id]) == 0, "read once is read"
    assert inbox.message(world.db, "clerk1", "clerk", first.id).read_at == T0
    assert inbox.unread_count(world.db, "clerk1", "clerk") == 2
    assert inbox.unread_count(world.db, "clerk2", "clerk") == 3, "another clerk has not read it"
    assert inbox.unread_count(world.db, "commission1", "commission") == 3

    unread = inbox.page(world.db, "clerk1", "clerk", inbox.Filters(unread_only=True))
    assert first.id not in [m.id for m in unread.messages] and unread.total == 2 and unread.unread == 2


def test_an_officer_cannot_read_nor_mark_another_roles_messages(told: tuple[World, int]) -> None:
    world, _ = told
    court = inbox.page(world.db, "court1", "court").messages[0]
    with pytest.raises(NotFound):
        inbox.message(world.db, "clerk1", "clerk", court.id)
    assert inbox.mark_read(world.db, "clerk1", "clerk", [court.id]) == 0
    with world.db.reading() as session:
        assert session.scalar(select(InboxRead)) is None


def test_filters_by_topic_and_by_election_a_candidacys_messages_belong_to_its_election(told: tuple[World, int]) -> None:
    world, _ = told
    by_topic = inbox.page(world.db, "clerk1", "clerk", inbox.Filters(topic="candidacy.nominate"))
    assert [m.topic for m in by_topic.messages] == ["candidacy.nominate"]
    assert by_topic.topics == ["candidacy.nominate", "deadline.declaration_verification", "election.submit_protocol"]
    assert ("kz-2029", "Presidential election 2029") in by_topic.elections

    of_2029 = inbox.page(world.db, "clerk1", "clerk", inbox.Filters(election=ELECTION_ID))
    assert {m.topic for m in of_2029.messages} == {"candidacy.nominate", "deadline.declaration_verification"}
    assert [m.topic for m in inbox.page(world.db, "clerk1", "clerk", inbox.Filters(election="kz-other")).messages] == [
        "election.submit_protocol"
    ]


def test_mark_all_read_marks_what_the_filters_show(told: tuple[World, int]) -> None:
    world, _ = told
    assert inbox.mark_all_read(world.db, "clerk1", "clerk", inbox.Filters(election=ELECTION_ID)) == 2
    assert [m.topic for m in inbox.page(world.db, "clerk1", "clerk", inbox.Filters(unread_only=True)).messages] == [
        "election.submit_protocol"
    ]
    assert inbox.mark_all_read(world.db, "clerk1", "clerk") == 1
    assert inbox.mark_all_read(world.db, "clerk1", "clerk") == 0
    assert inbox.unread_count(world.db, "clerk1", "clerk") == 0


def test_pages_of_fifty_newest_first_and_a_page_past_the_end_is_the_last(db: Database) -> None:
    _tell(db, "cec", "deadline.reminder", {"election": "kz-2029", "kind": "registration_closes"}, count=120)
    first = inbox.page(db, "clerk1", "clerk")
    assert (len(first.messages), first.total, first.pages, first.page) == (50, 120, 3, 1)
    assert first.messages[0].created_at > first.messages[-1].created_at
    last = inbox.page(db, "clerk1", "clerk", number=9)
    assert (last.page, len(last.messages)) == (3, 20)
    seen = [m.id for n in (1, 2, 3) for m in inbox.page(db, "clerk1", "clerk", number=n).messages]
    assert len(set(seen)) == 120
