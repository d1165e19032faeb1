"""Officers' accounts, API tokens and login throttling.

Passwords are kept as werkzeug hashes (scrypt), token secrets as their SHA-256: the secret
itself is shown once, when issued, and never stored. Login attempts are rows, so that the
throttle counts the same failures whichever web worker answered.

The CLI (``registrar users``) and the web's account pages call the same functions here, and
each change is an audit event naming who made it. A bad field is an :class:`InvalidPayload`
whose messages are field errors by message id (:func:`registrar.reasons.said`, ids
``account.*``): English words for the CLI and the API, the reader's language on the pages.
Whoever asks, an installation keeps one enabled admin account at least, and an officer on the
web cannot disable or re-role themselves (``by``: the login making the change).

An officer may add a second factor (TOTP, RFC 6238): a six-digit code from an authenticator app,
asked after the password. It is set up in two steps (:func:`begin_second_factor` gives a fresh
secret, :func:`confirm_second_factor` puts it in force once a first code from it is right), and
removed by the admin (or ``registrar users second-factor-off``) or by the officer with a current
code. A code is accepted once: the account keeps the time step of the last one (RFC 6238 5.2).
Wrong codes count in the login throttle as wrong passwords do; setting up or removing a second
factor ends the account's other sessions, as a new password does. Whose account must have one
when the operator requires it: :func:`must_enrol`.

An account of a role tied to a territorial unit (:data:`registrar.roles.UNIT_ROLES`: a
territorial election commission's officer) names its unit, a code of the territory file; no
other account names one. The unit goes with the role: it is given, changed and dropped with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from registrar import audit, roles, territory
from registrar.db import Database
from registrar.errors import InvalidPayload, NotFound, RegistrarError
from registrar.models import ApiToken, LoginAttempt, UserAccount
from registrar.reasons import Said, said
from registrar.roles import ACCOUNT_ROLES, UNIT_ROLES

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
LANGUAGES = ("", "kk", "ru", "en")
MIN_PASSWORD = 10
TOKEN_SCOPES = ("api", "feed")

# Five failures for one login from one client within fifteen minutes, and that client waits for
# that login (429); each further five double the wait (up to a day). Another client is not
# affected: an outsider guessing cannot lock the officer out.
MAX_FAILURES = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)
LONGEST_WAIT = dt.timedelta(days=1)

# Password hashes checked at once in one process: each takes ~0.1 s of a core (scrypt), so a
# flood of logins would starve every other page; the rest wait their turn a little, then hear "busy".
PASSWORD_CHECKS = threading.BoundedSemaphore(2)
PASSWORD_CHECK_WAIT_SECONDS = 5

# The second factor's codes: six digits a 30-second step (RFC 6238's defaults, what every
# authenticator app shows), accepted one step either side (a phone's clock a little off, a code
# typed as it changed). The app lists the account under the issuer's name.
CODE_DIGITS = 6
CODE_WINDOW = 1
SECOND_FACTOR_ISSUER = "Registrar"


@cache
def _dummy_hash() -> str:
    """Checked when the login is unknown, so that a wrong login takes as long as a wrong password.
    Made at the first unknown login, not at import: a hash costs a tenth of a second, and most
    commands (``registrar users list``, the sweep) never check a password at all (issue 14)."""
    return generate_password_hash("registrar: no such account")


def _invalid(field: str, message: str, **params: Any) -> InvalidPayload:
    """A field's error, by its id among the catalogues' [field_errors] ``account.*``."""
    return InvalidPayload({field: [said(f"account.{message}", **params)]})


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    role: str
    full_name: str
    language: str
    unit: str | None = None  # the territorial unit a territorial commission's officer acts for
    # A session remembers the generation it began in; logging out or a new password moves the
    # account's on, and every session of an earlier one ends.
    generation: int = 0
    # A second factor in force: the password alone does not log the account in.
    second_factor: bool = False


@dataclass(frozen=True)
class Enrolment:
    """A second factor being set up: the secret for the app (scanned from ``uri``, or typed)."""

    secret: str
    uri: str  # otpauth://totp/Registrar:<login>?secret=...&issuer=Registrar


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scope: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class LoginBusy(RegistrarError):
    """Too many password checks at once in this process: try again in a moment."""

    code = "busy"

    def __init__(self) -> None:
        super().__init__("too many logins at once: try again in a moment")


class LoginThrottled(RegistrarError):
    """Too many failed logins for one login; the next try is possible after ``retry_after``."""

    code = "throttled"

    def __init__(self, login: str, retry_after: dt.timedelta):
        self.login, self.retry_after = login, retry_after
        minutes = max(1, round(retry_after.total_seconds() / 60))
        super().__init__(f"too many failed logins for {login!r}: try again in {minutes} minutes")


def _account(row: UserAccount) -> Account:
    return Account(row.id, row.login, row.role, row.full_name, row.language, row.unit, row.session_generation,
                   row.second_factor_secret is not None)  # fmt: skip


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_user(
    db: Database, login: str, role: str, password: str, *, full_name: str = "", language: str = "",
    unit: str | None = None, actor: str = "cli", at: dt.datetime | None = None,
) -> int:  # fmt: skip
    """A new account; every bad field is named. ``unit``: the territorial unit's code, for a role
    tied to one (and no other). The audit log records who created it (not the password)."""
    at = at or now()
    unit = unit_code(unit)
    errors: dict[str, list[str]] = {}
    if not LOGIN.match(login):
        errors["login"] = [said("account.login_format")]
    for field, problem in (("role", _role_problem(role)), ("unit", _unit_problem(role, unit)),
                           ("password", password_problem(password)), ("language", _language_problem(language)),
                           ("full_name", _name_problem(full_name))):  # fmt: skip
        if problem is not None:
            errors[field] = [problem]
    if errors:
        raise InvalidPayload(errors)
    with db.transaction() as session:
        if session.scalar(select(UserAccount.id).where(UserAccount.login == login)) is not None:
            raise _invalid("login", "login_taken", login=login)
        row = UserAccount(login=login, role=role, full_name=full_name, password_hash=generate_password_hash(password),
                          language=language, unit=unit, created_at=at, disabled=False)  # fmt: skip
        session.add(row)
        session.flush()
        payload: dict[str, Any] = {"role": role, "full_name": full_name}
        if unit is not None:
            payload["unit"] = unit
        audit.append(session, at=at, actor=actor, action="create_account", subject_type="account", subject_id=login,
                     payload=payload)  # fmt: skip
        return row.id


def unit_code(unit: str | None) -> str | None:
    """A unit's code as a form or the command line gives it ("ast ", ""): upper case, None if empty."""
    code = (unit or "").strip().upper()
    return code or None


def _role_problem(role: str) -> Said | None:
    return None if role in ACCOUNT_ROLES else said("account.role_unknown")


def _unit_problem(role: str, unit: str | None) -> Said | None:
    """A territorial commission's officer names the one unit it acts for; nobody else names any."""
    if role not in ACCOUNT_ROLES:
        return None  # the role's own error says what is wrong
    if role not in UNIT_ROLES:
        return None if unit is None else said("account.unit_not_for_role")
    if unit is None:
        return said("account.unit_required")
    if unit not in territory.current().codes:
        return said("account.unit_unknown", code=unit)
    return None


def password_problem(password: str) -> Said | None:
    return None if len(password) >= MIN_PASSWORD else said("account.password_short", count=MIN_PASSWORD)


def _language_problem(language: str) -> Said | None:
    return None if language in LANGUAGES else said("account.language_unknown")


def _name_problem(full_name: str) -> Said | None:
    return None if len(full_name) <= 300 else said("account.name_long")


def _row(session: Session, login: str, *, locked: bool = False) -> UserAccount:
    query = select(UserAccount).where(UserAccount.login == login)
    row = session.scalar(query.with_for_update() if locked else query)
    if row is None:
        raise NotFound(f"no account {login!r}")
    return row


def get(db: Database, account_id: int) -> Account | None:
    """The account with this id, unless it is disabled (a session of a disabled account ends)."""
    with db.reading() as session:
        row = session.get(UserAccount, account_id)
        return _account(row) if row is not None and not row.disabled else None


def list_accounts(db: Database) -> list[tuple[Account, bool]]:
    """Every account, with whether it is disabled."""
    with db.reading() as session:
        return [(_account(r), r.disabled) for r in session.scalars(select(UserAccount).order_by(UserAccount.login))]


def account(db: Database, login: str) -> tuple[Account, bool]:
    """The account ``login`` (disabled or not), with whether it is disabled; NotFound if there is none."""
    with db.reading() as session:
        row = _row(session, login)
        return _account(row), row.disabled


def _keeps_an_admin(session: Session, row: UserAccount, *, field: str) -> None:
    """Refuse a change that would leave no enabled admin: nobody could manage the accounts on the web."""
    if row.role != "admin" or row.disabled:
        return
    # Every enabled admin locked, in one order (PostgreSQL): two admins disabling each other at
    # once must not both succeed, nor deadlock; the second then reads the first's change.
    admins = session.scalars(
        select(UserAccount.id).where(UserAccount.role == "admin", ~UserAccount.disabled)
        .order_by(UserAccount.id).with_for_update()
    ).all()  # fmt: skip
    if not [other for other in admins if other != row.id]:
        raise _invalid(field, "last_admin")


def set_disabled(
    db: Database, login: str, disabled: bool, *, by: str | None = None, actor: str = "cli", at: dt.datetime | None = None
) -> None:
    """Disable (or enable again) ``login``: its sessions and tokens stop working at once. The last
    enabled admin stays enabled; ``by`` (the officer doing it) cannot disable themselves."""
    at = at or now()
    with db.transaction() as session:
        row = _row(session, login)
        if row.disabled == disabled:
            return
        if disabled and by == login:
            raise _invalid("disabled", "own_account")
        if disabled:
            _keeps_an_admin(session, row, field="disabled")
        row.disabled = disabled
        audit.append(session, at=at, actor=actor, action="disable_account" if disabled else "enable_account",
                     subject_type="account", subject_id=login, payload={})  # fmt: skip


def set_role(
    db: Database, login: str, role: str, *, unit: str | None = None, by: str | None = None, actor: str = "cli",
    at: dt.datetime | None = None,
) -> None:  # fmt: skip
    """Give ``login`` another role (or a territorial officer another ``unit``: the unit goes with the
    role); the last enabled admin keeps its role, and ``by`` cannot change their own."""
    unit = unit_code(unit)
    errors = {field: [problem] for field, problem in (("role", _role_problem(role)), ("unit", _unit_problem(role, unit)))
              if problem is not None}  # fmt: skip
    if errors:
        raise InvalidPayload(errors)
    at = at or now()
    with db.transaction() as session:
        row = _row(session, login)
        if row.role == role and row.unit == unit:
            return
        if by == login:
            raise _invalid("role", "own_account")
        if role != "admin":
            _keeps_an_admin(session, row, field="role")
        payload: dict[str, Any] = {"from": row.role, "to": role}
        if row.unit is not None or unit is not None:
            payload |= {"from_unit": row.unit, "unit": unit}
        row.role, row.unit = role, unit
        audit.append(session, at=at, actor=actor, action="set_role", subject_type="account", subject_id=login,
                     payload=payload)  # fmt: skip


def set_password(db: Database, login: str, password: str, *, actor: str = "cli", at: dt.datetime | None = None) -> None:
    problem = password_problem(password)
    if problem is not None:
        raise InvalidPayload({"password": [problem]})
    at = at or now()
    with db.transaction() as session:
        row = _row(session, login)
        row.password_hash = generate_password_hash(password)
        row.session_generation += 1  # whoever knew the old password is logged out everywhere
        audit.append(session, at=at, actor=actor, action="set_password", subject_type="account", subject_id=login,
                     payload={})  # fmt: skip


def end_sessions(db: Database, account_id: int) -> int:
    """End every session of the account (logging out): returns the generation sessions begin in now."""
    with db.transaction() as session:
        row = session.get(UserAccount, account_id)
        if row is None:
            return 0
        row.session_generation += 1
        return row.session_generation


def change_own_password(
    db: Database, login: str, current: str, new: str, *, actor: str, remote: str = "", at: dt.datetime | None = None
) -> None:
    """An officer's own new password, given the current one. A wrong current password counts as a
    failed login (the same throttle: a session left open is no way to guess it); nothing changes."""
    at = at or now()
    errors: dict[str, list[str]] = {}
    if attempt_login(db, login, current, remote=remote, at=at) is None:
        errors["current_password"] = [said("account.password_wrong")]
    problem = password_problem(new)
    if problem is not None:
        errors["password"] = [problem]
    if errors:
        raise InvalidPayload(errors)
    set_password(db, login, new, actor=actor, at=at)


def set_profile(
    db: Database, login: str, *, full_name: str | None = None, language: str | None = None, actor: str = "cli",
    at: dt.datetime | None = None,
) -> None:  # fmt: skip
    """An account's display name and language ("": the browser's); what is left None stays."""
    errors = {field: [problem] for field, problem in (
        ("full_name", _name_problem(full_name) if full_name is not None else None),
        ("language", _language_problem(language) if language is not None else None),
    ) if problem is not None}  # fmt: skip
    if errors:
        raise InvalidPayload(errors)
    at = at or now()
    with db.transaction() as session:
        row = _row(session, login)
        changed: dict[str, str] = {}
        if full_name is not None and full_name.strip() != row.full_name:
            row.full_name = changed["full_name"] = full_name.strip()
        if language is not None and language != row.language:
            row.language = changed["language"] = language
        if changed:
            audit.append(session, at=at, actor=actor, action="set_profile", subject_type="account", subject_id=login,
                         payload=changed)  # fmt: skip


def authenticate(db: Database, login: str, password: str) -> Account | None:
    """The account if the password is its own and the account is not disabled; else None."""
    with db.reading() as session:
        row = session.scalar(select(UserAccount).where(UserAccount.login == login))
    if not _checked(row.password_hash if row is not None else _dummy_hash(), password) or row is None or row.disabled:
        return None
    return _account(row)


def _checked(password_hash: str, password: str) -> bool:
    if not PASSWORD_CHECKS.acquire(timeout=PASSWORD_CHECK_WAIT_SECONDS):
        raise LoginBusy()
    try:
        return check_password_hash(password_hash, password)
    finally:
        PASSWORD_CHECKS.release()


def retry_after(db: Database, login: str, *, remote: str = "", at: dt.datetime | None = None) -> dt.timedelta | None:
    """How long ``login`` must wait before trying again from the client ``remote``, or None.

    The client's failures for the login since the login's last success (from any client) are
    counted over the last :data:`LONGEST_WAIT`: at :data:`MAX_FAILURES` it waits until the oldest
    of its last five is :data:`THROTTLE_WINDOW` old; each further five double that window."""
    at = at or now()
    with db.reading() as session:
        since = at - LONGEST_WAIT
        last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.login == login, LoginAttempt.ok))
        if last_ok is not None and last_ok > since:
            since = last_ok
        failures = list(session.scalars(
            select(LoginAttempt.at).where(LoginAttempt.login == login, LoginAttempt.remote == remote[:64], ~LoginAttempt.ok,
                                          LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc())
        ))  # fmt: skip
    if len(failures) < MAX_FAILURES:
        return None
    window = min(THROTTLE_WINDOW * 2 ** (len(failures) // MAX_FAILURES - 1), LONGEST_WAIT)
    wait = failures[MAX_FAILURES - 1] + window - at
    return wait if wait > dt.timedelta(0) else None


def attempt_login(db: Database, login: str, password: str, *, remote: str = "", at: dt.datetime | None = None) -> Account | None:
    """:func:`authenticate`, throttled: raises :class:`LoginThrottled` without checking the
    password once a login has failed too often; every attempt is recorded.

    The right password of an account with a second factor is no success yet (its code is,
    :func:`attempt_code`): recorded as one, it would clear the wrong codes before it, and whoever
    knew the password could guess codes five at a time for ever."""
    at = at or now()
    login = login.strip().lower()[:80]
    _not_throttled(db, login, remote, at)
    account = authenticate(db, login, password)
    if account is None or not account.second_factor:
        _record_attempt(db, login, account is not None, remote, at)
    return account


def _not_throttled(db: Database, login: str, remote: str, at: dt.datetime) -> None:
    wait = retry_after(db, login, remote=remote, at=at)
    if wait is not None:
        raise LoginThrottled(login, wait)


def _record_attempt(db: Database, login: str, ok: bool, remote: str, at: dt.datetime) -> None:
    with db.transaction() as session:
        session.add(LoginAttempt(login=login, at=at, ok=ok, remote=remote[:64]))


# --- The second factor (TOTP) --------------------------------------------------------------


def second_factor_required(role: str, mode: str) -> bool:
    """Must an account of ``role`` have a second factor? When the operator requires one (settings:
    [auth] second_factor = "required", ``mode``) for the role (roles.toml: [second_factor])."""
    return mode == "required" and role in roles.second_factor_roles()


def must_enrol(account: Account, mode: str) -> bool:
    """Must ``account`` set up a second factor before it is let in (its role must have one, it has none)?"""
    return second_factor_required(account.role, mode) and not account.second_factor


def _accepted_step(secret: str, code: str, at: dt.datetime, after: int | None) -> int | None:
    """The time step whose code ``code`` is, within :data:`CODE_WINDOW` of ``at``'s and later than
    ``after`` (the last accepted: RFC 6238 5.2, a code is never accepted twice); else None."""
    code = "".join(code.split())  # "123 456", as some apps show it
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=CODE_DIGITS)
    current = totp.timecode(at)
    for step in range(current - CODE_WINDOW, current + CODE_WINDOW + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _uri(login: str, secret: str) -> str:
    return pyotp.TOTP(secret, digits=CODE_DIGITS).provisioning_uri(name=login, issuer_name=SECOND_FACTOR_ISSUER)


def begin_second_factor(db: Database, login: str) -> Enrolment:
    """A fresh secret for ``login``'s authenticator app, in force once :func:`confirm_second_factor`
    has a right code from it; a second factor already in force stays until then (a new phone).
    Not audited: nothing is in force yet, and the next beginning replaces it."""
    secret = pyotp.random_base32()  # 32 characters: 160 bits, RFC 4226's recommended length
    with db.transaction() as session:
        _row(session, login).second_factor_pending = secret
    return Enrolment(secret, _uri(login, secret))


def pending_second_factor(db: Database, login: str) -> Enrolment | None:
    """The second factor being set up for ``login``, if one is."""
    with db.reading() as session:
        secret = _row(session, login).second_factor_pending
    return Enrolment(secret, _uri(login, secret)) if secret is not None else None


def confirm_second_factor(db: Database, login: str, code: str, *, actor: str = "cli", at: dt.datetime | None = None) -> int:
    """Put the second factor being set up in force, given a right code from it; every other session
    of the account ends (returns the generation sessions begin in now). A wrong code is the field
    ``code``'s error and does not count in the login throttle: this secret was shown only to whoever
    began it, so there is nothing to guess."""
    at = at or now()
    with db.transaction() as session:
        row = _row(session, login, locked=True)  # the same code sent twice at once puts it in force once
        if row.second_factor_pending is None:
            raise _invalid("code", "second_factor_not_begun")
        step = _accepted_step(row.second_factor_pending, code, at, None)
        if step is None:
            raise _invalid("code", "code_wrong")
        replaced = row.second_factor_secret is not None
        row.second_factor_secret, row.second_factor_pending, row.second_factor_step = row.second_factor_pending, None, step
        row.session_generation += 1  # a session begun with the password alone is no longer enough
        audit.append(session, at=at, actor=actor, action="enrol_second_factor", subject_type="account", subject_id=login,
                     payload={"replaced": replaced})  # fmt: skip
        return row.session_generation


def attempt_code(db: Database, account_id: int, code: str, *, remote: str = "", at: dt.datetime | None = None) -> Account | None:
    """The account, if ``code`` is a code of its second factor not accepted before; else None.
    Throttled and recorded with the logins (:func:`attempt_login`): a wrong code is a failed login,
    a right one the login's success."""
    at = at or now()
    with db.reading() as session:
        found = session.get(UserAccount, account_id)
        if found is None:
            return None
        login = found.login
    _not_throttled(db, login, remote, at)
    with db.transaction() as session:
        # Locked (PostgreSQL; SQLite has one writer at a time): the same code sent twice at once is accepted once.
        row = session.scalar(select(UserAccount).where(UserAccount.id == account_id).with_for_update())
        step = None
        if row is not None and row.second_factor_secret is not None and not row.disabled:
            step = _accepted_step(row.second_factor_secret, code, at, row.second_factor_step)
        if step is not None and row is not None:
            row.second_factor_step = step
        session.add(LoginAttempt(login=login, at=at, ok=step is not None, remote=remote[:64]))
        return _account(row) if step is not None and row is not None else None


def remove_second_factor(db: Database, login: str, *, actor: str = "cli", at: dt.datetime | None = None) -> bool:
    """Remove ``login``'s second factor (the admin's, for an officer who lost their phone): the
    password alone logs in again, and every session of the account ends. False if it had none."""
    at = at or now()
    with db.transaction() as session:
        row = _row(session, login)
        if row.second_factor_secret is None and row.second_factor_pending is None:
            return False
        had = row.second_factor_secret is not None
        row.second_factor_secret = row.second_factor_pending = row.second_factor_step = None
        if not had:
            return False  # only one being set up: nothing was in force, nothing to end or record
        row.session_generation += 1
        audit.append(session, at=at, actor=actor, action="remove_second_factor", subject_type="account", subject_id=login,
                     payload={})  # fmt: skip
        return True


def remove_own_second_factor(
    db: Database, login: str, code: str, *, actor: str, mode: str = "optional", remote: str = "",
    at: dt.datetime | None = None,
) -> None:  # fmt: skip
    """An officer's own second factor removed, given a current code of it (a session left open is no
    way to remove it); a wrong code is the field ``code``'s error and counts as a failed login. Where
    the operator requires one for the officer's role (``mode``), it is not removed: a new phone is a
    new one set up (:func:`begin_second_factor`), which replaces it."""
    at = at or now()
    with db.reading() as session:
        row = _row(session, login)
        account_id, role = row.id, row.role
    if second_factor_required(role, mode):
        raise _invalid("code", "second_factor_required")
    if attempt_code(db, account_id, code, remote=remote, at=at) is None:
        raise _invalid("code", "code_wrong")
    remove_second_factor(db, login, actor=actor, at=at)


def issue_token(
    db: Database, login: str, name: str, *, scope: str = "api", actor: str = "cli", at: dt.datetime | None = None
) -> str:
    """A new token for ``login``; returns the secret, which is not stored and cannot be shown again.

    A token of the same name and scope that is still in use is revoked: issuing is also rotating.
    """
    at = at or now()
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise _invalid("name", "token_name")
    if scope not in TOKEN_SCOPES:
        raise _invalid("scope", "token_scope")
    secret = secrets.token_urlsafe(32)
    with db.transaction() as session:
        account = _row(session, login)
        for old in session.scalars(
            select(ApiToken).where(
                ApiToken.account_id == account.id, ApiToken.name == name, ApiToken.scope == scope, ApiToken.revoked_at.is_(None)
            )  # fmt: skip
        ):
            old.revoked_at = at
        session.add(ApiToken(account_id=account.id, name=name, scope=scope, secret_hash=_digest(secret), created_at=at))
        audit.append(session, at=at, actor=actor, action="issue_token", subject_type="account", subject_id=login,
                     payload={"name": name, "scope": scope})  # fmt: skip
    return secret


def revoke_token(db: Database, login: str, name: str, *, actor: str = "cli", at: dt.datetime | None = None) -> int:
    """Revoke the tokens of ``login`` named ``name``; returns how many were in use."""
    at = at or now()
    with db.transaction() as session:
        account = _row(session, login)
        tokens = list(session.scalars(
            select(ApiToken).where(ApiToken.account_id == account.id, ApiToken.name == name, ApiToken.revoked_at.is_(None))
        ))  # fmt: skip
        for token in tokens:
            token.revoked_at = at
        if tokens:
            audit.append(session, at=at, actor=actor, action="revoke_token", subject_type="account", subject_id=login,
                         payload={"name": name})  # fmt: skip
        return len(tokens)


def tokens_of(db: Database, login: str) -> list[TokenInfo]:
    with db.reading() as session:
        account = _row(session, login)
        return [
            TokenInfo(t.id, t.name, t.scope, t.created_at, t.last_used_at, t.revoked_at)
            for t in session.scalars(select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.id))
        ]


def account_for_token(db: Database, secret: str, *, scope: str = "api") -> Account | None:
    """The account a token in use belongs to; None for an unknown, revoked or other-scope
    token, or a disabled account."""
    holder = token_holder(db, secret, scope=scope)
    return holder[0] if holder is not None else None


def token_holder(db: Database, secret: str, *, scope: str = "api", at: dt.datetime | None = None) -> tuple[Account, str] | None:
    """:func:`account_for_token` with the token's name (for the audit's actor); records when it was last used."""
    at = at or now()
    if not secret:
        return None
    with db.transaction() as session:
        found = session.execute(
            select(ApiToken, UserAccount).join(UserAccount, ApiToken.account_id == UserAccount.id)
            .where(ApiToken.secret_hash == _digest(secret), ApiToken.revoked_at.is_(None), ApiToken.scope == scope)
        ).first()  # fmt: skip
        if found is None or found[1].disabled:
            return None
        token, row = found
        # Once a minute is enough to tell an officer the token is alive, without a write per request.
        if token.last_used_at is None or at - token.last_used_at > dt.timedelta(minutes=1):
            token.last_used_at = at
        return _account(row), token.name
