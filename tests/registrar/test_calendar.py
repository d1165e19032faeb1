"""The election calendar (rules N2, G1, D1, V1, V2, T1, T2)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import registrar.rules
from registrar.calendar import (
    MILESTONES,
    CalendarError,
    ElectionCalendar,
    Resolution,
    compute,
    local_date,
    period_end,
)
from registrar.rules import Rules

RULES = registrar.rules.for_kind("presidential")
ZONE = RULES.zone
UTC = dt.UTC
PLUS6 = dt.timezone(dt.timedelta(hours=6))
PLUS5 = dt.timezone(dt.timedelta(hours=5))

# The 2022 snap election: announced 21 Sep, held 20 Nov; the CEC set the timelines (V1).
SNAP_ANNOUNCED = dt.date(2022, 9, 21)
SNAP_ELECTION = dt.date(2022, 11, 20)
SNAP_RESOLUTIONS = (
    Resolution("nomination_closes", dt.datetime(2022, 10, 11, 18, 0, tzinfo=ZONE), "12/145", dt.date(2022, 9, 22)),
    Resolution("registration_opens", dt.datetime(2022, 10, 11, 0, 0, tzinfo=ZONE), "12/145", dt.date(2022, 9, 22)),
    Resolution("registration_closes", dt.datetime(2022, 10, 21, 18, 0, tzinfo=ZONE), "12/145", dt.date(2022, 9, 22)),
)

# A regular election after the 2024 change of zone offset.
REGULAR_ANNOUNCED = dt.date(2029, 8, 24)
REGULAR_ELECTION = dt.date(2029, 11, 25)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


def rules_with(**changes: dict[str, object]) -> Rules:
    """The presidential rules with some values changed, e.g. ``rules_with(N2={"closes_at": "17:00"})``."""
    with RULES.path.open("rb") as handle:
        document = tomllib.load(handle)
    for rule_id, values in changes.items():
        document[rule_id] = {**document[rule_id], **values}
    return registrar.rules.parse(document, Path("test.toml"))


# --- a regular election ------------------------------------------------------------------


@pytest.fixture(scope="module")
def regular() -> ElectionCalendar:
    return compute(REGULAR_ANNOUNCED, REGULAR_ELECTION, RULES)


def test_n2_nomination_opens_at_0000_the_day_after_the_announcement(regular: ElectionCalendar) -> None:
    assert regular.nomination_opens == local(2029, 8, 25)


def test_n2_nomination_closes_at_1800_two_months_before(regular: ElectionCalendar) -> None:
    assert regular.nomination_closes == local(2029, 9, 25, 18)


def test_g1_registration_opens_two_months_before_and_closes_at_1800_forty_days_before(
    regular: ElectionCalendar,
) -> None:
    assert regular.registration_opens == local(2029, 9, 25)
    assert regular.registration_closes == local(2029, 10, 16, 18)


def test_d1_declarations_as_of_the_first_day_of_the_nomination_month(regular: ElectionCalendar) -> None:
    assert regular.declarations_as_of == dt.date(2029, 8, 1)


def test_v2_voting_from_0700_to_2000_on_election_day(regular: ElectionCalendar) -> None:
    assert regular.voting_opens == local(2029, 11, 25, 7)
    assert regular.voting_closes == local(2029, 11, 25, 20)


def test_milestones_in_display_order_and_nothing_set_by_resolution(regular: ElectionCalendar) -> None:
    assert tuple(regular.milestones()) == MILESTONES == registrar.rules.MILESTONES
    assert regular.resolutions == ()
    assert all(regular.set_by(name) is None for name in MILESTONES)


def test_to_json_iso_8601_with_utc_offset(regular: ElectionCalendar) -> None:
    assert regular.to_json() == {
        "nomination_opens": "2029-08-25T00:00:00+05:00",
        "nomination_closes": "2029-09-25T18:00:00+05:00",
        "registration_opens": "2029-09-25T00:00:00+05:00",
        "registration_closes": "2029-10-16T18:00:00+05:00",
        "declarations_as_of": "2029-08-01",
        "voting_opens": "2029-11-25T07:00:00+05:00",
        "voting_closes": "2029-11-25T20:00:00+05:00",
    }


def test_local_converts_to_the_calendar_zone(regular: ElectionCalendar) -> None:
    moment = regular.local(dt.datetime(2029, 9, 25, 13, 0, tzinfo=UTC))
    assert moment == regular.nomination_closes
    assert moment.tzinfo == ZONE
    assert (moment.hour, moment.utcoffset()) == (18, dt.timedelta(hours=5))


def test_n2_g1_v2_values_come_from_the_rules_file() -> None:
    rules = rules_with(
        N2={"closes_at": "17:00", "closes_months_before_election": 1},
        G1={"closes_days_before_election": 30, "closes_at": "24:00"},
        V2={"opens_at": "08:00"},
    )
    calendar = compute(REGULAR_ANNOUNCED, REGULAR_ELECTION, rules)
    assert calendar.nomination_closes == local(2029, 10, 25, 17)
    assert calendar.registration_closes == local(2029, 10, 27)  # 24:00 of 26 Oct
    assert calendar.voting_opens == local(2029, 11, 25, 8)


# --- T1: the zone and its offsets ------------------------------------------------------------


def test_t1_before_1_march_2024_local_time_is_utc_plus_6() -> None:
    calendar = compute(dt.date(2022, 6, 1), dt.date(2022, 9, 4), RULES)
    for value in calendar.milestones().values():
        if isinstance(value, dt.datetime):
            assert value.tzinfo == ZONE
            assert value.utcoffset() == dt.timedelta(hours=6)
    assert calendar.to_json()["nomination_closes"] == "2022-07-04T18:00:00+06:00"
    assert calendar.nomination_closes == dt.datetime(2022, 7, 4, 12, 0, tzinfo=UTC)


def test_t1_from_1_march_2024_local_time_is_utc_plus_5(regular: ElectionCalendar) -> None:
    for value in regular.milestones().values():
        if isinstance(value, dt.datetime):
            assert value.tzinfo == ZONE
            assert value.utcoffset() == dt.timedelta(hours=5)
    assert regular.nomination_closes == dt.datetime(2029, 9, 25, 13, 0, tzinfo=UTC)


def test_t1_calendar_across_the_offset_change_keeps_each_offset() -> None:
    calendar = compute(dt.date(2024, 1, 10), dt.date(2024, 4, 28), RULES)
    assert calendar.nomination_opens.isoformat() == "2024-01-11T00:00:00+06:00"
    assert calendar.nomination_closes.isoformat() == "2024-02-28T18:00:00+06:00"
    assert calendar.registration_closes.isoformat() == "2024-03-19T18:00:00+05:00"
    assert calendar.voting_opens.isoformat() == "2024-04-28T07:00:00+05:00"


def test_t1_local_date_of_an_instant() -> None:
    assert local_date(dt.datetime(2029, 9, 25, 19, 30, tzinfo=UTC), RULES) == dt.date(2029, 9, 26)
    assert local_date(dt.datetime(2022, 9, 25, 18, 30, tzinfo=UTC), RULES) == dt.date(2022, 9, 26)
    assert local_date(dt.datetime(2022, 9, 25, 17, 30, tzinfo=UTC), RULES) == dt.date(2022, 9, 25)
    assert local_date(dt.datetime(2029, 9, 25, 23, 30), RULES) == dt.date(2029, 9, 25)  # naive: local already


# --- month arithmetic: N2 and G1 clamp to the end of a shorter month ---------------------------


@pytest.mark.parametrize(
    ("announced_on", "election_day", "closes_on"),
    [
        (dt.date(2029, 1, 10), dt.date(2029, 4, 30), dt.date(2029, 2, 28)),
        (dt.date(2028, 1, 10), dt.date(2028, 4, 30), dt.date(2028, 2, 29)),  # leap year
        (dt.date(2029, 8, 1), dt.date(2029, 12, 31), dt.date(2029, 10, 31)),
        (dt.date(2029, 10, 1), dt.date(2030, 1, 31), dt.date(2029, 11, 30)),  # across the year
    ],
)
def test_n2_g1_months_before_election_clamp_to_the_last_day_of_the_month(
    announced_on: dt.date, election_day: dt.date, closes_on: dt.date
) -> None:
    calendar = compute(announced_on, election_day, RULES)
    assert calendar.nomination_closes == dt.datetime.combine(closes_on, dt.time(18, 0), tzinfo=ZONE)
    assert calendar.registration_opens == dt.datetime.combine(closes_on, dt.time(0, 0), tzinfo=ZONE)


# --- V1: the 2022 snap election ---------------------------------------------------------------


def test_v1_snap_calendar_computed_by_the_regular_rules_is_refused() -> None:
    with pytest.raises(CalendarError) as raised:
        compute(SNAP_ANNOUNCED, SNAP_ELECTION, RULES)
    message = str(raised.value)
    assert "nomination_closes (2022-09-20 18:00 +06) is not after nomination_opens (2022-09-22 00:00 +06)" in message
    assert "registration_opens (2022-09-20 00:00 +06) is before nomination_opens (2022-09-22 00:00 +06)" in message
    assert "CEC-set dates are needed" in message
    assert message.endswith("(V1: set nomination_closes, registration_opens by resolution)")


def test_v1_snap_calendar_with_cec_set_milestones() -> None:
    calendar = compute(SNAP_ANNOUNCED, SNAP_ELECTION, RULES, SNAP_RESOLUTIONS)
    assert calendar.to_json() == {
        "nomination_opens": "2022-09-22T00:00:00+06:00",
        "nomination_closes": "2022-10-11T18:00:00+06:00",
        "registration_opens": "2022-10-11T00:00:00+06:00",
        "registration_closes": "2022-10-21T18:00:00+06:00",
        "declarations_as_of": "2022-09-01",
        "voting_opens": "2022-11-20T07:00:00+06:00",
        "voting_closes": "2022-11-20T20:00:00+06:00",
    }


def test_v1_resolutions_are_recorded_and_set_by_names_them() -> None:
    calendar = compute(SNAP_ANNOUNCED, SNAP_ELECTION, RULES, SNAP_RESOLUTIONS)
    assert calendar.resolutions == SNAP_RESOLUTIONS
    assert calendar.set_by("nomination_closes") is SNAP_RESOLUTIONS[0]
    assert calendar.set_by("registration_closes") is SNAP_RESOLUTIONS[2]
    assert calendar.set_by("nomination_opens") is None
    assert calendar.set_by("voting_opens") is None
    with pytest.raises(KeyError):
        calendar.set_by("polling")


def test_v1_later_resolution_wins_by_adoption_date_then_order_given() -> None:
    first = Resolution("registration_closes", local(2022, 10, 20, 18), "12/145", dt.date(2022, 9, 22))
    later = Resolution("registration_closes", local(2022, 10, 21, 18), "15/160", dt.date(2022, 10, 1))
    same_day = Resolution("registration_closes", local(2022, 10, 19, 18), "15/161", dt.date(2022, 10, 1))
    resolutions = [*SNAP_RESOLUTIONS[:2], later, first]

    calendar = compute(SNAP_ANNOUNCED, SNAP_ELECTION, RULES, resolutions)
    assert calendar.registration_closes == local(2022, 10, 21, 18)
    assert calendar.set_by("registration_closes") is later
    assert set(calendar.resolutions) == set(resolutions)

    calendar = compute(SNAP_ANNOUNCED, SNAP_ELECTION, RULES, [*resolutions, same_day])
    assert calendar.registration_closes == local(2022, 10, 19, 18)
    assert calendar.set_by("registration_closes") is same_day


def test_v1_resolution_values_are_stored_in_local_time() -> None:
    in_utc = Resolution("nomination_closes", dt.datetime(2022, 10, 11, 12, 0, tzinfo=UTC), "12/145", dt.date(2022, 9, 22))
    naive = Resolution("registration_opens", dt.datetime(2022, 10, 11, 0, 0), "12/145", dt.date(2022, 9, 22))
    calendar = compute(SNAP_ANNOUNCED, SNAP_ELECTION, RULES, [in_utc, naive, SNAP_RESOLUTIONS[2]])
    assert calendar.nomination_closes.tzinfo == ZONE
    assert calendar.nomination_closes.isoformat() == "2022-10-11T18:00:00+06:00"
    assert calendar.registration_opens.isoformat() == "2022-10-11T00:00:00+06:00"


def test_v1_d1_declarations_follow_a_cec_set_nomination_opening() -> None:
    opens = Resolution("nomination_opens", local(2029, 9, 2), "3/10", dt.date(2029, 8, 25))
    calendar = compute(REGULAR_ANNOUNCED, REGULAR_ELECTION, RULES, [opens])
    assert calendar.nomination_opens == local(2029, 9, 2)
    assert calendar.declarations_as_of == dt.date(2029, 9, 1)

    as_of = Resolution("declarations_as_of", dt.date(2029, 8, 1), "3/11", dt.date(2029, 8, 25))
    calendar = compute(REGULAR_ANNOUNCED, REGULAR_ELECTION, RULES, [opens, as_of])
    assert calendar.declarations_as_of == dt.date(2029, 8, 1)
    assert calendar.set_by("declarations_as_of") is as_of


def test_v1_resolution_for_a_milestone_the_rules_do_not_make_settable_is_refused() -> None:
    rules = rules_with(V1={"settable_milestones": ["nomination_closes", "registration_closes"]})
    voting = Resolution("voting_opens", local(2029, 11, 25, 8), "3/12", dt.date(2029, 8, 25))
    with pytest.raises(CalendarError, match=r"V1: a CEC resolution cannot set voting_opens"):
        compute(REGULAR_ANNOUNCED, REGULAR_ELECTION, rules, [voting])


def test_v1_resolution_for_something_that_is_not_a_milestone_is_refused() -> None:
    with pytest.raises(CalendarError, match="'election_day' is not a milestone"):
        Resolution("election_day", local(2029, 11, 25), "3/13", dt.date(2029, 8, 25))


def test_v1_resolution_value_must_match_the_milestone_kind() -> None:
    with pytest.raises(CalendarError, match="declarations_as_of must be set to a date"):
        Resolution("declarations_as_of", local(2029, 8, 1), "3/14", dt.date(2029, 8, 25))
    with pytest.raises(CalendarError, match="nomination_closes must be set to a datetime"):
        Resolution("nomination_closes", dt.date(2029, 9, 25), "3/15", dt.date(2029, 8, 25))


def test_v1_a_resolution_that_breaks_the_order_is_refused_and_the_other_end_is_asked_for() -> None:
    # The CEC moved nomination_closes past the computed registration_closes: registration_closes must move.
    late = Resolution("nomination_closes", local(2029, 10, 20, 18), "3/16", dt.date(2029, 8, 25))
    with pytest.raises(CalendarError) as raised:
        compute(REGULAR_ANNOUNCED, REGULAR_ELECTION, RULES, [late])
    message = str(raised.value)
    assert "registration_closes (2029-10-16 18:00 +05) is before nomination_closes (2029-10-20 18:00 +05)" in message
    assert message.endswith("(V1: set registration_closes by resolution)")


def test_v1_every_violation_is_reported() -> None:
    resolutions = [
        Resolution("voting_closes", local(2029, 11, 25, 6), "3/17", dt.date(2029, 8, 25)),
        Resolution("registration_closes", local(2029, 11, 26, 18), "3/17", dt.date(2029, 8, 25)),
        Resolution("declarations_as_of", dt.date(2029, 9, 1), "3/17", dt.date(2029, 8, 25)),
    ]
    with pytest.raises(CalendarError) as raised:
        compute(REGULAR_ANNOUNCED, REGULAR_ELECTION, RULES, resolutions)
    message = str(raised.value)
    assert "voting_opens (2029-11-25 07:00 +05) is not after registration_closes (2029-11-26 18:00 +05)" in message
    assert "voting_closes (2029-11-25 06:00 +05) is not after voting_opens (2029-11-25 07:00 +05)" in message
    assert "nomination_opens (2029-08-25 00:00 +05) is before declarations_as_of (2029-09-01)" in message
    # What the CEC set stays; it has to set the other end of each pair instead.
    assert message.endswith("(V1: set nomination_opens, voting_opens by resolution)")


def test_election_day_must_follow_the_announcement() -> None:
    with pytest.raises(CalendarError, match=r"election_day \(2029-08-24\) is not after announced_on \(2029-08-24\)"):
        compute(REGULAR_ANNOUNCED, REGULAR_ANNOUNCED, RULES)


def test_a_datetime_is_not_a_date_for_the_announcement() -> None:
    with pytest.raises(TypeError):
        compute(local(2029, 8, 24), REGULAR_ELECTION, RULES)


# --- T2: periods -------------------------------------------------------------------------------


def test_t2_a_period_of_4_days_ends_at_2400_of_the_fourth_day() -> None:
    # D2: a request received on 10 Oct is answered by 24:00 on 14 Oct, i.e. 00:00 on 15 Oct.
    received = dt.datetime(2029, 10, 10, 15, 30, tzinfo=ZONE)
    assert period_end(received, 4, RULES) == local(2029, 10, 15)
    assert period_end(dt.date(2029, 10, 10), 4, RULES) == local(2029, 10, 15)


def test_t2_the_event_date_is_the_local_date() -> None:
    # 20:00 UTC on 10 Oct is already 11 Oct in Almaty.
    received = dt.datetime(2029, 10, 10, 20, 0, tzinfo=UTC)
    assert period_end(received, 4, RULES) == local(2029, 10, 16)


def test_t2_a_period_may_end_at_another_named_hour() -> None:
    end = period_end(dt.date(2029, 10, 10), 4, RULES, ends_at="18:00")
    assert end == local(2029, 10, 14, 18)
    assert end.isoformat() == "2029-10-14T18:00:00+05:00"


def test_t1_t2_a_period_across_the_2024_offset_change() -> None:
    assert period_end(dt.date(2024, 2, 27), 1, RULES).isoformat() == "2024-02-29T00:00:00+06:00"
    assert period_end(dt.date(2024, 2, 27), 2, RULES).isoformat() == "2024-03-01T00:00:00+05:00"


def test_t2_a_negative_period_is_refused() -> None:
    with pytest.raises(ValueError, match="-1 days"):
        period_end(dt.date(2029, 10, 10), -1, RULES)


# --- properties -------------------------------------------------------------------------------

election_days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))


def regular_announcement(election_day: dt.date, days_earlier: int) -> dt.date:
    """An announcement that leaves nomination open before registration opens (a regular election)."""
    months = max(int(RULES.N2.closes_months_before_election), int(RULES.G1.opens_months_before_election))
    year, month = divmod(election_day.year * 12 + election_day.month - 1 - months, 12)
    first_of_month = dt.date(year, month + 1, 1)
    return first_of_month - dt.timedelta(days=int(RULES.N2.opens_days_after_announcement) + days_earlier)


@given(election_day=election_days, days_earlier=st.integers(min_value=0, max_value=90))
def test_property_regular_calendar_is_valid_local_and_round_trips(election_day: dt.date, days_earlier: int) -> None:
    """N2, G1, D1, V2, T1: any regular calendar is in zone, in order, and its JSON round-trips."""
    announced_on = regular_announcement(election_day, days_earlier)
    calendar = compute(announced_on, election_day, RULES)
    milestones = calendar.milestones()

    for name, value in milestones.items():
        if isinstance(value, dt.datetime):
            assert value.tzinfo == ZONE, name
            assert value.utcoffset() == ZONE.utcoffset(value.replace(tzinfo=None)), name
    closes = calendar.nomination_closes
    assert f"{closes:%H:%M}" == RULES.N2.closes_at
    assert f"{calendar.registration_closes:%H:%M}" == RULES.G1.closes_at
    assert calendar.registration_closes.date() == election_day - dt.timedelta(days=RULES.G1.closes_days_before_election)
    assert calendar.voting_opens.date() == calendar.voting_closes.date() == election_day
    assert calendar.declarations_as_of.day == 1

    assert announced_on < calendar.nomination_opens.date()
    assert calendar.nomination_opens < calendar.nomination_closes <= calendar.registration_closes
    assert calendar.nomination_opens <= calendar.registration_opens < calendar.registration_closes
    assert calendar.registration_closes < calendar.voting_opens < calendar.voting_closes
    assert calendar.declarations_as_of <= calendar.nomination_opens.date()

    encoded = calendar.to_json()
    assert list(encoded) == list(MILESTONES)
    for name, text in encoded.items():
        value = milestones[name]
        if isinstance(value, dt.datetime):
            decoded = dt.datetime.fromisoformat(text)
            assert decoded == value
            assert decoded.utcoffset() == value.utcoffset()
        else:
            assert dt.date.fromisoformat(text) == value


@given(election_day=election_days, days_before=st.integers(min_value=1, max_value=150))
def test_property_any_announcement_gives_a_calendar_or_asks_the_cec(election_day: dt.date, days_before: int) -> None:
    """V1: the computed calendar is either valid or refused with the milestones the CEC must set."""
    announced_on = election_day - dt.timedelta(days=days_before)
    try:
        calendar = compute(announced_on, election_day, RULES)
    except CalendarError as error:
        assert "CEC-set dates are needed (V1: set " in str(error)
    else:
        assert calendar.nomination_opens < calendar.nomination_closes < calendar.voting_opens


@given(
    start=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1), timezones=st.just(UTC)),
    days=st.integers(min_value=0, max_value=60),
)
def test_property_t2_period_ends_at_local_midnight_after_the_nth_day(start: dt.datetime, days: int) -> None:
    end = period_end(start, days, RULES)
    assert end.tzinfo == ZONE
    assert (end.hour, end.minute) == (0, 0)
    assert end.date() == local_date(start, RULES) + dt.timedelta(days=days + 1)
    assert end > start


def test_d1_every_valuation_day_the_rules_admit_is_one_the_calendar_computes() -> None:
    from marshmallow import validate

    from registrar.calendar import VALUATION_DAYS
    from registrar.rules import SCHEMAS

    (one_of,) = [v for v in SCHEMAS["D1"]().fields["valued_as_of"].validators if isinstance(v, validate.OneOf)]
    assert set(one_of.choices) == set(VALUATION_DAYS)
