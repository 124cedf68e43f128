"""Thin adapters between Scrapy and the rest: read (in a process pool if asked), then archive."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler.items import COUNTED_META, KNOWN_META, FetchedPage, Listing
from crawler.normalise.urls import canonical_url
from crawler.outcomes import FetchProblem, check_fetch
from crawler.reader_pool import ReaderPool, Reading, read_for_archive
from crawler.reading import EXTRACTOR_VERSION
from crawler.settings import parse_duration, template_policy
from store.archive import (
    Touch,
    mark_redirected,
    record_failure,
    record_snapshot,
    record_unchanged,
)
from store.db import open_archive, transaction
from store.models import Document, utcnow
from store.packing import digest_of
from store.records import CaptureRecord, Outcome, Recorded
from store.revisits import RevisitPolicy, known_document, note_listing, schedule_next_check
from store.templates import Template, load_template, note_readings

if TYPE_CHECKING:  # extraction workers import this module: keep Scrapy out of them
    from scrapy import Request
    from scrapy.crawler import Crawler


def read_page(item: FetchedPage) -> None:
    """Read a page in this process; sets the item's snapshot, or its outcome and error."""
    settle(item, read_for_archive(item, prepare=False))


def settle(item: FetchedPage, reading: Reading) -> None:
    """Attach a reading's result to the item."""
    item.snapshot = reading.snapshot
    item.outcome = reading.outcome.value
    item.blob = reading.blob
    if reading.error:
        item.error = item.error or reading.error


def record_page(
    engine: Engine,
    item: FetchedPage,
    run_id: int | None = None,
    source_id: int | None = None,
    policy: RevisitPolicy | None = None,
    template: Template | None = None,
) -> Recorded:
    """Write one read page in one transaction: a capture, and a version if it changed."""
    capture = _capture(item, run_id)
    with transaction(engine) as session:
        touch = _checked(session, item, policy)
        if item.snapshot is not None:
            recorded = record_snapshot(
                session,
                item.snapshot,
                capture,
                source_id,
                blob=item.blob,
                template=template,
                touch=touch,
            )
            _note_redirect(session, item, item.snapshot.url, run_id, policy)
            return recorded
        outcome = Outcome(item.outcome or Outcome.ERROR.value)
        # a revisit knows its document: its canonical URL may differ from the fetched one
        document_url = item.known.url if item.known else canonical_url(item.requested_url)
        if outcome is Outcome.REDIRECTED and item.final_url:  # first: the touch reads the status
            item.redirected = mark_redirected(
                session, canonical_url(item.requested_url), canonical_url(item.final_url)
            )
        return record_failure(session, capture, outcome, document_url, blob=item.blob, touch=touch)


def record_unchanged_page(
    engine: Engine, item: FetchedPage, run_id: int | None, policy: RevisitPolicy | None
) -> Recorded | None:
    """Record a revisit whose body is byte-identical to the last capture, without reading it."""
    known = item.known
    if known is None or not item.body or item.status != 200:
        return None
    if item.final_url != item.requested_url:  # redirected: the full read decides what it is
        return None
    if known.extractor_version != EXTRACTOR_VERSION or known.last_digest != digest_of(item.body):
        return None
    with transaction(engine) as session:
        capture = _capture(item, run_id)
        touch = _checked(session, item, policy)
        return record_unchanged(session, capture, known.url, known.last_digest, touch)


def _capture(item: FetchedPage, run_id: int | None) -> CaptureRecord:
    return CaptureRecord(
        requested_url=item.requested_url,
        fetched_at=item.fetched_at,
        final_url=item.final_url,
        status=item.status,
        headers=item.headers,
        body=item.body or None,  # a 304 or an empty reply has nothing worth a blob
        error=item.error,
        crawl_run_id=run_id,
    )


def _note_redirect(
    session: Session,
    item: FetchedPage,
    target_url: str,
    run_id: int | None,
    policy: RevisitPolicy | None,
) -> None:
    """A known document whose URL now redirects to another article: say so, with evidence."""
    if not item.final_url or item.final_url == item.requested_url:
        return
    old_url = canonical_url(item.requested_url)
    if old_url == target_url or known_document(session, old_url, full=False) is None:
        return
    evidence = replace(_capture(item, run_id), body=None)
    recorded = record_failure(session, evidence, Outcome.REDIRECTED, old_url)
    item.redirected = mark_redirected(session, old_url, target_url)
    if policy is not None and recorded.document_id is not None:
        schedule_next_check(session, recorded.document_id, policy, item.fetched_at)


def _checked(session: Session, item: FetchedPage, policy: RevisitPolicy | None) -> Touch:
    """What a check does to its document: keep the listing's news fields, schedule the next."""

    def touch(document: Document) -> None:
        if item.listing is not None:
            keep_listing(session, document, item.listing)
        if policy is not None:
            schedule_next_check(session, document, policy, item.fetched_at)

    return touch


def keep_listing(session: Session, document: Document | int, listing: Listing) -> None:
    """Keep what a feed or sitemap said about the document: its date and news fields."""
    note_listing(
        session,
        document,
        modified_at=listing.modified_at,
        news_title=listing.news_title,
        news_keywords=listing.news_keywords,
        news_published_at=listing.news_published_at,
    )


class ArchivePipeline:
    """Reads each fetched page and records it; attaches the outcome to the item."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.policy = revisit_policy(settings)
        self.store: bool = settings["ARCHIVIST_STORE"]
        self.url: str | None = settings["ARCHIVIST_DB_URL"]
        self.workers: int = settings["ARCHIVIST_EXTRACT_WORKERS"]
        self.read_before_pool: int = settings.get("ARCHIVIST_READ_BEFORE_POOL", 8)
        self.run_id: int | None = settings["ARCHIVIST_CRAWL_RUN_ID"]
        self.source_id: int | None = settings["ARCHIVIST_SOURCE_ID"]
        self.templates = template_policy(settings)
        self.template: Template | None = None  # the source's learned template (source crawls)
        self.readings = 0  # pages read as articles: what the template was checked against
        self.carried: Counter[str] = Counter()  # how many of them carried each template line
        self.engine: Engine | None = None
        self.pool: ReaderPool | None = None
        self.pages_per_worker: int = settings.get("ARCHIVIST_PAGES_PER_WORKER", 4000)
        self.read = 0  # pages this crawl has had to read
        self.coming = 0  # new article pages on their way (past the archive's check)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from scrapy import signals

        pipeline = cls(crawler.settings.copy_to_dict())
        crawler.signals.connect(
            pipeline.request_reached_downloader, signal=signals.request_reached_downloader
        )
        return pipeline

    def request_reached_downloader(self, request: Request) -> None:
        """Start the workers as soon as more than ARCHIVIST_READ_BEFORE_POOL new articles are
        on their way, so they load the extractor while the first pages download.

        Only articles the archive does not hold yet count: they are read unless the fetch
        fails. A revisit of a known one is often unchanged (a 304, or the same bytes), with
        nothing to read; a request the archive's check skipped never gets here. A retry or a
        redirect of a counted request is not counted again.
        """
        meta = request.meta
        if not meta.get("article") or meta.get(COUNTED_META) or meta.get(KNOWN_META) is not None:
            return
        meta[COUNTED_META] = True
        self.coming += 1
        if self.coming > self.read_before_pool:
            self._start_workers()

    def open_spider(self) -> None:
        if self.store:
            self.engine = open_archive(self.url)
        if self.engine is not None and self.source_id is not None:  # off, it still compares
            with transaction(self.engine) as session:
                self.template = load_template(session, self.source_id)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close(cancel=True)
        if self.engine is not None:
            if self.templates.enabled and self.template and self.source_id is not None:
                with transaction(self.engine) as session:
                    note_readings(
                        session,
                        self.source_id,
                        self.readings,
                        self.carried,
                        self.templates,
                        utcnow(),
                    )
            self.engine.dispose()

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        if self.engine is not None:
            item.recorded = record_unchanged_page(self.engine, item, self.run_id, self.policy)
        if item.recorded is None:
            settle(item, await self._read(item))
            self._apply_template(item)
            if self.engine is not None:
                item.recorded = record_page(
                    self.engine, item, self.run_id, self.source_id, self.policy, self.template
                )
        if item.recorded is not None:
            item.outcome = item.recorded.outcome.value
        return item

    def _apply_template(self, item: FetchedPage) -> None:
        if item.snapshot is not None and self.template and self.templates.enabled:
            item.snapshot, removed = self.template.apply(item.snapshot)
            self.readings += 1
            self.carried.update(set(removed))

    async def _read(self, item: FetchedPage) -> Reading:
        try:  # cheap, so here: 304s, 404s and errors never travel to a worker
            check_fetch(item)
        except FetchProblem as problem:
            return Reading(outcome=problem.outcome, error=str(problem))
        self.read += 1
        pool = self._reader()
        if pool is None:
            return read_for_archive(item, prepare=self.store)
        return await pool.read(item, self.store)

    def _reader(self) -> ReaderPool | None:
        """The workers that read the next page, or None when this process reads it: no
        workers, one of the first pages, or the workers still loading the extractor.

        The workers start on need: when more than ARCHIVIST_READ_BEFORE_POOL new articles are
        on their way (request_reached_downloader), or with the first page read past it (a
        crawl that reads a handful of pages needs none). They load the extractor at once;
        until they have, this process goes on reading rather than leave the pages waiting.
        """
        if self.workers <= 0:
            return None
        if self.read > self.read_before_pool:
            self._start_workers()
        if self.pool is None or (self.read_before_pool > 0 and not self.pool.is_warm()):
            return None
        return self.pool

    def _start_workers(self) -> None:
        if self.workers > 0 and self.pool is None:
            self.pool = ReaderPool(self.workers, self.pages_per_worker)
            self.pool.warm()


def revisit_policy(settings: dict[str, Any]) -> RevisitPolicy:
    """The revisit bounds from ARCHIVIST_REVISIT_* settings (durations like 15m or seconds)."""
    return RevisitPolicy(
        min_seconds=_seconds(settings.get("ARCHIVIST_REVISIT_MIN", 900)),
        max_seconds=_seconds(settings.get("ARCHIVIST_REVISIT_MAX", 30 * 86400)),
        factor=float(settings.get("ARCHIVIST_REVISIT_FACTOR", 0.25)),
    )


def _seconds(value: Any) -> float:
    return float(parse_duration(value)) if isinstance(value, str) else float(value)
