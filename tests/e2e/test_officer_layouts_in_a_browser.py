"""Every officer's pages fit a phone: signed in as each demo role, on a 390 px wide screen, the
dashboard, a candidacy's task list, a step's page, the election (before the vote and after it), an
election's step, the candidacies list and the appeals register scroll only up and down; a table
wider than the screen scrolls inside its own container."""

from __future__ import annotations

from typing import Any

import pytest

from registrar import demo, demo_results
from registrar.roles import officer_roles
from tests.e2e.conftest import Site
from tests.e2e.test_layouts_in_a_browser import PHONE

REGISTERED = 1  # the demo's first candidacy: registered, with steps left for several roles


def _pages(page: Any, site: Site) -> dict[str, str]:
    pages = {
        "dashboard": "/officer/",
        "candidacy (task list)": f"/officer/candidacies/{REGISTERED}",
        "election": f"/officer/elections/{demo.DEMO_ID}",
        "election after the vote": f"/officer/elections/{demo_results.CONCLUDED_ID}",
        "candidacies list": f"/officer/elections/{demo.DEMO_ID}/candidacies",
        "appeals register": "/officer/appeals",
        "an election's appeals": f"/officer/elections/{demo.DEMO_ID}/appeals",
        "search": "/officer/search?q=а",
    }
    # The role's own steps: the first it may open on the candidacy and on the elections, if any.
    for name, path, links in (("step", pages["candidacy (task list)"], ".task-list a"),
                              ("election's step", pages["election"], ".task-list a"),
                              ("decision", pages["election after the vote"], ".task-list a")):  # fmt: skip
        page.goto(f"{site.url}{path}")
        found = page.locator(links)
        if found.count():
            pages[name] = str(found.first.get_attribute("href"))
    return pages


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("role", officer_roles())
def test_every_officer_page_fits_a_390_px_screen(site: Site, browser: Any, role: str, language: str) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site.url}/language/{language}?next=/login")
    page.fill("[name=login]", f"demo-{role}")
    page.fill("[name=password]", site.password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_selector("form[action='/logout']")
    too_wide, failed = {}, {}
    for name, path in _pages(page, site).items():
        response = page.goto(f"{site.url}{path}")
        if response is None or response.status != 200:
            failed[name] = (path, response.status if response else None)
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[name] = (path, width)
    context.close()
    assert not failed, f"pages that did not open ({role}, {language}): {failed}"
    assert not too_wide, f"wider than {PHONE['width']} px ({role}, {language}): {too_wide}"
