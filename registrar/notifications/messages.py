"""In which words: the messages catalogue, one file a language, and a topic rendered into it.

``messages/<language>.toml`` (packaged, or the operator's copy, :mod:`registrar.resources`) has a
``subject`` and a ``body`` for every topic the outbox carries (:data:`TOPICS`), the phrases that
say what a message concerns, and the words for the domain's names: [states] for every candidacy
state, [phases] for every phase of an election, [actions] for every trigger and the nomination,
[deadlines] for every kind of deadline. Loading a file checks it against the domain, both ways: a
state, trigger or deadline the law adds cannot go out under its code name, and a name the domain
no longer has (or never had: a misspelling) is not silently kept. A file that fails is an
installation error naming the file and the key.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from registrar import deadlines, reasons
from registrar.machines import ELECTION_TRIGGERS, TRIGGERS
from registrar.resources import InstallationError, config_file, packaged, read_toml
from registrar.rules_in_force import capital_zone
from registrar.states import PHASES, STATES

MESSAGES_DIR = packaged("messages")
LANGUAGES = ("kk", "ru", "en")


def _deadline_kinds() -> tuple[str, ...]:
    """Every kind of deadline the domain declares: a candidacy's, the election's milestones, those after the vote."""
    # registrar.deadlines is merging its three tables into one (DEADLINES): read whichever it has.
    merged = getattr(deadlines, "DEADLINES", None)
    if merged is not None:
        return tuple(merged)
    return tuple(kind for table in ("KINDS", "ELECTION_MILESTONES", "AFTER_VOTE") for kind in getattr(deadlines, table))


# The decisions whose message says why, in the reader's words ({reasons}): the CEC's refusals and
# cancellation, and the court's rulings and the lapsed appeal that make them final or undo them.
GIVE_REASONS = ("refuse", "refuse_incomplete", "cancel_registration", "uphold_appeal", "dismiss_appeal",
                "close_appeal_window")  # fmt: skip

# Every topic the outbox carries that has its own words; "candidacy.*" serves every candidacy
# action without a table of its own, "fallback" any topic none names. The decisions on an
# election and the deadlines come from the domain's tables, so a new one cannot go out in the
# fallback's words: the loader refuses a message file without it.
TOPICS = (
    "candidacy.*",
    "candidacy.false_declaration",
    "candidacy.record_death",
    *(f"candidacy.{trigger}" for trigger in GIVE_REASONS),
    "deadline.reminder",
    *(f"deadline.{kind}" for kind in _deadline_kinds()),
    "election.extension_possible",
    "election.submit_protocol",
    "election.correct_protocol",
    *(f"election.{trigger}" for trigger in ELECTION_TRIGGERS),
    "fallback",
)
# What a template may name: the payload's fields; the topic and the whole payload as text; and
# {concerning}, the [phrases] line naming the candidacy or, for an election's deadline, the election.
PAYLOAD_FIELDS = frozenset(
    {"candidacy", "election", "trigger", "from", "to", "at", "kind", "rule", "due_local", "registered", "max_extension_days",
     "round", "unit", "version"}
)  # fmt: skip
# {reasons}: why, in the reader's words: the decision's grounds ("grounds", the rules' names of them)
# and the unmet rules a message carries ("unmet", as the API's errors do).
PLACEHOLDERS = PAYLOAD_FIELDS | {"topic", "details", "concerning", "reasons"}
PHRASES = ("concerning_candidacy", "concerning_election")
MISSING = "—"
# Values shown in the reader's words rather than as the code's identifiers, and the table of
# the message file that has the words.
LOCALISED = {"from": "states", "to": "states", "trigger": "actions", "kind": "deadlines"}
# An election's messages move the election between phases, not a candidacy between states.
LOCALISED_BY_FAMILY = {"election": LOCALISED | {"from": "phases", "to": "phases"}}


def named_in_words() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each table of words: what its names are, and every name it must have words for (and no other)."""
    return {
        "states": ("candidacy state", STATES),
        "phases": ("phase of an election", PHASES),
        # Nominating opens a candidacy rather than moving one, so it is no step of a machine.
        "actions": ("action", (*TRIGGERS, *ELECTION_TRIGGERS, "nominate")),
        "deadlines": ("kind of deadline", _deadline_kinds()),
    }


class MessagesError(InstallationError, ValueError):
    """A message file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Text:
    """A topic's message rendered for one reader, in the reader's language."""

    subject: str
    body: str
    language: str


@dataclass(frozen=True)
class Catalogue:
    language: str
    topics: Mapping[str, Mapping[str, str]]
    words: Mapping[str, Mapping[str, str]]  # states, phases, actions, deadlines: {name: words}
    phrases: Mapping[str, str]

    def template(self, topic: str) -> Mapping[str, str]:
        if topic in self.topics:
            return self.topics[topic]
        family = topic.split(".", 1)[0] + ".*"
        return self.topics.get(family, self.topics["fallback"])


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _check_placeholders(path: Traversable, where: str, text: str, allowed: frozenset[str]) -> None:
    try:
        unknown = _fields(text) - allowed
    except ValueError as err:
        raise MessagesError(f"{path}: {where}: {err}") from None
    if unknown:
        raise MessagesError(
            f"{path}: {where}: unknown placeholder(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(allowed))}"
        )


def _words(path: Traversable, raw: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    words = {}
    for table, (what, names) in named_in_words().items():
        given = raw.get(table)
        if not isinstance(given, dict):
            raise MessagesError(f"{path}: [{table}]: expected a table, the words for each {what}")
        missing = [f"{table}.{name}" for name in names if name not in given]
        if missing:
            raise MessagesError(f"{path}: {', '.join(missing)}: missing; every {what} needs its words")
        unknown = [f"{table}.{name}" for name in given if name not in names]
        if unknown:
            raise MessagesError(f"{path}: {', '.join(unknown)}: no such {what}")
        for name, text in given.items():
            if not isinstance(text, str) or not text.strip():
                raise MessagesError(f"{path}: {table}.{name}: expected a non-empty string")
        words[table] = dict(given)
    return words


def load_catalogue(language: str, directory: Path | None = None) -> Catalogue:
    """Read and check ``<directory>/<language>.toml``: every topic, two strings each, known placeholders
    only; the phrases; words for every name of the domain, and for nothing else."""
    path = directory / f"{language}.toml" if directory is not None else config_file(f"messages/{language}.toml")
    raw = read_toml(path, MessagesError, f"no messages for language {language!r}")
    topics = raw.get("topics", {})
    for topic in TOPICS:
        if topic not in topics:
            raise MessagesError(f"{path}: [topics.{topic!r}] is missing")
    for topic, table in topics.items():
        for part in ("subject", "body"):
            text = table.get(part) if isinstance(table, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise MessagesError(f"{path}: topics.{topic!r}.{part}: expected a non-empty string")
            _check_placeholders(path, f"topics.{topic!r}.{part}", text, PLACEHOLDERS)
    phrases = raw.get("phrases", {})
    for name in PHRASES:
        if not isinstance(phrases.get(name), str):
            raise MessagesError(f"{path}: phrases.{name}: expected a string")
        _check_placeholders(path, f"phrases.{name}", phrases[name], PAYLOAD_FIELDS)
    return Catalogue(language, {t: {"subject": v["subject"].strip(), "body": v["body"].strip()} for t, v in topics.items()},
                     _words(path, raw), {name: phrases[name] for name in PHRASES})  # fmt: skip


@cache
def catalogue(language: str) -> Catalogue:
    return load_catalogue(language)


def _shown(name: str, value: Any, words: Mapping[str, Mapping[str, str]], localised: Mapping[str, str],
           language: str = "en") -> str:  # fmt: skip
    if value is None or value == "":
        return MISSING
    if name in localised:
        return words[localised[name]].get(str(value), str(value).replace("_", " "))
    if name in ("at", "due_local") and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            return f"{moment:%Y-%m-%d %H:%M}"
        if name == "at":  # the action's moment is stored in UTC; people read the capital's time (T1)
            moment = moment.astimezone(capital_zone())
        if language != "en":  # "2029 жылғы 10 қазан, 11:30", as the pages write it
            return reasons.moment_in(moment, language)
        offset = moment.strftime("%z")
        return f"{moment:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}"
    return str(value)


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return MISSING


def reasons_in_words(payload: Mapping[str, Any], language: str) -> str:
    """Why, as a message says it: each ground of the decision in words, then the unmet rules; "—" if none."""
    grounds = payload.get("grounds")
    said = [reasons.words_for("names.grounds", str(g), language) for g in grounds] if isinstance(grounds, list) else []
    unmet = payload.get("unmet")
    if isinstance(unmet, list) and unmet:
        said.append(reasons.unmet_text(unmet, language))
    return "; ".join(said) if said else MISSING


def render(topic: str, payload: Mapping[str, Any], language: str, *, catalogue_of: Catalogue | None = None) -> Text:
    """The message for ``topic`` in ``language``, its placeholders filled from ``payload``."""
    book = catalogue_of or catalogue(language if language in LANGUAGES else "kk")
    localised = LOCALISED_BY_FAMILY.get(topic.split(".", 1)[0], LOCALISED)
    values = _Values({name: _shown(name, payload.get(name), book.words, localised, book.language) for name in PAYLOAD_FIELDS})
    about = "concerning_candidacy" if payload.get("candidacy") not in (None, "") else "concerning_election"
    values["concerning"] = book.phrases[about].format_map(values)
    values["topic"] = topic
    values["reasons"] = reasons_in_words(payload, book.language)
    values["details"] = json.dumps(dict(payload), ensure_ascii=False, sort_keys=True, default=str)
    template = book.template(topic)
    return Text(template["subject"].format_map(values), template["body"].format_map(values), book.language)
