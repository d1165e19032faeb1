"""An officer's day in a real browser: log in, announce an election, nominate, walk a candidacy to
registered through its task list (each step a page of its own, the registration through "check your
answers"), see a deadline on the dashboard; a failed form keeps its values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from registrar import actions, demo, public
from registrar.officer_views import election_calendar
from registrar.rules import for_kind
from tests.e2e.conftest import Site
from tests.web.test_officer_forms import form_data

NOMINATED = 1  # the demo's first candidacy, nominated and nothing more


def log_in(page: Any, site: Site, role: str) -> None:
    page.goto(f"{site.url}/login")
    page.fill("[name=login]", f"demo-{role}")
    page.fill("[name=password]", site.password)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("form[action='/logout']")).to_be_visible()


def log_out(page: Any) -> None:
    page.click("form[action='/logout'] button[type=submit]")


def open_action(page: Any, trigger: str) -> str:
    """Open the step's page from the task list, as an officer clicks its title; returns the form's selector."""
    page.click(f".task-list a[href$='/actions/{trigger}']")
    return "form.question"


def fill(page: Any, form: str, data: dict[str, Any]) -> None:
    """Type a payload into a form as an officer would: text, dates (day, month, year), choices, yes/no, boxes to tick."""
    for name, value in data.items():
        if page.locator(f"{form} [name='{name}.day']").count():
            day = dt.date.fromisoformat(str(value))
            for part in ("day", "month", "year"):
                page.fill(f"{form} [name='{name}.{part}']", str(getattr(day, part)))
            continue
        field = page.locator(f"{form} [name='{name}']")
        kind = field.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind.startswith("select"):
            field.select_option(str(value))
        elif kind in ("input:radio", "input:checkbox"):
            for option in value if isinstance(value, list) else [value]:
                page.check(f"{form} [name='{name}'][value='{option}']")
        else:
            field.fill(str(value))


def test_an_officer_walks_a_candidacy_to_registered_in_the_browser(site: Site, page: Any) -> None:
    page.set_extra_http_headers({"Accept-Language": "en"})
    log_in(page, site, "commission")

    # Announce an election, its calendar previewed first.
    page.goto(f"{site.url}/officer/elections/new")
    form = "form[action='/officer/elections/new']"
    fill(page, form, {"id": "kz-e2e", "titles.kk": "Президент сайлауы (браузер сынағы)",
                      "titles.ru": "Выборы Президента (проверка в браузере)", "announced_on": "2031-08-24",
                      "election_day": "2031-11-25"})  # fmt: skip
    page.click(f"{form} button[name=preview]")
    expect(page.locator("body")).to_contain_text("2031")
    expect(page.locator(f"{form} [name=id]")).to_have_value("kz-e2e")
    page.click(f"{form} button[name=announce]")
    expect(page).to_have_url(f"{site.url}/officer/elections/kz-e2e")
    log_out(page)

    # The clerk records each step of the demo's nominated candidacy through its forms.
    calendar, rules, today = election_calendar(site.db, demo.DEMO_ID), for_kind("presidential"), dt.date.today()
    for trigger in demo.ROUTES["registered"]:
        role = "commission" if trigger == "register" else "clerk"
        log_in(page, site, role)
        for payload in demo.papers(trigger, calendar, rules, today):
            step = payload.pop("_trigger", trigger)
            page.goto(f"{site.url}/officer/candidacies/{NOMINATED}")
            form = open_action(page, step)
            fill(page, form, form_data(payload))
            page.click(f"{form} button[type=submit]")
            expect(page.locator(".error-summary")).to_have_count(0)
            if step == "register":  # a decision: its answers are checked, then confirmed
                page.click("form.check-answers button[name=confirm]")
                expect(page.locator(".error-summary")).to_have_count(0)
        if trigger == "register":
            site.shot(page, "officer-candidacy")
        log_out(page)
    assert actions.show_candidacy(site.db, NOMINATED)["state"] == "registered"

    # The commission's dashboard lists what falls due; the public list now names the candidate.
    log_in(page, site, "commission")
    page.goto(f"{site.url}/officer/")
    expect(page.locator("main")).to_contain_text("G1")  # registration closes (G1): due within days in the demo
    site.shot(page, "officer-dashboard")
    log_out(page)
    registered = [line.candidate.full_name for line in public.published_list(site.db, demo.DEMO_ID)]
    page.goto(f"{site.url}/elections/{demo.DEMO_ID}")
    expect(page.locator("body")).to_contain_text(registered[0])


def test_a_failed_form_keeps_what_was_typed_and_says_what_to_fix(site: Site, page: Any) -> None:
    page.set_extra_http_headers({"Accept-Language": "en"})
    log_in(page, site, "clerk")
    page.goto(f"{site.url}/officer/candidacies/2")
    form = open_action(page, "send_information_request")
    fill(page, form, {"organisation": "Halyk Bank"})  # the subject is left out
    page.click(f"{form} button[type=submit]")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href$='-subject']")).to_have_count(1)
    expect(page.locator("form.question [name=organisation]")).to_have_value("Halyk Bank")
    site.shot(page, "failed-form")
