"""`archivist sql`: one read-only statement, time-limited and row-capped, on both backends."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result
from sqlalchemy.exc import SQLAlchemyError

from scheduler.cli import cli
from store.db import alembic_config, current_revision, head_revision, make_engine
from store.models import Base
from store.query import RefusedSQL, check_readonly_sql, open_readonly
from tests.archives import at, fingerprint, new_archive, record

A = "https://news.example/2024/03/a/"
B = "https://news.example/2024/03/b/"
C = "https://news.example/2024/03/c/"


@pytest.fixture
def archive(db_url: str) -> str:
    """Three documents; A has three versions."""
    engine = new_archive(db_url)
    record(engine, A, "A one", "First text.", at(0))
    record(engine, A, "A two", "Second text.", at(1))
    record(engine, A, "A three", "Third text:\nit's here.", at(2))
    record(engine, B, "B", "Bee text.", at(3), authors=("Bo", "Bea"))
    record(engine, C, "C", "Sea text.", at(4))
    engine.dispose()
    return db_url


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["sql", *args], input=input)


# --- output formats ---------------------------------------------------------------------------

LATEST = "SELECT url, version_no, title FROM latest ORDER BY url"


def test_table_is_aligned(archive: str) -> None:
    result = run(LATEST, "--db", archive)
    assert result.exit_code == 0, result.output
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == ["url", "version_no", "title"]
    assert rows[0].split() == [A, "3", "A", "three"]
    # every column starts at the same offset on every line
    offset = header.index("version_no")
    assert rule[offset - 2 : offset] == "  " and rule[offset] == "-"
    assert all(row[offset] == "3" or row[offset] == "1" for row in rows)


def test_csv(archive: str) -> None:
    result = run(LATEST, "--db", archive, "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [
        ["url", "version_no", "title"],
        [A, "3", "A three"],
        [B, "1", "B"],
        [C, "1", "C"],
    ]


def test_json_is_one_array(archive: str) -> None:
    result = run(LATEST, "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"url": A, "version_no": 3, "title": "A three"},
        {"url": B, "version_no": 1, "title": "B"},
        {"url": C, "version_no": 1, "title": "C"},
    ]


def test_nl_is_one_object_per_line(archive: str) -> None:
    result = run(LATEST, "--db", archive, "--nl")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line)["url"] for line in lines] == [A, B, C]


def test_empty_result_in_every_format(archive: str) -> None:
    empty = "SELECT url FROM documents WHERE url = 'nowhere'"
    assert json.loads(run(empty, "--db", archive, "--json").stdout) == []
    assert run(empty, "--db", archive, "--nl").stdout == ""
    assert run(empty, "--db", archive, "--csv").stdout == "url\n"


def test_two_output_formats_are_refused(archive: str) -> None:
    one = "SELECT count(*) AS n FROM documents"
    both = run(one, "--db", archive, "--table", "--csv")
    assert both.exit_code == 2
    assert both.output.splitlines()[-1] == "Error: give one output format, not --table and --csv"
    assert json.loads(run(one, "--db", archive, "--json", "--json").stdout) == [{"n": 3}]
    assert run(one, "--db", archive, "--table").stdout.split() == ["n", "-", "3"]


def test_json_renders_dates_and_bytes(archive: str) -> None:
    sql = "SELECT v.first_seen_at, b.data FROM versions v, blobs b ORDER BY v.id LIMIT 1"
    result = run(sql, "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert str(row["first_seen_at"]).startswith("2024-03-01")
    assert row["data"]["$base64"] is True


# --- parameters, stdin, row cap, EXPLAIN ------------------------------------------------------


def test_parameters_bind(archive: str) -> None:
    sql = "SELECT title FROM versions WHERE version_no = :n AND title LIKE :t ORDER BY title"
    result = run(sql, "--db", archive, "-p", "n", "2", "-p", "t", "A%", "--nl")
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{"title": "A two"}]


def test_colons_in_strings_and_casts_are_not_parameters(archive: str) -> None:
    sql = "SELECT count(*) AS n FROM versions WHERE text LIKE '%text:%' OR title = 'x :y'"
    result = run(sql, "--db", archive, "--nl")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"n": 1}


def test_missing_and_unused_parameters_are_one_line_errors(archive: str) -> None:
    missing = run("SELECT * FROM versions WHERE id = :id", "--db", archive)
    assert missing.exit_code == 1
    assert "no value for :id (give -p id VALUE)" in missing.stderr
    unused = run("SELECT 1 AS one", "--db", archive, "-p", "idd", "1")
    assert unused.exit_code == 1
    assert "'idd' is not used" in unused.stderr


def test_dash_reads_sql_from_stdin(archive: str) -> None:
    result = run("-", "--db", archive, "--nl", input="SELECT count(*) AS n FROM documents;\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"n": 3}


def test_row_cap_cuts_and_says_so(archive: str) -> None:
    result = run("SELECT id FROM versions ORDER BY id", "--db", archive, "--limit", "2", "--nl")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2
    assert "stopped at 2 rows" in result.stderr
    full = run("SELECT id FROM versions", "--db", archive, "--limit", "0", "--nl")
    assert len(full.stdout.splitlines()) == 5
    assert "stopped" not in full.stderr


def test_explain_runs(archive: str) -> None:
    result = run("EXPLAIN SELECT * FROM documents", "--db", archive, "--csv")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) > 1


# --- refusals: each kind of write, archive unchanged ------------------------------------------

WRITES = {
    "insert": "INSERT INTO sources (name, kind, url) VALUES ('x', 'feed', 'u')",
    "update": "UPDATE documents SET status = 'gone'",
    "delete": "DELETE FROM versions",
    "delete in with": "WITH d AS (DELETE FROM versions RETURNING id) SELECT * FROM d",
    "insert in with": "WITH x AS (SELECT 1) INSERT INTO blobs SELECT * FROM blobs",
    "replace": "REPLACE INTO sources (id, name, kind, url) VALUES (1, 'x', 'feed', 'u')",
    "two statements": "SELECT 1; DELETE FROM versions",
    "two selects": "SELECT 1; SELECT 2",
    "hidden after a quote": "SELECT '\\'; DELETE FROM versions; --'",
    "pragma": "PRAGMA query_only = 0",
    "pragma in select": "SELECT 1; PRAGMA writable_schema = 1",
    "attach": "ATTACH DATABASE '/tmp/elsewhere.db' AS other",
    "detach": "DETACH DATABASE main",
    "create": "CREATE TABLE t (x int)",
    "create view": "CREATE VIEW v AS SELECT 1",
    "drop": "DROP TABLE versions",
    "alter": "ALTER TABLE documents ADD COLUMN x int",
    "vacuum": "VACUUM",
    "vacuum into": "VACUUM INTO '/tmp/copy.db'",
    "select into": "SELECT * INTO stolen FROM versions",
    "for update": "SELECT * FROM documents FOR UPDATE",
    "explain analyze delete": "EXPLAIN ANALYZE DELETE FROM versions",
    "begin": "BEGIN",
    "set": "SET statement_timeout = 0",
    "copy": "COPY versions TO '/tmp/out.csv'",
    "truncate": "TRUNCATE versions",
    "grant": "GRANT ALL ON versions TO public",
    "empty": "  -- nothing\n ; ",
    "end other sessions": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "take the scheduler lock": "SELECT pg_try_advisory_lock(42)",
    "change a setting": "SELECT set_config('default_transaction_read_only', 'off', false)",
    "notify": "SELECT \"pg_notify\"('c', 'x')",
    "large objects": "SELECT lo_import('/etc/passwd')",
}


def test_every_kind_of_write_is_refused_and_the_archive_is_untouched(archive: str) -> None:
    before = fingerprint(archive)
    for name, sql in WRITES.items():
        result = run(sql, "--db", archive)
        assert result.exit_code == 1, f"{name}: {result.output}"
        message = result.stderr.strip()
        assert message.startswith("Error: ") and "\n" not in message, f"{name}: {message}"
        assert "Traceback" not in result.output
    assert fingerprint(archive) == before


def test_reads_leave_the_sqlite_file_byte_for_byte_unchanged(archive: str) -> None:
    before = fingerprint(archive)
    assert run(LATEST, "--db", archive).exit_code == 0
    assert run("SELECT * FROM versions_fts LIMIT 1" if "sqlite" in archive else "SELECT 1",
               "--db", archive).exit_code == 0  # fmt: skip
    assert fingerprint(archive) == before


def test_the_connection_itself_cannot_write(archive: str) -> None:
    """Second guard: SQL that slipped past the check still cannot write."""
    before = fingerprint(archive)
    engine = open_readonly(archive)
    for sql in ("DELETE FROM versions", "CREATE TABLE t (x int)"):
        with engine.connect() as conn, pytest.raises(SQLAlchemyError):
            conn.exec_driver_sql(sql)
    engine.dispose()
    assert fingerprint(archive) == before


@pytest.mark.parametrize(
    "sql",
    [
        "select 'delete from versions; drop table x' as s",
        "SELECT 1 AS a -- DELETE FROM versions\n",
        "/* INSERT */ SELECT replace(title, 'A', 'B') FROM versions",
        'SELECT "update" FROM (SELECT 1 AS "update") AS t',
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3) "
        "SELECT x FROM n",
        "(SELECT 1)",
        "VALUES (1), (2)",
        "select 1;",
    ],
)
def test_reads_that_mention_write_words_are_accepted(sql: str) -> None:
    assert check_readonly_sql(sql).first_keyword in {"SELECT", "WITH", "VALUES"}


def test_every_archive_column_can_be_selected() -> None:
    for table in Base.metadata.tables.values():
        columns = ", ".join(column.name for column in table.columns)
        check_readonly_sql(f"SELECT {columns} FROM {table.name}")


def test_help_names_every_table_and_values() -> None:
    shown = " ".join(run("--help").stdout.split())
    assert "Only SELECT, WITH … SELECT, VALUES and EXPLAIN run" in shown
    for name in [*Base.metadata.tables, "latest", "versions_fts"]:
        assert f" {name}," in shown or f" {name} " in shown, name


def test_refusal_names_the_statement() -> None:
    with pytest.raises(RefusedSQL, match="not PRAGMA"):
        check_readonly_sql("pragma table_info(versions)")
    with pytest.raises(RefusedSQL, match="DELETE is not allowed"):
        check_readonly_sql("WITH d AS (DELETE FROM versions RETURNING id) SELECT * FROM d")


# --- time limit, missing archive --------------------------------------------------------------

FOREVER = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"


def test_a_query_that_runs_too_long_is_stopped(archive: str) -> None:
    started = time.monotonic()
    result = run(FOREVER, "--db", archive, "--timeout", "0.5")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "query stopped after 0.5 s" in result.stderr
    assert elapsed < 10


def test_the_time_limit_is_lifted_for_the_next_query(archive: str) -> None:
    assert run(FOREVER, "--db", archive, "--timeout", "0.2").exit_code == 1
    assert run("SELECT count(*) FROM versions", "--db", archive).exit_code == 0


def test_a_missing_sqlite_archive_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.db"
    result = run("SELECT 1", "--db", f"sqlite:///{path}")
    assert result.exit_code == 1
    assert "no archive at" in result.stderr
    assert not path.exists()


def test_a_parameter_can_be_cast_on_postgresql(archive: str) -> None:
    if "postgresql" not in archive:
        pytest.skip("PostgreSQL cast syntax")
    result = run(
        "SELECT :v::int + 1 AS n, 'a:b'::text AS s", "--db", archive, "-p", "v", "41", "--nl"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"n": 42, "s": "a:b"}


def test_a_sql_error_is_one_line_also_with_a_bare_path(archive: str) -> None:
    db = archive.removeprefix("sqlite:///") if archive.startswith("sqlite") else archive
    result = run("SELECT nope FROM documents", "--db", db)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: database error: ") and result.stderr.count("\n") == 1
    assert "nope" in result.stderr
    assert "db upgrade" not in result.stderr  # the archive is current: no upgrade hint


def test_a_password_never_appears_in_errors() -> None:
    result = run("SELECT 1", "--db", "postgresql+psycopg://reader:s3cret-pw@127.0.0.1:9/none")
    assert result.exit_code == 1
    assert "s3cret-pw" not in result.output
    assert result.stderr.count("\n") == 1


def test_a_query_failing_on_an_older_archive_says_to_upgrade(db_url: str) -> None:
    new_archive(db_url).dispose()
    command.downgrade(alembic_config(db_url), "0001")  # before template_lines existed
    old_enough = run("SELECT count(*) AS n FROM documents", "--db", db_url, "--nl")
    assert old_enough.exit_code == 0, old_enough.output  # what the old schema has still runs
    failed = run("SELECT count(*) FROM template_lines", "--db", db_url)
    assert failed.exit_code == 1
    assert failed.stderr.startswith("Error: database error: ")
    assert "template_lines" in failed.stderr and failed.stderr.count("\n") == 1
    assert failed.stderr.endswith(
        f"(the archive is at schema revision 0001, this archivist expects "
        f"{head_revision(db_url)}: run `archivist db upgrade`)\n"
    )
    engine = make_engine(db_url)
    assert current_revision(engine) == "0001"  # left as it was
    engine.dispose()
