"""Alembic environment: the URL comes from store.db; batch mode on SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from store.db import database_url, is_sqlite, make_engine
from store.models import Base, include_object


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=is_sqlite(str(connection.engine.url)),
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    url = config.attributes.get("archivist_url") or database_url(
        config.get_main_option("sqlalchemy.url")
    )
    engine = make_engine(url)
    with engine.connect() as conn:
        run_with(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_online()
