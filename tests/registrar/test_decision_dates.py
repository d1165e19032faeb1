"""A decision is dated within its window and never ahead of the day it is recorded (issue 13: a
withdrawal dated 1900 and a refusal dated 9999 were accepted and published). A step open at any
time (a death) is still not dated before the election it stands in was announced."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registrar.errors import GuardFailed, InvalidPayload
from registrar.models import AuditEvent, Decision

from .conftest import ANNOUNCED, World


def count(world: World, model: type) -> int:
    with world.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("state, trigger, day, message", [
    ("medical_check", "withdraw", dt.date(1900, 1, 1), "decision.before_window"),
    ("medical_check", "withdraw", dt.date(2100, 1, 1), "decision.in_future"),
    ("documents_submitted", "refuse", dt.date(2100, 1, 1), "decision.in_future"),
    ("registered", "record_death", dt.date(1900, 1, 1), "decision.before_window"),
    ("registered", "record_death", ANNOUNCED - dt.timedelta(days=1), "decision.before_window"),
])  # fmt: skip
def test_a_decision_out_of_its_dates_is_refused_at_decided_on_and_nothing_is_stored(
    world: World, state: str, trigger: str, day: dt.date, message: str
) -> None:
    candidacy = world.nominate(full_name="Аружан Смағұлова")
    at = world.walk(candidacy, state)
    events, decisions = count(world, AuditEvent), count(world, Decision)
    payload = {"decided_on": day, "number": "12/345", "reason": "", "grounds": ["documents_missing"]}
    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, trigger, payload, at=at + dt.timedelta(hours=1))
    assert [(u.message, u.field) for u in refused.value.unmet if u.message.startswith("decision.")] == [
        (message, "decided_on")]  # fmt: skip
    assert (count(world, AuditEvent), count(world, Decision)) == (events, decisions)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_day_no_calendar_reaches_is_refused_at_the_schema(world: World, day: str) -> None:
    candidacy = world.nominate(full_name="Аружан Смағұлова")
    at = world.walk(candidacy, "medical_check")
    with pytest.raises(InvalidPayload) as refused:
        world.act(candidacy, "withdraw", {"decided_on": day, "number": "12/345", "reason": ""}, at=at + dt.timedelta(hours=1))
    assert list(refused.value.errors) == ["decided_on"]


def test_a_death_recorded_on_its_day_is_accepted(world: World) -> None:
    candidacy = world.nominate(full_name="Аружан Смағұлова")
    at = world.walk(candidacy, "registered") + dt.timedelta(days=1)
    day = world.calendar.local(at).date()
    outcome = world.act(candidacy, "record_death", {"decided_on": day, "number": "12/346", "reason": ""}, at=at)
    assert outcome.state == "deceased"
