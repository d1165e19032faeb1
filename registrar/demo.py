"""A realistic demo election, with candidacies in every state of the machine.

The election's dates are set around ``today`` so that, when the demo is opened, registration
is under way: the candidacies got where they are through the same actions an officer uses,
each at a moment in the past, and each state still has its candidacy after the first sweep.
The people, the associations and the titles are written as the CEC writes them, in Cyrillic
and the associations' registered names. ``papers`` and ``walk`` are also what the tests and the
benchmark use to bring a candidacy to a state.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from typing import Any, NamedTuple

from sqlalchemy import func, select

from registrar import actions, deadlines, demo_results
from registrar.actions import calendar_of
from registrar.calendar import ElectionCalendar
from registrar.db import Database
from registrar.models import Candidacy, Election
from registrar.rules import Rules, for_kind
from registrar.rules_in_force import of_election
from registrar.states import STATES

DEMO_ID = "demo-presidential"
OFFICER = "demo:clerk"
VOTERS = 12_100_000


def title(year: int, *, concluded: bool = False) -> str:
    """The demo election's title as the CEC's resolutions head it. An election has one title
    (``Election.title``), so it is written in Kazakh and in Russian, as the bilingual notices are."""
    kk, ru = ("демо, аяқталған", "демо, завершённые") if concluded else ("демо", "демо")
    return (f"{year} жылғы Қазақстан Республикасы Президентінің сайлауы ({kk}) / "
            f"Выборы Президента Республики Казахстан {year} года ({ru})")  # fmt: skip


class Association(NamedTuple):
    """A national (or regional) public association as the Ministry of Justice registered it: its
    registered name (the Kazakh form the CEC's resolutions print; an association has one name in
    force) and its renamings, each with the day it took effect."""

    number: str
    name: str
    kind: str
    registered_on: str
    renames: tuple[tuple[str, str], ...] = ()

    @property
    def name_now(self) -> str:
        """The name in force since the last renaming."""
        return self.renames[-1][0] if self.renames else self.name


ASSOCIATIONS = [
    Association("0001-AM", "«Nur Otan» партиясы", "national", "1999-03-01", (("«AMANAT» партиясы", "2022-03-01"),)),
    Association("0002-AZ", "«Ақ жол» Қазақстан демократиялық партиясы", "national", "2002-04-12"),
    Association("0003-PP", "Қазақстан коммунистік халық партиясы", "national", "2004-06-21",
                (("«Қазақстан халық партиясы»", "2020-11-13"),)),
    Association("0004-AU", "«Ауыл» халықтық-демократиялық патриоттық партиясы", "national", "2000-03-10"),
    Association("0005-NS", "Жалпыұлттық социал-демократиялық партия", "national", "2006-09-10"),
    Association("0006-RE", "«Respublica» партиясы", "national", "2022-12-20"),
    Association("0007-BA", "«Байтақ» Қазақстан жасылдар партиясы", "national", "2022-12-20"),
    Association("0008-TU", "Қазақстан Республикасы Кәсіподақтар федерациясы", "national", "1992-06-01"),
    Association("0009-WU", "Зияткерлік еңбек әйелдерінің одағы", "national", "1995-05-15"),
    Association("0010-VE", "Ауған соғысы ардагерлерінің одағы", "national", "1993-01-20"),
    Association("0011-YO", "«Жас Отан» жастар қанаты", "national", "2008-02-02"),
    Association("0012-FA", "Қазақстан фермерлерінің одағы", "national", "1997-10-10"),
    Association("0013-EN", "Қазақстан инженерлерінің қауымдастығы", "national", "2001-04-04"),
    Association("0015-PH", "Қазақстан дәрігерлерінің қауымдастығы", "national", "1996-11-11"),
    Association("0014-KA", "Қарағанды кеншілерінің қауымдастығы", "regional", "2003-08-08"),
]  # fmt: skip

# (person, state): one person for each state the machine has, named as their identity card writes it.
PEOPLE = [
    ("Айгерім Сәрсенбаева", "nominated"),
    ("Болат Жақсылықов", "declarations_filed"),
    ("Дана Омарова", "medical_check"),
    ("Ерлан Төлегенов", "documents_submitted"),
    ("Гүлнара Әбенова", "registered"),
    ("Марат Кенжебеков", "registered"),
    ("Сәуле Мұхаметова", "refused"),
    ("Тимур Беков", "registration_cancelled"),
    ("Әсел Нұрланова", "appealed"),
    ("Нұрлан Жақсыбеков", "withdrawn"),
    ("Жанна Ысқақова", "revoked"),
    ("Қайрат Жүнісов", "refused_final"),
    ("Әлия Серікбаева", "cancelled_final"),
    ("Ержан Әбдірахманов", "deceased"),
]


def named(state: str, nth: int = 0) -> str:
    """The demo's person walked to ``state`` (the ``nth`` of them: two are registered)."""
    return [name for name, walked_to in PEOPLE if walked_to == state][nth]


# What the published list (G2) says of each demo person besides the name: position, place of
# work, place of residence; the people take them in turn.
OCCUPATIONS = [
    ("Мәжіліс депутаты", "Қазақстан Республикасы Парламентінің Мәжілісі", "Астана қаласы"),
    ("бас дәрігер", "Алматы қалалық №7 емханасы", "Алматы қаласы"),
    ("кафедра меңгерушісі", "әл-Фараби атындағы Қазақ ұлттық университеті", "Алматы қаласы"),
    ("директор", "«Қарағанды жылу» ЖШС", "Қарағанды қаласы"),
    ("адвокат", "Шымкент қалалық адвокаттар алқасы", "Шымкент қаласы"),
]

# The states the sweep moves on when a window lapses (G6: the appeal window after a refusal or a
# cancellation): their candidacies are walked there the day before ``today``, so the window
# still runs when the demo opens and every state has its candidacy after the first sweep.
AWAITING_A_WINDOW = frozenset(
    state for kind in deadlines.KINDS.values() if isinstance(kind.effect, deadlines.Act) for state in kind.opened_by_entering
)


def person(name: str, election_day: dt.date, **overrides: Any) -> dict[str, Any]:
    """An eligible person (E1-E9); ``overrides`` make them fail a rule."""
    return {
        "full_name": name,
        "birth_date": election_day.replace(year=election_day.year - 52).isoformat(),
        "citizen_by_birth": True,
        "resident_since": election_day.replace(year=election_day.year - 52).isoformat(),
        "education_level": "higher",
        "public_service_months": 14 * 12,
        "married": True,
        "position": OCCUPATIONS[0][0],
        "place_of_work": OCCUPATIONS[0][1],
        "place_of_residence": OCCUPATIONS[0][2],
    } | overrides


def decision(meeting_on: dt.date, members: int = 120, votes_for: int = 101) -> dict[str, Any]:
    return {"body": "congress", "meeting_on": meeting_on.isoformat(), "members": members, "present": 110,
            "votes_for": votes_for, "minutes_number": f"C-{meeting_on:%Y%m%d}"}  # fmt: skip


# The papers of D6 that are documents of their own (the rest are records: the conclusions, protocols, receipts).
DOCUMENTS = {"consent": "consent letter", "biography": "biography"}


def papers(trigger: str, calendar: ElectionCalendar, rules: Rules, day: dt.date, **extra: Any) -> list[dict[str, Any]]:
    """The payloads an officer enters for ``trigger``, complete and valid, dated ``day``."""
    iso = day.isoformat()
    declared = calendar.declarations_as_of.isoformat()
    if trigger == "file_declarations":
        return [{"declarations": [
            {"filer": filer, "valued_as_of": declared, "filed_on": iso, "revenue_office": "SRC Astana",
             "receipt_number": f"R-{filer}-{iso}"} for filer in rules.D1.filers]}]  # fmt: skip
    if trigger == "medical_check":  # what happens while in medical_check: the records the kind's rules ask for
        regions = rules.value("D4.regions", [])[:15]
        per_region = VOTERS // 100 // 14 + 500
        documents = [kind for kind in DOCUMENTS if kind in rules.value("D6.documents", [])]
        return [
            *([{"_trigger": "record_medical_conclusion", "institution": "Central Clinical Hospital",
                "number": f"MC-{iso}", "issued_on": iso, "fit": True}] if rules.has("D3") else []),
            *([{"_trigger": "record_language_conclusion", "decided_on": iso, "linguists": 7, "fluent": True}]
              if rules.has("E3") else []),
            *([{"_trigger": "record_contribution", "amount": rules.contribution_due_on(day), "paid_on": iso,
                "receipt_number": f"P-{iso}"}] if rules.has("D5") else []),
            *[{"_trigger": "record_document", "kind": kind, "received_on": iso, "reference": DOCUMENTS[kind]}
              for kind in documents],
            *[{"_trigger": "record_signature_protocol", "region": r["code"], "commission": f"TEC {r['name']}",
               "signed_on": iso, "submitted": per_region + 300, "valid": per_region} for r in regions],
        ]  # fmt: skip
    resolution = {"number": extra.get("number", f"{trigger}-{iso}"), "decided_on": iso}
    if trigger in ("refuse", "cancel_registration"):
        return [resolution | {"grounds": [extra.get("ground", "documents_missing")], "reason": "demo"}]
    if trigger == "appeal":
        return [{"case_number": f"SC-{iso}", "filed_on": iso}]
    if trigger in ("start_medical_check", "submit_documents", "close_appeal_window"):
        return [{}]
    return [resolution]


# The way to each state from "nominated": the triggers, in order.
ROUTES: dict[str, list[str]] = {
    "nominated": [],
    "declarations_filed": ["file_declarations"],
    "medical_check": ["file_declarations", "start_medical_check"],
    "documents_submitted": ["file_declarations", "start_medical_check", "medical_check", "submit_documents"],
}
ROUTES["registered"] = [*ROUTES["documents_submitted"], "register"]
ROUTES["refused"] = [*ROUTES["declarations_filed"], "refuse"]
ROUTES["registration_cancelled"] = [*ROUTES["registered"], "cancel_registration"]
ROUTES["appealed"] = [*ROUTES["refused"], "appeal"]
ROUTES["withdrawn"] = [*ROUTES["medical_check"], "withdraw"]
ROUTES["revoked"] = ["revoke_nomination"]
ROUTES["refused_final"] = [*ROUTES["refused"], "close_appeal_window"]
ROUTES["cancelled_final"] = [*ROUTES["registration_cancelled"], "close_appeal_window"]
ROUTES["deceased"] = [*ROUTES["registered"], "record_death"]
assert set(ROUTES) == set(STATES)


def walk(db: Database, candidacy_id: int, state: str, start: dt.datetime, *, actor: str = OFFICER) -> dt.datetime:
    """Bring a nominated candidacy to ``state`` through the actions, an hour apart from ``start``.

    Steps that wait for a window to lapse (close_appeal_window) jump past it. Returns the
    moment of the last action.
    """
    with db.reading() as session:
        candidacy = session.get(Candidacy, candidacy_id)
        assert candidacy is not None
        calendar, rules = calendar_of(candidacy.election), of_election(candidacy.election)
    at = start
    for trigger in ROUTES[state]:
        at += dt.timedelta(hours=1)
        if trigger == "close_appeal_window":
            at += dt.timedelta(days=rules.value("G6.appeal_days", 0) + 1)
        if trigger in ("register", "refuse") and at < calendar.registration_opens:
            at = calendar.registration_opens + dt.timedelta(hours=10)
        for payload in papers(trigger, calendar, rules, calendar.local(at).date()):
            step = payload.pop("_trigger", trigger)
            actions.perform(db, candidacy_id, step, payload, actor=actor, at=at)
    return at


def announce(
    db: Database, election_id: str, title: str, announced: dt.date, election_day: dt.date, *, actor: str
) -> ElectionCalendar:
    """Announce a presidential election at 10:00 local on ``announced``, with the demo's voter count (D4)."""
    rules = for_kind("presidential")
    actions.announce_election(
        db,
        {"id": election_id, "title": title, "kind": "presidential", "announced_on": announced.isoformat(),
         "election_day": election_day.isoformat(), "registered_voters": VOTERS,
         "voters_counted_on": announced.isoformat()},
        actor=actor, at=dt.datetime.combine(announced, dt.time(10), tzinfo=rules.zone),
    )  # fmt: skip
    with db.reading() as session:
        election = session.get(Election, election_id)
        assert election is not None
        return calendar_of(election)


def build(db: Database, today: dt.date | None = None) -> str:
    """Create the demo election (once) as of ``today``: registration open, every state present."""
    today = today or dt.date.today()
    with db.reading() as session:
        if session.get(Election, DEMO_ID) is not None:
            return DEMO_ID
    # Registration opened about three weeks ago and closes in two days (G1), so decisions,
    # lapsed appeal windows and the live documents all fit before today.
    election_day = today + dt.timedelta(days=42)
    announced = election_day - dt.timedelta(days=120)
    calendar = announce(db, DEMO_ID, title(election_day.year), announced, election_day, actor="demo:commission")
    epoch = dt.datetime.combine(announced, dt.time(10), tzinfo=calendar.zone)
    ids = []
    for number, name, kind, registered, renames in ASSOCIATIONS:
        ids.append(actions.register_association(db, {"registration_number": number, "name": name, "kind": kind,
                                                     "registered_on": registered}, actor="demo:ministry", at=epoch))  # fmt: skip
        for new_name, valid_from in renames:
            actions.rename_association(db, ids[-1], {"name": new_name, "valid_from": valid_from},
                                       actor="demo:ministry", at=epoch)  # fmt: skip
    yesterday = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(9), tzinfo=calendar.zone)
    for index, (name, state) in enumerate(PEOPLE):
        at = calendar.nomination_opens + dt.timedelta(days=2, hours=index)
        position, work, residence = OCCUPATIONS[index % len(OCCUPATIONS)]
        facts = {"married": index % 3 != 0, "position": position, "place_of_work": work, "place_of_residence": residence}
        outcome = actions.nominate(
            db, DEMO_ID,
            {"association_id": ids[index], "person": person(name, election_day, **facts),
             "decision": decision(calendar.local(at).date() - dt.timedelta(days=1))},
            actor=OFFICER, at=at,
        )  # fmt: skip
        start = yesterday if state in AWAITING_A_WINDOW else calendar.registration_opens + dt.timedelta(days=index % 4)
        walk(db, outcome.candidacy_id, state, start)
    # The same tool after the vote: an earlier election carried through to the registered President.
    demo_results.build_concluded(db, today, ids)
    return DEMO_ID


# The demo officers' names, as the pages and the audit trail show who acted.
OFFICER_NAMES = {
    "clerk": "Айнұр Қасымова", "commission": "Бауыржан Оспанов", "revenue": "Ғалым Сейітов",
    "court": "Динара Әлімжанова", "auditor": "Ерболат Нұрғалиев", "admin": "Жанар Төлеуова",
}  # fmt: skip


def officers(db: Database) -> tuple[list[str], str]:
    """One demo account per officer role (``demo-clerk``, ``demo-commission`` ...), sharing a fresh password.

    Returns the logins and the password, to be shown once to whoever started the demo.
    """
    from registrar import accounts
    from registrar.roles import ACCOUNT_ROLES

    password = secrets.token_urlsafe(9)
    logins = []
    for role in ACCOUNT_ROLES:
        full_name = OFFICER_NAMES.get(role, f"Demo {role}")
        accounts.create_user(db, f"demo-{role}", role, password, full_name=full_name, actor="demo")
        logins.append(f"demo-{role}")
    return logins, password


def summary(db: Database, election_id: str) -> str:
    """The state of the election, as an officer would read it at the start of the day."""
    with db.reading() as session:
        election = session.get(Election, election_id)
        assert election is not None
        calendar = calendar_of(election)
        by_state = Counter(
            dict(
                session.execute(
                    select(Candidacy.state, func.count(Candidacy.id))
                    .where(Candidacy.election_id == election_id)
                    .group_by(Candidacy.state)
                ).all()
            )
        )
        registered = list(
            session.scalars(select(Candidacy).where(Candidacy.election_id == election_id, Candidacy.state == "registered"))
        )
        lines = [f"{election.title} [{election.id}], election day {election.election_day}"]
        lines.append(f"phase now: {actions.machines.phase_at(calendar, actions.now())}")
        lines += [f"  {name:<20} {value}" for name, value in calendar.to_json().items()]
        lines.append("candidacies by state:")
        lines += [f"  {state:<24} {by_state.get(state, 0)}" for state in STATES]
        lines.append("registered candidates (G2):")
        lines += [f"  {c.person.full_name}, born {c.person.birth_date.year}, {c.association.name}" for c in registered]
    return "\n".join(lines)
