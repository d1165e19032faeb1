"""A candidacy's task list: which steps could succeed now, read from the machine's table without
performing anything, and a decision's payload checked exactly as the action would check it."""

from __future__ import annotations

import datetime as dt

import pytest

from registrar import actions, roles, task_list
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed, StaleVersion
from registrar.task_list import CANNOT_START, DONE, TO_DO

from .conftest import World

CLERK, COMMISSION = roles.triggers_for("clerk"), roles.triggers_for("commission")


def statuses(world: World, candidacy_id: int, triggers: frozenset[str], at: dt.datetime) -> dict[str, task_list.Task]:
    return {t.trigger: t for t in task_list.tasks(world.db, candidacy_id, triggers, at=at)}


def test_a_nominated_candidacy_lists_what_could_succeed_and_why_the_rest_cannot(world: World) -> None:
    candidacy = world.nominate()
    at = world.registration_time
    tasks = statuses(world, candidacy, CLERK, at)
    assert tasks["file_declarations"].status == TO_DO and not tasks["file_declarations"].unmet, (
        "D1's condition reads the declarations the step's own payload brings: to do"
    )
    assert tasks["send_information_request"].status == TO_DO
    answer = tasks["answer_information_request"]
    assert answer.status == CANNOT_START and [u.rule for u in answer.unmet] == ["D2"], "no request was sent"
    medical = tasks["start_medical_check"]
    assert medical.status == CANNOT_START and medical.unmet[0].rule == "D3" and "declarations filed" in medical.unmet[0].reason
    assert set(tasks) <= CLERK, "only the role's steps"
    decided = statuses(world, candidacy, COMMISSION, at)
    assert decided["register"].status == CANNOT_START and decided["refuse"].status == TO_DO
    assert decided["close_appeal_window"].status == CANNOT_START


def test_a_step_taken_is_done_and_documents_missing_are_named_by_their_rules(world: World) -> None:
    candidacy = world.nominate()
    world.walk(candidacy, "medical_check")
    at = world.registration_time + dt.timedelta(days=1)
    tasks = statuses(world, candidacy, CLERK, at)
    assert tasks["file_declarations"].status == DONE and tasks["file_declarations"].taken == 1
    assert tasks["start_medical_check"].status == DONE
    assert tasks["record_medical_conclusion"].status == TO_DO
    day = world.calendar.local(at).date().isoformat()
    actions.perform(world.db, candidacy, "record_medical_conclusion",
                    {"institution": "Clinic", "number": "MC-1", "issued_on": day, "fit": True}, actor="test", at=at)  # fmt: skip
    once = statuses(world, candidacy, CLERK, at)["record_medical_conclusion"]
    assert once.status == DONE, "a record the law asks for once, recorded: its recorder would refuse a second"

    other = world.nominate(world.associations[1], full_name="Second Candidate")
    actions.perform(world.db, other, "file_declarations", _declarations(world, at), actor="test", at=at)
    actions.perform(world.db, other, "start_medical_check", {}, actor="test", at=at)
    submit = statuses(world, other, CLERK, at)["submit_documents"]
    assert submit.status == CANNOT_START
    assert {u.rule for u in submit.unmet} >= {"N6", "D6"}, "every missing paper with its rule id"
    with pytest.raises(GuardFailed) as refused:
        actions.perform(world.db, other, "submit_documents", {}, actor="test", at=at)
    assert {(u.rule, u.reason) for u in refused.value.unmet} == {(u.rule, u.reason) for u in submit.unmet}, (
        "the task list says what the action says"
    )


def test_an_answer_is_to_do_once_a_request_awaits_it_and_done_when_none_does(world: World) -> None:
    candidacy = world.nominate()
    at = world.registration_time
    actions.perform(world.db, candidacy, "send_information_request", {"organisation": "Bank", "subject": "accounts"},
                    actor="test", at=at)  # fmt: skip
    assert statuses(world, candidacy, CLERK, at)["answer_information_request"].status == TO_DO
    request_id = 1
    actions.perform(world.db, candidacy, "answer_information_request", {"request_id": request_id, "answer": "none"},
                    actor="test", at=at)  # fmt: skip
    answered = statuses(world, candidacy, CLERK, at)["answer_information_request"]
    assert answered.status == DONE and answered.taken == 1


def test_the_window_stands_in_the_way_after_registration_closes(world: World) -> None:
    candidacy = world.nominate()
    late = world.calendar.registration_closes + dt.timedelta(hours=1)
    tasks = statuses(world, candidacy, CLERK, late)
    assert tasks["file_declarations"].status == CANNOT_START
    assert tasks["file_declarations"].unmet[0].rule == "G1"
    assert statuses(world, candidacy, COMMISSION, late)["refuse_incomplete"].status == TO_DO, "the sweep's step, due now"


def test_check_raises_what_perform_would_and_writes_nothing(world: World) -> None:
    candidacy = world.nominate()
    world.walk(candidacy, "documents_submitted")
    at = world.registration_time + dt.timedelta(days=2)
    view = actions.show_candidacy(world.db, candidacy, at=at)
    payload = {"number": "R-1", "decided_on": world.calendar.local(at).date().isoformat()}
    data = task_list.check(world.db, candidacy, "register", payload, expected_version=view["version"], at=at)
    assert data["number"] == "R-1"
    assert actions.show_candidacy(world.db, candidacy, at=at)["state"] == "documents_submitted", "nothing performed"
    with pytest.raises(StaleVersion):
        task_list.check(world.db, candidacy, "register", payload, expected_version=view["version"] - 1, at=at)
    with pytest.raises(InvalidPayload):
        task_list.check(world.db, candidacy, "register", {}, expected_version=view["version"], at=at)
    with pytest.raises(NotAllowed):
        task_list.check(world.db, candidacy, "cancel_registration", payload, expected_version=view["version"], at=at)
    tomorrow = (world.calendar.local(at).date() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(GuardFailed) as ahead:
        task_list.check(world.db, candidacy, "register", payload | {"decided_on": tomorrow},
                        expected_version=view["version"], at=at)  # fmt: skip
    assert ahead.value.unmet[0].rule == "G2", "a decision dated ahead of today is refused before confirmation"
    late = world.calendar.registration_closes + dt.timedelta(hours=1)
    with pytest.raises(GuardFailed) as closed:
        task_list.check(world.db, candidacy, "register", payload, expected_version=view["version"], at=late)
    assert closed.value.unmet[0].rule == "G1"


def test_before_deciding_shows_every_condition_of_registration(world: World) -> None:
    candidacy = world.nominate()
    world.walk(candidacy, "documents_submitted")
    at = world.registration_time + dt.timedelta(days=2)
    deciding = task_list.before_deciding(world.db, candidacy, "register", at=at)
    rules = [c.rule for c in deciding.conditions]
    assert {"N1", "N3", "E1", "E2", "D1", "D3", "D4", "D5"} <= set(rules)
    assert all(c.met for c in deciding.conditions), [c for c in deciding.conditions if not c.met]
    assert deciding.facts["citizen_by_birth"] is True and "birth_date" in deciding.facts

    young = world.nominate(world.associations[2], full_name="Too Young", birth_date="2000-01-01")
    world.walk(young, "documents_submitted")
    unmet = {c.rule: c for c in task_list.before_deciding(world.db, young, "register", at=at).conditions if not c.met}
    assert "E2" in unmet and unmet["E2"].unmet[0].rule == "E2", "the unmet rule with its reason"
    assert statuses(world, young, COMMISSION, at)["register"].status == CANNOT_START


def _declarations(world: World, at: dt.datetime) -> dict[str, object]:
    day, as_of = world.calendar.local(at).date().isoformat(), world.calendar.declarations_as_of.isoformat()
    rows = [{"filer": filer, "valued_as_of": as_of, "filed_on": day, "revenue_office": "SRC", "receipt_number": f"R-{filer}"}
            for filer in world.rules.D1.filers]  # fmt: skip
    return {"declarations": rows}
