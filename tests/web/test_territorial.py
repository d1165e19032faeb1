"""A territorial election commission's officer on the web (issue 12): its account names its unit
(the admin's pages), its dashboard and calendar carry its unit's protocol (V3) and no other's, and
the API takes its own unit's protocol only.

The election is :func:`tests.web.test_officer_results.build_voted`'s, voted two days ago and being
counted; the pages' clock (registrar.actions.now) is set around its V3 deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from registrar import accounts, actions, results, sweep
from registrar.db import Database
from registrar.models import AuditEvent, Deadline, Protocol, UserAccount
from tests.demo_copies import copied

from .conftest import PASSWORD, Client, WebWorld
from .test_officer_results import ELECTION, ELECTION_DAY, UNITS, build_voted, protocol

HOUR = dt.timedelta(hours=1)
V1 = "/api/v1"


@pytest.fixture
def voted(db: Database, request: pytest.FixtureRequest) -> tuple[WebWorld, list[int]]:
    """test_officer_results' election being counted, copied into this test's database."""
    ids = copied(db, ("build_voted", ELECTION_DAY), build_voted, lambda kept, _: list(kept))
    return request.getfixturevalue("web_world"), ids


def at_time(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(actions, "now", lambda: moment)


def the_v3_row(db: Database) -> Deadline:
    with db.reading() as session:
        row = session.scalars(select(Deadline).where(Deadline.kind == "protocols_due", Deadline.subject_id == ELECTION)).one()
        session.expunge(row)
        return row


def officer_of(world: WebWorld, unit: str) -> str:
    login = f"tec-{unit.lower()}"
    accounts.create_user(world.db, login, "territorial", PASSWORD, full_name="Айгүл Сәрсенова", unit=unit)
    return login


def duties_table(page: str) -> str:
    start = page.index('id="duties"')
    return page[start : page.index("</table>", start)] if "<table" in page[start : start + 400] else page[start : start + 400]


def count_protocols(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Protocol)) or 0


# --- The queue ---------------------------------------------------------------------------------


def test_the_dashboard_shows_the_officer_its_units_protocol_due_then_overdue_then_done(
    voted: tuple[WebWorld, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, ids = voted
    row = the_v3_row(world.db)
    for unit in UNITS:
        if unit.code not in ("AST", "ALA"):
            results.submit_protocol(world.db, ELECTION, protocol(ids, unit.code), actor="test:clerk", at=row.due_at - 3 * HOUR)
    client = world.login(officer_of(world, "AST"))

    at_time(monkeypatch, row.due_at - HOUR)
    table = duties_table(client.get("/officer/").get_data(as_text=True))
    assert "Protocol of Astana city, round 1" in table and '<span class="tag due">Due</span>' in table
    assert "Almaty city" not in table and ">Take<" not in table, "another unit's, and nothing to take"
    assert f'href="/officer/elections/{ELECTION}/protocols/new"' in table

    assert sweep.sweep(world.db, row.due_at).fired["protocols_due"] == 1
    at_time(monkeypatch, row.due_at + 2 * HOUR)
    table = duties_table(client.get("/officer/").get_data(as_text=True))
    assert "Protocol of Astana city, round 1" in table and "Overdue" in table and "late by 2 hours" in table
    kk = client.get("/officer/", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert "Астана қаласы" in duties_table(kk) and "Алматы қаласы" not in duties_table(kk)

    results.submit_protocol(world.db, ELECTION, protocol(ids, "AST"), actor="user:tec-ast", at=row.due_at + HOUR,
                            acting_for="AST")  # fmt: skip
    page = client.get("/officer/").get_data(as_text=True)
    assert "Protocol of Astana city" not in duties_table(page) and "Nothing is overdue" in page
    # The CEC's staff still owe the election's whole duty: Almaty's protocol is missing.
    clerk = duties_table(world.login_as("clerk").get("/officer/").get_data(as_text=True))
    assert "Overdue" in clerk and "Protocol of" not in clerk


def test_the_calendar_feed_carries_the_units_protocol_only(
    voted: tuple[WebWorld, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, _ids = voted
    row = the_v3_row(world.db)
    at_time(monkeypatch, row.due_at - HOUR)
    secret = accounts.issue_token(world.db, officer_of(world, "SHY"), "calendar", scope="feed")
    feed = world.client().get(f"/officer/deadlines.ics?token={secret}")
    body = feed.get_data(as_text=True).replace("\r\n ", "")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    summaries = [line for line in body.splitlines() if line.startswith("SUMMARY:")]
    assert [s for s in summaries if "V3" in s] == ["SUMMARY:submission of the territorial election commissions' protocols "
                                                   "(V3): Protocol of Shymkent city\\, round 1"]  # fmt: skip
    assert not [s for s in summaries if "Astana" in s or "D2" in s]


def test_the_officer_is_refused_another_units_protocol_through_the_api_and_nothing_is_stored(
    voted: tuple[WebWorld, list[int]],
) -> None:
    world, ids = voted
    token = accounts.issue_token(world.db, officer_of(world, "AST"), "tests")
    client = world.app.test_client()

    def post(path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        response = client.post(V1 + path, data=json.dumps(body), content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        return response.status_code, response.get_json()

    status, body = post(f"/elections/{ELECTION}/protocols", protocol(ids, "ALA"))
    assert status == 422 and list(body["errors"]) == ["unit"]  # type: ignore[call-overload]
    assert "your own unit (Astana city)" in str(body["errors"]) and count_protocols(world.db) == 0
    assert post(f"/elections/{ELECTION}/protocols", protocol(ids, "AST"))[0] == 201
    results.submit_protocol(world.db, ELECTION, protocol(ids, "ALA"), actor="test:clerk")
    status, body = post(f"/elections/{ELECTION}/protocols/ALA/corrections", protocol(ids, "ALA", reason="re-added"))
    assert status == 422 and list(body["errors"]) == ["unit"]  # type: ignore[call-overload]
    assert post(f"/elections/{ELECTION}/protocols/AST/corrections", protocol(ids, "AST", reason="re-added"))[0] == 201
    with world.db.reading() as session:
        assert sorted((p.unit, p.version) for p in session.scalars(select(Protocol))) == [("ALA", 1), ("AST", 1), ("AST", 2)]


def test_the_protocol_form_fixes_the_officers_unit_and_hides_another_units_correction(
    voted: tuple[WebWorld, list[int]],
) -> None:
    world, ids = voted
    client = world.login(officer_of(world, "AST"))
    page = client.get(f"/officer/elections/{ELECTION}/protocols/new").get_data(as_text=True)
    assert '<input type="hidden" name="unit" value="AST">' in page and '<select id="f-unit"' not in page
    results.submit_protocol(world.db, ELECTION, protocol(ids, "ALA"), actor="test:clerk")
    results.submit_protocol(world.db, ELECTION, protocol(ids, "AST"), actor="test:clerk")
    other = client.get(f"/officer/elections/{ELECTION}/protocols/1/ALA").get_data(as_text=True)
    own = client.get(f"/officer/elections/{ELECTION}/protocols/1/AST").get_data(as_text=True)
    assert "Record the correction" not in other and "Record the correction" in own
    recorded = client.get(f"/officer/elections/{ELECTION}/protocols/new").get_data(as_text=True)
    assert "The protocol of Astana city for round 1 is recorded." in recorded and 'name="unit"' not in recorded


# --- The account's unit ------------------------------------------------------------------------


def _error(page: str, field: str) -> str:
    found = re.search(rf'<p class="error-message" id="f-{field}-error">(.*?)</p>', page, re.S)
    assert found, f"an error at {field}"
    return re.sub(r'<span class="visually-hidden">.*?</span>|<[^>]+>', "", found.group(1)).strip()


@pytest.mark.parametrize(
    ("language", "role", "unit", "words"),
    [
        ("kk", "territorial", "", "аумақтық сайлау комиссиясының қызметкері бір аумақтық бірлік атынан әрекет етеді: "
                                  "оны таңдаңыз"),
        ("ru", "territorial", "", "сотрудник территориальной избирательной комиссии действует от имени одной "
                                  "территориальной единицы: выберите её"),
        ("kk", "territorial", "XYZ", "«XYZ» кодымен аумақтық бірлік жоқ: тізімнен таңдаңыз"),
        ("ru", "territorial", "XYZ", "территориальной единицы с кодом «XYZ» нет: выберите её из списка"),
        ("kk", "clerk", "AST", "аумақтық бірлікті тек аумақтық сайлау комиссиясы қызметкерінің тіркелгісі көрсетеді: "
                               "бос қалдырыңыз"),
        ("ru", "clerk", "AST", "территориальную единицу указывает только учётная запись сотрудника территориальной "
                               "избирательной комиссии: оставьте поле пустым"),
    ],
)  # fmt: skip
def test_the_admin_is_told_at_the_unit_in_the_readers_language_and_nothing_is_created(
    web_world: WebWorld, language: str, role: str, unit: str, words: str
) -> None:
    admin = web_world.login_as("admin")
    admin.get(f"/language/{language}")
    response = admin.submit("/admin/accounts", {"login": "tec-new", "role": role, "unit": unit, "password": PASSWORD})
    assert response.status_code == 422
    assert _error(response.get_data(as_text=True), "unit") == words
    assert "tec-new" not in [a.login for a, _ in accounts.list_accounts(web_world.db)]


def test_the_admin_gives_an_account_its_unit_with_the_role_shown_by_name_and_audited(web_world: WebWorld) -> None:
    admin: Client = web_world.login_as("admin")
    admin.get("/language/kk")
    created = admin.submit("/admin/accounts", {"login": "tec-ast", "role": "territorial", "unit": "AST", "password": PASSWORD})
    assert created.status_code == 302
    assert "Астана қаласы (AST)" in admin.get("/admin/accounts/tec-ast").get_data(as_text=True)
    listed = admin.get("/admin/accounts").get_data(as_text=True)
    assert "<td>Астана қаласы</td>" in listed
    clerk = web_world.new_account("clerk")
    refused = admin.submit(f"/admin/accounts/{clerk}/role", {"role": "territorial", "unit": ""})
    assert refused.status_code == 422 and "оны таңдаңыз" in _error(refused.get_data(as_text=True), "unit")
    assert admin.submit(f"/admin/accounts/{clerk}/role", {"role": "territorial", "unit": "ALA"}).status_code == 302
    assert accounts.account(web_world.db, clerk)[0].unit == "ALA"
    with web_world.db.reading() as session:
        units = session.scalars(select(UserAccount.unit).where(UserAccount.login.in_(["tec-ast", clerk]))).all()
        changes = session.scalars(select(AuditEvent.payload).where(AuditEvent.action == "set_role")).all()
    assert sorted(str(unit) for unit in units) == ["ALA", "AST"]
    assert changes == [{"from": "clerk", "to": "territorial", "from_unit": None, "unit": "ALA"}]
    own = web_world.login("tec-ast").get("/account", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "город Астана" in own
