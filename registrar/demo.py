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
from collections.abc import Iterator
from itertools import count
from typing import Any, NamedTuple

from sqlalchemy import func, select

from registrar import actions, deadlines, demo_results, importing, territory
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


class Named(NamedTuple):
    """A title or a name as the CEC writes it in Kazakh and in Russian, and as its site does in English."""

    kk: str
    ru: str
    en: str

    def by_language(self) -> dict[str, str]:
        return self._asdict()


def titles(year: int, *, concluded: bool = False) -> Named:
    """The demo elections' titles as the CEC's resolutions head them: the election held earlier
    (``concluded``, the regular one) and the early one now under way."""
    if concluded:
        return Named(f"Қазақстан Республикасы Президентінің {year} жылғы сайлауы",
                     f"Выборы Президента Республики Казахстан {year} года",
                     f"Election of the President of the Republic of Kazakhstan, {year}")  # fmt: skip
    return Named(f"Қазақстан Республикасы Президентінің {year} жылғы кезектен тыс сайлауы",
                 f"Внеочередные выборы Президента Республики Казахстан {year} года",
                 f"Early election of the President of the Republic of Kazakhstan, {year}")  # fmt: skip


def title(year: int, *, concluded: bool = False) -> str:
    """The title as entered (``Election.title``): the Kazakh one, the state language's."""
    return titles(year, concluded=concluded).kk


class Association(NamedTuple):
    """A national (or regional) public association as the Ministry of Justice registered it: its
    registered name in Kazakh, Russian and English (the Kazakh is the one entered, which the API
    and the audit carry) and its renamings, each with the day it took effect."""

    number: str
    name: Named
    kind: str
    registered_on: str
    renames: tuple[tuple[Named, str], ...] = ()

    @property
    def named_now(self) -> Named:
        """The name in force since the last renaming, in each language."""
        return self.renames[-1][0] if self.renames else self.name

    @property
    def name_now(self) -> str:
        """The name in force since the last renaming, as entered (Kazakh)."""
        return self.named_now.kk


N = Named
ASSOCIATIONS = [
    Association("0001-AM", N("«Nur Otan» партиясы", "Партия «Nur Otan»", "Nur Otan Party"), "national", "1999-03-01",
                ((N("«AMANAT» партиясы", "Партия «AMANAT»", "AMANAT Party"), "2022-03-01"),)),
    Association("0002-AZ", N("«Ақ жол» Қазақстан демократиялық партиясы", "Демократическая партия Казахстана «Ак жол»",
                             "Ak Zhol Democratic Party of Kazakhstan"), "national", "2002-04-12"),
    Association("0003-PP", N("Қазақстан коммунистік халық партиясы", "Коммунистическая народная партия Казахстана",
                             "Communist People's Party of Kazakhstan"), "national", "2004-06-21",
                ((N("«Қазақстан халық партиясы»", "«Народная партия Казахстана»", "People's Party of Kazakhstan"),
                  "2020-11-13"),)),
    Association("0004-AU", N("«Ауыл» халықтық-демократиялық патриоттық партиясы",
                             "Народно-демократическая патриотическая партия «Ауыл»",
                             "Auyl People's Democratic Patriotic Party"), "national", "2000-03-10"),
    Association("0005-NS", N("Жалпыұлттық социал-демократиялық партия", "Общенациональная социал-демократическая партия",
                             "Nationwide Social Democratic Party"), "national", "2006-09-10"),
    Association("0006-RE", N("«Respublica» партиясы", "Партия «Respublica»", "Respublica Party"), "national", "2022-12-20"),
    Association("0007-BA", N("«Байтақ» Қазақстан жасылдар партиясы", "Партия зелёных Казахстана «Байтақ»",
                             "Baytaq Green Party of Kazakhstan"), "national", "2022-12-20"),
    Association("0008-TU", N("Қазақстан Республикасы Кәсіподақтар федерациясы", "Федерация профсоюзов Республики Казахстан",
                             "Federation of Trade Unions of the Republic of Kazakhstan"), "national", "1992-06-01"),
    Association("0009-WU", N("Зияткерлік еңбек әйелдерінің одағы", "Союз женщин интеллектуального труда",
                             "Union of Women of Intellectual Labour"), "national", "1995-05-15"),
    Association("0010-VE", N("Ауған соғысы ардагерлерінің одағы", "Союз ветеранов войны в Афганистане",
                             "Union of Veterans of the War in Afghanistan"), "national", "1993-01-20"),
    Association("0011-YO", N("«Жас Отан» жастар қанаты", "Молодёжное крыло «Жас Отан»", "Zhas Otan Youth Wing"),
                "national", "2008-02-02"),
    Association("0012-FA", N("Қазақстан фермерлерінің одағы", "Союз фермеров Казахстана", "Union of Farmers of Kazakhstan"),
                "national", "1997-10-10"),
    Association("0013-EN", N("Қазақстан инженерлерінің қауымдастығы", "Ассоциация инженеров Казахстана",
                             "Association of Engineers of Kazakhstan"), "national", "2001-04-04"),
    Association("0015-PH", N("Қазақстан дәрігерлерінің қауымдастығы", "Ассоциация врачей Казахстана",
                             "Association of Physicians of Kazakhstan"), "national", "1996-11-11"),
    Association("0014-KA", N("Қарағанды кеншілерінің қауымдастығы", "Ассоциация шахтёров Караганды",
                             "Karaganda Miners' Association"), "regional", "2003-08-08"),
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
    """The supreme body's decision to nominate: a congress, its minutes numbered as the association numbers them."""
    return {"body": "congress", "meeting_on": meeting_on.isoformat(), "members": members, "present": 110,
            "votes_for": votes_for, "minutes_number": f"{meeting_on.timetuple().tm_yday}-{meeting_on:%y}"}  # fmt: skip


# The papers of D6 that are documents of their own (the rest are records: the conclusions, protocols, receipts).
DOCUMENTS = {"consent": "Кандидаттың сайлауға түсуге келісімі туралы өтініші", "biography": "Өмірбаян"}
# Who issued the records the papers are, as the candidate's file names them.
REVENUE_OFFICE = "Астана қаласы бойынша Мемлекеттік кірістер департаменті"
MEDICAL_INSTITUTION = "Қазақстан Республикасы Президенті Іс басқармасының Медициналық орталығы"
REFUSAL_REASON = "Заңда көзделген құжаттар толық көлемде ұсынылмаған"
# A receipt's prefix for each filer's declaration (кандидат, жұбайы).
FILER_MARKS = {"candidate": "К", "spouse": "Ж"}


def resolution_number(day: dt.date, sequence: int) -> str:
    """A CEC resolution's number as the CEC writes it after "№": its sitting's number in the year
    (about one a week), then the resolution's own number in the year: "12/345"."""
    return f"{day.timetuple().tm_yday // 7 + 1}/{sequence}"


def case_number(day: dt.date, sequence: int) -> str:
    """A Supreme Court case number: the court's code, the year, the case's number ("6001-26-00-3а/15")."""
    return f"6001-{day:%y}-00-3а/{sequence}"


def papers(trigger: str, calendar: ElectionCalendar, rules: Rules, day: dt.date, **extra: Any) -> list[dict[str, Any]]:
    """The payloads an officer enters for ``trigger``, complete and valid, dated ``day``."""
    iso = day.isoformat()
    declared = calendar.declarations_as_of.isoformat()
    if trigger == "file_declarations":
        return [{"declarations": [
            {"filer": filer, "valued_as_of": declared, "filed_on": iso, "revenue_office": REVENUE_OFFICE,
             "receipt_number": f"{FILER_MARKS.get(filer, 'Д')}-{day:%Y%m%d}"} for filer in rules.D1.filers]}]  # fmt: skip
    if trigger == "medical_check":  # what happens while in medical_check: the records the kind's rules ask for
        regions = rules.value("D4.regions", [])[:15]
        per_region = VOTERS // 100 // 14 + 500
        documents = [kind for kind in DOCUMENTS if kind in rules.value("D6.documents", [])]
        return [
            *([{"_trigger": "record_medical_conclusion", "institution": MEDICAL_INSTITUTION,
                "number": f"МҚ-{day:%Y%m%d}", "issued_on": iso, "fit": True}] if rules.has("D3") else []),
            *([{"_trigger": "record_language_conclusion", "decided_on": iso, "linguists": 7, "fluent": True}]
              if rules.has("E3") else []),
            *([{"_trigger": "record_contribution", "amount": rules.contribution_due_on(day), "paid_on": iso,
                "receipt_number": f"ТТ-{day:%Y%m%d}"}] if rules.has("D5") else []),
            *[{"_trigger": "record_document", "kind": kind, "received_on": iso, "reference": DOCUMENTS[kind]}
              for kind in documents],
            *[{"_trigger": "record_signature_protocol", "region": r["code"], "commission": _commission(r["code"]),
               "signed_on": iso, "submitted": per_region + 300, "valid": per_region} for r in regions],
        ]  # fmt: skip
    resolution = {"number": extra.get("number", f"{trigger}-{iso}"), "decided_on": iso}
    if trigger in ("refuse", "cancel_registration"):
        return [resolution | {"grounds": [extra.get("ground", "documents_missing")], "reason": REFUSAL_REASON}]
    if trigger == "appeal":
        return [{"case_number": extra.get("case_number", f"SC-{iso}"), "filed_on": iso}]
    if trigger in ("start_medical_check", "submit_documents", "close_appeal_window"):
        return [{}]
    return [resolution]


def _commission(code: str) -> str:
    """The territorial election commission of a region, by its Kazakh name (the territory file's)."""
    try:
        return territory.current().unit(code).commission_in("kk")
    except (KeyError, LookupError):
        return f"{code} аумақтық сайлау комиссиясы"


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


def walk(db: Database, candidacy_id: int, state: str, start: dt.datetime, *, actor: str = OFFICER,
         numbers: Iterator[int] | None = None) -> dt.datetime:  # fmt: skip
    """Bring a nominated candidacy to ``state`` through the actions, an hour apart from ``start``.

    Steps that wait for a window to lapse (close_appeal_window) jump past it. ``numbers`` number
    the decisions as the CEC and the court do (:func:`resolution_number`, :func:`case_number`);
    without them each is named by its trigger and day. Returns the moment of the last action.
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
        day = calendar.local(at).date()
        numbered = {}
        if numbers is not None:
            sequence = next(numbers)
            numbered = {"number": resolution_number(day, sequence), "case_number": case_number(day, sequence)}
        for payload in papers(trigger, calendar, rules, day, **numbered):
            step = payload.pop("_trigger", trigger)
            actions.perform(db, candidacy_id, step, payload, actor=actor, at=at)
    return at


def announce(
    db: Database, election_id: str, title: str | Named, announced: dt.date, election_day: dt.date, *, actor: str
) -> ElectionCalendar:
    """Announce a presidential election at 10:00 local on ``announced``, with the demo's voter count (D4);
    ``title`` in each language (:class:`Named`) or as entered."""
    rules = for_kind("presidential")
    named = {"titles": title.by_language()} if isinstance(title, Named) else {}
    actions.announce_election(
        db,
        {"id": election_id, "title": title.kk if isinstance(title, Named) else title, **named,
         "kind": "presidential", "announced_on": announced.isoformat(),
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
    calendar = announce(db, DEMO_ID, titles(election_day.year), announced, election_day, actor="demo:commission")
    epoch = dt.datetime.combine(announced, dt.time(10), tzinfo=calendar.zone)
    ids = []
    for number, named_as, kind, registered, renames in ASSOCIATIONS:
        ids.append(actions.register_association(db, {"registration_number": number, "names": named_as.by_language(),
                                                     "kind": kind, "registered_on": registered},
                                                actor="demo:ministry", at=epoch))  # fmt: skip
        for new_name, valid_from in renames:
            actions.rename_association(db, ids[-1], {"names": new_name.by_language(), "valid_from": valid_from},
                                       actor="demo:ministry", at=epoch)  # fmt: skip
    # The CEC's resolutions and the court's cases of the year, numbered in the order they were taken.
    numbers = count(112)
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
        walk(db, outcome.candidacy_id, state, start, numbers=numbers)
    # The same tool after the vote: an earlier election carried through to the registered President.
    demo_results.build_concluded(db, today, ids, numbers=count(41))
    # And the real ones the public record documents (2019, 2022), beside the synthetic elections.
    importing.load_archive(db, actor="demo:archive", recorded=dt.datetime.combine(today, dt.time(8), tzinfo=calendar.zone))
    return DEMO_ID


# The demo officers' names, as the pages and the audit trail show who acted.
OFFICER_NAMES = {
    "clerk": "Айнұр Қасымова", "commission": "Бауыржан Оспанов", "revenue": "Ғалым Сейітов",
    "court": "Динара Әлімжанова", "territorial": "Зәуре Мұқанова", "auditor": "Ерболат Нұрғалиев",
    "admin": "Жанар Төлеуова",
}  # fmt: skip
# The territorial commission whose officer the demo has (demo-territorial): the capital's.
OFFICER_UNIT = "AST"


def officers(db: Database) -> tuple[list[str], str]:
    """One demo account per officer role (``demo-clerk``, ``demo-commission`` ...), sharing a fresh password.

    Returns the logins and the password, to be shown once to whoever started the demo.
    """
    from registrar import accounts
    from registrar.roles import UNIT_ROLES, officer_roles

    password = secrets.token_urlsafe(9)
    logins = []
    for role in officer_roles():  # another system's account (loading past elections) is no officer's
        full_name = OFFICER_NAMES.get(role, f"Demo {role}")
        unit = OFFICER_UNIT if role in UNIT_ROLES else None
        accounts.create_user(db, f"demo-{role}", role, password, full_name=full_name, unit=unit, actor="demo")
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
        lines += [
            f"  {c.person.full_name}, born {c.person.birth_date.year if c.person.birth_date else '?'}, {c.association.name}"
            for c in registered
        ]
    return "\n".join(lines)
