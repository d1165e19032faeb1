"""The demo copied into a test's database is the demo built there (tests/demo_copies.py)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from registrar import demo
from registrar.db import Database
from registrar.models import Base
from tests.conftest import _empty_postgresql
from tests.demo_copies import build_demo

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
