"""The officers' forms, built from the payload schemas under an election's rules (web.questions):
each form asks what its schema loads, a rule-limited field offers what its rule allows, the choices
that are records come from the registrar's reads, and the protocol form has an input per candidate.

No database: the registrar's reads are plain data, so a form is built here from data written out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from registrar import machines, schemas, territory
from registrar.errors import InvalidPayload
from registrar.rules import Rules, for_kind
from tests.kinds import second_kind_fixture  # noqa: F401 - the fixture
from web import questions
from web.forms import errors_of, onto, payload_from


def _asked(schema: type[Any], fields: list[questions.FormField], rules: Rules) -> dict[str, list[str]]:
    """The errors an empty form brings, each on the input the form shows for it ("_schema": no input)."""
    try:
        schemas.load(schema, payload_from(MultiDict(), fields), rules)
    except InvalidPayload as err:
        return onto(errors_of(err), fields)
    return {}


def test_every_form_asks_for_what_its_schema_requires_under_each_kind(second_kind: Rules) -> None:
    for rules in (for_kind("presidential"), second_kind):
        for trigger, schema in machines.TRIGGER_SCHEMAS.items():
            assert "_schema" not in _asked(schema, questions.trigger_fields(trigger, rules), rules), (rules.kind, trigger)
        for trigger, schema in machines.ELECTION_SCHEMAS.items():
            assert "_schema" not in _asked(schema, questions.decision_fields(trigger, rules), rules), (rules.kind, trigger)


def test_a_rule_limited_field_offers_what_its_rule_allows_and_a_list_has_a_row_for_each() -> None:
    rules = for_kind("presidential")
    fields = {f.name: f for f in questions.trigger_fields("file_declarations", rules)}
    filers = [(filer, filer) for filer in rules.D1.filers]
    assert [fields[f"declarations.{row}.filer"].choices for row in range(len(filers))] == [tuple(filers)] * len(filers)
    assert f"declarations.{len(filers)}.filer" not in fields


def test_an_actions_choices_are_the_candidacys_own_records() -> None:
    records = {
        "rules": for_kind("presidential"),
        "information_requests": [
            {"id": 1, "organisation": "Ministry of Justice", "answered_at": None},
            {"id": 2, "organisation": "Revenue Committee", "answered_at": dt.datetime(2029, 9, 1, tzinfo=dt.UTC)},
        ],
        "declarations": [{"filer": "candidate"}, {"filer": "spouse"}],
    }
    (request,) = [f for f in questions.action_fields("answer_information_request", records) if f.name == "request_id"]
    assert (request.kind, request.choices) == ("select", (("1", "#1 Ministry of Justice"),))
    (filer,) = [f for f in questions.action_fields("record_declaration_verification", records) if f.name == "filer"]
    assert filer.choices == (("candidate", "candidate"), ("spouse", "spouse"))


def _counting(unit: territory.Unit) -> dict[str, Any]:
    """What registrar.officer_views.counting reads in round 1 with two candidates and one unit still to report."""
    ballot = [(7, "Candidate A"), (9, "Candidate B")]
    return {"round": 1, "rules": for_kind("presidential"), "ballot": ballot, "missing_units": [(unit.code, unit.name)]}


@pytest.mark.parametrize("correction", [False, True])
def test_the_protocol_form_has_an_input_per_candidate_and_offers_the_units_still_to_report(correction: bool) -> None:
    unit = territory.current().units[0]
    form = questions.protocol_form(_counting(unit), correction=correction)
    fields = {f.name: f for f in form.fields}
    assert (form.round, form.candidates) == (1, {"votes.7": "Candidate A", "votes.9": "Candidate B"})
    assert form.units == ((unit.code, f"{unit.name} ({unit.code})"),)
    # A correction's unit is in its address, not in the form.
    assert ("unit" in fields) is not correction and ("reason" in fields) is correction
    if not correction:
        assert (fields["unit"].kind, fields["unit"].choices) == ("select", form.units)
    assert [(f.kind, f.integer) for name, f in fields.items() if name.startswith("votes")] == [("number", True)] * 2
    assert (fields["void"].kind, fields["violations"].kind) == ("checkbox", "checkbox")


def test_a_protocols_values_fill_the_correction_form_to_the_same_figures() -> None:
    protocol = {
        "voters_on_list": 1200,
        "ballots_issued": 1010,
        "ballots_cast": 1000,
        "invalid_ballots": 20,
        "votes": {"7": 600, "9": 330},
        "against_all": 50,
        "chair": "Chair of the commission",
        "members_signed": 5,
        "signed_on": "2029-11-25",
        "void": False,
        "violations": True,
    }
    form = questions.protocol_form(_counting(territory.current().units[0]), correction=True)
    assert payload_from(MultiDict(questions.protocol_values(protocol)), form.fields, questions.VOTES) == protocol


# --- Dates asked as day, month and year ---------------------------------------------------------------

DATED = [questions.FormField("decided_on", "date", True), questions.FormField("number", "text", True),
         questions.FormField("declarations.0.filed_on", "date", True)]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "composed", "problem"),
    [
        ({"decided_on.day": "7", "decided_on.month": "3", "decided_on.year": "2026"}, "2026-03-07", None),
        ({"decided_on.day": "29", "decided_on.month": "2", "decided_on.year": "2028"}, "2028-02-29", None),
        ({"decided_on.day": "29", "decided_on.month": "2", "decided_on.year": "2026"}, None, "Enter a real date"),
        ({"decided_on.day": "31", "decided_on.month": "4", "decided_on.year": "2026"}, None, "Enter a real date"),
        ({"decided_on.day": "1", "decided_on.month": "13", "decided_on.year": "2026"}, None, "Enter a real date"),
        ({"decided_on.day": "1", "decided_on.year": "2026"}, None, "The date must include a month"),
        ({"decided_on.day": "x", "decided_on.month": "1", "decided_on.year": "2026"}, None, "as numbers"),
        ({"decided_on.day": "1", "decided_on.month": "1", "decided_on.year": "26"}, None, "four digits"),
        ({"decided_on": "2026-11-20"}, "2026-11-20", None),  # posted whole, as the API's clients do
        ({}, None, None),  # left empty: the schema says it is required
    ],
)
def test_a_date_in_three_boxes_becomes_the_iso_date_or_a_field_error(typed: dict[str, str], composed: str | None,
                                                                    problem: str | None) -> None:  # fmt: skip
    form, errors = questions.dates_from(MultiDict(typed | {"number": "R-1"}), DATED)
    payload = payload_from(form, DATED)
    assert payload.get("decided_on") == composed
    assert payload["number"] == "R-1"
    if problem is None:
        assert errors == {}
    else:
        assert list(errors) == ["decided_on"] and problem in errors["decided_on"][0]


def test_a_date_inside_a_list_row_is_composed_too_and_split_back_for_the_form() -> None:
    form, errors = questions.dates_from(
        MultiDict({"declarations.0.filed_on.day": "2", "declarations.0.filed_on.month": "11",
                   "declarations.0.filed_on.year": "2026"}), DATED)  # fmt: skip
    assert not errors and payload_from(form, DATED)["declarations"] == [{"filed_on": "2026-11-02"}]
    assert questions.date_parts("2026-11-02") == {"day": "2", "month": "11", "year": "2026"}
    assert questions.date_parts("not a date") == {"day": "", "month": "", "year": ""}
