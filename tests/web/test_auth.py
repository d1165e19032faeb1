"""Logging in and out, sessions and their cookies, CSRF, throttling, API tokens, roles, security headers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, jsonify
from sqlalchemy import select

from registrar import accounts
from registrar.db import Database
from registrar.models import LoginAttempt
from web import auth

from .conftest import CSRF_INPUT, PASSWORD, Client, WebWorld, make_app


def _probe_routes(app: Flask) -> None:
    """Views behind the decorators, for the tests (registered before the first request)."""

    @app.get("/probe/commission")
    @auth.roles_required("commission")
    def probe_commission() -> str:
        return f"hello {auth.actor()}"

    @app.post("/probe/register")
    def probe_register() -> str:
        auth.require_action("register")
        return "registered"

    @app.get("/api/v1/probe")
    @auth.roles_required("court")
    def probe_api() -> object:
        return jsonify(actor=auth.actor(), account=auth.current_account().login)  # type: ignore[union-attr]


@pytest.fixture
def probed(db: Database) -> WebWorld:
    app = make_app(db)
    _probe_routes(app)
    return WebWorld(app, db)


def test_login_page_renders_with_a_csrf_token(client: Client) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)


def test_login_logs_in_and_redirects_to_next(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    client = web_world.client()
    response = client.submit("/login", {"login": login, "password": PASSWORD, "next": "/officer/inbox"})
    assert response.status_code == 302 and response.headers["Location"] == "/officer/inbox"

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie, "plain http on a loopback host (the test client's localhost): not Secure"


def test_the_next_parameter_never_leaves_the_site(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = web_world.client().submit("/login", {"login": login, "password": PASSWORD, "next": target})
        assert response.headers["Location"] == "/officer/", target


def test_session_cookie_is_secure_off_loopback(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    client, site = web_world.client(), "http://registrar.example"
    found = CSRF_INPUT.search(client.get("/login", base_url=site).get_data(as_text=True))
    assert found is not None
    response = client.post("/login", data={"csrf_token": found.group(1), "login": login, "password": PASSWORD}, base_url=site)
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_wrong_password_keeps_the_login_and_says_so(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    response = web_world.client().submit("/login", {"login": login, "password": "not the password"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page and 'href="#f-login"' in page and 'id="f-login"' in page
    assert f'value="{login}"' in page, "the login typed is kept"
    assert "not the password" not in page, "a password is never echoed back"


def test_logins_are_throttled_after_five_failures(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    client = web_world.client()
    for _ in range(accounts.MAX_FAILURES):
        assert client.submit("/login", {"login": login, "password": "wrong"}).status_code == 422

    blocked = client.submit("/login", {"login": login, "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    # Counted in the database, so another worker (another app on the same database) agrees.
    other = make_app(web_world.db).test_client()
    assert other.submit("/login", {"login": login, "password": PASSWORD}).status_code == 429  # type: ignore[attr-defined]
    with web_world.db.reading() as session:
        assert len(list(session.scalars(select(LoginAttempt).where(LoginAttempt.login == login)))) == accounts.MAX_FAILURES


def test_csrf_is_enforced_on_login_and_logout(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    client = web_world.client()
    refused = client.post("/login", data={"login": login, "password": PASSWORD})
    assert refused.status_code == 400 and "The form has expired" in refused.get_data(as_text=True)

    client = web_world.login(login)
    assert client.post("/logout").status_code == 400, "logging out takes the form's token too"
    assert client.get("/officer/").status_code == 200
    assert client.submit("/logout").status_code == 302
    assert client.get("/officer/").status_code == 302, "logged out"


def test_roles_required_redirects_strangers_and_refuses_other_roles(probed: WebWorld) -> None:
    anonymous = probed.client().get("/probe/commission")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=/probe/commission")
    assert probed.login_as("clerk").get("/probe/commission").status_code == 403
    member = probed.login_as("commission")
    response = member.get("/probe/commission")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("hello user:commission")


def test_require_action_asks_the_roles_table(probed: WebWorld) -> None:
    assert probed.login_as("clerk").submit("/probe/register").status_code == 403
    assert probed.login_as("commission").submit("/probe/register").get_data(as_text=True) == "registered"
    assert probed.client().submit("/probe/register").status_code == 302


def test_bearer_tokens_authenticate_json_requests(probed: WebWorld) -> None:
    client = probed.client()
    missing = client.get("/api/v1/probe")
    assert missing.status_code == 401 and missing.get_json()["code"] == "unauthenticated"
    bad = client.get("/api/v1/probe", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401

    wrong_role = client.get("/api/v1/probe", headers={"Authorization": f"Bearer {probed.token_for('clerk')}"})
    assert wrong_role.status_code == 403 and wrong_role.get_json()["code"] == "forbidden"

    secret = probed.token_for("court")
    ok = client.get("/api/v1/probe", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200
    login = ok.get_json()["account"]
    assert ok.get_json()["actor"] == f"token:{login}/tests"


def test_a_bearer_token_needs_no_csrf_token_and_a_cookie_does(probed: WebWorld) -> None:
    secret = probed.token_for("commission")
    assert probed.client().post("/probe/register", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert probed.login_as("commission").post("/probe/register").status_code == 400


def test_a_bearer_header_makes_the_session_cookie_ignored(probed: WebWorld) -> None:
    member = probed.login_as("commission")
    assert member.get("/probe/commission").status_code == 200
    response = member.get("/probe/commission", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 302, "a bad token is not rescued by the cookie"


def test_a_disabled_account_is_logged_out(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    client = web_world.login(login)
    accounts.set_disabled(web_world.db, login, True)
    assert client.get("/officer/").status_code == 302


@pytest.mark.parametrize("path", ["/login", "/officer/", "/no-such-page"])
def test_security_headers_on_every_response(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_current_account_and_actor_without_a_login(app: Flask) -> None:
    with app.test_request_context("/"):
        assert auth.current_account() is None
        assert auth.actor() == "anonymous"
        assert not auth.may("register")


def test_login_as_fixture_logs_in_with_the_role(login_as: Callable[[str], Client]) -> None:
    assert login_as("auditor").get("/officer/").status_code == 200
