"""The demo, built once per test session and backend and then copied into each test's empty database.

``demo.build`` costs 1.4 s on SQLite and 2.5 s on PostgreSQL; a copy of what it wrote costs a
few hundredths. :func:`build_demo` leaves the database exactly as ``demo.build`` on an empty
one does (every table's rows and every sequence where the build left it), which
``tests/registrar/test_demo_copies.py`` checks against a real build. Only for tests that start
from an empty database: those that add to a demo built among other records call
``demo.build`` itself.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from registrar import demo
from registrar.db import Database
from registrar.models import Base


@dataclass
class _Copy:
    """What one build wrote: a SQLite file, or PostgreSQL rows per table with the sequences' values."""

    sqlite_file: Path | None = None
    rows: dict[str, bytes] = field(default_factory=dict)
    sequences: dict[str, tuple[int, bool]] = field(default_factory=dict)


_BUILT: dict[tuple[str, dt.date | None], _Copy] = {}


def build_demo(database: Database, today: dt.date | None = None) -> str:
    """``demo.build(database, today)`` on an empty database, built for real the first time only."""
    backend = database.engine.dialect.name
    copy = _BUILT.get((backend, today))
    if copy is None:
        election = demo.build(database, today)
        _BUILT[(backend, today)] = _saved(database)
        return election
    if backend == "sqlite":
        assert copy.sqlite_file is not None
        database.engine.dispose()  # no pooled connection may hold the file while it is replaced
        with sqlite3.connect(copy.sqlite_file) as source, sqlite3.connect(_sqlite_path(database)) as target:
            source.backup(target)
    else:
        _restore_postgresql(database, copy)
    return demo.DEMO_ID


def _sqlite_path(database: Database) -> str:
    path = make_url(database.engine.url).database
    assert path, "a SQLite file, not :memory:"
    return path


def _libpq(database: Database) -> str:
    return database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _saved(database: Database) -> _Copy:
    if database.engine.dialect.name == "sqlite":
        database.engine.dispose()
        kept = Path(tempfile.mkdtemp(prefix="registrar-demo-")) / "demo.sqlite3"
        with sqlite3.connect(_sqlite_path(database)) as source, sqlite3.connect(kept) as target:
            source.backup(target)
        return _Copy(sqlite_file=kept)
    copy = _Copy()
    with psycopg.connect(_libpq(database)) as connection:
        for table in Base.metadata.sorted_tables:
            with connection.cursor().copy(sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table.name))) as out:
                copy.rows[table.name] = b"".join(bytes(chunk) for chunk in out)
        for name, value, called in connection.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value, last_value IS NOT NULL"
            " FROM pg_sequences"
        ):
            copy.sequences[name] = (value or 1, called)
    return copy


def _restore_postgresql(database: Database, copy: _Copy) -> None:
    with psycopg.connect(_libpq(database)) as connection:
        connection.execute('DELETE FROM "audit_head"')  # the migration's seed row: the build's replaces it
        for table in Base.metadata.sorted_tables:
            with connection.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(table.name))) as into:
                into.write(copy.rows[table.name])
        for name, (value, called) in copy.sequences.items():
            connection.execute("SELECT setval(%s::regclass, %s, %s)", (name, value, called))
