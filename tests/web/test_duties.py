"""The officers' dashboard lists duties (registrar.duties): the court finds an overdue appeal
review at the top, marked with how late, before and after the sweep's notice; an officer takes a
duty so the others of the role see it taken; the filters keep what they name (issue 12, part 1)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import select

from registrar import sweep
from registrar.models import Candidacy, Deadline, Person

from .conftest import WebWorld

DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def world(demo_world: WebWorld) -> WebWorld:
    return demo_world


def court_review(world: WebWorld) -> tuple[Deadline, str]:
    """The demo's appealed candidacy: its G6 court review row and the candidate's name."""
    with world.db.reading() as session:
        row, name = session.execute(
            select(Deadline, Person.full_name)
            .join(Candidacy, Deadline.subject_id == Candidacy.id.cast(Deadline.subject_id.type))
            .join(Person, Candidacy.person_id == Person.id)
            .where(Deadline.kind == "court_review", Candidacy.state == "appealed")
        ).one()
    return row, name


def rows_of(page: str) -> list[str]:
    body = page.split('<table class="deadlines">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr class=\"(?:overdue|due-soon)\">(.*?)</tr>", body, re.S)


def test_the_court_finds_the_overdue_appeal_at_the_top_with_how_late_after_the_sweep_fired_it(world: WebWorld) -> None:
    """G6: two days past the court's ten days, the review is the first row of the court's dashboard, overdue,
    late by two days; the sweep's notice changes nothing of that; the commission's list does not have it."""
    row, name = court_review(world)
    with time_machine.travel(row.due_at + 2 * DAY, tick=False):  # logged in then: a session does not outlive its hours
        court = world.login_as("court")
        first = rows_of(court.get("/officer/?due=all").get_data(as_text=True))[0]
        assert name in first and "Overdue" in first and "late by 2 days" in first and "G6" in first
        commission = world.login_as("commission").get("/officer/?due=all").get_data(as_text=True)
        assert name not in "".join(rows_of(commission)) if '<table class="deadlines">' in commission else True
    with world.db.reading() as session:
        assert session.get(Deadline, row.id).status == "pending", "the demo's own row, untouched so far"


def test_a_taken_duty_shows_who_took_it_and_only_they_can_give_it_back(world: WebWorld) -> None:
    """One court officer takes the review: her dashboard says it is hers, with "Give back"; the second
    court officer sees her login instead of "Take", and cannot take it (told who has it); "Taken by me"
    lists it for her only; given back, anyone of the role may take it again."""
    row, name = court_review(world)
    first_login, second_login = world.new_account("court"), world.new_account("court")
    first, second = world.login(first_login), world.login(second_login)

    taken = first.submit(f"/officer/duties/{row.id}/take", {"next": "/officer/?due=all"}, follow_redirects=True)
    page = taken.get_data(as_text=True)
    assert "The duty is yours" in page
    [mine] = [r for r in rows_of(page) if name in r]
    assert "Give back" in mine and f"/officer/duties/{row.id}/release" in mine

    theirs = second.get("/officer/?due=all").get_data(as_text=True)
    [seen] = [r for r in rows_of(theirs) if name in r]
    assert first_login in seen and f"/officer/duties/{row.id}/take" not in seen
    refused = second.submit(f"/officer/duties/{row.id}/take", {"next": "/officer/"}, follow_redirects=True)
    assert f"{first_login} has already taken this duty." in refused.get_data(as_text=True)

    assert name in "".join(rows_of(first.get("/officer/?due=all&scope=mine").get_data(as_text=True)))
    assert '<table class="deadlines">' not in second.get("/officer/?due=all&scope=mine").get_data(as_text=True)

    second.submit(f"/officer/duties/{row.id}/release", {"next": "/officer/"})  # not his: nothing changes
    assert first_login in "".join(r for r in rows_of(second.get("/officer/?due=all").get_data(as_text=True)) if name in r)
    first.submit(f"/officer/duties/{row.id}/release", {"next": "/officer/"})
    again = second.submit(f"/officer/duties/{row.id}/take", {"next": "/officer/?due=all"}, follow_redirects=True)
    assert "The duty is yours" in again.get_data(as_text=True)
    second.submit(f"/officer/duties/{row.id}/release", {"next": "/officer/"})


def test_a_role_that_does_not_owe_a_duty_cannot_take_it_and_a_foreign_next_is_ignored(world: WebWorld) -> None:
    row, _name = court_review(world)
    clerk = world.login_as("clerk")
    response = clerk.submit(f"/officer/duties/{row.id}/take", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/officer/"
    assert "This duty is not your role&#39;s." in clerk.get("/officer/").get_data(as_text=True)
    missing = clerk.submit("/officer/duties/999999/take", {"next": "/officer/"}, follow_redirects=True)
    assert "This deadline no longer exists." in missing.get_data(as_text=True)


def test_the_filters_keep_what_they_name_and_milestones_are_coming_up_not_duties(world: WebWorld) -> None:
    """Status "due" drops the overdue review; rule G4 keeps no G6 row; the registration's close (G1, an act
    of the law) is under "coming up", not among the duties."""
    row, name = court_review(world)
    with time_machine.travel(row.due_at + 2 * DAY, tick=False):
        court = world.login_as("court")
        due_only = court.get("/officer/?due=all&status=due").get_data(as_text=True)
        assert name not in "".join(rows_of(due_only)) if '<table class="deadlines">' in due_only else True
        overdue = court.get("/officer/?due=all&status=overdue&rule=G6").get_data(as_text=True)
        assert all("G6" in r for r in rows_of(overdue)) and name in "".join(rows_of(overdue))
        assert court.get("/officer/?status=nonsense&rule=XX&scope=nobody").status_code == 200  # unknown choices: ignored
    commission = world.login_as("commission").get("/officer/").get_data(as_text=True)
    coming = commission.split('id="coming"', 1)[1]
    assert "close of registration" in coming and "(G1)" in coming
    duties_table = commission.split('id="coming"', 1)[0]
    assert "close of registration" not in duties_table


def test_after_the_sweep_fired_the_review_it_is_still_overdue_on_the_courts_dashboard(world: WebWorld) -> None:
    """The sweep's G6 notice (the row fired) does not take the duty off the court's list."""
    row, name = court_review(world)
    with time_machine.travel(row.due_at + 3 * DAY, tick=False):
        court = world.login_as("court")
        sweep.sweep(world.db, row.due_at + 3 * DAY)
        with world.db.reading() as session:
            assert session.get(Deadline, row.id).status == "fired"
        first = rows_of(court.get("/officer/?due=all").get_data(as_text=True))[0]
        assert name in first and "late by 3 days" in first
