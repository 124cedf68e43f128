"""The read path's SQL: one read-only statement, checked, time-limited and row-capped.

Three independent guards, so a gap in one is not a write: a statement check (one SELECT,
WITH … SELECT, EXPLAIN or VALUES, no write keyword anywhere, not even inside a CTE), a
connection that cannot write (`make_readonly_engine`), and a time limit.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType
from sqlparse import tokens as T
from sqlparse.lexer import Lexer

from store.db import (
    SchemaError,
    check_archive_exists,
    check_archive_has_tables,
    current_revision,
    expected_revision,
    make_readonly_engine,
)

DEFAULT_LIMIT = 1000
DEFAULT_TIMEOUT = 10.0
READ_STARTS = frozenset({"SELECT", "WITH", "EXPLAIN", "VALUES"})
# Plain keywords (not DML/DDL/DCL to the lexer) that change state or leave the statement.
REFUSED_KEYWORDS = frozenset(
    {"INTO", "PRAGMA", "ATTACH", "DETACH", "VACUUM", "REINDEX", "COPY", "LOCK", "SHARE", "CALL",
     "DO", "SET", "RESET", "LOAD", "NOTIFY", "LISTEN", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
     "RELEASE", "TRUNCATE", "REFRESH", "CLUSTER", "DISCARD", "PREPARE", "EXECUTE", "DEALLOCATE"}
)  # fmt: skip
WRITE_TOKEN_TYPES = (T.Keyword.DML, T.Keyword.DDL, T.Keyword.DCL)
# Functions with side effects that a read-only transaction does not stop (PostgreSQL: ending
# other sessions, taking the workers' advisory locks, changing settings, large objects...).
SIDE_EFFECT_FUNCTIONS = frozenset(
    {"pg_terminate_backend", "pg_cancel_backend", "set_config", "pg_notify", "pg_reload_conf",
     "pg_rotate_logfile", "pg_sleep", "load_extension", "writefile", "readfile"}
)  # fmt: skip
SIDE_EFFECT_PREFIXES = ("pg_advisory", "pg_try_advisory", "lo_", "dblink", "pg_file", "pg_read")
SQLITE_PROGRESS_STEPS = 1000  # VM instructions between deadline checks: ~microseconds apart
PG_QUERY_CANCELED = "57014"


class QueryError(Exception):
    """A query the read path refuses or could not finish; the message is one line for users."""


class RefusedSQL(QueryError):
    """The SQL is not one read-only statement."""


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""


@dataclass(frozen=True)
class Token:
    """One lexed piece of SQL: its type and text."""

    ttype: Any
    value: str


@dataclass(frozen=True)
class CheckedSQL:
    """One statement that passed the check, and the parameter names it uses."""

    tokens: tuple[Token, ...]
    placeholders: frozenset[str]

    @property
    def first_keyword(self) -> str:
        """SELECT, WITH, EXPLAIN or VALUES."""
        return next(t.value.upper() for t in self.tokens if t.ttype in T.Keyword)


@dataclass(frozen=True)
class QueryResult:
    """Column names, at most `limit` rows, and whether rows were cut."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


# --- the statement check ----------------------------------------------------------------------


def check_readonly_sql(sql: str) -> CheckedSQL:
    """Accept exactly one read-only statement; raise RefusedSQL with the reason otherwise."""
    statements = _split_statements(_lex(sql))
    if not statements:
        raise RefusedSQL("no SQL statement given")
    if len(statements) > 1:
        raise RefusedSQL("only one statement at a time is allowed")
    tokens = statements[0]
    _check_start(tokens)
    _check_keywords(tokens)
    _check_functions(tokens)
    _check_strings(tokens)
    names = frozenset(t.value[1:] for t in tokens if _is_named_placeholder(t))
    return CheckedSQL(tokens=tuple(tokens), placeholders=names)


def _lex(sql: str) -> list[Token]:
    lexer = Lexer.get_default_instance()  # type: ignore[no-untyped-call]
    return [Token(ttype, value) for ttype, value in lexer.get_tokens(sql)]


def _is_noise(token: Token) -> bool:
    return token.ttype in T.Whitespace or token.ttype in T.Comment or token.ttype in T.Newline


def _split_statements(tokens: list[Token]) -> list[list[Token]]:
    """Split at top-level `;`, dropping statements that are only whitespace and comments."""
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.ttype in T.Punctuation and token.value == ";":
            statements.append([])
        else:
            statements[-1].append(token)
    return [s for s in statements if any(not _is_noise(t) for t in s)]


def _check_start(tokens: list[Token]) -> None:
    first = next((t for t in tokens if not _is_noise(t) and t.value != "("), None)
    word = first.value.upper() if first else "("
    if word not in READ_STARTS:
        raise RefusedSQL(f"only SELECT, WITH … SELECT, VALUES and EXPLAIN are allowed, not {word}")


def _check_keywords(tokens: list[Token]) -> None:
    for token in tokens:
        word = token.value.upper()
        if token.ttype in WRITE_TOKEN_TYPES and word != "SELECT":
            raise RefusedSQL(f"the archive is read-only here: {word} is not allowed")
        if token.ttype in T.Keyword and word in REFUSED_KEYWORDS:
            raise RefusedSQL(f"the archive is read-only here: {word} is not allowed")


def _check_functions(tokens: list[Token]) -> None:
    meaningful = [t for t in tokens if not _is_noise(t)]
    for token, following in itertools.pairwise(meaningful):
        name = token.value.lower().strip('"')
        is_call = following.value == "("
        if is_call and (name in SIDE_EFFECT_FUNCTIONS or name.startswith(SIDE_EFFECT_PREFIXES)):
            raise RefusedSQL(f"the archive is read-only here: {name}() is not allowed")


def _check_strings(tokens: list[Token]) -> None:
    # SQLite and PostgreSQL end '\' at the quote; the lexer reads on. Refusing the form keeps
    # the lexer and the database agreeing on where a string, and so the statement, ends.
    if any(t.ttype in T.String and "\\'" in t.value for t in tokens):
        raise RefusedSQL("backslash-escaped quotes are ambiguous: write '' for a quote")


def _is_named_placeholder(token: Token) -> bool:
    return token.ttype in T.Name.Placeholder and token.value.startswith(":")


# --- running ----------------------------------------------------------------------------------


def open_readonly(url: str) -> Engine:
    """A read-only engine on an existing archive; a missing SQLite file is an error, not created."""
    check_archive_exists(url)
    engine = make_readonly_engine(url)
    try:
        check_archive_has_tables(engine, url)
    except BaseException:
        engine.dispose()
        raise
    return engine


def schema_mismatch(engine: Engine, url: str) -> str | None:
    """Why the archive is not at the schema this code reads, or None when it is."""
    current = current_revision(engine)
    head = expected_revision(current, url)
    if current == head:
        return None
    return (
        f"the archive is at schema revision {current or 'none'}, this archivist expects "
        f"{head}: run `archivist db upgrade`"
    )


def check_schema(engine: Engine, url: str) -> None:
    """Refuse an archive that is not at the schema this code reads (without touching it)."""
    mismatch = schema_mismatch(engine, url)
    if mismatch:
        raise SchemaError(mismatch)


def run_readonly_sql(
    engine: Engine,
    checked: CheckedSQL,
    params: Mapping[str, str] | None = None,
    limit: int = DEFAULT_LIMIT,
    timeout: float = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run a checked statement on a read-only engine; `limit` 0 means every row."""
    statement = bind_statement(checked, params or {})
    stream = checked.first_keyword != "EXPLAIN"  # PostgreSQL cannot DECLARE a cursor for EXPLAIN
    with engine.connect() as conn, _time_limit(conn, timeout):
        result = conn.execution_options(stream_results=stream).execute(statement)
        columns = list(result.keys())
        rows = [tuple(row) for row in (result.fetchmany(limit + 1) if limit else result.all())]
        result.close()
        conn.rollback()
    truncated = bool(limit) and len(rows) > limit
    return QueryResult(
        columns=columns, rows=rows[:limit] if truncated else rows, truncated=truncated
    )


def bind_statement(checked: CheckedSQL, params: Mapping[str, str]) -> TextClause:
    """The statement as text() with `:name` parameters bound; other colons stay literal."""
    missing = sorted(checked.placeholders - set(params))
    if missing:
        raise QueryError(f"no value for :{missing[0]} (give -p {missing[0]} VALUE)")
    unused = sorted(set(params) - checked.placeholders)
    if unused:
        raise QueryError(f"parameter {unused[0]!r} is not used in the SQL (write :{unused[0]})")
    sql = "".join(
        t.value if _is_named_placeholder(t) else t.value.replace(":", "\\:") for t in checked.tokens
    )
    # Untyped binds: the database infers the type (`id = :id` with "7" compares as a number).
    binds = [bindparam(name, value, type_=NullType()) for name, value in params.items()]
    return text(sql).bindparams(*binds)


@contextmanager
def _time_limit(conn: Connection, seconds: float) -> Iterator[None]:
    """Stop the statement after `seconds`: a progress handler on SQLite, a timeout on PostgreSQL."""
    if conn.dialect.name == "sqlite":
        with _sqlite_deadline(conn, seconds):
            yield
        return
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}")
    try:
        yield
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == PG_QUERY_CANCELED:
            raise _timeout(seconds) from exc
        raise


@contextmanager
def _sqlite_deadline(conn: Connection, seconds: float) -> Iterator[None]:
    deadline = time.monotonic() + seconds
    raw: Any = conn.connection.driver_connection
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_PROGRESS_STEPS)
    try:
        yield
    except DBAPIError as exc:
        if time.monotonic() > deadline and "interrupted" in str(exc.orig):
            raise _timeout(seconds) from exc
        raise
    finally:
        raw.set_progress_handler(None, 0)


def _timeout(seconds: float) -> QueryTimeout:
    return QueryTimeout(
        f"query stopped after {seconds:g} s (the time limit; raise it with --timeout)"
    )


@contextmanager
def readonly_session(url: str) -> Iterator[Session]:
    """A session on an up-to-date archive over a connection that cannot write."""
    engine = open_readonly(url)
    try:
        check_schema(engine, url)
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()
