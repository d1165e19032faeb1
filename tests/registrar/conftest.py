"""A regular presidential election and ways to bring candidacies into it, for the domain tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import pytest

from registrar import actions, demo
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.rules import Rules
from tests.demo_copies import copied

# A regular election: announced 2029-08-24, voting 2029-11-25 (Asia/Almaty, UTC+5).
ELECTION_ID = "kz-2029"
ANNOUNCED = dt.date(2029, 8, 24)
ELECTION_DAY = dt.date(2029, 11, 25)


@dataclass
class World:
    """One announced election with national associations, and helpers to nominate and walk candidacies."""

    db: Database
    rules: Rules
    calendar: ElectionCalendar
    associations: list[int]
    regional: int

    @property
    def nomination_time(self) -> dt.datetime:
        return self.calendar.nomination_opens + dt.timedelta(days=3, hours=10)

    @property
    def registration_time(self) -> dt.datetime:
        return self.calendar.registration_opens + dt.timedelta(days=2, hours=10)

    def nominate(self, association: int | None = None, *, at: dt.datetime | None = None, **person: Any) -> int:
        """Nominate an eligible person (``person`` overrides their facts); returns the candidacy id."""
        association = association if association is not None else self.associations[0]
        at = at or self.nomination_time
        outcome = actions.nominate(
            self.db, ELECTION_ID,
            {"association_id": association,
             "person": demo.person(person.pop("full_name", "Test Candidate"), ELECTION_DAY, **person),
             "decision": demo.decision(self.calendar.local(at).date() - dt.timedelta(days=1))},
            actor="test:clerk", at=at,
        )  # fmt: skip
        return outcome.candidacy_id

    def walk(self, candidacy_id: int, state: str, start: dt.datetime | None = None) -> dt.datetime:
        """Bring a candidacy to ``state`` through the real actions; returns the last action's moment."""
        return demo.walk(self.db, candidacy_id, state, start or self.registration_time, actor="test:clerk")

    def act(self, candidacy_id: int, trigger: str, payload: dict[str, Any] | None = None,
            at: dt.datetime | None = None, **kw: Any) -> actions.Outcome:  # fmt: skip
        return actions.perform(self.db, candidacy_id, trigger, payload or {}, actor="test:clerk",
                               at=at or self.registration_time, **kw)  # fmt: skip

    def rebound(self, db: Database, rules: Rules) -> World:
        """The same world on ``db`` (a copy of this one's database, tests/demo_copies.py), a list of its own."""
        return replace(self, db=db, rules=rules, associations=list(self.associations))


def rules_key(rules: Rules) -> tuple[str, str]:
    """What names ``rules`` in the key of a copied state: a builder reads its zone (and a World keeps it)."""
    return rules.kind, str(rules.path)


def build_world(db: Database, rules: Rules, national: int = 8) -> World:
    """The 2029 election announced, ``national`` national associations and one regional one registered."""
    calendar = demo.announce(db, ELECTION_ID, "Presidential election 2029", ANNOUNCED, ELECTION_DAY,
                             actor="test:commission")  # fmt: skip
    at = dt.datetime.combine(ANNOUNCED, dt.time(11), tzinfo=rules.zone)
    ids = [
        actions.register_association(
            db,
            {
                "registration_number": f"N-{i:03d}",
                "name": f"National Association {i}",
                "kind": "national",
                "registered_on": "2010-01-01",
            },
            actor="test:ministry",
            at=at,
        )  # fmt: skip
        for i in range(1, national + 1)
    ]
    regional = actions.register_association(
        db, {"registration_number": "R-001", "name": "Regional Association", "kind": "regional",
             "registered_on": "2010-01-01"}, actor="test:ministry", at=at)  # fmt: skip
    return World(db, rules, calendar, ids, regional)


def copied_world(db: Database, rules: Rules, national: int = 8) -> World:
    """``build_world`` on the empty ``db``, built once per worker, backend and ``national``, then copied."""
    return copied(db, ("build_world", national, rules_key(rules)), lambda built: build_world(built, rules, national),
                  lambda world, database: world.rebound(database, rules))  # fmt: skip


@pytest.fixture
def world(db: Database, rules: Rules) -> World:
    return copied_world(db, rules)
