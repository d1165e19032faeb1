"""An election announced with its title in Kazakh, Russian and English, and an association named in
each: every page shows the one in the reader's language (the public list and election page, the
candidacy's status, the results, the officer's dashboard and candidacy, a printed resolution, the
iCalendar feed); the API sends the title as entered and in each language; the announcement form asks
for the title in each language and refuses a bad one at its field, in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registrar import actions, demo, printables, reasons
from registrar.db import Database
from registrar.models import Election
from tests.web.conftest import Client, WebWorld

ELECTION = "kz-names"
TITLES = demo.Named("Қазақстан Республикасы Президентінің 2031 жылғы сайлауы",
                    "Выборы Президента Республики Казахстан 2031 года",
                    "Election of the President of the Republic of Kazakhstan, 2031")  # fmt: skip
PARTY = demo.Named("«Ұлы дала» партиясы", "Партия «Улы дала»", "Uly Dala Party")
LANGUAGES = ("kk", "ru", "en")


def reader(app: Flask, language: str) -> Client:
    client: Client = app.test_client()  # type: ignore[assignment]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def in_language(client: Client, language: str) -> Client:
    client.get(f"/language/{language}")
    return client


def shows_only(page: str, names: demo.Named, language: str) -> None:
    """The page names it in ``language`` and in no other (the other two versions differ from it)."""
    assert getattr(names, language) in page, language
    for other in LANGUAGES:
        if other != language:
            assert getattr(names, other) not in page, (language, other)


@pytest.fixture
def held(web_world: WebWorld) -> dict[str, Any]:
    """The election, an association named in each language, and a candidacy it nominated, registered."""
    db = web_world.db
    calendar = demo.announce(db, ELECTION, TITLES, dt.date(2031, 8, 24), dt.date(2031, 11, 25), actor="test:commission")
    association = actions.register_association(
        db, {"registration_number": "0099-UD", "names": PARTY.by_language(), "kind": "national",
             "registered_on": "2010-01-01"}, actor="test:ministry")  # fmt: skip
    at = calendar.nomination_opens + dt.timedelta(days=3, hours=10)
    nominee = {
        "association_id": association,
        "person": demo.person("Дала Даласов", calendar.election_day),
        "decision": demo.decision(calendar.local(at).date() - dt.timedelta(days=1)),
    }
    outcome = actions.nominate(db, ELECTION, nominee, actor="test:clerk", at=at)
    demo.walk(db, outcome.candidacy_id, "registered", calendar.registration_opens + dt.timedelta(days=2, hours=10))
    return {"candidacy": outcome.candidacy_id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_pages_show_the_title_in_the_readers_language(web_world: WebWorld, held: dict[str, Any],
                                                                   language: str) -> None:  # fmt: skip
    client = reader(web_world.app, language)
    for url in ("/", f"/elections/{ELECTION}", f"/candidacies/{held['candidacy']}", f"/elections/{ELECTION}/results"):
        response = client.get(url)
        assert response.status_code == 200, url
        shows_only(response.get_data(as_text=True), TITLES, language)
    feed = client.get(f"/elections/{ELECTION}/calendar.ics").get_data(as_text=True)
    unfolded = re.sub(r"\r\n[ \t]", "", feed).replace("\\,", ",")  # folded lines joined, commas unescaped
    assert f"X-WR-CALNAME:{getattr(TITLES, language)}" in unfolded
    assert f"SUMMARY:{getattr(TITLES, language)}:" in unfolded


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_officers_pages_and_papers_show_the_names_in_the_page_language(web_world: WebWorld, held: dict[str, Any],
                                                                            language: str) -> None:  # fmt: skip
    commission = in_language(web_world.login_as("commission"), language)
    dashboard = commission.get("/officer/").get_data(as_text=True)
    shows_only(dashboard, TITLES, language)
    candidacy = commission.get(f"/officer/candidacies/{held['candidacy']}").get_data(as_text=True)
    shows_only(candidacy, TITLES, language)
    election = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    shows_only(election, TITLES, language)
    inbox = commission.get("/officer/inbox").get_data(as_text=True)
    shows_only(inbox, TITLES, language)  # the messages' election and the filter's choices
    (registration,) = printables.resolutions_of(web_world.db, held["candidacy"])
    paper = commission.get(f"/officer/resolutions/{registration['id']}")
    assert paper.status_code == 200
    shows_only(paper.get_data(as_text=True), TITLES, language)
    shows_only(paper.get_data(as_text=True), PARTY, language)


def test_the_api_sends_the_title_as_entered_and_in_each_language(web_world: WebWorld, held: dict[str, Any]) -> None:
    client = reader(web_world.app, "ru")
    listed = next(e for e in client.get("/api/v1/elections").get_json() if e["id"] == ELECTION)
    one = client.get(f"/api/v1/elections/{ELECTION}").get_json()["election"]
    for body in (listed, one):
        assert body["title"] == TITLES.kk, "as entered, whatever the reader's language"
        assert body["titles"] == TITLES.by_language()


def form(**titles: str) -> dict[str, str]:
    return {"id": "kz-form", "kind": "presidential", "announced_on": "2031-08-24", "election_day": "2031-11-25",
            "announce": "1", **{f"titles.{lang}": text for lang, text in titles.items()}}  # fmt: skip


def test_the_form_asks_for_the_title_in_each_language_and_announces_it(web_world: WebWorld, db: Database) -> None:
    commission = in_language(web_world.login_as("commission"), "ru")
    page = commission.get("/officer/elections/new").get_data(as_text=True)
    assert all(f'name="titles.{lang}"' in page for lang in LANGUAGES)
    assert 'name="title"' not in page, "the title as entered is the Kazakh one"
    assert "На казахском языке" in page or "In Kazakh" in page
    done = commission.submit("/officer/elections/new", form(kk=TITLES.kk, ru=TITLES.ru, en=TITLES.en))
    assert done.status_code == 302, done.get_data(as_text=True)
    with db.reading() as session:
        titles = session.get_one(Election, "kz-form").titles
    assert (titles, titles.in_("ru"), titles.in_("en")) == (TITLES.kk, TITLES.ru, TITLES.en)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_bad_title_is_refused_at_its_field_in_the_readers_language(web_world: WebWorld, db: Database,
                                                                       language: str) -> None:  # fmt: skip
    missing = reasons.render("required", {}, language, table="field_errors")
    too_long = reasons.render("length_max", {"max": 300}, language, table="field_errors")
    commission = in_language(web_world.login_as("commission"), language)
    response = commission.submit("/officer/elections/new", form(kk="   ", ru="в" * 301, en="Election"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert missing in page and too_long in page
    assert 'value="Election"' in page, "what was typed is shown again"
    for english in ("Missing data for required field", "Longer than maximum length"):
        assert english not in page
    with db.reading() as session:
        assert session.scalars(select(Election.id)).all() == []


def test_the_api_refuses_a_language_the_pages_do_not_have_and_stores_nothing(web_world: WebWorld, db: Database) -> None:
    token = web_world.token_for("commission")
    body = {"id": "kz-api", "kind": "presidential", "announced_on": "2031-08-24", "election_day": "2031-11-25",
            "titles": {"kk": TITLES.kk, "ru": TITLES.ru, "de": "Präsidentschaftswahl"}}  # fmt: skip
    response = reader(web_world.app, "en").post("/api/v1/elections", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == {"titles": {"de": ["not a language of the pages: kk, ru or en"]}}
    with db.reading() as session:
        assert session.get(Election, "kz-api") is None


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_demo_names_its_elections_in_cyrillic_in_kazakh_and_russian(demo_world: WebWorld, language: str) -> None:
    client = reader(demo_world.app, language)
    linked = re.compile(r'<a href="/elections/([a-z0-9-]+)">([^<]+)</a>')
    listed = dict(linked.findall(client.get("/").get_data(as_text=True)))
    assert {demo.DEMO_ID, "demo-concluded"} <= set(listed)
    shown = [*listed.values()]
    for election in (demo.DEMO_ID, "demo-concluded"):
        page = client.get(f"/elections/{election}").get_data(as_text=True)
        shown += re.findall(r"<h1>([^<]+)</h1>", page)
    results = client.get("/elections/demo-concluded/results").get_data(as_text=True)
    shown += [title for _, title in linked.findall(results)]
    assert len(shown) >= 5 and [title for title in shown if re.search("[A-Za-z]", title)] == []
    word = {"kk": "сайлауы", "ru": "выборы"}[language]
    assert all(word in title.lower() for title in shown), shown
