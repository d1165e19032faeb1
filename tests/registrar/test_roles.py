"""Whose duty a deadline is follows from its kind's declaration (its steps) and the roles file."""

from __future__ import annotations

from registrar import roles
from registrar.deadlines import DEADLINES


def test_every_kind_owes_known_steps_or_actions_that_someone_may_take() -> None:
    assert {name: kind.duty for name, kind in DEADLINES.items() if not kind.duty} == {}
    assert {name: kind.duty for name, kind in DEADLINES.items() if not set(kind.duty) <= set(roles.ACTIONS)} == {}
    assert {name for name, owed in roles.deadline_roles().items() if not owed} == set()


def test_the_duty_gives_the_roles_the_dashboard_had_by_hand() -> None:
    """With the packaged roles file, each kind goes to the roles the dashboard's hand-written table
    gave it before the duty was declared with the kind."""
    owed = {kind: sorted(roles_) for kind, roles_ in roles.deadline_roles().items()}
    assert owed == {
        "information_request_answer": ["clerk"], "documents_check": ["commission"],
        "declaration_verification": ["revenue"], "appeal_window": ["court"], "court_review": ["court"],
        "nomination_closes": ["clerk", "commission"], "registration_closes": ["clerk", "commission"],
        "voting_opens": ["commission"], "protocols_due": ["clerk", "territorial"], "results_due": ["commission"],
        "second_round_due": ["commission"], "second_round_voting_opens": ["commission"],
        "second_round_voting_closes": ["commission"], "president_registration_due": ["commission"],
        "president_appeal_window": ["commission", "court"], "president_court_review": ["court"],
        "rerun_due": ["commission"],
    }  # fmt: skip


def test_the_court_owes_the_reviews_and_the_commission_the_registration() -> None:
    owed = roles.deadline_roles()
    assert owed["court_review"] == owed["president_court_review"] == frozenset({"court"})
    assert owed["documents_check"] == frozenset({"commission"})
    assert owed["information_request_answer"] == frozenset({"clerk"})
