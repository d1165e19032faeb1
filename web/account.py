"""Accounts on the web: every officer's own page (name, language, password, second factor), and the admin's accounts and tokens.

Each view calls :mod:`registrar.accounts`, the functions ``registrar users`` calls too, with
the officer as the audit's actor; what they refuse comes back as field errors by message id
(registrar.reasons) and is said here in the reader's language, beside the field that caused it.
The admin's pages are for the roles ``roles.toml`` lets ``manage_accounts`` (the admin); anyone
else gets 403. A territorial commission's officer's account names its territorial unit, chosen
with the role (the registrar refuses a unit for any other role).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

import web
from registrar import accounts, roles, territory
from registrar.accounts import Account
from registrar.errors import InvalidPayload, NotFound
from web.auth import actor, current_account, enrolment_view, require_action, roles_required
from web.forms import flat
from web.people import role_label
from web.words import unit_name

bp = Blueprint("account", __name__)

Page = str | tuple[str, int] | BaseResponse

LANGUAGE_CHOICES: tuple[tuple[str, Any], ...] = (
    ("", _l("The browser's language")), ("kk", "Қазақша"), ("ru", "Русский"), ("en", "English"),
)  # fmt: skip
TOKEN_SCOPES: dict[str, Any] = {
    "api": _l("The JSON API, with the account's role"),
    "feed": _l("The calendar feed of the account's deadlines only"),
}
LABELS: dict[str, Any] = {
    "login": _l("Login"), "full_name": _l("Name shown on the pages"), "role": _l("Role"), "language": _l("Language"),
    "password": _l("New password"), "password_again": _l("The new password again"),
    "current_password": _l("Current password"), "disabled": _l("Account"), "name": _l("Token name"),
    "scope": _l("What the token opens"), "unit": _l("Territorial unit"),
}  # fmt: skip


def said(errors: Mapping[str, Any]) -> dict[str, list[str]]:
    """The registrar's field errors (message ids) in the reader's language."""
    return flat(errors)


def _me() -> Account:
    account = current_account()
    assert account is not None  # roles_required let the request in
    return account


@bp.app_context_processor
def _words() -> dict[str, Any]:
    return {"ACCOUNT_LABELS": LABELS, "LANGUAGE_CHOICES": LANGUAGE_CHOICES, "TOKEN_SCOPES": TOKEN_SCOPES,
            "role_choices": [(role, role_label(role)) for role in roles.ACCOUNT_ROLES],
            "unit_choices": [(code, f"{unit_name(code)} ({code})") for code in territory.current().codes],
            "UNIT_ROLES": roles.UNIT_ROLES, "MIN_PASSWORD": accounts.MIN_PASSWORD}  # fmt: skip


# --- One's own account ---------------------------------------------------------------------


def _own(errors: Mapping[str, list[str]] | None = None, values: Mapping[str, str] | None = None, status: int = 200) -> Page:
    me = _me()
    values = {"full_name": me.full_name, "language": me.language, **(values or {})}
    return render_template("account/index.html", me=me, values=values, errors=errors or {}), status


@bp.get("/account")
@roles_required(*roles.ACCOUNT_ROLES)
def own() -> Page:
    return _own()


@bp.post("/account/name")
@roles_required(*roles.ACCOUNT_ROLES)
def own_name() -> Page:
    full_name = request.form.get("full_name", "")
    try:
        accounts.set_profile(web.database(), _me().login, full_name=full_name, actor=actor())
    except InvalidPayload as err:
        return _own(said(err.errors), {"full_name": full_name}, 422)
    flash(_("Your name is saved."), "success")
    return redirect(url_for(".own"))


@bp.post("/account/language")
@roles_required(*roles.ACCOUNT_ROLES)
def own_language() -> Page:
    language = request.form.get("language", "")
    try:
        accounts.set_profile(web.database(), _me().login, language=language, actor=actor())
    except InvalidPayload as err:
        return _own(said(err.errors), {"language": language}, 422)
    # The switcher's choice outranks the account's (web.i18n): the new choice replaces it.
    if language:
        session["language"] = language
    else:
        session.pop("language", None)
    with force_locale(language or request.accept_languages.best_match(("kk", "ru", "en")) or "kk"):
        flash(_("Your language is saved."), "success")
    return redirect(url_for(".own"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required(*roles.ACCOUNT_ROLES)
def own_password() -> Page:
    if request.method == "GET":
        return render_template("account/password.html", errors={})
    form = request.form
    new, again = form.get("password", ""), form.get("password_again", "")
    errors: dict[str, list[str]] = {}
    status = 422
    if new != again:
        # Nothing is tried, not even the current password: the officer would not know which one was saved.
        errors["password_again"] = [_("The two new passwords are not the same.")]
        problem = accounts.password_problem(new)
        if problem is not None:
            errors["password"] = said({"password": [problem]})["password"]
    else:
        try:
            accounts.change_own_password(web.database(), _me().login, form.get("current_password", ""), new, actor=actor(),
                                         remote=request.remote_addr or "")  # fmt: skip
        except InvalidPayload as err:
            errors = said(err.errors)
        except accounts.LoginThrottled as err:
            minutes = max(1, round(err.retry_after.total_seconds() / 60))
            errors = {"current_password": [_("Too many failed attempts for this login. Try again in %(minutes)d minutes.",
                                             minutes=minutes)]}  # fmt: skip
            status = 429
    if errors:
        return render_template("account/password.html", errors=errors), status
    web.auth.keep_session(_me().id)  # this session goes on; every other one of the account has ended
    flash(_("Your password is changed."), "success")
    return redirect(url_for(".own"))


@bp.get("/account/second-factor")
@roles_required(*roles.ACCOUNT_ROLES)
def own_second_factor() -> Page:
    return _second_factor_page()


def _second_factor_page(errors: Mapping[str, list[str]] | None = None, status: int = 200) -> Page:
    me = _me()
    pending = accounts.pending_second_factor(web.database(), me.login)
    shown = enrolment_view(pending) if pending is not None else {}
    page = render_template("account/second_factor.html", me=me, pending=pending is not None, errors=errors or {},
                           required=accounts.second_factor_required(me.role, web.settings().second_factor),
                           **shown)  # fmt: skip
    # The secret being set up is on this page: no cache keeps a copy of it.
    return Response(page, status, {"Cache-Control": "no-store"})


@bp.post("/account/second-factor/begin")
@roles_required(*roles.ACCOUNT_ROLES)
def own_second_factor_begin() -> Page:
    accounts.begin_second_factor(web.database(), _me().login)
    return redirect(url_for(".own_second_factor"))


@bp.post("/account/second-factor/confirm")
@roles_required(*roles.ACCOUNT_ROLES)
def own_second_factor_confirm() -> Page:
    try:
        accounts.confirm_second_factor(web.database(), _me().login, request.form.get("code", ""), actor=actor())
    except InvalidPayload as err:
        return _second_factor_page(said(err.errors), 422)
    web.auth.keep_session(_me().id)  # this session goes on; every other one of the account has ended
    flash(_("Two-factor authentication is set up. From now on you log in with your password and a confirmation code."),
          "success")  # fmt: skip
    return redirect(url_for(".own"))


@bp.post("/account/second-factor/remove")
@roles_required(*roles.ACCOUNT_ROLES)
def own_second_factor_remove() -> Page:
    try:
        accounts.remove_own_second_factor(web.database(), _me().login, request.form.get("code", ""), actor=actor(),
                                          mode=web.settings().second_factor, remote=request.remote_addr or "")  # fmt: skip
    except InvalidPayload as err:
        return _second_factor_page({"remove_code": said(err.errors)["code"]}, 422)
    except accounts.LoginThrottled as err:
        minutes = max(1, round(err.retry_after.total_seconds() / 60))
        return _second_factor_page({"remove_code": [_("Too many failed attempts for this login. Try again in %(minutes)d "
                                                      "minutes.", minutes=minutes)]}, 429)  # fmt: skip
    web.auth.keep_session(_me().id)
    flash(_("Two-factor authentication is turned off."), "success")
    return redirect(url_for(".own"))


# --- The admin's accounts ------------------------------------------------------------------


@bp.before_request
def _admins_only() -> None:
    if request.path.startswith("/admin"):
        require_action("manage_accounts")


def _accounts_page(errors: Mapping[str, list[str]] | None = None, values: Mapping[str, str] | None = None,
                   status: int = 200) -> Page:  # fmt: skip
    listed = accounts.list_accounts(web.database())
    return render_template("admin/accounts.html", accounts=listed, values=values or {}, errors=errors or {}), status


@bp.get("/admin/accounts")
def admin_accounts() -> Page:
    return _accounts_page()


@bp.post("/admin/accounts")
def create_account() -> Page:
    form = request.form
    values = {name: form.get(name, "").strip() for name in ("login", "full_name", "role", "language", "unit")}
    try:
        accounts.create_user(web.database(), values["login"], values["role"], form.get("password", ""),
                             full_name=values["full_name"], language=values["language"], unit=values["unit"],
                             actor=actor())  # fmt: skip
    except InvalidPayload as err:
        return _accounts_page(said(err.errors), values, 422)
    flash(_("The account %(login)s is created.", login=values["login"]), "success")
    return redirect(url_for(".admin_account", login=values["login"]))


def _account_page(login: str, errors: Mapping[str, list[str]] | None = None, *, secret: str = "",
                  token: tuple[str, str] = ("", ""), values: Mapping[str, str] | None = None,
                  status: int = 200) -> Page:  # fmt: skip
    try:
        shown, disabled = accounts.account(web.database(), login)
        tokens = accounts.tokens_of(web.database(), login)
    except NotFound:
        return render_template("auth/error.html", title=_("No such account"),
                               message=_("There is no account %(login)s.", login=login)), 404  # fmt: skip
    values = {"role": shown.role, "unit": shown.unit or "", **(values or {})}
    page = render_template("admin/account.html", shown=shown, disabled=disabled, tokens=tokens, errors=errors or {},
                           secret=secret, token=token, values=values, me=_me())  # fmt: skip
    if secret:
        # The secret is on this page only: no cache keeps a copy of it.
        return Response(page, status, {"Cache-Control": "no-store"})
    return page, status


@bp.get("/admin/accounts/<login>")
def admin_account(login: str) -> Page:
    return _account_page(login)


def _changed(login: str, change: Any, values: Mapping[str, str] | None = None) -> Page:
    """Make the change; its refusal on the account's page, at its field (what was chosen kept); else back to the page."""
    try:
        change()
    except InvalidPayload as err:
        return _account_page(login, said(err.errors), values=values, status=422)
    except NotFound:
        return _account_page(login)
    flash(_("Saved."), "success")
    return redirect(url_for(".admin_account", login=login))


@bp.post("/admin/accounts/<login>/role")
def set_role(login: str) -> Page:
    chosen = {"role": request.form.get("role", ""), "unit": request.form.get("unit", "")}
    by = _me().login
    return _changed(login, lambda: accounts.set_role(web.database(), login, chosen["role"], unit=chosen["unit"], by=by,
                                                     actor=actor()), chosen)  # fmt: skip


@bp.post("/admin/accounts/<login>/disabled")
def set_disabled(login: str) -> Page:
    disabled = request.form.get("disabled") == "true"
    return _changed(login, lambda: accounts.set_disabled(web.database(), login, disabled, by=_me().login, actor=actor()))


@bp.post("/admin/accounts/<login>/second-factor/remove")
def remove_second_factor(login: str) -> Page:
    """An officer who lost their phone: the password alone logs them in again (or, where their role
    must have one, leads them to set up a new one); their sessions end."""
    return _changed(login, lambda: accounts.remove_second_factor(web.database(), login, actor=actor()))


@bp.post("/admin/accounts/<login>/tokens")
def issue_token(login: str) -> Page:
    name, scope = request.form.get("name", "").strip(), request.form.get("scope", "api")
    try:
        secret = accounts.issue_token(web.database(), login, name, scope=scope, actor=actor())
    except InvalidPayload as err:
        return _account_page(login, said(err.errors), token=(name, scope), status=422)
    except NotFound:
        return _account_page(login)
    return _account_page(login, secret=secret, token=(name, scope))


@bp.post("/admin/accounts/<login>/tokens/revoke")
def revoke_token(login: str) -> Page:
    name = request.form.get("name", "")
    return _changed(login, lambda: accounts.revoke_token(web.database(), login, name, actor=actor()))
