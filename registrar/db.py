"""The database: SQLite file by default (WAL), PostgreSQL through REGISTRAR_DATABASE_URL.

Schema changes go through Alembic only (``registrar db upgrade``), from the first table on.
"""

from __future__ import annotations

import contextvars
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, Table, create_engine, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///registrar.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    return os.environ.get("REGISTRAR_DATABASE_URL", DEFAULT_URL)


def _normalise(url: str) -> str:
    # psycopg 3 is the driver; people write plain postgresql:// URLs.
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = _normalise(url or database_url())
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, say when a transaction begins (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # One writer at a time, taken at BEGIN: a read-then-write transaction never fails
        # half-way on a lock upgrade, it waits its turn (busy timeout above).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def json_dumper(*, sort_keys: bool = False, default: Callable[[Any], Any] | None = None) -> Callable[[Any], str]:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False, ...)``, its encoder's settings built once.

    The same text, byte for byte, as ``json.dumps`` with those arguments: the audit chain hashes
    it, so any other form would need the chain to say which form each event was hashed in.
    """
    encoder = json.JSONEncoder(sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False, default=default or _unserialisable)
    return encoder.encode


def _unserialisable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_compact = json_dumper()


def dialect_insert(table: Table, dialect: str) -> Any:
    """The INSERT of ``dialect`` (``postgresql`` or ``sqlite``), whose ON CONFLICT clauses both databases share."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


class JSONText(str):
    """A JSON value already dumped: :func:`insert_many` writes it to a JSON column as it is."""


def insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction, as fast as the database allows.

    PostgreSQL: COPY, several times faster than an INSERT per row for the sweep's bursts
    (audit events and outbox rows by the hundred thousand). Elsewhere: executemany.
    Every row has the keys of the first.
    """
    if not rows:
        return
    connection = session.connection()
    columns = list(rows[0])
    json_columns = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
    if connection.dialect.name != "postgresql":
        named = [columns[i] for i in json_columns]
        session.execute(insert(table), [_loaded(row, named) for row in rows] if named else rows)
        return
    names = ", ".join(f'"{name}"' for name in columns)
    values = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    # In text COPY a string is parsed by the server as the column's type: JSON goes as its text,
    # dumped once per object (the rows of one message share their payload).
    dumped: dict[int, str] = {}

    def text_of(value: Any) -> str:
        if isinstance(value, JSONText):
            return value
        key = id(value)
        if key not in dumped:
            dumped[key] = _compact(value)
        return dumped[key]

    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            line = list(values(row))
            for i in json_columns:
                line[i] = text_of(line[i])
            copy.write_row(line)


def _loaded(row: dict[str, Any], json_columns: list[str]) -> dict[str, Any]:
    """The row for SQLAlchemy's JSON type, which dumps what it is given: dumped text is loaded back."""
    return row | {name: json.loads(row[name]) for name in json_columns if isinstance(row[name], JSONText)}


class Database:
    """An engine and its session factory; ``transaction()`` is one unit of work."""

    def __init__(self, url: str | None = None, **engine_kwargs: Any):
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._whole: contextvars.ContextVar[Session | None] = contextvars.ContextVar(f"whole-{id(self)}", default=None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        whole = self._whole.get()
        if whole is not None:
            # Inside :meth:`as_one`: a savepoint of the one transaction, so a refused action undoes
            # its own writes and the rest goes on to be judged.
            with whole.begin_nested():
                yield whole
            return
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        whole = self._whole.get()
        if whole is not None:
            yield whole  # what the one transaction wrote so far, which no other session sees yet
            return
        with self.sessions() as session:
            yield session

    @contextmanager
    def as_one(self) -> Iterator[Session]:
        """Every :meth:`transaction` and :meth:`reading` inside is this one transaction: it all
        commits when the block ends, or none of it does (an import of a past election: nothing of
        it is seen, by a page or by the deadline sweep, before the whole of it is there)."""
        with self.sessions.begin() as session:
            token = self._whole.set(session)
            try:
                yield session
            finally:
                self._whole.reset(token)

    def upgrade(self, revision: str = "head") -> None:
        from alembic import command

        with self.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", _normalise(database_url()).replace("%", "%%"))
    return config
