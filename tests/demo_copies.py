"""States built once per test session, backend and key, then copied into each test's empty database.

``demo.build`` costs 1.4 s on SQLite and 2.5 s on PostgreSQL, an election walked to its count
about half a second; a copy of what they wrote costs a few hundredths. :func:`copied` runs a
builder on the empty database of the ``db`` fixture the first time this worker asks for its key
on that backend, keeps what it wrote (SQLite: the file, through the backup API; PostgreSQL: each
table's rows by COPY, and the sequences) and the value it returned; afterwards it writes the
same rows into the next empty database and hands back the value rebound to that database. The
database is then exactly as the builder leaves an empty one (every table's rows and every
sequence), which ``tests/registrar/test_demo_copies.py`` checks against real builds.

A builder qualifies when what it writes follows from its key alone: every action at an explicit
moment (a day taken from the clock once per session is part of the key), no random values,
nothing read that the empty database does not hold. The rules and territory files in force are
part of every key (tests that put an edited file in force build for real). The kept value is
never handed out: ``rebind`` makes each test its own, so a test that changes it changes only
its own, and none holds another test's database. A test that adds to a copied state does so
through the real actions, as before.

Each xdist worker is a process with its own states (this module's dict); a state is kept until
the worker ends.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from sqlalchemy import exists, literal, select, union_all
from sqlalchemy.engine import make_url

from registrar import demo, resources, territory
from registrar.db import Database
from registrar.models import Base

T = TypeVar("T")


@dataclass
class _Copy:
    """What one build wrote: a SQLite file, or PostgreSQL rows per table with the sequences' values."""

    sqlite_file: Path | None = None
    rows: dict[str, bytes] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)


_KEPT: dict[tuple[Hashable, ...], tuple[_Copy, Any]] = {}
_FOLDER: Path | None = None


def copied(database: Database, key: Hashable, build: Callable[[Database], T], rebind: Callable[[T, Database], T]) -> T:
    """``build(database)`` on an empty database: built for real the first time this worker meets ``key``
    on this backend, copied afterwards; returns ``rebind(value, database)`` of the value the build returned.

    ``key`` names everything ``build`` depends on besides the backend and the files in force.
    """
    assert _empty(database), "copied() starts from the empty database of the db fixture"
    whole = (database.engine.dialect.name, key, _files_in_force())
    kept = _KEPT.get(whole)
    if kept is None:
        value = build(database)
        kept = _KEPT[whole] = (_saved(database, len(_KEPT)), value)
    else:
        _restore(database, kept[0])
    return rebind(kept[1], database)


def build_demo(database: Database, today: dt.date | None = None) -> str:
    """``demo.build(database, today)`` on an empty database, built for real the first time only."""
    return copied(database, ("demo.build", today), lambda built: demo.build(built, today), lambda election, _: election)


def _files_in_force() -> tuple[str, str]:
    """What decides which rules, roles, messages and territory an announcement or an action reads."""
    return os.environ.get(resources.ENVIRONMENT_VARIABLE, ""), os.environ.get(territory.ENVIRONMENT_VARIABLE, "")


def _empty(database: Database) -> bool:
    # audit_head is left out: the migration seeds it, and the emptying on PostgreSQL deletes it.
    tables = [table for table in Base.metadata.sorted_tables if table.name != "audit_head"]
    any_row = union_all(*(select(literal(1)).where(exists().select_from(table)) for table in tables))
    with database.engine.connect() as connection:
        return connection.execute(any_row).first() is None


def _sqlite_path(database: Database) -> str:
    path = make_url(database.engine.url).database
    assert path, "a SQLite file, not :memory:"
    return path


def _libpq(database: Database) -> str:
    return database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _folder() -> Path:
    global _FOLDER
    if _FOLDER is None:
        _FOLDER = Path(tempfile.mkdtemp(prefix="registrar-copies-"))
        atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
    return _FOLDER


def _saved(database: Database, number: int) -> _Copy:
    if database.engine.dialect.name == "sqlite":
        database.engine.dispose()  # the last connection to close checkpoints the WAL into the file
        kept = _folder() / f"{number}.sqlite3"
        with sqlite3.connect(_sqlite_path(database)) as source, sqlite3.connect(kept) as target:
            source.backup(target)
        return _Copy(sqlite_file=kept)
    copy = _Copy()
    with psycopg.connect(_libpq(database)) as connection:
        for table in Base.metadata.sorted_tables:
            with connection.cursor().copy(sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table.name))) as out:
                rows = b"".join(bytes(chunk) for chunk in out)
            if rows:
                copy.rows[table.name] = rows
        # A sequence never called is where the emptying leaves every sequence: only the others are set.
        for name, value in connection.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value FROM pg_sequences"
            " WHERE last_value IS NOT NULL"
        ):
            copy.sequences[name] = value
    return copy


def _restore(database: Database, copy: _Copy) -> None:
    if copy.sqlite_file is not None:
        database.engine.dispose()  # no pooled connection may hold the file while it is replaced
        with sqlite3.connect(copy.sqlite_file) as source, sqlite3.connect(_sqlite_path(database)) as target:
            source.backup(target)
        return
    with psycopg.connect(_libpq(database)) as connection:
        connection.execute('DELETE FROM "audit_head"')  # the migration's seed row, if any: the build's replaces it
        for table in Base.metadata.sorted_tables:  # parents first, for the foreign keys
            if table.name in copy.rows:
                with connection.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(table.name))) as into:
                    into.write(copy.rows[table.name])
        if copy.sequences:
            names, values = zip(*copy.sequences.items(), strict=True)
            connection.execute(
                "SELECT setval(name::regclass, value) FROM unnest(%s::text[], %s::bigint[]) AS s(name, value)",
                (list(names), list(values)),
            )
