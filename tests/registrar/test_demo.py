"""The demo (registrar/demo.py, demo_results.py) as `registrar serve --demo` opens it: every state of
the candidacy machine still has a candidacy after the startup sweep, and the people, the associations
and the titles are written as a Kazakh election writes them."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from registrar import accounts, deadlines, demo, demo_results, importing, sweep
from registrar.db import Database
from registrar.models import (
    Appeal,
    Association,
    Candidacy,
    Decision,
    Declaration,
    Document,
    Election,
    ElectionDecision,
    MedicalConclusion,
    Person,
    Protocol,
    SignatureProtocol,
    UserAccount,
)
from registrar.rules import for_kind
from registrar.states import STATES
from tests.demo_copies import build_demo

# The day `serve` builds the demo on (the one the web tests' copy is built for, so it is shared).
TODAY = dt.date.today()
ZONE = for_kind("presidential").zone
# The last moment the startup sweep can run on that day: the server's date may be a day behind
# Almaty's (T1), never more, so the end of the next local day bounds it.
LATEST_FIRST_SWEEP = dt.datetime.combine(TODAY + dt.timedelta(days=2), dt.time(0), tzinfo=ZONE) - dt.timedelta(minutes=1)

# A person's name as a Kazakh identity card writes it in Cyrillic (the Kazakh letters included).
CYRILLIC_NAME = re.compile(r"^[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]+(?:[ -][А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]+)+$")
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def states_of(db: Database, election_id: str) -> Counter[str]:
    with db.reading() as session:
        return Counter(session.scalars(select(Candidacy.state).where(Candidacy.election_id == election_id)))


def test_every_state_has_a_candidacy_after_the_first_sweep(db: Database) -> None:
    build_demo(db, TODAY)
    before = states_of(db, demo.DEMO_ID)
    report = sweep.sweep(db, LATEST_FIRST_SWEEP)
    after = states_of(db, demo.DEMO_ID)
    assert [state for state in STATES if after[state] < 1] == [], (after, report)
    assert after == before, "the first sweep moves no candidacy on"
    assert set(after) == set(STATES)


def test_the_refusal_and_the_cancellation_can_still_be_appealed_when_the_demo_opens(db: Database) -> None:
    """G6: the refused and the cancelled candidacies were decided the day before; their windows run on."""
    assert sorted(demo.AWAITING_A_WINDOW) == ["refused", "registration_cancelled"]
    build_demo(db, TODAY)
    appeal_days = for_kind("presidential").G6.appeal_days
    with db.reading() as session:
        waiting = session.execute(
            select(Candidacy.id, Candidacy.state)
            .where(Candidacy.election_id == demo.DEMO_ID, Candidacy.state.in_(demo.AWAITING_A_WINDOW))
            .order_by(Candidacy.state)
        ).all()  # fmt: skip
        windows = {state: [d.due_at for d in deadlines.pending_for(session, "candidacy", cid) if d.kind == "appeal_window"]
                   for cid, state in waiting}  # fmt: skip
    assert list(windows) == ["refused", "registration_cancelled"]
    for state, (due_at,) in windows.items():
        due = due_at if due_at.tzinfo else due_at.replace(tzinfo=dt.UTC)
        assert due > LATEST_FIRST_SWEEP, f"{state}: the window closes at {due}, before the demo opens"
        assert due - LATEST_FIRST_SWEEP < dt.timedelta(days=appeal_days), "decided recently, not in the future"
    # The walk is an ordinary one: the sweep makes them final once the window has passed.
    sweep.sweep(db, LATEST_FIRST_SWEEP + dt.timedelta(days=appeal_days + 1))
    with db.reading() as session:
        final = [session.get_one(Candidacy, cid).state for cid, _ in waiting]
    assert final == ["refused_final", "cancelled_final"]


# The demo's own associations (the archive's are named and numbered as its public record gives them).
DEMOS = Association.registration_number.is_not(None)


def test_the_people_are_named_in_cyrillic(db: Database) -> None:
    build_demo(db, TODAY)
    with db.reading() as session:
        names = list(session.scalars(select(Person.full_name).join(Candidacy, Candidacy.person_id == Person.id)
                                     .where(Candidacy.election_id.not_in(importing.ARCHIVE))))  # fmt: skip
    assert len(names) == len(demo.PEOPLE) + len(demo_results.CANDIDATES), "the archive's people are its own (test_archive)"
    assert [name for name in names if not CYRILLIC_NAME.match(name)] == []
    assert sum(bool(KAZAKH_LETTERS & set(name)) for name in names) >= len(names) // 2, "Kazakh spelling, not Russian"
    assert demo.named("nominated") == "Айгерім Сәрсенбаева" and demo.named("declarations_filed") == "Болат Жақсылықов"
    assert [demo.named("registered"), demo.named("registered", 1)] == ["Гүлнара Әбенова", "Марат Кенжебеков"]


def test_the_associations_carry_their_registered_names(db: Database) -> None:
    """Their names in force, as registered: Kazakh, or the official Latin-lettered name in quotes
    (AMANAT, Respublica); the earlier names stay in their history."""
    build_demo(db, TODAY)
    with db.reading() as session:
        associations = list(session.scalars(select(Association).where(DEMOS).order_by(Association.id)))
        in_force = [str(association.name_on(TODAY)) for association in associations]
        amanat = associations[0]
        assert amanat.name_on(dt.date(2022, 2, 28)) == "«Nur Otan» партиясы"
    assert in_force == [association.name_now for association in demo.ASSOCIATIONS]
    assert in_force[:3] == ["«AMANAT» партиясы", "«Ақ жол» Қазақстан демократиялық партиясы", "«Қазақстан халық партиясы»"]
    assert all(re.search("[а-яәғқңөұүһі]", name) for name in in_force), "each names its kind in Kazakh (партиясы, одағы ...)"
    assert not [name for name in in_force if re.search(r"\b(Party|Union|Association)\b", name)]


def test_the_titles_are_in_kazakh_russian_and_english(db: Database) -> None:
    build_demo(db, TODAY)
    with db.reading() as session:
        titles = {election.id: election.titles for election in session.scalars(select(Election))}
    year = (TODAY + dt.timedelta(days=42)).year
    now = titles[demo.DEMO_ID]
    assert now == demo.title(year), "entered in Kazakh, the state language"
    assert now.in_("kk") == f"Қазақстан Республикасы Президентінің {year} жылғы кезектен тыс сайлауы"
    assert now.in_("ru") == f"Внеочередные выборы Президента Республики Казахстан {year} года"
    assert now.in_("en") == f"Early election of the President of the Republic of Kazakhstan, {year}"
    concluded = titles[demo_results.CONCLUDED_ID]
    assert concluded.in_("kk").endswith("жылғы сайлауы") and concluded.in_("ru").startswith("Выборы Президента")
    for title in titles.values():
        assert not re.search("[A-Za-z]", title.in_("kk") + title.in_("ru"))
        assert re.fullmatch(r"[A-Za-z ,0-9]+", title.in_("en"))


def test_the_associations_are_named_in_each_language(db: Database) -> None:
    build_demo(db, TODAY)
    with db.reading() as session:
        associations = list(session.scalars(select(Association).where(DEMOS).order_by(Association.id)))
        names = [association.named_on(TODAY) for association in associations]
        amanat, before = names[0], associations[0].named_on(dt.date(2022, 2, 28))
    assert (amanat.in_("kk"), amanat.in_("ru"), amanat.in_("en")) == ("«AMANAT» партиясы", "Партия «AMANAT»", "AMANAT Party")
    assert before.in_("ru") == "Партия «Nur Otan»", "the name in force before the renaming, in Russian too"
    assert [name.by_language for name in names] == [a.named_now.by_language() for a in demo.ASSOCIATIONS]
    # Kazakh and Russian in Cyrillic but for the registered Latin-lettered names in quotes.
    outside_quotes = [re.sub(r"«[A-Za-z ]+»", "", name.in_(language)) for name in names for language in ("kk", "ru")]
    assert [text for text in outside_quotes if re.search("[A-Za-z]", text)] == []
    assert all(re.search("[а-яё]", name.in_("ru")) for name in names)


def test_the_demo_records_are_written_as_a_kazakh_commission_writes_them(db: Database) -> None:
    """No English left in what officers read: the offices, the institutions, the chairs, the reasons;
    the CEC's resolutions numbered "sitting/number", the court's cases by its own numbering."""
    build_demo(db, TODAY)
    with db.reading() as session:
        texts = [*session.scalars(select(Declaration.revenue_office)), *session.scalars(select(Declaration.receipt_number)),
                 *session.scalars(select(MedicalConclusion.institution)), *session.scalars(select(Protocol.chair)),
                 *session.scalars(select(Decision.reason).join(Candidacy).where(Candidacy.election_id.not_in(importing.ARCHIVE))),
                 *session.scalars(select(SignatureProtocol.commission)),
                 *session.scalars(select(Document.reference))]  # fmt: skip
        demos = Candidacy.election_id.not_in(importing.ARCHIVE)
        numbers = [
            *session.scalars(select(Decision.number).join(Candidacy).where(demos)),
            *session.scalars(select(ElectionDecision.number).where(ElectionDecision.election_id.not_in(importing.ARCHIVE))),
        ]
        cases = list(session.scalars(select(Appeal.case_number)))
    assert texts and [text for text in texts if text and re.search("[A-Za-z]", text)] == []
    assert numbers and [n for n in numbers if not re.fullmatch(r"\d+/\d+", n)] == []
    assert cases and all(re.fullmatch(r"6001-\d\d-00-3а/\d+", case) for case in cases)


def test_the_demo_officers_have_names(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # One round of PBKDF2, not scrypt (as tests/web/conftest.py): the names are what is looked at.
    monkeypatch.setattr(accounts, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))
    build_demo(db, TODAY)
    logins, _ = demo.officers(db)
    with db.reading() as session:
        names = dict(session.execute(select(UserAccount.login, UserAccount.full_name)).all())
    assert sorted(names) == sorted(logins)
    assert names["demo-clerk"] == "Айнұр Қасымова"
    assert all(CYRILLIC_NAME.match(name) for name in names.values()), names


def test_the_summary_reads_the_states_after_the_sweep(db: Database) -> None:
    build_demo(db, TODAY)
    sweep.sweep(db, LATEST_FIRST_SWEEP)
    lines = demo.summary(db, demo.DEMO_ID).splitlines()
    assert lines[0].startswith(f"{demo.title((TODAY + dt.timedelta(days=42)).year)} [{demo.DEMO_ID}]")
    counts = {line.split()[0]: int(line.split()[1]) for line in lines if line.startswith("  ") and line.split()[0] in STATES}
    assert list(counts) == list(STATES) and min(counts.values()) >= 1
    assert f"  {demo.named('registered')}, born" in "\n".join(lines)
