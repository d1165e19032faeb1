"""The transitions benchmark at a tiny size on SQLite: every table and target line printed, the
grown tables holding the rows asked for, the chain still linked onto the grown head.

Nothing here looks at a timing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import func, select

from bench import transitions
from registrar import actions
from registrar.db import Database
from registrar.models import AuditEvent, AuditHead, Candidacy, Deadline, OutboxMessage


def test_the_bench_prints_cpu_statements_and_growth() -> None:
    parser = argparse.ArgumentParser()
    transitions.add_arguments(parser)
    args = parser.parse_args(["--backend", "sqlite", "--n", "24", "--raw-n", "4", "--rounds", "1", "--grow", "40,80"])
    result = transitions.measure("sqlite", args)
    report = transitions.report([result], transitions.bare_machine(100), args)
    assert "CPU ms/op" in report and "this process's CPU" in report
    assert [g.rows for g in result.growth] == [40, 80]
    assert all(g.mix.n == 24 and g.lean.n == 24 for g in result.growth)
    growth = report.split("sqlite: an action as the tables grow")[1]
    assert [line.split("|")[0].strip() for line in growth.splitlines()[3:5]] == ["40", "80"]
    mix = next(row for row in result.rows if row.operation.startswith("perform()"))
    assert mix.statements_per_op is not None and mix.statements_per_op <= transitions.TARGET_STATEMENTS


def test_grown_tables_hold_the_rows_and_actions_chain_on(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'grown.sqlite3'}")
    db.upgrade()
    world = transitions.announce(db)
    plan = world.plan(3)
    transitions.grow_to(db, 50)
    transitions.grow_to(db, 50)  # grown to a size it has: nothing more
    with db.reading() as session:
        for model in (Candidacy, Deadline, AuditEvent, OutboxMessage):
            assert session.scalar(select(func.count()).select_from(model)) >= 50, model.__tablename__
        head = session.get(AuditHead, 1)
        assert head is not None and head.last_seq == session.scalar(select(func.max(AuditEvent.seq)))
    outcome = actions.perform(db, plan[0].candidacy_id, plan[0].trigger, plan[0].payload, actor="test", at=plan[0].at)
    with db.reading() as session:
        assert session.get(AuditEvent, outcome.event_seq).prev_hash == "f" * 64  # onto the grown head
    db.dispose()
