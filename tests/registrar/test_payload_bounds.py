"""Every number, day and text of a payload within what it can be stored and shown as (issue 13):
numbers that no column holds, the years 1 and 9999, control, bidi and zero-width characters each
reached a 500 or were stored; now each is a field error, and nothing is stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from registrar import actions, demo
from registrar.db import Database
from registrar.errors import InvalidPayload
from registrar.models import AuditEvent, Election, Person

from .conftest import ELECTION_ID, World


def count(db: Database, model: type) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def announcement(**changed: Any) -> dict[str, Any]:
    return {"id": "kz-2031", "title": "Президент сайлауы 2031", "kind": "presidential", "announced_on": "2031-08-24",
            "election_day": "2031-11-25"} | changed  # fmt: skip


@pytest.mark.parametrize("changed, field", [
    ({"announced_on": "0001-01-01"}, "announced_on"),
    ({"election_day": "9999-12-31"}, "election_day"),
    ({"registered_voters": 2**63}, "registered_voters"),
    ({"registered_voters": 10**30}, "registered_voters"),
    ({"title": "Сайлау\r\nX-Header: 1"}, "title"),
    ({"title": "Сайлау \u202eэлбаС"}, "title"),
    ({"title": "Сай\u200bлау"}, "title"),
    ({"title": "Сайлау\x00"}, "title"),
    ({"resolutions": [{"milestone": "nomination_opens", "value": "0001-01-01T00:00:00+05:00", "number": "1/1",
                       "adopted_on": "2031-08-24"}]}, "resolutions.0.value"),
])  # fmt: skip
def test_an_announcement_out_of_bounds_is_a_field_error_and_nothing_is_stored(db: Database, changed: dict[str, Any],
                                                                               field: str) -> None:  # fmt: skip
    events = count(db, AuditEvent)
    with pytest.raises(InvalidPayload) as refused:
        actions.announce_election(db, announcement(**changed), actor="test:clerk", at=dt.datetime(2031, 8, 24, 10, tzinfo=dt.UTC))
    assert field in {key for key in refused.value.errors} | {k.split(".")[0] for k in refused.value.errors}
    assert (count(db, Election), count(db, AuditEvent)) == (0, events)


def test_a_name_is_kept_in_one_unicode_form(world: World) -> None:
    decomposed = "А\u0306йгерім"  # А + a combining breve, as some keyboards type it
    candidacy = world.nominate(full_name=decomposed)
    with world.db.reading() as session:
        names = list(session.scalars(select(Person.full_name)))
    assert "Йгерім" not in names and any(n.startswith("\u04d0") for n in names), names  # Ӑ composed
    assert candidacy


@pytest.mark.parametrize("association_id", [2**70, 2**31])
def test_an_id_no_column_holds_is_a_field_error(world: World, association_id: int) -> None:
    events = count(world.db, AuditEvent)
    with pytest.raises(InvalidPayload) as refused:
        actions.nominate(world.db, ELECTION_ID, {"association_id": association_id, "person": demo.person("Аружан Смағұлова",
                         world.calendar.election_day), "decision": demo.decision(world.calendar.announced_on)},
                         actor="test:clerk", at=world.nomination_time)  # fmt: skip
    assert "association_id" in refused.value.errors
    assert count(world.db, AuditEvent) == events
