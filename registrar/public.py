"""What the public may read: elections, their calendars, the published list, candidacy status.

Every function here returns plain frozen dataclasses built from an explicit list of public
facts; nothing is copied wholesale from a row or an audit payload. That is how rule G2 is
kept: the published list shows of a candidate the facts G2.published_fields names, in its
order (for the President: name, birth year, position, place of work and place of
residence), and nothing more; a status page adds the state and the public decisions.
Declarations, the spouse, medical and language conclusions, signature counts, documents,
contacts, birth dates and free-text reasons never leave through this module.

After the vote the same holds for the results (V4-V7): figures, the candidates' names and
associations, the decisions' numbers and dates; never a protocol's chair, the signatures, a
correction's reason or a decision's free-text reasons.

The web pages, the CSV/JSON/iCalendar exports and the API's anonymous views all read these,
so one test (tests/registrar/test_public.py) can hold the line for all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from registrar import appeals as appeals_
from registrar import audit, deadlines, machines, states, tally
from registrar import results as results_
from registrar.actions import calendar_of, now
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.models import Appeal, Association, AuditEvent, AuditHead, Candidacy, Deadline, Election, Person
from registrar.names import LANGUAGES, InLanguages, in_languages
from registrar.records import candidacy_row, election_row
from registrar.rules import Rules, RulesError, as_decimal
from registrar.rules_in_force import of_election

# --- Elections and calendars ----------------------------------------------------------------


# How the API's description names the titles in each language (marshmallow_dataclass reads it).
_TITLES_DOC = {"metadata": {"description": "the title in kk, ru and en; one not given is the title as entered"}}


@dataclass(frozen=True)
class ElectionSummary:
    id: str
    # The title as entered (an :class:`InLanguages`: a page shows it in the reader's language) ...
    title: str
    kind: str
    announced_on: dt.date
    election_day: dt.date
    phase: str  # as the calendar puts it now, not the stored column (which the sweep moves later)
    # ... and in each language of the pages, for the API's clients (one not given is the title as entered).
    titles: dict[str, str] = dataclasses.field(default_factory=dict, hash=False, metadata=_TITLES_DOC)


def each_language(name: InLanguages) -> dict[str, str]:
    """A title or a name in every language of the pages, as the API sends it."""
    return {language: name.in_(language) for language in LANGUAGES}


@dataclass(frozen=True)
class Milestone:
    """One line of the calendar timeline: a cut-off or the start of a phase."""

    name: str  # announced_on, nomination_opens ... voting_closes; after the vote, see AFTER_VOTE_MILESTONES
    rule: str  # the rule the date comes from; V1 when a CEC resolution set it
    at: dt.datetime  # the instant, UTC
    local: dt.datetime  # the same instant on the wall clock the law speaks of (T1)
    is_date: bool  # a day rather than an instant (the announcement, the declarations' valuation date)
    starts_phase: str | None  # the election phase this milestone opens, if any
    past: bool
    resolution: str | None = None  # V1: the number of the CEC resolution that set it; a decision: its number
    resolution_adopted_on: dt.date | None = None
    kind: str = "calendar"  # calendar (the announcement's), deadline (after the vote), decision (the CEC's, the court's)
    round: int | None = None  # after the vote: the round it belongs to, where it is one round's


@dataclass(frozen=True)
class Timeline:
    milestones: tuple[Milestone, ...]
    now: dt.datetime
    now_local: dt.datetime
    now_index: int  # 'now' falls before milestones[now_index] (len(milestones): after the last)
    phase: str


@dataclass(frozen=True)
class RuleVersion:
    """A rule whose values changed over time, as the election applies it: the version in force on its day."""

    rule: str
    since: dt.date | None
    until: dt.date | None
    source: str


@dataclass(frozen=True)
class RulesInForce:
    """The rules the election is held under: those of its kind as announced, stored with it
    (registrar.rules_in_force), named by title and by the SHA-256 of the stored text."""

    title: str
    sha256: str
    fixed_on: dt.date  # the day of the announcement: an edit of the file after it changes nothing here
    versions: tuple[RuleVersion, ...] = ()  # of the rules that changed over time, the one this election follows


@dataclass(frozen=True)
class ElectionView:
    election: ElectionSummary
    timeline: Timeline
    zone: str
    rules: RulesInForce


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
    title = election.titles
    return ElectionSummary(election.id, title, election.kind, election.announced_on, election.election_day,
                           machines.current_phase(election, calendar, at), each_language(title))  # fmt: skip


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


def timeline(calendar: ElectionCalendar, at: dt.datetime, after_vote: tuple[Milestone, ...] = (),
             phase: str | None = None) -> Timeline:  # fmt: skip
    """The calendar in time order, each milestone with its rule, UTC and local time, and where ``at`` falls.

    ``after_vote``: the milestones the deadlines and decisions after the vote add (:func:`after_vote`);
    ``phase``: the election's phase now, where the caller has the election (after the count the
    calendar alone does not know it)."""
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
    # Stable again: a decision dated the day a deadline falls keeps its place after the calendar's own.
    items.extend(dataclasses.replace(m, past=m.at <= at) for m in after_vote)
    items.sort(key=lambda item: item.at)
    now_index = sum(1 for item in items if item.past)
    return Timeline(tuple(items), at.astimezone(dt.UTC), at.astimezone(zone), now_index,
                    phase or machines.phase_at(calendar, at))  # fmt: skip


# After the vote the timeline goes on with the election's deadlines (V3-V7) and the decisions
# taken on it. A deadline is shown by its latest row of each kind and round, whatever its status:
# the date the law set stays on the calendar whether the sweep fired it or the next decision
# closed it first; a row the CEC replaced (moved) is not the latest and is left out.
AFTER_VOTE_STARTS = {"second_round_voting_opens": "second_round_voting", "second_round_voting_closes": "second_round_counting"}
ROUND_DEADLINES = ("protocols_due", "results_due")  # one per round; round 2's are named second_round_<kind>
DECISION_MILESTONES = {
    "establish_results": "results_established",
    "call_second_round": "second_round_called",
    "declare_void": "declared_void",
    "register_president": "president_registered",
    "refuse_president": "president_refused",
    "appeal_president_refusal": "president_appeal_filed",
    "uphold_president_appeal": "president_appeal_upheld",
    "dismiss_president_appeal": "president_appeal_dismissed",
    "close_president_appeal_window": "president_refusal_final",
    "call_rerun": "rerun_called",
}
# Every name a milestone after the vote may have (the web gives each its words).
AFTER_VOTE_MILESTONES = (
    *(kind for kind in deadlines.AFTER_VOTE),
    *(f"second_round_{kind}" for kind in ROUND_DEADLINES),
    *DECISION_MILESTONES.values(),
    "second_round_results_established",
)


def after_vote(session: Session, election: Election, calendar: ElectionCalendar) -> tuple[Milestone, ...]:
    """The milestones after the vote known so far: the deadlines (V3-V7) and the decisions, each with its rule."""
    zone = calendar.zone
    latest: dict[tuple[str, int | None], Deadline] = {}
    rows = session.scalars(
        select(Deadline)
        .where(Deadline.subject_type == "election", Deadline.subject_id == election.id,
               Deadline.kind.in_(list(deadlines.AFTER_VOTE)))
        .order_by(Deadline.id)
    )  # fmt: skip
    for row in rows:
        round_ = deadlines.round_of(row.key) if row.kind in ROUND_DEADLINES else None
        latest[(row.kind, round_)] = row
    items = []
    for (kind, round_), row in latest.items():
        items.append(Milestone(
            name=f"second_round_{kind}" if round_ == 2 else kind, rule=row.rule, at=row.due_at.astimezone(dt.UTC),
            local=row.due_at.astimezone(zone), is_date=False, starts_phase=AFTER_VOTE_STARTS.get(kind), past=False,
            kind="deadline", round=round_ or (2 if kind.startswith("second_round") else None),
        ))  # fmt: skip
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "election", AuditEvent.subject_id == election.id,
               AuditEvent.action.in_(list(DECISION_MILESTONES)))
        .order_by(AuditEvent.seq)
    )  # fmt: skip
    for event in events:
        items.append(_decision_milestone(event, zone))
    return tuple(items)


def _decision_milestone(event: AuditEvent, zone: Any) -> Milestone:
    # Only the published particulars: the number (or the court's case number) and the date.
    payload = event.payload if isinstance(event.payload, dict) else {}
    data = payload.get("data")
    data = data if isinstance(data, dict) else {}
    number = data.get("number") or data.get("case_number")
    day = data.get("decided_on") or data.get("filed_on")
    on = dt.date.fromisoformat(day) if isinstance(day, str) else None
    round_ = payload.get("round") if isinstance(payload.get("round"), int) else None
    name = DECISION_MILESTONES[event.action]
    if event.action == "establish_results" and round_ == 2:
        name = "second_round_results_established"
    # A decision is dated by its resolution; it is placed at the moment it was recorded, which
    # is on or after that day, so it never lands before what led to it.
    moment = event.at
    return Milestone(name=name, rule=str(payload.get("rule", "")), at=moment.astimezone(dt.UTC),
                     local=moment.astimezone(zone), is_date=False, starts_phase=event.to_state, past=True,
                     resolution=str(number) if number else None, resolution_adopted_on=on, kind="decision",
                     round=round_)  # fmt: skip


def election(db: Database, election_id: str, *, at: dt.datetime | None = None) -> ElectionView:
    with db.reading() as session:
        return election_in(session, election_id, at=at)


def election_in(session: Session, election_id: str, *, at: dt.datetime | None = None) -> ElectionView:
    at = at or now()
    row = election_row(session, election_id)
    calendar = calendar_of(row)
    summary = _summary(row, calendar, at)
    extra = after_vote(session, row, calendar)
    versions = tuple(RuleVersion(r.id, r.since, r.until, r.source) for r in of_election(row).versioned())
    rules = RulesInForce(row.rules_title, row.rules_sha256, row.announced_on, versions)
    return ElectionView(summary, timeline(calendar, at, extra, summary.phase), calendar.zone.key, rules)


def calendar(db: Database, election_id: str) -> tuple[ElectionSummary, ElectionCalendar]:
    """The election and its calendar (for the iCalendar feed)."""
    with db.reading() as session:
        row = election_row(session, election_id)
        cal = calendar_of(row)
        return _summary(row, cal, now()), cal


# --- The published list (G2) ------------------------------------------------------------------


# The facts of a person a published list may show, each read from the person; which of them
# an election kind publishes, and in which order, is its G2.published_fields.
PUBLISHABLE: dict[str, Callable[[Person], Any]] = {
    "full_name": lambda person: person.full_name,
    "birth_year": lambda person: person.birth_date.year if person.birth_date else None,
    "position": lambda person: person.position,
    "place_of_work": lambda person: person.place_of_work,
    "place_of_residence": lambda person: person.place_of_residence,
}


def published_fields(rules: Rules) -> tuple[str, ...]:
    """G2: the facts the list publishes, in its order; a kind without G2 publishes the names alone."""
    names = tuple(rules.value("G2.published_fields", ("full_name",)))
    unknown = [name for name in names if name not in PUBLISHABLE]
    if unknown:
        raise RulesError(f"{rules.path}: G2.published_fields: {', '.join(unknown)}: not a fact a list may publish "
                         f"(known: {', '.join(PUBLISHABLE)})")  # fmt: skip
    return names


class PublishedCandidate(Mapping[str, Any]):
    """G2: exactly what the CEC publishes of a registered candidate, in the rules' order.

    Read as ``candidate.full_name`` or ``candidate["full_name"]``; a fact the rules do not
    publish is not there to read."""

    __slots__ = ("_facts",)

    def __init__(self, facts: Mapping[str, Any]):
        object.__setattr__(self, "_facts", dict(facts))

    @classmethod
    def of(cls, person: Person, rules: Rules) -> PublishedCandidate:
        return cls({name: PUBLISHABLE[name](person) for name in published_fields(rules)})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._facts[name]
        except KeyError:
            raise AttributeError(f"{name!r} is not published (G2)") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a published candidate is read-only")

    def __getitem__(self, name: str) -> Any:
        return self._facts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublishedCandidate) and self._facts == other._facts

    def __hash__(self) -> int:
        return hash(tuple(self._facts.items()))

    def __repr__(self) -> str:
        return f"PublishedCandidate({self._facts!r})"


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


def published_columns(db: Database, election_id: str) -> tuple[str, ...]:
    """G2: the columns of an election's published list (its kind's G2.published_fields), the CSV's header."""
    with db.reading() as session:
        return published_fields(of_election(election_row(session, election_id)))


def published_list(db: Database, election_id: str) -> list[ListedCandidacy]:
    """G2: the registered candidates, in alphabetical order of their full names.

    Alphabetical because that is how the CEC lists candidates on the ballot and in its
    published resolutions: no candidate is put first by the order in which officers happened
    to record decisions. Ties (namesakes) fall back to the candidacy's number, so the order is
    the same on every request and in every format.
    """
    with db.reading() as session:
        rules = of_election(election_row(session, election_id))
        rows = session.execute(
            select(Candidacy.id, Person)
            .join(Person, Candidacy.person_id == Person.id)
            .where(Candidacy.election_id == election_id, Candidacy.state == "registered")
        ).all()
        listed = [ListedCandidacy(candidacy_id, PublishedCandidate.of(person, rules)) for candidacy_id, person in rows]
    listed.sort(key=lambda item: (name_key(item.candidate.full_name), item.candidacy_id))
    return listed


def matches(candidate: PublishedCandidate, q: str) -> bool:
    """The published list's search: every word of ``q`` is in the published facts, case ignored in every
    script ("Абенова" finds "АБЕНОВА"). The list holds the registered candidates only, so it is read whole."""
    facts = unicodedata.normalize("NFC", " ".join(str(value) for value in candidate.values())).casefold()
    return all(word in facts for word in unicodedata.normalize("NFC", q).casefold().split())


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
    election_phase: str = "announced"  # the election's phase now (its results are linked once the vote is counted)


# Which particulars of an action's recorded payload are public: the numbers and dates of
# published resolutions and the grounds they cite. The reason's free text is left out, since
# it may quote the declarations or the medical conclusion it rests on.
_PUBLIC_PARTICULARS = ("number", "decided_on", "grounds", "case_number")
_BY = {(step.trigger, source): step.by for step in machines.CANDIDACY_STEPS for source in step.source}


def diagram(state: str, rules: Rules, visited: frozenset[str] = frozenset()) -> Diagram:
    """The machine with ``state`` current; each step says its numbers from the election's ``rules``."""
    boxes = tuple(DiagramState(name, name == state, name in visited, name in states.FINAL) for name in states.STATES)
    steps = tuple(
        DiagramStep(step.trigger, source, step.dest, step.rule, step.by, machines.says(step, rules), source == state)
        for step in machines.CANDIDACY_STEPS
        if step.dest is not None
        for source in step.source
    )
    return Diagram(boxes, steps, machines.mermaid())


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
        candidacy = candidacy_row(session, candidacy_id)
        calendar = calendar_of(candidacy.election)
        rules = of_election(candidacy.election)
        zone = calendar.zone
        person = candidacy.person
        events = [e for e in (_public_event(row, zone) for row in audit.history(session, "candidacy", candidacy.id)) if e]
        visited = frozenset(s for e in events for s in (e.from_state, e.to_state) if s)
        return CandidacyStatus(
            id=candidacy.id,
            election_id=candidacy.election_id,
            election_title=candidacy.election.titles,
            candidate=PublishedCandidate.of(person, rules),
            state=candidacy.state,
            state_since=candidacy.state_since.astimezone(dt.UTC),
            state_since_local=candidacy.state_since.astimezone(zone),
            final=candidacy.state in states.FINAL,
            timeline=tuple(events),
            diagram=diagram(candidacy.state, rules, visited | {candidacy.state}),
            election_phase=machines.current_phase(candidacy.election, calendar, now()),
        )


def candidacy_ids(db: Database, election_id: str) -> list[int]:
    """Every candidacy of an election (its status pages are public whatever the state)."""
    return [line.id for line in candidacies(db, election_id)]


# --- Lists: associations, an election's candidacies, pending deadlines, appeals -------------------
# Plain queries that decide nothing (what is due was decided when the deadline row was written,
# in registrar.deadlines). The API shows the deadlines and the appeals to officials only; what
# they hold (names, kinds, rules, dates, case numbers) is public on the status pages anyway.


@dataclass(frozen=True)
class AssociationLine:
    id: int
    registration_number: str | None  # None: an archive's association whose registration the public record does not give
    name: str
    kind: str
    registered_on: dt.date | None


@dataclass(frozen=True)
class CandidacyLine:
    id: int
    full_name: str
    state: str
    state_since: dt.datetime


@dataclass(frozen=True)
class DeadlineLine:
    id: int
    subject_type: str
    subject_id: str
    kind: str
    rule: str
    due_at: dt.datetime
    due_local: str  # the wall-clock time the law speaks of (T1)
    overdue: bool


@dataclass(frozen=True)
class AppealLine:
    id: int
    candidacy_id: int
    election_id: str
    full_name: str
    against: str  # the decision appealed: refused, registration_cancelled
    case_number: str
    filed_at: dt.datetime
    outcome: str | None  # upheld, dismissed; None while the court reviews it
    decided_at: dt.datetime | None
    court_due_at: dt.datetime | None  # G6: when the court's G6.court_review_days end, while it reviews


def associations(db: Database) -> list[AssociationLine]:
    with db.reading() as session:
        return [_association_line(a) for a in session.scalars(select(Association).order_by(Association.id))]


def association_in(session: Session, association_id: int) -> AssociationLine:
    return _association_line(session.get_one(Association, association_id))


def _association_line(association: Association) -> AssociationLine:
    a = association
    return AssociationLine(a.id, a.registration_number, a.named, a.kind, a.registered_on)


def candidacies(db: Database, election_id: str) -> list[CandidacyLine]:
    """An election's candidacies, each with its (public) name and state."""
    with db.reading() as session:
        election_row(session, election_id)
        rows = session.execute(
            select(Candidacy.id, Person.full_name, Candidacy.state, Candidacy.state_since)
            .join(Person, Candidacy.person_id == Person.id)
            .where(Candidacy.election_id == election_id)
            .order_by(Candidacy.id)
        ).all()
    return [CandidacyLine(r.id, r.full_name, r.state, r.state_since) for r in rows]


def pending_deadlines(
    db: Database, *, election: str | None = None, overdue: bool | None = None, limit: int = 200
) -> list[DeadlineLine]:
    """Pending deadlines, soonest first; ``election`` keeps the election's own and its candidacies'."""
    at = now()
    query = select(Deadline).where(Deadline.status == "pending").order_by(Deadline.due_at, Deadline.id).limit(limit)
    if election is not None:
        query = query.where(deadlines.of_election(election))
    if overdue is not None:
        query = query.where(Deadline.due_at <= at if overdue else Deadline.due_at > at)
    with db.reading() as session:
        return [
            DeadlineLine(d.id, d.subject_type, d.subject_id, d.kind, d.rule, d.due_at, d.due_local, d.due_at <= at)
            for d in session.scalars(query)
        ]


def appeals(db: Database) -> list[AppealLine]:
    """G6: every appeal, the latest first, with the end of the court's review period while it runs."""
    with db.reading() as session:
        rows = session.execute(
            select(Appeal, Candidacy.election_id, Person.full_name)
            .join(Candidacy, Appeal.candidacy_id == Candidacy.id)
            .join(Person, Candidacy.person_id == Person.id)
            .order_by(Appeal.filed_at.desc(), Appeal.id.desc())
        ).all()
        reviews = {
            int(d.subject_id): d.due_at
            for d in session.scalars(select(Deadline).where(Deadline.kind == "court_review", Deadline.status == "pending"))
        }
    return [
        AppealLine(
            a.id,
            a.candidacy_id,
            election_id,
            name,
            a.against,
            a.case_number,
            a.filed_at,
            a.outcome,
            a.decided_at,
            reviews.get(a.candidacy_id) if a.outcome is None else None,
        )
        for a, election_id, name in rows
    ]


# --- Appeals to the Supreme Court (G6, V7), as the public reads them ------------------------------


@dataclass(frozen=True)
class PublicAppeal:
    """An appeal to the Supreme Court as the public reads it: whose, against which published decision
    (its number and date), filed when, under which case number, where it stands and the judgment's
    number, date and outcome. Never the appeal's papers, a decision's reasons or grounds' free text."""

    rule: str  # G6 | V7
    candidacy_id: int
    election_id: str
    full_name: str
    against: str  # the decision appealed, as the state it put the candidacy in: refused, registration_cancelled ...
    decision_number: str | None
    decision_on: dt.date | None
    case_number: str
    filed_at: dt.datetime
    filed_on: dt.date  # the day of filing where the law counts days (T1)
    status: str  # pending, upheld, dismissed
    judgment_number: str | None
    judgment_on: dt.date | None


def _public_appeal(entry: appeals_.AppealEntry, zone: Any) -> PublicAppeal:
    assert entry.filed_at is not None and entry.case_number is not None
    return PublicAppeal(
        rule=entry.rule, candidacy_id=entry.candidacy_id, election_id=entry.election_id, full_name=entry.appellant,
        against=entry.against, decision_number=entry.decision.number if entry.decision else None,
        decision_on=entry.decision.decided_on if entry.decision else None, case_number=entry.case_number,
        filed_at=entry.filed_at.astimezone(dt.UTC), filed_on=entry.filed_at.astimezone(zone).date(),
        status=entry.status, judgment_number=entry.judgment.number if entry.judgment else None,
        judgment_on=entry.judgment.decided_on if entry.judgment else None,
    )  # fmt: skip


def _zone_of(db: Database, election_id: str) -> Any:
    with db.reading() as session:
        return calendar_of(election_row(session, election_id)).zone


def election_appeals(db: Database, election_id: str, *, at: dt.datetime | None = None) -> list[PublicAppeal]:
    """An election's appeals to the Supreme Court, those the court has yet to decide first, then the latest."""
    zone = _zone_of(db, election_id)
    found = appeals_.register(db, at=at or now(), election_id=election_id, appealed_only=True)
    order = {"pending": 0}
    return sorted((_public_appeal(e, zone) for e in found), key=lambda a: (order.get(a.status, 1), -a.filed_at.timestamp(),
                                                                          -a.candidacy_id))  # fmt: skip


def appeal_history(db: Database, candidacy_id: int, *, at: dt.datetime | None = None) -> list[PublicAppeal]:
    """A candidacy's appeals, the earliest first (its status page's appeal history)."""
    with db.reading() as session:
        zone = calendar_of(candidacy_row(session, candidacy_id).election).zone
    return [_public_appeal(e, zone) for e in appeals_.history(db, candidacy_id, at=at or now()) if e.appeal_id is not None]


# --- Results (V4-V7) ----------------------------------------------------------------------------

# The phases in which an election has figures to show: the count and everything after it.
COUNTED = ("counting", *states.AFTER_COUNT)


def has_results(phase: str) -> bool:
    return phase in COUNTED


class PercentText(fields.String):
    """A percentage as text, "67.12": exact, to the hundredth, half up (registrar.tally)."""

    def __init__(self, **kwargs: Any) -> None:
        description = "a percentage as text, exact to the hundredth (half up), never a float"
        super().__init__(metadata={"description": description, "example": "51.23"}, **kwargs)


# Every percentage of the results is text, so that no reader rounds it again; the schemas derived
# from these dataclasses (web/api/schemas.py) take its field from the annotation.
Percent = Annotated[str, PercentText]


@dataclass(frozen=True)
class Totals(tally.Counts):
    turnout_percent: Percent
    # None: a figure a past election's public record does not give (its national figures, issue 14).
    ballots_issued: int | None  # type: ignore[assignment]
    invalid_ballots: int | None  # type: ignore[assignment]


@dataclass(frozen=True)
class Share:
    """Votes and their share: a candidate's of the valid votes, or those against all."""

    votes: int
    percent: Percent


@dataclass(frozen=True)
class NamedCandidacy:
    """A candidacy as the results name it: its candidate and the association that nominated them."""

    candidacy_id: int
    full_name: str
    association: str


@dataclass(frozen=True)
class CandidateResult(Share, NamedCandidacy):
    """A candidate's votes in a round and their percent of the valid votes."""


@dataclass(frozen=True)
class UnitResult:
    """One territorial commission's protocol in force: its figures, its version and its V7 flags."""

    code: str
    name: str
    commission: str
    version: int  # 2 and more: corrected (V3)
    voters_on_list: int
    ballots_cast: int
    invalid_ballots: int
    valid: int
    turnout_percent: Percent
    votes: dict[str, int]  # candidacy id (as text) -> votes
    percents: dict[str, Percent]  # candidacy id (as text) -> percent of the unit's valid votes
    against_all: int | None
    against_all_percent: Percent | None
    void: bool
    violations: bool


@dataclass(frozen=True)
class ProtocolCount:
    received: int
    expected: int


@dataclass(frozen=True)
class RoundOutcome:
    """What the CEC established for a round: elected, second_round (between the leaders), no_winner, or void."""

    kind: str
    winner: int | None
    leaders: tuple[int, ...]
    number: str
    decided_on: dt.date


@dataclass(frozen=True)
class RoundResult:
    round: int
    voting_day: dt.date
    status: str  # scheduled (the vote is ahead), counting, established, void
    protocols: ProtocolCount
    totals: Totals
    candidates: tuple[CandidateResult, ...]  # most votes first
    against_all: Share | None
    units: tuple[UnitResult, ...]
    outcome: RoundOutcome | None
    national: bool = False  # the CEC's national figures alone: a past election whose protocols are not in the public record


@dataclass(frozen=True)
class President(NamedCandidacy):
    status: str  # elected, registered, refused, appealed


@dataclass(frozen=True)
class ElectionLink:
    id: str
    title: str


@dataclass(frozen=True)
class ElectionDecisionLine:
    """A published decision on the election: what, by whom, its number and date (not its reasons' text)."""

    kind: str  # the trigger: establish_results, call_second_round, declare_void ...
    body: str  # CEC | Supreme Court
    number: str
    decided_on: dt.date


@dataclass(frozen=True)
class Results:
    election: str
    title: str  # as entered; a page shows it in the reader's language (InLanguages)
    phase: str
    majority_percent: Percent  # V4: a candidate with more than this percent of the valid votes is elected in the first round
    rounds: tuple[RoundResult, ...]
    president: President | None
    rerun: ElectionLink | None  # the election that re-runs this one (V6)
    rerun_of: ElectionLink | None  # the election this one re-runs
    decisions: tuple[ElectionDecisionLine, ...]
    titles: dict[str, str] = dataclasses.field(default_factory=dict, hash=False, metadata=_TITLES_DOC)


# Before these phases a round's vote has not closed: its figures are all zero, not a count.
_ROUND_AHEAD = {1: ("announced", "nomination", "registration", "campaign", "voting"),
                2: ("second_round", "second_round_voting")}  # fmt: skip


def results(db: Database, election_id: str, *, at: dt.datetime | None = None) -> Results:
    """The results as the public may read them (registrar.results.results, field by field), each unit's
    shares computed exactly, the majority the election's rules ask for, and the elections a re-run links."""
    at = at or now()
    view = results_.results(db, election_id, at=at)
    phase = str(view["phase"])
    voided = [d for d in view["decisions"] if d["kind"] == "declare_void"]
    rounds = []
    for item in view["rounds"]:
        status = str(item["status"])
        if status == "counting" and phase in _ROUND_AHEAD.get(int(item["round"]), ()):
            status = "scheduled"
        elif status == "counting" and voided:
            status = "void"
        outcome = item["outcome"]
        rounds.append(RoundResult(
            round=int(item["round"]), voting_day=dt.date.fromisoformat(item["voting_day"]), status=status,
            protocols=ProtocolCount(int(item["protocols"]["received"]), int(item["protocols"]["expected"])),
            totals=Totals(**{name: item["totals"][name] for name in _TOTALS}),
            candidates=tuple(CandidateResult(**_named(c), votes=int(c["votes"]), percent=str(c["percent"]))
                             for c in item["candidates"]),
            against_all=(Share(int(item["against_all"]["votes"]), str(item["against_all"]["percent"]))
                         if item["against_all"] is not None else None),
            units=tuple(_unit_result(unit) for unit in item["units"]),
            outcome=(RoundOutcome(str(outcome["kind"]), outcome["winner"], tuple(int(i) for i in outcome["leaders"]),
                                  str(outcome["number"]), dt.date.fromisoformat(outcome["decided_on"]))
                     if outcome is not None else None),
            national=bool(item.get("national")),
        ))  # fmt: skip
    president = view["president"]
    with db.reading() as session:
        rules = of_election(election_row(session, election_id))
        linked = select(Election.id, Election.title, Election.title_by_language).where(
            Election.id.in_([i for i in (view["rerun"], view["rerun_of"]) if i]))  # fmt: skip
        titles = {row.id: InLanguages(row.title, row.title_by_language) for row in session.execute(linked)}
    title = view["title"] if isinstance(view["title"], InLanguages) else in_languages(str(view["title"]))
    return Results(
        election=str(view["election"]), title=title, phase=phase, titles=each_language(title),
        majority_percent=tally.percent_text(as_decimal(rules.V4.majority_percent)), rounds=tuple(rounds),
        president=President(**_named(president), status=str(president["status"])) if president is not None else None,
        rerun=ElectionLink(view["rerun"], titles.get(view["rerun"], view["rerun"])) if view["rerun"] else None,
        rerun_of=(ElectionLink(view["rerun_of"], titles.get(view["rerun_of"], view["rerun_of"]))
                  if view["rerun_of"] else None),
        decisions=tuple(ElectionDecisionLine(str(d["kind"]), str(d["body"]), str(d["number"]),
                                             dt.date.fromisoformat(d["decided_on"])) for d in view["decisions"]),
    )  # fmt: skip


_TOTALS = tuple(field.name for field in dataclasses.fields(Totals))


def _named(line: dict[str, Any]) -> dict[str, Any]:
    """A candidacy's name and association as a results line carries them (registrar.results.reads)."""
    return {
        "candidacy_id": int(line["candidacy_id"]),
        "full_name": str(line.get("full_name", "")),
        # an InLanguages kept as it is: the page names the association in the reader's language
        "association": line.get("association") or "",
    }


def _unit_result(unit: dict[str, Any]) -> UnitResult:
    valid = int(unit["valid"])
    votes = {str(k): int(v) for k, v in unit["votes"].items()}
    against = unit["against_all"]
    return UnitResult(
        code=str(unit["code"]), name=str(unit["name"]), commission=str(unit["commission"]), version=int(unit["version"]),
        voters_on_list=int(unit["voters_on_list"]), ballots_cast=int(unit["ballots_cast"]),
        invalid_ballots=int(unit["invalid_ballots"]), valid=valid, turnout_percent=str(unit["turnout_percent"]),
        votes=votes, percents={k: tally.percent_text(tally.percent(v, valid)) for k, v in votes.items()},
        against_all=int(against) if against is not None else None,
        against_all_percent=tally.percent_text(tally.percent(int(against), valid)) if against is not None else None,
        void=bool(unit["void"]), violations=bool(unit["violations"]),
    )  # fmt: skip


# What of a protocol the public may read: its figures, version, signatures' count and V7 flags;
# not the chair's name, nor a correction's reason (free text), nor who entered it.
PUBLIC_PROTOCOL_FIELDS = (
    "id", "round", "unit", "version", "voters_on_list", "ballots_issued", "ballots_cast", "invalid_ballots", "valid",
    "votes", "against_all", "turnout_percent", "members_signed", "members", "signed_on", "void", "violations",
    "submitted_at", "superseded_at",
)  # fmt: skip


def protocols(db: Database, election_id: str, round_: int | None = None, *, history: bool = False) -> list[dict[str, Any]]:
    """The protocols of an election as the public may read them (:data:`PUBLIC_PROTOCOL_FIELDS`)."""
    return [{name: view[name] for name in PUBLIC_PROTOCOL_FIELDS}
            for view in results_.protocols(db, election_id, round_, history=history)]  # fmt: skip


def as_json(value: Any) -> Any:
    """A read model as JSON-ready data: dataclasses to dicts, tuples to lists, instants and days to ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: as_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, dt.date):  # datetimes too: both have isoformat
        return value.isoformat()
    return value
