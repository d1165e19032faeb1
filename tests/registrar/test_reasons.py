"""Every reason and every field error in the reader's words: the catalogues are complete, the kk and
ru renderings hold no English and no identifier, and a decision's date is held within its window."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import registrar
from registrar import actions, eligibility, machines, reasons, schemas
from registrar.calendar import local_date
from registrar.conditions import (
    Context,
    appeal_window_lapsed,
    appeal_window_open,
    contribution_paid,
    declarations_filed,
    eligible,
    enough_signatures,
    medically_fit,
    nomination_papers,
    registration_closed,
    registration_documents,
)
from registrar.db import Database
from registrar.eligibility import Unmet
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed
from registrar.models import Candidacy, Decision, Election, ElectionResult
from registrar.rules import Rules

from .conftest import ELECTION_DAY, ELECTION_ID, World
from .test_machine import paper
from .test_results import count_ahead, national

LANGUAGES = ("kk", "ru")
OTHERS = ("kk", "ru")
TABLES = ("reasons", "field_errors")

# --- what the code says ---------------------------------------------------------------------------

SOURCE = Path(registrar.__file__).parent
SAID = re.compile(r'(?:Unmet\.because\(\s*[^,()]+,\s*|_why\(|said\(|message=|message, params = )"([A-Za-z0-9_.]+)"')
# Ids the code builds from a name (eligibility's grounds, the schemas' rules-listed choices).
BUILT = {
    *(f"ground.{name}" for name in eligibility._GROUNDS),
    *(f"rules.{kind}.{what}" for kind in ("none", "not_one_of") for what in schemas._CHOICES),
}
# What a language may leave unsaid: the rules' English title, the tally's English detail, and
# for an action no catalogue names, the names it came with.
MAY_OMIT = {"title", "detail", "trigger", "state", "known", "awareness"}


def ids_in_code() -> set[str]:
    found = set(BUILT)
    for path in SOURCE.rglob("*.py"):
        found |= set(SAID.findall(path.read_text(encoding="utf-8")))
    return found


def template(language: str, message: str) -> tuple[str, str]:
    book = reasons.catalogue(language)
    for table in TABLES:
        if message in book.texts[table]:
            return table, book.texts[table][message]
    raise KeyError(f"{language}: no message {message!r}")


def test_every_message_id_the_code_says_is_in_every_catalogue_with_its_parameters() -> None:
    used = ids_in_code()
    assert {"N5.already_nominated", "window.closed", "not_allowed.candidacy", "decision.in_future", "protocol.none_yet"} <= used
    for message in sorted(used):
        table, english = template("en", message)
        for language in OTHERS:
            other_table, text = template(language, message)
            assert other_table == table, message
            extra = reasons.placeholders(text) - reasons.placeholders(english)
            left_out = reasons.placeholders(english) - reasons.placeholders(text)
            assert not extra, f"{language}: {message} names {extra}, which the English does not"
            assert left_out <= MAY_OMIT, f"{language}: {message} leaves out {left_out}"


def test_the_three_catalogues_declare_the_same_messages() -> None:
    english = reasons.catalogue("en")
    for language in OTHERS:
        book = reasons.catalogue(language)
        for table in TABLES:
            assert set(book.texts[table]) == set(english.texts[table]), (language, table)
        for table, words in english.words.items():
            if table.startswith("names."):
                assert set(book.words[table]) == set(words), (language, table)


# --- in words, not identifiers --------------------------------------------------------------------

RULE_ID = re.compile(r"\b[A-Z]\d+\b")
LATIN = re.compile(r"[A-Za-z]{2,}")
RAW = {
    "a snake_case identifier": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "a UTC offset": re.compile(r"[+-]\d{4}\b|[+-]\d{2}:\d{2}\b"),
    "an ISO date": re.compile(r"\d{4}-\d{2}-\d{2}"),
}


def assert_in_words(text: str, language: str, what: str = "") -> None:
    assert text.strip(), what
    for name, pattern in RAW.items():
        assert not pattern.search(text), f"{language}: {name} in {text!r} ({what})"
    english = LATIN.findall(RULE_ID.sub("", text))
    assert not english, f"{language}: English {english} in {text!r} ({what})"


AT = dt.datetime(2029, 9, 25, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
DAY = dt.date(2029, 9, 25)
SAMPLES: dict[str, Any] = {
    "until": AT, "at": AT,
    "state": "registration_cancelled", "phase": "second_round_due", "phases": ["nomination", "registration"],
    "trigger": "register", "known": ["register", "refuse"], "document": "minutes_extract",
    "documents": ["consent", "biography"], "filer": "spouse", "filers": ["candidate", "spouse"], "kind": "regional",
    "kinds": ["national"], "milestone": "registration_closes", "tests": ["reading_aloud", "speech"],
    "education": "secondary", "levels": ["higher", "postgraduate"], "majority_of": "members", "state_language": "kk",
    "grounds": ["documents_missing", "false_declaration"], "association": "«Аманат» партиясы", "unit": "ABA",
    "units": ["ABA", "AKM"], "regions": ["ABA", "ALA"], "number": "МҚ-17", "candidacy": "12",
    "reasons": [{"message": "E1.not_citizen_by_birth", "params": {}}, {"message": "E4.not_resident", "params": {}}],
    "served": {"message": "duration.years_months", "params": {"years": 4, "months": 11}}, "share": Fraction(1, 5),
    "choices": "national, regional, local", "input": "ертең", "obj_type": "datetime", "awareness": "naive",
    "title": "Election of the President of the Republic of Kazakhstan", "detail": "V5: candidacies 3 and 4 tie",
    "rule": "V5", "rule_id": "V5", "needed": "1/4",
}  # fmt: skip
DATES = {"day", "decided", "since", "valued_as_of", "as_of", "paid_on", "latest", "first", "today", "decided_on",
         "opened", "voted_on"}  # fmt: skip
# A ground a rules file adds before the catalogues have words for it is shown as the file spells it.
AS_THE_RULES_SPELL_IT = {"ground.other"}


def sample(name: str) -> Any:
    if name in DATES:
        return DAY
    return SAMPLES.get(name, 3)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_catalogues_renders_in_words(language: str) -> None:
    """The catalogue enumerated, each message with parameters of the kinds the code passes."""
    for table in TABLES:
        for message, english in reasons.catalogue("en").texts[table].items():
            if message in AS_THE_RULES_SPELL_IT:
                continue
            params = {name: sample(name) for name in reasons.placeholders(english)}
            if message == "E4.too_short":
                params["needed"] = DAY
            assert_in_words(reasons.render(message, params, language, table=table), language, message)


def test_english_keeps_the_texts_it_always_had() -> None:
    said = Unmet.because("N2", "window.closed", milestone="nomination_closes", at=AT)
    assert said.reason == "nomination closes at 2029-09-25 18:00 +0500"
    assert str(NotAllowed("register", "nominated")) == "'register' is not allowed while the candidacy is 'nominated'"
    signatures = Unmet.because("D4", "D4.too_few_signatures", valid=800, needed=121_000, share=Decimal(1), voters=12_100_000)
    assert signatures.reason == "800 valid signatures, 121,000 needed (1% of 12,100,000 voters)"


def test_dates_numbers_and_plurals_are_the_languages_own() -> None:
    too_young = {"min_age": 40, "day": dt.date(2029, 9, 16), "age": 39}
    assert "2029 жылғы 16 қыркүйек" in reasons.render("E2.too_young", too_young, "kk")
    assert "16 сентября 2029 г." in reasons.render("E2.too_young", too_young, "ru")
    assert "12\xa0100\xa0000" in reasons.render("D4.too_few_signatures", {"valid": 1, "needed": 2, "share": 1,
                                                                         "voters": 12_100_000}, "ru")  # fmt: skip
    months = {"message": "duration.years_months", "params": {"years": 2, "months": 5}}
    assert reasons.render("E6.too_little_service", {"served": months, "years": 5}, "ru").startswith(
        "стаж государственной службы или выборных государственных должностей 2 года 5 месяцев"
    )
    assert "супруг (супруга) кандидата" in reasons.render("D1.not_filed", {"filer": "spouse"}, "ru")
    assert "кандидаттың жұбайы" in reasons.render("D1.not_filed", {"filer": "spouse"}, "kk")


# --- the real conditions and gates, driven -----------------------------------------------------------


class Person:
    full_name = "Тест Тестов"
    birth_date = dt.date(1995, 3, 1)
    citizen_by_birth = False
    resident_since = dt.date(2025, 1, 1)
    education_level = "secondary"
    public_service_months = 17
    legally_incompetent = True
    detained_by_court_order = True
    unexpunged_criminal_record = True
    presidential_terms_served = 1
    married = True


class Conclusion:
    fluent = False
    linguists = 1
    decided_on = dt.date(2029, 10, 1)
    tests = ("essay",)
    speech_minutes = 3


# What people wrote, not words of the catalogues: an association's name, a document's number.
DATA = ("association", "number")


def every_language_says(unmet: list[Unmet]) -> None:
    assert unmet
    for u in unmet:
        assert u.message, f"{u.rule}: {u.reason!r} has no message id"
        for language in LANGUAGES:
            text = u.said(language)
            for name in DATA:
                text = text.replace(str(u.params.get(name, "")) or "\0", "«…»")
            assert_in_words(text, language, f"{u.rule}: {u.reason}")


def test_eligibility_says_every_unmet_requirement_in_words(world: World) -> None:
    unmet = eligibility.unmet_requirements(Person(), world.calendar, world.rules, Conclusion())  # type: ignore[arg-type]
    assert [u.rule for u in unmet] == ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9"]
    every_language_says(unmet)
    every_language_says(eligibility.unmet_requirements(Person(), world.calendar, world.rules))  # type: ignore[arg-type]


def test_the_phase_gates_and_not_allowed_say_it_in_words(world: World) -> None:
    calendar = world.calendar
    late = calendar.registration_closes + dt.timedelta(hours=1)
    every_language_says(machines.window_unmet(machines.PAPERS, calendar, late))
    every_language_says(machines.window_unmet(machines.PAPERS, calendar, calendar.voting_opens + dt.timedelta(hours=1)))
    every_language_says(machines.window_unmet(machines.Window("N2", machines.OPEN_FOR_PAPERS, "nomination_closes"),
                                              calendar, calendar.nomination_closes))  # fmt: skip
    for attempt in (lambda: machines.step_for("register", "nominated"),
                    lambda: machines.election_step_for("register_president", "counting"),
                    lambda: machines.election_step_for("no_such_step", "counting"),
                    lambda: machines.step_for("no_such_step", "nominated")):  # fmt: skip
        with pytest.raises(NotAllowed) as refused:
            attempt()
        for language in LANGUAGES:
            assert_in_words(refused.value.said(language), language, str(refused.value))


def test_nomination_refusals_are_said_in_words(world: World) -> None:
    world.nominate(world.associations[0])
    for refused_nomination in (
        lambda: world.nominate(world.associations[0], full_name="Second Nominee"),  # N5
        lambda: world.nominate(world.regional, full_name="Regional Nominee"),  # N1
        lambda: world.nominate(world.associations[1], at=world.calendar.nomination_closes),  # N2
    ):
        with pytest.raises(GuardFailed) as refused:
            refused_nomination()
        every_language_says(refused.value.unmet)


def test_the_registration_conditions_of_a_bare_candidacy_are_said_in_words(world: World) -> None:
    candidacy_id = world.nominate(married=True)
    at = world.registration_time
    with world.db.transaction() as session:
        election = session.get(Election, ELECTION_ID)
        candidacy = session.get(Candidacy, candidacy_id)
        assert election is not None and candidacy is not None
        ctx = Context(session, world.rules, world.calendar, election, candidacy, at, "register")
        unmet = [u for condition in (declarations_filed, nomination_papers, registration_documents, medically_fit,
                                     enough_signatures, contribution_paid, eligible, registration_closed,
                                     appeal_window_open) for u in condition(ctx)]  # fmt: skip
        assert appeal_window_lapsed(ctx) == []
        session.rollback()
    assert {"D1", "N6", "D6", "D3", "D4", "D5", "E3", "G1", "G6"} <= {u.rule for u in unmet}
    every_language_says(unmet)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"full_name": "", "birth_date": "yesterday", "citizen_by_birth": "maybe", "resident_since": None,
         "education_level": "x" * 41, "public_service_months": "many", "presidential_terms_served": -1},
    ],
)  # fmt: skip
def test_field_errors_are_said_in_words(payload: dict[str, Any]) -> None:
    with pytest.raises(InvalidPayload) as refused:
        schemas.load(schemas.PersonSchema, payload)
    messages = [m for ms in refused.value.errors.values() for m in ms]
    assert messages and all(isinstance(m, reasons.Said) for m in messages)
    for language in LANGUAGES:
        for m in messages:
            assert_in_words(m.said(language), language, str(m))


def test_field_errors_keep_their_english_and_the_rules_choices_are_words(rules: Rules) -> None:
    with pytest.raises(InvalidPayload) as refused:
        schemas.load(schemas.FileDeclarationsSchema, {"declarations": [{"filer": "cousin"}]}, rules)
    errors = refused.value.errors["declarations"][0]
    assert errors["filed_on"] == ["Missing data for required field."]
    assert errors["filer"] == ["not a declaration filer of these rules; one of: candidate, spouse"]
    assert errors["filer"][0].said("ru") == "не декларант по этим правилам; один из: кандидат, супруг (супруга) кандидата"
    with pytest.raises(InvalidPayload) as refused:
        schemas.load(schemas.AssociationSchema, {"kind": "tribal"})
    (one_of,) = refused.value.errors["kind"]
    assert one_of == "Must be one of: national, regional, local."
    assert_in_words(one_of.said("kk"), "kk", one_of)
    assert "республикалық" in one_of.said("kk")


def test_a_notification_says_the_reasons_it_carries_in_the_contacts_language() -> None:
    unmet = [GuardFailed("register", [Unmet.because("G1", "G1.open_until", until=AT)]).as_dict()["unmet"][0]]
    assert unmet[0]["params"] == {"until": "2029-09-25T18:00:00+05:00"}
    assert reasons.unmet_text(unmet, "kk") == "G1: тіркеу 2029 жылғы 25 қыркүйек, 18:00-ге дейін жүріп жатыр"
    assert reasons.unmet_text(unmet, "en") == "G1: registration is open until 2029-09-25 18:00 +0500"


# --- a decision's date (part 5): never ahead of today, never before its window ------------------------


def _documents_submitted(world: World) -> tuple[int, dt.datetime]:
    candidacy = world.nominate()
    at = world.walk(candidacy, "documents_submitted") + dt.timedelta(hours=1)
    return candidacy, at


def _register_decisions(world: World, candidacy: int) -> int:
    with world.db.reading() as session:
        return int(session.scalar(select(func.count(Decision.id)).where(Decision.candidacy_id == candidacy,
                                                                         Decision.kind == "register")) or 0)  # fmt: skip


@pytest.mark.parametrize(
    ("decided_on", "message"),
    [(ELECTION_DAY + dt.timedelta(days=1), "decision.in_future"), (dt.date(2029, 9, 1), "decision.before_window")],
    ids=["after-election-day", "before-registration-opened"],
)
def test_a_registration_decision_is_dated_within_its_window(world: World, decided_on: dt.date, message: str) -> None:
    candidacy, at = _documents_submitted(world)
    payload = paper(world, "register", at) | {"decided_on": decided_on.isoformat()}
    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, "register", payload, at=at)
    (unmet,) = refused.value.unmet
    assert (unmet.rule, unmet.message, unmet.field) == ("G2", message, "decided_on")
    assert refused.value.as_dict()["unmet"][0]["field"] == "decided_on"
    every_language_says([unmet])
    with world.db.reading() as session:
        assert session.get(Candidacy, candidacy).state == "documents_submitted"  # type: ignore[union-attr]
    assert _register_decisions(world, candidacy) == 0
    # Dated the day it is recorded, the same decision registers.
    assert world.act(candidacy, "register", paper(world, "register", at), at=at).state == "registered"
    assert _register_decisions(world, candidacy) == 1


def test_a_refusal_cannot_be_dated_tomorrow(world: World) -> None:
    candidacy, at = _documents_submitted(world)
    tomorrow = (local_date(at, world.rules) + dt.timedelta(days=1)).isoformat()
    with pytest.raises(GuardFailed) as refused:
        world.act(candidacy, "refuse", paper(world, "refuse", at) | {"decided_on": tomorrow}, at=at)
    assert [(u.rule, u.message) for u in refused.value.unmet] == [("G3", "decision.in_future")]


@pytest.mark.parametrize(
    ("shift", "message"), [(dt.timedelta(days=3), "decision.in_future"), (dt.timedelta(days=-3), "decision.before_window")]
)
def test_the_results_are_dated_between_the_vote_and_today(db: Database, rules: Rules, shift: dt.timedelta,
                                                          message: str) -> None:  # fmt: skip
    vote = count_ahead(db, rules, 2)
    a, b = vote.ids[:2]
    vote.submit(national({a: 700_000, b: 300_000}))
    at = vote.establishing
    decided_on = (local_date(at, rules) + shift).isoformat() if shift.days > 0 else (ELECTION_DAY + shift).isoformat()
    with pytest.raises(GuardFailed) as refused:
        vote.decide("establish_results", {"number": "R-1", "decided_on": decided_on}, at=at)
    (unmet,) = refused.value.unmet
    assert (unmet.rule, unmet.message, unmet.field) == ("V4", message, "decided_on")
    assert vote.election().phase in ("voting", "counting")  # the stored phase has not moved
    with db.reading() as session:
        assert session.scalar(select(func.count(ElectionResult.id)).where(ElectionResult.election_id == ELECTION_ID)) == 0
    assert vote.establish(at).phase == "elected"


def test_a_decision_recorded_on_its_day_is_never_refused_for_its_date(world: World) -> None:
    """What the demo and every way in send, the decision dated the day it is recorded, passes the rule."""
    candidacy, at = _documents_submitted(world)
    assert actions.perform(world.db, candidacy, "register", paper(world, "register", at), actor="test:commission",
                           at=at).state == "registered"  # fmt: skip
