"""Logging out and a new password end the sessions made before (issue 13): a copy of the cookie
is no key afterwards; an API token is not a session and keeps working until revoked. And an
outsider's wrong passwords lock out only the outsider's client, never the officer."""

from __future__ import annotations

import datetime as dt

import pytest

from registrar import accounts

from .conftest import PASSWORD, Client, WebWorld


def copy_of(client: Client, web_world: WebWorld) -> Client:
    """Another browser holding the same session cookie (a stolen or a second tab's copy)."""
    other = web_world.client()
    for cookie in client._cookies.values():  # type: ignore[attr-defined]
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return other


def test_logging_out_ends_every_copy_of_the_session(web_world: WebWorld) -> None:
    client = web_world.login_as("clerk")
    stolen = copy_of(client, web_world)
    assert stolen.get("/officer/").status_code == 200
    client.submit("/logout", {})
    assert stolen.get("/officer/").status_code == 302  # to the login page
    assert client.get("/officer/").status_code == 302


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    here, elsewhere = web_world.login(login), web_world.login(login)
    new = "a new password of the clerk"
    changed = here.submit("/account/password", {"current_password": PASSWORD, "password": new, "password_again": new})
    assert changed.status_code == 302, changed.get_data(as_text=True)[:400]
    assert here.get("/officer/").status_code == 200
    assert elsewhere.get("/officer/").status_code == 302


def test_an_admin_resetting_a_password_ends_that_officers_sessions(web_world: WebWorld) -> None:
    login = web_world.new_account("court")
    session = web_world.login(login)
    accounts.set_password(web_world.db, login, "reset by the admin 2026", actor="cli")
    assert session.get("/officer/").status_code == 302


def test_a_token_is_no_session_and_outlives_a_logout(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    token = accounts.issue_token(web_world.db, login, "tests")
    web_world.login(login).submit("/logout", {})
    response = web_world.client().get("/api/v1/elections", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_an_outsiders_wrong_passwords_do_not_lock_the_officer_out(web_world: WebWorld) -> None:
    login = web_world.new_account("commission")
    outsider = web_world.client()
    outsider.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    for _ in range(accounts.MAX_FAILURES):
        assert outsider.submit("/login", {"login": login, "password": "guess"}).status_code == 422
    assert outsider.submit("/login", {"login": login, "password": PASSWORD}).status_code == 429
    officer = web_world.client()
    officer.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert officer.submit("/login", {"login": login, "password": PASSWORD}).status_code == 302


def test_each_five_more_failures_double_the_wait(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    at = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
    for minute in range(accounts.MAX_FAILURES):
        accounts.attempt_login(web_world.db, login, "guess", remote="203.0.113.7", at=at + dt.timedelta(minutes=minute))
    first = accounts.retry_after(web_world.db, login, remote="203.0.113.7", at=at + dt.timedelta(minutes=5))
    assert first == dt.timedelta(minutes=10)
    later = at + dt.timedelta(minutes=16)  # the first lock is over: five more tries
    for minute in range(accounts.MAX_FAILURES):
        accounts.attempt_login(web_world.db, login, "guess", remote="203.0.113.7", at=later + dt.timedelta(minutes=minute))
    second = accounts.retry_after(web_world.db, login, remote="203.0.113.7", at=later + dt.timedelta(minutes=5))
    assert second == dt.timedelta(minutes=25)  # 30 minutes from the oldest of the last five
    assert accounts.retry_after(web_world.db, login, remote="198.51.100.20", at=later) is None


def test_logins_beyond_the_password_checks_at_once_hear_busy_not_a_stalled_server(
    web_world: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = web_world.new_account("clerk")
    monkeypatch.setattr(accounts, "PASSWORD_CHECK_WAIT_SECONDS", 0.01)
    held = [accounts.PASSWORD_CHECKS.acquire(timeout=1) for _ in range(2)]  # both checks taken by others
    try:
        assert all(held)
        busy = web_world.client().submit("/login", {"login": login, "password": PASSWORD})
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    finally:
        for _ in held:
            accounts.PASSWORD_CHECKS.release()
    assert web_world.client().submit("/login", {"login": login, "password": PASSWORD}).status_code == 302
