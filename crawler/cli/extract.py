"""`archivist extract`: saved pages to JSON lines, offline (no network, no database)."""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from crawler.cli.options import require_site_rules
from crawler.reading import BlockedPage, NotAnArticle, read_article

PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
POOL_MIN_FILES = 8  # below this, starting worker processes costs more than it saves
PROGRESS_EVERY = 100  # files between progress lines on stderr


@dataclass(frozen=True)
class Job:
    """One page to read: how the user named it, where its bytes are, and its URL."""

    shown: str
    url: str
    path: str | None = None  # None: the bytes came from stdin
    body: bytes | None = None


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="FILE… | DIR | -")
@click.option(
    "--url-map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON object from file base name (with or without .html/.gz) to the page's URL.",
)
@click.option("--url", "page_url", help="The URL of the page, for a single FILE or stdin.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="the machine's cores",
    help="Worker processes for large batches.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines (the only output format).")
def extract(
    inputs: tuple[str, ...], url_map: Path | None, page_url: str | None, jobs: int, as_json: bool
) -> None:
    """Extract and normalise saved HTML pages, one JSON line per file (no database).

    Reads .html and .html.gz files, every such file directly inside a DIR, or one page from
    stdin (-). Each line has file, url, title, text, authors, published_at, modified_at,
    language, word_count, content_hash and outcome; a file that fails gets outcome "blocked"
    or "error" and an error message, and the others go on. Exits 1 if any file failed.
    """
    require_site_rules()
    files = list(expand_inputs(inputs))
    if page_url and len(files) != 1:
        raise click.UsageError("--url names one page: give exactly one FILE or -")
    urls = load_url_map(url_map) if url_map else {}
    jobs_list = [make_job(shown, path, urls, page_url) for shown, path in files]
    failed = 0
    for done, record in enumerate(run_jobs(jobs_list, jobs), start=1):
        click.echo(json.dumps(record, ensure_ascii=False))
        if record["outcome"] != "extracted":
            failed += 1
        report_progress(done, len(jobs_list))
    if failed:
        click.echo(f"error: {failed} of {len(jobs_list)} files failed", err=True)
        sys.exit(1)


def expand_inputs(inputs: Iterable[str]) -> Iterator[tuple[str, Path | None]]:
    """(name as shown, path) for every page: files as given, folders' pages, stdin as None."""
    for given in inputs:
        if given == "-":
            yield given, None
            continue
        path = Path(given)
        if path.is_dir():
            pages = sorted(p for p in path.iterdir() if p.name.lower().endswith(PAGE_SUFFIXES))
            pages = [p for p in pages if p.is_file()]
            if not pages:
                raise click.UsageError(f"no {' or '.join(PAGE_SUFFIXES)} files in {given}")
            yield from ((str(p), p) for p in pages)
        elif path.is_file():
            yield given, path
        else:
            raise click.UsageError(f"no such file or folder: {given}")


def load_url_map(path: Path) -> dict[str, str]:
    """The --url-map file: a JSON object of base name -> URL."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise click.UsageError(f"--url-map {path}: not a readable JSON file ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise click.UsageError(f"--url-map {path}: expected a JSON object of name -> URL")
    return data


def make_job(shown: str, path: Path | None, urls: dict[str, str], page_url: str | None) -> Job:
    """A job with its URL: --url, the url map (full name, then without suffixes), or file://."""
    if path is None:
        body = sys.stdin.buffer.read()
        return Job(shown, page_url or urls.get("-") or "file:///dev/stdin", body=body)
    stem = path.name
    for suffix in (".gz", ".html", ".htm"):
        stem = stem.removesuffix(suffix)
    url = page_url or urls.get(path.name) or urls.get(stem) or path.resolve().as_uri()
    return Job(shown, url, path=str(path))


def run_jobs(jobs: list[Job], workers: int) -> Iterator[dict[str, Any]]:
    """Records in input order; a process pool when the batch is large enough to pay for it."""
    if workers == 1 or len(jobs) < POOL_MIN_FILES:
        yield from map(extract_one, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(extract_one, jobs, chunksize=4)


def extract_one(job: Job) -> dict[str, Any]:
    """One file's JSON record. Module-level: the pool pickles it."""
    record: dict[str, Any] = {"file": job.shown, "url": job.url}
    try:
        snapshot = read_article(job.url, job.body if job.body is not None else read_page(job))
    except BlockedPage as exc:
        return {**record, "outcome": "blocked", "error": f"blocked: {exc}"}
    except NotAnArticle as exc:
        return {**record, "outcome": "error", "error": f"nothing extractable: {exc}"}
    except Exception as exc:  # one unreadable or malformed file must not stop the batch
        return {**record, "outcome": "error", "error": f"{type(exc).__name__}: {exc}"}
    return {
        **record,
        "canonical_url": snapshot.url,
        "title": snapshot.title,
        "text": snapshot.text,
        "authors": list(snapshot.authors),
        "published_at": _iso(snapshot.published_at),
        "modified_at": _iso(snapshot.modified_at),
        "language": snapshot.language,
        "word_count": snapshot.word_count,
        "content_hash": snapshot.content_hash,
        "extractor_version": snapshot.extractor_version,
        "outcome": "extracted",
    }


def read_page(job: Job) -> bytes:
    """A saved page's bytes, gunzipped when the name ends in .gz."""
    raw = Path(job.path or "").read_bytes()
    return gzip.decompress(raw) if (job.path or "").lower().endswith(".gz") else raw


def report_progress(done: int, total: int) -> None:
    """A progress line on stderr every PROGRESS_EVERY files of a long batch."""
    if total >= PROGRESS_EVERY and (done % PROGRESS_EVERY == 0 or done == total):
        click.echo(f"extract: {done}/{total} files", err=True)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
