"""The public reads the published list in Kazakh and in Russian, in a real browser, without logging in."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from registrar import demo, public
from tests.e2e.conftest import Site


def _switch(page: Any, language: str) -> None:
    page.click(f"nav.language a[hreflang={language}]")


def test_the_published_list_reads_in_kazakh_and_in_russian(site: Site, page: Any) -> None:
    registered = [line.candidate.full_name for line in public.published_list(site.db, demo.DEMO_ID)]
    assert registered, "the demo has registered candidates"

    page.goto(f"{site.url}/")
    page.click(f"a[href='/elections/{demo.DEMO_ID}']")
    _switch(page, "kk")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.get_by_role("heading", name="Тіркелген кандидаттардың жарияланған тізімі")).to_be_visible()
    for name in registered:
        expect(page.get_by_text(name).first).to_be_visible()
    site.shot(page, "election-kk")

    _switch(page, "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", name="Опубликованный список зарегистрированных кандидатов")).to_be_visible()
    for name in registered:
        expect(page.get_by_text(name).first).to_be_visible()
    site.shot(page, "election-ru")


def test_a_status_page_shows_the_state_and_the_diagram_without_javascript(site: Site, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    line = public.published_list(site.db, demo.DEMO_ID)[0]
    page.goto(f"{site.url}/candidacies/{line.candidacy_id}")
    expect(page.locator("body")).to_contain_text(line.candidate.full_name)
    expect(page.locator("[aria-current=step]")).to_have_count(1)  # the current state, highlighted without JavaScript
    site.shot(page, "candidacy-status")
    context.close()
