"""Issue 14, part 2: the country as it was on the day. Abai, Jetisu and Ulytau were formed on
8 June 2022 (the 2019 election had 17 territorial units, the 2022 one 20); the capital was
Nur-Sultan from 23 March 2019 to 16 September 2022. An election is held over the units in force
when it is announced (D4's regions, V3's protocols), named as they were then; the loader refuses
a file whose units and D4's regions disagree on any day, naming the day.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from registrar import results, territory
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload
from registrar.models import Election
from registrar.rules import Rules
from registrar.territory import TERRITORY_FILE, TerritoryError, load_country
from tests.registrar.test_results import ELECTION_ID, count_ahead, protocol

FORMED_2022 = ("ABA", "ZHE", "ULY")


@pytest.mark.parametrize("announced, units, capital", [
    (dt.date(2019, 4, 9), 17, ("Нұр-Сұлтан қаласы", "город Нур-Султан", "Nur-Sultan city")),   # 9 June 2019
    (dt.date(2022, 6, 7), 17, ("Нұр-Сұлтан қаласы", "город Нур-Султан", "Nur-Sultan city")),
    (dt.date(2022, 6, 8), 20, ("Нұр-Сұлтан қаласы", "город Нур-Султан", "Nur-Sultan city")),
    (dt.date(2022, 9, 21), 20, ("Астана қаласы", "город Астана", "Astana city")),               # 20 November 2022
    (dt.date(2019, 3, 22), 17, ("Астана қаласы", "город Астана", "Astana city")),
])  # fmt: skip
def test_d4_the_units_and_their_names_are_those_of_the_day(announced: dt.date, units: int, capital: tuple[str, ...]) -> None:
    on_the_day = territory.on(announced)
    assert len(on_the_day.units) == units
    assert all((code in on_the_day.codes) == (units == 20) for code in FORMED_2022)
    assert tuple(on_the_day.unit("AST").name_in(language) for language in territory.LANGUAGES) == capital
    assert on_the_day.unit("AST").commission_in("ru").split()[0] in ("Нур-Султанская", "Астанинская")
    # the regions the rules of that day list are the units, in the same order
    from registrar.rules_in_force import in_force

    assert tuple(r["code"] for r in in_force("presidential", on=announced).rules.D4.regions) == on_the_day.codes


def test_the_newest_units_are_todays() -> None:
    assert territory.current() == territory.on(None) == territory.on(dt.date(2026, 12, 2))
    assert len(territory.current().units) == 20


def _document() -> dict[str, Any]:
    with TERRITORY_FILE.open("rb") as handle:
        return tomllib.load(handle)


def _refused(tmp_path: Path, document: dict[str, Any]) -> str:
    from tests.registrar.test_territory import write

    path = write(tmp_path, document)
    with pytest.raises(TerritoryError) as caught:
        load_country(path)
    return str(caught.value).removeprefix(f"{path}: ")


def _unit(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(unit for unit in document["units"] if unit["code"] == code)


def test_a_unit_in_force_before_its_region_is_refused_naming_the_day(tmp_path: Path) -> None:
    document = _document()
    for key in ("since", "source"):
        del _unit(document, "ABA")[key]
    assert _refused(tmp_path, document) == "units until 2022-06-07: codes not among the D4 regions: ABA"


def test_a_region_without_its_unit_on_a_day_is_refused_naming_the_day(tmp_path: Path) -> None:
    document = _document()
    _unit(document, "ULY")["since"] = dt.date(2022, 7, 1)
    assert _refused(tmp_path, document) == "units from 2022-06-08 until 2022-06-30: D4 regions without a unit: ULY"


@pytest.mark.parametrize("change, message", [
    ({"until": dt.date(2022, 1, 1)}, "units.0 (ABA): until: until 2022-01-01 is before since 2022-06-08"),
    ({"source": ""}, "units.0 (ABA): source: Shorter than minimum length 1."),
    ({"since": "soon"}, "units.0 (ABA): since: Not a valid date."),
])  # fmt: skip
def test_a_units_period_must_make_sense(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    document = _document()
    _unit(document, "ABA").update(change)
    assert message in _refused(tmp_path, document)


def test_a_unit_dated_without_its_act_is_refused(tmp_path: Path) -> None:
    document = _document()
    del _unit(document, "ABA")["source"]
    assert "units.0 (ABA): source: required with since or until" in _refused(tmp_path, document)


def test_former_names_must_follow_one_another(tmp_path: Path) -> None:
    document = _document()
    astana = _unit(document, "AST")
    astana["former_names"][1]["since"] = dt.date(2019, 4, 1)  # a gap after the first name
    assert "units (AST): former_names: Nur-Sultan city begins 2019-04-01, the name before it ends 2019-03-22" in (
        _refused(tmp_path, document)
    )


def test_v3_an_election_announced_in_2019_counts_17_protocols(db: Database, rules: Rules) -> None:
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids
    with db.transaction() as session:  # the same election, as if it had been called on 9 April 2019
        session.execute(update(Election).where(Election.id == ELECTION_ID).values(announced_on=dt.date(2019, 4, 9)))
    with db.reading() as session:
        missing = results.missing_units(session, ELECTION_ID, 1)
    assert len(missing) == 17 and not set(FORMED_2022) & set(missing)

    def of_2019(code: str) -> dict[str, Any]:
        counted = protocol(code, {a: 600, b: 400})
        del counted["against_all"]  # no such line on the ballot before 25 May 2021 (V4)
        return counted

    with pytest.raises(InvalidPayload) as refused:
        vote.submit([of_2019("ABA")])  # formed in 2022: no unit of this election
    assert list(refused.value.errors) == ["unit"]
    with pytest.raises(GuardFailed) as early:
        vote.establish()
    assert early.value.unmet[0].rule == "V3"
    vote.submit([of_2019(code) for code in territory.on(dt.date(2019, 4, 9)).codes])
    with db.reading() as session:
        assert results.missing_units(session, ELECTION_ID, 1) == []
    assert (vote.establish().phase, "no three empty protocols invented") == ("elected", "no three empty protocols invented")


@pytest.mark.parametrize("announced, regions, needed", [
    (dt.date(2019, 4, 9), 17, 12),    # two thirds of 17 is 11.33: at least 12
    (dt.date(2022, 9, 21), 20, 14),   # two thirds of 20 is 13.33: at least 14
])  # fmt: skip
def test_d4_each_election_counts_two_thirds_of_its_own_regions(announced: dt.date, regions: int, needed: int) -> None:
    from registrar.conditions import signatures_required
    from registrar.rules_in_force import in_force

    rules = in_force("presidential", on=announced).rules
    assert len(rules.D4.regions) == len(territory.on(announced).units) == regions
    assert signatures_required(rules, 11_953_465)[1] == needed


def test_d4_an_election_keeps_the_territory_it_was_announced_with(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registrar import actions, demo
    from registrar.records import election_row

    def announce(election_id: str) -> Any:
        actions.announce_election(db, {"id": election_id, "title": "T", "kind": "presidential", "announced_on": "2029-08-24",
                                       "election_day": "2029-11-25", "registered_voters": demo.VOTERS,
                                       "voters_counted_on": "2029-08-01"}, actor="test")  # fmt: skip
        with db.reading() as session:
            return election_row(session, election_id)

    before = announce("kz-before")
    edited = TERRITORY_FILE.read_text(encoding="utf-8").replace("members = 7", "members = 9")
    (tmp_path / "territory.toml").write_text(edited, encoding="utf-8")
    monkeypatch.setenv(territory.ENVIRONMENT_VARIABLE, str(tmp_path / "territory.toml"))
    territory.cache_clear()
    try:
        after = announce("kz-after")
        assert {u.members for u in territory.of_election(before).units} == {7}, "an edit after the announcement changes nothing"
        assert {u.members for u in territory.of_election(after).units} == {9}
        with db.transaction() as session:
            session.execute(update(Election).where(Election.id == "kz-before").values(
                territory_text=before.territory_text.replace("members = 7", "members = 5", 1)))  # fmt: skip
        with db.reading() as session:
            tampered = election_row(session, "kz-before")
        territory._STORED.pop((tampered.territory_sha256, tampered.announced_on), None)  # as in a fresh process
        with pytest.raises(TerritoryError, match="does not match its SHA-256"):
            territory.of_election(tampered)
    finally:
        monkeypatch.delenv(territory.ENVIRONMENT_VARIABLE)
        territory.cache_clear()
