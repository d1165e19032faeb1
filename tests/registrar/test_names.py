"""Titles and names in each language of the pages (registrar/names.py): an election announced, an
association registered and renamed in Kazakh, Russian and English; bad names refused at their
field, in words, with nothing stored; the actions' own refusals said by message id, their
English unchanged."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import pytest
from sqlalchemy import func, select

from registrar import actions, demo, reasons
from registrar.db import Database
from registrar.errors import InvalidPayload
from registrar.models import Association, AssociationName, AuditEvent, Election
from registrar.names import InLanguages

from .conftest import ELECTION_DAY, World
from .test_reasons import assert_in_words

TITLES = {"kk": "Қазақстан Республикасы Президентінің 2031 жылғы сайлауы",
          "ru": "Выборы Президента Республики Казахстан 2031 года",
          "en": "Election of the President of the Republic of Kazakhstan, 2031"}  # fmt: skip
NAMES = {"kk": "«Ұлы дала» партиясы", "ru": "Партия «Улы дала»", "en": "Uly Dala Party"}


def announcement(**overrides: Any) -> dict[str, Any]:
    return {"id": "kz-2031", "kind": "presidential", "announced_on": "2031-08-24", "election_day": "2031-11-25",
            "titles": TITLES} | overrides  # fmt: skip


def refused(call: Any) -> dict[str, Any]:
    with pytest.raises(InvalidPayload) as refusal:
        call()
    return refusal.value.errors


def count(db: Database, model: Any) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_election_is_announced_with_its_title_in_each_language(db: Database) -> None:
    actions.announce_election(db, announcement(), actor="test:commission")
    with db.reading() as session:
        election = session.get_one(Election, "kz-2031")
        titles = election.titles
        audited = session.scalar(select(AuditEvent.payload).where(AuditEvent.action == "announce_election"))
    assert election.title == TITLES["kk"], "entered in Kazakh, the state language, when no title is given as entered"
    assert isinstance(titles, InLanguages) and [titles.in_(lang) for lang in ("kk", "ru", "en")] == list(TITLES.values())
    assert audited["titles"] == TITLES


def test_the_title_as_entered_is_still_taken_alone_and_kept_with_its_languages(db: Database) -> None:
    actions.announce_election(db, announcement(id="kz-old", title="Presidential election 2031", titles=None),
                              actor="test:commission")  # fmt: skip
    actions.announce_election(db, announcement(title="Сайлау-2031", titles={"kk": "Сайлау", "ru": "Выборы"}),
                              actor="test:commission")  # fmt: skip
    with db.reading() as session:
        old, new = session.get_one(Election, "kz-old").titles, session.get_one(Election, "kz-2031").titles
    assert old == "Presidential election 2031" and old.in_("ru") == "Presidential election 2031"
    assert new == "Сайлау-2031" and (new.in_("kk"), new.in_("ru"), new.in_("en")) == ("Сайлау", "Выборы", "Сайлау-2031")


@pytest.mark.parametrize(
    ("titles", "errors"),
    [
        ({"kk": "   ", "ru": TITLES["ru"]}, {"kk": "names.blank"}),
        ({"kk": "", "ru": "в" * 301}, {"kk": "names.blank", "ru": "length_max"}),
        ({"kk": TITLES["kk"], "ru": TITLES["ru"], "de": "Wahl"}, {"de": "names.not_a_language"}),
        ({"en": TITLES["en"]}, {"kk": "required", "ru": "required"}),
        (None, {"kk": "required", "ru": "required"}),
    ],
)
def test_bad_titles_are_refused_at_their_field_in_words_and_nothing_is_stored(
    db: Database, titles: Any, errors: dict[str, str]
) -> None:
    found = refused(lambda: actions.announce_election(db, announcement(titles=titles), actor="test:commission"))
    assert set(found) == {"titles"}
    assert {lang: [m.message for m in messages] for lang, messages in found["titles"].items()} == {
        lang: [message] for lang, message in errors.items()
    }
    for language in ("kk", "ru"):
        for messages in found["titles"].values():
            assert_in_words(messages[0].said(language), language)
    assert count(db, Election) == 0


def test_an_association_is_registered_and_renamed_in_each_language(db: Database) -> None:
    association = actions.register_association(
        db, {"registration_number": "0099-UD", "names": NAMES, "kind": "national", "registered_on": "2010-01-01"},
        actor="test:ministry")  # fmt: skip
    renamed = {"kk": "«Жаңа дала» партиясы", "ru": "Партия «Жана дала»"}
    actions.rename_association(db, association, {"names": renamed, "valid_from": "2020-01-01"}, actor="test:ministry")
    with db.reading() as session:
        row = session.get_one(Association, association)
        before, now = row.named_on(dt.date(2015, 1, 1)), row.named
    assert (before, before.in_("ru"), before.in_("en")) == (NAMES["kk"], NAMES["ru"], NAMES["en"])
    assert (now, now.in_("ru"), now.in_("en")) == (renamed["kk"], renamed["ru"], renamed["kk"]), "no English: as entered"


def test_bad_names_of_an_association_are_refused_and_nothing_is_stored(db: Database) -> None:
    payload = {"registration_number": "0099-UD", "names": {"kk": "", "ru": "Партия", "fr": "Parti"}, "kind": "national",
               "registered_on": "2010-01-01"}  # fmt: skip
    found = refused(lambda: actions.register_association(db, payload, actor="test:ministry"))
    assert {lang: [m.message for m in ms] for lang, ms in found["names"].items()} == {
        "kk": ["names.blank"], "fr": ["names.not_a_language"]}  # fmt: skip
    assert count(db, Association) == 0 and count(db, AssociationName) == 0


def test_a_name_in_languages_survives_the_cache() -> None:
    name = InLanguages(TITLES["kk"], TITLES)
    again = pickle.loads(pickle.dumps(name))
    assert again == TITLES["kk"] and again.in_("ru") == TITLES["ru"]


# --- the actions' refusals, said by id ---------------------------------------------------------------


def said_in(errors: dict[str, Any], field: str) -> reasons.Said:
    (message,) = errors[field]
    assert isinstance(message, reasons.Said), message
    return message


def test_the_actions_refusals_keep_their_english_and_are_said_in_kazakh_and_russian(world: World) -> None:
    again = refused(lambda: actions.announce_election(world.db, announcement(id="kz-2029"), actor="test:commission"))
    exists = said_in(again, "id")
    assert (exists.message, exists) == ("election.exists", "an election 'kz-2029' already exists")
    assert exists.said("kk") == "«kz-2029» сайлауы бұрыннан бар"

    kindless = said_in(refused(lambda: actions.announce_election(world.db, announcement(kind=""), actor="t")), "kind")
    assert kindless.startswith("required: the election kind, one of presidential")
    unknown = said_in(refused(lambda: actions.announce_election(world.db, announcement(kind="mayor"), actor="t")), "kind")
    assert (
        unknown
        == "'mayor': no rules for this election kind (known: "
        + kindless.removeprefix("required: the election kind, one of ")
        + ")"
    )

    taken = refused(lambda: actions.register_association(
        world.db, {"registration_number": "N-001", "name": "x", "kind": "national", "registered_on": "2010-01-01"},
        actor="t"))  # fmt: skip
    assert said_in(taken, "registration_number") == "an association with this number is already registered"

    early = refused(lambda: actions.rename_association(world.db, world.associations[0],
                                                       {"name": "Again", "valid_from": "1990-01-01"}, actor="t"))  # fmt: skip
    before = said_in(early, "valid_from")
    assert before.message == "association.renamed_after" and before.startswith("must be after ")
    assert "жылғы" in before.said("kk") and "г." in before.said("ru")

    nominee = {
        "association_id": 99_999,
        "person": demo.person("Жоқ Бірлестік", ELECTION_DAY),
        "decision": demo.decision(world.calendar.local(world.nomination_time).date() - dt.timedelta(days=1)),
    }
    nobody = refused(lambda: actions.nominate(world.db, "kz-2029", nominee, actor="t", at=world.nomination_time))
    assert said_in(nobody, "association_id") == "no association 99999"

    bad_value = refused(lambda: actions.set_milestone(
        world.db, "kz-2029", {"milestone": "nomination_closes", "value": "not a time", "number": "1/2",
                              "adopted_on": "2029-08-25"}, actor="t"))  # fmt: skip
    value = said_in(bad_value, "value")
    assert value.startswith("not a valid value for nomination_closes: ") and "ұсынудың аяқталуы" in value.said("kk")
    # (the election's identifier in "exists" is the one the officer typed, said as typed)
    for message in (kindless, unknown, before, value):
        for language in ("kk", "ru"):
            assert_in_words(message.said(language), language, message.message)
