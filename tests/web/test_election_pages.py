"""An election's page as task lists, each of its actions (V1, N7, D4) and decisions after the vote
(V4-V7) a question page of its own: only what could succeed now is a link, the rest "cannot start
yet" with the reason in the reader's language; a failed submit shows the page again with the error
summary, the "Error:" title and the message beside its field; "check your answers" sends each
"Change" back to the question with the address of the input changed."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from registrar import demo, results
from registrar.db import Database
from registrar.officer_views import election_calendar
from tests.demo_copies import build_demo, copied

from .conftest import DEMO_TODAY, WebWorld
from .test_officer_results import ELECTION as VOTED
from .test_officer_results import ELECTION_DAY, TODAY, UNITS, build_voted, protocol
from .test_task_list import task as list_item

ELECTION = demo.DEMO_ID


@pytest.fixture
def demo_db(web_world: WebWorld) -> WebWorld:
    build_demo(web_world.db, DEMO_TODAY)
    return web_world


@pytest.fixture
def voted(db: Database, request: pytest.FixtureRequest) -> tuple[WebWorld, list[int]]:
    ids = copied(db, ("build_voted", ELECTION_DAY), build_voted, lambda kept, _: list(kept))
    return request.getfixturevalue("web_world"), ids


def task(page: str, trigger: str) -> str:
    """The task list's item for ``trigger``, up to the end of its list."""
    return list_item(page, trigger).split("</ol>")[0]


def version(db: Database, election_id: str = VOTED) -> str:
    return str(results.show_election(db, election_id)["version"])


def test_the_elections_actions_are_a_task_list_of_question_pages(demo_db: WebWorld) -> None:
    commission = demo_db.login_as("commission")
    page = commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True)
    milestone = task(page, "set_milestone")
    assert "task-to_do" in milestone and f'href="/officer/elections/{ELECTION}/actions/set_milestone/question"' in milestone
    extend = task(page, "extend_nomination")
    assert "task-cannot_start" in extend and "<a " not in extend, "N7 before registration closes: no link"
    assert "N7" in extend and "registration is open until" in extend, "the reason in words"
    assert "<details" not in page and '<form method="post"' not in page.split("</nav>", 2)[-1], "no fold-out forms"

    question = commission.get(f"/officer/elections/{ELECTION}/actions/set_milestone/question")
    html = question.get_data(as_text=True)
    assert question.status_code == 200 and "<h1>Set a milestone by CEC resolution (V1)</h1>" in html
    assert f'action="/officer/elections/{ELECTION}/actions/set_milestone"' in html and 'name="adopted_on.day"' in html
    assert demo_db.login_as("clerk").get(f"/officer/elections/{ELECTION}/actions/set_milestone/question").status_code == 403
    assert commission.get(f"/officer/elections/{ELECTION}/actions/no_such/question").status_code == 404


def test_the_reason_a_step_cannot_start_is_in_the_readers_language(demo_db: WebWorld) -> None:
    commission = demo_db.login_as("commission")
    commission.get("/language/kk")
    extend = task(commission.get(f"/officer/elections/{ELECTION}").get_data(as_text=True), "extend_nomination")
    assert "registration is open" not in extend and "Cannot start yet" not in extend
    page = commission.get(f"/officer/elections/{ELECTION}/actions/extend_nomination/question").get_data(as_text=True)
    assert 'class="cannot-start"' in page and "<form" not in page.split('class="cannot-start"')[1].split("</div>")[0]


def test_a_failed_action_shows_its_page_again_with_the_error_at_its_field(demo_db: WebWorld) -> None:
    db, commission = demo_db.db, demo_db.login_as("commission")
    calendar = election_calendar(db, ELECTION)
    later = calendar.local(calendar.voting_opens).replace(hour=8).isoformat()
    path = f"/officer/elections/{ELECTION}/actions/set_milestone"
    failed = commission.submit(path, {"milestone": "voting_opens", "value": later, "number": "CEC-9",
                                      "adopted_on.day": "31", "adopted_on.month": "2", "adopted_on.year": "2026"})  # fmt: skip
    html = failed.get_data(as_text=True)
    assert failed.status_code == 422 and re.search(r"<title>Error: Set a milestone", html)
    assert 'class="error-summary"' in html and 'href="#f-set_milestone-adopted_on"' in html
    field = html[html.index('id="f-set_milestone-adopted_on-hint"') - 400 :]
    assert "there is no such day" in field.split("</fieldset>")[0], "the message beside the date"
    assert 'value="CEC-9"' in html and 'value="31"' in html, "what was typed stays"
    assert election_calendar(db, ELECTION).voting_opens == calendar.voting_opens, "nothing stored"
    today = dt.date.today()
    adopted = {"adopted_on.day": str(today.day), "adopted_on.month": str(today.month), "adopted_on.year": str(today.year)}
    done = commission.submit(path, {"milestone": "voting_opens", "value": later, "number": "CEC-9"} | adopted)
    assert done.status_code == 302 and done.headers["Location"] == f"/officer/elections/{ELECTION}"


def test_the_decisions_after_the_vote_are_links_or_wait_for_their_phase(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    for unit in UNITS:
        results.submit_protocol(world.db, VOTED, protocol(ids, unit.code), actor="test:clerk")
    commission = world.login_as("commission")
    page = commission.get(f"/officer/elections/{VOTED}").get_data(as_text=True)
    path = f"/officer/elections/{VOTED}/decisions"
    assert f'href="{path}/establish_results"' in task(page, "establish_results")
    second = task(page, "call_second_round")
    assert (
        "task-cannot_start" in second and "<a " not in second and "possible when the election is in one of the phases" in second
    )
    assert 'id="status-set_milestone"' in page and "the election&#39;s calendar is closed" not in page, "counting: V1 still open"

    question = commission.get(f"{path}/establish_results").get_data(as_text=True)
    assert f'name="version" value="{version(world.db)}"' in question and ">Continue<" in question
    waiting = commission.get(f"{path}/call_second_round").get_data(as_text=True)
    assert 'class="cannot-start"' in waiting and f'action="{path}/call_second_round"' not in waiting
    assert world.login_as("clerk").get(f"{path}/establish_results").status_code == 403
    assert commission.get(f"{path}/no_such").status_code == 404

    # A failed submit: the question page again, 422, its title "Error:", the message at the field.
    failed = commission.submit(f"{path}/establish_results", {"version": version(world.db), "number": "R-1"})
    html = failed.get_data(as_text=True)
    assert failed.status_code == 422 and "<title>Error: " in html and 'href="#f-establish_results-decided_on"' in html
    assert "<h1>Establish the results (V4, V5)</h1>" in html and 'value="R-1"' in html


def test_each_change_on_check_your_answers_goes_back_to_its_input(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    for unit in UNITS:
        results.submit_protocol(world.db, VOTED, protocol(ids, unit.code), actor="test:clerk")
    commission = world.login_as("commission")
    path = f"/officer/elections/{VOTED}/decisions/establish_results"
    answers = {"version": version(world.db), "number": "R-1", "decided_on.day": str(TODAY.day),
               "decided_on.month": str(TODAY.month), "decided_on.year": str(TODAY.year)}  # fmt: skip
    check = commission.submit(path, answers).get_data(as_text=True)
    assert f'formaction="{path}#f-establish_results-number"' in check
    assert f'formaction="{path}#f-establish_results-decided_on"' in check
    back = commission.submit(path, answers | {"change": "decided_on"})
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and 'id="f-establish_results-decided_on"' in html and 'value="R-1"' in html
    assert "focus.js" in html, "the script that puts the focus on the input the address names"
    assert results.show_election(world.db, VOTED)["phase"] == "counting", "nothing decided"


def test_a_candidacy_steps_change_goes_back_to_its_input(demo_db: WebWorld) -> None:
    db, commission = demo_db.db, demo_db.login_as("commission")
    documents_submitted = 4
    from registrar import actions

    current = str(actions.show_candidacy(db, documents_submitted)["version"])
    path = f"/officer/candidacies/{documents_submitted}/actions/register"
    today = dt.date.today()
    check = commission.submit(path, {"version": current, "number": "R-5", "decided_on.day": str(today.day),
                                     "decided_on.month": str(today.month), "decided_on.year": str(today.year)})  # fmt: skip
    assert f'formaction="{path}#f-register-number"' in check.get_data(as_text=True)
