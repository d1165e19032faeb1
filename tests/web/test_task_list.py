"""A candidacy's page as a task list, each step a question page of its own: the statuses and the
unmet rules, only possible steps offered, the error summary and the "Error" title, dates in three
boxes, and "check your answers" before a decision (nothing stored before confirm)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from registrar import actions, officer_views, results
from registrar.db import Database
from registrar.models import MedicalConclusion
from tests.demo_copies import build_demo, copied

from .conftest import DEMO_TODAY, WebWorld
from .test_officer_results import ELECTION as VOTED
from .test_officer_results import ELECTION_DAY, TODAY, UNITS, build_voted, protocol

NOMINATED, MEDICAL_CHECK, DOCUMENTS_SUBMITTED, REGISTERED = 1, 3, 4, 5


@pytest.fixture
def demo_db(web_world: WebWorld) -> WebWorld:
    build_demo(web_world.db, DEMO_TODAY)
    return web_world


@pytest.fixture
def voted(db: Database, request: pytest.FixtureRequest) -> tuple[WebWorld, list[int]]:
    """The election voted two days ago of tests/web/test_officer_results.py (the same copied build)."""
    ids = copied(db, ("build_voted", ELECTION_DAY), build_voted, lambda kept, _: list(kept))
    return request.getfixturevalue("web_world"), ids


def version(db: Database, candidacy_id: int) -> str:
    return str(actions.show_candidacy(db, candidacy_id)["version"])


def state(db: Database, candidacy_id: int) -> str:
    return str(actions.show_candidacy(db, candidacy_id)["state"])


def task(page: str, trigger: str) -> str:
    """The task list's item for ``trigger`` (its link, status and reasons)."""
    items = re.split(r'(?=<li class="task task-)', page)
    found = next((item for item in items if f'id="status-{trigger}"' in item), None)
    assert found, f"no task {trigger}"
    return found


def test_the_task_list_says_done_to_do_and_cannot_start_yet_with_the_unmet_rules(demo_db: WebWorld) -> None:
    clerk = demo_db.login_as("clerk")
    page = clerk.get(f"/officer/candidacies/{NOMINATED}").get_data(as_text=True)
    declarations = task(page, "file_declarations")
    assert "task-to_do" in declarations and "To do" in declarations
    assert f'href="/officer/candidacies/{NOMINATED}/actions/file_declarations"' in declarations
    answer = task(page, "answer_information_request")
    assert "task-cannot_start" in answer and "Cannot start yet" in answer
    assert '<span class="rule">D2</span>' in answer, "the unmet rule with its id"
    assert "/actions/answer_information_request" not in page, "a step that cannot succeed now is not offered"
    medical = task(page, "start_medical_check")
    assert "Cannot start yet" in medical and '<span class="rule">D3</span>' in medical

    done = clerk.get(f"/officer/candidacies/{DOCUMENTS_SUBMITTED}").get_data(as_text=True)
    assert "task-done" in task(done, "submit_documents") and "/actions/submit_documents" not in done
    commission = demo_db.login_as("commission").get(f"/officer/candidacies/{MEDICAL_CHECK}").get_data(as_text=True)
    assert "Cannot start yet" in task(commission, "register") and "/actions/register" not in commission
    assert "/actions/file_declarations" not in commission, "only the role's steps"


def test_a_step_that_cannot_start_says_why_and_offers_no_form(demo_db: WebWorld) -> None:
    clerk = demo_db.login_as("clerk")
    page = clerk.get(f"/officer/candidacies/{MEDICAL_CHECK}/actions/submit_documents").get_data(as_text=True)
    assert "Cannot start yet" in page and '<span class="rule">N6</span>' in page
    assert 'name="version"' not in page
    assert demo_db.login_as("revenue").get(f"/officer/candidacies/{NOMINATED}/actions/file_declarations").status_code == 403
    assert clerk.get(f"/officer/candidacies/{NOMINATED}/actions/no_such_step").status_code == 404


def test_a_failed_step_shows_the_error_summary_first_with_the_title_error_and_keeps_the_values(demo_db: WebWorld) -> None:
    clerk = demo_db.login_as("clerk")
    form = clerk.get(f"/officer/candidacies/{NOMINATED}/actions/send_information_request").get_data(as_text=True)
    assert "<title>Error" not in form and 'name="version"' in form
    response = clerk.submit(f"/officer/candidacies/{NOMINATED}/actions/send_information_request",
                            {"version": version(demo_db.db, NOMINATED), "organisation": "Halyk Bank typed"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r"<title>Error: ", page), "the title begins with Error"
    summary = page.index('class="error-summary"')
    assert summary < page.index("<h1>"), "the summary is at the top"
    assert re.search(r'class="error-summary"[^>]*tabindex="-1"[^>]*autofocus', page), "it takes the focus"
    assert 'href="#f-send_information_request-subject"' in page
    assert 'class="field field-error"' in page and 'aria-invalid="true"' in page, "the error is styled beside its field"
    assert 'value="Halyk Bank typed"' in page


def test_a_date_in_three_boxes_is_composed_and_an_impossible_one_is_a_field_error(demo_db: WebWorld) -> None:
    db, clerk = demo_db.db, demo_db.login_as("clerk")
    path = f"/officer/candidacies/{MEDICAL_CHECK}/actions/record_medical_conclusion"
    form = clerk.get(path).get_data(as_text=True)
    for part in ("day", "month", "year"):
        assert f'name="issued_on.{part}"' in form
    assert '<label for="f-record_medical_conclusion-issued_on">Day</label>' in form
    base = {"version": version(db, MEDICAL_CHECK), "institution": "Clinic", "number": "MC-7", "fit": "true"}
    impossible = clerk.submit(path, base | {"issued_on.day": "30", "issued_on.month": "2", "issued_on.year": "2026"})
    page = impossible.get_data(as_text=True)
    assert (
        impossible.status_code == 422 and "Enter a real date" in page and 'href="#f-record_medical_conclusion-issued_on"' in page
    )
    assert 'value="30"' in page and 'value="Clinic"' in page
    partial = clerk.submit(path, base | {"issued_on.day": "3", "issued_on.year": "2026"})
    assert partial.status_code == 422 and "The date must include a month" in partial.get_data(as_text=True)
    with db.reading() as session:
        assert session.query(MedicalConclusion).filter_by(candidacy_id=MEDICAL_CHECK).count() == 0, "nothing stored"

    today = dt.date.today()
    response = clerk.submit(path, base | {"issued_on.day": str(today.day), "issued_on.month": str(today.month),
                                          "issued_on.year": str(today.year)})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with db.reading() as session:
        stored = session.query(MedicalConclusion).filter_by(candidacy_id=MEDICAL_CHECK).one()
        assert stored.issued_on == today


def test_registration_passes_check_your_answers_and_nothing_is_stored_before_confirm(demo_db: WebWorld) -> None:
    db, commission = demo_db.db, demo_db.login_as("commission")
    path = f"/officer/candidacies/{DOCUMENTS_SUBMITTED}/actions/register"
    question = commission.get(path).get_data(as_text=True)
    assert "The conditions of registration" in question and '<span class="rule">E2</span>' in question
    assert "The candidate's eligibility facts" in question and ">Continue<" in question
    today = dt.date.today()
    answers = {"version": version(db, DOCUMENTS_SUBMITTED), "number": "CEC-42/1", "decided_on.day": str(today.day),
               "decided_on.month": str(today.month), "decided_on.year": str(today.year)}  # fmt: skip
    check = commission.submit(path, answers)
    page = check.get_data(as_text=True)
    assert check.status_code == 200 and "Check your answers" in page
    assert "CEC-42/1" in page and f"{today.day} {today:%B} {today.year}" in page, "the date as the reader writes it"
    assert 'name="change" value="number"' in page and 'name="confirm"' in page
    assert state(db, DOCUMENTS_SUBMITTED) == "documents_submitted", "nothing is performed before confirm"

    change = commission.submit(path, answers | {"change": "number"})
    changed = change.get_data(as_text=True)
    assert change.status_code == 200 and 'value="CEC-42/1"' in changed and f'value="{today.day}"' in changed
    assert state(db, DOCUMENTS_SUBMITTED) == "documents_submitted"

    confirmed = commission.submit(path, answers | {"confirm": "1"})
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)[:2000]
    assert state(db, DOCUMENTS_SUBMITTED) == "registered"


def test_a_decision_dated_ahead_is_refused_at_its_field_before_the_check_page(demo_db: WebWorld) -> None:
    db, commission = demo_db.db, demo_db.login_as("commission")
    ahead = dt.date.today() + dt.timedelta(days=3)
    response = commission.submit(f"/officer/candidacies/{NOMINATED}/actions/refuse",
                                 {"version": version(db, NOMINATED), "number": "R-9", "grounds": "documents_missing",
                                  "decided_on.day": str(ahead.day), "decided_on.month": str(ahead.month),
                                  "decided_on.year": str(ahead.year)})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Check your answers" not in page and "There is a problem" in page
    assert state(db, NOMINATED) == "nominated"


def test_the_revenue_officer_sees_the_declarations_being_verified(demo_db: WebWorld) -> None:
    revenue = demo_db.login_as("revenue")
    page = revenue.get(f"/officer/candidacies/{REGISTERED}/actions/record_declaration_verification").get_data(as_text=True)
    assert "The declarations being verified" in page
    table = page[page.index('class="declarations"') : page.index("</table>")]
    filed = officer_views.candidacy_records(demo_db.db, REGISTERED)["declarations"]
    assert filed and all(d["revenue_office"] in table and d["receipt_number"] in table for d in filed), "the office, the receipt"


# --- After the vote: the results pass "check your answers"; a protocol's versions say what changed ------


def test_the_results_are_established_through_check_your_answers(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    for unit in UNITS:
        results.submit_protocol(world.db, VOTED, protocol(ids, unit.code), actor="test:clerk")
    commission = world.login_as("commission")
    path = f"/officer/elections/{VOTED}/decisions/establish_results"
    current = str(results.show_election(world.db, VOTED)["version"])
    answers = {"version": current, "number": "R-1", "decided_on.day": str(TODAY.day),
               "decided_on.month": str(TODAY.month), "decided_on.year": str(TODAY.year)}  # fmt: skip
    check = commission.submit(path, answers)
    page = check.get_data(as_text=True)
    assert check.status_code == 200 and "Check your answers" in page and "R-1" in page
    assert results.show_election(world.db, VOTED)["phase"] == "counting", "nothing decided before confirm"
    confirmed = commission.submit(path, answers | {"confirm": "1"})
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)[:2000]
    assert results.show_election(world.db, VOTED)["phase"] == "second_round_due"


def test_each_protocol_version_says_what_changed_from_the_one_before(voted: tuple[WebWorld, list[int]]) -> None:
    world, ids = voted
    results.submit_protocol(world.db, VOTED, protocol(ids, "ABA"), actor="test:clerk")
    corrected = protocol(ids, "ABA", ballots_cast=6_990, invalid_ballots=90) | {"reason": "a recount"}
    results.submit_protocol(world.db, VOTED, corrected, actor="test:clerk", correction=True)
    page = world.login_as("clerk").get(f"/officer/elections/{VOTED}/protocols/1/ABA").get_data(as_text=True)
    changes = re.findall(r'<td class="protocol-changes">(.*?)</td>', page, re.S)
    assert len(changes) == 2 and "the first version" in changes[0]
    assert "Ballots cast" in changes[1] and '<span class="was">7000</span>' in changes[1] and "6990" in changes[1]
    assert "Invalid ballots" in changes[1] and "Voters on the list" not in changes[1], "only what changed"
