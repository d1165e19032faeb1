"""A failed form in Kazakh and Russian says its field errors and the law's unmet rules in that
language: the catalogues' words (registrar/config/messages), not marshmallow's or the domain's English."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from registrar import actions
from tests.demo_copies import build_demo

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
