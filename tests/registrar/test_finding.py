"""Finding candidacies (registrar.finding): by name in any case and script, by association, by state
(withdrawn, revoked, deceased too), sorted and paged, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest

from registrar import alphabets, finding
from registrar.db import Database
from registrar.errors import NotFound
from registrar.rules import Rules
from tests.demo_copies import copied

from .conftest import ELECTION_ID, World, build_world, rules_key

# (name, state): Cyrillic, Kazakh letters, a Latin transliteration, and the states no queue shows.
PEOPLE = [
    ("Гүлнар Абенова", "registered"),
    ("Әлия Серікбаева", "withdrawn"),
    ("Қайрат Жүнісов", "deceased"),
    ("Жанна Искакова", "revoked"),
    ("Gulnara Abenova", "nominated"),
    ("Болат 100% Жақсылықов", "nominated"),
]


def _build(db: Database, rules: Rules) -> tuple[World, dict[str, int]]:
    world, found = build_world(db, rules), {}
    for index, (name, state) in enumerate(PEOPLE):
        at = world.nomination_time + dt.timedelta(hours=index)
        candidacy = world.nominate(world.associations[index], at=at, full_name=name)
        world.walk(candidacy, state)
        found[name] = candidacy
    return world, found


@pytest.fixture
def built(db: Database, rules: Rules) -> tuple[World, dict[str, int]]:
    """The election with :data:`PEOPLE`, built once per worker and backend, then copied (tests/demo_copies.py)."""
    return copied(db, ("finding", rules_key(rules)), lambda empty: _build(empty, rules),
                  lambda kept, database: (kept[0].rebound(database, rules), dict(kept[1])))  # fmt: skip


@pytest.fixture
def world(built: tuple[World, dict[str, int]]) -> World:
    return built[0]


@pytest.fixture
def people(built: tuple[World, dict[str, int]]) -> dict[str, int]:
    return built[1]


def names(page: finding.Page) -> list[str]:
    return [item.full_name for item in page.items]


def find(world: World, **raw: str) -> finding.Page:
    chosen, problems = finding.criteria(raw)
    assert problems == {}
    return finding.candidacies(world.db, ELECTION_ID, chosen)


@pytest.mark.parametrize("q", ["Абенова", "абенова", "АБЕНОВА", "  абенова  ", "гүлнар АБЕН"])
def test_a_cyrillic_name_in_any_case(world: World, people: dict[str, int], q: str) -> None:
    assert names(find(world, q=q)) == ["Гүлнар Абенова"]


def test_kazakh_letters_fold_too_and_latin_finds_the_transliteration(world: World, people: dict[str, int]) -> None:
    assert names(find(world, q="ӘЛИЯ")) == names(find(world, q="әлия")) == ["Әлия Серікбаева"]
    assert names(find(world, q="қайрат жүніс")) == ["Қайрат Жүнісов"]
    assert names(find(world, q="ABENOVA")) == ["Gulnara Abenova"]


def test_wildcards_are_letters_not_patterns(world: World, people: dict[str, int]) -> None:
    assert names(find(world, q="100%")) == ["Болат 100% Жақсылықов"]
    assert names(find(world, q="_")) == []


def test_by_the_associations_name_or_its_filter(world: World, people: dict[str, int]) -> None:
    assert names(find(world, q="national association 3")) == ["Қайрат Жүнісов"]
    third = people["Қайрат Жүнісов"]
    page = find(world, association=str(world.associations[2]))
    assert [i.id for i in page.items] == [third] and page.items[0].association == "National Association 3"


@pytest.mark.parametrize(("state", "name"), [("withdrawn", "Әлия Серікбаева"), ("deceased", "Қайрат Жүнісов"),
                                             ("revoked", "Жанна Искакова"), ("registered", "Гүлнар Абенова")])  # fmt: skip
def test_every_state_is_there_to_find(world: World, people: dict[str, int], state: str, name: str) -> None:
    page = find(world, state=state)
    assert names(page) == [name] and page.items[0].state == state


def test_every_state_by_default_sorted_by_name_or_by_nomination(world: World, people: dict[str, int]) -> None:
    every = find(world)
    assert every.total == len(PEOPLE) and set(names(every)) == {n for n, _ in PEOPLE}
    assert names(every) == [
        "Әлия Серікбаева",
        "Болат 100% Жақсылықов",
        "Гүлнар Абенова",
        "Жанна Искакова",
        "Қайрат Жүнісов",
        "Gulnara Abenova",
    ], "the Kazakh alphabet's order (Ә after А), Latin after it"
    assert names(find(world, sort="nominated")) == [n for n, _ in PEOPLE]
    assert names(find(world, state="nominated", sort="nominated")) == ["Gulnara Abenova", "Болат 100% Жақсылықов"]


def test_pages_of_a_given_size_and_a_page_past_the_last_is_the_last(world: World, people: dict[str, int]) -> None:
    chosen, _ = finding.criteria({"sort": "nominated", "page": "2"})
    page = finding.candidacies(world.db, ELECTION_ID, chosen, per_page=4)
    assert (page.total, page.pages, page.page, page.first, page.last) == (6, 2, 2, 5, 6)
    assert names(page) == [n for n, _ in PEOPLE[4:]]
    chosen, _ = finding.criteria({"sort": "nominated", "page": "9"})
    assert finding.candidacies(world.db, ELECTION_ID, chosen, per_page=4).page == 2
    empty = find(world, q="nobody at all")
    assert (empty.total, empty.pages, empty.first, empty.last, empty.items) == (0, 1, 0, 0, ())


def test_bad_criteria_are_named_by_field_and_left_out(world: World) -> None:
    chosen, problems = finding.criteria({"state": "elected", "association": "x", "sort": "age", "q": "a" * 201,
                                         "page": "-3"}, associations={1: "A"})  # fmt: skip
    assert problems == {"state": "unknown_state", "association": "unknown_association", "sort": "unknown_sort",
                        "q": "too_long"}  # fmt: skip
    assert chosen == finding.Criteria()
    assert finding.criteria({"association": "2"}, associations={1: "A"})[1] == {"association": "unknown_association"}
    with pytest.raises(NotFound):
        finding.candidacies(world.db, "no-such-election")


def test_search_across_elections_by_name_or_number(world: World, people: dict[str, int]) -> None:
    found = finding.search(world.db, finding.criteria({"q": "АБЕНОВА"})[0])
    assert names(found) == ["Гүлнар Абенова"] and found.items[0].election_title == "Presidential election 2029"
    by_number = finding.search(world.db, finding.criteria({"q": str(people["Жанна Искакова"])})[0])
    assert people["Жанна Искакова"] in [i.id for i in by_number.items]
    assert finding.search(world.db, finding.Criteria()).total == 0
    assert finding.elections_matching(world.db, "ELECTION 2029") == [(ELECTION_ID, "Presidential election 2029")]
    assert finding.associations_of(world.db, ELECTION_ID)[world.associations[0]] == "National Association 1"


def test_names_sort_in_the_readers_alphabet() -> None:
    """Kazakh: І after Ы, Ә after А, Қ after К; Russian: its own letters first, І after И (as code points go, Ә, Қ and І
    would come after Я)."""
    listed = ["Ыбырай", "Іргебаев", "Яхин", "Әлиев", "Қасым", "Кім", "Ильин", "Йолдас", "Абаев", "Ақан Сері", "Ақан"]
    kazakh = sorted(listed, key=lambda n: alphabets.sort_key(n, "kk"))
    assert kazakh == ["Абаев", "Ақан", "Ақан Сері", "Әлиев", "Ильин", "Йолдас", "Кім", "Қасым", "Ыбырай", "Іргебаев", "Яхин"]
    russian = sorted(listed, key=lambda n: alphabets.sort_key(n, "ru"))
    assert russian == ["Абаев", "Ақан", "Ақан Сері", "Әлиев", "Ильин", "Іргебаев", "Йолдас", "Кім", "Қасым", "Ыбырай", "Яхин"]
    assert alphabets.sort_key("абаев", "kk") == alphabets.sort_key("АБАЕВ", "kk"), "case does not count"


def test_the_list_by_name_is_in_the_alphabet_of_the_page_and_paged_in_it(world: World, people: dict[str, int]) -> None:
    chosen, _ = finding.criteria({"page": "2"})
    page = finding.candidacies(world.db, ELECTION_ID, chosen, per_page=4, language="ru")
    assert names(page) == ["Қайрат Жүнісов", "Gulnara Abenova"] and page.total == 6
    titled = page.items[0]
    assert titled.election_title.in_("kk") and titled.association.in_("ru"), "carried in every language given"
