"""Issue 14, the archive on the site: the 2019 and 2022 elections the demo holds are shown as past
elections with their results, in Kazakh, Russian and English, and saying what their figures
stand on; every page an officer or the public opens of their candidacies answers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registrar import importing, printables
from registrar.models import Candidacy, Certificate, Decision
from tests.web.conftest import WebWorld


@pytest.fixture(scope="module")
def world(demo_world: WebWorld) -> WebWorld:
    return demo_world


def test_the_home_page_lists_the_archive_beside_the_demo(world: WebWorld) -> None:
    page = world.client("en").get("/").get_data(as_text=True)
    assert all(f'href="/elections/{election_id}"' in page for election_id in importing.ARCHIVE)


@pytest.mark.parametrize(("language", "words"), [
    ("en", ("6,539,715", "70.96%", "9,216,410", "not in the public record", "protocols are not in it")),
    ("ru", ("70,96", "нет в открытых источниках", "протоколов территориальных комиссий в них нет")),
    ("kk", ("70,96", "ашық дереккөздерде жоқ", "хаттамалары оларда жоқ")),
])  # fmt: skip
def test_2019s_results_page_shows_the_cecs_figures_and_what_they_stand_on(
    world: WebWorld, language: str, words: tuple[str, ...]
) -> None:
    response = world.client(language).get("/elections/kz-2019/results")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert [word for word in words if word not in page] == []
    assert "Токаев Касым-Жомарт Кемелевич" in page
    assert "Against all" not in page and "Барлығына қарсы" not in page, "no 'against all' on the 2019 ballot"


def test_2022s_results_page_shows_against_all_and_the_turnout(world: WebWorld) -> None:
    page = world.client("en").get("/elections/kz-2022/results").get_data(as_text=True)
    assert [w for w in ("6,456,393", "81.31%", "460,484", "5.80%", "69.44%", "11,953,465", "7,940,478") if w not in page] == []
    assert "<svg" in page, "the chart is drawn from the national figures"


@pytest.mark.parametrize("role", ["public", "clerk", "commission", "auditor"])
def test_every_page_of_the_archives_candidacies_answers(world: WebWorld, role: str) -> None:
    client = world.as_role(role)
    with world.db.reading() as session:
        ids = session.scalars(select(Candidacy.id).where(Candidacy.election_id.in_(importing.ARCHIVE))).all()
        decisions = session.scalars(select(Decision.id).join(Candidacy).where(
            Candidacy.election_id.in_(importing.ARCHIVE), Decision.kind.in_(printables.CANDIDACY_RESOLUTIONS))).all()  # fmt: skip
        certificates = session.scalars(select(Certificate.candidacy_id).join(Candidacy)
                                       .where(Candidacy.election_id.in_(importing.ARCHIVE))).all()  # fmt: skip
    pages = [f"/candidacies/{i}" for i in ids]
    if role != "public":
        pages += [f"/officer/candidacies/{i}" for i in ids] + [f"/officer/elections/{e}" for e in importing.ARCHIVE]
        pages += [f"/officer/resolutions/{d}" for d in decisions] + [
            f"/officer/candidacies/{c}/certificate" for c in certificates
        ]
    answered = {page: client.get(page).status_code for page in pages}
    assert ids and decisions and {page: code for page, code in answered.items() if code != 200} == {}
    assert certificates == [], "the certificates the CEC issued are not in the public record: none is made up"
