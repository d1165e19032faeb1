"""The law as data: config/rules/presidential.toml loads, says where each rule comes from,
refuses a broken file naming the key and the reason, and another election kind needs only
its own file (RULES.md: "Encode each one once, as data").
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from registrar import calendar as election_calendar
from registrar.eligibility import unmet_requirements
from registrar.resources import packaged
from registrar.rules import RulesError, UnknownKind, for_kind, load

PRESIDENTIAL = packaged("rules/presidential.toml")
TEXT = PRESIDENTIAL.read_text(encoding="utf-8")

# Every rule id of RULES.md, table by table.
RULE_IDS = (
    [f"E{i}" for i in range(1, 10)]
    + [f"N{i}" for i in range(1, 8)]
    + [f"D{i}" for i in range(1, 8)]
    + [f"G{i}" for i in range(1, 8)]
    + [f"V{i}" for i in range(1, 8)]
    + ["T1", "T2"]
)


def write(tmp_path: Path, text: str, name: str = "presidential.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def changed(old: str, new: str, text: str = TEXT) -> str:
    """The presidential file with one exact, unique piece of text replaced."""
    assert text.count(old) == 1, f"{old!r} is not unique in the rules file"
    return text.replace(old, new)


def without_table(rule_id: str, text: str = TEXT) -> str:
    """The presidential file without the table ``[rule_id]``."""
    pattern = re.compile(rf"^\[{rule_id}\]\n(?:(?!^\[|^# ---).*\n)*", re.M)
    assert len(pattern.findall(text)) == 1
    return pattern.sub("", text)


# --- the presidential file -------------------------------------------------------------------


def test_the_presidential_file_has_every_rule_of_rules_md_with_source_and_status() -> None:
    rules = for_kind("presidential")
    assert rules.kind == "presidential"
    assert rules.path == PRESIDENTIAL
    assert sorted(rules.by_id) == sorted(RULE_IDS)
    with PRESIDENTIAL.open("rb") as handle:
        document = tomllib.load(handle)
    for rule_id in RULE_IDS:
        rule = rules.by_id[rule_id]
        assert rule.id == rule_id
        assert rule.source.strip(), f"{rule_id} has no source"
        assert rule.status in ("confirmed", "unconfirmed")
        # The file says it, rather than leaving it to the loader's default.
        assert document[rule_id]["status"] in ("confirmed", "unconfirmed"), f"{rule_id} does not state its status"


@pytest.mark.parametrize("rule_id", ["E2", "D7", "G6"])
def test_the_rules_rules_md_marks_unconfirmed_say_so(rule_id: str) -> None:
    # E2: the reference date of the age; D7: the 5-day check; G6: the 10-day filing window.
    assert for_kind("presidential").by_id[rule_id].status == "unconfirmed"


def test_the_unconfirmed_numbers_are_configurable_values() -> None:
    rules = for_kind("presidential")
    assert rules.E2.min_age_years == 40
    assert rules.E2.age_measured_on == "election_day"  # RULES.md: default election day
    assert rules.D7.check_days == 5
    assert rules.G6.appeal_days == 10


def test_t1_local_time_is_asia_almaty_with_its_2024_change() -> None:
    zone = for_kind("presidential").zone
    assert dt.datetime(2024, 2, 29, 12, tzinfo=zone).utcoffset() == dt.timedelta(hours=6)
    assert dt.datetime(2024, 3, 1, 12, tzinfo=zone).utcoffset() == dt.timedelta(hours=5)


# --- D5: the election contribution -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (dt.date(2021, 12, 31), 50 * 42_500),
        (dt.date(2022, 1, 1), 50 * 60_000),
        (dt.date(2019, 1, 1), 50 * 42_500),
    ],
)
def test_d5_contribution_is_50_minimum_wages_in_force_on_the_day(day: dt.date, due: int) -> None:
    assert for_kind("presidential").contribution_due_on(day) == due


def test_d5_minimum_wage_before_the_table_raises() -> None:
    rules = for_kind("presidential")
    with pytest.raises(RulesError, match=r"D5\.minimum_wage: no minimum wage is configured before 2019-01-01"):
        rules.minimum_wage_on(dt.date(2018, 12, 31))
    with pytest.raises(RulesError, match=r"D5\.minimum_wage"):
        rules.contribution_due_on(dt.date(2018, 12, 31))


# --- a broken file is refused with the key and the reason --------------------------------------


BROKEN = {
    "wrong type": (
        changed("min_age_years = 40", 'min_age_years = "forty"'),
        "E2.min_age_years: Not a valid integer.",
    ),
    "a float where a count is due": (
        changed("min_age_years = 40", "min_age_years = 40.5"),
        "E2.min_age_years: Not a valid integer.",
    ),
    "a missing required rule": (without_table("G1"), "G1: required by the calendar and missing"),
    "a missing value": (changed("check_days = 5", ""), "D7.check_days: Missing data for required field."),
    "an unknown key in a known rule": (
        changed("check_days = 5", "check_days = 5\ncheck_hours = 3"),
        "D7.check_hours: Unknown field.",
    ),
    "an unknown time zone": (
        changed('timezone = "Asia/Almaty"', 'timezone = "Asia/Atlantis"'),
        "T1.timezone: unknown time zone",
    ),
    "a minimum wage table out of order": (
        changed("{ from = 2023-01-01, amount = 70000", "{ from = 2021-06-01, amount = 70000"),
        "D5.minimum_wage: entries must be in increasing order of `from`, one per date",
    ),
    "a minimum wage entry that is not positive": (
        changed("amount = 70000", "amount = 0"),
        "D5.minimum_wage.2.amount: Must be greater than or equal to 1.",
    ),
    "two minimum wages from one date": (
        changed("{ from = 2023-01-01, amount = 70000", "{ from = 2022-01-01, amount = 70000"),
        "D5.minimum_wage: entries must be in increasing order of `from`, one per date",
    ),
    "a region listed twice": (changed('{ code = "ULY"', '{ code = "ABA"'), "D4.versions[1].regions: region codes repeat: ABA"),
    "a settable milestone that is not one": (
        changed(
            '"nomination_opens", "nomination_closes", "registration_opens"',
            '"nomination_opens", "nomination_ends", "registration_opens"',
        ),
        "V1.settable_milestones.1: Must be one of: nomination_opens,",
    ),
    "no kind": (changed('kind = "presidential"\n', ""), "kind: required, a non-empty string"),
    "an unknown header key": (changed('kind = "presidential"\n', 'kind = "presidential"\nyear = 2029\n'), "year: unknown key"),
    "a rule that is not a table": (changed("[E2]\n", "[[E2]]\n"), "E2: must be a table"),
    "a status that is neither": (
        changed('status = "unconfirmed"  # the rule is confirmed', 'status = "probably"  # the rule is confirmed'),
        "E2.status: Must be one of: confirmed, unconfirmed.",
    ),
    "a clock that is not a time of day": (
        changed('closes_at = "18:00"\n\n[N3]', 'closes_at = "25:00"\n\n[N3]'),
        "N2.closes_at: must be a time of day HH:MM (00:00-24:00)",
    ),
    "a reference day the code does not know": (
        changed('age_measured_on = "election_day"', 'age_measured_on = "nomination_day"'),
        "E2.age_measured_on: Must be one of",
    ),
    "an empty source": (
        changed(
            'source = "Election Law Art. 59: the CEC checks compliance within five days of the complete documents"',
            'source = ""',
        ),
        "D7.source: Shorter than minimum length 1.",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_a_broken_rules_file_is_refused_naming_the_key_and_the_reason(tmp_path: Path, case: str) -> None:
    text, reason = BROKEN[case]
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert reason in message


def test_every_error_of_a_file_is_named_not_only_the_first(tmp_path: Path) -> None:
    text = changed("min_age_years = 40", 'min_age_years = "forty"', without_table("V2"))
    text = changed('timezone = "Asia/Almaty"', 'timezone = "Mars/Olympus"', text)
    with pytest.raises(RulesError) as caught:
        load(write(tmp_path, text))
    message = str(caught.value)
    for reason in ("E2.min_age_years: Not a valid integer.", "T1.timezone: unknown time zone",
                   "V2: required by the calendar and missing"):  # fmt: skip
        assert reason in message


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, changed("min_age_years = 40", "min_age_years = "))
    with pytest.raises(RulesError, match=r"not valid TOML: .*line 33"):
        load(path)


def test_a_missing_rules_file_is_refused(tmp_path: Path) -> None:
    # A file that should be there and is not is the installation's fault (RulesError, exit 1);
    # a kind nobody wrote rules for, or a name that is no kind, is the asker's (UnknownKind, exit 2).
    with pytest.raises(RulesError, match="no such rules file"):
        for_kind("senate", directory=tmp_path)
    with pytest.raises(UnknownKind, match="not an election kind name"):
        for_kind("../presidential", directory=tmp_path)
    with pytest.raises(UnknownKind, match=r"'senate': no rules for this election kind \(known: presidential\)"):
        for_kind("senate")
    assert not issubclass(UnknownKind, RulesError)


def test_v1_the_calendar_needs_the_settable_milestones(tmp_path: Path) -> None:
    # compute() reads V1.settable_milestones for every calendar: a file without V1 must be
    # refused on load, not crash later with an AttributeError.
    with pytest.raises(RulesError, match=r"V1: required by the calendar and missing"):
        load(write(tmp_path, without_table("V1")))


def test_the_file_name_and_the_kind_must_agree(tmp_path: Path) -> None:
    write(tmp_path, TEXT, "senate.toml")
    with pytest.raises(RulesError, match=r"kind: says 'presidential', the file name says 'senate'"):
        for_kind("senate", directory=tmp_path)


# --- another election kind: a file, no code -----------------------------------------------------

SENATE = """
kind = "senate"
title = "Election of a deputy of the Senate (test)"

[T1]
source = "test"
status = "confirmed"
timezone = "Asia/Almaty"

[T2]
source = "test"
status = "confirmed"
period_ends_at = "24:00"

[E1]
source = "test"
status = "confirmed"
citizen_by_birth = false

[E2]
source = "test: thirty years"
status = "confirmed"
min_age_years = 30
age_measured_on = "announcement_day"

[E4]
source = "test: ten years of residence"
status = "confirmed"
residence_years = 10

[E5]
source = "test"
status = "confirmed"
education_levels = ["higher", "postgraduate"]

[N2]
source = "test"
status = "confirmed"
opens_days_after_announcement = 2
closes_months_before_election = 1
closes_at = "17:00"

[G1]
source = "test"
status = "confirmed"
opens_months_before_election = 1
closes_days_before_election = 20
closes_at = "18:00"

[D1]
source = "test"
status = "confirmed"
filers = ["candidate"]
valued_as_of = "first_day_of_nomination_month"

[D5]
source = "test: twenty minimum wages"
status = "unconfirmed"
multiplier = 20
refund_vote_share_percent = "5"
refund_on = ["elected"]
minimum_wage = [{ from = 2029-01-01, amount = 100000, source = "test" }]

[S1]
source = "a rule the code does not apply yet: kept as written"
status = "unconfirmed"
electors = "maslikhat deputies"

[V1]
source = "test"
status = "confirmed"
settable_milestones = ["nomination_closes", "registration_closes"]

[V2]
source = "test"
status = "confirmed"
opens_at = "10:00"
closes_at = "18:00"
"""


@dataclass(frozen=True)
class Facts:
    full_name: str = "Test Person"
    birth_date: dt.date = dt.date(1994, 1, 15)  # 35 on the 2029 dates below
    citizen_by_birth: bool = False
    resident_since: dt.date | None = dt.date(2016, 1, 1)  # 13 years
    education_level: str = "higher"
    public_service_months: int = 0
    legally_incompetent: bool = False
    detained_by_court_order: bool = False
    unexpunged_criminal_record: bool = True
    presidential_terms_served: int = 1


ANNOUNCED = dt.date(2029, 9, 20)
ELECTION_DAY = dt.date(2029, 11, 25)


def test_another_kind_loads_from_its_own_file_with_no_code_change(tmp_path: Path) -> None:
    write(tmp_path, SENATE, "senate.toml")
    rules = for_kind("senate", directory=tmp_path)
    assert rules.kind == "senate"
    assert rules.path == tmp_path / "senate.toml"
    assert "E9" not in rules and "E2" in rules
    assert rules.E2.min_age_years == 30
    assert rules.by_id["S1"].values == {"electors": "maslikhat deputies"}
    assert rules.by_id["S1"].status == "unconfirmed"
    assert rules.contribution_due_on(dt.date(2029, 10, 1)) == 20 * 100_000
    # The presidential rules are untouched by it.
    assert for_kind("presidential").E2.min_age_years == 40


def test_another_kinds_numbers_drive_the_calendar(tmp_path: Path) -> None:
    write(tmp_path, SENATE, "senate.toml")
    senate = for_kind("senate", directory=tmp_path)
    got = election_calendar.compute(ANNOUNCED, ELECTION_DAY, senate).to_json()
    assert got == {
        "nomination_opens": "2029-09-22T00:00:00+05:00",  # N2: 2 days after
        "nomination_closes": "2029-10-25T17:00:00+05:00",  # N2: 1 month before, 17:00
        "registration_opens": "2029-10-25T00:00:00+05:00",  # G1: 1 month before
        "registration_closes": "2029-11-05T18:00:00+05:00",  # G1: 20 days before
        "declarations_as_of": "2029-09-01",
        "voting_opens": "2029-11-25T10:00:00+05:00",  # V2
        "voting_closes": "2029-11-25T18:00:00+05:00",
    }
    presidential = election_calendar.compute(ANNOUNCED, ELECTION_DAY, for_kind("presidential")).to_json()
    assert presidential["registration_closes"] == "2029-10-16T18:00:00+05:00"
    # V1 of the senate file: only two milestones may be set by resolution.
    resolution = election_calendar.Resolution("voting_opens", dt.datetime(2029, 11, 25, 8, tzinfo=senate.zone), "R-1", ANNOUNCED)
    with pytest.raises(election_calendar.CalendarError, match=r"V1: a CEC resolution cannot set voting_opens"):
        election_calendar.compute(ANNOUNCED, ELECTION_DAY, senate, [resolution])


def test_another_kinds_numbers_drive_eligibility(tmp_path: Path) -> None:
    write(tmp_path, SENATE, "senate.toml")
    senate = for_kind("senate", directory=tmp_path)
    presidential = for_kind("presidential")
    person = Facts()
    senate_calendar = election_calendar.compute(ANNOUNCED, ELECTION_DAY, senate)
    # Senate: 35 >= 30 (E2), 13 >= 10 years resident (E4), E1 off, no E3/E6/E7/E8/E9 in the file.
    assert unmet_requirements(person, senate_calendar, senate, None) == []
    # The same person against the presidential rules fails E1, E2, E3, E4, E6, E8 and E9.
    president_calendar = election_calendar.compute(ANNOUNCED, ELECTION_DAY, presidential)
    failed = [u.rule for u in unmet_requirements(person, president_calendar, presidential, None)]
    assert failed == ["E1", "E2", "E3", "E4", "E6", "E8", "E9"]
    # E2 of the senate file is measured on the announcement day: 29 then, 30 by election day.
    turning_30 = Facts(birth_date=dt.date(1999, 10, 1))
    assert [u.rule for u in unmet_requirements(turning_30, senate_calendar, senate, None)] == ["E2"]
    young = [u for u in unmet_requirements(turning_30, senate_calendar, senate, None)]
    assert young[0].reason == "younger than 30 on 2029-09-20 (29 years)"
