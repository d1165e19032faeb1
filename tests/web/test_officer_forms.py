"""The officer forms change things: a candidacy walked to registered through the forms, a
failed form keeps its values and links its errors, a stale version is reported, an election
announced with its calendar previewed, a nomination recorded."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from registrar import actions, demo
from registrar.db import Database
from registrar.officer_views import election_calendar
from registrar.rules import for_kind
from tests.demo_copies import build_demo

from .conftest import DEMO_TODAY, WebWorld

ELECTION = "demo-presidential"
NOMINATED = 1  # the demo's first candidacy, nominated


def form_data(payload: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A payload as a browser would post it: dotted names, booleans as "true"/"false", lists repeated."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= form_data(value, f"{name}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, item in enumerate(value):
                out |= form_data(item, f"{name}.{i}.")
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = value if isinstance(value, list) else str(value)
    return out


@pytest.fixture
def demo_db(web_world: WebWorld) -> WebWorld:
    build_demo(web_world.db, DEMO_TODAY)
    return web_world


def version(db: Database, candidacy_id: int) -> int:
    return int(actions.show_candidacy(db, candidacy_id)["version"])


def test_a_candidacy_walks_to_registered_through_the_forms(demo_db: WebWorld) -> None:
    db = demo_db.db
    clerk, commission = demo_db.login_as("clerk"), demo_db.login_as("commission")
    calendar = election_calendar(db, ELECTION)
    rules, today = for_kind("presidential"), dt.date.today()
    for trigger in demo.ROUTES["registered"]:
        client = commission if trigger == "register" else clerk
        for payload in demo.papers(trigger, calendar, rules, today):
            step = payload.pop("_trigger", trigger)
            data = form_data(payload) | {"version": str(version(db, NOMINATED))}
            if step == "register":  # a decision passes "check your answers" first
                check = client.submit(f"/officer/candidacies/{NOMINATED}/actions/{step}", data)
                assert check.status_code == 200 and "Check your answers" in check.get_data(as_text=True)
                data |= {"confirm": "1"}
            response = client.submit(f"/officer/candidacies/{NOMINATED}/actions/{step}", data)
            assert response.status_code == 302, (step, response.get_data(as_text=True)[:2000])

    view = actions.show_candidacy(db, NOMINATED)
    assert view["state"] == "registered" and view["certificate"]
    assert view["history"][-1]["actor"].startswith("user:commission")
    page = clerk.get(f"/officer/candidacies/{NOMINATED}", follow_redirects=True).get_data(as_text=True)
    assert view["certificate"] in page
    certificate = clerk.get(f"/officer/candidacies/{NOMINATED}/certificate").get_data(as_text=True)
    assert view["certificate"] in certificate and f"/candidacies/{NOMINATED}" in certificate


def test_a_failed_form_keeps_the_values_and_links_each_error(demo_db: WebWorld) -> None:
    clerk = demo_db.login_as("clerk")
    data = {"version": str(version(demo_db.db, NOMINATED)), "declarations.0.filer": "candidate",
            "declarations.0.revenue_office": "SRC Astana typed", "declarations.0.filed_on.day": "31",
            "declarations.0.filed_on.month": "2", "declarations.0.filed_on.year": "2026"}  # fmt: skip
    response = clerk.submit(f"/officer/candidacies/{NOMINATED}/actions/file_declarations", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page
    assert 'href="#f-file_declarations-declarations-0-filed_on"' in page
    assert 'id="f-file_declarations-declarations-0-filed_on"' in page, "the summary links to the date's first box"
    assert "Enter a real date" in page
    assert 'value="SRC Astana typed"' in page and 'value="31"' in page and 'value="2026"' in page
    assert '<option value="candidate" selected>' in page
    assert actions.show_candidacy(demo_db.db, NOMINATED)["state"] == "nominated", "nothing is written"


def test_an_unmet_rule_is_shown_with_its_rule_id(demo_db: WebWorld) -> None:
    commission = demo_db.login_as("commission")
    documents_submitted = 4  # the demo's documents are complete, so refuse it for a missing ground
    response = commission.submit(f"/officer/candidacies/{documents_submitted}/actions/refuse",
                                 {"version": str(version(demo_db.db, documents_submitted)), "number": "R-1",
                                  "decided_on": dt.date.today().isoformat()})  # fmt: skip
    assert response.status_code == 422
    assert 'href="#f-refuse-grounds"' in response.get_data(as_text=True)


def test_a_stale_version_is_reported(demo_db: WebWorld) -> None:
    clerk = demo_db.login_as("clerk")
    stale = version(demo_db.db, NOMINATED)
    actions.perform(demo_db.db, NOMINATED, "send_information_request", {"organisation": "Bank", "subject": "accounts"},
                    actor="test")  # fmt: skip
    response = clerk.submit(f"/officer/candidacies/{NOMINATED}/actions/send_information_request",
                            {"version": str(stale), "organisation": "Another bank", "subject": "deposits"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone changed this candidacy" in page and 'href="#f-send_information_request-form"' in page
    assert 'value="Another bank"' in page


def test_announce_an_election_with_a_preview_and_a_milestone(web_world: WebWorld) -> None:
    clerk = web_world.login_as("clerk")
    data = {"id": "kz-2031", "title": "Presidential election 2031", "kind": "presidential",
            "announced_on": "2031-08-24", "election_day": "2031-11-25",
            "resolutions.0.milestone": "registration_closes", "resolutions.0.value": "2031-10-14T18:00",
            "resolutions.0.number": "CEC-7", "resolutions.0.adopted_on": "2031-08-24"}  # fmt: skip
    preview = clerk.submit("/officer/elections/new", data | {"preview": "1"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "CEC resolution CEC-7" in page and 'value="kz-2031"' in page
    assert web_world.client().get("/officer/elections/kz-2031").status_code == 302  # nothing stored yet (log in first)
    assert clerk.get("/officer/elections/kz-2031").status_code == 404

    announced = clerk.submit("/officer/elections/new", data | {"announce": "1"})
    assert announced.status_code == 302 and announced.headers["Location"] == "/officer/elections/kz-2031"
    assert "CEC resolution CEC-7" in clerk.get("/officer/elections/kz-2031").get_data(as_text=True)

    again = clerk.submit("/officer/elections/new", data | {"announce": "1"})
    assert again.status_code == 422 and 'href="#f-id"' in again.get_data(as_text=True)
    bad = clerk.submit("/officer/elections/new", data | {"election_day": "2031-08-01", "announce": "1"})
    assert bad.status_code == 422 and 'href="#f-election_day"' in bad.get_data(as_text=True)


def test_a_nomination_through_the_form(web_world: WebWorld) -> None:
    db, today = web_world.db, dt.date.today()
    demo.announce(db, "kz-open", "Nomination open", today - dt.timedelta(days=5), today + dt.timedelta(days=90), actor="test")
    actions.register_association(db, {"registration_number": "E-1", "name": "Engineers", "kind": "national",
                                      "registered_on": "2001-01-01"}, actor="test")  # fmt: skip
    clerk = web_world.login_as("clerk")
    form = clerk.get("/officer/elections/kz-open/nominate").get_data(as_text=True)
    association = re.findall(r'<option value="(\d+)">Engineers', form)
    assert association, "the associations to choose from"
    payload = {"association_id": association[0], "person": demo.person("Nomina Testova", today + dt.timedelta(days=90)),
               "decision": demo.decision(today - dt.timedelta(days=1))}  # fmt: skip
    response = clerk.submit("/officer/elections/kz-open/nominate", form_data(payload))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert "Nomina Testova" in clerk.get(response.headers["Location"]).get_data(as_text=True)

    again = clerk.submit("/officer/elections/kz-open/nominate", form_data(payload))
    assert again.status_code == 422 and "N5: " in again.get_data(as_text=True), "an unmet rule is shown with its id"
    missing = clerk.submit("/officer/elections/kz-open/nominate", form_data(payload | {"person": {"full_name": "X"}}))
    assert missing.status_code == 422 and 'href="#f-person-birth_date"' in missing.get_data(as_text=True)
    assert 'value="X"' in missing.get_data(as_text=True)


def test_the_commission_sets_a_milestone_and_the_clerk_may_not(demo_db: WebWorld) -> None:
    calendar = election_calendar(demo_db.db, ELECTION)
    later = calendar.local(calendar.voting_opens).replace(hour=8).isoformat()
    data = {"milestone": "voting_opens", "value": later, "number": "CEC-9", "adopted_on": dt.date.today().isoformat()}
    path = f"/officer/elections/{ELECTION}/actions/set_milestone"
    assert demo_db.login_as("clerk").submit(path, data).status_code == 403
    response = demo_db.login_as("commission").submit(path, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
