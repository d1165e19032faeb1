"""V2: the vote is held on election day. A CEC resolution moving the voting hours off it (issue 13:
voting set to open a few minutes ahead, after which every protocol was refused) is refused at its
value, and nothing of the calendar changes."""

from __future__ import annotations

import datetime as dt

import pytest

from registrar import actions
from registrar.errors import InvalidPayload

from .conftest import ELECTION_DAY, ELECTION_ID, World


@pytest.mark.parametrize("milestone, value", [
    ("voting_opens", "2029-10-01T09:00:00+05:00"),   # weeks early
    ("voting_closes", "2029-11-26T08:00:00+05:00"),  # the next morning
    ("voting_opens", "2029-11-24T23:30:00+05:00"),   # the evening before
])  # fmt: skip
def test_v2_voting_hours_moved_off_election_day_are_refused_at_their_value(world: World, milestone: str, value: str) -> None:
    at = world.calendar.nomination_opens + dt.timedelta(days=1)
    payload = {
        "milestone": milestone,
        "value": value,
        "number": "12/345",
        "adopted_on": world.calendar.local(at).date().isoformat(),
    }
    with pytest.raises(InvalidPayload) as refused:
        actions.set_milestone(world.db, ELECTION_ID, payload, actor="test:commission", at=at)
    assert "value" in refused.value.errors
    assert "is not on election_day" in str(refused.value.errors["value"][0])


def test_v2_voting_hours_moved_within_election_day_are_adopted(world: World) -> None:
    at = world.calendar.nomination_opens + dt.timedelta(days=1)
    payload = {"milestone": "voting_closes", "value": f"{ELECTION_DAY.isoformat()}T22:00:00+05:00", "number": "12/346",
               "adopted_on": world.calendar.local(at).date().isoformat()}  # fmt: skip
    adopted = actions.set_milestone(world.db, ELECTION_ID, payload, actor="test:commission", at=at)
    assert adopted.voting_closes == dt.datetime(2029, 11, 25, 22, tzinfo=dt.timezone(dt.timedelta(hours=5)))
