"""Thin adapters between Scrapy and the rest: read (in a process pool if asked), then archive."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Self

from scrapy.crawler import Crawler
from sqlalchemy import Engine

from crawler.items import FetchedPage
from crawler.normalise.urls import canonical_url
from crawler.outcomes import FetchProblem, check_fetch
from crawler.reading import BlockedPage, NotAnArticle, read_article
from store.archive import record_failure, record_snapshot
from store.db import open_archive, transaction
from store.records import ArticleSnapshot, CaptureRecord, Outcome, Recorded


def read_fetched(item: FetchedPage) -> ArticleSnapshot:
    """Check and read one fetched page; raises FetchProblem. Module-level: pools pickle it."""
    check_fetch(item)
    try:
        return read_article(
            item.final_url or item.requested_url, item.body or b"", item.headers.get("content-type")
        )
    except BlockedPage as exc:
        raise FetchProblem(Outcome.BLOCKED, f"blocked: {exc}") from exc
    except NotAnArticle as exc:
        raise FetchProblem(Outcome.ERROR, f"nothing extractable: {exc}") from exc


def read_page(item: FetchedPage) -> None:
    """Read a page in this process; sets the item's snapshot, or its outcome and error."""
    try:
        settle(item, read_fetched(item))
    except FetchProblem as problem:
        settle(item, problem)


def settle(item: FetchedPage, result: ArticleSnapshot | FetchProblem) -> None:
    """Attach a read's result to the item."""
    if isinstance(result, FetchProblem):
        item.outcome = result.outcome.value
        item.error = item.error or str(result)
    else:
        item.snapshot = result
        item.outcome = Outcome.NEW.value


def record_page(
    engine: Engine, item: FetchedPage, run_id: int | None = None, source_id: int | None = None
) -> Recorded:
    """Write one read page in one transaction: a capture, and a version if it changed."""
    capture = CaptureRecord(
        requested_url=item.requested_url,
        fetched_at=item.fetched_at,
        final_url=item.final_url,
        status=item.status,
        headers=item.headers,
        body=item.body,
        error=item.error,
        crawl_run_id=run_id,
    )
    with transaction(engine) as session:
        if item.snapshot is not None:
            return record_snapshot(session, item.snapshot, capture, source_id)
        outcome = Outcome(item.outcome or Outcome.ERROR.value)
        return record_failure(session, capture, outcome, canonical_url(item.requested_url))


class ArchivePipeline:
    """Reads each fetched page and records it; attaches the outcome to the item."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.store: bool = settings["ARCHIVIST_STORE"]
        self.url: str | None = settings["ARCHIVIST_DB_URL"]
        self.workers: int = settings["ARCHIVIST_EXTRACT_WORKERS"]
        self.run_id: int | None = settings["ARCHIVIST_CRAWL_RUN_ID"]
        self.source_id: int | None = settings["ARCHIVIST_SOURCE_ID"]
        self.engine: Engine | None = None
        self.pool: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.copy_to_dict())

    def open_spider(self) -> None:
        if self.store:
            self.engine = open_archive(self.url)
        if self.workers > 0:
            self.pool = ProcessPoolExecutor(max_workers=self.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.engine is not None:
            self.engine.dispose()

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        try:
            settle(item, await self._read(item))
        except FetchProblem as problem:
            settle(item, problem)
        if self.engine is not None:
            item.recorded = record_page(self.engine, item, self.run_id, self.source_id)
            item.outcome = item.recorded.outcome.value
        return item

    async def _read(self, item: FetchedPage) -> ArticleSnapshot:
        if self.pool is None:
            return read_fetched(item)
        return await asyncio.wrap_future(self.pool.submit(read_fetched, item))
