"""The court's day in a real browser: log in, find the appeal whose ten days have run out at the top
of the appeals register, open the ruling from there and dismiss the appeal through the candidacy's
form (checked, then confirmed); the register and the public list then show the judgment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from registrar import actions, demo
from registrar.models import Candidacy
from registrar.rules import for_kind
from tests.e2e.conftest import Site
from tests.e2e.test_officer_in_a_browser import fill, log_in


def test_the_court_finds_an_overdue_appeal_on_the_register_and_dismisses_it(site: Site, page: Any) -> None:
    with site.db.reading() as session:
        appealed = session.scalar(select(Candidacy.id).where(Candidacy.election_id == demo.DEMO_ID,
                                                             Candidacy.state == "appealed"))  # fmt: skip
    assert appealed is not None, "the demo has a candidacy before the Supreme Court"
    page.set_extra_http_headers({"Accept-Language": "en"})
    log_in(page, site, "court")
    page.click("nav.officer a[href='/officer/appeals']")
    top = page.locator("table.appeals tbody tr").first
    expect(top).to_have_class("appeal appeal-pending overdue")  # the demo's appeal is past the court's 10 days
    expect(top).to_contain_text("overdue by")
    site.shot(page, "appeals-register")

    top.locator("a.decide[href$='/actions/dismiss_appeal']").click()
    expect(page).to_have_url(f"{site.url}/officer/candidacies/{appealed}/actions/dismiss_appeal")
    today = dt.datetime.now(for_kind("presidential").zone).date()  # the court's day in Kazakhstan
    fill(page, "form.question", {"number": "SC-E2E/1", "decided_on": today.isoformat()})
    page.click("form.question button[type=submit]")
    if page.locator("form.check-answers").count():  # an irreversible ruling: its answers are checked first
        page.click("form.check-answers button[name=confirm]")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page).to_have_url(f"{site.url}/officer/candidacies/{appealed}")
    assert actions.show_candidacy(site.db, appealed)["state"] == "refused_final"

    page.goto(f"{site.url}/officer/appeals")
    ruled = page.locator("table.appeals tbody tr", has_text="SC-E2E/1")
    expect(ruled).to_contain_text("appeal dismissed")
    expect(page.locator("table.appeals tbody tr.overdue")).to_have_count(0)
    page.goto(f"{site.url}/elections/{demo.DEMO_ID}/appeals")
    expect(page.locator("main")).to_contain_text("SC-E2E/1")
