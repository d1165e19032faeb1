"""The registers on the web (web/registers.py): the appeals register the court and the commission
work from, the public's appeals, an election's candidacies in every state, the search on every
officer page and the published list's search."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import render_template

from registrar import actions, roles
from registrar.db import Database
from registrar.models import Candidacy, Person
from registrar.rules import Rules
from tests.registrar.conftest import ELECTION_ID, World, copied_world

from .conftest import WebWorld

HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
SECRET_REASON = "Confidential grounds Zh-4471"  # a refusal's free-text reason: never public


def text(html: str) -> str:
    """The page's words, its tags and runs of spaces gone."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def day(world: World, at: dt.datetime) -> str:
    return world.calendar.local(at).date().isoformat()


@pytest.fixture
def election(db: Database, rules: Rules) -> World:
    return copied_world(db, rules)


def refused(world: World, index: int, name: str, start: dt.datetime) -> tuple[int, dt.datetime]:
    candidacy = world.nominate(world.associations[index], full_name=name)
    at = world.walk(candidacy, "declarations_filed", start) + HOUR
    world.act(candidacy, "refuse", {"number": f"R-{index}", "decided_on": day(world, at), "grounds": ["documents_missing"],
                                    "reason": SECRET_REASON}, at=at)  # fmt: skip
    return candidacy, at


def appealed(world: World, candidacy: int, at: dt.datetime, case: str) -> None:
    world.act(candidacy, "appeal", {"case_number": case, "filed_on": day(world, at)}, at=at)


def at_time(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    """The web's clock (registrar.actions.now, read by the registers) stopped at ``moment``."""
    monkeypatch.setattr(actions, "now", lambda: moment)


def test_the_court_sees_an_overdue_review_at_the_top_with_how_late_and_the_links_to_decide(
    election: World, web_world: WebWorld, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    start = election.registration_time
    late, at = refused(election, 0, "Асель Нұрланова", start)
    appealed(election, late, at + HOUR, "SC-11")
    fresh, at2 = refused(election, 1, "Тимур Беков", start + 3 * DAY)
    appealed(election, fresh, at2 + HOUR, "SC-12")
    refused(election, 2, "Сәуле Мұхаметова", start + 4 * DAY)
    now = at + HOUR + 12 * DAY  # the first appeal's 10 days (G6.court_review_days) ran out two days ago or so
    at_time(monkeypatch, now)
    court = web_world.login_as("court")
    for url in ("/officer/appeals", f"/officer/elections/{ELECTION_ID}/appeals"):
        page = court.get(url)
        assert page.status_code == 200
        rows = re.findall(r'<tr class="appeal appeal-(\w+)( overdue)?"[^>]*>(.*?)</tr>', page.get_data(as_text=True), re.S)
        # The overdue first, then the latest first.
        assert [(status, bool(overdue)) for status, overdue, _ in rows] == [
            ("pending", True), ("window_open", False), ("pending", False)], url  # fmt: skip
        first = text(rows[0][2])
        assert "Асель Нұрланова" in first and "Case SC-11" in first and "overdue by 2 days" in first
        assert "before the Supreme Court" in first and "No. R-0 of" in first
        assert f"/officer/candidacies/{late}/actions/dismiss_appeal" in rows[0][2]
        assert f"/officer/candidacies/{late}/actions/uphold_appeal" in rows[0][2]
        assert "may still be appealed" in text(rows[1][2]) and "left" in text(rows[2][2])
    summary = text(court.get("/officer/appeals").get_data(as_text=True))
    assert "Overdue court reviews: 1" in summary and "Before the court: 2" in summary
    # The clerk reads the register but may not decide: no links to the court's steps.
    clerk = web_world.login_as("clerk").get("/officer/appeals").get_data(as_text=True)
    assert "Асель Нұрланова" in clerk and "actions/dismiss_appeal" not in clerk
    assert web_world.login_as("court").get("/officer/elections/no-such/appeals").status_code == 404


def test_the_appeal_history_partial_and_the_public_see_status_and_outcome_but_nothing_private(
    election: World, web_world: WebWorld, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    candidacy, at = refused(election, 0, "Гүлнар Әбенова", election.registration_time)
    appealed(election, candidacy, at + HOUR, "SC-21")
    ruled = at + 2 * DAY
    election.act(candidacy, "dismiss_appeal", {"number": "SC-21/R", "decided_on": day(election, ruled),
                                               "reason": SECRET_REASON}, at=ruled)  # fmt: skip
    at_time(monkeypatch, ruled + HOUR)
    public = web_world.client()
    listed = public.get(f"/elections/{ELECTION_ID}/appeals")
    assert listed.status_code == 200
    words = text(listed.get_data(as_text=True))
    filed = election.calendar.local(at + HOUR).date()
    assert "Гүлнар Әбенова" in words and "Case SC-21" in words and "appeal dismissed: the decision stands" in words
    assert f"No. SC-21/R of {filed.day}" in words or "No. SC-21/R of" in words
    status = text(public.get(f"/candidacies/{candidacy}").get_data(as_text=True))
    assert "Appeals to the Supreme Court" in status and "Case SC-21" in status and "appeal dismissed" in status
    api = public.get(f"/api/v1/elections/{ELECTION_ID}/appeals").get_json()
    assert [(a["case_number"], a["status"], a["judgment_number"]) for a in api] == [("SC-21", "dismissed", "SC-21/R")]
    assert api[0]["filed_on"] == filed.isoformat()
    for page in (listed.get_data(as_text=True), public.get(f"/candidacies/{candidacy}").get_data(as_text=True), str(api)):
        assert SECRET_REASON not in page and "SRC Astana" not in page  # the reason, the declarations' office
    assert public.get("/elections/no-such/appeals").status_code == 404
    # The officer's candidacy page includes the same history from the partial.
    with web_world.app.test_request_context(headers={"Accept-Language": "en"}):
        history = text(render_template("officer/_appeal_history.html", candidacy_id=candidacy))
    assert "Case SC-21" in history and "No. SC-21/R of" in history and "appeal dismissed" in history
    with web_world.app.test_request_context(headers={"Accept-Language": "en"}):
        none = text(render_template("officer/_appeal_history.html", candidacy_id=999_999))
    assert "none was" in none


@pytest.fixture
def people(election: World) -> dict[str, int]:
    """Candidacies in the states no queue shows, and two namesakes in different cases."""
    found = {}
    for index, (name, state) in enumerate([("Гүлнар Абенова", "registered"), ("АЙГҮЛ АБЕНОВА", "nominated"),
                                           ("Нұрлан Жақсыбеков", "withdrawn"), ("Ержан Әбдірахманов", "deceased"),
                                           ("Жанна Искакова", "revoked")]):  # fmt: skip
        found[name] = election.nominate(election.associations[index], full_name=name,
                                        at=election.nomination_time + index * HOUR)  # fmt: skip
        election.walk(found[name], state)
    return found


def test_an_officer_finds_by_cyrillic_name_in_any_case_and_by_state(
    election: World, people: dict[str, int], web_world: WebWorld,
) -> None:  # fmt: skip
    clerk = web_world.login_as("clerk")
    base = f"/officer/elections/{ELECTION_ID}/candidacies"
    for q in ("Абенова", "абенова", "АБЕНОВА"):
        found = text(clerk.get(f"{base}?q={q}").get_data(as_text=True))
        assert "Гүлнар Абенова" in found and "АЙГҮЛ АБЕНОВА" in found and "Искакова" not in found, q
    for state, name in (("withdrawn", "Нұрлан Жақсыбеков"), ("deceased", "Ержан Әбдірахманов"), ("revoked", "Жанна Искакова")):
        page = clerk.get(f"{base}?state={state}").get_data(as_text=True)
        assert name in page and f"/officer/candidacies/{people[name]}" in page
        assert "Гүлнар Абенова" not in text(page.split("</form>", 2)[-1])
    every = text(clerk.get(base).get_data(as_text=True))
    assert all(name in every for name in people) and "1–5 of 5" in every
    bad = clerk.get(f"{base}?state=elected&sort=age")
    assert bad.status_code == 400 and "Choose a state from the list." in bad.get_data(as_text=True)
    assert "Choose how to sort from the list." in bad.get_data(as_text=True) and "Error:" in bad.get_data(as_text=True)
    # The search box on every officer page, across elections.
    dashboard = clerk.get("/officer/").get_data(as_text=True)
    assert 'action="/officer/search"' in dashboard and 'role="search"' in dashboard
    across = text(clerk.get("/officer/search?q=әбдірахманов").get_data(as_text=True))
    assert "Ержан Әбдірахманов" in across and "Presidential election 2029" in across
    assert "Type a candidate's name" in clerk.get("/officer/search").get_data(as_text=True)
    assert web_world.client().get(base).status_code == 302  # the public is sent to log in
    assert clerk.get("/officer/elections/no-such/candidacies").status_code == 404


def test_the_published_list_searches_the_registered_only(election: World, people: dict[str, int], web_world: WebWorld) -> None:
    public = web_world.client()
    found = text(public.get(f"/elections/{ELECTION_ID}/candidates?q=абенова").get_data(as_text=True))
    assert "Гүлнар Абенова" in found and "АЙГҮЛ АБЕНОВА" not in found, "the nominated namesake is not on the list"
    assert "found: 1 of 1" in found
    none = text(public.get(f"/elections/{ELECTION_ID}/candidates?q=Искакова").get_data(as_text=True))
    assert "No registered candidate matches" in none


def test_fifty_a_page_with_links_to_the_others(election: World, web_world: WebWorld) -> None:
    # Paging is about the list, not the law: 120 candidacies written straight to the tables.
    at = election.nomination_time
    with election.db.transaction() as session:
        for number in range(120):
            person = Person(full_name=f"Кандидат {number:03d}", birth_date=dt.date(1970, 1, 1), citizen_by_birth=True,
                            education_level="higher", public_service_months=200)  # fmt: skip
            session.add(Candidacy(election_id=ELECTION_ID, association_id=election.associations[0], person=person,
                                  state="nominated", nominated_at=at + number * HOUR, state_since=at, updated_at=at))  # fmt: skip
    clerk = web_world.login_as("commission")
    base = f"/officer/elections/{ELECTION_ID}/candidacies"
    first = clerk.get(f"{base}?sort=nominated").get_data(as_text=True)
    assert first.count("/officer/candidacies/") == 50 and "1–50 of 120" in text(first)
    assert "Кандидат 000" in first and "Кандидат 049" in first and "Кандидат 050" not in first
    links = re.findall(r'href="([^"]*page=(\d+)[^"]*)"', first)
    assert {number for _, number in links} == {"2", "3"} and 'aria-current="page">1<' in first
    second = clerk.get(next(url for url, number in links if number == "3").replace("&amp;", "&")).get_data(as_text=True)
    assert "101–120 of 120" in text(second) and "Кандидат 119" in second and 'rel="prev"' in second
    assert "sort=nominated" in second, "the page links keep the criteria"
    assert "101–120 of 120" in text(clerk.get(f"{base}?sort=nominated&page=999").get_data(as_text=True))


@pytest.mark.parametrize("role", roles.ACCOUNT_ROLES)
def test_every_officer_role_reads_the_registers(election: World, web_world: WebWorld, role: str) -> None:
    client = web_world.login_as(role)
    for url in ("/officer/appeals", f"/officer/elections/{ELECTION_ID}/appeals", f"/officer/elections/{ELECTION_ID}/candidacies",
                "/officer/search?q=a"):  # fmt: skip
        assert client.get(url).status_code == 200, url


def test_the_appeals_registers_are_paged_and_sorted_by_name_in_the_readers_alphabet(
    election: World, web_world: WebWorld, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from registrar import appeals

    start = election.registration_time
    names = ["Яна Тимурова", "Әлия Серікова", "Ильяс Бекұлы"]
    for index, name in enumerate(names):
        candidacy, at = refused(election, index, name, start + index * DAY)
        appealed(election, candidacy, at + HOUR, f"SC-3{index}")
    at_time(monkeypatch, start + 5 * DAY)
    monkeypatch.setattr(appeals, "PER_PAGE", 2)  # paging is about the list: two lines a page here, fifty in use
    court = web_world.login_as("court")
    base = f"/officer/elections/{ELECTION_ID}/appeals"
    first = court.get(base).get_data(as_text=True)
    assert first.count('<tr class="appeal ') == 2 and "1–2 of 3" in text(first) and 'rel="next"' in first
    last = court.get(f"{base}?page=2").get_data(as_text=True)
    assert last.count('<tr class="appeal ') == 1 and "3–3 of 3" in text(last) and "Яна Тимурова" in last, "the oldest last"
    court.get("/language/kk")
    by_name = text(court.get(f"{base}?sort=name").get_data(as_text=True))
    assert by_name.index("Әлия Серікова") < by_name.index("Ильяс Бекұлы"), "Ә after А, before И in Kazakh"
    assert "sort=name" in court.get(f"{base}?sort=name").get_data(as_text=True), "the page links keep the order"
    assert court.get(f"{base}?sort=nonsense&page=x").status_code == 200, "an order or page not offered: the first"

    public = web_world.client()
    listed = public.get(f"/elections/{ELECTION_ID}/appeals?page=2").get_data(as_text=True)
    assert "3–3 of 3" in text(listed) and 'rel="prev"' in listed
    assert "Case SC-3" in public.get(f"/elections/{ELECTION_ID}/appeals").get_data(as_text=True)


def test_a_search_that_cannot_be_is_a_400_in_the_readers_language(election: World, web_world: WebWorld) -> None:
    clerk = web_world.login_as("clerk")
    clerk.get("/language/ru")
    for url in (f"/officer/search?q={'а' * 201}", f"/officer/elections/{ELECTION_ID}/candidacies?state=elected"):
        response = clerk.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and '<html lang="ru"' in html and 'class="error-summary"' in html, url
        assert "Choose a state" not in html and "Search for at most" not in html, "the message in Russian"
    assert clerk.get("/officer/search?q=абв").status_code == 200


def test_titles_and_association_names_are_in_the_readers_language(election: World, web_world: WebWorld) -> None:
    from registrar.models import AssociationName, Election

    with election.db.transaction() as session:
        session.get(Election, ELECTION_ID).title_by_language = {"kk": "Президент сайлауы", "ru": "Выборы Президента"}  # type: ignore[union-attr]
        for row in session.query(AssociationName).all():
            row.name_by_language = {"kk": f"{row.name} (қаз.)", "ru": f"{row.name} (рус.)"}
    election.nominate(election.associations[0], full_name="Арман Серікұлы")
    clerk = web_world.login_as("clerk")
    clerk.get("/language/ru")
    listed = text(clerk.get(f"/officer/elections/{ELECTION_ID}/candidacies").get_data(as_text=True))
    assert "Выборы Президента" in listed and "(рус.)" in listed and "(қаз.)" not in listed
    clerk.get("/language/kk")
    found = text(clerk.get("/officer/search?q=Арман").get_data(as_text=True))
    assert "Президент сайлауы" in found and "(қаз.)" in found
