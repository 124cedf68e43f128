"""Opening the archive: created on first use by commands that write, never by those that read."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from scheduler.cli import cli
from store.db import (
    NoArchiveError,
    SchemaError,
    alembic_config,
    current_revision,
    head_revision,
    is_sqlite,
    open_archive,
    upgrade,
)


def test_reading_commands_never_create_an_archive(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere" / "archive.db"
    with pytest.raises(NoArchiveError, match=f"no archive at {missing}"):
        open_archive(f"sqlite:///{missing}", create=False)
    assert not missing.parent.exists()
    assert isinstance(NoArchiveError("x"), SchemaError)  # one line from every command


def test_writing_commands_create_it_and_readers_then_open_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    open_archive(url).dispose()
    engine = open_archive(url, create=False)
    assert current_revision(engine) is not None
    engine.dispose()


def status(db_url: str) -> Result:
    return CliRunner().invoke(cli, ["db", "status", "--db", db_url])


def test_db_status_exits_1_until_the_archive_is_at_the_newest_revision(db_url: str) -> None:
    empty = status(db_url)
    assert empty.exit_code == 1
    if is_sqlite(db_url):
        assert empty.stderr.startswith("Error: no archive at ")
        assert not Path(make_url(db_url).database or "").exists()
    else:  # a new PostgreSQL database: no archive in it yet
        assert empty.stderr.startswith("Error: no archive at ")
        assert "the database is empty" in empty.stderr
    upgrade(db_url)
    head = head_revision(db_url)
    current = status(db_url)
    assert current.exit_code == 0, current.output
    assert current.stdout.endswith(f"revision {head} (newest {head}): up to date\n")
    command.downgrade(alembic_config(db_url), "0002")
    behind = status(db_url)
    assert behind.exit_code == 1
    assert f"revision 0002 (newest {head}): run `archivist db upgrade`" in behind.stdout


def test_db_status_help_names_its_exit_status() -> None:
    shown = CliRunner().invoke(cli, ["db", "status", "--help"]).stdout
    assert "Exit status 0: up to date; 1: it needs" in " ".join(shown.split())
