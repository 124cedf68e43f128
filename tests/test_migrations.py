"""Migrations upgrade an empty database to head with no drift from the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from store.db import (
    SCHEMA_HEAD,
    SchemaError,
    ensure_schema,
    head_revision,
    make_engine,
    open_archive,
    upgrade,
)
from store.models import Base, include_object

TABLES = {"sources", "documents", "versions", "captures", "blobs", "crawl_runs"}


def test_upgrade_empty_database_has_no_drift(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) >= TABLES
    assert "latest" in inspector.get_view_names()
    engine.dispose()


def test_downgrade_to_base_and_back(db_url: str) -> None:
    from alembic import command

    from store.db import alembic_config

    upgrade(db_url)
    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(db_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_new_archive_is_created_at_head_and_old_one_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(
            text("select version_num from alembic_version")
        ).scalar() == head_revision(db_url)
        conn.execute(text("update alembic_version set version_num = 'older'"))
        conn.commit()
    with pytest.raises(SchemaError, match="archivist db upgrade"):
        ensure_schema(engine)
    engine.dispose()


def test_the_known_head_is_alembics_head(db_url: str) -> None:
    assert head_revision(db_url) == SCHEMA_HEAD  # a new migration bumps store.db.SCHEMA_HEAD


def test_opening_an_archive_at_head_needs_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    open_archive(url).dispose()  # created, migrated: Alembic runs here
    opened = subprocess.run(
        [sys.executable, "-c", OPEN_AND_LIST_MODULES, url],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "alembic" not in opened.stdout.split()
    assert "sqlalchemy" in opened.stdout.split()  # the check did run, in that process


OPEN_AND_LIST_MODULES = """
import sys
from store.db import open_archive
open_archive(sys.argv[1], create=False).dispose()
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""
