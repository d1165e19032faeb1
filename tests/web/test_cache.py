"""Public pages come from a cache until anything public changes (the audit trail's revision moves)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from registrar import actions, demo, public
from registrar.models import Candidacy, Person
from tests.demo_copies import build_demo
from web import cache

from .conftest import DEMO_TODAY, WebWorld


def _listed_page(web_world: WebWorld, language: str = "en", **headers: str) -> tuple[int, str, str]:
    response = web_world.client().get(f"/elections/{demo.DEMO_ID}/candidates",
                                      headers={"Accept-Language": language, **headers})  # fmt: skip
    return response.status_code, response.get_data(as_text=True), response.headers.get("ETag", "")


def _rename_behind_the_back(web_world: WebWorld, candidacy_id: int, name: str) -> None:
    """A change no action made (and so no audit event): only to show which page is the cached one."""
    with web_world.db.transaction() as session:
        person_id = select(Candidacy.person_id).where(Candidacy.id == candidacy_id).scalar_subquery()
        session.execute(update(Person).where(Person.id == person_id).values(full_name=name))


@pytest.fixture(autouse=True)
def _revision_read_on_every_request(web_world: WebWorld) -> None:
    web_world.app.config["REGISTRAR_PUBLIC_REVISION_SECONDS"] = 0


def test_the_list_is_served_from_the_cache_until_an_action_changes_the_trail(web_world: WebWorld) -> None:
    build_demo(web_world.db, DEMO_TODAY)
    first = public.published_list(web_world.db, demo.DEMO_ID)[0]
    status, page, _ = _listed_page(web_world)
    assert status == 200 and first.candidate.full_name in page

    _rename_behind_the_back(web_world, first.candidacy_id, "Renamed Behind The Back")
    assert "Renamed Behind The Back" not in _listed_page(web_world)[1], "the same revision: the cached page"
    assert "Renamed Behind The Back" in _listed_page(web_world, "ru")[1], "each language is a page of its own"

    actions.perform(web_world.db, 2, "send_information_request", {"organisation": "Bank", "subject": "accounts"},
                    actor="test")  # fmt: skip
    assert "Renamed Behind The Back" in _listed_page(web_world)[1], "an audit event moved the revision on"


def test_a_browser_that_has_the_page_gets_304(web_world: WebWorld) -> None:
    build_demo(web_world.db, DEMO_TODAY)
    _, _, etag = _listed_page(web_world)
    assert etag
    response = web_world.client().get(f"/elections/{demo.DEMO_ID}/candidates",
                                      headers={"Accept-Language": "en", "If-None-Match": etag})  # fmt: skip
    assert response.status_code == 304 and not response.data
    actions.perform(web_world.db, 2, "send_information_request", {"organisation": "Bank", "subject": "accounts"},
                    actor="test")  # fmt: skip
    response = web_world.client().get(f"/elections/{demo.DEMO_ID}/candidates",
                                      headers={"Accept-Language": "en", "If-None-Match": etag})  # fmt: skip
    assert response.status_code == 200


def test_an_officer_is_never_served_the_public_cache(web_world: WebWorld) -> None:
    build_demo(web_world.db, DEMO_TODAY)
    first = public.published_list(web_world.db, demo.DEMO_ID)[0]
    _listed_page(web_world)
    _rename_behind_the_back(web_world, first.candidacy_id, "Seen By The Officer")
    officer = web_world.login_as("auditor")
    page = officer.get(f"/elections/{demo.DEMO_ID}/candidates").get_data(as_text=True)
    assert "Seen By The Officer" in page
    assert 'action="/logout"' in page, "their own header"
    assert 'action="/logout"' not in _listed_page(web_world)[1], "and it never reaches the public"


def test_a_missing_page_is_not_kept(web_world: WebWorld) -> None:
    assert web_world.client().get("/elections/nowhere/candidates").status_code == 404
    build_demo(web_world.db, DEMO_TODAY)
    assert web_world.client().get("/elections/nowhere/candidates").status_code == 404
    assert _listed_page(web_world)[0] == 200


def test_a_change_reaches_the_public_within_the_time_the_revision_is_trusted(
    web_world: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache's own clock, moved by the test: a loaded machine may take longer than the
    # trusted half second between two requests, which is not what this test is about.
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    web_world.app.config["REGISTRAR_PUBLIC_REVISION_SECONDS"] = 0.5
    build_demo(web_world.db, DEMO_TODAY)
    first = public.published_list(web_world.db, demo.DEMO_ID)[0]
    _listed_page(web_world)
    _rename_behind_the_back(web_world, first.candidacy_id, "Renamed Later")
    actions.perform(web_world.db, 2, "send_information_request", {"organisation": "Bank", "subject": "accounts"},
                    actor="test")  # fmt: skip
    clock[0] += 0.4
    assert "Renamed Later" not in _listed_page(web_world)[1], "the revision read 0.4 s ago is still trusted"
    clock[0] += 0.2
    assert "Renamed Later" in _listed_page(web_world)[1]
