"""Days, times and numbers in one style per language (Babel): the CEC's official Kazakh date,
the Russian and English ones, the 24-hour clock, and a period that ends with a day written as
24:00 of that day (T2), never as 00:00 of the next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask, render_template_string, session

from registrar.db import Database
from registrar.settings import Settings
from web import create_app
from web.words import clock, count, day, deadline_moment, moment, percent

SEPTEMBER_16 = dt.date(2026, 9, 16)
# 18:00 in Astana (UTC+05:00) and the midnight that ends 15 September there.
SIX_PM = dt.datetime(2026, 9, 16, 13, 0, tzinfo=dt.UTC)
END_OF_15TH = dt.datetime(2026, 9, 15, 19, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app(Settings(), Database("sqlite://"), TESTING=True, SECRET_KEY="test")


@pytest.fixture(params=["kk", "ru", "en"])
def language(app: Flask, request: pytest.FixtureRequest) -> Iterator[str]:
    with app.test_request_context("/"):
        session["language"] = request.param
        yield request.param


DAYS = {"kk": "2026 жылғы 16 қыркүйек", "ru": "16 сентября 2026 г.", "en": "16 September 2026"}


def test_a_day_is_written_in_the_languages_one_style(language: str) -> None:
    """Kazakh as the CEC's resolutions write it: the year, "жылғы", the day, the month in lower case."""
    assert day(SEPTEMBER_16) == DAYS[language]
    assert day("2026-09-16") == DAYS[language]
    assert day(None) == "" and day("") == ""


def test_an_instants_day_is_its_day_in_astana(language: str) -> None:
    """T1: 20:00 UTC on the 15th is already the 16th in local time."""
    assert day(dt.datetime(2026, 9, 15, 20, 0, tzinfo=dt.UTC)) == DAYS[language]
    assert day("2026-09-15T20:00:00+00:00") == DAYS[language]


def test_a_moment_is_the_local_day_and_24_hour_time_with_its_offset(language: str) -> None:
    assert moment(SIX_PM) == f"{DAYS[language]}, 18:00 (UTC+05:00)"
    assert moment(SIX_PM, offset=False) == f"{DAYS[language]}, 18:00"
    assert clock(SIX_PM) == "18:00" and clock(dt.time(7, 0)) == "07:00"
    assert moment(dt.datetime(2026, 9, 16, 13, 0)) == moment(SIX_PM), "a naive instant is UTC, as stored"


def test_a_beginning_at_midnight_is_00_00_of_its_day(language: str) -> None:
    assert moment(END_OF_15TH) == f"{DAYS[language]}, 00:00 (UTC+05:00)"


@pytest.mark.parametrize(
    ("language_", "expected"),
    [
        ("kk", "2026 жылғы 15 қыркүйек, сағат 24:00-ге дейін (UTC+05:00)"),
        ("ru", "до 24:00 15 сентября 2026 г. (UTC+05:00)"),
        ("en", "by 24:00 on 15 September 2026 (UTC+05:00)"),
    ],
)
def test_a_deadline_at_midnight_is_24_00_of_the_day_before(app: Flask, language_: str, expected: str) -> None:
    """T2: a period ending with the 15th ends at 24:00 on the 15th, which is 00:00 on the 16th."""
    with app.test_request_context("/"):
        session["language"] = language_
        assert deadline_moment(END_OF_15TH) == expected
        assert moment(END_OF_15TH, ends=True).endswith(", 24:00 (UTC+05:00)")
        assert clock(END_OF_15TH, ends=True) == "24:00" and clock(dt.time(0, 0), ends=True) == "24:00"


def test_a_deadline_at_another_hour_is_that_hour_of_its_own_day(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert deadline_moment(SIX_PM) == "by 18:00 on 16 September 2026 (UTC+05:00)"
        assert deadline_moment(SIX_PM, offset=False) == "by 18:00 on 16 September 2026"
        assert deadline_moment(None) == ""


@pytest.mark.parametrize(
    ("language_", "votes", "share"),
    [("kk", "12\xa0100\xa0000", "51,23%"), ("ru", "12\xa0100\xa0000", "51,23%"), ("en", "12,100,000", "51.23%")],
)
def test_numbers_are_grouped_and_shares_written_as_the_language_does(app: Flask, language_: str, votes: str, share: str) -> None:
    with app.test_request_context("/"):
        session["language"] = language_
        assert count(12_100_000) == votes
        assert percent("51.23") == share
        assert percent("0.10") == ("0.10%" if language_ == "en" else "0,10%"), "the hundredths are kept"


def test_the_templates_filters_write_the_same_words(language: str) -> None:
    """``dateformat`` and ``local_time`` (the older names) write the one style too."""
    page = render_template_string(
        "{{ d|day }}|{{ d|dateformat }}|{{ t|moment }}|{{ t|local_time }}|{{ e|deadline_moment(offset=False) }}",
        d=SEPTEMBER_16, t=SIX_PM, e=SIX_PM,
    )  # fmt: skip
    one, two, three, four, five = page.split("|")
    assert one == two == DAYS[language]
    assert three == four == f"{DAYS[language]}, 18:00 (UTC+05:00)"
    assert "18:00" in five and DAYS[language] in five
