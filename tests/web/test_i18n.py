"""Kazakh, Russian and English; local times with the zone shown (rule T1)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy import select

from registrar.db import Database
from registrar.settings import Settings
from tests.demo_copies import build_demo
from web import create_app
from web.i18n import LANGUAGES
from web.words import moment

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"


@pytest.fixture
def app(db: Database) -> Flask:
    return create_app(Settings(), db, TESTING=True, SECRET_KEY="test", WTF_CSRF_ENABLED=False)


def _lang(html: str) -> str:
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_browser_language_is_used_when_nothing_was_chosen(app: Flask) -> None:
    client = app.test_client()
    assert _lang(client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)) == "ru"
    assert _lang(client.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)) == "en"


def test_kazakh_is_the_language_when_the_browser_asks_for_none_we_have(app: Flask) -> None:
    html = app.test_client().get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert _lang(html) == "kk"


def test_the_switcher_keeps_the_choice_and_returns_to_the_page(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/language/ru", query_string={"next": "/elections/kz-2029?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/elections/kz-2029?x=1"
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _lang(html) == "ru", "the choice outranks the browser"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "relative", "http:/x", "ftp://localhost/"]
)
def test_the_switcher_never_redirects_off_the_site(app: Flask, target: str) -> None:
    response = app.test_client().get("/language/kk", query_string={"next": target})
    assert response.headers["Location"] == "/"
    response = app.test_client().get("/language/kk", headers={"Referer": target})
    assert response.headers["Location"] == "/"


def test_without_a_next_the_switcher_returns_to_the_referring_page_of_this_site(app: Flask) -> None:
    response = app.test_client().get("/language/ru", headers={"Referer": "http://localhost/elections/kz-2029?x=1"})
    assert response.headers["Location"] == "/elections/kz-2029?x=1"


def test_a_next_that_only_takes_a_post_leads_to_the_page_above_it(app: Flask) -> None:
    """A link made before the fix (a cached page, a bookmark) still lands on a page, not on a 405."""
    response = app.test_client().get("/language/ru", query_string={"next": "/officer/elections/kz-2029/actions/set_milestone"})
    assert response.headers["Location"] == "/officer/elections/kz-2029"


def _language_links(html: str) -> dict[str, str]:
    import re
    from urllib.parse import parse_qs, unquote, urlsplit

    links = re.findall(r'<a href="(/language/(\w+)\?[^"]*)"', html)
    return {code: unquote(parse_qs(urlsplit(href.replace("&amp;", "&")).query)["next"][0]) for href, code in links}


def test_switching_language_after_a_failed_form_lands_on_the_forms_page_in_the_new_language(db: Database) -> None:
    """The failed form is the answer to a POST to the action's URL, which answers no GET: the
    language links lead back to the page the form was on, never to a 405."""
    from registrar import accounts, demo
    from tests.web.conftest import make_app

    election = "kz-2029"
    demo.announce(db, election, "Presidential election 2029", dt.date(2029, 6, 1), dt.date(2029, 8, 30), actor="test:clerk")
    accounts.create_user(db, "clerk1", "clerk", "a long test password")
    client = make_app(db).test_client()
    client.get("/language/en")
    client.submit("/login", {"login": "clerk1", "password": "a long test password"})  # type: ignore[attr-defined]
    action = f"/officer/elections/{election}/actions/record_voter_count"
    assert client.get(action).status_code == 405, "the action's URL only takes a POST"
    form_page = f"/officer/elections/{election}"
    for referrer, expected in ((f"http://localhost{form_page}?tab=forms", f"{form_page}?tab=forms"), (None, form_page)):
        headers = {"Referer": referrer} if referrer else {}
        failed = client.submit(action, {"voter_count": "many"}, headers=headers)  # type: ignore[attr-defined]
        assert failed.status_code in (400, 409, 422), failed.status_code
        links = _language_links(failed.get_data(as_text=True))
        assert set(links) == {"kk", "ru"}, "a link to each other language"
        assert links == {"kk": expected, "ru": expected}
    switched = client.get("/language/ru", query_string={"next": links["ru"]}, follow_redirects=True)
    assert switched.status_code == 200 and switched.request.path == form_page
    assert _lang(switched.get_data(as_text=True)) == "ru"


@pytest.mark.parametrize(("language", "words"), [("ru", "Не найдено"), ("kk", "Табылмады")])
def test_a_page_not_there_says_so_in_the_readers_language(app: Flask, language: str, words: str) -> None:
    client = app.test_client()
    client.get(f"/language/{language}")
    for path in ("/no-such-page", "/elections/no-such-election"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 404 and _lang(html) == language
        assert f"<h1>{words}</h1>" in html and "Not Found" not in html


def test_an_address_that_only_takes_a_form_says_so_in_the_readers_language(app: Flask) -> None:
    client = app.test_client()
    client.get("/language/ru")
    response = client.get("/officer/elections/kz-2029/actions/set_milestone")
    html = response.get_data(as_text=True)
    assert response.status_code == 405 and _lang(html) == "ru"
    assert "Method Not Allowed" not in html
    assert 'href="/officer/elections/kz-2029"' in html, "a link to the form's page"


def test_the_api_keeps_its_json_errors(app: Flask) -> None:
    response = app.test_client().get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    response = app.test_client().delete("/api/v1/openapi.json")
    assert response.status_code == 405 and response.get_json()["code"] == "method_not_allowed"


def test_an_unknown_language_is_not_kept(app: Flask) -> None:
    client = app.test_client()
    client.get("/language/xx", query_string={"next": "/"})
    assert _lang(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "en"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "30 August 2029, 18:00 (UTC+05:00)"),
        ("ru", "30 августа 2029 г., 18:00 (UTC+05:00)"),
        ("kk", "2029 жылғы 30 тамыз, 18:00 (UTC+05:00)"),
    ],
)
def test_local_time_is_the_capitals_wall_clock_with_its_offset(app: Flask, language: str, expected: str) -> None:
    """T1: local time is Asia/Almaty's; an 18:00 cut-off is 13:00 UTC since 1 March 2024."""
    with app.test_request_context("/"):
        from flask import session

        session["language"] = language
        assert moment(dt.datetime(2029, 8, 30, 13, 0, tzinfo=dt.UTC)) == expected
        assert app.jinja_env.filters["local_time"](dt.datetime(2029, 8, 30, 13, 0, tzinfo=dt.UTC)) == expected


def test_local_time_before_march_2024_is_utc_plus_6(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert moment("2023-11-20T12:00:00+00:00") == "20 November 2023, 18:00 (UTC+06:00)"
        assert moment(None) == ""


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_each_catalog_is_compiled_from_its_source_and_translates_every_message(language: str) -> None:
    """The .mo served is the .po reviewed: no message left untranslated or fuzzy, none stale."""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as source:
        po = read_po(source)
    with (folder / "messages.mo").open("rb") as compiled:
        mo = read_mo(compiled)
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}


def test_every_message_in_the_templates_and_views_is_in_the_catalogs() -> None:
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = Path(__file__).resolve().parents[2]
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    # The views' lazy strings too, and the steps' words, declared with the steps (N_, as gettext_noop).
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
    found = {message for _, _, message, *_ in extract_from_dir(str(root / "web"), method_map, keywords=keywords)
             if isinstance(message, str)}  # fmt: skip
    steps = {message for _, _, message, *_ in extract_from_dir(str(root / "registrar"), [("machines.py", "python")],
                                                              keywords={"N_": None}) if isinstance(message, str)}  # fmt: skip
    assert len(steps) > 40, "the steps' words are found where they are declared"
    found |= steps
    with (TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = {m.id for m in read_po(source) if m.id}
    assert not found - catalog, f"not in the catalogs: {sorted(found - catalog)[:10]}"


def test_the_chosen_language_outlives_logging_in_and_out(db: Database) -> None:
    from registrar import accounts
    from tests.web.conftest import make_app

    accounts.create_user(db, "clerk1", "clerk", "a long test password")
    client = make_app(db).test_client()
    client.get("/language/ru")
    assert client.submit("/login", {"login": "clerk1", "password": "a long test password"}).status_code == 302  # type: ignore[attr-defined]
    assert _lang(client.get("/officer/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "ru"
    client.submit("/logout")  # type: ignore[attr-defined]
    assert _lang(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "ru"


def test_an_officers_candidacy_page_reads_in_russian_without_codes(db: Database) -> None:
    """The documents, the phase and the history are words of the language, not the rules file's names."""
    from registrar import accounts
    from tests.web.conftest import DEMO_TODAY, make_app

    build_demo(db, DEMO_TODAY)
    accounts.create_user(db, "clerk1", "clerk", "a long test password")
    client = make_app(db).test_client()
    client.get("/language/ru")
    client.submit("/login", {"login": "clerk1", "password": "a long test password"})  # type: ignore[attr-defined]
    page = client.get("/officer/candidacies/4").get_data(as_text=True)
    assert "согласие баллотироваться" in page and "Выдвижение внесено" in page
    shown = re.sub(r"<[^>]*>", "\n", page)  # what a reader sees: a form's values are no words on the page
    for code in ("minutes_extract", "contribution_receipt", ": registration)"):
        assert code not in shown
    assert not re.search(r"^\s*nominate\s*$", shown, re.M)


def test_a_refusals_grounds_read_as_words_on_the_public_page(db: Database) -> None:
    from registrar.demo import DEMO_ID
    from registrar.models import Candidacy
    from tests.web.conftest import DEMO_TODAY, make_app

    build_demo(db, DEMO_TODAY)
    with db.reading() as session:
        refused = session.scalar(select(Candidacy.id).where(Candidacy.state == "refused", Candidacy.election_id == DEMO_ID))
    client = make_app(db).test_client()
    client.get("/language/ru")
    page = client.get(f"/candidacies/{refused}").get_data(as_text=True)
    assert "не представлены необходимые документы" in page and "documents_missing" not in page


def test_the_commissions_refusal_form_offers_the_grounds_in_words(db: Database) -> None:
    from registrar import accounts
    from tests.web.conftest import DEMO_TODAY, make_app

    build_demo(db, DEMO_TODAY)
    accounts.create_user(db, "commission1", "commission", "a long test password")
    client = make_app(db).test_client()
    client.get("/language/ru")
    client.submit("/login", {"login": "commission1", "password": "a long test password"})  # type: ignore[attr-defined]
    page = client.get("/officer/candidacies/4/actions/refuse").get_data(as_text=True)  # the step's own page
    assert 'value="documents_missing"> не представлены необходимые документы' in page
