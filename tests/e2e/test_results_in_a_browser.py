"""The public reads an election's results in a real browser: each round's chart, drawn by the
server as SVG and shown without JavaScript, and the President registered (V4, V5, V7)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from registrar import demo_results, results
from tests.e2e.conftest import Site


def test_the_concluded_demo_elections_results_read_without_javascript(site: Site, browser: Any) -> None:
    view = results.results(site.db, demo_results.CONCLUDED_ID)
    first, second = view["rounds"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site.url}/language/en?next=/elections/{demo_results.CONCLUDED_ID}/results")
    expect(page.get_by_role("heading", name="Results of the election")).to_be_visible()
    for number, round_ in ((1, first), (2, second)):
        section = page.locator(f"#round-{number}")
        chart = section.locator("figure.chart svg")
        expect(chart).to_be_visible()
        # One bar per candidate on the round's ballot and one for "against all", each labelled with its share.
        expect(chart.locator("[aria-label]")).to_have_count(len(round_["candidates"]) + 1)
        leader = round_["candidates"][0]
        expect(chart).to_contain_text(f"{leader['percent']}%")
        expect(section.locator("table.units tbody tr")).to_have_count(20)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 40, box
    expect(page.locator("body")).to_contain_text(view["president"]["full_name"])
    site.shot(page, "results")
    context.close()


def test_a_clerk_sees_every_protocol_of_the_concluded_election_in_its_history(site: Site, page: Any) -> None:
    """V3: the corrected protocol shows both versions to an officer."""
    corrected = next(p for p in results.protocols(site.db, demo_results.CONCLUDED_ID, 1) if p["version"] == 2)
    page.goto(f"{site.url}/login")
    page.fill("[name=login]", "demo-clerk")
    page.fill("[name=password]", site.password)
    page.click("form[action='/login'] button[type=submit]")
    page.goto(f"{site.url}/language/en?next=/officer/elections/{demo_results.CONCLUDED_ID}/protocols/1/{corrected['unit']}")
    expect(page.locator("body")).to_contain_text(demo_results.CORRECTION_REASON)
    expect(page.locator("body")).to_contain_text(str(corrected["votes"][next(iter(corrected["votes"]))]))
