"""A territorial election commission's officer (issue 12): an account tied to one unit, which owes
and sends its own unit's protocol (V3) and no other's.

The count is :func:`tests.registrar.test_results.count_ahead`'s: the 2029 election with its ballot
fixed, three hours into the count; its V3 row falls due at 24:00 on the second day after the vote.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registrar import accounts, audit, duties, results, sweep
from registrar.db import Database
from registrar.errors import InvalidPayload, NotAllowed
from registrar.models import Protocol, UserAccount
from registrar.reasons import Said
from registrar.rules import Rules

from .conftest import ELECTION_ID
from .test_results import CLERK, HOUR, Vote, count_ahead, count_rows, election_deadline, national

PASSWORD = "a long enough password"


def unit_duties(vote: Vote, unit: str, now: object, **kw: object) -> list[duties.Duty]:
    return duties.duties(vote.db, role="territorial", unit=unit, now=now, **kw)  # type: ignore[arg-type]


def by_code(vote: Vote) -> dict[str, dict[str, object]]:
    a, b = vote.ids
    return {p["unit"]: p for p in national({a: 700_000, b: 300_000})}


# --- The queue ----------------------------------------------------------------------------------


def test_a_territorial_officer_owes_its_units_protocol_due_then_overdue_after_the_sweep_then_done(
    db: Database, rules: Rules
) -> None:
    vote = count_ahead(db, rules, 2)
    payloads = by_code(vote)
    others = [p for code, p in payloads.items() if code not in ("AST", "ALA")]
    vote.submit(others)
    due = election_deadline(db, "protocols_due")

    [owed] = unit_duties(vote, "AST", vote.counting)
    assert (owed.kind, owed.unit, owed.round, owed.status, owed.due_at) == ("protocols_due", "AST", 1, "due", due.due_at)
    assert owed.late_by is None and owed.election_id == ELECTION_ID
    # A unit whose protocol is in owes nothing; without its unit the role owes nothing at all.
    assert unit_duties(vote, "ABA", vote.counting) == []
    assert [d.status for d in unit_duties(vote, "ABA", vote.counting, include_done=True)] == ["done"]
    assert duties.duties(db, role="territorial", now=vote.counting) == []

    assert sweep.sweep(db, due.due_at).fired["protocols_due"] == 1
    later = due.due_at + 2 * HOUR
    [overdue] = unit_duties(vote, "AST", later)
    assert (overdue.status, overdue.late_by, overdue.recorded) == ("overdue", 2 * HOUR, "fired")
    assert [d.status for d in unit_duties(vote, "ALA", later)] == ["overdue"]

    vote.submit([payloads["AST"]], at=later)
    assert unit_duties(vote, "AST", later + HOUR) == []
    [done] = unit_duties(vote, "AST", later + HOUR, include_done=True)
    assert (done.status, done.done_at) == ("done", later)
    # The other unit still owes its own; the CEC's staff keep the whole election's duty until it is in.
    assert [d.status for d in unit_duties(vote, "ALA", later + HOUR)] == ["overdue"]
    [whole] = duties.duties(db, role="clerk", now=later + HOUR, kind="protocols_due")
    assert whole.status == "overdue" and whole.unit is None


def test_the_territorial_officer_owes_the_protocols_and_nothing_else_and_takes_no_shared_row(db: Database, rules: Rules) -> None:
    assert duties.kinds_for("territorial") == ["protocols_due"]
    vote = count_ahead(db, rules, 2)
    due = election_deadline(db, "protocols_due")
    with pytest.raises(NotAllowed):
        duties.take(db, due.id, login="tec-ast", role="territorial", now=vote.counting)
    duties.take(db, due.id, login="clerk-1", role="clerk", now=vote.counting)


# --- Sending a protocol -------------------------------------------------------------------------


def test_a_territorial_officer_sends_its_own_units_protocol_and_no_other_nothing_stored(db: Database, rules: Rules) -> None:
    vote = count_ahead(db, rules, 2)
    payloads = by_code(vote)
    with pytest.raises(InvalidPayload) as refused:
        results.submit_protocol(db, ELECTION_ID, payloads["ALA"], actor="user:tec-ast", at=vote.counting, acting_for="AST")
    [message] = refused.value.errors["unit"]
    assert isinstance(message, Said) and message.message == "protocol.not_your_unit"
    assert message.said("kk") == ("сіз тек өз бірлігіңіздің (Астана қаласы) хаттамасын тапсырасыз; "
                                  "Алматы қаласы хаттамасын өз комиссиясы тапсырады")  # fmt: skip
    assert "город Алматы" in message.said("ru") and "город Астана" in message.said("ru")
    # An officer whose account names no unit sends none.
    with pytest.raises(InvalidPayload) as refused:
        results.submit_protocol(db, ELECTION_ID, payloads["AST"], actor="user:tec", at=vote.counting, acting_for="")
    assert refused.value.errors["unit"][0].message == "protocol.no_unit_of_yours"
    assert count_rows(db, Protocol) == 0

    view = results.submit_protocol(db, ELECTION_ID, payloads["AST"], actor="user:tec-ast", at=vote.counting,
                                   acting_for="AST")  # fmt: skip
    assert (view["unit"], view["version"]) == ("AST", 1)
    results.submit_protocol(db, ELECTION_ID, payloads["ALA"], actor=CLERK, at=vote.counting)  # the CEC's staff: any unit
    with pytest.raises(InvalidPayload) as refused:
        results.submit_protocol(db, ELECTION_ID, payloads["ALA"] | {"reason": "re-added"}, actor="user:tec-ast",
                                at=vote.counting + HOUR, correction=True, acting_for="AST")  # fmt: skip
    assert refused.value.errors["unit"][0].message == "protocol.not_your_unit"
    results.submit_protocol(db, ELECTION_ID, payloads["AST"] | {"reason": "re-added"}, actor="user:tec-ast",
                            at=vote.counting + HOUR, correction=True, acting_for="AST")  # fmt: skip
    with db.reading() as session:
        kept = sorted((p.unit, p.version) for p in session.scalars(select(Protocol)))
    assert kept == [("ALA", 1), ("AST", 1), ("AST", 2)]


# --- The account's unit -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "unit", "message", "kk", "ru"),
    [
        ("territorial", "", "account.unit_required", "аумақтық сайлау комиссиясының қызметкері", "выберите её"),
        ("territorial", "XYZ", "account.unit_unknown", "«XYZ» кодымен аумақтық бірлік жоқ", "с кодом «XYZ» нет"),
        ("clerk", "AST", "account.unit_not_for_role", "бос қалдырыңыз", "оставьте поле пустым"),
    ],
)
def test_the_unit_is_required_for_a_territorial_officer_known_and_refused_for_any_other_role(
    db: Database, role: str, unit: str, message: str, kk: str, ru: str
) -> None:
    with pytest.raises(InvalidPayload) as refused:
        accounts.create_user(db, "tec-1", role, PASSWORD, unit=unit)
    [said] = refused.value.errors["unit"]
    assert list(refused.value.errors) == ["unit"] and said.message == message
    assert kk in said.said("kk") and ru in said.said("ru")
    assert count_rows(db, UserAccount) == 0


def test_the_unit_goes_with_the_role_and_every_change_is_audited(db: Database) -> None:
    accounts.create_user(db, "tec-1", "territorial", PASSWORD, unit=" ast ", actor="user:root")
    assert accounts.account(db, "tec-1")[0].unit == "AST"
    accounts.create_user(db, "aigul", "clerk", PASSWORD)
    with pytest.raises(InvalidPayload) as refused:
        accounts.set_role(db, "aigul", "territorial")
    assert refused.value.errors["unit"][0].message == "account.unit_required"
    assert accounts.account(db, "aigul")[0] == accounts.Account(accounts.account(db, "aigul")[0].id, "aigul", "clerk", "", "")
    accounts.set_role(db, "aigul", "territorial", unit="ALA", actor="user:root")
    accounts.set_role(db, "aigul", "territorial", unit="ALA", actor="user:root")  # no change, no event
    accounts.set_role(db, "tec-1", "territorial", unit="SHY", actor="user:root")
    accounts.set_role(db, "tec-1", "clerk", actor="user:root")
    assert (accounts.account(db, "aigul")[0].unit, accounts.account(db, "tec-1")[0]) == (
        "ALA", accounts.Account(accounts.account(db, "tec-1")[0].id, "tec-1", "clerk", "", "", None))  # fmt: skip
    with db.reading() as session:
        trail = [(e.subject_id, e.action, e.payload) for e in audit.history(session, "account", "tec-1")]
        trail += [(e.subject_id, e.action, e.payload) for e in audit.history(session, "account", "aigul")][1:]
    assert trail == [
        ("tec-1", "create_account", {"role": "territorial", "full_name": "", "unit": "AST"}),
        ("tec-1", "set_role", {"from": "territorial", "to": "territorial", "from_unit": "AST", "unit": "SHY"}),
        ("tec-1", "set_role", {"from": "territorial", "to": "clerk", "from_unit": "SHY", "unit": None}),
        ("aigul", "set_role", {"from": "clerk", "to": "territorial", "from_unit": None, "unit": "ALA"}),
    ]


def test_the_command_line_gives_and_changes_the_unit_and_names_what_is_wrong(db: Database) -> None:
    from click.testing import CliRunner

    from registrar.cli import main

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        url = db.engine.url.render_as_string(hide_password=False)
        result = CliRunner().invoke(main, ["--database", url, "users", *args], input=stdin)
        return result.exit_code, result.stdout, result.stderr

    code, _, err = run("create", "--role", "territorial", "--password-stdin", "tec-ast", stdin=PASSWORD + "\n")
    assert code == 1 and err.strip() == (
        "registrar: invalid: unit: a territorial election commission's officer acts for one territorial unit: choose it"
    )
    code, out, _ = run("create", "--role", "territorial", "--unit", "ast", "--password-stdin", "tec-ast", stdin=PASSWORD + "\n")
    assert (code, out.strip()) == (0, "account tec-ast created: territorial of AST")
    code, _, err = run("role", "--unit", "XYZ", "tec-ast", "territorial")
    assert code == 1 and "unit: no territorial unit has the code 'XYZ'" in err
    assert run("role", "--unit", "ALA", "tec-ast", "territorial")[:2] == (0, "account tec-ast: territorial of ALA\n")
    code, out, _ = run("list")
    assert code == 0 and "territorial ALA" in out
