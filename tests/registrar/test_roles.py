"""Whose duty a deadline is follows from its kind's declaration (its steps) and the roles file."""

from __future__ import annotations

from registrar import officer_views, roles
from registrar.deadlines import DEADLINES


def test_every_kind_owes_known_steps_or_actions_that_someone_may_take() -> None:
    assert {name: kind.duty for name, kind in DEADLINES.items() if not kind.duty} == {}
    assert {name: kind.duty for name, kind in DEADLINES.items() if not set(kind.duty) <= set(roles.ACTIONS)} == {}
    assert {name for name, owed in roles.deadline_roles().items() if not owed} == set()


def test_the_duty_gives_the_roles_the_dashboard_had_by_hand() -> None:
    # While officer_views keeps its hand-written table, the two must agree kind by kind.
    assert set(roles.deadline_roles()) == set(DEADLINES)
    assert roles.deadline_roles() == officer_views.deadline_roles()


def test_the_court_owes_the_reviews_and_the_commission_the_registration() -> None:
    owed = roles.deadline_roles()
    assert owed["court_review"] == owed["president_court_review"] == frozenset({"court"})
    assert owed["documents_check"] == frozenset({"commission"})
    assert owed["information_request_answer"] == frozenset({"clerk"})
