"""The commission registers a candidacy in Chromium through its task list and "check your answers":
a failed submit takes the focus to the error summary; the answers are shown with a way to change
each, which leads back to the input with the focus in it; nothing is decided before the confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from registrar import actions
from tests.e2e.conftest import Site
from tests.e2e.test_officer_in_a_browser import log_in

DOCUMENTS_SUBMITTED = 4  # the demo's Yerlan Tulegenov: every paper in, the CEC to decide


def test_the_commission_registers_through_check_your_answers(site: Site, page: Any) -> None:
    page.set_extra_http_headers({"Accept-Language": "en"})
    log_in(page, site, "commission")
    page.goto(f"{site.url}/officer/candidacies/{DOCUMENTS_SUBMITTED}")
    page.click(".task-list a[href$='/actions/register']")
    expect(page.locator("h1")).to_contain_text("Register the candidate")
    expect(page.locator("ul.conditions")).to_contain_text("E2")

    # A failed submit: the summary takes the focus, the title says "Error", what was typed stays.
    page.fill("form.question [name=number]", "CEC-77/3")
    page.click("form.question button[type=submit]")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    expect(page.locator("form.question [name=number]")).to_have_value("CEC-77/3")

    today = dt.date.today()
    for part in ("day", "month", "year"):
        page.fill(f"form.question [name='decided_on.{part}']", str(getattr(today, part)))
    page.click("form.question button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Check your answers")
    expect(page.locator("dl.summary-list")).to_contain_text("CEC-77/3")
    assert actions.show_candidacy(site.db, DOCUMENTS_SUBMITTED)["state"] == "documents_submitted", "not before confirm"

    # Change the number, come back to the check page, confirm.
    page.click("dl.summary-list button[name=change][value=number]")
    expect(page.locator("form.question [name=number]")).to_be_focused()  # the "Change" leads to the input itself
    assert page.url.endswith("#f-register-number")
    page.fill("form.question [name=number]", "CEC-77/4")
    page.click("form.question button[type=submit]")
    expect(page.locator("dl.summary-list")).to_contain_text("CEC-77/4")
    site.shot(page, "check-your-answers")
    page.click("form.check-answers button[name=confirm]")
    expect(page.locator(".flash")).to_be_visible()
    assert actions.show_candidacy(site.db, DOCUMENTS_SUBMITTED)["state"] == "registered"
    expect(page.locator(".task-list")).to_contain_text("Done")
