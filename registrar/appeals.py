"""The appeals register: every decision that may go to the Supreme Court, and what became of it.

Two kinds of appeal reach the court. G6: a candidate appeals the CEC's refusal to register or its
cancellation of a registration (``appeal``; the court ``uphold_appeal`` or ``dismiss_appeal``).
V7: the President-elect appeals the CEC's refusal to register them (``appeal_president_refusal``;
``uphold_president_appeal`` or ``dismiss_president_appeal``). Each line of the register is one
such decision: who may appeal it, its number and date, the window to appeal (the
``appeal_window`` deadline row, V7's ``president_appeal_window``), the appeal if one was filed
(its case number and when), the court's clock (``court_review``, ``president_court_review``: the
days the rules give the court) with the time left or how late it is, and the judgment.

Nothing here is stored: the lines are read from the records the steps write (``Decision`` and
``ElectionDecision`` for the decisions and the judgments, ``Appeal`` for the appeals,
``Deadline`` for the windows and the clocks). A candidacy may be refused, win its appeal and be
refused again: each decision opens a span of time until the next, and the appeal, the judgment
and the deadline rows recorded in that span are its own.

A line's ``status``:

- ``window_open``: no appeal yet and the window runs;
- ``window_closed``: no appeal and the window has run out (the decision is final);
- ``pending``: appealed, the court has not ruled (``overdue`` once its days have passed);
- ``upheld``: the court annulled the decision; ``dismissed``: the decision stands, final.

The public reads a part of it (:mod:`registrar.public`: the filing date, the status and the
outcome); the officers' register reads it whole.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from registrar.alphabets import sort_key
from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import Appeal, AssociationName, Candidacy, Deadline, Decision, Election, ElectionDecision, Person
from registrar.names import InLanguages

Status = Literal["window_open", "window_closed", "pending", "upheld", "dismissed"]
STATUSES: tuple[Status, ...] = ("pending", "window_open", "upheld", "dismissed", "window_closed")

# G6: the CEC's decisions a candidate may appeal, the court's rulings on them, the deadline rows.
APPEALABLE = ("refuse", "refuse_incomplete", "cancel_registration")
RULINGS = {"uphold_appeal": "upheld", "dismiss_appeal": "dismissed"}
WINDOW, COURT = "appeal_window", "court_review"
# V7: the same for the refusal to register the President-elect.
PRESIDENT_APPEALABLE = ("refuse_president",)
PRESIDENT_RULINGS = {"uphold_president_appeal": "upheld", "dismiss_president_appeal": "dismissed"}
PRESIDENT_WINDOW, PRESIDENT_COURT = "president_appeal_window", "president_court_review"

PER_PAGE = 50  # lines a page of the register shows, as the list of candidacies


@dataclass(frozen=True)
class DecisionRef:
    """A decision as the register names it: what (the trigger), by whom, its number and date."""

    kind: str
    body: str
    number: str
    decided_on: dt.date


@dataclass(frozen=True)
class Clock:
    """A deadline row of the register (the window, the court's days): when it ends and how it stands."""

    kind: str
    rule: str
    due_at: dt.datetime
    due_local: str
    recorded: str  # the row's status: pending | fired | cancelled
    remaining: dt.timedelta  # negative: past


@dataclass(frozen=True)
class AppealEntry:
    """One decision that may be appealed, with its appeal and the court's judgment (see the module)."""

    rule: str  # G6 | V7
    election_id: str
    election_title: InLanguages
    candidacy_id: int
    appellant: str  # the candidate (G6), the President-elect (V7)
    association: InLanguages  # its name on the day of nomination
    candidacy_state: str
    against: str  # the state the decision put the candidacy in: refused, registration_cancelled, president_refused
    decision: DecisionRef | None
    decided_at: dt.datetime  # when the decision was recorded (the window runs from it)
    appeal_id: int | None
    case_number: str | None
    filed_at: dt.datetime | None
    window: Clock | None
    court: Clock | None
    status: Status
    judgment: DecisionRef | None
    ruled_at: dt.datetime | None
    overdue: bool  # pending, and the court's days have run out
    late_by: dt.timedelta | None

    @property
    def outcome(self) -> str | None:
        return self.status if self.status in ("upheld", "dismissed") else None

    @property
    def since(self) -> dt.datetime:
        """The latest thing that happened on it: the ruling, else the filing, else the decision."""
        return self.ruled_at or self.filed_at or self.decided_at


def register(
    db: Database, *, at: dt.datetime, election_id: str | None = None, candidacy_id: int | None = None,
    appealed_only: bool = False,
) -> list[AppealEntry]:  # fmt: skip
    """The register: the overdue court reviews first (the longest overdue first), then the newest first.

    ``election_id``: one election's (a NotFound if there is none); ``candidacy_id``: one
    candidacy's history; ``appealed_only``: only the decisions that were appealed."""
    with db.reading() as session:
        if election_id is not None and session.get(Election, election_id) is None:
            raise NotFound(f"no election {election_id!r}")
        if candidacy_id is not None and session.get(Candidacy, candidacy_id) is None:
            raise NotFound(f"no candidacy {candidacy_id}")
        found = [*_g6(session, at, election_id, candidacy_id), *_v7(session, at, election_id, candidacy_id)]
    if appealed_only:
        found = [e for e in found if e.appeal_id is not None]
    return ordered(found)


@dataclass(frozen=True)
class RegisterPage:
    """A page of the register: its ``lines``, the page's number and how many lines there are in all."""

    lines: tuple[AppealEntry, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """The number of the first line shown (1-based; 0 when none)."""
        return (self.page - 1) * self.per_page + 1 if self.lines else 0

    @property
    def last(self) -> int:
        return self.first + len(self.lines) - 1 if self.lines else 0


def page_of(lines: Sequence[Any], page: int | str | None = 1, *, per_page: int | None = None) -> RegisterPage:
    """Page ``page`` of the register's ``lines`` (a page that is not a number is the first, one past the last the last)."""
    per_page = per_page or PER_PAGE
    text = str(page or "1")
    wanted = int(text) if text.isdigit() and 0 < int(text) < 10**6 else 1
    pages = max(1, math.ceil(len(lines) / per_page))
    number = min(wanted, pages)
    return RegisterPage(tuple(lines[(number - 1) * per_page : number * per_page]), len(lines), number, per_page)


def by_name(entries: Iterable[AppealEntry], language: str) -> list[AppealEntry]:
    """The lines by the appellant's name in the alphabet of ``language``, each one's decisions the earliest first."""
    return sorted(entries, key=lambda e: (sort_key(e.appellant, language), e.candidacy_id, e.decided_at))


def ordered(entries: Iterable[AppealEntry]) -> list[AppealEntry]:
    """Overdue court reviews first, the longest overdue first; then the latest first."""
    entries = list(entries)
    late = sorted((e for e in entries if e.overdue), key=lambda e: (e.court.due_at if e.court else e.decided_at, e.candidacy_id))
    rest = sorted((e for e in entries if not e.overdue), key=lambda e: (e.since, e.candidacy_id), reverse=True)
    return [*late, *rest]


def history(db: Database, candidacy_id: int, *, at: dt.datetime) -> list[AppealEntry]:
    """A candidacy's appealable decisions and appeals, the earliest first (its page's appeal history)."""
    return sorted(register(db, at=at, candidacy_id=candidacy_id), key=lambda e: (e.decided_at, e.rule))


# --- Reading the records ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """One appealable decision and the records that fall between it and the next decision."""

    candidacy: int
    start: dt.datetime
    against: str
    decision: DecisionRef | None


def _people(session: Session, candidacy_ids: Iterable[int]) -> dict[int, tuple[str, InLanguages, str, str, InLanguages]]:
    """Per candidacy: the candidate's name, the association's name on the day of nomination, the state,
    the election and its title."""
    ids = sorted(set(candidacy_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Candidacy.id, Person.full_name, Candidacy.association_id, Candidacy.nominated_at, Candidacy.state,
               Candidacy.election_id, Election.title, Election.title_by_language)
        .join(Person, Candidacy.person_id == Person.id)
        .join(Election, Candidacy.election_id == Election.id)
        .where(Candidacy.id.in_(ids))
    ).all()  # fmt: skip
    names = association_names(session, {r[2] for r in rows})
    return {r[0]: (r[1], name_on(names.get(r[2], []), r[3].date()), r[4], r[5], InLanguages(r[6], r[7])) for r in rows}


def association_names(session: Session, association_ids: Iterable[int]) -> dict[int, list[tuple[dt.date, InLanguages]]]:
    """Every name each association has had, the earliest first (parties rename), each in the languages it was given in."""
    ids = sorted(set(association_ids))
    names: dict[int, list[tuple[dt.date, InLanguages]]] = {}
    if ids:
        for row in session.execute(
            select(AssociationName.association_id, AssociationName.valid_from, AssociationName.name,
                   AssociationName.name_by_language)
            .where(AssociationName.association_id.in_(ids))
            .order_by(AssociationName.association_id, AssociationName.valid_from)
        ):  # fmt: skip
            names.setdefault(row[0], []).append((row[1], InLanguages(row[2], row[3])))
    return names


def name_on(names: Sequence[tuple[dt.date, InLanguages]], day: dt.date) -> InLanguages:
    """The name in force on ``day`` (the first one, for a day before any began); as Association.named_on."""
    current = names[0][1] if names else InLanguages("")
    for valid_from, name in names:
        if valid_from <= day:
            current = name
    return current


def _clock(row: Deadline | None, at: dt.datetime) -> Clock | None:
    if row is None:
        return None
    return Clock(row.kind, row.rule, row.due_at, row.due_local, row.status, row.due_at - at)


def _in_span(spans: list[_Span], candidacy: int, moment: dt.datetime) -> _Span | None:
    """The span a record of ``candidacy`` made at ``moment`` belongs to: the latest decision at or before it."""
    mine = [s for s in spans if s.candidacy == candidacy and s.start <= moment]
    return mine[-1] if mine else None


def _entries(
    session: Session, at: dt.datetime, rule: str, spans: list[_Span], appeals: list[Appeal],
    rulings: list[tuple[int, dt.datetime, DecisionRef]], rows: list[tuple[int, Deadline]], window: str, court: str,
) -> list[AppealEntry]:  # fmt: skip
    """Put each appeal, ruling and deadline row in its span, and make each span a line."""
    spans = sorted(spans, key=lambda s: (s.candidacy, s.start))
    filed: dict[_Span, Appeal] = {}
    orphans: list[Appeal] = []
    for lodged in sorted(appeals, key=lambda a: (a.filed_at, a.id)):
        span = _in_span(spans, lodged.candidacy_id, lodged.filed_at)
        if span is None or span in filed:
            orphans.append(lodged)  # recorded without a decision before it (data from before the register)
        else:
            filed[span] = lodged
    for orphan in orphans:
        span = _Span(orphan.candidacy_id, orphan.filed_at, orphan.against, None)
        spans.append(span)
        filed[span] = orphan
    spans.sort(key=lambda s: (s.candidacy, s.start))
    judged: dict[_Span, tuple[dt.datetime, DecisionRef]] = {}
    for candidacy, moment, ref in sorted(rulings, key=lambda r: r[1]):
        span = _in_span(spans, candidacy, moment)
        if span is not None and span not in judged:
            judged[span] = (moment, ref)
    clocks: dict[tuple[_Span, str], Deadline] = {}
    for candidacy, row in sorted(rows, key=lambda r: (r[1].created_at, r[1].id)):
        span = _in_span(spans, candidacy, row.created_at)
        if span is not None:
            clocks[(span, row.kind)] = row  # the latest row of its kind in the span (a moved one is replaced)
    people = _people(session, {s.candidacy for s in spans})
    out = []
    for span in spans:
        if span.candidacy not in people:
            continue
        name, association, state, election_id, title = people[span.candidacy]
        appeal: Appeal | None = filed.get(span)
        ruling = judged.get(span)
        window_row, court_row = clocks.get((span, window)), clocks.get((span, court))
        status: Status
        if appeal is not None and appeal.outcome in ("upheld", "dismissed"):
            status = "upheld" if appeal.outcome == "upheld" else "dismissed"
        elif appeal is not None:
            status = "pending"
        elif window_row is not None and window_row.status == "pending" and window_row.due_at > at:
            status = "window_open"
        elif window_row is None and state == span.against:
            status = "window_open"  # a kind whose rules set no window: the decision waits for an appeal
        else:
            status = "window_closed"
        overdue = status == "pending" and court_row is not None and court_row.due_at <= at
        out.append(AppealEntry(
            rule=rule, election_id=election_id, election_title=title, candidacy_id=span.candidacy, appellant=name,
            association=association, candidacy_state=state, against=span.against, decision=span.decision,
            decided_at=span.start, appeal_id=appeal.id if appeal else None,
            case_number=appeal.case_number if appeal else None, filed_at=appeal.filed_at if appeal else None,
            window=_clock(window_row, at), court=_clock(court_row, at), status=status,
            judgment=ruling[1] if ruling and appeal is not None else None,
            ruled_at=(appeal.decided_at or (ruling[0] if ruling else None)) if appeal and appeal.outcome else None,
            overdue=overdue, late_by=at - court_row.due_at if overdue and court_row is not None else None,
        ))  # fmt: skip
    return out


def _g6(session: Session, at: dt.datetime, election_id: str | None, candidacy_id: int | None) -> list[AppealEntry]:
    def of(query: Any, column: Any) -> Any:
        if candidacy_id is not None:
            return query.where(column == candidacy_id)
        if election_id is not None:
            return query.where(column.in_(select(Candidacy.id).where(Candidacy.election_id == election_id)))
        return query

    decisions = session.scalars(of(select(Decision).where(Decision.kind.in_([*APPEALABLE, *RULINGS])), Decision.candidacy_id))
    spans, rulings = [], []
    for d in decisions:
        ref = DecisionRef(d.kind, d.body, d.number, d.decided_on)
        if d.kind in RULINGS:
            rulings.append((d.candidacy_id, d.recorded_at, ref))
        else:
            against = "registration_cancelled" if d.kind == "cancel_registration" else "refused"
            spans.append(_Span(d.candidacy_id, d.recorded_at, against, ref))
    appeals = list(session.scalars(of(select(Appeal).where(Appeal.against.in_(("refused", "registration_cancelled"))),
                                      Appeal.candidacy_id)))  # fmt: skip
    subject = cast(Candidacy.id, String(64))
    query = select(Deadline).where(Deadline.subject_type == "candidacy", Deadline.kind.in_((WINDOW, COURT)))
    if candidacy_id is not None:
        query = query.where(Deadline.subject_id == str(candidacy_id))
    elif election_id is not None:
        query = query.where(Deadline.subject_id.in_(select(subject).where(Candidacy.election_id == election_id)))
    else:
        ids = {s.candidacy for s in spans} | {a.candidacy_id for a in appeals}
        query = query.where(Deadline.subject_id.in_([str(i) for i in sorted(ids)]))
    rows = [(int(row.subject_id), row) for row in session.scalars(query)]
    return _entries(session, at, "G6", spans, appeals, rulings, rows, WINDOW, COURT)


def _v7(session: Session, at: dt.datetime, election_id: str | None, candidacy_id: int | None) -> list[AppealEntry]:
    query = select(ElectionDecision).where(ElectionDecision.kind.in_([*PRESIDENT_APPEALABLE, *PRESIDENT_RULINGS]))
    if election_id is not None:
        query = query.where(ElectionDecision.election_id == election_id)
    if candidacy_id is not None:
        query = query.where(ElectionDecision.candidacy_id == candidacy_id)
    decisions = [d for d in session.scalars(query) if d.candidacy_id is not None]
    if not decisions:
        return []
    spans, rulings = [], []
    winner_of: dict[str, int] = {}
    for d in decisions:
        assert d.candidacy_id is not None
        ref = DecisionRef(d.kind, d.body, d.number, d.decided_on)
        winner_of.setdefault(d.election_id, d.candidacy_id)
        if d.kind in PRESIDENT_RULINGS:
            rulings.append((d.candidacy_id, d.recorded_at, ref))
        else:
            spans.append(_Span(d.candidacy_id, d.recorded_at, "president_refused", ref))
    winners = sorted({d.candidacy_id for d in decisions if d.candidacy_id is not None})
    appeals = list(session.scalars(select(Appeal).where(Appeal.against == "president_refused",
                                                        Appeal.candidacy_id.in_(winners))))  # fmt: skip
    rows = [
        (winner_of[row.subject_id], row)
        for row in session.scalars(
            select(Deadline).where(
                Deadline.subject_type == "election",
                Deadline.subject_id.in_(sorted(winner_of)),
                Deadline.kind.in_((PRESIDENT_WINDOW, PRESIDENT_COURT)),
            )
        )  # fmt: skip
        if row.subject_id in winner_of
    ]
    return _entries(session, at, "V7", spans, appeals, rulings, rows, PRESIDENT_WINDOW, PRESIDENT_COURT)


def counts(entries: Iterable[AppealEntry]) -> dict[str, int]:
    """How many lines stand in each status, and how many are overdue (a register's summary)."""
    found: dict[str, int] = dict.fromkeys(STATUSES, 0)
    late = 0
    for entry in entries:
        found[entry.status] += 1
        late += entry.overdue
    return {**found, "overdue": late}
