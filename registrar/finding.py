"""Finding a candidacy: an election's candidacies in every state, searched, filtered, sorted and paged,
and a search across every election.

A search matches the candidate's name or any name the nominating association has had, ignoring
case in every script: "Абенова", "абенова" and "АБЕНОВА" find the same person. SQLite's own
``lower()`` folds ASCII letters only, so on SQLite the comparison goes through a Python
function registered on the connection (:func:`folded`); PostgreSQL's ``lower()`` folds Cyrillic
under a UTF-8 locale (the C.UTF-8 the tests and the packages use). Both sides are folded the
same way, so ``LIKE`` compares folded text with folded text.

Names are sorted in the order of the reader's alphabet (:func:`sort_key`): Kazakh (А Ә Б ... І Ь Э
Ю Я) on Kazakh pages, Russian (its letters, the Kazakh ones after their nearest) on Russian ones;
neither database knows those orders everywhere (SQLite has no such collation), so a list sorted by
name is ordered here, then paged.

What the criteria may be is checked here and reported per field as a message id
(:data:`PROBLEMS`): an unknown state, association or sort is an error at that field, not an
empty list; a page past the last is the last page.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from registrar import states
from registrar.alphabets import fold, sort_key
from registrar.appeals import association_names, name_on
from registrar.db import Database
from registrar.errors import NotFound
from registrar.models import AssociationName, Candidacy, Election, Person
from registrar.names import InLanguages

PER_PAGE = 50
SORTS = ("name", "nominated")
MAX_QUERY = 200  # characters: a name and an association's, with room to spare

# What may be wrong with a criterion, by field: the web says each in the reader's language.
PROBLEMS = {
    "state": "unknown_state",
    "association": "unknown_association",
    "sort": "unknown_sort",
    "q": "too_long",
}


@dataclass(frozen=True)
class Criteria:
    q: str = ""
    state: str | None = None
    association: int | None = None
    sort: str = "name"
    page: int = 1


@dataclass(frozen=True)
class Found:
    """A candidacy as a list of them shows it."""

    id: int
    election_id: str
    election_title: InLanguages
    full_name: str
    association_id: int
    association: InLanguages  # its name on the day of nomination
    state: str
    state_since: dt.datetime
    nominated_at: dt.datetime


@dataclass(frozen=True)
class Page:
    items: tuple[Found, ...]
    total: int
    page: int
    per_page: int
    criteria: Criteria = field(default_factory=Criteria)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """The number of the first line shown (1-based; 0 when none)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def _fold_sql(value: str | None) -> str | None:
    return None if value is None else unicodedata.normalize("NFC", value).lower()


def folded(session: Session, column: Any) -> ColumnElement[str]:
    """``column`` lower-cased in every script, on either database."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # Registered per connection (the pool's connections are the engine's, not ours); cheap to repeat.
        raw: Any = connection.connection.driver_connection
        raw.create_function("registrar_fold", 1, _fold_sql, deterministic=True)
        return func.registrar_fold(column)
    return func.lower(column)


def criteria(raw: Mapping[str, Any], *, associations: Mapping[int, str] | None = None) -> tuple[Criteria, dict[str, str]]:
    """Criteria from a query string, and the problems by field (each a message id of :data:`PROBLEMS`)."""
    problems: dict[str, str] = {}
    q = str(raw.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        problems["q"], q = PROBLEMS["q"], ""
    state = str(raw.get("state") or "") or None
    if state is not None and state not in states.STATES:
        problems["state"], state = PROBLEMS["state"], None
    association: int | None = None
    text = str(raw.get("association") or "")
    if text:
        if text.isdigit() and (associations is None or int(text) in associations):
            association = int(text)
        else:
            problems["association"] = PROBLEMS["association"]
    sort = str(raw.get("sort") or "name")
    if sort not in SORTS:
        problems["sort"], sort = PROBLEMS["sort"], "name"
    page_text = str(raw.get("page") or "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else 1
    return Criteria(q=q, state=state, association=association, sort=sort, page=page), problems


def _matching(session: Session, q: str) -> ColumnElement[bool]:
    """The candidate's name, or any name of the association, contains every word of ``q`` (case ignored).

    The associations are a few hundred: those whose names match are found first, so each candidacy
    is tested against a list of ids, not a subquery of its own."""
    conditions = []
    for word in fold(q).split():
        named = folded(session, AssociationName.name).contains(word, autoescape=True)
        ids = sorted(set(session.scalars(select(AssociationName.association_id).where(named))))
        name = folded(session, Person.full_name).contains(word, autoescape=True)
        conditions.append(or_(name, Candidacy.association_id.in_(ids)) if ids else name)
    return and_(*conditions)


def _page(session: Session, where: list[ColumnElement[bool]], chosen: Criteria, per_page: int, language: str) -> Page:
    base = select(Candidacy.id).join(Person, Candidacy.person_id == Person.id).where(*where)
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    pages = max(1, math.ceil(total / per_page))
    page = min(chosen.page, pages)
    window = slice((page - 1) * per_page, page * per_page)
    if chosen.sort == "name":  # by the reader's alphabet: the ids in that order, then the page's rows
        named = session.execute(select(Candidacy.id, Person.full_name).join(Person, Candidacy.person_id == Person.id)
                                .where(*where)).all()  # fmt: skip
        ids = [r[0] for r in sorted(named, key=lambda r: (sort_key(r[1], language), r[0]))][window]
        where = [Candidacy.id.in_(ids)]
        window = slice(0, per_page)
    rows = session.execute(
        select(Candidacy.id, Candidacy.election_id, Election.title, Election.title_by_language, Person.full_name,
               Candidacy.association_id, Candidacy.state, Candidacy.state_since, Candidacy.nominated_at)
        .join(Person, Candidacy.person_id == Person.id)
        .join(Election, Candidacy.election_id == Election.id)
        .where(*where)
        .order_by(Candidacy.nominated_at, Candidacy.id)
        .offset(window.start)
        .limit(per_page)
    ).all()  # fmt: skip
    if chosen.sort == "name":
        rows = sorted(rows, key=lambda r: (sort_key(r[4], language), r[0]))
    names = association_names(session, {r[5] for r in rows})
    items = tuple(Found(r[0], r[1], InLanguages(r[2], r[3]), r[4], r[5], name_on(names.get(r[5], []), r[8].date()), r[6],
                        r[7], r[8]) for r in rows)  # fmt: skip
    return Page(items, total, page, per_page, chosen)


def candidacies(db: Database, election_id: str, chosen: Criteria | None = None, *, per_page: int = PER_PAGE,
                language: str = "kk") -> Page:  # fmt: skip
    """An election's candidacies, whatever their state (withdrawn, revoked, deceased too), as ``chosen``
    says; by name in the alphabet of ``language``."""
    chosen = chosen or Criteria()
    with db.reading() as session:
        if session.get(Election, election_id) is None:
            raise NotFound(f"no election {election_id!r}")
        where: list[ColumnElement[bool]] = [Candidacy.election_id == election_id]
        if chosen.state is not None:
            where.append(Candidacy.state == chosen.state)
        if chosen.association is not None:
            where.append(Candidacy.association_id == chosen.association)
        if chosen.q:
            where.append(_matching(session, chosen.q))
        return _page(session, where, chosen, per_page, language)


def search(db: Database, chosen: Criteria, *, per_page: int = PER_PAGE, language: str = "kk") -> Page:
    """Every election's candidacies matching ``chosen.q`` (a number is also the candidacy's own);
    nothing for an empty query."""
    if not chosen.q:
        return Page((), 0, 1, per_page, chosen)
    with db.reading() as session:
        match = _matching(session, chosen.q)
        if chosen.q.isdigit() and int(chosen.q) < 2**31:
            match = or_(Candidacy.id == int(chosen.q), match)
        where: list[ColumnElement[bool]] = [match]
        if chosen.state is not None:
            where.append(Candidacy.state == chosen.state)
        return _page(session, where, chosen, per_page, language)


def elections_matching(db: Database, q: str, *, limit: int = 20) -> list[tuple[str, InLanguages]]:
    """Elections whose id or title contains every word of ``q`` (case ignored), the latest first."""
    words = fold(q).split()
    if not words:
        return []
    with db.reading() as session:
        title = folded(session, Election.title)
        rows = session.execute(
            select(Election.id, Election.title, Election.title_by_language)
            .where(*[or_(title.contains(w, autoescape=True), Election.id.contains(w, autoescape=True)) for w in words])
            .order_by(Election.election_day.desc(), Election.id)
            .limit(limit)
        ).all()
    return [(r[0], InLanguages(r[1], r[2])) for r in rows]


@dataclass(frozen=True)
class ElectionName:
    id: str
    title: InLanguages


def election_title(db: Database, election_id: str) -> ElectionName:
    """The election a register's page is about (a NotFound if there is none)."""
    with db.reading() as session:
        election = session.get(Election, election_id)
        if election is None:
            raise NotFound(f"no election {election_id!r}")
        return ElectionName(election.id, election.titles)


def associations_of(db: Database, election_id: str, *, language: str = "kk") -> dict[int, InLanguages]:
    """The associations that nominated in an election, by their latest name in the alphabet of
    ``language`` (the list's filter chooses among them)."""
    with db.reading() as session:
        ids = set(session.scalars(select(Candidacy.association_id).where(Candidacy.election_id == election_id).distinct()))
        names = association_names(session, ids)
    latest = [(i, n[-1][1]) for i, n in names.items() if n]
    return dict(sorted(latest, key=lambda pair: sort_key(pair[1].in_(language), language)))
