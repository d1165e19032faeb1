"""Issue 14, part 5: what an election requires of a candidacy, read before anything is filed: the
figures the registration decision counts (D4's signatures and regions, D5's contribution, D1's
date), from the law the election was announced under and the units it is held over."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from registrar import actions, requirements
from registrar.conditions import signatures_required
from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import Election
from registrar.rules_in_force import in_force

from .conftest import ELECTION_ID, World


def announced_on(db: Database, day: dt.date) -> None:
    # The same election, as if it had been called that day (as tests/registrar/test_territory_by_date.py).
    with db.transaction() as session:
        session.execute(update(Election).where(Election.id == ELECTION_ID).values(announced_on=day))


@pytest.mark.parametrize("day, needed, of, first", [
    (dt.date(2019, 4, 9), 12, 17, "AKM"),   # 14 regions and 3 cities before 8 June 2022
    (dt.date(2022, 6, 7), 12, 17, "AKM"),
    (dt.date(2022, 9, 21), 14, 20, "ABA"),  # Abai, Jetisu and Ulytau since
])  # fmt: skip
def test_d4_the_regions_are_those_of_the_day_the_election_was_announced(
    world: World, day: dt.date, needed: int, of: int, first: str
) -> None:
    announced_on(world.db, day)
    signatures = requirements.of(world.db, ELECTION_ID).signatures
    assert signatures is not None
    assert (signatures.regions_needed, signatures.regions_total, signatures.regions_fraction) == (needed, of, (2, 3))
    assert len(signatures.regions) == of and signatures.regions[0].code == first
    assert set(signatures.regions[0].names) == {"kk", "ru", "en"}
    # the very figures the registration decision checks (conditions.enough_signatures)
    rules = in_force("presidential", on=day).rules
    voters = signatures.registered_voters
    assert voters is not None
    assert (signatures.required, signatures.regions_needed, signatures.per_region_min) == signatures_required(rules, voters)


def test_d4_the_threshold_follows_the_voter_count(world: World) -> None:
    actions.record_voter_count(world.db, ELECTION_ID, {"registered_voters": 12_100_001, "voters_counted_on": "2029-08-24"},
                               actor="test:clerk", at=world.registration_time)  # fmt: skip
    signatures = requirements.of(world.db, ELECTION_ID).signatures
    assert signatures is not None
    assert (signatures.rule, signatures.share_percent) == ("D4", "1")
    assert (signatures.required, signatures.regions_needed, signatures.per_region_min) == (121_001, 14, 4_322)
    assert signatures.voters_counted_on == dt.date(2029, 8, 24)


def test_d4_without_a_voter_count_the_share_is_known_and_the_number_not(world: World) -> None:
    with world.db.transaction() as session:
        session.execute(update(Election).where(Election.id == ELECTION_ID).values(registered_voters=None))
    signatures = requirements.of(world.db, ELECTION_ID).signatures
    assert signatures is not None
    assert (signatures.required, signatures.per_region_min, signatures.regions_needed) == (None, None, 14)
    assert "not recorded yet" in requirements.lines(requirements.of(world.db, ELECTION_ID))[1]


def test_d5_the_contribution_is_that_of_the_day_within_the_nomination_and_registration(world: World) -> None:
    rules, calendar = world.rules, world.calendar
    during = requirements.of(world.db, ELECTION_ID, at=world.registration_time).contribution
    assert during is not None
    day = world.calendar.local(world.registration_time).date()
    assert (during.rule, during.on, during.due) == ("D5", day, rules.contribution_due_on(day))
    assert during.due == during.multiplier * during.minimum_wage
    long_after = requirements.of(world.db, ELECTION_ID, at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC)).contribution
    assert long_after is not None and long_after.on == calendar.local(calendar.registration_closes).date()


def test_d1_the_declarations_date_is_the_calendars(world: World) -> None:
    declarations = requirements.of(world.db, ELECTION_ID).declarations
    assert (declarations.rule, declarations.as_of) == ("D1", world.calendar.declarations_as_of)
    actions.set_milestone(world.db, ELECTION_ID, {"milestone": "declarations_as_of", "value": "2029-08-01",
                                                  "number": "CEC-5", "adopted_on": "2029-08-25"},
                          actor="test:commission", at=world.registration_time)  # fmt: skip
    assert requirements.of(world.db, ELECTION_ID).declarations.as_of == dt.date(2029, 8, 1)


def test_an_unknown_election_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        requirements.of(world.db, "no-such-election")
