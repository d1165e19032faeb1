"""The public pages and exports on the demo election: each page and format, 404s, and nothing private in any of them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from markupsafe import escape
from sqlalchemy import select

from registrar import actions, demo, demo_results, public
from registrar.db import Database
from registrar.models import Candidacy, Person
from registrar.rules import for_kind
from registrar.settings import Settings
from tests.databases import sqlite_copy
from tests.registrar.test_public import private_demo, private_values
from tests.web.helpers import protocol_secrets
from web import create_app

ELECTION = demo.DEMO_ID


@pytest.fixture(scope="module")
def demo_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = private_demo(sqlite_copy(sqlite_template, tmp_path_factory.mktemp("web-public")))
    # A registered candidate written in Kazakh, to see the names survive every format.
    with database.transaction() as session:
        person = session.scalar(select(Person).join(Candidacy, Candidacy.person_id == Person.id)
                                .where(Candidacy.state == "registered", Candidacy.election_id == ELECTION)
                                .order_by(Candidacy.id.desc()))  # fmt: skip
        assert person is not None
        person.full_name, person.place_of_residence = "Әлихан Бөкейханов", "Алматы қаласы"
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def app(demo_db: Database) -> Flask:
    return create_app(Settings(), demo_db, TESTING=True, SECRET_KEY="test")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read the English source texts
    return client


def listed_names() -> list[str]:
    """The published list of :func:`demo_db`: the demo's first registered and the one renamed in Kazakh, in order."""
    return sorted([demo.named("registered"), "Әлихан Бөкейханов"], key=public.name_key)


def ids_by_state(db: Database) -> dict[str, int]:
    return {public.candidacy_status(db, i).state: i for i in public.candidacy_ids(db, ELECTION)}


def test_the_elections_list_links_to_each_election(client: FlaskClient, demo_db: Database) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    titles = public.election(demo_db, ELECTION).election.titles
    assert f'href="/elections/{ELECTION}"' in page and str(escape(titles["en"])) in page, "the title in the reader's language"
    russian = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="ru">' in russian and str(escape(titles["ru"])) in russian and titles["en"] not in russian


def test_the_election_page_shows_the_timeline_with_today_and_the_published_list(client: FlaskClient) -> None:
    page = client.get(f"/elections/{ELECTION}").get_data(as_text=True)
    timeline = page[page.index('<ol class="timeline">') : page.index("</ol>", page.index('<ol class="timeline">'))]
    # Today's marker sits after registration opened and before it closes (the demo is built that way).
    assert timeline.index("Registration opens") < timeline.index('class="now"') < timeline.index("Registration closes")
    assert "Rule G1" in timeline and "Rule V2" in timeline
    assert demo.named("registered") in page and "Әлихан Бөкейханов" in page
    assert demo.named("nominated") not in page  # nominated, not registered: not on the list
    assert f"/elections/{ELECTION}/calendar.ics" in page and f"/elections/{ELECTION}/candidates.csv" in page


def test_the_candidates_page_lists_the_registered_in_order(client: FlaskClient) -> None:
    page = client.get(f"/elections/{ELECTION}/candidates").get_data(as_text=True)
    first, second = listed_names()  # the Kazakh alphabet's order (Ә after А, before Б)
    assert page.index(first) < page.index(second)
    for label in ("Full name", "Year of birth", "Position", "Place of work", "Place of residence"):
        assert label in page


def test_the_csv_is_utf8_with_a_header_and_the_g2_columns(client: FlaskClient) -> None:
    response = client.get(f"/elections/{ELECTION}/candidates.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.content_type.endswith("charset=utf-8")
    assert response.data.startswith("\ufeff".encode()), "a BOM, so that spreadsheet programs read Cyrillic"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["full_name", "birth_year", "position", "place_of_work", "place_of_residence"]
    assert [row[0] for row in rows[1:]] == listed_names()
    assert [row[4] for row in rows if row[0] == "Әлихан Бөкейханов"] == ["Алматы қаласы"]


def test_the_json_has_exactly_the_g2_fields(client: FlaskClient) -> None:
    body = client.get(f"/elections/{ELECTION}/candidates.json").get_json()
    assert body["election"] == ELECTION
    assert [c["full_name"] for c in body["candidates"]] == listed_names()
    assert all(set(c) == set(public.published_fields(for_kind("presidential"))) for c in body["candidates"])


def test_the_status_page_shows_state_timeline_and_the_diagram_with_the_current_state(
    client: FlaskClient, demo_db: Database
) -> None:
    appealed = ids_by_state(demo_db)["appealed"]
    page = client.get(f"/candidacies/{appealed}").get_data(as_text=True)
    assert demo.named("appealed") in page and "Under appeal" in page
    assert "Registration refused by the Central Election Commission" in page and "Case 6001-" in page
    diagram = page[page.index('<div class="diagram">') :]
    current = [line for line in diagram.splitlines() if 'aria-current="step"' in line]
    assert len(current) == 1 and "current" in current[0]
    assert "What can happen next" in diagram and "Appeal upheld by the Supreme Court" in diagram


def test_a_final_state_says_nothing_follows(client: FlaskClient, demo_db: Database) -> None:
    page = client.get(f"/candidacies/{ids_by_state(demo_db)['withdrawn']}").get_data(as_text=True)
    assert "This is a final state" in page and "The candidate withdrew" in page


def test_the_calendar_feed_has_one_event_per_milestone(client: FlaskClient, demo_db: Database) -> None:
    response = client.get(f"/elections/{ELECTION}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    feed = Calendar.from_ical(response.data)
    events = {str(e["uid"]): e for e in feed.walk("VEVENT")}
    milestones = public.election(demo_db, ELECTION).timeline.milestones
    assert set(events) == {f"{ELECTION}.{m.name}@registrar" for m in milestones}
    closes = next(m for m in milestones if m.name == "registration_closes")
    assert events[f"{ELECTION}.registration_closes@registrar"].decoded("dtstart") == closes.at
    assert "Registration closes" in str(events[f"{ELECTION}.registration_closes@registrar"]["summary"])


@pytest.mark.parametrize(
    "url",
    ["/elections/nope", "/elections/nope/candidates", "/elections/nope/candidates.csv", "/elections/nope/candidates.json",
     "/elections/nope/calendar.ics", "/elections/nope/results", "/elections/nope/results.csv",
     "/elections/nope/results.json", "/candidacies/999999"],
)  # fmt: skip
def test_unknown_ids_are_404_pages(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def every_public_url(db: Database) -> list[str]:
    """The elections' list, each election's pages and exports, and every candidacy's status page."""
    urls = ["/"]
    for election in public.elections(db):
        base = f"/elections/{election.id}"
        urls += [base, f"{base}/candidates", f"{base}/candidates.csv", f"{base}/candidates.json", f"{base}/calendar.ics",
                 f"{base}/results", f"{base}/results.csv", f"{base}/results.json", f"{base}/appeals",
                 f"/api/v1{base}/appeals"]  # fmt: skip
        urls += [f"/candidacies/{i}" for i in public.candidacy_ids(db, election.id)]
    return urls


def leaks(client: FlaskClient, urls: list[str], secrets: set[str]) -> dict[str, list[str]]:
    """The secrets each page or export shows (each must be there: 200), by its URL; none: empty."""
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = json.dumps(response.get_json(), ensure_ascii=False) if response.is_json else response.get_data(as_text=True)
        found[url] = sorted(v for v in secrets if v in text)
    return {url: shown for url, shown in found.items() if shown}


def test_nothing_private_appears_on_any_public_page_or_export(client: FlaskClient, demo_db: Database) -> None:
    secrets = private_values(demo_db) | protocol_secrets(demo_db)
    assert set(demo_results.CHAIRS) <= secrets, "the concluded demo election's protocols are covered"
    assert leaks(client, every_public_url(demo_db), secrets) == {}  # the demo's election now and its concluded one


def test_pages_follow_a_new_decision(client: FlaskClient, demo_db: Database) -> None:
    """A candidacy registered now appears on the list as soon as the audit revision is read again
    (in production at most a second later: web/cache.py; here at every request)."""
    client.application.config["REGISTRAR_PUBLIC_REVISION_SECONDS"] = 0
    waiting = ids_by_state(demo_db)["documents_submitted"]
    actions.perform(demo_db, waiting, "register", {"number": "CEC-101", "decided_on": actions.now().date().isoformat()},
                    actor="test:commission")  # fmt: skip
    body = client.get(f"/elections/{ELECTION}/candidates.json").get_json()
    assert demo.named("documents_submitted") in [c["full_name"] for c in body["candidates"]]


def test_the_concluded_demo_election_shows_its_two_rounds_and_the_replacement(client: FlaskClient) -> None:
    """V5: the runner-up withdrew before the second round; the third of the first round took the place."""
    (first, _), (second, _), (third, _) = demo_results.CANDIDATES[:3]
    page = client.get(f"/elections/{demo_results.CONCLUDED_ID}/results").get_data(as_text=True)
    assert f"a second round between {first} and {second}" in page
    assert f"On the second round's ballot: {first}, {third}" in page
    assert "President, registered by the CEC" in page and page.count("<svg") == 2


def test_the_results_json_and_the_api_give_the_same_answer(client: FlaskClient) -> None:
    """One serialization of the results (web/api/schemas.py's, derived from registrar.public.Results) for both."""
    url = f"/elections/{demo_results.CONCLUDED_ID}/results"
    exported = client.get(f"{url}.json").get_json()
    assert client.get(f"/api/v1{url}").get_json() == exported
    assert [r["status"] for r in exported["rounds"]] == ["established", "established"]
    assert exported["majority_percent"] == "50.00" and exported["president"]["status"] == "registered"
