"""Bad archive URLs are one line on stderr, never a traceback, never the password."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from scheduler.cli import cli
from store.db import DB_ENV, is_sqlite, make_engine

BAD_URLS = ["postgresql+psycopg://user:s3cret@db.example:notaport/archive", "nonsense://::::"]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", [["sql", "select 1"], ["schedule"], ["source", "list"]])
def test_malformed_archive_url_is_one_clear_line(url: str, command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--db", url])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "not a valid SQLAlchemy URL" in result.output
    assert "s3cret" not in result.output
    assert len(result.output.strip().splitlines()) == 1


UNSUPPORTED = [
    "postgres://u:secretpw@localhost/db",
    "sqllite:///archive.db",
    "mysql://u:secretpw@localhost/db",
    "oracle://u:secretpw@h/db",
    "mssql+pyodbc://u:secretpw@h/db",
]


@pytest.mark.parametrize("url", UNSUPPORTED)
@pytest.mark.parametrize(
    "command", [["sql", "select 1"], ["schedule"], ["source", "list"], ["db", "status"]]
)
def test_an_unsupported_database_is_one_line_naming_the_two_supported(
    url: str, command: list[str]
) -> None:
    result = CliRunner().invoke(cli, [*command, "--db", url])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "archivist supports SQLite" in result.output and "PostgreSQL" in result.output
    assert f"not {url.split(':')[0].split('+')[0]} (the URL in --db" in result.output
    assert "secretpw" not in result.output
    assert len(result.output.strip().splitlines()) == 1


READING_COMMANDS = [
    ["source", "list"],
    ["source", "show", "x"],
    ["source", "edit", "x", "--every", "1h"],
    ["source", "remove", "x"],
    ["source", "enable", "x"],
    ["source", "disable", "x"],
    ["schedule"],
    ["db", "status"],
    ["sql", "select 1"],
    ["history", "https://news.example/a/"],
    ["diff", "https://news.example/a/"],
    ["runs"],
    ["reprocess", "--dry-run"],
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_commands_that_need_an_archive_never_create_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # an empty folder, and the default ./archive.db
    monkeypatch.delenv(DB_ENV, raising=False)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: no archive at archive.db")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "archive.db").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_commands_that_need_an_archive_leave_an_empty_database_empty(
    db_url: str, command: list[str]
) -> None:
    path = Path(make_url(db_url).database or "")
    if is_sqlite(db_url):  # a blank file, as `touch archive.db` leaves
        path.touch()
    result = CliRunner().invoke(cli, [*command, "--db", db_url])
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1
    said = result.output.strip()
    assert said.startswith("Error: no archive at ") and "the database is empty" in said
    assert "run `archivist db upgrade`" in said
    if is_sqlite(db_url):  # not even turned into a WAL database
        assert path.stat().st_size == 0
        assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    engine = make_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["source", "add", "a", "--feed", "http://127.0.0.1:9/f", "--every", "1h"],
        ["fetch", "http://127.0.0.1:9/a"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("below", [["archive.db"], ["x", "y", "archive.db"]])
def test_an_archive_path_under_a_file_is_one_line(
    tmp_path: Path, command: list[str], below: list[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not a folder", encoding="utf-8")
    path = tmp_path.joinpath("notes.txt", *below)
    result = CliRunner().invoke(cli, [*command, "--db", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot make the folder of the archive {path}: "
        f"{tmp_path / 'notes.txt'} is a file, not a folder\n"
    )


@pytest.mark.parametrize("url", ["http://", "https:///path", "http://:80/"])
def test_fetch_of_a_url_without_a_host_is_refused_before_anything_is_written(
    tmp_path: Path, url: str
) -> None:
    result = CliRunner().invoke(cli, ["fetch", url, "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "no host in the URL" in result.output
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("option", ["--crawl-timeout", "--sync-every"])
def test_a_worker_interval_under_a_second_names_its_option(tmp_path: Path, option: str) -> None:
    result = CliRunner().invoke(cli, ["worker", option, "0", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert f"{option} must be at least 1 second, not 0" in result.output


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg2://u:secretpw@127.0.0.1/db", "sqlite+aiosqlite:///archive.db"]
)
@pytest.mark.parametrize(
    "command", [["runs"], ["fetch", "http://127.0.0.1:9/a"], ["db", "upgrade"]]
)
def test_another_driver_is_one_line_naming_the_one_installed(url: str, command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--db", url])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "through psycopg" in result.output or "through pysqlite" in result.output
    assert "secretpw" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_fetch_takes_a_pasted_url_with_a_space_source_add_does_not() -> None:
    from crawler.cli.source_fields import checked_url

    assert checked_url("http://example.com/a b", spaces=True) == "http://example.com/a b"
    with pytest.raises(click.UsageError, match="cannot contain spaces"):
        checked_url("http://example.com/a b")
