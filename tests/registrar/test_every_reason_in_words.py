"""Every reason every condition of the machines can return, and every field error every schema can
produce, said in Kazakh and Russian: no English word, no identifier of the code, no placeholder left.

The conditions are found where the law declares them (the steps of :mod:`registrar.machines`, the
nomination's in :mod:`registrar.actions`), each driven in a world where it is unmet; the test fails
if a condition is declared that no world here drives. The schemas are every payload schema of
:mod:`registrar.schemas`, each loaded with bad values for each of its fields' types.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields, validate

from registrar import actions, demo, eligibility, machines, reasons, schemas, task_list
from registrar import conditions as law
from registrar.conditions import Context, ElectionContext
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed
from registrar.models import Candidacy, Deadline, Election
from registrar.rules import Rules
from registrar.tally import Figures, protocol_errors

from .conftest import ELECTION_DAY, ELECTION_ID, World
from .test_reasons import Conclusion, Person

LANGUAGES = ("kk", "ru")

# --- what "in words" means --------------------------------------------------------------------

RULE_ID = re.compile(r"\b[A-Z]\d+\b")
# A proper name quoted in Latin script («AMANAT», «Respublica»): capitalised, never an identifier.
QUOTED_NAME = re.compile(r"«[A-Z][A-Za-z0-9 .\-]*»")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
RAW = {
    "a snake_case identifier": re.compile(r"\b[A-Za-z]+_[A-Za-z_]+\b"),
    "a dataclass's repr": re.compile(r"\b[A-Z][A-Za-z]+\("),
    "an arrow of the code": re.compile(r"->"),
    "a placeholder left": re.compile(r"\{[^{}]*\}"),
    "a UTC offset": re.compile(r"[+-]\d{4}\b|[+-]\d{2}:\d{2}\b"),
    "an ISO date": re.compile(r"\d{4}-\d{2}-\d{2}"),
}


def english_in(text: str) -> list[str]:
    """The Latin-script words of ``text`` that are neither a rule id nor a quoted proper name."""
    return LATIN_WORD.findall(QUOTED_NAME.sub("", RULE_ID.sub("", text)))


def assert_in_words(text: str, language: str, what: str) -> None:
    assert text.strip(), f"{language}: nothing said for {what}"
    for name, pattern in RAW.items():
        assert not pattern.search(text), f"{language}: {name} in {text!r} ({what})"
    assert not english_in(text), f"{language}: English {english_in(text)} in {text!r} ({what})"


def test_the_check_itself_catches_english_identifiers_and_placeholders() -> None:
    for bad in ("Missing data for required field.", "N5: Amanat has already nominated", "кандидат / spouse",
                "(fired: registration_cancelled -> cancelled_final)", "Verdict(events=369)", "мерзім {until} дейін",
                "2026-11-13 18:00 +0500"):  # fmt: skip
        with pytest.raises(AssertionError):
            assert_in_words(bad, "kk", "a sample")
    assert_in_words("«AMANAT» партиясы осы сайлауда кандидат ұсынып қойған (N5)", "kk", "a quoted name")


# --- the conditions, each driven unmet ------------------------------------------------------------

# What people wrote, not words of the catalogues: an association's name, a document's number.
DATA = ("association", "number")


def said_in_words(unmet: list[Any], what: str) -> None:
    assert unmet, f"{what}: nothing unmet"
    for u in unmet:
        assert u.message, f"{what}: {u.rule}: {u.reason!r} has no message id"
        for language in LANGUAGES:
            text = u.said(language)
            for name in DATA:
                text = text.replace(str(u.params.get(name, "")) or "\0", "«…»")
            assert_in_words(f"{u.rule}: {text}", language, f"{what}: {u.rule} {u.message}")


def declared_conditions() -> set[str]:
    """Every condition the machines and the nomination declare, by name."""
    found = {c.__name__ for step in machines.CANDIDACY_STEPS for c in step.conditions}
    found |= {c.__name__ for step in machines.ELECTION_STEPS for c in step.conditions}
    found |= {c.__name__ for c in getattr(actions, "NOMINATION_CONDITIONS", ())}
    return found | {"nominator_qualifies", "supreme_body_majority", "one_candidacy_per_association"}


# The nomination's conditions by the rule each enforces.
NOMINATION_RULES = {"N1": "nominator_qualifies", "N3": "supreme_body_majority", "N5": "one_candidacy_per_association"}


def _context(world: World, candidacy_id: int, at: dt.datetime, trigger: str) -> Iterator[Context]:
    with world.db.transaction() as session:
        election = session.get(Election, ELECTION_ID)
        candidacy = session.get(Candidacy, candidacy_id)
        assert election is not None and candidacy is not None
        yield Context(session, world.rules, world.calendar, election, candidacy, at, trigger)
        session.rollback()


def test_every_condition_of_the_machines_says_why_in_words(world: World, rules: Rules) -> None:
    driven: dict[str, list[Any]] = {}

    def drive(condition: Callable[[Any], list[Any]], ctx: Any) -> None:
        driven.setdefault(condition.__name__, []).extend(condition(ctx))

    # A bare candidacy, the day registration closes: nothing it needs is recorded.
    bare = world.nominate(married=True)
    for ctx in _context(world, bare, world.registration_time, "register"):
        for condition in (law.declarations_filed, law.nomination_papers, law.registration_documents, law.medically_fit,
                          law.enough_signatures, law.contribution_paid, law.eligible, law.registration_closed,
                          law.appeal_window_open, law.from_the_public_record):  # fmt: skip
            drive(condition, ctx)
    # A refusal whose appeal window still runs: it is not final yet (G6).
    refused = world.nominate(world.associations[1], full_name="Refused Nominee")
    at = world.walk(refused, "refused") + dt.timedelta(minutes=5)
    for ctx in _context(world, refused, at, "close_appeal_window"):
        drive(law.appeal_window_lapsed, ctx)
    # The nomination's own conditions: a second nominee of one association (N5), a regional one (N1),
    # a decision without a majority (N3).
    for refused_nomination in (
        lambda: world.nominate(world.associations[0], full_name="Second Nominee"),
        lambda: world.nominate(world.regional, full_name="Regional Nominee"),
        lambda: actions.nominate(world.db, ELECTION_ID, {
            "association_id": world.associations[2] if len(world.associations) > 2 else world.associations[1],
            "person": demo.person("Minority Nominee", ELECTION_DAY),
            "decision": demo.decision(world.calendar.local(world.nomination_time).date() - dt.timedelta(days=1),
                                      members=120, votes_for=10)},
            actor="test:clerk", at=world.nomination_time),
    ):  # fmt: skip
        with pytest.raises(GuardFailed) as nomination:
            refused_nomination()
        for u in nomination.value.unmet:
            driven.setdefault(NOMINATION_RULES.get(u.rule, u.rule), []).append(u)

    # The election's conditions, on an election context where each is unmet.
    with world.db.transaction() as session:
        election = session.get(Election, ELECTION_ID)
        assert election is not None
        now = world.registration_time
        today = world.calendar.local(now).date()
        unmet_everywhere = ElectionContext(
            session, rules, world.calendar, election, now, "counting", "establish_results",
            data={"voting_day": election.election_day + dt.timedelta(days=800), "decided_on": today + dt.timedelta(days=3),
                  "election_day": today + dt.timedelta(days=800)},
            verdict=SimpleNamespace(outcome="undecided", reason="V5: candidacies 3 and 4 tie for second place"),
            missing_units=("ABA", "AKM"), violated=Fraction(1, 10),
            president_elect=SimpleNamespace(id=7, state="deceased"),
        )  # fmt: skip
        for election_condition in (law.protocols_complete, law.results_decided, law.second_round_in_time,
                                   law.quarter_of_units_violated, law.president_appeal_open,
                                   law.president_elect_standing, law.rerun_in_time):  # fmt: skip
            drive(election_condition, unmet_everywhere)
        driven["election_decision_dated"] = law.election_decision_dated(unmet_everywhere, "V4")
        not_ahead = ElectionContext(session, rules, world.calendar, election, now, "second_round_due", "call_second_round",
                                    data={"voting_day": today}, violated=None)  # fmt: skip
        drive(law.second_round_in_time, not_ahead)
        drive(law.quarter_of_units_violated, not_ahead)
        # A refusal's appeal window: still open (not final), then closed (no appeal any more).
        window = Deadline(key="test:president_appeal_window", subject_type="election", subject_id=ELECTION_ID,
                          kind="president_appeal_window", rule="V7", due_at=now + dt.timedelta(days=3),
                          due_local="", computed_from="test", status="pending", created_at=now)  # fmt: skip
        session.add(window)
        session.flush()
        drive(law.president_appeal_lapsed, unmet_everywhere)
        window.due_at = now - dt.timedelta(days=1)
        session.flush()
        drive(law.president_appeal_open, unmet_everywhere)
        session.rollback()

    missing = declared_conditions() - {name for name, unmet in driven.items() if unmet}
    assert not missing, f"conditions no world here drives unmet: {sorted(missing)}"
    for name, unmet in driven.items():
        said_in_words(unmet, name)
    # Every eligibility requirement too, E1-E9, with and without the linguistic commission's conclusion.
    person: Any = Person()
    said_in_words(eligibility.unmet_requirements(person, world.calendar, world.rules, Conclusion()), "eligibility")
    said_in_words(eligibility.unmet_requirements(person, world.calendar, world.rules), "eligibility")


def test_the_gates_of_every_step_say_why_in_words(world: World) -> None:
    """Each step's window, once passed, and every action asked in a state that does not allow it."""
    calendar = world.calendar
    for step in machines.CANDIDACY_STEPS:
        window = machines.window_for(step, False)
        if window is None:
            continue
        after = calendar.voting_closes + dt.timedelta(days=400)
        said_in_words(machines.window_unmet(window, calendar, after), f"{step.trigger}: its window")
    for state in sorted({s for step in machines.CANDIDACY_STEPS for s in step.source}):
        for trigger in machines.TRIGGERS:
            if any(state in step.source for step in machines.STEPS_BY_TRIGGER[trigger]):
                continue
            with pytest.raises(NotAllowed) as refused:
                machines.step_for(trigger, state)
            for language in LANGUAGES:
                assert_in_words(refused.value.said(language), language, f"{trigger} in {state}")
    said_in_words(law.dated_within("G2", dt.date(2030, 1, 2), dt.date(2030, 1, 1), None), "a decision dated tomorrow")
    said_in_words(law.dated_within("G2", dt.date(2029, 1, 1), dt.date(2030, 1, 1), dt.date(2029, 6, 1)),
                  "a decision dated before its window")  # fmt: skip


def test_every_condition_has_words_for_what_it_requires() -> None:
    # Eligibility is listed requirement by requirement, E1-E9 (task_list.before_deciding).
    for name in sorted(declared_conditions() - {"eligible"} | {f"E{n}" for n in range(1, 10)}):
        for language in ("en", *LANGUAGES):
            assert f"requires.{name}" in reasons.catalogue(language).texts["reasons"], (language, name)
    assert task_list.requirement_of(law.declarations_filed) == "requires.declarations_filed"


def test_the_register_page_says_what_each_condition_requires(world: World) -> None:
    candidacy = world.nominate(married=True)
    at = world.walk(candidacy, "documents_submitted") + dt.timedelta(hours=1)
    deciding = task_list.before_deciding(world.db, candidacy, "register", at=at)
    assert deciding.conditions and all(c.requirement for c in deciding.conditions)
    for c in deciding.conditions:
        for language in LANGUAGES:
            assert_in_words(c.requires(language), language, f"{c.rule}: {c.requirement}")
    e2 = next(c for c in deciding.conditions if c.rule == "E2")
    assert e2.requires("kk") == "кемінде 40 жаста" and e2.requires("ru") == "не моложе 40 лет"
    assert e2.requires("en") == "not younger than 40"


# --- every field error of every schema ------------------------------------------------------------


def payload_schemas() -> list[type[Schema]]:
    found: list[type[Schema]] = []
    todo: list[type[Schema]] = [schemas.Payload]
    while todo:
        schema = todo.pop()
        for sub in schema.__subclasses__():
            if sub not in found:
                found.append(sub)
                todo.append(sub)
    return sorted(found, key=lambda s: s.__name__)


def bad_values(field: fields.Field) -> list[Any]:
    """Values that field refuses: of the wrong type, out of its range or length, not one of its choices."""
    values: list[Any] = [None]
    if isinstance(field, fields.Boolean):
        values += ["maybe", 7]
    elif isinstance(field, fields.Integer | fields.Float | fields.Decimal):
        values += ["many", 1.5, 10**40]
    elif isinstance(field, fields.DateTime):
        values += ["tomorrow", "2029-09-25T18:00", 5]
    elif isinstance(field, fields.Date):
        values += ["yesterday", "2029-02-30", 20290101]
    elif isinstance(field, fields.String):
        values += [12345, "", "x" * 6000, "zz-not-a-choice"]
    elif isinstance(field, fields.List):
        values += ["x", [None], [12345]]
    elif isinstance(field, fields.Dict | fields.Mapping):
        values += ["x", {"1": "many"}]
    elif isinstance(field, fields.Nested):
        values += ["x", [1], {"zz_unknown": 1}]
    step: Any = dt.timedelta(days=1) if isinstance(field, fields.Date) else 1
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            beyond = [(validator.min - step) if validator.min is not None else None,
                      (validator.max + step) if validator.max is not None else None]  # fmt: skip
            values += [v.isoformat() if isinstance(v, dt.date) else v for v in beyond if v is not None]
    return values


def leaves(errors: Any) -> Iterator[Any]:
    if isinstance(errors, dict):
        for value in errors.values():
            yield from leaves(value)
    elif isinstance(errors, list | tuple):
        for value in errors:
            yield from leaves(value)
    else:
        yield errors


def test_every_schema_is_tried() -> None:
    names = {s.__name__ for s in payload_schemas()}
    assert {"PersonSchema", "NominateSchema", "FileDeclarationsSchema", "ProtocolSchema", "RefuseSchema"} <= names


@pytest.mark.parametrize("schema", payload_schemas(), ids=lambda s: s.__name__)
def test_every_field_error_of_every_schema_is_said_in_words(schema: type[Schema], rules: Rules) -> None:
    payloads: list[Any] = [{}, {"zz_unknown": 1}, [1, 2], "x"]
    for name, field in schema().fields.items():
        key = field.data_key or name
        payloads += [{key: value} for value in bad_values(field)]
    said: dict[str, reasons.Said] = {}
    for payload in payloads:
        try:
            schemas.load(schema, payload, rules)
        except InvalidPayload as refused:
            for message in leaves(refused.errors):
                assert isinstance(message, reasons.Said), f"{schema.__name__} {payload!r}: {message!r} has no message id"
                said[message.message] = message
    assert said, f"{schema.__name__}: no payload was refused"
    for message in said.values():
        for language in LANGUAGES:
            text = message.said(language)
            if "choices" in message.params or "input" in message.params:
                text = text.replace(str(message.params.get("input", "\0")), "«…»")
            assert_in_words(text, language, f"{schema.__name__}: {message.message} {message.params}")


def test_every_error_of_a_protocols_sums_is_said_in_words() -> None:
    cases = [
        Figures(-1, -1, -1, -1, {1: -1, 2: 0}, -1),
        Figures(1000, 1001, 1002, 1003, {1: 0, 3: 0}, 5),
        Figures(1000, 900, 880, 20, {1: 501, 2: 300}, 60),
        Figures(1000, 900, 880, 20, {1: 501, 2: 300}),
    ]
    found: dict[str, Any] = {}
    for figures in cases:
        for on_ballot in (True, False):
            for messages in protocol_errors(figures, ballot=(1, 2), against_all_on_ballot=on_ballot).values():
                for m in messages:
                    assert isinstance(m, reasons.Said), m
                    found[m.message] = m
    assert {m for m in found} == {
        "protocol.negative", "protocol.issued_over_list", "protocol.cast_over_issued", "protocol.invalid_over_cast",
        "protocol.not_on_ballot", "protocol.votes_required", "protocol.against_all_not_on_ballot",
        "protocol.against_all_required", "protocol.sum_with_against_all", "protocol.sum",
    }  # fmt: skip
    for m in found.values():
        for language in LANGUAGES:
            assert_in_words(m.said(language), language, m.message)
    (summed,) = protocol_errors(cases[2], ballot=(1, 2), against_all_on_ballot=True)["votes"]
    assert isinstance(summed, reasons.Said)
    assert summed == ("the votes for the candidates (801) and against all (60) add up to 861, but the valid ballots are "
                      "860 (cast 880 - invalid 20)")  # fmt: skip
    assert summed.said("kk").startswith("кандидаттарға берілген дауыстар (801) мен барлығына қарсы дауыстардың (60) жиыны")
    assert "извлечено 880 − недействительных 20" in summed.said("ru")
