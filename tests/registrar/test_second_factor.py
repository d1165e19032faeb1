"""The officers' second factor (issue 13): a TOTP secret set up in two steps, each code accepted
once (RFC 6238 5.2), wrong codes counted with wrong passwords, the sessions ended by a change,
the operator's switch and the roles it binds; and issue 14's password hash made when first needed."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from registrar import accounts, roles
from registrar.cli import main
from registrar.db import Database
from registrar.errors import InvalidPayload
from registrar.models import AuditEvent, UserAccount
from registrar.settings import SettingsError, load

PASSWORD = "correct horse battery"
T0 = dt.datetime(2029, 10, 1, 9, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


def code(secret: str, at: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def enrolled(db: Database, login: str = "dana", role: str = "commission", at: dt.datetime = T0) -> str:
    """An account of ``role`` with a second factor in force since ``at``; returns its secret."""
    accounts.create_user(db, login, role, PASSWORD, at=at)
    enrolment = accounts.begin_second_factor(db, login)
    accounts.confirm_second_factor(db, login, code(enrolment.secret, at), actor="test", at=at)
    return enrolment.secret


def audited(db: Database, login: str) -> list[tuple[str, dict[str, object]]]:
    with db.reading() as session:
        return [(e.action, e.payload) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == login).order_by(AuditEvent.seq))]  # fmt: skip


def row(db: Database, login: str) -> UserAccount:
    with db.reading() as session:
        found = session.scalar(select(UserAccount).where(UserAccount.login == login))
        assert found is not None
        session.expunge(found)
        return found


# --- Setting it up --------------------------------------------------------------------------


def test_a_second_factor_is_in_force_only_once_a_first_code_confirms_it(db: Database) -> None:
    accounts.create_user(db, "dana", "commission", PASSWORD, at=T0)
    enrolment = accounts.begin_second_factor(db, "dana")
    assert len(enrolment.secret) == 32 and pyotp.TOTP(enrolment.secret).now()  # base32, 160 bits
    assert enrolment.uri.startswith("otpauth://totp/Registrar:dana?") and "issuer=Registrar" in enrolment.uri
    assert accounts.pending_second_factor(db, "dana") == enrolment
    assert accounts.authenticate(db, "dana", PASSWORD).second_factor is False  # type: ignore[union-attr]

    with pytest.raises(InvalidPayload) as wrong:
        accounts.confirm_second_factor(db, "dana", "000000" if code(enrolment.secret, T0) != "000000" else "111111", at=T0)
    assert wrong.value.errors["code"][0].message == "account.code_wrong"
    generation = accounts.confirm_second_factor(db, "dana", code(enrolment.secret, T0), actor="user:dana", at=T0)

    account = accounts.authenticate(db, "dana", PASSWORD)
    assert account is not None and account.second_factor and account.generation == generation == 1
    assert accounts.pending_second_factor(db, "dana") is None
    assert audited(db, "dana")[-1] == ("enrol_second_factor", {"replaced": False})


def test_confirming_with_nothing_begun_says_so(db: Database) -> None:
    accounts.create_user(db, "dana", "clerk", PASSWORD, at=T0)
    with pytest.raises(InvalidPayload) as refused:
        accounts.confirm_second_factor(db, "dana", "123456", at=T0)
    assert refused.value.errors["code"][0].message == "account.second_factor_not_begun"


def test_a_new_phone_replaces_the_old_one_only_when_confirmed(db: Database) -> None:
    old = enrolled(db)
    new = accounts.begin_second_factor(db, "dana").secret
    account_id = row(db, "dana").id
    assert accounts.attempt_code(db, account_id, code(old, T0 + 2 * STEP), at=T0 + 2 * STEP) is not None  # still the old
    accounts.confirm_second_factor(db, "dana", code(new, T0 + 3 * STEP), at=T0 + 3 * STEP)
    assert accounts.attempt_code(db, account_id, code(old, T0 + 5 * STEP), at=T0 + 5 * STEP) is None
    assert accounts.attempt_code(db, account_id, code(new, T0 + 6 * STEP), at=T0 + 6 * STEP) is not None
    assert audited(db, "dana")[-1] == ("enrol_second_factor", {"replaced": True})


def test_the_secret_is_never_in_the_audit_log(db: Database) -> None:
    secret = enrolled(db)
    accounts.remove_second_factor(db, "dana", actor="user:admin", at=T0 + STEP)
    with db.reading() as session:
        texts = [str(e.payload) for e in session.scalars(select(AuditEvent))]
    assert texts and not any(secret in text for text in texts)


# --- Checking a code ------------------------------------------------------------------------


def test_a_code_of_the_step_before_or_after_is_accepted_and_none_further(db: Database) -> None:
    secret = enrolled(db)
    account_id = row(db, "dana").id
    at = T0 + 10 * STEP
    assert accounts.attempt_code(db, account_id, code(secret, at - STEP), at=at) is not None
    assert accounts.attempt_code(db, account_id, code(secret, at + STEP), at=at + dt.timedelta(seconds=1)) is not None
    later = at + 20 * STEP
    assert accounts.attempt_code(db, account_id, code(secret, later - 2 * STEP), at=later) is None
    assert accounts.attempt_code(db, account_id, code(secret, later + 2 * STEP), at=later) is None
    assert accounts.attempt_code(db, account_id, " ".join([code(secret, later)[:3], code(secret, later)[3:]]),
                                 at=later) is not None  # "123 456", as some apps show it  # fmt: skip


def test_a_code_is_never_accepted_twice_nor_one_of_an_earlier_step(db: Database) -> None:
    secret = enrolled(db)
    account_id = row(db, "dana").id
    at = T0 + 10 * STEP
    accepted = code(secret, at)
    assert accounts.attempt_code(db, account_id, accepted, at=at) is not None
    assert accounts.attempt_code(db, account_id, accepted, at=at + dt.timedelta(seconds=5)) is None  # replayed
    assert accounts.attempt_code(db, account_id, code(secret, at - STEP), at=at + dt.timedelta(seconds=5)) is None
    assert row(db, "dana").second_factor_step == pyotp.TOTP(secret).timecode(at)
    # The confirming code itself is used up too.
    assert accounts.attempt_code(db, account_id, code(secret, T0), at=T0 + dt.timedelta(seconds=3)) is None


def test_the_same_code_sent_four_times_at_once_is_accepted_once(pg_db: Database) -> None:
    # The real PostgreSQL: the account's row is locked while its last step is read and moved on.
    secret = enrolled(pg_db)
    account_id = row(pg_db, "dana").id
    at = T0 + 10 * STEP
    barrier = threading.Barrier(4)

    def send(_: int) -> bool:
        barrier.wait(timeout=30)
        return accounts.attempt_code(pg_db, account_id, code(secret, at), at=at) is not None

    with ThreadPoolExecutor(max_workers=4) as executor:
        assert sorted(executor.map(send, range(4))) == [False, False, False, True]


def test_wrong_codes_count_in_the_login_throttle_and_a_right_password_does_not_clear_them(db: Database) -> None:
    secret = enrolled(db)
    account_id = row(db, "dana").id
    remote = "203.0.113.7"
    at = T0 + 10 * STEP
    for minute in range(accounts.MAX_FAILURES):
        moment = at + dt.timedelta(minutes=minute)
        assert accounts.attempt_login(db, "dana", PASSWORD, remote=remote, at=moment) is not None
        assert accounts.attempt_code(db, account_id, "000000" if code(secret, moment) != "000000" else "111111",
                                     remote=remote, at=moment) is None  # fmt: skip
    moment = at + dt.timedelta(minutes=accounts.MAX_FAILURES)
    with pytest.raises(accounts.LoginThrottled):
        accounts.attempt_code(db, account_id, code(secret, moment), remote=remote, at=moment)
    with pytest.raises(accounts.LoginThrottled):
        accounts.attempt_login(db, "dana", PASSWORD, remote=remote, at=moment)
    # Another client is not affected; its right code is the login's success.
    assert accounts.attempt_code(db, account_id, code(secret, moment), remote="198.51.100.20", at=moment) is not None


def test_a_disabled_account_is_refused_even_with_a_right_code(db: Database) -> None:
    secret = enrolled(db)
    accounts.create_user(db, "root", "admin", PASSWORD, at=T0)
    accounts.set_disabled(db, "dana", True)
    assert accounts.attempt_code(db, row(db, "dana").id, code(secret, T0 + STEP), at=T0 + STEP) is None


# --- Removing it ----------------------------------------------------------------------------


def test_the_admin_removes_a_second_factor_and_every_session_of_the_account_ends(db: Database) -> None:
    enrolled(db)
    before = row(db, "dana").session_generation
    assert accounts.remove_second_factor(db, "dana", actor="user:admin", at=T0 + STEP) is True
    after = row(db, "dana")
    assert (after.second_factor_secret, after.second_factor_step, after.session_generation) == (None, None, before + 1)
    assert accounts.authenticate(db, "dana", PASSWORD).second_factor is False  # type: ignore[union-attr]
    assert audited(db, "dana")[-1] == ("remove_second_factor", {})
    assert accounts.remove_second_factor(db, "dana", actor="user:admin") is False  # none: nothing recorded
    assert audited(db, "dana")[-1] == ("remove_second_factor", {})


def test_an_officer_removes_their_own_with_a_current_code_and_a_wrong_one_counts(db: Database) -> None:
    secret = enrolled(db, role="clerk")
    at = T0 + 10 * STEP
    with pytest.raises(InvalidPayload) as wrong:
        accounts.remove_own_second_factor(db, "dana", "000000" if code(secret, at) != "000000" else "111111",
                                          actor="user:dana", remote="198.51.100.20", at=at)  # fmt: skip
    assert wrong.value.errors["code"][0].message == "account.code_wrong"
    assert accounts.retry_after(db, "dana", remote="198.51.100.20", at=at) is None  # one failure of five
    accounts.remove_own_second_factor(db, "dana", code(secret, at), actor="user:dana", remote="198.51.100.20", at=at)
    assert row(db, "dana").second_factor_secret is None
    assert audited(db, "dana")[-1] == ("remove_second_factor", {})


def test_where_the_operator_requires_one_an_officer_of_a_bound_role_cannot_remove_their_own(db: Database) -> None:
    secret = enrolled(db, role="court")
    with pytest.raises(InvalidPayload) as refused:
        accounts.remove_own_second_factor(db, "dana", code(secret, T0 + STEP), actor="user:dana", mode="required",
                                          at=T0 + STEP)  # fmt: skip
    assert refused.value.errors["code"][0].message == "account.second_factor_required"
    assert row(db, "dana").second_factor_secret == secret


def _run(db: Database, *args: str) -> tuple[int, str, str]:
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--database", url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_removes_the_second_factor_of_an_admin_locked_out_of_their_phone(db: Database) -> None:
    enrolled(db, "root", "admin")
    assert _run(db, "users", "second-factor-off", "root")[:2] == (0, "second factor of root removed\n")
    assert row(db, "root").second_factor_secret is None
    assert audited(db, "root")[-1] == ("remove_second_factor", {})
    with db.reading() as session:
        assert session.scalars(select(AuditEvent.actor).order_by(AuditEvent.seq.desc())).first() == "cli"
    assert _run(db, "users", "second-factor-off", "root")[:2] == (0, "root has no second factor\n")
    code_, _out, err = _run(db, "users", "second-factor-off", "nobody")
    assert code_ == 1 and "nobody" in err


# --- Whose account must have one --------------------------------------------------------------


def test_the_operator_requires_it_for_the_roles_the_roles_file_binds() -> None:
    assert roles.second_factor_roles() == frozenset({"commission", "court", "admin"})
    commission = accounts.Account(1, "dana", "commission", "", "")
    clerk = accounts.Account(2, "aru", "clerk", "", "")
    assert not accounts.must_enrol(commission, "optional")
    assert accounts.must_enrol(commission, "required") and not accounts.must_enrol(clerk, "required")
    assert not accounts.must_enrol(accounts.Account(1, "dana", "commission", "", "", second_factor=True), "required")


@pytest.mark.parametrize(("text", "message"), [
    ("", r"second_factor: expected a table"),
    ("[second_factor]\n", r"second_factor\.roles: expected a list of roles"),
    ("[second_factor]\nroles = [\"judge\"]\n", r"second_factor\.roles: unknown role 'judge'"),
])  # fmt: skip
def test_a_roles_file_without_a_good_second_factor_table_is_refused_with_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(roles.RolesError, match=message):
        roles.load_second_factor(path)


def test_the_setting_is_optional_by_default_and_a_bad_value_is_refused_naming_it(tmp_path: Path) -> None:
    assert load(environ={}).second_factor == "optional"
    assert load(environ={"REGISTRAR_AUTH_SECOND_FACTOR": "required"}).second_factor == "required"
    own = tmp_path / "registrar.toml"
    own.write_text('[auth]\nsecond_factor = "required"\n', encoding="utf-8")
    assert load(own, environ={}).second_factor == "required"
    with pytest.raises(SettingsError, match=r"auth\.second_factor .*expected 'optional' or 'required', got 'always'"):
        load(environ={"REGISTRAR_AUTH_SECOND_FACTOR": "always"})


# --- Issue 14: no password hash at import -------------------------------------------------------


def test_importing_the_accounts_hashes_no_password() -> None:
    # A fresh interpreter: the import of this one happened long ago. Every werkzeug hash counted.
    probe = (
        "import werkzeug.security as s\n"
        "made = []\n"
        "real = s.generate_password_hash\n"
        "s.generate_password_hash = lambda *a, **k: made.append(a) or real(*a, **k)\n"
        "import registrar.accounts, registrar.cli\n"
        "assert made == [], made\n"
        "registrar.accounts._dummy_hash(); registrar.accounts._dummy_hash()\n"
        "assert len(made) == 1, made\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_an_unknown_login_is_still_checked_against_a_hash_made_once(db: Database) -> None:
    assert accounts.authenticate(db, "nobody", PASSWORD) is None
    assert accounts._dummy_hash() is accounts._dummy_hash()
