"""The territorial units (config/territory.toml, registrar/territory.py): one per D4 region,
with its territorial commission (V3) and its voters on the reference date (D4's 1% is taken
of their sum), each named in Kazakh, Russian and English. A broken file is refused naming the
file, the key (and the unit's code) and the reason.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registrar import territory
from registrar.notifications.messages import LANGUAGES
from registrar.resources import packaged
from registrar.rules import for_kind, parse
from registrar.rules import load as load_rules
from registrar.territory import TERRITORY_FILE, Territory, TerritoryError, Unit, current, load
from tests.kinds import DATA, SECOND_KIND

D4 = for_kind("presidential").D4
D4_CODES = tuple(region["code"] for region in D4.regions)


def default_document() -> dict[str, Any]:
    with TERRITORY_FILE.open("rb") as handle:
        return tomllib.load(handle)


def toml(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    raise TypeError(value)


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    """A territory file from a document of scalars and a list of unit tables."""
    lines = [f"{key} = {toml(value)}" for key, value in document.items() if key != "units"]
    for unit in document.get("units", []):
        lines += ["", "[[units]]"] + [f"{key} = {toml(value)}" for key, value in unit.items()]
    path = tmp_path / "territory.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def refused(tmp_path: Path, document: dict[str, Any]) -> str:
    with pytest.raises(TerritoryError) as caught:
        load(write(tmp_path, document))
    return str(caught.value)


@pytest.fixture
def fresh_current() -> Iterator[None]:
    territory.cache_clear()
    yield
    territory.cache_clear()


# --- the default file ------------------------------------------------------------------------


def test_d4_the_default_file_has_one_unit_per_d4_region_in_their_order() -> None:
    loaded = load()
    assert len(loaded.units) == 20
    assert loaded.codes == D4_CODES
    assert loaded.reference_date == dt.date(2022, 10, 21)
    assert all(unit.members == 7 for unit in loaded.units)
    assert all(unit.commission.endswith("territorial election commission") for unit in loaded.units)


def test_each_unit_and_its_commission_are_named_in_kazakh_russian_and_english() -> None:
    assert territory.LANGUAGES == LANGUAGES, "the languages of the pages and the notices"
    units = load().units
    for unit in units:
        names = [unit.name_in(language) for language in LANGUAGES]
        commissions = [unit.commission_in(language) for language in LANGUAGES]
        assert all(names) and all(commissions) and len(set(names[:2])) == 2, unit.code
        # Kazakh as the CEC writes it: a region is an облыс, a city of republican significance a қала.
        assert names[0].endswith(("облысы", "қаласы")), names[0]
        assert commissions[0].endswith(("облыстық аумақтық сайлау комиссиясы", "қалалық аумақтық сайлау комиссиясы"))
        assert "территориальная избирательная комиссия" in commissions[1].lower(), commissions[1]
        assert (unit.name, unit.commission) == (names[2], commissions[2]), "the English attributes stay"
    # the 17 regions (Abai, Jetisu and Ulytau formed in 2022) and the three cities
    assert sum(unit.name_in("kk").endswith("облысы") for unit in units) == 17
    assert [unit.name_in("ru") for unit in units if unit.name_in("kk").endswith("қаласы")] == [
        "город Астана", "город Алматы", "город Шымкент",
    ]  # fmt: skip
    formed_in_2022 = [load().unit(code).name_in("kk") for code in ("ABA", "ZHE", "ULY")]
    assert formed_in_2022 == ["Абай облысы", "Жетісу облысы", "Ұлытау облысы"]


def test_the_official_names_of_almaty_region_and_astana() -> None:
    almaty, astana = load().unit("ALM"), load().unit("AST")
    assert [almaty.name_in(language) for language in LANGUAGES] == ["Алматы облысы", "Алматинская область", "Almaty Region"]
    assert [almaty.commission_in(language) for language in LANGUAGES[:2]] == [
        "Алматы облыстық аумақтық сайлау комиссиясы", "Алматинская областная территориальная избирательная комиссия",
    ]  # fmt: skip
    assert (astana.name_in("kk"), astana.name_in("ru")) == ("Астана қаласы", "город Астана")
    with pytest.raises(KeyError, match="no names in the language 'de' \\(known: kk, ru, en\\)"):
        astana.name_in("de")


def test_d4_the_voters_add_up_to_about_twelve_million() -> None:
    loaded = load()
    assert loaded.voters == sum(unit["voters"] for unit in default_document()["units"])
    assert loaded.voters == sum(unit.voters for unit in loaded.units)
    # the CEC's figure for 2022 was about 11.95 million
    assert 11_500_000 <= loaded.voters <= 12_500_000


def test_d4_the_territory_file_gives_each_unit_its_names_commission_and_counts() -> None:
    required, dated = {"code", "name", "commission", "members", "voters"}, {"since", "until", "source", "former_names"}
    assert all(required <= set(unit) <= required | dated for unit in default_document()["units"])


def test_d4_a_unit_by_its_code() -> None:
    astana = load().unit("AST")
    assert astana == Unit(
        code="AST",
        names=("Астана қаласы", "город Астана", "Astana city"),
        commissions=(
            "Астана қалалық аумақтық сайлау комиссиясы",
            "Астанинская городская территориальная избирательная комиссия",
            "Astana city territorial election commission",
        ),
        members=7,
        voters=astana.voters,
    )
    with pytest.raises(KeyError, match="no territorial unit with the code 'XXX'"):
        load().unit("XXX")


def test_d4_current_is_the_default_file_or_the_one_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_current: None
) -> None:
    monkeypatch.delenv(territory.ENVIRONMENT_VARIABLE, raising=False)
    assert current() == load()
    assert current() is current()  # cached

    document = default_document()
    document["reference_date"] = dt.date(2029, 10, 1)
    document["units"][0]["voters"] = 1
    monkeypatch.setenv("REGISTRAR_TERRITORY", str(write(tmp_path, document)))
    territory.cache_clear()
    assert current().reference_date == dt.date(2029, 10, 1)
    assert current().unit("ABA").voters == 1


def test_d4_units_follow_the_d4_order_whatever_the_file_order(tmp_path: Path) -> None:
    document = default_document()
    document["units"].reverse()
    assert load(write(tmp_path, document)).codes == D4_CODES


def test_d4_the_units_must_match_the_rules_given(tmp_path: Path) -> None:
    presidential = packaged("rules/presidential.toml")
    with presidential.open("rb") as handle:
        rules_document = tomllib.load(handle)
    rules_document["D4"]["regions"] = rules_document["D4"].pop("versions")[-1]["regions"][1:3]
    two_regions = parse(rules_document, presidential)
    document = default_document()
    document["units"] = document["units"][1:3]
    loaded = load(write(tmp_path, document), rules=two_regions)
    assert isinstance(loaded, Territory)
    assert loaded.codes == ("AKM", "AKT")
    with pytest.raises(TerritoryError, match="units: codes not among the D4 regions: ABA, ALM, "):
        load(TERRITORY_FILE, rules=two_regions)


def test_d4_a_kind_without_regions_takes_the_units_as_the_file_gives_them(tmp_path: Path) -> None:
    """A kind whose rules list no regions (no D4: tests/data/rules/senate_test.toml) checks no code
    against them: the units keep the file's order, with the names the file gives them."""
    without_regions = load_rules(DATA / "rules" / f"{SECOND_KIND}.toml")
    assert not without_regions.has("D4")
    document = default_document()
    abai = document["units"][0]
    document["units"] = [*reversed(document["units"][:3]), abai | {"code": "NEW"}]
    loaded = load(write(tmp_path, document), rules=without_regions)
    assert loaded.codes == ("AKT", "AKM", "ABA", "NEW")
    assert loaded.unit("NEW") == Unit("NEW", load().unit("ABA").names, load().unit("ABA").commissions, abai["members"],
                                      abai["voters"])  # fmt: skip


# --- a broken file is refused, naming the file, the key and the reason --------------------------


def test_d4_a_count_below_one_is_refused(tmp_path: Path) -> None:
    document = default_document()
    document["units"][3]["voters"] = 0
    message = refused(tmp_path, document)
    assert message == f"{tmp_path / 'territory.toml'}: units.3 (ALM): voters: Must be greater than or equal to 1."


@pytest.mark.parametrize("value", ["7", True])
def test_d4_a_count_must_be_an_integer(tmp_path: Path, value: Any) -> None:
    document = default_document()
    document["units"][0]["members"] = value
    assert "territory.toml: units.0 (ABA): members: Not a valid integer." in refused(tmp_path, document)


def test_d4_a_repeated_code_is_refused(tmp_path: Path) -> None:
    document = default_document()
    document["units"][1]["code"] = "ABA"
    assert refused(tmp_path, document).endswith("territory.toml: units: codes repeat: ABA")


def test_d4_a_code_unknown_to_d4_is_refused(tmp_path: Path) -> None:
    document = default_document()
    document["units"][0]["code"] = "XXX"
    assert refused(tmp_path, document).endswith(
        "territory.toml: units: codes not among the D4 regions: XXX; D4 regions without a unit: ABA"
    )


def test_d4_a_region_without_a_unit_is_refused(tmp_path: Path) -> None:
    document = default_document()
    document["units"] = [unit for unit in document["units"] if unit["code"] != "SHY"]
    assert refused(tmp_path, document).endswith("territory.toml: units: D4 regions without a unit: SHY")


def test_d4_unknown_and_missing_keys_are_refused(tmp_path: Path) -> None:
    document = default_document()
    document["units"][2]["mayor"] = "someone"
    del document["units"][4]["commission"]
    document["population"] = 20_000_000
    message = refused(tmp_path, document)
    assert "units.2 (AKT): mayor: Unknown field." in message
    assert "units.4 (ATY): commission: Missing data for required field." in message
    assert "population: Unknown field." in message


def test_a_unit_without_a_name_in_one_language_is_refused_naming_the_unit(tmp_path: Path) -> None:
    document = default_document()
    del document["units"][4]["name"]["ru"]
    document["units"][7]["commission"]["kk"] = ""
    document["units"][9]["name"]["de"] = "Karaganda"
    message = refused(tmp_path, document)
    assert "units.4 (ATY): name.ru: Missing data for required field." in message
    assert "units.7 (ZHE): commission.kk: Shorter than minimum length 1." in message
    assert "units.9 (KAR): name.de: Unknown field." in message


def test_a_unit_named_in_one_language_only_is_refused(tmp_path: Path) -> None:
    """The file's earlier form (a commission in English only) does not load as if named everywhere."""
    document = default_document()
    document["units"][0]["commission"] = "Abai Region territorial election commission"
    del document["units"][1]["name"]
    message = refused(tmp_path, document)
    assert "units.0 (ABA): commission._schema: Invalid input type." in message
    assert "units.1 (AKM): name: Missing data for required field." in message


def test_a_broken_unit_without_a_code_is_named_by_its_place(tmp_path: Path) -> None:
    document = default_document()
    del document["units"][2]["code"], document["units"][2]["name"]["kk"]
    message = refused(tmp_path, document)
    assert "units.2.code: Missing data for required field." in message
    assert "units.2.name.kk: Missing data for required field." in message


def test_d4_a_file_without_a_reference_date_or_units_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, {})
    assert "reference_date: Missing data for required field." in message
    assert "units: Missing data for required field." in message


def test_d4_a_missing_or_malformed_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TerritoryError, match="no such territory file"):
        load(tmp_path / "nowhere.toml")
    broken = tmp_path / "territory.toml"
    broken.write_text("[[units]\ncode = ", encoding="utf-8")
    with pytest.raises(TerritoryError, match=r"territory\.toml: not valid TOML"):
        load(broken)
