"""The law as it stood on the day (issue 14, part 1): a rule's values by period, the election
judged under the version in force on its announcement, and periods that overlap or leave a gap
refused with the rule and the dates."""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
from pathlib import PurePosixPath
from typing import Any

import pytest
from sqlalchemy import update

from registrar import rules_in_force
from registrar.db import Database
from registrar.errors import InvalidPayload
from registrar.models import Election
from registrar.resources import packaged
from registrar.rules import Rules, RulesError, parse

from .conftest import ELECTION_ID

WHERE = PurePosixPath("presidential.toml")


def document() -> dict[str, Any]:
    return tomllib.loads(packaged("rules/presidential.toml").read_text(encoding="utf-8"))


def with_versions(rule: str, *versions: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document())
    changed[rule]["versions"] = list(versions)
    return changed


@pytest.mark.parametrize("announced, on_ballot, terms", [
    (dt.date(2019, 4, 9), False, 2),    # the snap election of 9 June 2019
    (dt.date(2021, 5, 24), False, 2),   # the day before the amendments of 25 May 2021
    (dt.date(2021, 5, 25), True, 2),
    (dt.date(2022, 9, 21), True, 1),    # the snap election of 20 November 2022
    (dt.date(2029, 8, 24), True, 1),
])  # fmt: skip
def test_v4_e9_an_election_is_judged_under_the_versions_in_force_when_announced(
    announced: dt.date, on_ballot: bool, terms: int
) -> None:
    rules = rules_in_force.in_force("presidential", on=announced).rules
    assert rules.V4.against_all_on_ballot is on_ballot
    assert rules.E9.max_terms == terms
    assert {r.id for r in rules.versioned()} == {"D4", "E9", "V4"}
    assert len(rules.D4.regions) == (17 if announced < dt.date(2022, 6, 8) else 20)  # Abai, Jetisu, Ulytau


def test_without_a_day_each_rule_is_its_newest_version() -> None:
    rules = parse(document(), WHERE)
    assert rules.V4.against_all_on_ballot is True and rules.V4.since == dt.date(2021, 5, 25) and rules.V4.until is None
    assert rules.V4.results_days == 7, "a version keeps the rule's own values it does not change"
    assert rules.V4.source.startswith("Constitutional Law of 25 May 2021")


@pytest.mark.parametrize("versions, message", [
    ([{"until": dt.date(2021, 5, 24), "against_all_on_ballot": False},
      {"since": dt.date(2021, 5, 20), "against_all_on_ballot": True}],
     "V4.versions: periods overlap (2021-05-20..2021-05-24)"),
    ([{"until": dt.date(2021, 5, 24), "against_all_on_ballot": False},
      {"since": dt.date(2021, 6, 1), "against_all_on_ballot": True}],
     "V4.versions: a gap from 2021-05-25 to 2021-05-31: no version is in force then"),
    ([{"against_all_on_ballot": False}, {"since": dt.date(2021, 5, 25), "against_all_on_ballot": True}],
     "V4.versions: periods overlap"),
    ([{"since": dt.date(2021, 5, 25), "until": dt.date(2021, 5, 1), "against_all_on_ballot": True}],
     "V4.versions[0]: until 2021-05-01 is before since 2021-05-25"),
    ([{"since": "2021-05-25", "against_all_on_ballot": True}], "V4.versions[0].since: must be a date"),
    ([{"since": dt.date(2021, 5, 25), "against_all_on_ballot": "maybe"}],
     "V4.versions[0].against_all_on_ballot: Not a valid boolean"),
    ([], "V4.versions: a list of tables"),
])  # fmt: skip
def test_the_loader_refuses_periods_that_overlap_or_leave_a_gap_naming_the_rule_and_the_dates(
    versions: list[dict[str, Any]], message: str
) -> None:
    changed = with_versions("V4", *versions)
    changed["V4"].pop("against_all_on_ballot", None)
    with pytest.raises(RulesError, match=re.escape(message)):
        parse(changed, WHERE)


def test_a_day_before_every_version_is_refused_naming_when_they_begin() -> None:
    changed = with_versions("V4", {"since": dt.date(2021, 5, 25), "against_all_on_ballot": True})
    expected = "V4.versions: no version is in force on 2019-04-09 (they run from 2021-05-25)"
    with pytest.raises(RulesError, match=re.escape(expected)):
        parse(changed, WHERE, on=dt.date(2019, 4, 9))


def test_v4_a_protocol_of_an_election_announced_before_against_all_came_back_has_no_such_line(db: Database, rules: Rules) -> None:
    from .test_results import count_ahead, protocol

    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    with db.transaction() as session:  # the same election, as if it had been called on 9 April 2019
        session.execute(update(Election).where(Election.id == ELECTION_ID).values(announced_on=dt.date(2019, 4, 9)))
    without = protocol("AKM", {a: 600, b: 400})
    del without["against_all"]
    stored = vote.submit([without])[0]
    assert stored["against_all"] is None
    with_line = protocol("AST", {a: 600, b: 400}, against=5)
    with pytest.raises(InvalidPayload) as refused:
        vote.submit([with_line])
    assert "against_all" in refused.value.errors
