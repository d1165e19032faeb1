"""Everything a person (or the sweep) does, as one function call and one transaction.

``perform`` is the path of every candidacy action::

    validate the payload (schema)  ->  lock the candidacy, check the expected version
    ->  write the records the action brings  ->  fire the trigger (conditions read the records)
    ->  follow the new state with deadlines  ->  audit event  ->  outbox  ->  commit

Any failure raises before commit, so nothing is half-written. The CLI, the web forms, the
API and the workers all call these functions; none of them decides a legal question itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from marshmallow import Schema
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from registrar import action_statements as statements
from registrar import audit, conditions, deadlines, machines, metrics, records, schemas, states, territory
from registrar.calendar import CalendarError, ElectionCalendar, Resolution, compute, local_date
from registrar.conditions import Context, nominator_qualifies, one_candidacy_per_association, supreme_body_majority
from registrar.db import Database
from registrar.eligibility import Unmet
from registrar.errors import GuardFailed, InvalidPayload, NotAllowed, NotFound, RegistrarError, StaleVersion
from registrar.models import (
    Association,
    AssociationName,
    CalendarResolution,
    Candidacy,
    Certificate,
    Election,
    NominationDecision,
    Person,
)
from registrar.reasons import said
from registrar.records import candidacy_row, election_row
from registrar.rules import Rules, RulesError, UnknownKind, kinds
from registrar.rules_in_force import Version, in_force, of_election, stored

T = TypeVar("T")  # what an action's caller builds of the stored record, inside its transaction


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Outcome:
    """What an action leaves: the new state, the version to send next time, what may follow."""

    candidacy_id: int
    state: str
    previous_state: str
    version: int
    event_seq: int
    allowed: list[str] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "candidacy_id": self.candidacy_id,
            "state": self.state,
            "previous_state": self.previous_state,
            "version": self.version,
            "event": self.event_seq,
            "allowed": self.allowed,
            "deadlines": self.deadlines,
        }


# --- Calendars ---------------------------------------------------------------------------


def _resolution(row: statements.Stored) -> Resolution:
    milestone, text, number, adopted_on = row
    value: dt.datetime | dt.date
    value = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    return Resolution(milestone, value, number, adopted_on)


# An election's calendar follows from its two dates, its rules and the CEC's resolutions, and
# from nothing else: computed once for each such combination, whichever election (or process
# restart, or database) it comes from. Keyed by what it is made of, it cannot go stale: a new
# resolution is a new key.
_CALENDARS: dict[tuple[Any, ...], ElectionCalendar] = {}
_CALENDARS_KEPT = 1024


def _calendar(election: Election, rules: Rules, resolutions: tuple[statements.Stored, ...]) -> ElectionCalendar:
    key = (election.announced_on, election.election_day, election.rules_sha256, resolutions)
    calendar = _CALENDARS.get(key)
    if calendar is None:
        calendar = compute(election.announced_on, election.election_day, rules, [_resolution(r) for r in resolutions])
        if len(_CALENDARS) >= _CALENDARS_KEPT:
            _CALENDARS.clear()
        _CALENDARS[key] = calendar
    return calendar


def calendar_of(election: Election) -> ElectionCalendar:
    resolutions = tuple((r.milestone, r.value, r.number, r.adopted_on) for r in election.resolutions)
    return _calendar(election, of_election(election), resolutions)


def _parse_resolution(item: dict[str, Any], rules: Rules, index: int | None = None) -> Resolution:
    where = "value" if index is None else f"resolutions.{index}.value"
    raw = item["value"]
    try:
        value: dt.date | dt.datetime = (
            dt.date.fromisoformat(raw) if item["milestone"] == "declarations_as_of" else dt.datetime.fromisoformat(raw)
        )
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=rules.zone)
        day = value.date() if isinstance(value, dt.datetime) else value
        if not schemas.EARLIEST <= day <= schemas.LATEST:  # no calendar reaches the year 1 or 9999
            raise ValueError(f"{day.isoformat()} is outside {schemas.EARLIEST.year}-{schemas.LATEST.year}")
        return Resolution(item["milestone"], value, item["number"], item["adopted_on"])
    except (ValueError, CalendarError) as err:
        raise InvalidPayload({where: [said("calendar.not_a_value", milestone=item["milestone"], detail=str(err))]}) from None


def _store_resolution(election: Election, resolution: Resolution, at: dt.datetime) -> None:
    election.resolutions.append(
        CalendarResolution(
            milestone=resolution.milestone,
            value=resolution.value.isoformat(),
            number=resolution.number,
            adopted_on=resolution.adopted_on,
            recorded_at=at,
        )
    )


# --- Election-level actions --------------------------------------------------------------


def announce_election(db: Database, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None) -> str:
    """The election is called: its calendar is computed (or refused, V1) and its cut-offs recorded."""
    return announce_shown(db, payload, _its_id, actor=actor, at=at)


def announce_shown(
    db: Database, payload: dict[str, Any], shown: Callable[[Session, str], T], *, actor: str, at: dt.datetime | None = None
) -> T:
    """:func:`announce_election`, answered with ``shown`` of the new election, built in the same
    transaction: an answer that cannot be built undoes the announcement, so a change that is
    stored is never answered with an error (and one answered with an error is not stored)."""
    at = at or now()
    with db.transaction() as session:
        return shown(session, announce_in(session, payload, actor=actor, at=at))


def answered(db: Database, change: Callable[[], object], shown: Callable[[Session], T]) -> T:
    """``change`` (an action on ``db``), answered with ``shown`` of what it stored, both in one
    transaction: an answer that cannot be built undoes the change (as :func:`announce_shown`)."""
    with db.as_one() as session:
        change()
        return shown(session)


def _its_id(_session: Session, stored_id: T) -> T:
    return stored_id


def announce_in(
    session: Session, payload: dict[str, Any], *, actor: str, at: dt.datetime, rerun_of: Election | None = None
) -> str:
    """:func:`announce_election` in the caller's transaction; a re-run (V6) names the election it repeats,
    and keeps its voter registers (the voter count on their reference date)."""
    data, resolutions, calendar, version = _planned(payload)
    if session.get(Election, data["id"]) is not None:
        raise InvalidPayload({"id": [said("election.exists", id=data["id"])]})
    voters, counted_on = data.get("registered_voters"), data.get("voters_counted_on")
    if rerun_of is not None:
        voters, counted_on = rerun_of.registered_voters, rerun_of.voters_counted_on
    elif voters is None:
        # D4: the registers' count on the reference date, from the territorial units in force then.
        units = territory.on(data["announced_on"])
        voters, counted_on = units.voters, units.reference_date
    election = Election(
        id=data["id"],
        title=data["title"],
        title_by_language=data.get("titles"),
        kind=data["kind"],
        announced_on=data["announced_on"],
        election_day=data["election_day"],
        phase=machines.phase_at(calendar, at),
        registered_voters=voters,
        voters_counted_on=counted_on,
        rerun_of=rerun_of.id if rerun_of is not None else None,
        **stored(version),
        **territory.stored(),
    )
    session.add(election)
    for resolution in resolutions:
        _store_resolution(election, resolution, at)
    session.flush()
    deadlines.schedule_election(session, election.id, calendar, now=at, rules=version.rules)
    audit.append(session, at=at, actor=actor, action="announce_election", subject_type="election",
                 subject_id=election.id, payload=data | {"calendar": calendar.to_json(), "rerun_of": election.rerun_of,
                                                         "registered_voters": voters, "voters_counted_on": counted_on,
                                                         "rules": {"title": version.title, "sha256": version.sha256}},
                 to_state=election.phase)  # fmt: skip
    return election.id


def preview_calendar(payload: dict[str, Any]) -> ElectionCalendar:
    """The calendar an announcement would have, without announcing it (V1: every CEC-set milestone
    applied); raises :class:`InvalidPayload` exactly as :func:`announce_election` would."""
    return _planned(payload)[2]


def _planned(payload: dict[str, Any]) -> tuple[dict[str, Any], list[Resolution], ElectionCalendar, Version]:
    version = _version_for_payload(payload)
    data = schemas.load(schemas.AnnounceElectionSchema, payload, version.rules)
    # The election is judged under the law of the day it is announced (the versions then in force).
    try:
        version = in_force(version.kind, on=data["announced_on"])
    except RulesError as err:  # the file's versions begin after that day: no law to hold the election under
        raise InvalidPayload({"announced_on": [said("rules.not_in_force", day=data["announced_on"], detail=str(err))]}) from None
    rules = version.rules
    resolutions = [_parse_resolution(r, rules, i) for i, r in enumerate(data["resolutions"])]
    try:
        return data, resolutions, compute(data["announced_on"], data["election_day"], rules, resolutions), version
    except CalendarError as err:
        raise InvalidPayload({"election_day": [said("calendar.does_not_hold", detail=str(err))]}) from None


def _version_for_payload(payload: Any) -> Version:
    """The rules an announcement would fix: its kind's file in force now."""
    kind = payload.get("kind") if isinstance(payload, dict) else None
    if not isinstance(kind, str) or not kind:
        # Checked before the rest of the payload: without a kind there are no rules to check it by.
        raise InvalidPayload({"kind": [said("kind.required", detail=", ".join(kinds()))]})
    try:
        return in_force(kind)
    except UnknownKind as err:  # a kind without a rules file is a field error, not a crash
        raise InvalidPayload({"kind": [said("kind.unknown", detail=str(err))]}) from None


@contextmanager
def _on_election(
    db: Database, election_id: str, schema: type[Schema], payload: dict[str, Any]
) -> Iterator[tuple[Session, Election, Rules, dict[str, Any]]]:
    """The transaction of an action on an election's calendar or figures: its row locked, the
    payload checked under the rules it was announced under."""
    with db.transaction() as session:
        election = election_row(session, election_id, lock=True)
        rules = of_election(election)
        yield session, election, rules, schemas.load(schema, payload, rules)


def set_milestone(
    db: Database, election_id: str, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None
) -> ElectionCalendar:
    """V1: a CEC resolution sets one milestone; the whole calendar must still hold together."""
    at = at or now()
    with _on_election(db, election_id, schemas.ResolutionSchema, payload) as (session, election, rules, data):
        resolutions = [_parse_resolution(data, rules)]
        return _adopt(session, election, rules, resolutions, "value", at=at, actor=actor, action="set_milestone", data=data)


def _adopt(
    session: Session, election: Election, rules: Rules, resolutions: list[Resolution], field: str,
    *, at: dt.datetime, actor: str, action: str, data: dict[str, Any],
) -> ElectionCalendar:  # fmt: skip
    """V1: CEC resolutions take effect if the whole calendar still holds together (else the
    error is the payload's ``field``); the cut-off deadlines and the phase follow."""
    if election.phase in states.AFTER_COUNT:
        raise InvalidPayload({field: [said("calendar.vote_over", phase=election.phase)]})
    try:
        calendar = compute(election.announced_on, election.election_day, rules,
                           [*calendar_of(election).resolutions, *resolutions])  # fmt: skip
    except CalendarError as err:
        raise InvalidPayload({field: [said("calendar.does_not_hold", detail=str(err))]}) from None
    for resolution in resolutions:
        _store_resolution(election, resolution, at)
    deadlines.schedule_election(session, election.id, calendar, now=at, rules=rules)
    election.phase = machines.phase_at(calendar, at)
    audit.append(session, at=at, actor=actor, action=action, subject_type="election", subject_id=election.id,
                 payload=data | {"calendar": calendar.to_json()})  # fmt: skip
    return calendar


def extend_nomination(
    db: Database, election_id: str, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None
) -> ElectionCalendar:
    """N7: fewer than two registered at registration close: nomination reopens for up to N7.max_extension_days."""
    at = at or now()
    with _on_election(db, election_id, schemas.ExtendNominationSchema, payload) as (session, election, rules, data):
        calendar = calendar_of(election)
        unmet = conditions.extension_unmet(session, election, rules, calendar, at)
        if rules.has("N7") and data["days"] > rules.N7.max_extension_days:
            unmet.insert(0, Unmet.because("N7", "N7.too_many_days", max_days=rules.N7.max_extension_days, days=data["days"]))
        if unmet:
            raise GuardFailed("extend_nomination", unmet)
        # The extension reopens nomination, so it runs from the close of registration: nomination
        # closed before it, and shifting its own close would leave it in the past. Both cut-offs
        # end `days` after the registration close.
        until = calendar.registration_closes + dt.timedelta(days=data["days"])
        extended = [
            Resolution(name, until, data["number"], data["adopted_on"]) for name in ("nomination_closes", "registration_closes")
        ]
        return _adopt(session, election, rules, extended, "days", at=at, actor=actor, action="extend_nomination", data=data)


def record_voter_count(
    db: Database, election_id: str, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None
) -> None:
    """D4: the number of registered voters on the reference date, from which D4.signature_share_percent is counted."""
    at = at or now()
    with _on_election(db, election_id, schemas.VoterCountSchema, payload) as (session, election, _rules, data):
        election.registered_voters, election.voters_counted_on = data["registered_voters"], data["voters_counted_on"]
        audit.append(session, at=at, actor=actor, action="record_voter_count", subject_type="election",
                     subject_id=election.id, payload=data)  # fmt: skip


# --- Associations -------------------------------------------------------------------------


def register_association(db: Database, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None) -> int:
    return register_association_shown(db, payload, _its_id, actor=actor, at=at)


def register_association_shown(
    db: Database, payload: dict[str, Any], shown: Callable[[Session, int], T], *, actor: str, at: dt.datetime | None = None
) -> T:
    """:func:`register_association`, answered with ``shown`` of it built in the same transaction
    (as :func:`announce_shown`)."""
    at = at or now()
    data = schemas.load(schemas.AssociationSchema, payload)
    with db.transaction() as session:
        number = data["registration_number"]
        if number is not None and session.scalar(select(Association.id).where(Association.registration_number == number)):
            raise InvalidPayload({"registration_number": [said("association.number_taken")]})
        association = Association(registration_number=number, kind=data["kind"], registered_on=data["registered_on"])
        # Its name is in force from its registration; one the public record does not date (an
        # archive's, issue 14), from as far back as the record goes: a renaming it dates follows.
        named_from = data["registered_on"] or schemas.EARLIEST
        association.names.append(AssociationName(name=data["name"], name_by_language=data.get("names"),
                                                  valid_from=named_from))  # fmt: skip
        session.add(association)
        session.flush()
        audit.append(session, at=at, actor=actor, action="register_association", subject_type="association",
                     subject_id=association.id, payload=data)  # fmt: skip
        return shown(session, association.id)


def rename_association(
    db: Database, association_id: int, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None
) -> None:
    """Parties rename; the old name stays in the history and on the decisions taken under it."""
    at = at or now()
    data = schemas.load(schemas.RenameSchema, payload)
    with db.transaction() as session:
        association = session.get(Association, association_id)
        if association is None:
            raise NotFound(f"no association {association_id}")
        if data["valid_from"] <= association.names[-1].valid_from:
            raise InvalidPayload({"valid_from": [said("association.renamed_after", day=association.names[-1].valid_from)]})
        association.names.append(AssociationName(name=data["name"], name_by_language=data.get("names"),
                                                  valid_from=data["valid_from"]))  # fmt: skip
        audit.append(session, at=at, actor=actor, action="rename_association", subject_type="association",
                     subject_id=association.id, payload=data)  # fmt: skip


# --- Nomination ---------------------------------------------------------------------------


def nominate(db: Database, election_id: str, payload: dict[str, Any], *, actor: str, at: dt.datetime | None = None) -> Outcome:
    """N1-N5: a national association's supreme body nominates a person; a candidacy begins."""
    at = at or now()
    with db.transaction() as session:
        election = election_row(session, election_id)
        rules = of_election(election)
        data = schemas.load(schemas.NominateSchema, payload, rules)
        association = session.scalar(
            select(Association).where(Association.id == data["association_id"]).with_for_update(of=Association)
        )
        if association is None:
            raise InvalidPayload({"association_id": [said("association.none", id=data["association_id"])]})
        calendar = calendar_of(election)
        person = Person(**data["person"])
        candidacy = Candidacy(election=election, association=association, person=person, state="nominated",
                              nominated_at=at, state_since=at, updated_at=at)  # fmt: skip
        session.add(candidacy)
        session.flush()
        session.add(NominationDecision(candidacy_id=candidacy.id, **data["decision"]))
        session.flush()
        ctx = Context(session, rules, calendar, election, candidacy, at, "nominate")
        unmet = machines.window_unmet(machines.Window("N2", machines.OPEN_FOR_PAPERS, "nomination_closes"), calendar, at)
        for condition in (nominator_qualifies, supreme_body_majority, one_candidacy_per_association):
            unmet += condition(ctx)
        if unmet:
            raise GuardFailed("nominate", unmet)
        deadlines.follow_state(session, candidacy.id, "nominated", at=at, rules=rules, calendar=calendar)
        return _finish(ctx, "nominate", None, "nominated", data, actor)


# --- The candidacy's actions ----------------------------------------------------------------


def perform(
    db: Database,
    candidacy_id: int,
    trigger: str,
    payload: dict[str, Any] | None = None,
    *,
    actor: str,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> Outcome:
    """Do one action on a candidacy, in one transaction; see the module docstring for the order."""
    at = at or now()
    version = lambda: select(statements.CANDIDACIES.c.version).where(statements.CANDIDACIES.c.id == candidacy_id)  # noqa: E731
    with metrics.counted(trigger), one_action(db, version, expected_version) as session:
        return perform_in(session, candidacy_id, trigger, payload, actor=actor, expected_version=expected_version, at=at)


@contextmanager
def one_action(db: Database, version: Select[Any] | Callable[[], Select[Any]], expected_version: int | None) -> Iterator[Session]:
    """The transaction of one action on a versioned row (a candidacy, an election): a concurrent
    change is a :class:`StaleVersion` with the row's current ``version`` (the query, or what makes
    it only when needed), a clash with a stored record a field error; either way nothing is written."""
    try:
        with db.transaction() as session:
            yield session
    except StaleDataError:
        with db.reading() as session:
            current = int(session.scalar(version if isinstance(version, Select) else version()) or 0)
        raise StaleVersion(expected_version or current - 1, current) from None
    except IntegrityError as err:
        raise InvalidPayload({"_schema": [said("record.conflict", detail=str(err.orig))]}) from None


def perform_in(
    session: Session,
    candidacy_id: int,
    trigger: str,
    payload: dict[str, Any] | None = None,
    *,
    actor: str,
    at: dt.datetime,
    expected_version: int | None = None,
    cause: dict[str, Any] | None = None,
) -> Outcome:
    """:func:`perform` inside the caller's transaction (the deadline sweep's batch).

    ``cause`` goes into the audit event's payload: the sweep names the deadline that acted.
    """
    candidacy, resolutions = statements.locked(session, candidacy_id, trigger)
    if expected_version is not None and candidacy.version != expected_version:
        raise StaleVersion(expected_version, candidacy.version)
    step = machines.step_for(trigger, candidacy.state)
    election = candidacy.election
    rules = of_election(election)
    if not step.applies(rules):
        raise NotAllowed(trigger, candidacy.state, message="not_allowed.no_rule",
                         params={"trigger": trigger, "title": rules.title, "rule": step.rule})  # fmt: skip
    data = schemas.load(step.schema, payload or {}, rules)
    calendar = _calendar(election, rules, resolutions)
    # The action says when its writes must reach the database (before the conditions read
    # them, before the audit event), so no query on the way flushes on its own.
    with session.no_autoflush:
        ctx = Context(session, rules, calendar, election, candidacy, at, trigger, noted=dict(cause or {}))
        before = candidacy.state
        if step.record is not None:
            step.record(ctx, data)
            session.flush()
            ctx.forget()  # what the recorder may have read before writing, the conditions read anew
        after = machines.fire(ctx, trigger)
        candidacy.updated_at = at
        # An action at the same instant as the last one leaves updated_at unchanged; flag it so
        # the row is still updated and the optimistic-lock version still moves on.
        flag_modified(candidacy, "updated_at")
        if after != before:
            candidacy.state_since = at
            deadlines.follow_state(session, candidacy.id, after, at=at, rules=rules, calendar=calendar)
            if after in records.ON_ENTER:
                records.ON_ENTER[after](ctx)
        return _finish(ctx, trigger, before, after, data, actor)


def candidacy_recipients(association_id: int, candidacy_id: int | str) -> list[str]:
    """Who is told of what happens to a candidacy: the CEC, the nominating association, the candidate."""
    return ["cec", f"association:{association_id}", f"candidate:{candidacy_id}"]


def outbox_rows(
    seq: int, topic: str, recipients: Iterable[str], payload: dict[str, Any], at: dt.datetime
) -> list[dict[str, Any]]:
    """The outbox rows of one audit event, one per recipient, keyed "<event>:<recipient>" for de-duplication."""
    return [{"delivery_key": f"{seq}:{recipient}", "event_seq": seq, "topic": topic, "recipient": recipient,
             "payload": payload, "status": "pending", "created_at": at, "attempts": 0} for recipient in recipients]  # fmt: skip


def _finish(ctx: Context, trigger: str, before: str | None, after: str, data: dict[str, Any], actor: str) -> Outcome:
    """The candidacy's row, the audit event and the outbox, then the outcome; the caller's transaction commits."""
    session, candidacy = ctx.session, ctx.candidacy
    moved = statements.moved(session, candidacy)
    step = machines.step_for(trigger, before) if before else None
    entry = audit.Entry(ctx.at, actor, trigger, "candidacy", str(candidacy.id),
                        {"rule": step.rule if step else "N3", "data": data, **ctx.noted}, before, after)  # fmt: skip
    recipients = [*candidacy_recipients(candidacy.association_id, candidacy.id), *ctx.told]
    topic = ctx.topic or f"candidacy.{trigger}"
    message = {"candidacy": candidacy.id, "election": ctx.election.id, "trigger": trigger,
               "from": before, "to": after, "at": ctx.at.isoformat()}  # fmt: skip
    version, seq, pending = statements.written(session, candidacy, moved, entry,
                                     lambda seq: outbox_rows(seq, topic, recipients, message, ctx.at))  # fmt: skip
    return Outcome(
        candidacy_id=candidacy.id,
        state=after,
        previous_state=before or "",
        version=version,
        event_seq=seq,
        allowed=machines.allowed_triggers(
            after, ctx.calendar, ctx.at, court_reinstated=machines.reinstated(candidacy), rules=ctx.rules
        ),
        deadlines=[deadline_view(d) for d in pending],
    )


def deadline_view(row: Any) -> dict[str, Any]:
    """A pending or lapsed deadline as the outcome of an action and the officer's page show it."""
    return {"kind": row.kind, "rule": row.rule, "due_at": row.due_at.isoformat(), "due_local": row.due_local}


# --- Reading ------------------------------------------------------------------------------


def show_candidacy(db: Database, candidacy_id: int, *, at: dt.datetime | None = None) -> dict[str, Any]:
    """Everything an officer sees on a candidacy: state, version, allowed actions, records, deadlines, history."""
    at = at or now()
    with db.reading() as session:
        candidacy = candidacy_row(session, candidacy_id)
        calendar = calendar_of(candidacy.election)
        rules = of_election(candidacy.election)
        ctx = Context(session, rules, calendar, candidacy.election, candidacy, at)
        checklist = {
            kind: conditions._has_document(ctx, kind)
            for kind in dict.fromkeys([*rules.value("N6.documents", []), *rules.value("D6.documents", [])])
        }
        certificate = session.scalar(
            select(Certificate.number).where(Certificate.candidacy_id == candidacy.id, Certificate.revoked_at.is_(None))
        )
        return {
            "id": candidacy.id,
            "election": candidacy.election_id,
            "person": candidacy.person.full_name,
            "association": candidacy.association.name_on(local_date(candidacy.nominated_at, rules)),
            "state": candidacy.state,
            "state_since": candidacy.state_since.isoformat(),
            "version": candidacy.version,
            "phase": machines.phase_at(calendar, at),
            "allowed": machines.allowed_triggers(
                candidacy.state, calendar, at, court_reinstated=machines.reinstated(candidacy), rules=rules
            ),
            "documents": checklist,
            "certificate": certificate,
            "deadlines": [deadline_view(d) for d in deadlines.pending_for(session, "candidacy", candidacy.id)],
            # Deadlines that fell due (D2 unanswered, G4 unverified, G6 court overdue ...) and what followed.
            "lapsed": [
                deadline_view(d) | {"outcome": d.outcome, "followed": deadlines.what_followed(d.outcome)}
                for d in deadlines.fired_for(session, "candidacy", candidacy.id)
            ],
            "history": [
                {
                    "seq": e.seq,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "from": e.from_state,
                    "to": e.to_state,
                    # An event its caller dated (an import) keeps the moment it was recorded too.
                    **({"recorded_at": recorded.isoformat()} if (recorded := audit.recorded_apart(e)) else {}),
                }  # fmt: skip
                for e in audit.history(session, "candidacy", candidacy.id)
            ],
        }


__all__ = [
    "Outcome",
    "RegistrarError",
    "announce_election",
    "calendar_of",
    "extend_nomination",
    "nominate",
    "perform",
    "perform_in",
    "preview_calendar",
    "record_voter_count",
    "register_association",
    "rename_association",
    "set_milestone",
    "show_candidacy",
]
