"""The officers' pages on one demo election (read-only here): who sees which page, and the role
matrix: every role against every endpoint that changes something."""

from __future__ import annotations

import re

import pytest

from registrar import demo, roles, rules_in_force
from registrar.machines import ELECTION_TRIGGERS, TRIGGERS
from registrar.models import Election
from registrar.settings import Settings

from .conftest import WebWorld

ALL_ROLES = roles.ROLES  # public, clerk, commission, revenue, court, auditor, admin
OFFICERS = roles.ACCOUNT_ROLES
ELECTION = demo.DEMO_ID
REGISTERED = 5  # the demo's first registered candidate
NOMINATED = 1


@pytest.fixture(scope="module")
def world(demo_world: WebWorld) -> WebWorld:
    return demo_world


# --- Pages: officers see them, the public is sent to log in ---------------------------------

PAGES = {
    "/officer/": OFFICERS,
    f"/officer/candidacies/{NOMINATED}": OFFICERS,
    f"/officer/candidacies/{REGISTERED}/certificate": OFFICERS,
    f"/officer/elections/{ELECTION}": OFFICERS,
    "/officer/appeals": OFFICERS,
    "/officer/inbox": OFFICERS,
    "/officer/elections/new": roles.roles_for("announce_election"),
    f"/officer/elections/{ELECTION}/nominate": roles.roles_for("nominate"),
    "/officer/audit": roles.roles_for("read_audit"),
    f"/officer/elections/{ELECTION}/protocols/new": roles.roles_for("submit_protocol"),
    f"/officer/elections/{ELECTION}/protocols/1/ABA": OFFICERS,
}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_for_each_role(world: WebWorld, role: str, path: str) -> None:
    response = world.as_role(role).get(path)
    if role == "public":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    elif role in PAGES[path]:
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == 403
        assert "Your role may not" in response.get_data(as_text=True)


def test_the_dashboard_shows_deadlines_with_countdowns_and_the_waiting_candidacies(world: WebWorld) -> None:
    page = world.as_role("commission").get("/officer/").get_data(as_text=True)
    assert "close of registration" in page, "the demo's registration closes within three days"
    assert re.search(r"in \d+ (days?|hours?)", page), "a countdown to the cut-off"
    assert demo.named("documents_submitted") in page, "documents submitted: waiting for the commission's decision"
    assert demo.named("nominated") not in page, "a nominated candidacy waits for the clerk, not the commission"
    clerk = world.as_role("clerk").get("/officer/").get_data(as_text=True)
    assert demo.named("nominated") in clerk


def test_the_dashboard_filters_by_kind_and_election(world: WebWorld) -> None:
    client = world.as_role("auditor")
    page = client.get("/officer/?kind=declaration_verification&scope=all").get_data(as_text=True)
    assert "close of registration</td>" not in page
    none = client.get("/officer/?election=no-such-election&scope=all").get_data(as_text=True)
    assert "Nothing is overdue or due in the next three days." in none


def test_the_candidacy_page_offers_only_the_roles_allowed_actions(world: WebWorld) -> None:
    clerk = world.as_role("clerk").get(f"/officer/candidacies/{NOMINATED}").get_data(as_text=True)
    assert f"/officer/candidacies/{NOMINATED}/actions/file_declarations" in clerk
    assert "/actions/register" not in clerk
    assert 'name="version"' in world.as_role("clerk").get(f"/officer/candidacies/{NOMINATED}/actions/file_declarations").get_data(
        as_text=True
    ), "each step is a page of its own"
    assert "consent" in clerk and "History" in clerk
    commission = world.as_role("commission").get(f"/officer/candidacies/{NOMINATED}").get_data(as_text=True)
    assert "/actions/file_declarations" not in commission
    assert "/actions/refuse" in commission, "the CEC may refuse before the documents are complete"
    auditor = world.as_role("auditor").get(f"/officer/candidacies/{NOMINATED}").get_data(as_text=True)
    assert "/actions/" not in auditor


def test_the_election_and_candidacy_pages_name_the_rules_version_the_election_follows(world: WebWorld) -> None:
    version = rules_in_force.in_force("presidential")
    with world.db.reading() as session:
        election = session.get(Election, ELECTION)
        assert election is not None and election.rules_sha256 == version.sha256
        announced = election.announced_on.isoformat()
    said = f"{version.title}, version {version.sha256[:12]}, in force when the election was announced on {announced}"
    for path in (f"/officer/elections/{ELECTION}", f"/officer/candidacies/{NOMINATED}"):
        page = world.as_role("auditor").get(path).get_data(as_text=True)
        assert said in page and f'title="SHA-256 {version.sha256}"' in page, path
    kazakh = world.as_role("auditor")
    kazakh.get("/language/kk")
    page = kazakh.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert f"{version.sha256[:12]} нұсқасы: сайлау {announced} тағайындалған күні қолданыста болған" in page


def test_the_certificate_has_its_number_and_verification_address(world: WebWorld) -> None:
    page = world.as_role("clerk").get(f"/officer/candidacies/{REGISTERED}/certificate").get_data(as_text=True)
    assert "DEMO-PRESIDENTIAL-0" in page
    assert f"{Settings().public_url}/candidacies/{REGISTERED}" in page, "verified at the public address, not the request's host"
    assert world.as_role("clerk").get(f"/officer/candidacies/{NOMINATED}/certificate").status_code == 404


def test_appeals_and_inbox(world: WebWorld) -> None:
    appeals = world.as_role("court").get("/officer/appeals").get_data(as_text=True)
    assert demo.named("appealed") in appeals and "court" in appeals.lower()
    inbox = world.as_role("clerk").get("/officer/inbox").get_data(as_text=True)
    assert "/officer/candidacies/" in inbox


def test_unknown_candidacies_and_elections_are_404(world: WebWorld) -> None:
    client = world.as_role("commission")
    assert client.get("/officer/candidacies/999999").status_code == 404
    assert client.get("/officer/elections/no-such").status_code == 404
    assert client.submit("/officer/candidacies/999999/actions/register", {"version": "1"}).status_code == 404


# --- The role matrix: every role against every change endpoint --------------------------------

CHANGES = [(f"/officer/candidacies/{NOMINATED}/actions/{t}", t) for t in TRIGGERS] + [
    (f"/officer/elections/{ELECTION}/nominate", "nominate"),
    ("/officer/elections/new", "announce_election"),
    *[(f"/officer/elections/{ELECTION}/actions/{a}", a) for a in ("set_milestone", "extend_nomination", "record_voter_count")],
    # After the vote (V3-V7): the demo is before it, so a role that may is refused by the domain.
    (f"/officer/elections/{ELECTION}/protocols/new", "submit_protocol"),
    (f"/officer/elections/{ELECTION}/protocols/1/ABA", "correct_protocol"),
    *[(f"/officer/elections/{ELECTION}/decisions/{t}", t) for t in ELECTION_TRIGGERS],
]


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("path", "action"), CHANGES, ids=[a for _, a in CHANGES])
def test_role_matrix(world: WebWorld, role: str, path: str, action: str) -> None:
    # No version and no payload: a role that may is refused by the domain (stale version or
    # invalid payload), so nothing in the shared demo changes; a role that may not never gets that far.
    response = world.as_role(role).submit(path, {})
    if role == "public":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif roles.may(role, action):
        assert response.status_code in (409, 422), response.get_data(as_text=True)[:300]
        assert "There is a problem" in response.get_data(as_text=True)
    else:
        assert response.status_code == 403


def test_every_change_endpoint_refuses_a_post_without_its_csrf_token(world: WebWorld) -> None:
    client = world.as_role("commission")
    for path, _action in CHANGES:
        assert client.post(path, data={"version": "1"}).status_code == 400, path
    assert client.post("/officer/feed-token").status_code == 400


# --- The deadlines feed ------------------------------------------------------------------------


def test_deadlines_feed_by_feed_token(world: WebWorld) -> None:
    client = world.login_as("commission")
    page = client.submit("/officer/feed-token").get_data(as_text=True)
    found = re.search(r'value="(http://localhost/officer/deadlines\.ics\?token=[^"]+)"', page)
    assert found, page
    feed = world.client().get(found.group(1).replace("http://localhost", ""))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert "BEGIN:VCALENDAR" in body and "BEGIN:VEVENT" in body and "close of registration (G1)" in body
    assert world.client().get("/officer/deadlines.ics?token=wrong").status_code == 403
    api_token = world.token_for("commission")
    assert world.client().get(f"/officer/deadlines.ics?token={api_token}").status_code == 403, "an API token is not a feed token"
