"""The second factor on the web (issue 13): an enrolled officer logs in with the password, then a
code; where the operator requires one, a commission member is taken from the password to setting
it up and reaches no officer page before; the account page sets it up and removes it, the admin
removes an officer's; other sessions end, tokens do not, ``next`` survives and stays on the site,
and the half-done login expires. Codes are made for moments the clock is held at (time-machine)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pyotp
import pytest
import time_machine
from click.testing import CliRunner
from flask import Flask

from registrar import accounts
from registrar.cli import main
from registrar.db import Database
from registrar.settings import Settings
from web import create_app

from .conftest import PASSWORD, SECRET_KEY, Client, WebWorld
from .test_sessions_end import copy_of

STEP = dt.timedelta(seconds=30)


class Clock:
    """The clock held still at a moment, moved on by hand: each code is of a known step."""

    def __init__(self, traveller: time_machine.Traveller):
        self.traveller = traveller

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def tick(self, by: dt.timedelta = STEP) -> None:
        self.traveller.shift(by)


@pytest.fixture
def clock() -> Iterator[Clock]:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        yield Clock(traveller)


def required_app(db: Database) -> Flask:
    """The app of an operator who requires a second factor ([auth] second_factor = "required")."""
    app = create_app(Settings(second_factor="required"), db, TESTING=True, SECRET_KEY=SECRET_KEY)
    app.test_client_class = Client
    return app


@pytest.fixture
def required(db: Database) -> WebWorld:
    return WebWorld(required_app(db), db)


def enrol(web_world: WebWorld, login: str, clock: Clock) -> str:
    """``login``'s second factor set up in the registrar; returns its secret (the clock moved past its code)."""
    secret = accounts.begin_second_factor(web_world.db, login).secret
    accounts.confirm_second_factor(web_world.db, login, pyotp.TOTP(secret).at(clock.now), actor="test")
    clock.tick()
    return secret


def wrong(secret: str, at: dt.datetime) -> str:
    right = pyotp.TOTP(secret).at(at)
    return "000000" if right != "000000" else "111111"


def password_step(client: Client, login: str, next_: str = "") -> str:
    response = client.submit("/login", {"login": login, "password": PASSWORD, "next": next_})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return response.headers["Location"]


def logged_in_with_code(client: Client, login: str, secret: str, clock: Clock) -> None:
    password_step(client, login)
    assert client.submit("/login/code", {"code": pyotp.TOTP(secret).at(clock.now)}).status_code == 302


# --- Logging in with a code --------------------------------------------------------------------


def test_an_enrolled_officer_logs_in_with_the_password_then_a_code(web_world: WebWorld, clock: Clock) -> None:
    login = web_world.new_account("clerk")
    secret = enrol(web_world, login, clock)
    client = web_world.client()
    assert password_step(client, login, "/officer/inbox") == "/login/code"
    assert client.get("/officer/").status_code == 302  # not logged in before the code

    page = client.get("/login/code")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'autocomplete="one-time-code"' in text and 'inputmode="numeric"' in text and 'name="code"' in text
    assert re.search(r"<h1><label for=\"f-code\">Enter the confirmation code</label></h1>", text)

    done = client.submit("/login/code", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert done.status_code == 302 and done.headers["Location"] == "/officer/inbox"
    assert client.get("/officer/").status_code == 200


def test_a_wrong_code_is_said_at_the_field_and_logs_nobody_in(web_world: WebWorld, clock: Clock) -> None:
    login = web_world.new_account("commission")
    secret = enrol(web_world, login, clock)
    client = web_world.client()
    password_step(client, login)
    refused = client.submit("/login/code", {"code": wrong(secret, clock.now)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'class="error-message" id="f-code-error"' in text and 'aria-invalid="true"' in text
    assert 'href="#f-code"' in text  # the summary links to the field
    assert client.get("/officer/").status_code == 302


def test_a_code_is_accepted_once(web_world: WebWorld, clock: Clock) -> None:
    login = web_world.new_account("clerk")
    secret = enrol(web_world, login, clock)
    used = pyotp.TOTP(secret).at(clock.now)
    first = web_world.client()
    password_step(first, login)
    assert first.submit("/login/code", {"code": used}).status_code == 302
    second = web_world.client()  # the same code, seen over the shoulder, a few seconds later
    clock.tick(dt.timedelta(seconds=5))
    password_step(second, login)
    assert second.submit("/login/code", {"code": used}).status_code == 422


def test_wrong_codes_count_in_the_login_throttle(web_world: WebWorld, clock: Clock) -> None:
    login = web_world.new_account("court")
    secret = enrol(web_world, login, clock)
    client = web_world.client()
    password_step(client, login)
    for _ in range(accounts.MAX_FAILURES):
        assert client.submit("/login/code", {"code": wrong(secret, clock.now)}).status_code == 422
    throttled = client.submit("/login/code", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert 'id="f-code-error"' in throttled.get_data(as_text=True)
    # The password is throttled as well: five wrong codes are five failed logins.
    assert web_world.client().submit("/login", {"login": login, "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize(("target", "lands"), [
    ("/officer/search?q=x&page=2", "/officer/search?q=x&page=2"),
    ("//evil.example/x", "/officer/"), ("/\t/evil.example/phish", "/officer/"), ("https://evil.example/", "/officer/"),
])  # fmt: skip
def test_next_is_carried_through_the_code_and_stays_on_the_site(
    web_world: WebWorld, clock: Clock, target: str, lands: str
) -> None:
    login = web_world.new_account("clerk")
    secret = enrol(web_world, login, clock)
    client = web_world.client()
    password_step(client, login, target)
    done = client.submit("/login/code", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert done.headers["Location"] == lands


def test_the_half_done_login_expires_after_five_minutes(web_world: WebWorld, clock: Clock) -> None:
    login = web_world.new_account("clerk")
    secret = enrol(web_world, login, clock)
    client = web_world.client()
    password_step(client, login)
    clock.tick(dt.timedelta(minutes=5, seconds=1))
    late = client.submit("/login/code", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/officer/").status_code == 302
    assert "Your login has expired" in client.get("/login").get_data(as_text=True)


def test_the_code_page_without_a_password_first_is_the_login_page(web_world: WebWorld) -> None:
    client = web_world.client()
    assert client.get("/login/code").headers["Location"] == "/login"
    assert client.get("/login/enrol").headers["Location"] == "/login"


# --- Where the operator requires it ------------------------------------------------------------


def test_required_a_commission_member_sets_it_up_before_any_officer_page(required: WebWorld, clock: Clock) -> None:
    login = required.new_account("commission")
    client = required.client()
    assert password_step(client, login, "/officer/inbox") == "/login/enrol"
    for page in ("/officer/", "/officer/inbox", "/account", "/account/second-factor"):
        assert client.get(page).status_code == 302, page  # not logged in: to the login page

    shown = client.get("/login/enrol")
    text = shown.get_data(as_text=True)
    pending = accounts.pending_second_factor(required.db, login)
    assert pending is not None and shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert "<svg" in text and 'class="qr"' in text
    grouped = " ".join(pending.secret[i : i + 4] for i in range(0, 32, 4))
    assert grouped in text and "otpauth://totp/Registrar:" in text

    refused = client.submit("/login/enrol", {"code": wrong(pending.secret, clock.now)})
    assert refused.status_code == 422 and 'id="f-code-error"' in refused.get_data(as_text=True)
    done = client.submit("/login/enrol", {"code": pyotp.TOTP(pending.secret).at(clock.now)})
    assert done.status_code == 302 and done.headers["Location"] == "/officer/inbox"
    assert client.get("/officer/").status_code == 200

    clock.tick()
    again = required.client()  # the next login asks for a code
    assert password_step(again, login) == "/login/code"


def test_required_a_clerk_is_not_forced(required: WebWorld) -> None:
    login = required.new_account("clerk")
    assert password_step(required.client(), login) == "/officer/"


def test_required_a_session_begun_before_is_no_session_until_it_is_set_up(db: Database, web_world: WebWorld) -> None:
    login = web_world.new_account("admin")
    before = web_world.login(login)
    assert before.get("/admin/accounts").status_code == 200
    now_required = copy_of(before, WebWorld(required_app(db), db))
    assert now_required.get("/admin/accounts").status_code == 302


def test_required_api_tokens_still_work(required: WebWorld) -> None:
    token = required.token_for("commission")
    response = required.client().get("/api/v1/elections", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_required_an_officer_of_a_bound_role_cannot_turn_theirs_off(required: WebWorld, clock: Clock) -> None:
    login = required.new_account("court")
    secret = enrol(required, login, clock)
    client = required.client()
    logged_in_with_code(client, login, secret, clock)
    clock.tick()
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "Turn off two-factor authentication" not in page
    refused = client.submit("/account/second-factor/remove", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert refused.status_code == 422 and 'id="f-remove_code-error"' in refused.get_data(as_text=True)
    assert accounts.account(required.db, login)[0].second_factor


# --- The account page ---------------------------------------------------------------------------


def test_an_officer_sets_it_up_on_their_account_page_and_their_other_sessions_end(web_world: WebWorld, clock: Clock) -> None:
    login = web_world.new_account("clerk")
    here, elsewhere = web_world.login(login), web_world.login(login)
    page = here.get("/account/second-factor")
    assert page.status_code == 200 and "<svg" not in page.get_data(as_text=True)
    assert here.submit("/account/second-factor/begin", {}).headers["Location"] == "/account/second-factor"
    shown = here.get("/account/second-factor")
    assert "<svg" in shown.get_data(as_text=True) and shown.headers["Cache-Control"] == "no-store"
    pending = accounts.pending_second_factor(web_world.db, login)
    assert pending is not None

    refused = here.submit("/account/second-factor/confirm", {"code": wrong(pending.secret, clock.now)})
    assert refused.status_code == 422 and 'id="f-code-error"' in refused.get_data(as_text=True)
    assert elsewhere.get("/officer/").status_code == 200  # nothing changed yet
    done = here.submit("/account/second-factor/confirm", {"code": pyotp.TOTP(pending.secret).at(clock.now)})
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    assert here.get("/officer/").status_code == 200
    assert elsewhere.get("/officer/").status_code == 302
    assert accounts.account(web_world.db, login)[0].second_factor


def test_an_officer_turns_theirs_off_with_a_current_code(web_world: WebWorld, clock: Clock) -> None:
    login = web_world.new_account("clerk")
    secret = enrol(web_world, login, clock)
    here = web_world.client()
    logged_in_with_code(here, login, secret, clock)
    elsewhere = copy_of(here, web_world)
    clock.tick()
    refused = here.submit("/account/second-factor/remove", {"code": wrong(secret, clock.now)})
    assert refused.status_code == 422 and 'id="f-remove_code-error"' in refused.get_data(as_text=True)
    done = here.submit("/account/second-factor/remove", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert done.status_code == 302 and not accounts.account(web_world.db, login)[0].second_factor
    assert here.get("/officer/").status_code == 200
    assert elsewhere.get("/officer/").status_code == 302  # a copy of the session ends with the change
    assert password_step(web_world.client(), login) == "/officer/"


# --- The admin and the operator ----------------------------------------------------------------


def test_the_admin_removes_an_officers_second_factor_and_their_sessions_end(web_world: WebWorld, clock: Clock) -> None:
    login = web_world.new_account("commission")
    secret = enrol(web_world, login, clock)
    officer = web_world.client()
    logged_in_with_code(officer, login, secret, clock)
    admin = web_world.login_as("admin")
    removed = admin.submit(f"/admin/accounts/{login}/second-factor/remove", {})
    assert removed.status_code == 302 and removed.headers["Location"] == f"/admin/accounts/{login}"
    assert officer.get("/officer/").status_code == 302
    assert password_step(web_world.client(), login) == "/officer/"
    assert web_world.login_as("clerk").submit(f"/admin/accounts/{login}/second-factor/remove", {}).status_code == 403


def test_the_cli_removes_it_and_where_it_is_required_the_next_login_sets_up_a_new_one(required: WebWorld, clock: Clock) -> None:
    login = required.new_account("admin")
    secret = enrol(required, login, clock)
    session = required.client()
    logged_in_with_code(session, login, secret, clock)
    url = required.db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--database", url, "users", "second-factor-off", login])
    assert result.exit_code == 0, result.output
    assert session.get("/admin/accounts").status_code == 302
    assert password_step(required.client(), login) == "/login/enrol"
