"""Accounts on the web: sessions (Flask-Login), API tokens, CSRF, roles, login throttling, security headers.

Who may do what is decided in :mod:`registrar.roles`; this module only asks it. A request is
authenticated either by the session cookie (a person, through ``/login``) or by an
``Authorization: Bearer <token>`` header (a machine client); with the header present the
cookie is ignored, so a request never mixes the two. CSRF tokens guard every form; requests
to the ``api`` blueprint, and any request carrying a bearer token, are exempt (a browser never
adds that header by itself, so a forged cross-site request cannot carry it).

Session cookies are HttpOnly and SameSite=Lax; ``Secure`` follows ``REGISTRAR_COOKIE_SECURE``:
``True`` or ``False``, or ``"auto"`` (the default): secure unless the request came over plain
http to a loopback address (``registrar serve`` on http://127.0.0.1, the test client).

An account with a second factor logs in in two steps: the password, then a code of its
authenticator app (``/login/code``). Between them the session is not logged in: it holds the
half-done login (the account, its generation, where to go next) for :data:`HALF_LOGIN_MINUTES`.
Where the operator requires a second factor for the account's role and it has none
(``registrar.accounts.must_enrol``), the password leads to setting one up (``/login/enrol``) and
nowhere else; a session of such an account begun before is no session. Bearer tokens are not
affected: they are issued and revoked on their own.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import segno
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

import web
from registrar import accounts, roles
from registrar.accounts import Account, Enrolment
from registrar.errors import InvalidPayload
from registrar.reasons import said
from web.forms import flat

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()

# Blueprints whose requests authenticate by token, not by cookie: no CSRF token.
CSRF_EXEMPT_BLUEPRINTS = frozenset({"api"})

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

F = TypeVar("F", bound=Callable[..., Any])

# How long the password is good for without its code (or, where one is required, the setting up
# of a second factor): long enough to find the phone, too short for a left browser to be a key.
HALF_LOGIN_MINUTES = 5


class User(UserMixin):
    """The logged-in account, as Flask-Login wants it; ``token`` names the API token if one was used."""

    def __init__(self, account: Account, token: str | None = None):
        self.account, self.token = account, token

    def get_id(self) -> str:
        return str(self.account.id)

    @property
    def role(self) -> str:
        return self.account.role

    @property
    def login(self) -> str:
        return self.account.login


class _Sessions(SecureCookieSessionInterface):
    """The session cookie, with ``Secure`` decided per request when the setting is "auto"."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config.get("REGISTRAR_COOKIE_SECURE", "auto")
        if setting != "auto":
            return bool(setting)
        return request.is_secure or not _loopback(request.host)


def _loopback(host: str) -> bool:
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        # Without a key set, sessions last as long as this process (and a second worker has its own).
        log.warning("no SECRET_KEY (FLASK_SECRET_KEY) set: using a random one; logins end when the server restarts")
        app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
    app.config.setdefault("REGISTRAR_COOKIE_SECURE", "auto")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in _check_csrf, which knows the API's exemption by blueprint name
    )
    app.session_interface = _Sessions()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = ""
    login_manager.user_loader(_user_from_session)
    login_manager.request_loader(_user_from_token)
    csrf.init_app(app)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(403, _forbidden)
    app.register_blueprint(bp)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def _user_from_session(account_id: str) -> User | None:
    if _bearer() is not None or not account_id.isdigit():
        return None
    account = accounts.get(web.database(), int(account_id))
    if account is None or session.get("generation") != account.generation:
        return None  # disabled, or logged out / a new password / a second factor since this session began
    if accounts.must_enrol(account, web.settings().second_factor):
        return None  # begun before the operator required a second factor: log in again and set it up
    return User(account)


def begin_session(account: Account) -> None:
    """Log ``account`` in on a new session of its current generation (the visitor's language kept)."""
    language = session.get("language")
    session.clear()  # a new session for the new login (no fixation)
    if language:
        session["language"] = language
    session["generation"] = account.generation
    login_user(User(account))


def keep_session(account_id: int) -> None:
    """This session goes on after its own account moved to a new generation (its new password)."""
    account = accounts.get(web.database(), account_id)
    if account is not None:
        session["generation"] = account.generation


def _user_from_token(_request: Any) -> User | None:
    secret = _bearer()
    if not secret:
        return None
    holder = accounts.token_holder(web.database(), secret)
    return User(holder[0], token=holder[1]) if holder is not None else None


def _check_csrf() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.blueprint in CSRF_EXEMPT_BLUEPRINTS or _bearer() is not None:
        return
    csrf.protect()


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def wants_json() -> bool:
    return request.blueprint in CSRF_EXEMPT_BLUEPRINTS or request.path.startswith("/api/")


def _json_error(status: int, code: str, message: str) -> Response:
    response = jsonify({"code": code, "message": message})
    response.status_code = status
    return response


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    message = _("The form was open too long or came from another site. Go back, reload the page and try again.")
    return render_template("auth/error.html", title=_("The form has expired"), message=message), 400


def _forbidden(error: HTTPException) -> Response | tuple[str, int]:
    if wants_json():
        return _json_error(403, "forbidden", _("Your role may not do this."))
    return render_template("auth/error.html", title=_("Not allowed"), message=_("Your role may not see or do this.")), 403


# --- Who is asking -------------------------------------------------------------------------


def current_account() -> Account | None:
    """The account of this request (session or bearer token), or None."""
    if current_user.is_authenticated:
        return cast(User, current_user).account
    return None


def actor() -> str:
    """Who did it, for the audit log: ``user:<login>`` or ``token:<login>/<token name>``."""
    if not current_user.is_authenticated:
        return "anonymous"
    user = cast(User, current_user)
    return f"token:{user.login}/{user.token}" if user.token else f"user:{user.login}"


def acting_unit() -> str | None:
    """The territorial unit the current account acts for: a territorial commission's officer's own
    (registrar.roles.UNIT_ROLES; "" if its account names none, which acts for no unit), None for
    everyone else, who is not bound to one unit. Passed to the registrar as ``acting_for``."""
    account = current_account()
    if account is None or account.role not in roles.UNIT_ROLES:
        return None
    return account.unit or ""


def may(action: str) -> bool:
    """May the current account take ``action``? (The public may take none.)"""
    account = current_account()
    return roles.may(account.role if account else "public", action)


def _refuse(status: int) -> None:
    if wants_json():
        if status == 401:
            abort(_json_error(401, "unauthenticated", _("Log in, or send an API token: Authorization: Bearer <token>.")))
        abort(_json_error(403, "forbidden", _("Your role may not do this.")))
    if status == 401:
        abort(redirect(url_for("auth.login", next=_here())))
    abort(403)


def _here() -> str:
    return request.full_path if request.query_string else request.path


def roles_required(*allowed: str) -> Callable[[F], F]:
    """A view for these roles only: others get 403; without a login, the login page (or 401 as JSON)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            account = current_account()
            if account is None:
                _refuse(401)
            elif account.role not in allowed:
                _refuse(403)
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorate


def require_action(action: str) -> None:
    """Stop the request with 401/403 unless the current account's role may take ``action``."""
    if current_account() is None:
        _refuse(401)
    if not may(action):
        _refuse(403)


# --- Pages -----------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path of this site, parsed and rebuilt: never another host (an open redirect).

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    ``/\t/evil.example`` would be ``//evil.example``: a target holding any of them, or any
    control character, is no target."""
    if target and not any(ch < " " or ch in "\x7f\\" for ch in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return urlunsplit(("", "", parts.path, parts.query, ""))
    return url_for("officer.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int]:
    values = {"login": request.form.get("login", ""), "next": request.values.get("next", "")}
    if request.method == "GET":
        return render_template("auth/login.html", values=values, errors={}), 200
    try:
        account = accounts.attempt_login(web.database(), values["login"], request.form.get("password", ""),
                                         remote=request.remote_addr or "")  # fmt: skip
    except accounts.LoginThrottled as err:
        minutes = max(1, round(err.retry_after.total_seconds() / 60))
        message = _("Too many failed attempts for this login. Try again in %(minutes)d minutes.", minutes=minutes)
        page = render_template("auth/login.html", values=values, errors={"login": [message]})
        return cast(BaseResponse, Response(page, 429, {"Retry-After": str(int(err.retry_after.total_seconds()) + 1)}))
    except accounts.LoginBusy:
        page = render_template("auth/login.html", values=values,
                               errors={"login": [_("Too many logins at once. Try again in a moment.")]})  # fmt: skip
        return cast(BaseResponse, Response(page, 503, {"Retry-After": "5"}))
    if account is None:
        errors = {"login": [_("The login or the password is wrong.")]}
        return render_template("auth/login.html", values=values, errors=errors), 422
    if account.second_factor:
        _begin_half_login(account, values["next"])
        return redirect(url_for(".login_code"))
    if accounts.must_enrol(account, web.settings().second_factor):
        _begin_half_login(account, values["next"])
        accounts.begin_second_factor(web.database(), account.login)
        return redirect(url_for(".login_enrol"))
    begin_session(account)
    return redirect(_safe_next(values["next"]))


# --- The second step: a code, or setting up the second factor --------------------------------


def _begin_half_login(account: Account, target: str) -> None:
    """The password was right: this session (a new one) waits for the code, not logged in."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    until = accounts.now().timestamp() + HALF_LOGIN_MINUTES * 60
    session["half_login"] = {"account": account.id, "generation": account.generation, "until": until,
                             "next": _safe_next(target)}  # fmt: skip


def _half_login() -> tuple[Account, str] | None:
    """The account whose password this session was given, and where it goes next; None once the
    half-done login has expired, or the account was disabled or moved on (a new password)."""
    half: Any = session.get("half_login")
    if not isinstance(half, dict) or not half.get("until", 0) > accounts.now().timestamp():
        session.pop("half_login", None)
        return None
    account = accounts.get(web.database(), int(half.get("account", 0)))
    if account is None or account.generation != half.get("generation"):
        session.pop("half_login", None)
        return None
    return account, str(half.get("next", ""))


def _log_in_again() -> BaseResponse:
    flash(_("Your login has expired. Log in again."), "error")
    return redirect(url_for(".login"))


def enrolment_view(enrolment: Enrolment) -> dict[str, Any]:
    """What a page setting up a second factor shows: the QR code as inline SVG (no image file, no
    script: the CSP allows neither), the secret in groups of four for typing, and the URI."""
    qr = segno.make(enrolment.uri, error="m")
    svg = qr.svg_inline(scale=4, border=4, svgclass="qr", title=_("QR code for your authenticator app"))
    svg = svg.replace("<svg ", '<svg role="img" ', 1)  # read out as one picture, by its title
    groups = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    return {"qr": Markup(svg), "secret_groups": groups, "uri": enrolment.uri}


def _throttled(err: accounts.LoginThrottled) -> dict[str, list[str]]:
    minutes = max(1, round(err.retry_after.total_seconds() / 60))
    return {"code": [_("Too many failed attempts for this login. Try again in %(minutes)d minutes.", minutes=minutes)]}


def _no_store(page: str, status: int, headers: Mapping[str, str] | None = None) -> BaseResponse:
    # A page in the middle of a login, or holding a secret: no cache keeps a copy of it.
    return cast(BaseResponse, Response(page, status, {"Cache-Control": "no-store", **(headers or {})}))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> BaseResponse:
    half = _half_login()
    if half is None or not half[0].second_factor:
        return _log_in_again()
    account, target = half
    if request.method == "GET":
        return _no_store(render_template("auth/code.html", errors={}), 200)
    try:
        logged_in = accounts.attempt_code(web.database(), account.id, request.form.get("code", ""),
                                          remote=request.remote_addr or "")  # fmt: skip
    except accounts.LoginThrottled as err:
        retry = str(int(err.retry_after.total_seconds()) + 1)
        return _no_store(render_template("auth/code.html", errors=_throttled(err)), 429, {"Retry-After": retry})
    if logged_in is None:
        errors = flat({"code": [said("account.code_wrong")]})
        return _no_store(render_template("auth/code.html", errors=errors), 422)
    begin_session(logged_in)
    return redirect(_safe_next(target))


@bp.route("/login/enrol", methods=["GET", "POST"])
def login_enrol() -> BaseResponse:
    half = _half_login()
    if half is None or not accounts.must_enrol(half[0], web.settings().second_factor):
        return _log_in_again()
    account, target = half
    db = web.database()
    enrolment = accounts.pending_second_factor(db, account.login) or accounts.begin_second_factor(db, account.login)
    if request.method == "GET":
        return _no_store(render_template("auth/enrol.html", errors={}, **enrolment_view(enrolment)), 200)
    try:
        accounts.confirm_second_factor(db, account.login, request.form.get("code", ""), actor=f"user:{account.login}")
    except InvalidPayload as err:
        page = render_template("auth/enrol.html", errors=flat(err.errors), **enrolment_view(enrolment))
        return _no_store(page, 422)
    enrolled = accounts.get(db, account.id)
    if enrolled is None:
        return _log_in_again()
    begin_session(enrolled)
    flash(_("Two-factor authentication is set up. From now on you log in with your password and a confirmation code."),
          "success")  # fmt: skip
    return redirect(_safe_next(target))


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    account = current_account()
    if account is not None and _bearer() is None:
        accounts.end_sessions(web.database(), account.id)  # a copy of this session's cookie is no key either
    logout_user()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    return redirect(url_for("public.elections") if "public.elections" in current_app.view_functions else "/")


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"current_account": current_account, "may": may, "acting_unit": acting_unit}


__all__ = ["acting_unit", "actor", "current_account", "init_app", "may", "require_action", "roles_required"]
