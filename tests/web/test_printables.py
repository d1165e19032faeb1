"""The CEC's papers: the certificate and the resolutions carry their number, date, the commission and a
verification link on the configured public address; the Russian certificate agrees with the candidate."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import render_template
from sqlalchemy import select

from registrar import demo, importing
from registrar.models import Candidacy, Certificate, Decision, ElectionDecision, Person
from registrar.settings import Settings
from tests.web.conftest import WebWorld
from web import printables
from web.printables import gender_of


@pytest.fixture(scope="module")
def world(demo_world: WebWorld) -> WebWorld:
    return demo_world


def _registered(world: WebWorld, name: str) -> int:
    with world.db.reading() as session:
        found = session.scalar(select(Candidacy.id).join(Person).where(Person.full_name == name))
    assert found is not None
    return found


def _page(world: WebWorld, url: str, role: str = "clerk", language: str = "en") -> str:
    # A language other than English is chosen on a client of the test's own (the shared ones stay in English).
    client = world.as_role(role) if language == "en" else world.login_as(role)
    client.get(f"/language/{language}")
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "gender"),
    [
        ("Тоқаев Қасым-Жомарт Кемелұлы", "masculine"),
        ("Ахметова Айгүл Серікқызы", "feminine"),
        ("Нұрлан Кемел ұлы", "masculine"),
        ("Айгүл Серік қызы", "feminine"),
        ("Иванов Иван Иванович", "masculine"),
        ("Петрова Анна Сергеевна", "feminine"),
        ("Гүлнара Әбенова", "feminine"),
        ("Марат Кенжебеков", "masculine"),
        ("Ерлан Төлегенов", "masculine"),
        ("Асель Галиева", "feminine"),
        ("Мұхтар Әуезов", "masculine"),
        ("Kassym-Jomart Tokayev", "masculine"),
        ("Aigul Akhmetova", "feminine"),
        ("Әлихан Бөкейхан", None),  # the surname says nothing
        ("Test Candidate", None),
        ("Иванова Иван Петров", None),  # two surnames that disagree say nothing
    ],
)
def test_the_gender_a_name_states_is_read_from_its_patronymic_or_its_surname(name: str, gender: str | None) -> None:
    assert gender_of(name) == gender


def test_the_certificate_carries_its_number_date_commission_and_a_link_on_the_public_address(world: WebWorld) -> None:
    candidacy = _registered(world, demo.named("registered"))
    with world.db.reading() as session:
        number = session.scalar(select(Certificate.number).where(Certificate.candidacy_id == candidacy))
    page = _page(world, f"/officer/candidacies/{candidacy}/certificate")
    assert f"Registration certificate № {number}" in page
    assert "Central Election Commission of the Republic of Kazakhstan" in page
    link = f"{Settings().public_url}/candidacies/{candidacy}"
    assert f'<a href="{link}">{link}</a>' in page
    assert "localhost" not in page.split("paper-verify", 1)[1] and "127.0.0.1" not in page
    assert 'class="paper-date"' in page and "print.css" in page


def test_the_verification_link_follows_the_configured_public_url_not_the_request_host(world: WebWorld) -> None:
    candidacy = _registered(world, demo.named("registered"))
    settings = world.app.extensions["registrar.settings"]
    world.app.extensions["registrar.settings"] = replace(settings, public_url="https://saylau.example.kz/tirkeu")
    try:
        page = world.as_role("commission").get(f"/officer/candidacies/{candidacy}/certificate").get_data(as_text=True)
        with world.app.test_request_context("/", base_url="http://127.0.0.1:8000"):
            link = printables.verification_link("public.candidacy", candidacy_id=candidacy)
    finally:
        world.app.extensions["registrar.settings"] = settings
    assert f'href="https://saylau.example.kz/tirkeu/candidacies/{candidacy}"' in page
    assert link == f"https://saylau.example.kz/tirkeu/candidacies/{candidacy}"


@pytest.mark.parametrize(
    ("nth", "says", "not_says"),
    [(0, "Выдвинута общественным объединением", "Выдвинут общественным"),  # Гүлнара Әбенова
     (1, "Выдвинут общественным объединением", "Выдвинута")],  # Марат Кенжебеков
)  # fmt: skip
def test_the_russian_certificate_agrees_in_gender_with_the_candidate(world: WebWorld, nth: int,
                                                                    says: str, not_says: str) -> None:  # fmt: skip
    candidacy = _registered(world, demo.named("registered", nth))
    page = _page(world, f"/officer/candidacies/{candidacy}/certificate", language="ru")
    assert says in page and not_says not in page
    assert ("зарегистрирована кандидатом" in page) == (nth == 0)
    assert "Центральная избирательная комиссия Республики Казахстан" in page


def test_a_name_that_states_no_gender_gets_the_russian_sentence_that_needs_none(world: WebWorld) -> None:
    candidacy = _registered(world, demo.named("registered"))
    with world.app.test_request_context("/", headers={"Accept-Language": "ru"}):
        found = printables.printables.certificate(world.db, candidacy) | {"person": "Әлихан Бөкейхан"}
        html = render_template("print/_certificate.html", certificate=found, verify="https://x.kz", gender=None)
    assert "является зарегистрированным кандидатом" in html and "Выдвинут" not in html


def test_the_resolutions_on_a_candidacy_carry_number_date_and_what_the_cec_resolved(world: WebWorld) -> None:
    with world.db.reading() as session:
        decisions = {kind: (id_, number, candidacy) for id_, kind, number, candidacy in session.execute(
            select(Decision.id, Decision.kind, Decision.number, Decision.candidacy_id).join(Candidacy)
            .where(Decision.kind.in_(("register", "refuse")), Candidacy.election_id.not_in(importing.ARCHIVE)))}  # fmt: skip
    for kind, operative in (("register", "To register the person named above"), ("refuse", "To refuse the person named above")):
        id_, number, candidacy = decisions[kind]
        page = _page(world, f"/officer/resolutions/{id_}", role="commission")
        assert f"Resolution of the CEC № {number}" in page and operative in page
        assert f'href="{Settings().public_url}/candidacies/{candidacy}"' in page
    court = world.as_role("court").get("/officer/resolutions/999999")
    assert court.status_code == 404


def test_the_results_and_the_presidents_registration_print_with_the_rounds_figures(world: WebWorld) -> None:
    with world.db.reading() as session:
        rows = session.execute(select(ElectionDecision.id, ElectionDecision.kind, ElectionDecision.election_id)
                               .where(ElectionDecision.kind.in_(("establish_results", "register_president")))).all()  # fmt: skip
    kinds = {kind for _, kind, _ in rows}
    assert kinds == {"establish_results", "register_president"}, "the concluded demo election has both"
    for id_, kind, election in rows:
        page = _page(world, f"/officer/election-resolutions/{id_}", role="auditor")
        assert f'href="{Settings().public_url}/elections/{election}/results"' in page
        if kind == "establish_results":
            assert "On the results of the election of the President" in page and "Turnout" in page
        else:
            assert "On the registration of the President-elect" in page


def test_the_pdf_is_the_same_paper_and_without_weasyprint_the_page_says_print(
    world: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidacy = _registered(world, demo.named("registered"))
    client = world.as_role("clerk")
    url = f"/officer/candidacies/{candidacy}/certificate"
    assert printables.pdf_available(), "WeasyPrint is in the test extra"
    assert f'href="{url}.pdf"' in client.get(url).get_data(as_text=True)
    response = client.get(f"{url}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    monkeypatch.setattr(printables, "_weasyprint", lambda: None)
    page = client.get(url).get_data(as_text=True)
    assert "Print command" in page and ".pdf" not in page
    assert client.get(f"{url}.pdf").status_code == 404


def test_the_public_is_sent_to_log_in(world: WebWorld) -> None:
    candidacy = _registered(world, demo.named("registered"))
    response = world.client().get(f"/officer/candidacies/{candidacy}/certificate.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
