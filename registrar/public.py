"""What the public may read: elections, their calendars, the published list, candidacy status.

Every function here returns plain frozen dataclasses built from an explicit list of public
facts; nothing is copied wholesale from a row or an audit payload. That is how rule G2 is
kept: the published list shows of a candidate the name, birth year, position, place of work
and place of residence, and nothing more; a status page adds the state and the public
decisions. Declarations, the spouse, medical and language conclusions, signature counts,
documents, contacts, birth dates and free-text reasons never leave through this module.

The web pages, the CSV/JSON/iCalendar exports and the API's anonymous views all read these,
so one test (tests/registrar/test_public.py) can hold the line for all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registrar import audit, machines
from registrar.actions import calendar_of, now
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import AuditHead, Candidacy, Election, Person

# --- Elections and calendars ----------------------------------------------------------------


@dataclass(frozen=True)
class ElectionSummary:
    id: str
    title: str
    kind: str
    announced_on: dt.date
    election_day: dt.date
    phase: str  # as the calendar puts it now, not the stored column (which the sweep moves later)


@dataclass(frozen=True)
class Milestone:
    """One line of the calendar timeline: a cut-off or the start of a phase."""

    name: str  # announced_on, nomination_opens ... voting_closes
    rule: str  # the rule the date comes from; V1 when a CEC resolution set it
    at: dt.datetime  # the instant, UTC
    local: dt.datetime  # the same instant on the wall clock the law speaks of (T1)
    is_date: bool  # a day rather than an instant (the announcement, the declarations' valuation date)
    starts_phase: str | None  # the election phase this milestone opens, if any
    past: bool
    resolution: str | None = None  # V1: the number of the CEC resolution that set it
    resolution_adopted_on: dt.date | None = None


@dataclass(frozen=True)
class Timeline:
    milestones: tuple[Milestone, ...]
    now: dt.datetime
    now_local: dt.datetime
    now_index: int  # 'now' falls before milestones[now_index] (len(milestones): after the last)
    phase: str


@dataclass(frozen=True)
class ElectionView:
    election: ElectionSummary
    timeline: Timeline
    zone: str


# Where each milestone comes from (see registrar.calendar) and the phase it opens (machines.PHASE_STEPS).
MILESTONE_RULES = {
    "announced_on": "N2",  # nomination opens counting from the announcement
    "nomination_opens": "N2",
    "nomination_closes": "N2",
    "registration_opens": "G1",
    "registration_closes": "G1",
    "declarations_as_of": "D1",
    "voting_opens": "V2",
    "voting_closes": "V2",
}
_PHASE_STARTS = {step.starts_at: step.dest for step in machines.PHASE_STEPS}


def _summary(election: Election, calendar: ElectionCalendar, at: dt.datetime) -> ElectionSummary:
    return ElectionSummary(election.id, election.title, election.kind, election.announced_on, election.election_day,
                           machines.phase_at(calendar, at))  # fmt: skip


def revision(db: Database) -> int:
    """A number that moves on whenever anything the public may see could have changed.

    Every change is an event of the audit trail (actions, the sweep's effects, accounts ...),
    so its last sequence number serves; reading it is one primary-key lookup.
    """
    with db.engine.connect() as connection:
        return int(connection.scalar(_REVISION) or 0)


_REVISION = select(AuditHead.last_seq).where(AuditHead.id == 1)  # built once: it is read on every public request


def elections(db: Database, *, at: dt.datetime | None = None) -> list[ElectionSummary]:
    """Every election, the coming ones first (by election day, latest first)."""
    at = at or now()
    with db.reading() as session:
        rows = session.scalars(select(Election).order_by(Election.election_day.desc(), Election.id))
        return [_summary(election, calendar_of(election), at) for election in rows]


def _get_election(session: Session, election_id: str) -> Election:
    election = session.get(Election, election_id)
    if election is None:
        raise NotFound(f"no election {election_id!r}")
    return election


def timeline(calendar: ElectionCalendar, at: dt.datetime) -> Timeline:
    """The calendar in time order, each milestone with its rule, UTC and local time, and where ``at`` falls."""
    zone = calendar.zone

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=zone)

    raw: list[tuple[str, dt.datetime, bool]] = [("announced_on", midnight(calendar.announced_on), True)]
    for name, value in calendar.milestones().items():
        if isinstance(value, dt.datetime):
            raw.append((name, value, False))
        else:
            raw.append((name, midnight(value), True))
    # Stable sort: milestones at the same instant keep the calendar's own order.
    raw.sort(key=lambda item: item[1])
    items = []
    for name, moment, is_date in raw:
        resolution = calendar.set_by(name) if name != "announced_on" else None
        items.append(
            Milestone(
                name=name,
                rule="V1" if resolution else MILESTONE_RULES[name],
                at=moment.astimezone(dt.UTC),
                local=moment.astimezone(zone),
                is_date=is_date,
                starts_phase=_PHASE_STARTS.get(name),
                past=moment <= at,
                resolution=resolution.number if resolution else None,
                resolution_adopted_on=resolution.adopted_on if resolution else None,
            )
        )
    now_index = sum(1 for item in items if item.past)
    return Timeline(tuple(items), at.astimezone(dt.UTC), at.astimezone(zone), now_index, machines.phase_at(calendar, at))


def election(db: Database, election_id: str, *, at: dt.datetime | None = None) -> ElectionView:
    at = at or now()
    with db.reading() as session:
        row = _get_election(session, election_id)
        calendar = calendar_of(row)
        return ElectionView(_summary(row, calendar, at), timeline(calendar, at), calendar.zone.key)


def calendar(db: Database, election_id: str) -> tuple[ElectionSummary, ElectionCalendar]:
    """The election and its calendar (for the iCalendar feed)."""
    with db.reading() as session:
        row = _get_election(session, election_id)
        cal = calendar_of(row)
        return _summary(row, cal, now()), cal


# --- The published list (G2) ------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedCandidate:
    """G2: exactly what the CEC publishes of a registered candidate."""

    full_name: str
    birth_year: int
    position: str
    place_of_work: str
    place_of_residence: str


# The order of G2's list, also the CSV's columns.
PUBLISHED_FIELDS = tuple(field.name for field in dataclasses.fields(PublishedCandidate))


@dataclass(frozen=True)
class ListedCandidacy:
    """A line of the published list with the candidacy it belongs to (for the link to its status page)."""

    candidacy_id: int
    candidate: PublishedCandidate


# The Kazakh Cyrillic alphabet in its own order (Russian letters are a subset in the same
# order), so that Ә follows А and Қ follows К instead of landing after Я as code points would.
KAZAKH_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_RANK = {letter: index for index, letter in enumerate(KAZAKH_ALPHABET)}


def name_key(name: str) -> tuple[tuple[int, int], ...]:
    """A sort key for names in Kazakh, Russian or Latin script, case-insensitive.

    Latin letters sort among themselves in their usual order; Cyrillic ones in the Kazakh
    alphabet's order, after Latin (a list mixes scripts only when a name is transliterated).
    """
    key = []
    for char in name.casefold():
        if char in _RANK:
            key.append((2, _RANK[char]))
        elif char.isalpha():
            key.append((1, ord(char)))
        else:
            key.append((0, ord(char)))  # spaces and hyphens first, so "Ak Zhol" comes before "Akan"
    return tuple(key)


def published_list(db: Database, election_id: str) -> list[ListedCandidacy]:
    """G2: the registered candidates, in alphabetical order of their full names.

    Alphabetical because that is how the CEC lists candidates on the ballot and in its
    published resolutions: no candidate is put first by the order in which officers happened
    to record decisions. Ties (namesakes) fall back to the candidacy's number, so the order is
    the same on every request and in every format.
    """
    with db.reading() as session:
        _get_election(session, election_id)
        rows = session.execute(
            select(Candidacy.id, Person.full_name, Person.birth_date, Person.position, Person.place_of_work,
                   Person.place_of_residence)
            .join(Person, Candidacy.person_id == Person.id)
            .where(Candidacy.election_id == election_id, Candidacy.state == "registered")
        ).all()  # fmt: skip
    listed = [
        ListedCandidacy(row.id, PublishedCandidate(row.full_name, row.birth_date.year, row.position, row.place_of_work,
                                                   row.place_of_residence))
        for row in rows
    ]  # fmt: skip
    listed.sort(key=lambda item: (name_key(item.candidate.full_name), item.candidacy_id))
    return listed


# --- A candidacy's public status ----------------------------------------------------------------


@dataclass(frozen=True)
class PublicEvent:
    """One public step in a candidacy's history: a change of state and the decision behind it."""

    at: dt.datetime
    local: dt.datetime
    action: str  # the trigger (nominate, register, refuse, appeal ...)
    rule: str
    by: str  # who acts in law: clerk, commission, court, candidate, association, system (a deadline)
    from_state: str | None
    to_state: str | None
    # The published resolution's particulars, when the action is a decision.
    number: str | None = None
    decided_on: dt.date | None = None
    grounds: tuple[str, ...] = ()
    case_number: str | None = None


@dataclass(frozen=True)
class DiagramState:
    name: str
    current: bool
    visited: bool
    final: bool


@dataclass(frozen=True)
class DiagramStep:
    trigger: str
    source: str
    dest: str
    rule: str
    by: str
    says: str
    from_current: bool  # a way out of the current state


@dataclass(frozen=True)
class Diagram:
    """The candidacy machine as data: its states (the current one marked) and its state-changing steps."""

    states: tuple[DiagramState, ...]
    steps: tuple[DiagramStep, ...]
    mermaid: str


@dataclass(frozen=True)
class CandidacyStatus:
    id: int
    election_id: str
    election_title: str
    candidate: PublishedCandidate
    state: str
    state_since: dt.datetime
    state_since_local: dt.datetime
    final: bool
    timeline: tuple[PublicEvent, ...]
    diagram: Diagram


# Which particulars of an action's recorded payload are public: the numbers and dates of
# published resolutions and the grounds they cite. The reason's free text is left out, since
# it may quote the declarations or the medical conclusion it rests on.
_PUBLIC_PARTICULARS = ("number", "decided_on", "grounds", "case_number")
_BY = {(step.trigger, source): step.by for step in machines.CANDIDACY_STEPS for source in step.source}


def diagram(state: str, visited: frozenset[str] = frozenset()) -> Diagram:
    states = tuple(DiagramState(name, name == state, name in visited, name in machines.FINAL) for name in machines.STATES)
    steps = tuple(
        DiagramStep(step.trigger, source, step.dest, step.rule, step.by, step.says, source == state)
        for step in machines.CANDIDACY_STEPS
        if step.dest is not None
        for source in step.source
    )
    return Diagram(states, steps, machines.mermaid())


def _public_event(event: Any, zone: Any) -> PublicEvent | None:
    # Only changes of state are public; records that leave the state as it was (a signature
    # protocol, an information request, a verification result) are the file's private contents.
    if event.to_state == event.from_state:
        return None
    payload = event.payload if isinstance(event.payload, dict) else {}
    data = payload.get("data")
    data = data if isinstance(data, dict) else {}
    particulars = {key: data.get(key) for key in _PUBLIC_PARTICULARS}
    decided_on = particulars["decided_on"]
    grounds = particulars["grounds"] if isinstance(particulars["grounds"], list) else []
    return PublicEvent(
        at=event.at.astimezone(dt.UTC),
        local=event.at.astimezone(zone),
        action=event.action,
        rule=str(payload.get("rule", "")),
        by=_BY.get((event.action, event.from_state or ""), "clerk" if event.action == "nominate" else "system"),
        from_state=event.from_state,
        to_state=event.to_state,
        number=str(particulars["number"]) if particulars["number"] else None,
        decided_on=dt.date.fromisoformat(decided_on) if isinstance(decided_on, str) else None,
        grounds=tuple(str(g) for g in grounds),
        case_number=str(particulars["case_number"]) if particulars["case_number"] else None,
    )


def candidacy_status(db: Database, candidacy_id: int) -> CandidacyStatus:
    """A candidacy's public status page: its state, since when, its public decisions, the diagram."""
    with db.reading() as session:
        candidacy = session.get(Candidacy, candidacy_id)
        if candidacy is None:
            raise NotFound(f"no candidacy {candidacy_id}")
        zone = calendar_of(candidacy.election).zone
        person = candidacy.person
        events = [e for e in (_public_event(row, zone) for row in audit.history(session, "candidacy", candidacy.id)) if e]
        visited = frozenset(s for e in events for s in (e.from_state, e.to_state) if s)
        return CandidacyStatus(
            id=candidacy.id,
            election_id=candidacy.election_id,
            election_title=candidacy.election.title,
            candidate=PublishedCandidate(
                person.full_name, person.birth_date.year, person.position, person.place_of_work, person.place_of_residence
            ),  # fmt: skip
            state=candidacy.state,
            state_since=candidacy.state_since.astimezone(dt.UTC),
            state_since_local=candidacy.state_since.astimezone(zone),
            final=candidacy.state in machines.FINAL,
            timeline=tuple(events),
            diagram=diagram(candidacy.state, visited | {candidacy.state}),
        )


def candidacy_ids(db: Database, election_id: str) -> list[int]:
    """Every candidacy of an election (its status pages are public whatever the state)."""
    with db.reading() as session:
        _get_election(session, election_id)
        return list(session.scalars(select(Candidacy.id).where(Candidacy.election_id == election_id).order_by(Candidacy.id)))


def as_json(value: Any) -> Any:
    """A read model as JSON-ready data: dataclasses to dicts, tuples to lists, instants and days to ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: as_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, dt.date):  # datetimes too: both have isoformat
        return value.isoformat()
    return value
