"""A second election kind through the officers' forms: announced as the kind chosen, nominated by an
association its rules admit, walked to registered on the papers its rules ask for, each form laid out
by the election's rules (tests/data/rules/senate_test.toml; no D4, D5, E3, N6, N7)."""

from __future__ import annotations

import datetime as dt
import re

from registrar import actions, demo, officer_views, rules_in_force
from registrar.db import Database
from registrar.rules import Rules
from tests.kinds import SECOND_KIND, second_kind_fixture  # noqa: F401 - the fixture

from .conftest import WebWorld
from .test_officer_forms import form_data

ELECTION = "st-web"


def _version(db: Database, candidacy_id: int) -> str:
    return str(actions.show_candidacy(db, candidacy_id)["version"])


def test_a_second_kind_is_announced_nominated_and_registered_through_the_forms(web_world: WebWorld, second_kind: Rules) -> None:
    db, today = web_world.db, dt.date.today()
    clerk, commission = web_world.login_as("clerk"), web_world.login_as("commission")

    # The new-election form offers every kind installed by its title, and chooses none of two.
    form = clerk.get("/officer/elections/new").get_data(as_text=True)
    assert f'<option value="{SECOND_KIND}">Test election kind (not a law)</option>' in form
    assert re.search(r'<option value="presidential">Election of the President', form)
    assert "selected" not in re.search(r'<select[^>]*name="kind".*?</select>', form, re.S).group(0)  # type: ignore[union-attr]
    unchosen = clerk.submit("/officer/elections/new", {"id": ELECTION, "title": "x", "announced_on": "2031-01-01",
                                                       "election_day": "2031-05-01", "announce": "1"})  # fmt: skip
    assert unchosen.status_code == 422 and 'href="#f-kind"' in unchosen.get_data(as_text=True)

    # Nomination open for ten more days; the CEC opened registration yesterday (V1), so both are open now.
    announced = clerk.submit("/officer/elections/new", {
        "id": ELECTION, "title": "Test election (web)", "kind": SECOND_KIND, "announce": "1",
        "announced_on": (today - dt.timedelta(days=10)).isoformat(), "election_day": (today + dt.timedelta(days=40)).isoformat(),
        "resolutions.0.milestone": "registration_opens", "resolutions.0.value": f"{today - dt.timedelta(days=1)}T09:00",
        "resolutions.0.number": "CEC-1", "resolutions.0.adopted_on": (today - dt.timedelta(days=10)).isoformat()})  # fmt: skip
    assert announced.status_code == 302, announced.get_data(as_text=True)[:3000]
    page = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    version = rules_in_force.in_force(SECOND_KIND)
    assert f"Test election kind (not a law), version {version.short}" in page
    assert f"/officer/elections/{ELECTION}/actions/set_milestone" in page
    assert "/actions/extend_nomination" not in page and "/actions/record_voter_count" not in page  # no N7, no D4

    # N1: a regional association nominates in this kind (a presidential form would not offer it).
    regional = actions.register_association(db, {"registration_number": "R-9", "name": "Regional Nominators",
                                                 "kind": "regional", "registered_on": "2001-01-01"}, actor="test")  # fmt: skip
    nomination = clerk.get(f"/officer/elections/{ELECTION}/nominate").get_data(as_text=True)
    assert f'<option value="{regional}">Regional Nominators' in nomination
    election_day = today + dt.timedelta(days=40)
    born, resident = election_day.replace(year=election_day.year - 30), election_day.replace(year=election_day.year - 11)
    payload = {"association_id": regional, "decision": demo.decision(today - dt.timedelta(days=1), members=120, votes_for=60),
               "person": demo.person("Second Kind Nominee", election_day, birth_date=born.isoformat(),
                                     resident_since=resident.isoformat(), public_service_months=0)}  # fmt: skip
    nominated = clerk.submit(f"/officer/elections/{ELECTION}/nominate", form_data(payload))
    assert nominated.status_code == 302, nominated.get_data(as_text=True)[:3000]
    candidacy = int(nominated.headers["Location"].rsplit("/", 1)[1])

    # The candidacy's forms follow its rules: one declaration (D1: the candidate), no signatures, contribution or language.
    page = clerk.get(f"/officer/candidacies/{candidacy}").get_data(as_text=True)
    step = clerk.get(f"/officer/candidacies/{candidacy}/actions/file_declarations").get_data(as_text=True)
    assert 'name="declarations.0.filer"' in step and 'name="declarations.1.filer"' not in step
    assert 'name="declarations.0.filer"' not in page, "the candidacy's page is its task list: each step a page of its own"
    assert f"Test election kind (not a law), version {version.short}" in page
    calendar, rules = officer_views.election_calendar(db, ELECTION), second_kind
    for trigger in demo.ROUTES["registered"]:
        client = commission if trigger == "register" else clerk
        for papers in demo.papers(trigger, calendar, rules, today):
            step = papers.pop("_trigger", trigger)
            response = client.submit(f"/officer/candidacies/{candidacy}/actions/{step}",
                                     form_data(papers) | {"version": _version(db, candidacy), "confirm": "1"})  # fmt: skip
            assert response.status_code == 302, (step, response.get_data(as_text=True)[:3000])
        if trigger == "start_medical_check":
            shown = clerk.get(f"/officer/candidacies/{candidacy}").get_data(as_text=True)
            for absent in ("record_signature_protocol", "record_contribution", "record_language_conclusion"):
                assert f"/actions/{absent}" not in shown, absent
            assert f"/officer/candidacies/{candidacy}/actions/record_document" in shown
    view = actions.show_candidacy(db, candidacy)
    assert view["state"] == "registered" and view["certificate"] == "ST-WEB-001"
    assert set(view["documents"]) == {"consent", "biography", "declaration_certificates", "medical_conclusion"}
    assert view["history"][-1]["actor"].startswith("user:commission")
    # G2: the public list of this kind has its columns, the name and the year of birth.
    listed = web_world.client().get(f"/elections/{ELECTION}/candidates.csv").get_data(as_text=True)
    assert listed == f"\ufefffull_name,birth_year\r\nSecond Kind Nominee,{born.year}\r\n"
