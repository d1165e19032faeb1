"""Alembic environment: runs on the connection the caller gives, or on REGISTRAR_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from registrar.db import make_engine
from registrar.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        run(given)
    else:
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            run(connection)
        engine.dispose()
