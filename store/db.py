"""The one place the database URL is read; engines, sessions and the schema check."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # Alembic is imported only to migrate: a tenth of a second at every start-up
    from alembic.config import Config

DB_ENV = "ARCHIVIST_DB"
DEFAULT_URL = "sqlite:///archive.db"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}  # what SQLAlchemy picks by default
SQLITE_BUSY_TIMEOUT_MS = 30_000
# The newest migration, so that opening an archive at it needs no Alembic; a test checks that
# it is the head of migrations/versions.
SCHEMA_HEAD = "0006"


class SchemaError(RuntimeError):
    """The database is not at the schema this code expects."""


class ArchiveURLError(ValueError):
    """The archive URL cannot be parsed (the message never repeats it: it may hold a password)."""


class NoArchiveError(SchemaError):
    """A command that only reads was pointed at a missing SQLite file or an empty database."""


def database_url(explicit: str | None = None) -> str:
    """`--db` wins, then ARCHIVIST_DB, then ./archive.db; raises ArchiveURLError if malformed."""
    url = explicit or os.environ.get(DB_ENV) or DEFAULT_URL
    if "://" not in url:  # a bare path is taken as a SQLite file
        url = f"sqlite:///{url}"
    try:
        parsed = make_url(url)
        backend, _ = parsed.get_backend_name(), parsed.port
    except (ValueError, ArgumentError) as exc:
        raise ArchiveURLError(
            f"the archive URL (--db / {DB_ENV}) is not a valid SQLAlchemy URL: "
            "expected e.g. sqlite:///archive.db or postgresql+psycopg://user@host/db"
        ) from exc
    if backend not in SUPPORTED_BACKENDS:
        raise ArchiveURLError(
            "archivist supports SQLite (sqlite:///archive.db) and PostgreSQL "
            f"(postgresql+psycopg://user@host/db), not {backend} (the URL in --db / {DB_ENV})"
        )
    driver = parsed.get_driver_name()  # known now: the backend is one of the two
    if driver != DRIVERS[backend]:
        raise ArchiveURLError(
            f"archivist talks to {backend} through {DRIVERS[backend]}, the driver it installs: "
            f"write {backend}+{DRIVERS[backend]}:// or {backend}:// in --db / {DB_ENV}, "
            f"not {backend}+{driver}://"
        )
    return url


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str | URL) -> bool:
    """True for SQLite URLs."""
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the archive's connection settings (SQLite: WAL, busy timeout, FKs)."""
    if is_sqlite(url):
        _create_sqlite_parent(url)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_readonly_engine(url: str) -> Engine:
    """An engine whose connections cannot write (SQLite mode=ro + query_only; PG read-only)."""
    if is_sqlite(url):
        path = make_url(url).database or ""
        ro_url = f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true"
        engine = create_engine(ro_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_readonly_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        execution_options={"postgresql_readonly": True},
    )


def _create_sqlite_parent(url: str) -> None:
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where a folder should be, no permission, /proc...
            reason = f"{exc.strerror or type(exc).__name__} ({exc.filename})"
            if isinstance(exc, FileExistsError | NotADirectoryError):
                reason = f"{_file_on_the_way(Path(path).parent)} is a file, not a folder"
            raise ArchiveURLError(
                f"cannot make the folder of the archive {path}: {reason}"
            ) from exc


def _file_on_the_way(folder: Path) -> Path:
    """The first part of `folder` that exists and is not a folder (mkdir names the last one)."""
    for part in reversed(folder.parents):
        if part.exists() and not part.is_dir():
            return part
    return folder


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_readonly_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def session_factory(engine: Engine) -> Callable[[], Session]:
    """Sessions that keep loaded objects usable after commit.

    Plain Sessions: a sessionmaker makes a Session subclass of its own and sets up its event
    dispatch, 0.14 ms a call here against 0.007 ms for a Session, and a crawl opens one or two
    transactions a page.
    """
    return partial(Session, engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session


# --- schema -----------------------------------------------------------------------------------


def alembic_config(url: str) -> Config:
    """Alembic config pointing at the installed migrations package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("migrations")))
    config.attributes["archivist_url"] = url
    return config


def head_revision(url: str) -> str | None:
    """The newest migration this code knows, as Alembic reads it from migrations/versions."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def expected_revision(current: str | None, url: str) -> str | None:
    """The revision this code expects: SCHEMA_HEAD when the database is at it, without
    Alembic; otherwise Alembic's own head, to compare and report."""
    return SCHEMA_HEAD if current == SCHEMA_HEAD else head_revision(url)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database): Alembic's version table,
    which holds one row while the history has one head (more is refused, as Alembic does)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def ensure_schema(engine: Engine, create: bool = True) -> None:
    """Create a new archive at head (or, unless `create`, refuse an empty database as no
    archive); refuse to touch one at another revision."""
    url = engine.url.render_as_string(hide_password=False)
    current = current_revision(engine)
    head = expected_revision(current, url)
    if current == head:
        return
    if current is None and not _has_tables(engine):
        if not create:  # a new PostgreSQL database, a blank SQLite file: no archive yet
            raise empty_archive(url)
        upgrade(url)
        return
    raise SchemaError(
        f"the archive at {safe_url(url)} is at schema revision {current or 'none'}, "
        f"this archivist expects {head}: run `archivist db upgrade`"
    )


def _sqlite_file_exists(url: str) -> bool:
    path = make_url(url).database or ""
    return path not in ("", ":memory:") and Path(path).is_file()


def _has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def check_archive_exists(url: str) -> None:
    """Raise NoArchiveError when `url` is a SQLite file that does not exist or is empty (0
    bytes: opening it would turn it into a WAL database, and there is nothing to read)."""
    if is_sqlite(url) and not _sqlite_file_exists(url):
        raise NoArchiveError(
            f"no archive at {make_url(url).database or url}: "
            "fetch something, or run `archivist db upgrade` to create one"
        )
    if is_sqlite(url) and Path(make_url(url).database or "").stat().st_size == 0:
        raise empty_archive(url)


def check_archive_has_tables(engine: Engine, url: str) -> None:
    """Raise NoArchiveError when the database at `url` holds no table at all (a new
    PostgreSQL database): no archive yet, whatever a query or a revision check would say."""
    if not _has_tables(engine):
        raise empty_archive(url)


def empty_archive(url: str) -> NoArchiveError:
    """The error for a database at `url` that holds no archive yet (no table, or 0 bytes)."""
    where = make_url(url).database if is_sqlite(url) else safe_url(url)
    return NoArchiveError(
        f"no archive at {where}: the database is empty; "
        "fetch something, or run `archivist db upgrade` to create one"
    )


def open_archive(explicit_url: str | None = None, create: bool = True) -> Engine:
    """The engine of a ready archive: created and migrated on first use, checked otherwise.

    `create=False` (commands that only read): a missing SQLite file or an empty database is an
    error, so a command run in the wrong folder (or at the wrong database) never leaves a
    second, empty archive there.
    """
    url = database_url(explicit_url)
    if not create:
        check_archive_exists(url)
    engine = make_engine(url)
    try:
        ensure_schema(engine, create)
    except BaseException:
        engine.dispose()
        raise
    return engine


def insert_or_skip(session: Session, table: Any, key: str) -> PostgresInsert | SqliteInsert:
    """An INSERT into `table` that does nothing when a row with the same `key` exists, built once
    per dialect: run it with the row's values as parameters.

    Statements a crawl runs for every page are built once, not per page: building one and
    computing its cache key cost more than SQLite takes to run it. A mapped class is taken as
    its table: an INSERT of the class goes through the ORM's bulk machinery, three times the
    cost of the plain INSERT (150 against 45 microseconds a row, measured on SQLite).
    """
    return _insert_or_skip(session.get_bind().dialect.name, getattr(table, "__table__", table), key)


@cache
def _insert_or_skip(dialect: str, table: Any, key: str) -> PostgresInsert | SqliteInsert:
    return _insert(dialect, table).on_conflict_do_nothing(index_elements=[key])


def upsert(session: Session, table: Any) -> PostgresInsert | SqliteInsert:
    """An INSERT into `table` that takes ON CONFLICT clauses, in the session's own dialect."""
    return _insert(session.get_bind().dialect.name, table)


def _insert(dialect: str, table: Any) -> PostgresInsert | SqliteInsert:
    return postgres_insert(table) if dialect == "postgresql" else sqlite_insert(table)
