"""Accounts in the web: an officer's own password, language and name; the admin's accounts, roles and tokens."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import select

from registrar import accounts, roles
from registrar.db import Database
from registrar.models import AuditEvent

from .conftest import PASSWORD, Client, WebWorld

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"
NEW_PASSWORD = "another long password"


def _events(db: Database, login: str) -> list[tuple[str, str, dict[str, object]]]:
    with db.reading() as session:
        return [(e.action, e.actor, e.payload) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == "account", AuditEvent.subject_id == login)
            .order_by(AuditEvent.seq)
        )]  # fmt: skip


def _error(page: str, field: str) -> str:
    found = re.search(rf'<p class="error-message" id="f-{field}-error">(.*?)</p>', page, re.S)
    assert found, f"an error at {field}"
    return html.unescape(re.sub(r'<span class="visually-hidden">.*?</span>|<[^>]+>', "", found.group(1))).strip()


# --- One's own account ---------------------------------------------------------------------


def test_a_wrong_current_password_is_an_error_at_its_field_in_kazakh_and_nothing_changes(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    client = web_world.login(login)
    client.get("/language/kk")
    response = client.submit("/account/password", {"current_password": "not my password", "password": NEW_PASSWORD,
                                                   "password_again": NEW_PASSWORD})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error(page, "current_password") == "қазіргі құпиясөз қате"
    assert 'href="#f-current_password"' in page, "the summary links to the field"
    assert NEW_PASSWORD not in page and "not my password" not in page, "no password is echoed back"
    assert accounts.authenticate(web_world.db, login, PASSWORD) is not None
    assert accounts.authenticate(web_world.db, login, NEW_PASSWORD) is None
    assert [action for action, *_ in _events(web_world.db, login)] == ["create_account"]


def test_an_officer_changes_their_password_audited_as_themselves(web_world: WebWorld) -> None:
    login = web_world.new_account("court")
    client = web_world.login(login)
    assert client.get("/account/password").status_code == 200
    response = client.submit("/account/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                   "password_again": NEW_PASSWORD})  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Your password is changed." in client.get("/account").get_data(as_text=True)
    assert accounts.authenticate(web_world.db, login, NEW_PASSWORD) is not None
    assert accounts.authenticate(web_world.db, login, PASSWORD) is None
    assert _events(web_world.db, login)[-1][:2] == ("set_password", f"user:{login}")


def test_two_different_new_passwords_change_nothing_and_a_short_one_is_named(web_world: WebWorld) -> None:
    login = web_world.new_account("clerk")
    client = web_world.login(login)
    response = client.submit("/account/password", {"current_password": PASSWORD, "password": "short", "password_again": "other"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error(page, "password_again") == "The two new passwords are not the same."
    assert _error(page, "password") == f"at least {accounts.MIN_PASSWORD} characters"
    assert accounts.authenticate(web_world.db, login, PASSWORD) is not None


def test_the_language_chosen_takes_effect_now_and_at_the_next_login(web_world: WebWorld) -> None:
    login = web_world.new_account("commission")
    client = web_world.login(login)  # the browser asks for English
    assert 'lang="en"' in client.get("/account").get_data(as_text=True)
    response = client.submit("/account/language", {"language": "ru"})
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert '<html lang="ru"' in page and "Язык сохранён." in page
    assert accounts.account(web_world.db, login)[0].language == "ru"
    assert '<html lang="ru"' in web_world.login(login).get("/officer/").get_data(as_text=True), "a new session too"

    client.submit("/account/language", {"language": ""})  # the browser's again
    assert '<html lang="en"' in client.get("/account").get_data(as_text=True)
    assert [(a, p) for a, _, p in _events(web_world.db, login)][-2:] == [("set_profile", {"language": "ru"}),
                                                                        ("set_profile", {"language": ""})]  # fmt: skip


def test_an_unknown_language_is_an_error_at_its_field(web_world: WebWorld) -> None:
    client = web_world.login_as("clerk")
    response = client.submit("/account/language", {"language": "de"})
    assert response.status_code == 422
    assert _error(response.get_data(as_text=True), "language") == "one of: kk, ru, en (or empty: the browser's)"
    client.get("/language/ru")
    response = client.submit("/account/language", {"language": "de"})
    said = _error(response.get_data(as_text=True), "language")
    assert said == "выберите казахский, русский или английский язык либо язык браузера"


def test_an_officer_changes_the_name_the_pages_show(web_world: WebWorld) -> None:
    login = web_world.new_account("revenue")
    client = web_world.login(login)
    assert client.submit("/account/name", {"full_name": "Dana Karimova"}).status_code == 302
    assert "Dana Karimova" in client.get("/officer/").get_data(as_text=True)
    too_long = client.submit("/account/name", {"full_name": "x" * 301})
    assert too_long.status_code == 422 and _error(too_long.get_data(as_text=True), "full_name")
    assert accounts.account(web_world.db, login)[0].full_name == "Dana Karimova"


# --- The admin's accounts ------------------------------------------------------------------


def test_the_admin_creates_disables_re_roles_and_issues_and_revokes_a_token_each_audited(web_world: WebWorld) -> None:
    admin_login = web_world.new_account("admin")
    admin = web_world.login(admin_login)
    assert admin.get("/admin/accounts").status_code == 200
    created = admin.submit("/admin/accounts", {"login": "a.sadykova", "full_name": "Aigul Sadykova", "role": "clerk",
                                               "language": "kk", "password": PASSWORD})  # fmt: skip
    assert created.status_code == 302 and created.headers["Location"] == "/admin/accounts/a.sadykova"
    assert "Aigul Sadykova" in admin.get("/admin/accounts").get_data(as_text=True)
    officer = web_world.login("a.sadykova")

    assert admin.submit("/admin/accounts/a.sadykova/disabled", {"disabled": "true"}).status_code == 302
    assert officer.get("/officer/").status_code == 302, "a disabled account's session ends"
    assert admin.submit("/admin/accounts/a.sadykova/disabled", {"disabled": "false"}).status_code == 302
    assert admin.submit("/admin/accounts/a.sadykova/role", {"role": "commission"}).status_code == 302
    assert accounts.account(web_world.db, "a.sadykova") == (accounts.account(web_world.db, "a.sadykova")[0], False)
    assert accounts.account(web_world.db, "a.sadykova")[0].role == "commission"

    issued = admin.submit("/admin/accounts/a.sadykova/tokens", {"name": "court system", "scope": "api"})
    page = issued.get_data(as_text=True)
    secret = re.search(r'readonly value="([^"]+)"', page)
    assert issued.status_code == 200 and secret is not None and issued.headers["Cache-Control"] == "no-store"
    assert accounts.account_for_token(web_world.db, secret.group(1)) is not None
    assert secret.group(1) not in admin.get("/admin/accounts/a.sadykova").get_data(as_text=True), "shown once"
    assert admin.submit("/admin/accounts/a.sadykova/tokens/revoke", {"name": "court system"}).status_code == 302
    assert accounts.account_for_token(web_world.db, secret.group(1)) is None

    assert [(action, actor) for action, actor, _ in _events(web_world.db, "a.sadykova")] == [
        (action, f"user:{admin_login}")
        for action in ("create_account", "disable_account", "enable_account", "set_role", "issue_token", "revoke_token")
    ]


def test_a_bad_new_account_is_refused_at_its_fields_and_nothing_is_created(web_world: WebWorld) -> None:
    admin = web_world.login_as("admin")
    response = admin.submit("/admin/accounts", {"login": "Bad Login", "full_name": "Aigul", "role": "", "password": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error(page, "login").startswith("lower-case letters")
    assert _error(page, "role") == "not a role an account may have: choose one of the roles"
    assert _error(page, "password") == f"at least {accounts.MIN_PASSWORD} characters"
    assert 'value="Aigul"' in page, "what was typed is kept"
    assert [a.login for a, _ in accounts.list_accounts(web_world.db)] == ["admin1"]
    taken = admin.submit("/admin/accounts", {"login": "admin1", "role": "clerk", "password": PASSWORD})
    assert _error(taken.get_data(as_text=True), "login") == "an account 'admin1' already exists"
    admin.get("/language/kk")
    page = admin.submit("/admin/accounts", {"login": "Bad Login", "role": "", "password": "short"}).get_data(as_text=True)
    assert _error(page, "login").startswith("кіші латын әріптері")
    assert _error(page, "role") == "рөлдердің бірін таңдаңыз"
    assert _error(page, "password") == f"құпиясөзде кемінде {accounts.MIN_PASSWORD} таңба болуы тиіс"


def test_an_admin_cannot_disable_nor_re_role_themselves(web_world: WebWorld) -> None:
    admin = web_world.login_as("admin")
    for path, data in (("disabled", {"disabled": "true"}), ("role", {"role": "clerk"})):
        response = admin.submit(f"/admin/accounts/admin1/{path}", data)
        assert response.status_code == 422
        assert "an officer cannot disable their own account or change their own role" in response.get_data(as_text=True)
    assert accounts.account(web_world.db, "admin1") == (accounts.account(web_world.db, "admin1")[0], False)
    assert accounts.account(web_world.db, "admin1")[0].role == "admin"


def test_no_such_account_is_a_404(web_world: WebWorld) -> None:
    admin = web_world.login_as("admin")
    assert admin.get("/admin/accounts/nobody").status_code == 404
    assert admin.submit("/admin/accounts/nobody/role", {"role": "clerk"}).status_code == 404


def test_nobody_but_the_admin_reaches_the_admin_pages(web_world: WebWorld) -> None:
    target = web_world.new_account("clerk")
    for role in (r for r in roles.ACCOUNT_ROLES if r != "admin"):
        login = f"{role}-officer"
        accounts.create_user(web_world.db, login, role, PASSWORD, unit="AST" if role in roles.UNIT_ROLES else None)
        client = web_world.login(login)
        assert client.get("/admin/accounts").status_code == 403, role
        assert client.get(f"/admin/accounts/{target}").status_code == 403, role
        assert client.submit(f"/admin/accounts/{target}/disabled", {"disabled": "true"}).status_code == 403, role
        assert client.submit("/admin/accounts", {"login": "intruder", "role": "admin", "password": PASSWORD}).status_code == 403
        assert client.get("/account").status_code == 200, "their own account page they reach"
    assert "intruder" not in [a.login for a, _ in accounts.list_accounts(web_world.db)]
    assert accounts.account(web_world.db, target)[1] is False, "not disabled"


def test_strangers_are_sent_to_log_in(client: Client) -> None:
    for path in ("/account", "/admin/accounts"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
