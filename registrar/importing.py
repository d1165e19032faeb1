"""A past election loaded as it happened, from one JSON document (issue 14; docs/import.md).

The document lists the election's actions in the order they were taken, each with the moment it
took legal effect (``effective_at``): the announcement with the CEC's resolutions, the
associations, each candidacy's nomination, papers and decisions, the protocols and the
decisions on the election. Each goes through the same action an officer's form or the API
calls, judged by the law and the calendar as of its moment; each audit event keeps that moment
and the one it was recorded (:func:`registrar.audit.dated_by_caller`).

All of it is one transaction (:meth:`registrar.db.Database.as_one`): every action is tried (a
refused one is undone alone, so the report names every refusal with its rule ids, not only the
first), and if any was refused nothing of the election is stored. No page and no deadline sweep
sees the election before the whole of it is there: the sweep cannot fix a ballot before its
candidates are registered, nor make a refusal final before its appeal is entered. Deadlines the
record leaves unsettled fire once it commits, as of their due times.

:func:`export` writes the same document from an election's audit trail, so a database's record
can be carried to another, or replayed by a researcher.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registrar import actions, audit, machines, resources, results, schemas
from registrar.db import Database
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed, NotFound, RegistrarError
from registrar.models import Association, AuditEvent, Candidacy, Election

FORMAT = "registrar-import/1"

# What a document may do besides a candidacy's steps and the election's decisions, each with the
# key that names what it refers to (None: the election the document announces).
ELECTION_ACTIONS = ("set_milestone", "extend_nomination", "record_voter_count")
PROTOCOL_ACTIONS = ("submit_protocol", "correct_protocol")
DOABLE = ("announce_election", "register_association", "rename_association", "nominate", *ELECTION_ACTIONS,
          *PROTOCOL_ACTIONS, *machines.TRIGGERS, *machines.ELECTION_TRIGGERS)  # fmt: skip


class _ActionSchema(Schema):
    class Meta:
        unknown = RAISE

    do = fields.String(required=True, validate=validate.OneOf(DOABLE))
    effective_at = fields.AwareDateTime(required=True)
    key = fields.String(validate=validate.Length(min=1, max=80))  # what an association or a nomination is called below
    association = fields.String(validate=validate.Length(min=1, max=80))  # a key of register_association
    candidacy = fields.String(validate=validate.Length(min=1, max=80))  # a key of nominate
    source = fields.String()  # where the record says so: a key of the document's sources, or the text
    payload = fields.Dict(load_default=dict)


class _DocumentSchema(Schema):
    class Meta:
        unknown = RAISE

    format = fields.String(required=True, validate=validate.Equal(FORMAT))
    title = fields.String()
    notes = fields.List(fields.String())  # what the public record does not say, said once for the reader
    sources = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    actions = fields.List(fields.Nested(_ActionSchema), required=True, validate=validate.Length(min=1))


@dataclass(frozen=True)
class Refusal:
    """One action the law refused: where it is in the document, what it did, and why, by rule."""

    index: int
    do: str
    key: str | None
    rules: tuple[str, ...]
    reasons: tuple[str, ...]

    def line(self) -> str:
        rules = f" [{', '.join(self.rules)}]" if self.rules else ""
        named = f" ({self.key})" if self.key else ""
        return f"actions[{self.index}] {self.do}{named}{rules}: {'; '.join(self.reasons)}"


class ImportRefused(RegistrarError):
    """The document does not go through whole: nothing of it was stored."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = refusals
        super().__init__(f"{len(refusals)} refused, nothing imported: " + " | ".join(r.line() for r in refusals))


@dataclass
class Imported:
    election_id: str
    actions: int
    sha256: str
    ids: dict[str, int] = field(default_factory=dict)  # each key of the document, the id it was given


def load(db: Database, document: Any, *, actor: str, recorded: dt.datetime | None = None) -> Imported:
    """Load ``document`` whole, or raise :class:`ImportRefused` naming every refusal (nothing stored).
    ``recorded``: the moment the load is recorded (now, unless the caller fixes it: the demo)."""
    try:
        parsed = _DocumentSchema().load(document)
    except ValidationError as err:
        raise InvalidPayload(err.normalized_messages()) from None
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    refusals: list[Refusal] = []
    # A document may record what its public record gives and leave out what it does not (the
    # archive's elections): each such field is one its schema names (schemas.from_the_record).
    with audit.dated_by_caller(recorded), schemas.from_the_record(), db.as_one() as session:
        run = _Run(db, actor)
        for index, step in enumerate(parsed["actions"]):
            at = step["effective_at"].astimezone(dt.UTC)
            try:
                run.do(step, at)
            except _Follows:
                continue  # an action on what a refusal above did not create: that refusal says why
            except (RegistrarError, KeyError) as err:
                refusals.append(_refusal(index, step, err))
                run.refused(step)
                if step["do"] == "announce_election":
                    break  # everything else is of the election: nothing more to judge
        if run.election_id is None and not refusals:
            refusals.append(Refusal(0, "announce_election", None, (), ("the document announces no election",)))
        if refusals:
            raise ImportRefused(refusals)
        audit.append(session, at=recorded or actions.now(), actor=actor, action="import_election", subject_type="election",
                     subject_id=str(run.election_id), payload={"sha256": digest, "title": parsed.get("title"),
                                                              "actions": len(parsed["actions"]),
                                                              "sources": parsed["sources"]})  # fmt: skip
    return Imported(str(run.election_id), len(parsed["actions"]), digest, run.ids)


class _Follows(Exception):
    """An action on an association or a candidacy whose own action was refused."""


class _Run:
    """The actions of one document, taken in order, the ids they gave remembered by key."""

    def __init__(self, db: Database, actor: str):
        self.db, self.actor = db, actor
        self.election_id: str | None = None
        self.ids: dict[str, int] = {}
        self._refused: set[str] = set()

    def refused(self, step: dict[str, Any]) -> None:
        if step["do"] in ("register_association", "nominate") and step.get("key"):
            self._refused.add(step["key"])

    def _election(self) -> str:
        if self.election_id is None:
            raise KeyError("the election is not announced yet: announce_election comes first")
        return self.election_id

    def _id(self, key: str | None, what: str) -> int:
        if key in self._refused:
            raise _Follows(key)
        if key is None or key not in self.ids:
            raise KeyError(f"{what} {key!r}: no earlier action gave it (or it was refused)")
        return self.ids[key]

    def do(self, step: dict[str, Any], at: dt.datetime) -> None:
        do, payload, actor = step["do"], dict(step["payload"]), self.actor
        with schemas.strictly():
            if do == "announce_election":
                if self.election_id is not None:
                    raise KeyError("a document announces one election")
                self.election_id = actions.announce_election(self.db, payload, actor=actor, at=at)
            elif do == "register_association":
                self._keep(step, self._known_association(payload) or actions.register_association(
                    self.db, payload, actor=actor, at=at))  # fmt: skip
            elif do == "rename_association":
                actions.rename_association(self.db, self._id(step.get("association"), "association"), payload,
                                           actor=actor, at=at)  # fmt: skip
            elif do == "nominate":
                payload["association_id"] = self._id(step.get("association"), "association")
                outcome = actions.nominate(self.db, self._election(), payload, actor=actor, at=at)
                self._keep(step, outcome.candidacy_id)
            elif do in ELECTION_ACTIONS:
                getattr(actions, do)(self.db, self._election(), payload, actor=actor, at=at)
            elif do in PROTOCOL_ACTIONS:
                payload["votes"] = self._votes(dict(payload.get("votes", {})))
                results.submit_protocol(self.db, self._election(), payload, actor=actor, at=at,
                                        correction=do == "correct_protocol")  # fmt: skip
            elif do in machines.TRIGGERS:
                actions.perform(self.db, self._id(step.get("candidacy"), "candidacy"), do, payload, actor=actor, at=at)
            else:
                if isinstance(payload.get("national"), dict) and isinstance(payload["national"].get("votes"), dict):
                    payload["national"] = payload["national"] | {"votes": self._votes(payload["national"]["votes"])}
                results.perform_election(self.db, self._election(), do, payload, actor=actor, at=at)

    def _votes(self, votes: dict[str, Any]) -> dict[str, Any]:
        """Votes keyed by the document's candidacy keys, keyed by the ids those were given."""
        return {str(self._id(key, "candidacy")): n for key, n in votes.items()}

    def _known_association(self, payload: dict[str, Any]) -> int | None:
        """An association this database already holds, registered under that number on that day:
        the record is the same association (the demo's, or one an earlier import brought). One whose
        registration the public record does not give is the one an earlier archive named alike."""
        number = payload.get("registration_number")
        with self.db.reading() as session:
            if number is None:
                return _unregistered_namesake(session, payload)
            found = session.scalar(select(Association).where(Association.registration_number == str(number)))
            if (
                found is not None
                and found.registered_on is not None
                and found.registered_on.isoformat() == str(payload.get("registered_on"))
            ):
                return int(found.id)
        return None

    def _keep(self, step: dict[str, Any], stored_id: int) -> None:
        if step.get("key"):
            self.ids[step["key"]] = stored_id


def _unregistered_namesake(session: Session, payload: dict[str, Any]) -> int | None:
    """The association without a registration number that bears one of these names, in any language."""
    given = payload.get("names")
    named = {payload.get("name"), *(given.values() if isinstance(given, dict) else ())} - {None}
    for association in session.scalars(select(Association).where(Association.registration_number.is_(None))):
        borne = {text for entry in association.names for text in (entry.name, *(entry.name_by_language or {}).values())}
        if named & borne:
            return int(association.id)
    return None


def _refusal(index: int, step: dict[str, Any], err: Exception) -> Refusal:
    key = step.get("key") or step.get("candidacy") or step.get("association")
    rules: tuple[str, ...] = ()
    if isinstance(err, GuardFailed):
        rules = tuple(dict.fromkeys(unmet.rule for unmet in err.unmet))
    elif isinstance(err, NotAllowed):
        rules = (machines.STEPS_BY_TRIGGER[err.trigger][0].rule,) if err.trigger in machines.STEPS_BY_TRIGGER else ()
    reasons = tuple(_reasons(err))
    return Refusal(index, step["do"], key, rules, reasons)


def _reasons(err: Exception) -> Iterator[str]:
    if isinstance(err, InvalidPayload):
        for name, messages in _flat(err.errors):
            yield f"{name}: {'; '.join(str(m) for m in messages)}"
    elif isinstance(err, KeyError):
        yield str(err.args[0]) if err.args else str(err)
    else:
        yield str(err)


def _flat(errors: Any, prefix: str = "") -> Iterator[tuple[str, list[Any]]]:
    if isinstance(errors, dict):
        for name, value in errors.items():
            yield from _flat(value, f"{prefix}.{name}" if prefix else str(name))
    elif isinstance(errors, list) and all(not isinstance(m, dict | list) for m in errors):
        yield prefix or "_schema", errors
    elif isinstance(errors, list):
        for number, value in enumerate(errors):
            yield from _flat(value, f"{prefix}.{number}")


# --- The archive: past elections from their public record ----------------------------------------

# The presidential elections the public record documents, shipped with the package (issue 14):
# each file says what the record gives, where it says so, and what it does not. An operator with
# a fuller record (the CEC's own) puts their copy under REGISTRAR_CONFIG_DIR/archive.
ARCHIVE = ("kz-2019", "kz-2022")


def archived(election_id: str) -> dict[str, Any]:
    """The archive's document of ``election_id``."""
    if election_id not in ARCHIVE:
        raise NotFound(f"the archive holds no election {election_id!r} (it holds {', '.join(ARCHIVE)})")
    return dict(json.loads(resources.config_file(f"archive/{election_id}.json").read_text("utf-8")))


def load_archive(db: Database, *, actor: str, recorded: dt.datetime | None = None) -> list[Imported]:
    """Load each election of the archive this database does not hold yet (so twice is once)."""
    loaded = []
    for election_id in ARCHIVE:
        with db.reading() as session:
            if session.get(Election, election_id) is not None:
                continue
        loaded.append(load(db, archived(election_id), actor=actor, recorded=recorded))
    return loaded


# --- From an election's trail back to a document ------------------------------------------------

# What each action's audit event keeps of the payload it was given, where it is not `data`.
_KEPT: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "announce_election": lambda p: {k: p[k] for k in schemas.AnnounceElectionSchema().fields if k in p},
    "register_association": lambda p: dict(p),
    "rename_association": lambda p: dict(p),
    "record_voter_count": lambda p: dict(p),
    "set_milestone": lambda p: {k: v for k, v in p.items() if k != "calendar"},
    "extend_nomination": lambda p: {k: v for k, v in p.items() if k != "calendar"},
}


def export(db: Database, election_id: str) -> dict[str, Any]:
    """The document that loads ``election_id`` again as it happened: its actions from the audit
    trail, in order, each at the moment it took effect (what the sweep did by itself, it will do
    again as the document's moments pass: its own events are left out, its steps kept)."""
    with db.reading() as session:
        candidacies = [str(cid) for cid in session.scalars(select(Candidacy.id).where(Candidacy.election_id == election_id))]
        if not candidacies and session.scalar(select(AuditEvent.seq).where(AuditEvent.subject_id == election_id)) is None:
            raise NotFound(f"no election {election_id!r}")
        nominating = {str(a) for a in session.scalars(select(Candidacy.association_id).where(
            Candidacy.election_id == election_id))}  # fmt: skip
        events = list(session.scalars(select(AuditEvent).where(or_(
            (AuditEvent.subject_type == "election") & (AuditEvent.subject_id == election_id),
            (AuditEvent.subject_type == "candidacy") & AuditEvent.subject_id.in_(candidacies),
            (AuditEvent.subject_type == "association") & AuditEvent.subject_id.in_(nominating),
        )).order_by(AuditEvent.seq)))  # fmt: skip
    out = []
    # The associations first (a nomination names one already registered, whenever this database
    # recorded it), then in the order things took effect (the trail's where two share a moment).
    first = lambda e: (e.action != "register_association", e.at.astimezone(dt.UTC), e.seq)  # noqa: E731
    for event in sorted(events, key=first):
        step = _step(event)
        if step is not None:
            out.append(step)
    return {"format": FORMAT, "title": f"election {election_id}, exported from its audit trail", "sources": {},
            "actions": out}  # fmt: skip


def _step(event: AuditEvent) -> dict[str, Any] | None:
    do, payload = event.action, dict(event.payload or {})
    if do not in DOABLE:
        return None  # the sweep's own notes (deadline.*), an import's record of itself, attachments
    data = dict(payload["data"]) if isinstance(payload.get("data"), dict) else _KEPT.get(do, lambda p: {})(payload)
    data.pop(audit.RECORDED_AT, None)
    step: dict[str, Any] = {"do": do, "effective_at": event.at.astimezone(dt.UTC).isoformat()}
    if event.subject_type == "association":
        step["association" if do != "register_association" else "key"] = f"association-{event.subject_id}"
    if event.subject_type == "candidacy":
        step["key" if do == "nominate" else "candidacy"] = f"candidacy-{event.subject_id}"
    if do == "nominate":
        step["association"] = f"association-{data.pop('association_id')}"
    if do in PROTOCOL_ACTIONS:
        data["votes"] = {f"candidacy-{cid}": n for cid, n in dict(data.get("votes", {})).items()}
    if isinstance(data.get("national"), dict):
        data["national"] = data["national"] | {
            "votes": {f"candidacy-{cid}": n for cid, n in dict(data["national"].get("votes", {})).items()}
        }
    step["payload"] = data
    return step


__all__ = ["ARCHIVE", "FORMAT", "ImportRefused", "Imported", "Refusal", "archived", "export", "load", "load_archive"]
