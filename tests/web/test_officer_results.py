"""Officers work an election after the vote through the forms (issue 5): the clerk records the
territorial commissions' protocols (V3) and corrects one; the commission establishes the results
(V4), calls the second round (V5), declares the election void and calls a re-run (V6); the role
matrix of the new endpoints; a stale election version; record_death (D5) offered with the
candidacy's other actions; the dashboard shows the election after the vote.

The election here voted two days ago, so by the clock of the web views (now) it is being counted.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from registrar import actions, demo, machines, results, roles, territory
from registrar.db import Database
from tests.demo_copies import copied
from web.words import ELECTION_TITLES

from .conftest import WebWorld

ELECTION = "kz-voted"
TODAY = dt.date.today()
# Voting closed two days ago at 20:00 Almaty (15:00 UTC): in any time zone the tests run in, the votes are being counted.
ELECTION_DAY = TODAY - dt.timedelta(days=2)
NAMES = ("Aruzhan Omarova", "Bolat Seitkali", "Dana Zhumabek")
UNITS = territory.current().units


def build_voted(db: Database) -> list[int]:
    """An election voted two days ago with three registered candidates; returns their candidacy ids."""
    calendar = demo.announce(
        db,
        ELECTION,
        "Presidential election (voted)",
        ELECTION_DAY - dt.timedelta(days=100),
        ELECTION_DAY,
        actor="test:commission",
    )
    ids = []
    for index, name in enumerate(NAMES):
        association = actions.register_association(
            db,
            {
                "registration_number": f"V-{index}",
                "name": f"Association {index}",
                "kind": "national",
                "registered_on": "2010-01-01",
            },
            actor="test:ministry",
            at=calendar.nomination_opens,
        )
        at = calendar.nomination_opens + dt.timedelta(days=2, hours=index)
        outcome = actions.nominate(
            db,
            ELECTION,
            {
                "association_id": association,
                "person": demo.person(name, ELECTION_DAY),
                "decision": demo.decision(calendar.local(at).date() - dt.timedelta(days=1)),
            },
            actor="test:clerk",
            at=at,
        )
        demo.walk(db, outcome.candidacy_id, "registered", calendar.registration_opens + dt.timedelta(days=1))
        ids.append(outcome.candidacy_id)
    return ids


@pytest.fixture
def voted(db: Database, request: pytest.FixtureRequest) -> tuple[WebWorld, list[int]]:
    """build_voted on the empty ``db``, built once per worker and backend, then copied (tests/demo_copies.py);
    the app comes after, on the database as the build left it."""
    ids = copied(db, ("build_voted", ELECTION_DAY), build_voted, lambda kept, _: list(kept))
    return request.getfixturevalue("web_world"), ids


def protocol(ids: list[int], unit: str, shares: tuple[int, ...] = (45, 40, 10), **overrides: Any) -> dict[str, Any]:
    """A unit's protocol that adds up: 10,000 voters, 7,000 cast, 100 invalid; ``shares`` percent of the valid."""
    valid = 6_900
    votes = {str(cid): valid * share // 100 for cid, share in zip(ids, shares, strict=True)}
    return {
        "unit": unit,
        "voters_on_list": 10_000,
        "ballots_issued": 7_100,
        "ballots_cast": 7_000,
        "invalid_ballots": 100,
        "votes": votes,
        "against_all": valid - sum(votes.values()),
        "chair": "Chair of the commission",
        "members_signed": 5,
        "signed_on": ELECTION_DAY.isoformat(),
    } | overrides


def as_form(payload: dict[str, Any]) -> dict[str, str]:
    """A protocol as the form posts it: one input per candidate ("votes.<id>"), the marks ticked or absent."""
    out = {key: str(value) for key, value in payload.items() if key not in ("votes", "void", "violations")}
    out |= {f"votes.{cid}": str(n) for cid, n in payload["votes"].items()}
    return out | {mark: "true" for mark in ("void", "violations") if payload.get(mark)}


def submit_all(db: Database, ids: list[int], shares: tuple[int, ...] = (45, 40, 10)) -> None:
    for unit in UNITS:
        results.submit_protocol(db, ELECTION, protocol(ids, unit.code, shares), actor="test:clerk")


def version(db: Database) -> int:
    return int(results.show_election(db, ELECTION)["version"])


# --- Protocols (V3) ---------------------------------------------------------------------------------


def test_a_clerk_records_the_protocols_of_all_twenty_units_through_the_form(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    clerk = world.login_as("clerk")
    page = clerk.get(f"/officer/elections/{ELECTION}/protocols/new").get_data(as_text=True)
    for cid, name in zip(ids, NAMES, strict=True):
        assert f'<label for="f-votes-{cid}">{name}' in page, "one vote input per candidate, named"
    assert len(re.findall(r'<option value="[A-Z]{3}"', page)) == len(UNITS) == 20
    assert 'type="checkbox" id="f-void" name="void" value="true"' in page

    for index, unit in enumerate(UNITS):
        response = clerk.submit(f"/officer/elections/{ELECTION}/protocols/new", as_form(protocol(ids, unit.code)))
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        last = index == len(UNITS) - 1
        assert response.headers["Location"].endswith(f"/{ELECTION}" if last else "/protocols/new"), "the next, then the election"

    stored = results.protocols(world.db, ELECTION, 1)
    assert len(stored) == 20 and {p["unit"] for p in stored} == set(territory.current().codes)
    assert stored[0]["votes"] == {str(ids[0]): 3105, str(ids[1]): 2760, str(ids[2]): 690} and stored[0]["against_all"] == 345
    with world.db.reading() as session:
        assert results.missing_units(session, ELECTION, 1) == []
    election = clerk.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert "Protocols received: 20 of 20." in election and "missing</strong>" not in election
    done = clerk.get(f"/officer/elections/{ELECTION}/protocols/new").get_data(as_text=True)
    assert "protocol for round 1 is recorded" in done


def test_a_bad_protocol_shows_each_error_at_its_field_and_stores_nothing(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    clerk = world.login_as("clerk")
    path = f"/officer/elections/{ELECTION}/protocols/new"

    # The sums and the signatures (V3): more ballots cast than issued, three of seven signed, a candidate left out.
    data = as_form(protocol(ids, "ABA", ballots_cast=7_200, members_signed=3, void=True))
    del data[f"votes.{ids[1]}"]
    response = clerk.submit(path, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "There is a problem" in page
    for field in ("ballots_cast", "members_signed", f"votes-{ids[1]}"):
        assert f'href="#f-{field}"' in page, field
        assert f'id="f-{field}-error"' in page, field
    assert f"{NAMES[1]}: the votes for every candidate on the ballot are required" in page, "the summary names the candidate"
    assert re.search(rf'id="f-votes-{ids[1]}" name="votes.{ids[1]}"[^>]*aria-invalid="true"', page)
    assert 'value="7200"' in page and 'value="Chair of the commission"' in page, "the values typed are kept"
    assert '<option value="ABA" selected>' in page
    assert re.search(r'name="void" value="true"\s*checked', page), "the ticked mark stays ticked"

    # What the schema refuses: a count that is not a number lands on that candidate's input.
    data = as_form(protocol(ids, "ABA")) | {f"votes.{ids[2]}": "many", "signed_on": "yesterday"}
    page = clerk.submit(path, data).get_data(as_text=True)
    assert f'href="#f-votes-{ids[2]}"' in page and 'href="#f-signed_on"' in page and 'value="many"' in page

    # No votes at all: the message is on the group of the candidates' inputs.
    data = {k: v for k, v in as_form(protocol(ids, "ABA")).items() if not k.startswith("votes.")}
    page = clerk.submit(path, data).get_data(as_text=True)
    assert 'href="#f-votes"' in page and '<fieldset class="group" id="f-votes">' in page

    assert results.protocols(world.db, ELECTION, history=True) == [], "nothing is stored"


def test_a_correction_is_a_second_version_with_its_reason(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    clerk = world.login_as("clerk")
    assert clerk.submit(f"/officer/elections/{ELECTION}/protocols/new", as_form(protocol(ids, "ABA"))).status_code == 302
    path = f"/officer/elections/{ELECTION}/protocols/1/ABA"
    page = clerk.get(path).get_data(as_text=True)
    assert "Abai Region" in page and "in force" in page
    assert f'name="votes.{ids[0]}" type="number" value="3105"' in page, "the form starts from the version in force"
    assert 'name="invalid_ballots" type="number" value="100"' in page and 'name="unit"' not in page

    corrected = as_form(protocol(ids, "ABA", invalid_ballots=200, against_all=245, violations=True))
    del corrected["unit"]
    missing_reason = clerk.submit(path, corrected)
    assert missing_reason.status_code == 422 and 'href="#f-reason"' in missing_reason.get_data(as_text=True)
    assert len(results.protocols(world.db, ELECTION, history=True)) == 1

    response = clerk.submit(path, corrected | {"reason": "the recount found 100 more invalid ballots"})
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    versions = results.protocols(world.db, ELECTION, 1, history=True)
    assert [(p["version"], p["invalid_ballots"], p["superseded_at"] is None) for p in versions] == [
        (1, 100, False),
        (2, 200, True),
    ]
    assert versions[1]["reason"] == "the recount found 100 more invalid ballots" and versions[1]["violations"] is True
    page = clerk.get(path).get_data(as_text=True)
    assert "the recount found 100 more invalid ballots" in page and page.count('class="superseded"') == 1
    assert 'name="invalid_ballots" type="number" value="200"' in page

    # A correction of a unit whose protocol has not come is refused at the whole form.
    other = clerk.submit(f"/officer/elections/{ELECTION}/protocols/1/AKM", corrected | {"reason": "x"})
    assert other.status_code == 422 and "no protocol of Akmola Region is submitted yet" in other.get_data(as_text=True)


# --- Decisions on the election (V4-V7) ---------------------------------------------------------------


def test_the_commission_establishes_the_results_and_calls_a_second_round(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    commission = world.login_as("commission")
    path = f"/officer/elections/{ELECTION}/decisions"
    decided = {"number": "R-1", "decided_on": TODAY.isoformat()}

    results.submit_protocol(world.db, ELECTION, protocol(ids, "ABA"), actor="test:clerk")
    early = commission.submit(f"{path}/establish_results", decided | {"version": str(version(world.db))})
    page = early.get_data(as_text=True)
    assert early.status_code == 422 and "V3: no protocol yet from 19 territorial commissions" in page, "the rule's id is shown"

    for unit in UNITS[1:]:
        results.submit_protocol(world.db, ELECTION, protocol(ids, unit.code), actor="test:clerk")
    page = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert f'href="{path}/establish_results"' in page and f'href="{path}/declare_void"' in page
    question = commission.get(f"{path}/establish_results").get_data(as_text=True)
    assert f'name="version" value="{version(world.db)}"' in question and f'action="{path}/establish_results"' in question
    checked = commission.submit(f"{path}/establish_results", decided | {"version": str(version(world.db))})
    assert checked.status_code == 200 and "Check your answers" in checked.get_data(as_text=True)
    response = commission.submit(f"{path}/establish_results", decided | {"version": str(version(world.db)), "confirm": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert results.show_election(world.db, ELECTION)["phase"] == "second_round_due"

    page = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert "a second round between the two leaders" in page and "CEC resolution R-1" in page
    assert f'href="{path}/call_second_round"' in page and f'href="{path}/establish_results"' not in page
    assert "holding of the second round (V5)" in page, "the deadline V5 opens"

    voting_day = TODAY + dt.timedelta(days=21)
    response = commission.submit(
        f"{path}/call_second_round",
        {
            "number": "R-2",
            "decided_on": TODAY.isoformat(),
            "voting_day": voting_day.isoformat(),
            "version": str(version(world.db)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    shown = results.show_election(world.db, ELECTION)
    assert shown["phase"] == "second_round" and shown["second_round_day"] == voting_day.isoformat()
    page = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert "Second round called (V5)" in page and voting_day.isoformat() in page
    assert "opening of voting in the second round (V2)" in page


def test_a_stale_election_version_is_reported(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    submit_all(world.db, ids)
    commission = world.login_as("commission")
    stale = version(world.db)
    results.perform_election(
        world.db, ELECTION, "establish_results", {"number": "R-1", "decided_on": TODAY.isoformat()}, actor="test:commission"
    )
    response = commission.submit(
        f"/officer/elections/{ELECTION}/decisions/call_second_round",
        {
            "number": "R-2",
            "decided_on": TODAY.isoformat(),
            "voting_day": (TODAY + dt.timedelta(days=21)).isoformat(),
            "version": str(stale),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone changed this election since you opened the page" in page
    assert 'href="#f-call_second_round-form"' in page and 'value="R-2"' in page, "the form is open with what was typed"
    assert results.show_election(world.db, ELECTION)["phase"] == "second_round_due"


def test_void_then_a_rerun_with_its_calendar_previewed(voted: tuple[WebWorld, list[int]]) -> None:
    world, _ids = voted
    commission = world.login_as("commission")
    path = f"/officer/elections/{ELECTION}/decisions"
    no_reason = commission.submit(
        f"{path}/declare_void", {"number": "R-V", "decided_on": TODAY.isoformat(), "version": str(version(world.db))}
    )
    assert no_reason.status_code == 422 and 'href="#f-declare_void-reason"' in no_reason.get_data(as_text=True)
    response = commission.submit(
        f"{path}/declare_void",
        {"number": "R-V", "decided_on": TODAY.isoformat(), "reason": "mass violations", "version": str(version(world.db))},
    )
    assert response.status_code == 302 and results.show_election(world.db, ELECTION)["phase"] == "void"

    page = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert "holding of the re-run (V6)" in page and "mass violations" in page and f'href="{path}/call_rerun"' in page
    day = lambda n: (TODAY + dt.timedelta(days=n)).isoformat()  # noqa: E731
    rerun = {
        "id": "kz-rerun",
        "title": "Presidential election (re-run)",
        "election_day": day(50),
        "number": "R-9",
        "decided_on": TODAY.isoformat(),
        "version": str(version(world.db)),
    }
    for row, (milestone, value) in enumerate(
        [
            ("nomination_closes", f"{day(10)}T18:00"),
            ("registration_opens", f"{day(10)}T00:00"),
            ("registration_closes", f"{day(25)}T18:00"),
        ]
    ):
        rerun |= {
            f"resolutions.{row}.milestone": milestone,
            f"resolutions.{row}.value": value,
            f"resolutions.{row}.number": "R-9/1",
            f"resolutions.{row}.adopted_on": TODAY.isoformat(),
        }
    preview = commission.submit(f"{path}/call_rerun", rerun | {"preview": "1"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "The re-run's calendar" in page and "CEC resolution R-9/1" in page
    assert 'value="kz-rerun"' in page and results.results(world.db, ELECTION)["rerun"] is None, "a preview stores nothing"

    called = commission.submit(f"{path}/call_rerun", rerun)
    assert called.status_code == 302, called.get_data(as_text=True)[:3000]
    assert results.results(world.db, ELECTION)["rerun"] == "kz-rerun"
    page = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert 'href="/officer/elections/kz-rerun"' in page
    assert commission.get("/officer/elections/kz-rerun").status_code == 200


def test_the_refusal_shows_the_share_of_units_void_or_violated_and_the_court_rules_through_its_forms(
    voted: tuple[WebWorld, list[int]],
) -> None:
    world, ids = voted
    for index, unit in enumerate(UNITS):
        # A majority for the first candidate; five of the twenty units marked void or violated (V7: a quarter).
        results.submit_protocol(
            world.db, ELECTION, protocol(ids, unit.code, (60, 30, 5), violations=index < 5), actor="test:clerk"
        )
    results.perform_election(
        world.db, ELECTION, "establish_results", {"number": "R-1", "decided_on": TODAY.isoformat()}, actor="test:commission"
    )
    page = world.login_as("commission").get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert "Units void or violated in round 1: 5 of 20 (1/4); a refusal needs at least 1/4 (V7)." in page
    assert f"{NAMES[0]} (Association 0)" in page, "the President-elect"
    assert "/decisions/register_president" in page and "/decisions/refuse_president" in page
    refunds = page[page.index("Election contributions refunded (D5)") :]
    assert NAMES[0] in refunds and NAMES[1] in refunds and NAMES[2] in refunds.split("What you can decide now")[0]
    assert "elected; the share of the valid votes D5 requires" in refunds

    commission, court = world.login_as("commission"), world.login_as("court")
    path = f"/officer/elections/{ELECTION}/decisions"
    decided = {"number": "R-2", "decided_on": TODAY.isoformat()}

    def decide(client: Any, trigger: str, data: dict[str, str]) -> str:
        response = client.submit(f"{path}/{trigger}", data | {"version": str(version(world.db))})
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        return str(results.show_election(world.db, ELECTION)["phase"])

    assert decide(commission, "refuse_president", decided | {"reason": "violations in five units"}) == "president_refused"
    page = court.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert f'href="{path}/appeal_president_refusal"' in page and "period for appealing the refusal" in page
    assert decide(court, "appeal_president_refusal", {"case_number": "SC-1", "filed_on": TODAY.isoformat()}) == (
        "president_appealed"
    )
    assert f'href="{path}/dismiss_president_appeal"' in court.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert decide(court, "uphold_president_appeal", decided | {"number": "SC-1/1"}) == "elected"
    assert decide(commission, "register_president", decided | {"number": "R-3"}) == "president_registered"
    page = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert "Nothing your role may decide is possible in this phase." in page and "President registered (V7)" in page


# --- Who may: the new endpoints against every role ------------------------------------------------------


def endpoints() -> list[tuple[str, str]]:
    return [
        (f"/officer/elections/{ELECTION}/protocols/new", "submit_protocol"),
        (f"/officer/elections/{ELECTION}/protocols/1/ABA", "correct_protocol"),
        *[(f"/officer/elections/{ELECTION}/decisions/{t}", t) for t in machines.ELECTION_TRIGGERS],
    ]


def test_the_role_matrix_of_the_new_endpoints(voted: tuple[WebWorld, list[int]]) -> None:
    """An empty form: a role that may is stopped by the domain (invalid payload, or a stale version
    since none is sent), so nothing changes; a role that may not gets 403; the public logs in first."""
    world, _ids = voted
    for role in roles.ROLES:
        client = world.client() if role == "public" else world.login_as(role)
        for path, action in endpoints():
            response = client.submit(path, {})
            if role == "public":
                assert response.status_code == 302 and "/login?next=" in response.headers["Location"], (role, path)
            elif roles.may(role, action):
                assert response.status_code in (409, 422), (role, path, response.get_data(as_text=True)[:500])
                assert "There is a problem" in response.get_data(as_text=True)
            else:
                assert response.status_code == 403, (role, path, response.status_code)
    assert results.protocols(world.db, ELECTION, history=True) == [] and results.show_election(world.db, ELECTION)["version"] == 1
    assert world.login_as("clerk").submit(f"/officer/elections/{ELECTION}/decisions/no_such").status_code == 404


def test_only_the_roles_that_may_see_the_forms(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    results.submit_protocol(world.db, ELECTION, protocol(ids, "ABA"), actor="test:clerk")
    clerk = world.login_as("clerk").get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert "/protocols/new" in clerk and "/decisions/" not in clerk
    court = world.login_as("court")
    assert "/decisions/" not in court.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    assert court.get(f"/officer/elections/{ELECTION}/protocols/new").status_code == 403
    history = court.get(f"/officer/elections/{ELECTION}/protocols/1/ABA").get_data(as_text=True)
    assert "in force" in history and "Correct the protocol" not in history, "every officer reads the versions"
    assert court.get(f"/officer/elections/{ELECTION}/protocols/1/XYZ").status_code == 404


# --- D5: the candidate's death, with the candidacy's other actions -------------------------------------


def test_record_death_is_offered_with_the_candidacys_actions_and_refunds_the_contribution(
    voted: tuple[WebWorld, list[int]],
) -> None:
    world, ids = voted
    clerk = world.login_as("clerk")
    page = clerk.get(f"/officer/candidacies/{ids[2]}").get_data(as_text=True)
    assert f"/officer/candidacies/{ids[2]}/actions/record_death" in page and "Record the candidate's death (D5)" in page
    current = str(actions.show_candidacy(world.db, ids[2])["version"])
    response = clerk.submit(
        f"/officer/candidacies/{ids[2]}/actions/record_death",
        {"version": current, "number": "D-1", "decided_on": TODAY.isoformat(), "confirm": "1"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert actions.show_candidacy(world.db, ids[2])["state"] == "deceased"
    assert "deceased" in clerk.get(f"/officer/candidacies/{ids[2]}").get_data(as_text=True)
    assert [r["candidacy_id"] for r in results.refunds(world.db, ELECTION)] == [ids[2]]
    refunds = clerk.get(f"/officer/elections/{ELECTION}").get_data(as_text=True).split("refunded (D5)")[1]
    assert NAMES[2] in refunds and "died" in refunds


# --- The dashboard ----------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_election_after_the_vote_with_its_deadlines(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    results.submit_protocol(world.db, ELECTION, protocol(ids, "ABA"), actor="test:clerk")
    page = world.login_as("clerk").get("/officer/").get_data(as_text=True)
    section = page[page.index("Elections after the vote") : page.index("Candidacies waiting for your role")]
    assert f'href="/officer/elections/{ELECTION}"' in section and "<td>Counting of the votes</td>" in section
    assert "round 1: 1 of 20 received" in section and "AKM" in section and "ABA," not in section
    assert "submission of the territorial election commissions&#39; protocols (V3)" in section
    assert "establishment of the election results by the CEC (V4)" in section
    inbox = world.login_as("clerk").get("/officer/inbox").get_data(as_text=True)
    assert "Protocol of a territorial commission recorded (V3)" in inbox and f'href="/officer/elections/{ELECTION}"' in inbox


def test_every_decision_on_an_election_has_its_title() -> None:
    assert set(ELECTION_TITLES) == set(machines.ELECTION_TRIGGERS)
