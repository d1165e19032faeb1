"""The words of election day and after (V2-V7, D5): protocols, the CEC's and the court's decisions
on the election, its deadlines after the vote, and the territorial commissions as recipients."""

from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from registrar import deadlines, machines, reasons, results, states, sweep, territory
from registrar.db import Database
from registrar.models import Deadline, OutboxMessage
from registrar.notifications import (
    LANGUAGES,
    MISSING,
    TOPICS,
    MessagesError,
    add_contact,
    catalogue,
    deliver_due,
    list_contacts,
    render,
)

from . import test_notifications as base
from .conftest import ELECTION_ID, World

receiver = base.receiver  # the signed-webhook receiver of the delivery tests
Receiver = base.Receiver

AT = "2029-11-27T09:15:00+00:00"
NEW_TOPICS = [t for t in TOPICS if t.startswith(("election.", "deadline.", "candidacy.record_death"))
              and t not in ("election.extension_possible", *(f"deadline.{k}" for k in deadlines.KINDS),
                            *(f"deadline.{k}" for k in deadlines.ELECTION_MILESTONES), "deadline.reminder")]  # fmt: skip


def payload_of(topic: str) -> dict[str, Any]:
    """The payload the domain writes for ``topic`` (registrar/results.py, sweep.py, actions.py)."""
    family, name = topic.split(".", 1)
    if topic in ("election.submit_protocol", "election.correct_protocol"):
        return {"election": ELECTION_ID, "round": 2, "unit": "AST", "version": 3, "at": AT}
    if family == "election":
        step = next(s for s in machines.ELECTION_STEPS if s.trigger == name)
        return {"election": ELECTION_ID, "trigger": name, "from": step.source[0], "to": step.dest, "at": AT}
    if family == "deadline":
        return {"election": ELECTION_ID, "deadline": f"election:{ELECTION_ID}:{name}:r1:2029-11-27T19:00:00+00:00",
                "kind": name, "rule": deadlines.AFTER_VOTE[name].rule, "due_at": "2029-11-27T19:00:00+00:00",
                "due_local": "2029-11-28T00:00:00+05:00"}  # fmt: skip
    return {"candidacy": 12, "election": ELECTION_ID, "trigger": "record_death", "from": "registered", "to": "deceased",
            "at": AT}  # fmt: skip


def test_the_new_topics_are_the_domains() -> None:
    assert {f"election.{t}" for t in machines.ELECTION_TRIGGERS} <= set(NEW_TOPICS)
    assert {f"deadline.{k}" for k in deadlines.AFTER_VOTE} <= set(NEW_TOPICS)
    assert {"election.submit_protocol", "election.correct_protocol", "candidacy.record_death"} <= set(NEW_TOPICS)
    assert len(NEW_TOPICS) == len(machines.ELECTION_TRIGGERS) + len(deadlines.AFTER_VOTE) + 3


@pytest.mark.parametrize("topic", NEW_TOPICS)
def test_every_new_topic_has_its_own_words_and_fills_every_field_it_names(topic: str) -> None:
    payload = payload_of(topic)
    for language in LANGUAGES:
        book = catalogue(language)
        assert book.template(topic) is book.topics[topic]  # its own table, not a family's or the fallback's
        named = {f for part in book.topics[topic].values() for _, f, _, _ in string.Formatter().parse(part) if f}
        assert named <= {*payload, "concerning"}, (language, named - set(payload))
        text = render(topic, payload, language)
        whole = text.subject + "\n" + text.body
        assert MISSING not in whole and "{" not in whole, whole
        assert ELECTION_ID in whole
        if "from" in payload:  # a phase (or, for a candidacy, a state) in the reader's words
            table = book.words["states" if topic.startswith("candidacy.") else "phases"]
            assert f"{table[payload['from']]}» → «{table[payload['to']]}" in whole or (
                language == "en" and f'"{table[payload["from"]]}" → "{table[payload["to"]]}"' in whole
            ), whole
            assert "_" not in whole, whole  # never the code's identifiers
        if "unit" in payload:
            round_, version = {"en": ("round 2", "version 3"), "ru": ("тур 2", "версия 3"), "kk": ("2-тур", "3-нұсқа")}[language]
            assert "AST" in whole and round_ in whole and version in whole, whole
        if "rule" in payload:
            assert f"({payload['rule']})" in whole, whole
            due = {"en": "2029-11-28 00:00 UTC+05:00", "kk": "2029 жылғы 28 қараша, 00:00", "ru": "28 ноября 2029 г., 00:00"}
            assert due[language] in whole, whole


def test_no_two_new_topics_share_their_words() -> None:
    for language in LANGUAGES:
        subjects = [catalogue(language).topics[t]["subject"] for t in NEW_TOPICS]
        bodies = [catalogue(language).topics[t]["body"] for t in NEW_TOPICS]
        assert len(set(subjects)) == len(subjects) and len(set(bodies)) == len(bodies), language


@pytest.mark.parametrize("topic", ["election.call_rerun", "deadline.protocols_due", "election.submit_protocol"])
def test_a_message_file_without_a_new_topic_is_refused(tmp_path: Path, topic: str) -> None:
    with pytest.raises(MessagesError, match=rf"{re.escape(topic)}.*missing"):
        base.load_changed(tmp_path, lambda source: source.replace(f'[topics."{topic}"]', "[unused]"))


def test_a_new_topic_may_name_only_the_fields_its_payload_carries(tmp_path: Path) -> None:
    unknown = "Protocol received: commission {commission}"
    with pytest.raises(MessagesError, match=r"election\.submit_protocol.*subject.*commission"):
        base.load_changed(tmp_path, lambda source: source.replace("Protocol received: commission {unit}", unknown))


def test_every_word_the_domain_uses_is_in_every_language() -> None:
    wanted = {
        "states": set(states.STATES),
        "phases": set(states.PHASES),
        "actions": set(machines.TRIGGERS) | set(machines.ELECTION_TRIGGERS),
        "deadlines": set(deadlines.KINDS) | set(deadlines.ELECTION_MILESTONES) | set(deadlines.AFTER_VOTE),
    }
    for language in LANGUAGES:
        words = catalogue(language).words
        for table, names in wanted.items():
            assert names <= set(words[table]), (language, table, sorted(names - set(words[table])))
            assert all(words[table][name].strip() for name in names)


def test_an_elections_phases_are_shown_in_the_readers_words() -> None:
    message = {"election": ELECTION_ID, "trigger": "establish_results", "from": "counting", "to": "second_round_due",
               "at": AT}  # fmt: skip
    kk, ru, en = (render("election.establish_results", message, language) for language in ("kk", "ru", "en"))
    assert en.subject == "Results of election kz-2029 established: second round to be called (V4)"
    assert '"counting of the votes" → "second round to be called"' in en.body
    assert "«подсчёт голосов» → «предстоит назначить повторное голосование»" in ru.body
    assert "«дауыстарды санау» → «қайта дауыс беруді тағайындау қажет»" in kk.body
    assert "2029-11-27 14:15 UTC+05:00" in en.body  # the decision's moment in the capital's time (T1)
    # The reminder of a deadline after the vote names it in the reader's words, and the election.
    reminder = render("deadline.reminder", {"election": ELECTION_ID, "kind": "protocols_due", "rule": "V3",
                                            "due_local": "2029-11-28T00:00:00+05:00"}, "en")  # fmt: skip
    assert reminder.subject == ("Reminder: submission of the territorial election commissions' protocols, "
                                "due 2029-11-28 00:00 UTC+05:00")  # fmt: skip
    assert "Election kz-2029." in reminder.body and MISSING not in reminder.body
    # A candidate's death is a candidacy's message: its state, not a phase.
    death = render("candidacy.record_death", payload_of("candidacy.record_death"), "ru")
    assert "«зарегистрирован» → «выбыл в связи со смертью»" in death.body


def test_a_territorial_commission_is_a_recipient(db: Database) -> None:
    contact = add_contact(db, {"recipient": "commission:AST", "channel": "email", "address": "tik@ast.example.kz",
                               "language": "ru"}, actor="test:admin")  # fmt: skip
    assert [(c["id"], c["recipient"]) for c in list_contacts(db, recipient="commission:AST")] == [(contact, "commission:AST")]


# --- From the domain to a commission's webhook ------------------------------------------------


def _count_first_round(world: World) -> list[int]:
    """Three registered, the ballot fixed when voting opens; returns the candidacy ids."""
    ids = []
    for i in range(3):
        candidacy = world.nominate(world.associations[i], full_name=f"Candidate {i}")
        world.walk(candidacy, "registered")
        ids.append(candidacy)
    sweep.sweep(world.db, world.calendar.voting_opens + dt.timedelta(minutes=1), settings=base.settings_for())
    return ids


def _submit(world: World, unit: str, ids: list[int], at: dt.datetime) -> None:
    results.submit_protocol(world.db, ELECTION_ID, {
        "unit": unit, "voters_on_list": 10000, "ballots_issued": 7100, "ballots_cast": 7000, "invalid_ballots": 100,
        "votes": {str(ids[0]): 3105, str(ids[1]): 2760, str(ids[2]): 690}, "against_all": 345,
        "chair": "Chair", "members_signed": 5, "signed_on": "2029-11-25"}, actor="test:clerk", at=at)  # fmt: skip


def deliver_all(db: Database, now: dt.datetime) -> None:
    while deliver_due(db, now, settings=base.settings_for()).total:
        pass


def test_a_commission_whose_protocol_is_missing_is_reminded_in_its_words(world: World, receiver: Receiver) -> None:
    db = world.db
    base.webhook(db, "commission:AST", receiver.url("/ast"), "ru")
    base.webhook(db, "commission:ABA", receiver.url("/aba"), "kk")
    ids = _count_first_round(world)
    counted = world.calendar.voting_closes + dt.timedelta(hours=3)
    for unit in territory.current().units:
        if unit.code != "AST":
            _submit(world, unit.code, ids, counted)
    with db.reading() as session:
        due = session.scalars(select(Deadline).where(Deadline.kind == "protocols_due", Deadline.status == "pending")).one()
    shown = reasons.moment_in(dt.datetime.fromisoformat(due.due_local), "ru")  # as the commission's language writes it

    reminded_at = due.due_at - dt.timedelta(hours=23)  # within the 24-hour lead, before the 2-hour one
    assert sweep.sweep(db, reminded_at, settings=base.settings_for()).reminded >= 1
    with db.reading() as session:
        reminders = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "deadline.reminder")).all()
    told = sorted(m.recipient for m in reminders if m.payload["kind"] == "protocols_due")
    assert told == ["cec", "commission:AST"]  # ABA's protocol is in: it is not reminded
    deliver_all(db, reminded_at)

    by_path: dict[str, list[dict[str, Any]]] = {}
    for request in receiver.requests:
        assert request.verified
        by_path.setdefault(request.path, []).append(request.document)
    [reminder] = [d for d in by_path["/ast"] if d["topic"] == "deadline.reminder"]
    assert reminder["payload"]["kind"] == "protocols_due" and reminder["recipient"] == "commission:AST"
    message = reminder["message"]
    assert message["language"] == "ru"
    assert message["subject"] == f"Напоминание: представление протоколов территориальных избирательных комиссий, срок {shown}"
    assert "(V3)" in message["body"] and "Выборы kz-2029." in message["body"] and MISSING not in message["body"]
    # ABA was told its protocol was received, in Kazakh, and nothing else.
    assert [d["topic"] for d in by_path["/aba"]] == ["election.submit_protocol"]
    received = by_path["/aba"][0]["message"]
    assert received["subject"] == "Хаттама алынды: ABA комиссиясы, 1-тур, kz-2029 сайлауы (V3)"
    assert "1-нұсқа" in received["body"] and MISSING not in received["body"]

    # When the period ends, the notice goes to the commission still missing, in its words.
    lapsed = due.due_at + dt.timedelta(minutes=1)
    sweep.sweep(db, lapsed, settings=base.settings_for())
    deliver_all(db, lapsed)
    [notice] = [r.document for r in receiver.requests if r.path == "/ast" and r.document["topic"] == "deadline.protocols_due"]
    assert notice["message"]["subject"] == "Срок представления протоколов истёк (V3), выборы kz-2029"
    assert f"истёк {shown} (V3)" in notice["message"]["body"]
    assert [r.document["topic"] for r in receiver.requests if r.path == "/aba"] == ["election.submit_protocol"]
