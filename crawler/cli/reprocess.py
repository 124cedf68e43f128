"""`archivist reprocess`: read stored pages again with today's extraction; no network."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine

from crawler.cli.options import require_site_rules
from crawler.reprocess import (
    Change,
    ReprocessReport,
    Selection,
    count_documents,
    reprocess,
)
from store.cli_options import db_option, one_line_errors
from store.db import database_url, open_archive, session_factory, transaction
from store.owners import this_host
from store.query import check_schema, open_readonly
from store.runs import finish_run, start_run
from store.sources import SourceError, get_source

EXAMPLE_LINES = 4
EXAMPLE_WIDTH = 160


@click.command("reprocess")
@db_option
@click.option("--source", "source_name", metavar="NAME", help="Only this source's documents.")
@click.option(
    "--since",
    metavar="DATE",
    help="Only documents whose newest stored page was fetched at or after DATE "
    "(ISO 8601, e.g. 2024-03-01 or 2024-03-01T12:00+02:00; UTC if no offset).",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@one_line_errors
def reprocess_command(
    db_url: str | None, source_name: str | None, since: str | None, dry_run: bool
) -> None:
    """Extract and normalise stored pages again, without fetching.

    Each document's newest page that was read as an article is read again from its stored raw
    body with the current extraction and normalisation. A new version (recording the current
    extractor version) is made only where headline, authors or text now differ; --dry-run
    counts those documents and shows a few, writing nothing.
    """
    require_site_rules()
    with _archive(db_url, dry_run) as engine:
        selection = Selection(_source_id(engine, source_name), _utc(since))
        report = _run(engine, selection, dry_run)
    for line in summary(report, dry_run):
        click.echo(line)


@contextmanager
def _archive(db_url: str | None, dry_run: bool) -> Iterator[Engine]:
    """A dry run reads over a connection that cannot write; a real run opens the archive.

    Either way it must exist already: reprocessing a missing archive is "no archive at PATH".
    """
    if dry_run:
        url = database_url(db_url)
        engine = open_readonly(url)  # no archive there: "no archive at PATH", nothing created
        check_schema(engine, url)
    else:
        engine = open_archive(db_url, create=False)
    try:
        yield engine
    finally:
        engine.dispose()


def _source_id(engine: Engine, name: str | None) -> int | None:
    if name is None:
        return None
    with session_factory(engine)() as session:
        try:
            return get_source(session, name).id
        except SourceError as exc:
            raise click.ClickException(str(exc)) from exc


def _utc(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 date: {text}", param_hint="--since") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _run(engine: Engine, selection: Selection, dry_run: bool) -> ReprocessReport:
    """Reprocess with a progress bar; a real run is logged in crawl_runs (kind `reprocess`)."""
    if dry_run:
        return _with_progress(engine, selection, dry_run=True)
    with transaction(engine) as session:
        run_id = start_run(  # host and pid: a run left by a killed reprocess is found dead
            session, selection.source_id, kind="reprocess", worker=this_host(), pid=os.getpid()
        ).id
    try:
        report = _with_progress(engine, selection, dry_run=False)
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        with transaction(engine) as session:
            finish_run(session, run_id, status, error=str(exc) or type(exc).__name__)
        raise
    counts = {
        "new_versions": report.changed,
        "unchanged": report.unchanged,
        "errors": report.unreadable,
    }
    with transaction(engine) as session:
        finish_run(session, run_id, "finished", counts)
    return report


def _with_progress(engine: Engine, selection: Selection, dry_run: bool) -> ReprocessReport:
    console = Console(stderr=True)
    with session_factory(engine)() as session:
        total = count_documents(session, selection)
    columns = (TextColumn("reprocessing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task("reprocess", total=total)
        return reprocess(engine, selection, dry_run, functools.partial(bar.advance, task))


def summary(report: ReprocessReport, dry_run: bool) -> list[str]:
    """Counts, then a few changed documents with the start of their word diff."""
    rest = f"{report.unchanged} unchanged, {report.unreadable} unreadable"
    if dry_run:
        head = (
            f"dry run: {report.changed} of {report.examined} document(s) would get a new "
            f"version ({rest}); nothing was written"
        )
    else:
        head = f"reprocessed {report.examined} document(s): {report.changed} new version(s), {rest}"
    lines = [head]
    for change in report.examples:
        lines += ["", *_example(change)]
    if report.changed > len(report.examples):
        lines += ["", f"… and {report.changed - len(report.examples)} more"]
    return lines


def _example(change: Change) -> list[str]:
    old = f"version {change.old_version_no}" if change.old_version_no else "no version"
    new = f"version {change.new_version_no}" if change.new_version_no else "a new version"
    diff = change.diff.lines()
    shown = [_clip(line) for line in diff[:EXAMPLE_LINES]]
    more = [f"  … {len(diff) - EXAMPLE_LINES} more line(s)"] if len(diff) > EXAMPLE_LINES else []
    return [f"{change.url}: {old} -> {new}", *(f"  {line}" for line in shown), *more]


def _clip(line: str) -> str:
    return line if len(line) <= EXAMPLE_WIDTH else line[: EXAMPLE_WIDTH - 1] + "…"
