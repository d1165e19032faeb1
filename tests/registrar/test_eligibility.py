"""Eligibility of a candidate (E1-E9, Constitution Art. 41): registrar.eligibility.

The law's numbers are read from the rules file, never repeated here: a test that needs "one
day short of the minimum age" computes it from ``rules.E2.min_age_years``.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from calendar import isleap
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registrar import rules as rules_module
from registrar.eligibility import Unmet, age_on, reference_day, unmet_requirements, years_before
from registrar.resources import packaged
from registrar.rules import Rules

RULES = rules_module.for_kind("presidential")
PATH = packaged("rules/presidential.toml")
with PATH.open("rb") as _handle:
    DOCUMENT: dict[str, Any] = tomllib.load(_handle)

MIN_AGE: int = RULES.E2.min_age_years
RESIDENCE_YEARS: int = RULES.E4.residence_years
SERVICE_YEARS: int = RULES.E6.service_years
MIN_LINGUISTS: int = RULES.E3.commission_min_linguists
MAX_TERMS: int = RULES.E9.max_terms
QUALIFYING_EDUCATION: str = RULES.E5.education_levels[0]


@dataclass(frozen=True)
class Calendar:
    announced_on: dt.date
    election_day: dt.date
    registration_closes: dt.datetime


@dataclass(frozen=True)
class Person:
    full_name: str
    birth_date: dt.date
    citizen_by_birth: bool
    resident_since: dt.date | None
    education_level: str
    public_service_months: int
    legally_incompetent: bool
    detained_by_court_order: bool
    unexpunged_criminal_record: bool
    presidential_terms_served: int


@dataclass(frozen=True)
class Conclusion:
    fluent: bool
    linguists: int
    decided_on: dt.date


ELECTION_DAY = dt.date(2029, 12, 2)
CALENDAR = Calendar(
    announced_on=dt.date(2029, 9, 1),
    election_day=ELECTION_DAY,
    registration_closes=dt.datetime(2029, 10, 23, 18, 0, tzinfo=RULES.zone),
)
FLUENT = Conclusion(fluent=True, linguists=MIN_LINGUISTS, decided_on=dt.date(2029, 10, 1))
ELIGIBLE = Person(
    full_name="Aigerim Nurlanovna Sadykova",
    birth_date=years_before(ELECTION_DAY, MIN_AGE + 10),
    citizen_by_birth=True,
    resident_since=years_before(ELECTION_DAY, MIN_AGE + 10),
    education_level=QUALIFYING_EDUCATION,
    public_service_months=(SERVICE_YEARS + 2) * 12,
    legally_incompetent=False,
    detained_by_court_order=False,
    unexpunged_criminal_record=False,
    presidential_terms_served=0,
)


def check(person: Person = ELIGIBLE, rules: Rules = RULES, calendar: Calendar = CALENDAR, **kw: Any) -> list[Unmet]:
    language = kw.pop("language", FLUENT)
    return unmet_requirements(person, calendar, rules, language, **kw)


def modified(**tables: dict[str, Any]) -> Rules:
    """The presidential rules with some values of some tables changed."""
    document = copy.deepcopy(DOCUMENT)
    for rule_id, values in tables.items():
        document[rule_id] |= values
    return rules_module.parse(document, PATH)


def turns_min_age_on(day: dt.date) -> dt.date:
    return years_before(day, MIN_AGE)


# --- everything met ---------------------------------------------------------------------


def test_e1_to_e9_eligible_person_passes() -> None:
    assert check() == []


def test_e1_to_e9_unmet_prints_rule_and_reason() -> None:
    unmet = Unmet("E2", "younger than 40 on 2029-12-02 (39 years)")
    assert str(unmet) == "E2: younger than 40 on 2029-12-02 (39 years)"


# --- each rule failing alone --------------------------------------------------------------


def test_e1_not_citizen_by_birth() -> None:
    assert check(replace(ELIGIBLE, citizen_by_birth=False)) == [Unmet("E1", "not a citizen of Kazakhstan by birth")]


def test_e2_younger_than_min_age() -> None:
    person = replace(ELIGIBLE, birth_date=turns_min_age_on(ELECTION_DAY + dt.timedelta(days=100)))
    assert check(person) == [Unmet("E2", f"younger than {MIN_AGE} on {ELECTION_DAY.isoformat()} ({MIN_AGE - 1} years)")]


def test_e2_age_boundary_on_the_day() -> None:
    assert check(replace(ELIGIBLE, birth_date=turns_min_age_on(ELECTION_DAY))) == []


def test_e2_age_boundary_the_day_after_fails() -> None:
    person = replace(ELIGIBLE, birth_date=turns_min_age_on(ELECTION_DAY + dt.timedelta(days=1)))
    assert [str(u) for u in check(person)] == [f"E2: younger than {MIN_AGE} on {ELECTION_DAY.isoformat()} ({MIN_AGE - 1} years)"]


def test_e2_born_29_february_turns_older_on_1_march_in_common_years() -> None:
    born = dt.date(2000, 2, 29)
    assert age_on(born, dt.date(2001, 2, 28)) == 0
    assert age_on(born, dt.date(2001, 3, 1)) == 1
    assert age_on(born, dt.date(2004, 2, 28)) == 3
    assert age_on(born, dt.date(2004, 2, 29)) == 4


def test_e2_born_29_february_on_the_reference_day() -> None:
    born = dt.date(1992, 2, 29)
    rules = modified(E2={"min_age_years": 37})  # 2029 has no 29 February
    on_28 = replace(CALENDAR, election_day=dt.date(2029, 2, 28))
    on_1_march = replace(CALENDAR, election_day=dt.date(2029, 3, 1))
    person = replace(ELIGIBLE, birth_date=born, resident_since=born)
    assert check(person, rules, on_28) == [Unmet("E2", "younger than 37 on 2029-02-28 (36 years)")]
    assert check(person, rules, on_1_march) == []


def test_e2_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="after"):
        age_on(dt.date(2000, 1, 2), dt.date(2000, 1, 1))


@pytest.mark.parametrize(
    ("measured_on", "expected"),
    [
        ("election_day", dt.date(2029, 12, 2)),
        ("announcement_day", dt.date(2029, 9, 1)),
        ("registration_closes", dt.date(2029, 10, 23)),
    ],
)
def test_e2_reference_day_follows_age_measured_on(measured_on: str, expected: dt.date) -> None:
    rules = modified(E2={"age_measured_on": measured_on})
    assert reference_day(CALENDAR, rules) == expected
    assert check(replace(ELIGIBLE, birth_date=turns_min_age_on(expected)), rules) == []
    too_young = replace(ELIGIBLE, birth_date=turns_min_age_on(expected + dt.timedelta(days=1)))
    assert check(too_young, rules) == [Unmet("E2", f"younger than {MIN_AGE} on {expected.isoformat()} ({MIN_AGE - 1} years)")]


def test_e2_registration_closes_is_read_as_a_date_in_the_capital() -> None:
    rules = modified(E2={"age_measured_on": "registration_closes"})
    # 20:30 UTC on 22 October is already 23 October in Astana.
    late_evening_utc = dt.datetime(2029, 10, 22, 20, 30, tzinfo=dt.UTC)
    assert reference_day(replace(CALENDAR, registration_closes=late_evening_utc), rules) == dt.date(2029, 10, 23)
    with pytest.raises(ValueError, match="aware"):
        reference_day(replace(CALENDAR, registration_closes=dt.datetime(2029, 10, 23, 18, 0)), rules)


def test_e3_no_conclusion_of_the_linguistic_commission() -> None:
    assert check(language=None) == [Unmet("E3", "no conclusion of the linguistic commission")]


def test_e3_not_required_before_the_commission_sits() -> None:
    assert check(language=None, require_language=False) == []


def test_e3_not_fluent() -> None:
    conclusion = replace(FLUENT, fluent=False)
    assert check(language=conclusion) == [
        Unmet("E3", f"not fluent in the state language ({RULES.E3.state_language}), per the commission of 2029-10-01")
    ]


def test_e3_not_fluent_even_when_not_required() -> None:
    assert [u.rule for u in check(language=replace(FLUENT, fluent=False), require_language=False)] == ["E3"]


def test_e3_too_few_linguists() -> None:
    conclusion = replace(FLUENT, linguists=MIN_LINGUISTS - 1)
    reason = f"the commission of 2029-10-01 had {MIN_LINGUISTS - 1} linguists, at least {MIN_LINGUISTS} required"
    assert check(language=conclusion) == [Unmet("E3", reason)]


def test_e4_not_resident() -> None:
    assert check(replace(ELIGIBLE, resident_since=None)) == [Unmet("E4", "not resident in Kazakhstan")]


def test_e4_residence_boundary() -> None:
    needed = years_before(ELECTION_DAY, RESIDENCE_YEARS)
    assert check(replace(ELIGIBLE, resident_since=needed)) == []
    late = needed + dt.timedelta(days=1)
    assert check(replace(ELIGIBLE, resident_since=late)) == [
        Unmet(
            "E4",
            f"lived in Kazakhstan since {late.isoformat()}, not since {needed.isoformat()} "
            f"({RESIDENCE_YEARS} years before {ELECTION_DAY.isoformat()})",
        )
    ]


def test_e4_29_february_reference_day_clamps_to_28_february() -> None:
    assert years_before(dt.date(2032, 2, 29), 15) == dt.date(2017, 2, 28)
    assert years_before(dt.date(2032, 2, 29), 4) == dt.date(2028, 2, 29)
    rules = modified(E4={"residence_years": 15})
    leap_day = replace(CALENDAR, election_day=dt.date(2032, 2, 29))
    assert check(replace(ELIGIBLE, resident_since=dt.date(2017, 2, 28)), rules, leap_day) == []
    unmet = check(replace(ELIGIBLE, resident_since=dt.date(2017, 3, 1)), rules, leap_day)
    assert [u.rule for u in unmet] == ["E4"]


def test_e5_education_not_higher() -> None:
    levels = ", ".join(RULES.E5.education_levels)
    assert check(replace(ELIGIBLE, education_level="secondary")) == [
        Unmet("E5", f"education 'secondary' is not one of: {levels}")
    ]


def test_e6_public_service_boundary() -> None:
    assert check(replace(ELIGIBLE, public_service_months=SERVICE_YEARS * 12)) == []
    short = replace(ELIGIBLE, public_service_months=SERVICE_YEARS * 12 - 1)
    assert check(short) == [
        Unmet("E6", f"{SERVICE_YEARS - 1} years 11 months of public service, at least {SERVICE_YEARS} years required")
    ]


def test_e6_no_public_service() -> None:
    unmet = check(replace(ELIGIBLE, public_service_months=0))
    assert unmet == [Unmet("E6", f"0 months of public service, at least {SERVICE_YEARS} years required")]


@pytest.mark.parametrize(
    ("attribute", "person", "reason"),
    [
        (
            "legally_incompetent",
            replace(ELIGIBLE, legally_incompetent=True),
            "declared legally incompetent by a court",
        ),
        (
            "detained_by_court_order",
            replace(ELIGIBLE, detained_by_court_order=True),
            "held in detention by court order",
        ),
    ],
)
def test_e7_no_right_to_vote(attribute: str, person: Person, reason: str) -> None:
    assert attribute in RULES.E7.disqualifying
    assert check(person) == [Unmet("E7", reason)]


def test_e7_names_both_grounds() -> None:
    person = replace(ELIGIBLE, legally_incompetent=True, detained_by_court_order=True)
    assert check(person) == [Unmet("E7", "declared legally incompetent by a court; held in detention by court order")]


def test_e8_criminal_record() -> None:
    assert check(replace(ELIGIBLE, unexpunged_criminal_record=True)) == [
        Unmet("E8", "has an unexpunged or outstanding criminal record")
    ]


def test_e7_e8_misspelt_ground_in_the_rules_file_is_an_error() -> None:
    rules = modified(E8={"disqualifying": ["unexpunged_criminal_recrod"]})
    with pytest.raises(AttributeError, match="unexpunged_criminal_recrod"):
        check(rules=rules)


def test_e9_already_held_the_office() -> None:
    person = replace(ELIGIBLE, presidential_terms_served=MAX_TERMS)
    since = RULES.E9.terms_counted_from.isoformat()
    terms = "presidential term" if MAX_TERMS == 1 else "presidential terms"
    assert check(person) == [Unmet("E9", f"already served {MAX_TERMS} {terms} since {since}, the limit is {MAX_TERMS}")]


def test_e9_one_term_short_of_the_limit_passes() -> None:
    assert check(replace(ELIGIBLE, presidential_terms_served=MAX_TERMS - 1)) == []


# --- several at once, and other election kinds ---------------------------------------------


def test_e1_to_e9_several_failures_all_listed_in_rule_id_order() -> None:
    person = replace(
        ELIGIBLE,
        citizen_by_birth=False,
        birth_date=turns_min_age_on(ELECTION_DAY + dt.timedelta(days=1)),
        resident_since=None,
        education_level="vocational",
        public_service_months=0,
        detained_by_court_order=True,
        unexpunged_criminal_record=True,
        presidential_terms_served=MAX_TERMS,
    )
    unmet = check(person, language=None)
    assert [u.rule for u in unmet] == ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9"]


def other_kind(**tables: dict[str, Any]) -> Rules:
    """A small rules file for another election kind: the calendar's rules and ``tables``."""
    document: dict[str, Any] = {"kind": "mazhilis", "title": "Election of a deputy of the Mazhilis"}
    document |= {rule_id: copy.deepcopy(DOCUMENT[rule_id]) for rule_id in rules_module.REQUIRED_RULES}
    document |= tables
    return rules_module.parse(document, packaged("rules/mazhilis.toml"))


def test_e2_e9_another_kind_omits_e9_and_sets_min_age_25() -> None:
    rules = other_kind(
        E1={"source": "test", "citizen_by_birth": True},
        E2={"source": "test", "min_age_years": 25, "age_measured_on": "election_day"},
    )
    assert "E9" not in rules
    thirty_year_old_ex_president = replace(
        ELIGIBLE,
        birth_date=years_before(ELECTION_DAY, 30),
        education_level="secondary",
        public_service_months=0,
        presidential_terms_served=MAX_TERMS,
    )
    assert check(thirty_year_old_ex_president, rules, language=None) == []
    assert [u.rule for u in check(thirty_year_old_ex_president, language=None)] == ["E2", "E3", "E5", "E6", "E9"]
    twenty_four = replace(ELIGIBLE, birth_date=years_before(ELECTION_DAY, 25) + dt.timedelta(days=1))
    assert check(twenty_four, rules) == [Unmet("E2", "younger than 25 on 2029-12-02 (24 years)")]


def test_e2_e4_a_kind_without_e2_measures_residence_on_election_day() -> None:
    rules = other_kind(E4={"source": "test", "residence_years": 10})
    assert reference_day(CALENDAR, rules) == ELECTION_DAY
    needed = years_before(ELECTION_DAY, 10)
    assert check(replace(ELIGIBLE, resident_since=needed), rules) == []
    assert [u.rule for u in check(replace(ELIGIBLE, resident_since=needed + dt.timedelta(days=1)), rules)] == ["E4"]


# --- properties of the arithmetic ----------------------------------------------------------


def reference_age(birth: dt.date, day: dt.date) -> int:
    """Count the birthdays up to ``day``; a 29 February birthday is kept on 1 March in common years."""

    def birthday(year: int) -> dt.date:
        if (birth.month, birth.day) == (2, 29) and not isleap(year):
            return dt.date(year, 3, 1)
        return birth.replace(year=year)

    age = 0
    while birth.year + age + 1 <= day.year and birthday(birth.year + age + 1) <= day:
        age += 1
    return age


dates = st.dates(min_value=dt.date(1896, 1, 1), max_value=dt.date(2104, 12, 31))


@given(birth=dates, a=dates, b=dates)
def test_e2_age_on_matches_counting_birthdays_and_never_decreases(birth: dt.date, a: dt.date, b: dt.date) -> None:
    first, second = sorted((a, b))
    if birth > first:
        return
    assert age_on(birth, first) == reference_age(birth, first)
    assert age_on(birth, first) <= age_on(birth, second)


@given(birth=dates, day=dates, years=st.integers(min_value=0, max_value=120))
def test_e2_e4_years_before_agrees_with_age_on(birth: dt.date, day: dt.date, years: int) -> None:
    if birth > day:
        return
    assert (age_on(birth, day) >= years) == (birth <= years_before(day, years))
