"""Roles (who may do what), accounts, API tokens, login throttling and ``registrar users``."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from registrar import accounts, roles
from registrar.cli import main
from registrar.db import Database
from registrar.errors import InvalidPayload, NotFound
from registrar.machines import CANDIDACY_STEPS, TRIGGERS
from registrar.models import ApiToken, AuditEvent, LoginAttempt, UserAccount
from registrar.reasons import Said

PASSWORD = "correct horse battery"
T0 = dt.datetime(2029, 10, 1, 9, 0, tzinfo=dt.UTC)


# --- Roles -------------------------------------------------------------------------------


def test_every_trigger_and_action_has_a_role() -> None:
    missing = [action for action in roles.ACTIONS if not roles.roles_for(action)]
    assert missing == []
    assert set(TRIGGERS) <= set(roles.grants())


def test_who_decides_follows_the_law() -> None:
    assert roles.may("commission", "register") and not roles.may("clerk", "register")  # G2: the CEC registers
    assert roles.may("clerk", "record_document") and not roles.may("commission", "record_document")
    assert roles.may("revenue", "record_declaration_verification")  # G4
    assert roles.may("court", "dismiss_appeal") and not roles.may("commission", "uphold_appeal")  # G6
    assert roles.may("commission", "set_milestone") and roles.may("commission", "extend_nomination")  # V1, N7
    assert roles.may("admin", "manage_accounts") and not roles.may("clerk", "manage_accounts")
    assert roles.may("auditor", "read_audit")
    assert roles.triggers_for("revenue") == frozenset({"record_declaration_verification"})


@pytest.mark.parametrize("role", ["public", "auditor", "admin"])
def test_roles_that_change_no_candidacy(role: str) -> None:
    assert roles.triggers_for(role) == frozenset()
    reading = ("read_audit", "read_documents", "manage_accounts")  # reading, and the accounts: nothing of a candidacy changes
    assert not any(roles.may(role, a) for a in roles.OTHER_ACTIONS if a not in reading)


def test_unknown_roles_and_actions_are_refused() -> None:
    assert not roles.may("clerk", "no_such_action")
    assert not roles.may("superuser", "register")


def test_a_person_steps_roles_are_from_the_steps_table() -> None:
    # Where the machine says a human body acts, the role that may fire it is that body or the CEC's staff recording it.
    by = {"clerk": {"clerk"}, "commission": {"commission"}, "revenue": {"revenue"}, "court": {"court"},
          "candidate": {"clerk"}, "association": {"clerk"}, "system": {"commission"},
              "record": set()}  # fmt: skip
    # And another system loading a past election records every step (roles.toml: date_actions).
    for step in CANDIDACY_STEPS:
        assert roles.roles_for(step.trigger) == by[step.by] | roles.roles_for("date_actions"), step.trigger


ACTORS = "[actors]\n" + "".join(f'{actor} = ["clerk"]\n' for actor in roles.ACTORS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ACTORS + '[actions.no_such]\nroles = ["clerk"]\n', "actions.no_such: not an action"),
        (ACTORS + '[actions.nominate]\nroles = ["king"]\n', "actions.nominate.roles: unknown role 'king'"),
        (ACTORS + '[actions.nominate]\nroles = "clerk"\n', "actions.nominate.roles: expected a list"),
        # A step's roles follow from who it says acts: the file cannot give it others.
        (ACTORS + '[actions.register]\nroles = ["clerk"]\n', "actions.register: a step: who takes it is declared with the step"),
        (ACTORS.replace('court = ["clerk"]\n', ""), "actors: the steps name court: give their roles"),
        (ACTORS + 'king = ["admin"]\n', "actors.king: no step is taken by it"),
        (ACTORS.replace('revenue = ["clerk"]', 'revenue = ["treasurer"]'), "actors.revenue: unknown role 'treasurer'"),
        ("[actions\n", "roles.toml"),
    ],
)
def test_a_bad_roles_file_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(text)
    with pytest.raises(roles.RolesError, match=message.replace("[", r"\[").replace(".", r"\.")):
        roles.load(path)


# --- Accounts ------------------------------------------------------------------------------


def test_create_and_authenticate(db: Database) -> None:
    account_id = accounts.create_user(db, "aigul", "clerk", PASSWORD, full_name="Aigul Sadykova", at=T0)

    account = accounts.authenticate(db, "aigul", PASSWORD)
    assert account == accounts.Account(account_id, "aigul", "clerk", "Aigul Sadykova", "")
    assert accounts.authenticate(db, "aigul", "wrong password!") is None
    assert accounts.authenticate(db, "nobody", PASSWORD) is None
    with db.reading() as session:
        stored = session.scalar(select(UserAccount.password_hash))
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "create_account"))
    assert stored is not None and PASSWORD not in stored and stored.startswith("scrypt:")
    assert event is not None and event.subject_id == "aigul" and PASSWORD not in str(event.payload)


def test_create_names_every_bad_field(db: Database) -> None:
    with pytest.raises(InvalidPayload) as caught:
        accounts.create_user(db, "Bad Login", "king", "short", language="de")
    assert set(caught.value.errors) == {"login", "role", "password", "language"}
    accounts.create_user(db, "aigul", "clerk", PASSWORD)
    with pytest.raises(InvalidPayload) as again:
        accounts.create_user(db, "aigul", "court", PASSWORD)
    assert list(again.value.errors) == ["login"]


def test_a_disabled_account_cannot_log_in_nor_use_its_tokens(db: Database) -> None:
    account_id = accounts.create_user(db, "aigul", "clerk", PASSWORD)
    secret = accounts.issue_token(db, "aigul", "robot")
    accounts.set_disabled(db, "aigul", True)
    assert accounts.authenticate(db, "aigul", PASSWORD) is None
    assert accounts.account_for_token(db, secret) is None
    assert accounts.get(db, account_id) is None
    accounts.set_disabled(db, "aigul", False)
    assert accounts.get(db, account_id) is not None


def test_tokens_are_stored_hashed_scoped_rotated_and_revoked(db: Database) -> None:
    accounts.create_user(db, "court1", "court", PASSWORD)
    secret = accounts.issue_token(db, "court1", "robot", at=T0)

    with db.reading() as session:
        row = session.scalar(select(ApiToken))
    assert row is not None and row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    holder = accounts.token_holder(db, secret, at=T0 + dt.timedelta(minutes=5))
    assert holder is not None and holder[0].login == "court1" and holder[1] == "robot"
    assert accounts.account_for_token(db, secret, scope="feed") is None, "an API token is not a feed token"
    assert accounts.account_for_token(db, secret + "x") is None
    assert accounts.tokens_of(db, "court1")[0].last_used_at == T0 + dt.timedelta(minutes=5)

    rotated = accounts.issue_token(db, "court1", "robot")
    assert accounts.account_for_token(db, secret) is None, "a new token of the same name replaces the old one"
    assert accounts.account_for_token(db, rotated) is not None
    assert accounts.revoke_token(db, "court1", "robot") == 1
    assert accounts.account_for_token(db, rotated) is None
    with pytest.raises(NotFound):
        accounts.issue_token(db, "nobody", "robot")


# --- Throttling ------------------------------------------------------------------------------


def test_five_failures_throttle_the_login_for_fifteen_minutes(db: Database) -> None:
    accounts.create_user(db, "aigul", "clerk", PASSWORD)
    for minute in range(accounts.MAX_FAILURES):
        assert accounts.attempt_login(db, "aigul", "wrong", at=T0 + dt.timedelta(minutes=minute)) is None

    with pytest.raises(accounts.LoginThrottled) as caught:
        # Even the right password is not checked while throttled.
        accounts.attempt_login(db, "aigul", PASSWORD, at=T0 + dt.timedelta(minutes=5))
    assert caught.value.retry_after == dt.timedelta(minutes=10)
    assert "try again in 10 minutes" in str(caught.value)
    # Another login is not affected.
    assert accounts.retry_after(db, "someone-else", at=T0 + dt.timedelta(minutes=5)) is None
    # The oldest failure leaves the window after fifteen minutes: one more try is allowed.
    assert accounts.attempt_login(db, "aigul", PASSWORD, at=T0 + dt.timedelta(minutes=15, seconds=1)) is not None
    with db.reading() as session:
        assert len(list(session.scalars(select(LoginAttempt)))) == accounts.MAX_FAILURES + 1


def test_a_success_clears_the_earlier_failures(db: Database) -> None:
    accounts.create_user(db, "aigul", "clerk", PASSWORD)
    for minute in range(accounts.MAX_FAILURES - 1):
        accounts.attempt_login(db, "aigul", "wrong", at=T0 + dt.timedelta(minutes=minute))
    assert accounts.attempt_login(db, "AIGUL ", PASSWORD, at=T0 + dt.timedelta(minutes=4)) is not None
    accounts.attempt_login(db, "aigul", "wrong", at=T0 + dt.timedelta(minutes=5))
    assert accounts.retry_after(db, "aigul", at=T0 + dt.timedelta(minutes=6)) is None


# --- registrar users ------------------------------------------------------------------------


def _run(db: Database, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--database", url, *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_cli_creates_users_issues_tokens_and_lists(db: Database) -> None:
    code, out, _ = _run(db, "users", "create", "--role", "commission", "--full-name", "Dana K", "--password-stdin",
                        "dana", stdin=PASSWORD + "\n")  # fmt: skip
    assert (code, out.strip()) == (0, "account dana created: commission")
    assert accounts.authenticate(db, "dana", PASSWORD) is not None

    code, out, _ = _run(db, "users", "token", "dana", "robot")
    assert code == 0 and accounts.account_for_token(db, out.strip()) is not None

    code, out, _ = _run(db, "users", "list")
    assert code == 0 and "dana" in out and "commission" in out and "Dana K" in out

    code, _, err = _run(db, "users", "create", "--role", "clerk", "--password-stdin", "dana", stdin=PASSWORD + "\n")
    assert code == 1 and err.strip() == "registrar: invalid: login: an account 'dana' already exists"
    code, _, err = _run(db, "users", "create", "--role", "clerk", "--password-stdin", "eve", stdin="short\n")
    assert code == 1 and "password: at least 10 characters" in err
    code, _, err = _run(db, "users", "create", "--role", "king", "eve")
    assert code == 2 and "'king' is not one of" in err


# --- Changes the web makes too: roles, profile, one's own password, the last admin --------------


def _actions(db: Database, login: str) -> list[tuple[str, str, dict[str, object]]]:
    with db.reading() as session:
        return [(e.action, e.actor, e.payload) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == login).order_by(AuditEvent.seq))]  # fmt: skip


def test_a_problem_is_english_words_with_a_message_id_and_its_parameters(db: Database) -> None:
    with pytest.raises(InvalidPayload) as caught:
        accounts.create_user(db, "aigul", "clerk", "short")
    problem = caught.value.errors["password"][0]
    assert isinstance(problem, Said)
    assert (str(problem), problem.message, problem.params) == ("at least 10 characters", "account.password_short", {"count": 10})
    assert caught.value.as_dict()["errors"] == {"password": ["at least 10 characters"]}
    assert problem.said("kk") == "құпиясөзде кемінде 10 таңба болуы тиіс"
    assert problem.said("ru") == "пароль должен содержать не менее 10 символов"


def test_set_role_is_audited_with_both_roles(db: Database) -> None:
    accounts.create_user(db, "aigul", "clerk", PASSWORD)
    accounts.set_role(db, "aigul", "commission", actor="user:boss", at=T0)
    accounts.set_role(db, "aigul", "commission", actor="user:boss")  # no change, no event
    assert accounts.account(db, "aigul")[0].role == "commission"
    assert _actions(db, "aigul")[1:] == [("set_role", "user:boss", {"from": "clerk", "to": "commission"})]
    with pytest.raises(InvalidPayload) as caught:
        accounts.set_role(db, "aigul", "king")
    assert caught.value.errors["role"][0].message == "account.role_unknown"


def test_the_last_enabled_admin_stays_an_enabled_admin(db: Database) -> None:
    accounts.create_user(db, "root", "admin", PASSWORD)
    for change, field in ((lambda: accounts.set_disabled(db, "root", True), "disabled"),
                          (lambda: accounts.set_role(db, "root", "clerk"), "role")):  # fmt: skip
        with pytest.raises(InvalidPayload) as caught:
            change()
        assert caught.value.errors[field][0].message == "account.last_admin"
    accounts.create_user(db, "second", "admin", PASSWORD)
    accounts.set_disabled(db, "second", True)
    with pytest.raises(InvalidPayload):
        accounts.set_disabled(db, "root", True)  # the other admin is disabled: root is the last one
    accounts.set_disabled(db, "second", False)
    accounts.set_role(db, "root", "auditor")
    assert accounts.account(db, "root")[0].role == "auditor"
    with pytest.raises(InvalidPayload):
        accounts.set_disabled(db, "second", True)


def test_an_officer_cannot_disable_nor_re_role_themselves(db: Database) -> None:
    accounts.create_user(db, "root", "admin", PASSWORD)
    accounts.create_user(db, "other", "admin", PASSWORD)
    with pytest.raises(InvalidPayload) as caught:
        accounts.set_disabled(db, "root", True, by="root")
    assert caught.value.errors["disabled"][0].message == "account.own_account"
    with pytest.raises(InvalidPayload):
        accounts.set_role(db, "root", "clerk", by="root")
    accounts.set_disabled(db, "root", True, by="other")
    assert accounts.account(db, "root")[1] is True


def test_changing_ones_own_password_needs_the_current_one_and_a_wrong_one_counts_as_a_failed_login(db: Database) -> None:
    accounts.create_user(db, "aigul", "clerk", PASSWORD)
    with pytest.raises(InvalidPayload) as caught:
        accounts.change_own_password(db, "aigul", "wrong", "short", actor="user:aigul", at=T0)
    assert {f: [p.message for p in ps] for f, ps in caught.value.errors.items()} == {
        "current_password": ["account.password_wrong"], "password": ["account.password_short"]}  # fmt: skip
    assert accounts.authenticate(db, "aigul", PASSWORD) is not None, "nothing changed"
    for minute in range(1, accounts.MAX_FAILURES):
        with pytest.raises(InvalidPayload):
            accounts.change_own_password(db, "aigul", "wrong", "a new long password", actor="user:aigul",
                                         at=T0 + dt.timedelta(minutes=minute))  # fmt: skip
    with pytest.raises(accounts.LoginThrottled):
        accounts.change_own_password(db, "aigul", PASSWORD, "a new long password", actor="user:aigul",
                                     at=T0 + dt.timedelta(minutes=6))  # fmt: skip

    accounts.change_own_password(db, "aigul", PASSWORD, "a new long password", actor="user:aigul", at=T0 + dt.timedelta(hours=1))
    assert accounts.authenticate(db, "aigul", "a new long password") is not None
    assert _actions(db, "aigul")[-1][:2] == ("set_password", "user:aigul")


def test_set_profile_changes_what_it_is_given_and_audits_only_a_change(db: Database) -> None:
    accounts.create_user(db, "aigul", "clerk", PASSWORD)
    accounts.set_profile(db, "aigul", full_name=" Aigul Sadykova ", actor="user:aigul")
    accounts.set_profile(db, "aigul", language="ru", actor="user:aigul")
    accounts.set_profile(db, "aigul", language="ru", full_name="Aigul Sadykova", actor="user:aigul")
    shown = accounts.account(db, "aigul")[0]
    assert (shown.full_name, shown.language) == ("Aigul Sadykova", "ru")
    assert [(a, p) for a, _, p in _actions(db, "aigul")[1:]] == [
        ("set_profile", {"full_name": "Aigul Sadykova"}), ("set_profile", {"language": "ru"})]  # fmt: skip
    with pytest.raises(InvalidPayload) as caught:
        accounts.set_profile(db, "aigul", language="de", full_name="x" * 301)
    assert set(caught.value.errors) == {"language", "full_name"}
    with pytest.raises(NotFound):
        accounts.account(db, "nobody")


def test_cli_changes_roles_and_profiles_and_refuses_to_lose_the_last_admin(db: Database) -> None:
    accounts.create_user(db, "root", "admin", PASSWORD)
    accounts.create_user(db, "dana", "clerk", PASSWORD)
    code, out, _ = _run(db, "users", "role", "dana", "commission")
    assert (code, out.strip()) == (0, "account dana: commission")
    code, out, _ = _run(db, "users", "profile", "--full-name", "Dana K", "--language", "kk", "dana")
    assert code == 0 and accounts.account(db, "dana")[0] == accounts.Account(accounts.account(db, "dana")[0].id, "dana",
                                                                            "commission", "Dana K", "kk")  # fmt: skip
    code, _, err = _run(db, "users", "disable", "root")
    assert code == 1 and err.strip() == "registrar: invalid: disabled: the last enabled admin account must stay an enabled admin"
    assert _actions(db, "dana")[-2][:2] == ("set_role", "cli")
