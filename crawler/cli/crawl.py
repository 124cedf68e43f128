"""`archivist crawl NAME` (one run now) and `archivist runs` (recent runs with their counts)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crawler.cli.options import settings_option
from crawler.settings import parse_overrides
from store.cli_options import db_option, one_line_errors
from store.db import open_archive, transaction
from store.models import CrawlRun, Source
from store.runs import COUNTERS, recent_runs
from store.sources import SourceError

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

    from crawler.crawl import CrawlResult
    from crawler.items import FetchedPage

EXIT_FAILED = 1
EXIT_INTERRUPTED = 3
SKIPPED = ("skipped_unchanged", "skipped_backoff")
# counter -> short column heading for the runs table ("skipped": the SKIPPED counters together)
SHOWN_COUNTERS = {
    "discovered": "found", "skipped": "skipped", "fetched": "fetched", "new_documents": "new",
    "new_versions": "changed", "unchanged": "same", "not_modified": "304", "gone": "gone",
    "redirected": "redir", "blocked": "blocked", "errors": "errors",
}  # fmt: skip


def run_record(run: CrawlRun, source_name: str | None) -> dict[str, Any]:
    """A crawl_runs row as JSON-ready data."""
    record: dict[str, Any] = {
        "id": run.id,
        "source": source_name,
        "kind": run.kind,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "worker": run.worker,
        "pid": run.pid,
    }
    record.update({counter: getattr(run, counter) for counter in COUNTERS})
    record["error"] = run.error
    record["warnings"] = run.warnings
    return record


def load_runs(db_url: str | None, limit: int, run_id: int | None = None) -> list[dict[str, Any]]:
    """Recent runs (or one run) with their source names; "no archive at PATH" if none."""
    engine = open_archive(db_url, create=False)
    try:
        with transaction(engine) as session:
            runs = [session.get(CrawlRun, run_id)] if run_id else recent_runs(session, limit)
            names = {s.id: s.name for s in session.query(Source)}
            return [run_record(r, names.get(r.source_id or -1)) for r in runs if r is not None]
    finally:
        engine.dispose()


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Any]:
    """A progress display on stderr (only on a terminal); yields the per-page callback."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("crawling", total=None, counts="")

        def on_page(_page: FetchedPage, stats: StatsCollector) -> None:
            scheduled = int(stats.get_value("archivist/scheduled", 0)) or None
            done = int(stats.get_value("archivist/fetched", 0))
            new = int(stats.get_value("archivist/new_documents", 0))
            changed = int(stats.get_value("archivist/new_versions", 0))
            errors = int(stats.get_value("archivist/errors", 0))
            counts = f"new {new}, changed {changed}, errors {errors}"
            progress.update(task, completed=done, total=scheduled, counts=counts)

        yield on_page


def summary_table(record: dict[str, Any]) -> Table:
    """The end-of-run summary: one line per counter."""
    table = Table(title=f"crawl run {record['id']} of {record['source']}: {record['status']}")
    table.add_column("counter")
    table.add_column("count", justify="right")
    for shown in SHOWN_COUNTERS:
        for counter in SKIPPED if shown == "skipped" else (shown,):
            table.add_row(counter.replace("_", " "), str(record[counter]))
    table.add_row("megabytes", f"{record['bytes'] / 1e6:.1f}")
    return table


@click.command()
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), help="Fetch at most N article pages.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's row as JSON at the end.")
@click.option("--errors", "show_errors", is_flag=True, help="List the pages that failed.")
@click.option(
    "--run-id", type=int, metavar="ID", help="Use this existing `running` crawl_runs row."
)
@db_option
@settings_option()
@one_line_errors
def crawl(
    name: str,
    limit: int | None,
    as_json: bool,
    show_errors: bool,
    run_id: int | None,
    db_url: str | None,
    overrides: tuple[str, ...],
) -> None:
    """Crawl source NAME once, now: discover new articles, revisit due ones, archive them.

    Exit status: 0 when the run finished (single pages may have failed: see --errors),
    1 when the run failed (e.g. the feed is invalid or unreachable), 3 when a signal
    interrupted it (what was fetched so far is kept).
    """
    try:
        settings = parse_overrides(overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if limit:
        settings["ARCHIVIST_LIMIT"] = limit
    # Imported here: Scrapy and the extractors take a second to load, `archivist runs` none.
    from crawler.crawl import RunError, crawl_source

    with progress_bar(sys.stderr.isatty() and not as_json) as on_page:
        try:
            result = crawl_source(name, db_url, settings, run_id, on_page)
        except (SourceError, RunError) as exc:
            raise click.ClickException(str(exc)) from exc
    report(result, db_url, as_json, show_errors)
    if result.status == "failed":
        sys.exit(EXIT_FAILED)
    if result.status == "interrupted":
        sys.exit(EXIT_INTERRUPTED)


def report(result: CrawlResult, db_url: str | None, as_json: bool, show_errors: bool) -> None:
    """The run's row as JSON or a table, its error, and the failed pages if asked."""
    record = load_runs(db_url, 1, result.run_id)[0]
    learned = result.template
    if as_json:
        if show_errors:
            record["failures"] = [{"url": u, "error": e} for u, e in result.failures]
        record["template_lines"] = learned.found + learned.kept if learned else None
        click.echo(json.dumps(record, ensure_ascii=False))
    else:
        Console().print(summary_table(record))
        if learned is not None and learned.found + learned.kept:
            click.echo(
                f"template: {learned.found + learned.kept} lines learned for this source "
                f"(archivist source show {record['source']} --template)"
            )
    if result.error:
        click.echo(f"error: run {result.run_id} {result.status}: {result.error}", err=True)
    if result.warnings:
        click.echo(f"warning: run {result.run_id}: {result.warnings}", err=True)
    if show_errors and not as_json:
        for url, error in result.failures:
            click.echo(f"{url}: {error}")


LIST_LIMIT = 20  # runs the table shows


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=LIST_LIMIT, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "--close",
    "close_id",
    type=click.IntRange(min=1),
    metavar="ID",
    help="Mark run ID failed: a run left `running` by a crawl that is gone where no check "
    "can see it (a machine that died or was retired). Refused while its worker is alive or "
    "its crawl runs on this machine.",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --close: close the run even though its pid is alive on this machine (a "
    "process of another container, not the crawl).",
)
@db_option
@one_line_errors
def runs(limit: int, as_json: bool, close_id: int | None, force: bool, db_url: str | None) -> None:
    """Recent crawl runs, newest first, with their counts; or close one left running."""
    if close_id is None:
        if force:
            raise click.UsageError("--force goes with --close ID")
    else:
        given = click.get_current_context().get_parameter_source("limit")
        if as_json or given is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError("--close ID takes neither --json nor --limit")
        close_run(db_url, close_id, force)
        return
    records = load_runs(db_url, limit)
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    table = Table(box=None)
    for column in ("id", "source", "kind", "status", "started (UTC)", "secs",
                   *SHOWN_COUNTERS.values()):  # fmt: skip
        table.add_column(column, no_wrap=True)
    table.add_column("error / warning", overflow="fold")
    for record in records:
        table.add_row(*_run_cells(record))
    Console(width=max(Console().width, 160)).print(table)


def close_run(db_url: str | None, run_id: int, force: bool = False) -> None:
    """`runs --close ID`: fail a run left running by a crawl that is gone, and say so."""
    from store.claims import CLOSED_BY_HAND, CloseRefused, close_by_hand

    engine = open_archive(db_url, create=False)
    try:
        with transaction(engine) as session:
            run = close_by_hand(session, run_id, force)
            source = session.get(Source, run.source_id) if run.source_id else None
            name = source.name if source is not None else "a removed source"
            if run.source_id is None and run.kind == "reprocess":
                name = "every source"  # a reprocess of the whole archive
    except CloseRefused as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"run {run_id} of {name} closed: marked failed ({CLOSED_BY_HAND})")


def _run_cells(record: dict[str, Any]) -> list[str]:
    started = record["started_at"][:16].replace("T", " ")
    seconds = ""
    if record["finished_at"]:
        finished = datetime.fromisoformat(record["finished_at"])
        seconds = f"{(finished - datetime.fromisoformat(record['started_at'])).total_seconds():.0f}"
    counts = [str(_shown_count(record, c)) for c in SHOWN_COUNTERS]
    source = record["source"] or ("(removed)" if record["kind"] != "reprocess" else "")
    return [str(record["id"]), source, record["kind"], record["status"], started, seconds,
            *counts, _problem(record)]  # fmt: skip


def _problem(record: dict[str, Any]) -> str:
    """The runs table's last cell: why a run failed, or what it warned of."""
    if record["error"]:
        return str(record["error"])
    return f"warning: {record['warnings']}" if record["warnings"] else ""


def _shown_count(record: dict[str, Any], shown: str) -> int:
    """One cell of the runs table: a counter, or the skip counters added up."""
    if shown == "skipped":
        return sum(int(record[counter]) for counter in SKIPPED)
    return int(record[shown])
