"""A state copied into a test's database is the state built there (tests/demo_copies.py): the demo,
and an election walked to its count (test_results.count_ahead), rows, sequences and the value."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from registrar import actions, demo
from registrar.db import Database
from registrar.models import Base
from registrar.rules import Rules
from tests.conftest import _empty_postgresql
from tests.demo_copies import build_demo, copied

from .conftest import copied_world
from .test_results import built_count, count_ahead

TODAY = dt.date(2029, 10, 1)


def _everything(database: Database) -> dict[str, Any]:
    with database.engine.connect() as connection:
        rows = {t.name: sorted(map(tuple, connection.execute(t.select()).all()), key=repr) for t in Base.metadata.sorted_tables}
        if database.engine.dialect.name == "postgresql":
            rows["sequences"] = connection.execute(text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")).all()
    return rows


def _empty_again(database: Database, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    database.dispose()
    if database.engine.dialect.name == "postgresql":
        return _empty_postgresql(request.getfixturevalue("pg_url"))
    tmp_path.mkdir(exist_ok=True)
    target = tmp_path / "again.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), target)
    return Database(f"sqlite:///{target}")


def test_a_copied_demo_is_the_demo_built(db: Database, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    build_demo(db, TODAY)  # the first of this worker's: built, and kept
    again = _empty_again(db, request, tmp_path)
    assert build_demo(again, TODAY) == demo.DEMO_ID  # copied
    copied = _everything(again)
    built = _empty_again(again, request, tmp_path / "built")
    demo.build(built, TODAY)
    assert copied == _everything(built)
    assert len(copied["audit_event"]) > 100
    built.dispose()


def test_a_copied_count_is_the_count_built_and_its_value_is_rebound(
    db: Database, rules: Rules, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The rows and sequences of count_ahead's copy are those of a real build on an empty database, and
    the Vote handed back is the build's, on the test's database, with lists of its own."""
    first = count_ahead(db, rules, 3)  # built, or copied if this worker built it before
    first.ids.append(-1)
    first.world.associations.clear()
    again = _empty_again(db, request, tmp_path)
    vote = count_ahead(again, rules, 3)  # copied
    assert vote.db is again and vote.world.db is again and vote.rules is rules
    state = _everything(again)
    built = _empty_again(again, request, tmp_path / "built")
    real = built_count(built, rules, 3)
    assert state == _everything(built)
    assert len(state["candidacy"]) == 3 and len(state["audit_event"]) > 50
    assert vote.ids == real.ids and replace(vote.world, db=built) == real.world, "what the test changed was its own"
    # The copy is a starting point: the test goes on through the real actions, and the next copy is the same again.
    death = {"number": "D-1", "decided_on": vote.day(vote.counting), "reason": "certificate"}
    vote.world.act(vote.ids[0], "record_death", death, at=vote.counting)
    assert actions.show_candidacy(again, vote.ids[0])["state"] == "deceased"
    fresh = _empty_again(built, request, tmp_path / "fresh")
    count_ahead(fresh, rules, 3)
    assert _everything(fresh) == state
    fresh.dispose()


def test_each_key_is_a_state_of_its_own_and_only_an_empty_database_is_copied_into(db: Database, rules: Rules) -> None:
    two = count_ahead(db, rules, 2)
    assert len(two.ids) == 2 and len(_everything(db)["candidacy"]) == 2
    with pytest.raises(AssertionError, match="empty database"):
        copied_world(db, rules)
    with pytest.raises(AssertionError, match="empty database"):
        copied(db, "never built", lambda _: pytest.fail("not built on a database that holds rows"), lambda value, _: value)
