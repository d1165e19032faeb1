"""A failed form in Kazakh and Russian says its field errors and the law's unmet rules in that
language: the catalogues' words (registrar/config/messages), not marshmallow's or the domain's English."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest

from registrar import actions, demo
from tests.demo_copies import build_demo
from tests.registrar.test_every_reason_in_words import english_in

from .conftest import DEMO_TODAY, Client, WebWorld

NOMINATED = 1  # the demo's first candidacy, nominated
DOCUMENTS_SUBMITTED = 4  # complete papers: the commission may decide on it
ENGLISH = ("Missing data for required field.", "cannot be dated", "after today", "refused")
WORDS = {
    "kk": {"required": "Міндетті өріс толтырылмаған.", "future": "бүгінгі күннен"},
    "ru": {"required": "Обязательное поле не заполнено.", "future": "не может быть позже сегодняшней"},
}


@pytest.fixture
def demo_db(web_world: WebWorld) -> WebWorld:
    build_demo(web_world.db, DEMO_TODAY)
    return web_world


def reading(world: WebWorld, role: str, language: str) -> Client:
    client = world.login_as(role)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    client.get(f"/language/{language}")  # an account's own choice, where the app keeps one
    return client


def version(world: WebWorld, candidacy: int) -> str:
    return str(actions.show_candidacy(world.db, candidacy)["version"])


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_field_errors_are_in_the_readers_language(demo_db: WebWorld, language: str) -> None:
    clerk = reading(demo_db, "clerk", language)
    response = clerk.submit(f"/officer/candidacies/{NOMINATED}/actions/file_declarations",
                            {"version": version(demo_db, NOMINATED), "declarations.0.filer": "candidate"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert WORDS[language]["required"] in page
    assert not [text for text in ENGLISH if text in page]
    assert actions.show_candidacy(demo_db.db, NOMINATED)["state"] == "nominated"


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_an_unmet_rule_is_in_the_readers_language_beside_its_field(demo_db: WebWorld, language: str) -> None:
    commission = reading(demo_db, "commission", language)
    # Tomorrow in the capital (T1), whose day the rule counts, not the test machine's.
    tomorrow = (dt.datetime.now(ZoneInfo("Asia/Almaty")).date() + dt.timedelta(days=1)).isoformat()
    response = commission.submit(f"/officer/candidacies/{DOCUMENTS_SUBMITTED}/actions/register",
                                 {"version": version(demo_db, DOCUMENTS_SUBMITTED), "number": "R-9",
                                  "decided_on": tomorrow, "confirm": "1"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:2000]
    assert "G2: " in page and WORDS[language]["future"] in page
    assert not [text for text in ENGLISH if text in page]
    assert actions.show_candidacy(demo_db.db, DOCUMENTS_SUBMITTED)["state"] == "documents_submitted", "nothing is written"


# --- the whole page of a failed form, in Kazakh (issue 12, part 4) -----------------------------------

TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)
# What a Kazakh page may show in Latin script: the application's name, the languages' own names in
# the switcher (English is offered as "English"), the open data's format ("JSON API"), the time zone's
# name in the tz database that the footer cites.
MAY_SHOW = {"Registrar", "English", "JSON", "API", "Asia", "Almaty"}
# The names tests/web/conftest.py gives the officers' accounts.
ACCOUNT_NAMES = ("Test Clerk", "Test Commission")


def visible_text(page: str) -> str:
    """The words a reader sees: the page without its tags, scripts and styles, entities decoded."""
    return html.unescape(TAGS.sub(" ", page))


def english_on(page: str, typed: tuple[str, ...] = ()) -> list[str]:
    """The English words on a page, less what was typed into it (the account's name, the form's values)."""
    text = visible_text(page)
    for value in (*typed, *ACCOUNT_NAMES):
        text = text.replace(value, " ")
    return [word for word in english_in(text) if word not in MAY_SHOW]


def test_a_failed_nomination_in_kazakh_shows_no_english_word(demo_db: WebWorld) -> None:
    clerk = reading(demo_db, "clerk", "kk")
    url = f"/officer/elections/{demo.DEMO_ID}/nominate"
    response = clerk.submit(url, {"person.full_name": "", "person.birth_date": "ертең", "person.public_service_months": "көп",
                                  "decision.members": "-3"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:2000]
    assert "Міндетті өріс толтырылмаған." in page
    assert not english_on(page), english_on(page)


def test_a_failed_step_in_kazakh_shows_no_english_word(demo_db: WebWorld) -> None:
    clerk = reading(demo_db, "clerk", "kk")
    response = clerk.submit(f"/officer/candidacies/{NOMINATED}/actions/file_declarations",
                            {"version": version(demo_db, NOMINATED), "declarations.0.filer": "candidate",
                             "declarations.0.filed_on": "32.13.2029"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert WORDS["kk"]["required"] in page
    assert not english_on(page, ("32.13.2029",)), english_on(page, ("32.13.2029",))


def test_the_register_page_says_each_condition_in_kazakh(demo_db: WebWorld) -> None:
    commission = reading(demo_db, "commission", "kk")
    page = commission.get(f"/officer/candidacies/{DOCUMENTS_SUBMITTED}/actions/register").get_data(as_text=True)
    assert "тумысынан Қазақстан Республикасының азаматы" in page and "кемінде 40 жаста" in page
    assert 'class="requirement"' in page and "E1" in page
    assert not english_on(page), english_on(page)


def test_a_forms_choices_are_in_the_readers_words(web_world: WebWorld) -> None:
    """What web/officer.py's choice_label is to read for the choices it has no words for ."""
    from flask_babel import force_locale

    from web import reasons as web_reasons

    with web_world.app.test_request_context():
        with force_locale("kk"):
            assert web_reasons.choice("spouse") == "кандидаттың жұбайы"
            assert web_reasons.choice("confirmed") == "расталды"
            assert web_reasons.choice("no_such_choice") is None
        with force_locale("ru"):
            assert web_reasons.choice("spouse") == "супруг (супруга) кандидата"
            assert web_reasons.choice("higher") == "высшее"
