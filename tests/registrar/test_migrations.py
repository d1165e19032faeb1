"""Schema changes go through Alembic only: the head revision builds exactly the models'
schema on both databases, and the migrations run down to nothing and back up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from registrar import rules_in_force
from registrar.actions import calendar_of
from registrar.calendar import compute
from registrar.db import Database, alembic_config
from registrar.models import Base, Election
from registrar.rules import for_kind


def differences(connection: Connection) -> list[Any]:
    # The options env.py migrates with: types compared, batch mode on SQLite.
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": True, "render_as_batch": connection.dialect.name == "sqlite"},
    )
    return list(compare_metadata(context, Base.metadata))


def head() -> str:
    current = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(current) == 1, f"the migrations branch: heads {current}"
    return current[0]


def run_alembic(database: Database, action: str, revision: str) -> None:
    with database.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def revision_of(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_head_revision_matches_the_models(db: Database) -> None:
    # ``db`` is migrated by Database.upgrade(): a SQLite file, then the real PostgreSQL.
    assert revision_of(db) == head()
    with db.engine.connect() as connection:
        assert differences(connection) == []


def test_the_comparison_would_notice_a_difference(db: Database) -> None:
    # Guard against a comparison that always says "no differences".
    with db.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(text("DROP INDEX ix_audit_subject"))
        found = differences(connection)
        transaction.rollback()  # both databases have transactional DDL
        assert [d[0] for d in found] == ["add_index"]
        assert found[0][1].name == "ix_audit_subject"
        assert differences(connection) == []


def test_downgrade_to_base_then_upgrade_on_sqlite(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}")
    try:
        database.upgrade()
        assert revision_of(database) == head()

        run_alembic(database, "downgrade", "base")
        assert revision_of(database) is None
        with database.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}

        database.upgrade()
        assert revision_of(database) == head()
        with database.engine.connect() as connection:
            assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
            assert differences(connection) == []
    finally:
        database.dispose()


def test_every_revision_downgrades_one_step_and_upgrades_again(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'steps.sqlite3'}")
    try:
        script = ScriptDirectory.from_config(alembic_config())
        revisions = [r.revision for r in script.walk_revisions("base", "heads")]  # newest first
        database.upgrade()
        for revision in revisions:
            run_alembic(database, "downgrade", "-1")
            assert revision_of(database) == script.get_revision(revision).down_revision
        run_alembic(database, "upgrade", "head")
        assert revision_of(database) == head()
    finally:
        database.dispose()


def test_0007_gives_the_elections_already_announced_the_rules_file_in_force(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'backfill.sqlite3'}")
    try:
        run_alembic(database, "upgrade", "0006")
        with database.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO election (id, title, kind, announced_on, election_day, phase, version) "
                "VALUES ('kz-2029', 'Presidential election 2029', 'presidential', '2029-08-24', '2029-11-25', 'announced', 1)"
            ))  # fmt: skip
        run_alembic(database, "upgrade", "head")  # 0007 backfills; the models read the head's schema
        with database.reading() as session:
            election = session.get(Election, "kz-2029")
            assert election is not None
            in_force = rules_in_force.in_force("presidential")
            assert (election.rules_title, election.rules_sha256, election.rules_text) == (
                in_force.title, in_force.sha256, in_force.text)  # fmt: skip
            assert calendar_of(election).to_json() == compute(election.announced_on, election.election_day,
                                                              for_kind("presidential"), []).to_json()  # fmt: skip
    finally:
        database.dispose()
