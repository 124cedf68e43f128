"""`archivist fetch`: one-off fetch of article URLs into the archive."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from crawler.cli.options import require_site_rules, settings_option
from crawler.cli.source_fields import checked_url
from crawler.fetch import FetchResult, fetch_saved, fetch_urls
from crawler.golden import CaseError, check_free, save_case
from crawler.items import FetchedPage
from crawler.normalise.boilerplate import RulesError
from crawler.outcomes import FetchProblem
from crawler.settings import parse_overrides
from store.cli_options import db_option, one_line_errors
from store.db import database_url, open_archive

SUCCESS_OUTCOMES = {"new", "changed", "unchanged", "not_modified"}
EXIT_INTERRUPTED = 3  # as `crawl`: a signal stopped it; what was fetched so far is kept


@click.command()
@click.argument("urls", nargs=-1)
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per URL.")
@click.option("--no-store", is_flag=True, help="Fetch and extract, write nothing.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Process this saved HTML file instead of fetching (needs --url).",
)
@click.option("--url", "page_url", help="The URL the saved page (--html) came from.")
@click.option(
    "--save-fixture",
    "fixture_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also save each page as a golden extraction case in DIR/<host-path>/.",
)
@settings_option()
@one_line_errors
def fetch(
    urls: tuple[str, ...],
    db_url: str | None,
    as_json: bool,
    no_store: bool,
    html_file: Path | None,
    page_url: str | None,
    fixture_dir: Path | None,
    overrides: tuple[str, ...],
) -> None:
    """Fetch article URLs, extract, normalise and archive them.

    Prints each article's title, date, authors, word count and outcome: new (a new document),
    changed (a new version) or unchanged. Exits 1 if any URL failed or was not fetched (each
    such URL is named on stderr; failures are still recorded as captures), 3 if a signal
    stopped the fetch before every URL was fetched. --save-fixture never overwrites a case:
    it stops before fetching.
    """
    require_site_rules()
    if fixture_dir is not None:
        _check_cases_free(fixture_dir, [page_url] if html_file and page_url else list(urls))
    result = _run(urls, db_url, no_store, html_file, page_url, overrides)
    for page in result.pages:
        click.echo(json.dumps(page_record(page), ensure_ascii=False) if as_json else summary(page))
    if as_json:  # a script reading stdout learns of every URL it asked for
        for url, why in result.unfetched:
            click.echo(json.dumps(unfetched_record(url, why), ensure_ascii=False))
    unsaved = _save_cases(fixture_dir, result.pages, as_json) if fixture_dir is not None else 0
    failed = [p for p in result.pages if p.outcome not in SUCCESS_OUTCOMES]
    for page in failed:
        click.echo(f"error: {page.requested_url}: {page.error or page.outcome}", err=True)
    for url, why in result.unfetched:
        click.echo(f"error: {url}: not fetched ({why})", err=True)
    if result.interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if failed or result.unfetched or unsaved:
        sys.exit(1)


def _check_cases_free(root: Path, urls: list[str]) -> None:
    try:
        check_free(root, urls)
    except CaseError as exc:
        raise click.ClickException(str(exc)) from exc


def _save_cases(root: Path, pages: list[FetchedPage], as_json: bool) -> int:
    """Save each page as a golden case, saying where (stderr with --json); count the unsaved."""
    unsaved = 0
    for page in pages:
        try:
            folder = save_case(root, page)
        except (FetchProblem, CaseError, RulesError) as exc:
            click.echo(f"error: no case saved for {page.requested_url}: {exc}", err=True)
            unsaved += 1
            continue
        click.echo(f"saved case: {folder}", err=as_json)
    return unsaved


def _run(
    urls: tuple[str, ...],
    db_url: str | None,
    no_store: bool,
    html_file: Path | None,
    page_url: str | None,
    overrides: tuple[str, ...],
) -> FetchResult:
    if html_file is not None:
        if not page_url or urls:
            raise click.UsageError("--html FILE needs --url URL and no other URLs")
        return FetchResult([fetch_saved(html_file, page_url, db_url, store=not no_store)])
    if not urls:
        raise click.UsageError("give at least one URL (or --html FILE --url URL)")
    for url in urls:
        checked_url(url, spaces=True)
    try:
        settings = parse_overrides(overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    settings.update(ARCHIVIST_STORE=not no_store, ARCHIVIST_DB_URL=database_url(db_url))
    if not no_store:
        open_archive(db_url).dispose()  # schema problems surface before any fetch
    return fetch_urls(list(urls), settings)


def page_record(page: FetchedPage) -> dict[str, Any]:
    """The JSON form of one fetched page."""
    snap = page.snapshot
    rec = page.recorded
    return {
        "url": page.requested_url,
        "final_url": page.final_url,
        "canonical_url": snap.url if snap else None,
        "status": page.status,
        "title": snap.title if snap else None,
        "authors": list(snap.authors) if snap else [],
        "published_at": _iso(snap.published_at) if snap else None,
        "modified_at": _iso(snap.modified_at) if snap else None,
        "language": snap.language if snap else None,
        "word_count": snap.word_count if snap else 0,
        "text": snap.text if snap else None,
        "content_hash": snap.content_hash if snap else None,
        "extractor_version": snap.extractor_version if snap else None,
        "version_no": rec.version_no if rec else None,
        "outcome": page.outcome,
        "error": page.error,
        "fetched_at": _iso(page.fetched_at),
    }


def unfetched_record(url: str, why: str) -> dict[str, Any]:
    """The JSON form of a URL that got no page at all (outcome `not_fetched`): the keys of
    page_record, empty but for the URL, the outcome and the reason."""
    record = page_record(FetchedPage(requested_url=url, fetched_at=datetime.now(UTC)))
    return {**record, "outcome": "not_fetched", "error": why, "fetched_at": None}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary(page: FetchedPage) -> str:
    """A few human lines about one fetched page."""
    snap = page.snapshot
    if snap is None:
        return f"{page.requested_url}\n  outcome: {page.outcome} ({page.error})"
    rec = page.recorded
    outcome = {
        "new": "new document, version 1",
        "changed": f"changed: new version {rec.version_no if rec else '?'}",
        "unchanged": f"unchanged (version {rec.version_no if rec else '?'})",
    }.get(page.outcome or "", page.outcome or "")
    if rec is None:
        outcome = "not stored (--no-store)"
    published = snap.published_at.isoformat() if snap.published_at else "unknown"
    return "\n".join(
        [
            snap.title or "(no title)",
            f"  url:       {snap.url}",
            f"  published: {published}",
            f"  authors:   {', '.join(snap.authors) or 'unknown'}",
            f"  words:     {snap.word_count}",
            f"  outcome:   {outcome}",
        ]
    )
