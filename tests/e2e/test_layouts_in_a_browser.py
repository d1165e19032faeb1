"""Every public page fits a phone: on a 390 px wide screen nothing scrolls sideways; a table
wider than the screen scrolls inside its own container, which a keyboard can reach."""

from __future__ import annotations

from typing import Any

import pytest

from registrar import demo, demo_results, public
from tests.e2e.conftest import Site

PHONE = {"width": 390, "height": 844}


def _public_pages(site: Site) -> dict[str, str]:
    listed = public.published_list(site.db, demo.DEMO_ID)
    concluded = public.results(site.db, demo_results.CONCLUDED_ID)
    president = concluded.president
    assert listed and president is not None, "the demo has a published list and a President"
    return {
        "elections list": "/",
        "election (with its timeline)": f"/elections/{demo.DEMO_ID}",
        "concluded election (timeline after the vote)": f"/elections/{demo_results.CONCLUDED_ID}",
        "candidates list": f"/elections/{demo.DEMO_ID}/candidates",
        "candidacy": f"/candidacies/{listed[0].candidacy_id}",
        "candidacy of the President": f"/candidacies/{president.candidacy_id}",
        "results": f"/elections/{demo_results.CONCLUDED_ID}/results",
        "appeals": f"/elections/{demo.DEMO_ID}/appeals",
        "not found": "/elections/no-such-election",
    }


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_public_page_fits_a_390_px_screen(site: Site, browser: Any, language: str) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=True)
    page = context.new_page()
    page.goto(f"{site.url}/language/{language}?next=/")
    too_wide = {}
    for name, path in _public_pages(site).items():
        response = page.goto(f"{site.url}{path}")
        assert response is not None and response.status == (404 if name == "not found" else 200), (name, response)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[name] = width
    context.close()
    assert not too_wide, f"wider than {PHONE['width']} px ({language}): {too_wide}"


def test_a_wide_table_scrolls_in_its_labelled_container_that_a_keyboard_reaches(site: Site, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site.url}/language/en?next=/elections/{demo_results.CONCLUDED_ID}/results")
    scrollers = page.locator(".scroll")
    assert scrollers.count() > 0
    first = scrollers.first
    assert first.get_attribute("tabindex") == "0" and first.get_attribute("role") == "region"
    assert first.get_attribute("aria-label") or first.get_attribute("aria-labelledby")
    first.focus()
    assert page.evaluate("document.activeElement.classList.contains('scroll')")
    context.close()
