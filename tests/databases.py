"""A database for a module of tests: a copy of the migrated SQLite template, or the session's
PostgreSQL with every table emptied (tests/conftest.py's fixtures make both)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registrar.db import Database
from tests.conftest import _empty_postgresql


def sqlite_copy(template: Path, folder: Path) -> Database:
    """A fresh SQLite file in ``folder``, copied from the migrated template (copying costs less than migrating)."""
    target = folder / "registrar.sqlite3"
    shutil.copy(template, target)
    return Database(f"sqlite:///{target}")


def module_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str) -> Database:
    """The empty database of a module-scoped fixture parametrized over the backends (``request.param``)."""
    if request.param == "sqlite":
        return sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp(name))
    return _empty_postgresql(request.getfixturevalue("pg_url"))
