"""Officers' accounts, API tokens and login throttling.

Passwords are kept as werkzeug hashes (scrypt), token secrets as their SHA-256: the secret
itself is shown once, when issued, and never stored. Login attempts are rows, so that the
throttle counts the same failures whichever web worker answered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from registrar import audit
from registrar.db import Database
from registrar.errors import InvalidPayload, NotFound, RegistrarError
from registrar.models import ApiToken, LoginAttempt, UserAccount
from registrar.roles import ACCOUNT_ROLES

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
LANGUAGES = ("", "kk", "ru", "en")
MIN_PASSWORD = 10
TOKEN_SCOPES = ("api", "feed")

# Five failures for one login within fifteen minutes and that login waits (429).
MAX_FAILURES = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)

# Checked when the login is unknown, so that a wrong login takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("registrar: no such account")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    role: str
    full_name: str
    language: str


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scope: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class LoginThrottled(RegistrarError):
    """Too many failed logins for one login; the next try is possible after ``retry_after``."""

    code = "throttled"

    def __init__(self, login: str, retry_after: dt.timedelta):
        self.login, self.retry_after = login, retry_after
        minutes = max(1, round(retry_after.total_seconds() / 60))
        super().__init__(f"too many failed logins for {login!r}: try again in {minutes} minutes")


def _account(row: UserAccount) -> Account:
    return Account(row.id, row.login, row.role, row.full_name, row.language)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_user(
    db: Database, login: str, role: str, password: str, *, full_name: str = "", language: str = "",
    actor: str = "cli", at: dt.datetime | None = None,
) -> int:  # fmt: skip
    """A new account; every bad field is named. The audit log records who created it (not the password)."""
    at = at or now()
    errors: dict[str, list[str]] = {}
    if not LOGIN.match(login):
        errors["login"] = ["lower-case letters, digits, '.', '_' and '-', 2 to 80 characters"]
    if role not in ACCOUNT_ROLES:
        errors["role"] = [f"one of: {', '.join(ACCOUNT_ROLES)}"]
    if len(password) < MIN_PASSWORD:
        errors["password"] = [f"at least {MIN_PASSWORD} characters"]
    if language not in LANGUAGES:
        errors["language"] = ["one of: kk, ru, en (or empty: the browser's)"]
    if len(full_name) > 300:
        errors["full_name"] = ["at most 300 characters"]
    if errors:
        raise InvalidPayload(errors)
    with db.transaction() as session:
        if session.scalar(select(UserAccount.id).where(UserAccount.login == login)) is not None:
            raise InvalidPayload({"login": [f"an account {login!r} already exists"]})
        row = UserAccount(login=login, role=role, full_name=full_name, password_hash=generate_password_hash(password),
                          language=language, created_at=at, disabled=False)  # fmt: skip
        session.add(row)
        session.flush()
        audit.append(session, at=at, actor=actor, action="create_account", subject_type="account", subject_id=login,
                     payload={"role": role, "full_name": full_name})  # fmt: skip
        return row.id


def _row(session: Session, login: str) -> UserAccount:
    row = session.scalar(select(UserAccount).where(UserAccount.login == login))
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


def set_disabled(db: Database, login: str, disabled: bool, *, actor: str = "cli", at: dt.datetime | None = None) -> None:
    at = at or now()
    with db.transaction() as session:
        row = _row(session, login)
        row.disabled = disabled
        audit.append(session, at=at, actor=actor, action="disable_account" if disabled else "enable_account",
                     subject_type="account", subject_id=login, payload={})  # fmt: skip


def set_password(db: Database, login: str, password: str, *, actor: str = "cli", at: dt.datetime | None = None) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidPayload({"password": [f"at least {MIN_PASSWORD} characters"]})
    at = at or now()
    with db.transaction() as session:
        _row(session, login).password_hash = generate_password_hash(password)
        audit.append(session, at=at, actor=actor, action="set_password", subject_type="account", subject_id=login,
                     payload={})  # fmt: skip


def authenticate(db: Database, login: str, password: str) -> Account | None:
    """The account if the password is its own and the account is not disabled; else None."""
    with db.reading() as session:
        row = session.scalar(select(UserAccount).where(UserAccount.login == login))
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row.password_hash, password) or row.disabled:
        return None
    return _account(row)


def retry_after(db: Database, login: str, *, at: dt.datetime | None = None) -> dt.timedelta | None:
    """How long ``login`` must wait before trying again, or None: the failures since its last
    success, within the window, reached :data:`MAX_FAILURES`."""
    at = at or now()
    with db.reading() as session:
        since = at - THROTTLE_WINDOW
        last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.login == login, LoginAttempt.ok))
        if last_ok is not None and last_ok > since:
            since = last_ok
        failures = list(session.scalars(
            select(LoginAttempt.at).where(LoginAttempt.login == login, ~LoginAttempt.ok, LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc()).limit(MAX_FAILURES)
        ))  # fmt: skip
    if len(failures) < MAX_FAILURES:
        return None
    # The oldest of the last MAX_FAILURES failures leaves the window first.
    return failures[-1] + THROTTLE_WINDOW - at


def attempt_login(db: Database, login: str, password: str, *, remote: str = "", at: dt.datetime | None = None) -> Account | None:
    """:func:`authenticate`, throttled: raises :class:`LoginThrottled` without checking the
    password once a login has failed too often; every attempt is recorded."""
    at = at or now()
    login = login.strip().lower()[:80]
    wait = retry_after(db, login, at=at)
    if wait is not None:
        raise LoginThrottled(login, wait)
    account = authenticate(db, login, password)
    with db.transaction() as session:
        session.add(LoginAttempt(login=login, at=at, ok=account is not None, remote=remote[:64]))
    return account


def issue_token(
    db: Database, login: str, name: str, *, scope: str = "api", actor: str = "cli", at: dt.datetime | None = None
) -> str:
    """A new token for ``login``; returns the secret, which is not stored and cannot be shown again.

    A token of the same name and scope that is still in use is revoked: issuing is also rotating.
    """
    at = at or now()
    if not 1 <= len(name) <= 80:
        raise InvalidPayload({"name": ["1 to 80 characters"]})
    if scope not in TOKEN_SCOPES:
        raise InvalidPayload({"scope": [f"one of: {', '.join(TOKEN_SCOPES)}"]})
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
