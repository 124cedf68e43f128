"""The archive's commands: db, sql, history, diff."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from store.cli_options import database_error, db_option, one_line_errors
from store.db import current_revision, database_url, head_revision, safe_url, upgrade
from store.history import (
    History,
    ReadingDiff,
    diff_readings,
    document_history,
    find_document,
    newest_version,
    version_pair,
)
from store.models import Document, Version
from store.output import aligned_table, format_options, json_value, render
from store.query import (
    DEFAULT_LIMIT,
    DEFAULT_TIMEOUT,
    QueryError,
    check_readonly_sql,
    open_readonly,
    readonly_session,
    run_readonly_sql,
    schema_mismatch,
)

F = TypeVar("F", bound=Callable[..., Any])


def query_errors(func: F) -> F:
    """A refused, failed or timed-out query becomes one line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QueryError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


@click.group()
def db() -> None:
    """Create, upgrade and inspect the archive database."""


@db.command("upgrade")
@db_option
@one_line_errors
def db_upgrade(db_url: str | None) -> None:
    """Create the archive or migrate it to the newest schema."""
    url = database_url(db_url)
    upgrade(url)
    click.echo(f"{safe_url(url)} is at schema revision {head_revision(url)}")


@db.command("status")
@db_option
@one_line_errors
def db_status(db_url: str | None) -> None:
    """Show the archive's schema revision and whether it needs an upgrade.

    Exit status 0: up to date; 1: it needs `archivist db upgrade`, or there is no archive
    (a missing SQLite file is reported, not created).
    """
    url = database_url(db_url)
    engine = open_readonly(url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision(url)
    state = "up to date" if current == head else "run `archivist db upgrade`"
    click.echo(f"{safe_url(url)}: revision {current or 'none'} (newest {head}): {state}")
    if current != head:
        click.get_current_context().exit(1)


@click.command("sql")
@click.argument("sql_text", metavar="SQL")
@db_option
@click.option(
    "-p",
    "--param",
    "params",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="Bind :NAME in the SQL to VALUE; repeatable.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Stop after this many rows (0: no cap); a note on stderr says when rows were cut.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Stop the query after this many seconds.",
)
@format_options
@one_line_errors
@query_errors
def sql(
    sql_text: str,
    db_url: str | None,
    params: tuple[tuple[str, str], ...],
    limit: int,
    timeout: float,
    fmt: str,
) -> None:
    """Run one read-only SQL query on the archive (SQL `-` reads it from stdin).

    Only SELECT, WITH … SELECT, VALUES and EXPLAIN run; anything that could write is refused.
    The connection is read-only too. Tables: sources, documents, versions, captures, blobs,
    crawl_runs, template_lines, scheduler_leases, the view latest and, on SQLite, the
    full-text table versions_fts (see README).
    """
    if sql_text == "-":
        sql_text = sys.stdin.read()
    checked = check_readonly_sql(sql_text)
    url = database_url(db_url)
    engine = open_readonly(url)
    try:
        result = run_readonly_sql(engine, checked, dict(params), limit, timeout)
    except SQLAlchemyError as exc:
        mismatch = _quiet_schema_mismatch(engine, url)
        if mismatch is None:
            raise
        raise click.ClickException(f"{database_error(exc, db_url)} ({mismatch})") from exc
    finally:
        engine.dispose()
    for chunk in render(result.columns, result.rows, fmt):
        click.echo(chunk, nl=False)
    if result.truncated:
        click.echo(f"stopped at {limit} rows: raise --limit to see more", err=True)


def _quiet_schema_mismatch(engine: Engine, url: str) -> str | None:
    """Why a failed query may have failed: the archive is at an older schema (None if not).

    `sql` runs on archives at any revision, so this is only checked once a query has failed.
    """
    try:
        return schema_mismatch(engine, url)
    except SQLAlchemyError:  # not an archive at all: the query's own error says enough
        return None


@click.command()
@click.argument("url")
@db_option
@click.option(
    "--captures",
    "max_captures",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Show the newest N captures (0: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@one_line_errors
@query_errors
def history(url: str, db_url: str | None, max_captures: int, as_json: bool) -> None:
    """List a document's versions and captures.

    URL is the document's canonical URL, or a URL one of its fetches asked for or ended at.
    """
    with readonly_session(database_url(db_url)) as session:
        found = document_history(session, url, max_captures)
        if as_json:
            click.echo(json.dumps(history_record(found), ensure_ascii=False))
        else:
            click.echo("\n".join(history_lines(found)))


def history_record(found: History) -> dict[str, Any]:
    """The JSON form of a document's history."""
    doc = found.document
    return {
        "url": doc.url,
        "status": doc.status,
        "redirect_url": doc.redirect_url,
        "first_seen_at": json_value(doc.first_seen_at),
        "last_checked_at": json_value(doc.last_checked_at),
        "version_count": doc.version_count,
        "capture_count": found.capture_count,
        "versions": [_version_record(v) for v in found.versions],
        "captures": [{**vars(c), "fetched_at": json_value(c.fetched_at)} for c in found.captures],
    }


def _version_record(version: Version) -> dict[str, Any]:
    return {
        "version_no": version.version_no,
        "first_seen_at": json_value(version.first_seen_at),
        "last_seen_at": json_value(version.last_seen_at),
        "content_hash": version.content_hash,
        "title": version.title,
        "authors": version.authors,
        "word_count": version.word_count,
        "extractor_version": version.extractor_version,
    }


def history_lines(found: History) -> list[str]:
    """A document's history for people: a summary, a versions table, a captures table."""
    doc = found.document
    shown = len(found.captures)
    some = f"newest {shown} of {found.capture_count}" if shown < found.capture_count else "all"
    version_rows = [
        (v.version_no, _when(v.first_seen_at), _when(v.last_seen_at), v.content_hash[:12],
         v.word_count, v.title)
        for v in found.versions
    ]  # fmt: skip
    capture_rows = [
        (_when(c.fetched_at), c.status, c.outcome, c.version_no, c.error) for c in found.captures
    ]
    return [
        doc.url,
        f"  status {doc.status}, {doc.version_count} version(s), {found.capture_count} "
        f"capture(s), first seen {_when(doc.first_seen_at)}",
        "",
        "versions",
        *aligned_table(("no", "first seen", "last seen", "hash", "words", "title"), version_rows),
        "",
        f"captures ({some}, newest first)",
        *aligned_table(("fetched at", "status", "outcome", "version", "error"), capture_rows),
    ]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else ""


@click.command()
@click.argument("url")
@db_option
@click.option("--from", "from_no", type=click.IntRange(min=1), help="Older version number.")
@click.option("--to", "to_no", type=click.IntRange(min=1), help="Newer version number.")
@click.option("--words", is_flag=True, help="Mark changed words inside changed paragraphs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@one_line_errors
@query_errors
def diff(
    url: str,
    db_url: str | None,
    from_no: int | None,
    to_no: int | None,
    words: bool,
    as_json: bool,
) -> None:
    """Show what changed in headline, authors and text between two versions.

    By default the newest two; --to M alone compares M-1 with M. Body text is diffed by
    paragraph (a unified diff), or with --words, word by word inside each changed paragraph.
    """
    with readonly_session(database_url(db_url)) as session:
        document = find_document(session, url)
        if document.version_count < 2 and from_no is None and to_no is None:
            _show_nothing_to_compare(session, document, as_json)
            return
        old, new = version_pair(session, document, from_no, to_no)
        changes = diff_readings(old, new, words)
        if as_json:
            record = diff_record(document.url, old, new, changes)
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            for line in diff_lines(old, new, changes):
                click.echo(_coloured(line))


def _show_nothing_to_compare(session: Session, document: Document, as_json: bool) -> None:
    """A document with fewer than two versions: its version alone in JSON, or a line saying so."""
    if as_json:
        record = single_record(document.url, newest_version(session, document))
        click.echo(json.dumps(record, ensure_ascii=False))
        return
    click.echo(f"{document.url} has {document.version_count} version(s): nothing to compare")


def diff_record(url: str, old: Version, new: Version, changes: ReadingDiff) -> dict[str, Any]:
    """The JSON form of a diff: both versions and the diff lines of each field."""
    return {
        "url": url,
        "from": _version_record(old),
        "to": _version_record(new),
        "title": changes.title,
        "authors": changes.authors,
        "text": changes.text,
    }


def single_record(url: str, only: Version | None) -> dict[str, Any]:
    """The JSON diff of a document with one version (or none): nothing to compare it with."""
    to = _version_record(only) if only else None
    return {"url": url, "from": None, "to": to, "title": [], "authors": [], "text": []}


def diff_lines(old: Version, new: Version, changes: ReadingDiff) -> list[str]:
    """A readable diff: a header per version, then each changed field."""
    lines = [
        f"--- version {old.version_no}  {_when(old.first_seen_at)}  {old.title}",
        f"+++ version {new.version_no}  {_when(new.first_seen_at)}  {new.title}",
    ]
    return [*lines, *(changes.lines() or ["no difference in headline, authors or text"])]


def _coloured(line: str) -> str:
    # click.echo drops the colour when stdout is not a terminal.
    if line.startswith("+") and not line.startswith("+++"):
        return click.style(line, fg="green")
    if line.startswith("-") and not line.startswith("---"):
        return click.style(line, fg="red")
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    return line
