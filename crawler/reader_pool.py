"""Reading pages in worker processes while Scrapy keeps fetching: all the CPU work of a page.

Workers import this module and what it needs to read a page, nothing more: no Scrapy, no
SQLAlchemy (a worker's memory is the crawl's memory, twice over on two cores). Pages travel
to them stripped of what only the archive needs.
"""

from __future__ import annotations

import ctypes
import dataclasses
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from crawler.items import FetchedPage
from crawler.outcomes import FetchProblem, check_fetch
from crawler.reading import BlockedPage, NotAnArticle, read_article
from store.packing import PreparedBlob, prepare_blob
from store.records import ArticleSnapshot, Outcome


@dataclass(frozen=True)
class Reading:
    """What reading one page gives: a snapshot or the outcome and error, and the ready body."""

    snapshot: ArticleSnapshot | None = None
    outcome: Outcome = Outcome.NEW
    error: str | None = None
    blob: PreparedBlob | None = None


def read_fetched(item: FetchedPage) -> ArticleSnapshot:
    """Check and read one fetched page; raises FetchProblem."""
    check_fetch(item)
    try:
        return read_article(
            item.final_url or item.requested_url, item.body or b"", item.headers.get("content-type")
        )
    except BlockedPage as exc:
        raise FetchProblem(Outcome.BLOCKED, f"blocked: {exc}") from exc
    except NotAnArticle as exc:
        raise FetchProblem(Outcome.ERROR, f"nothing extractable: {exc}") from exc


def read_for_archive(item: FetchedPage, prepare: bool = True) -> Reading:
    """Read a page and prepare its body for storage: all the CPU work of one page.

    Module-level and exception-free so a process pool can run it and send the result back.
    """
    blob = prepare_blob(item.body) if prepare and item.body else None
    try:
        return Reading(snapshot=read_fetched(item), blob=blob)
    except FetchProblem as problem:
        return Reading(outcome=problem.outcome, error=str(problem), blob=blob)


def for_worker(item: FetchedPage) -> FetchedPage:
    """The page as a worker needs it: the archive's record and the listing stay behind."""
    return dataclasses.replace(item, known=None, listing=None)


def extraction_pool(workers: int, pages_per_worker: int = 4000) -> ProcessPoolExecutor:
    """Worker processes for reading pages.

    Forkserver: workers start small instead of copying the crawl process (and the forkserver
    stays small too: nothing preloaded). A worker is replaced after `pages_per_worker` pages,
    so memory stays flat over long crawls; loading the extractor again costs about a second.
    """
    context = multiprocessing.get_context("forkserver")
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_quiet_worker,
        max_tasks_per_child=pages_per_worker,
    )


def read_in_worker(item: FetchedPage, prepare: bool) -> Reading:
    """read_for_archive, then hand the page's freed memory back to the system.

    A big page leaves the C heap grown; trimming it keeps a worker's RSS near its baseline.
    """
    try:
        return read_for_archive(item, prepare)
    finally:
        _trim_heap()


def _trim_heap() -> None:
    if GLIBC is not None:
        GLIBC.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return None


GLIBC = _glibc()


def _quiet_worker() -> None:
    """Extraction workers leave Ctrl-C to the crawl, which shuts them down gracefully."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
