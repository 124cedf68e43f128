"""Decide, per article request, whether the archive needs it and how to ask for it.

Known articles a feed or sitemap lists as unchanged are skipped; due revisits and changed
ones are fetched with If-None-Match / If-Modified-Since from their last capture, each
canonical address once per run; a listing whose address a revisit asked for first is noted on
the revisited document. Skips are counted as `archivist/skipped_unchanged` and
`archivist/skipped_backoff` (crawl_runs columns).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler.items import KNOWN_META, Listing
from crawler.normalise.urls import canonical_address
from crawler.pipelines import keep_listing, revisit_policy
from store.db import make_engine, transaction
from store.revisits import (
    KnownDocument,
    known_document,
    known_document_by_id,
    listed_address,
    source_documents,
)

__all__ = ["KNOWN_META", "KnownDocumentsMiddleware", "Skipped"]


class Skipped(IgnoreRequest):
    """An article request the crawl does not need (archived and unchanged, or over --limit)."""


class KnownDocumentsMiddleware:
    """Skips unchanged known articles, adds conditional headers, applies ARCHIVIST_LIMIT."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ARCHIVIST_STORE") or settings.get("ARCHIVIST_SOURCE_ID") is None:
            raise NotConfigured  # only source crawls that store consult the archive
        self.url: str = settings["ARCHIVIST_DB_URL"]
        self.source_id: int = settings.getint("ARCHIVIST_SOURCE_ID")
        # the source's documents, read at the start (None: too many, looked up one by one)
        self.documents: dict[str, KnownDocument] | None = None
        self.limit = settings.getint("ARCHIVIST_LIMIT")
        self.revisit_all = settings.getbool("ARCHIVIST_REVISIT_ALL")
        self.policy = revisit_policy(settings.copy_to_dict())
        self.stats = crawler.stats
        self.scheduled = 0
        # canonical addresses this run has asked for, and the known document each was for
        self.requested: dict[str, int | None] = {}
        self.engine: Engine | None = None
        self.listings: list[tuple[int, Listing]] = []  # for revisited documents, see close()
        crawler.signals.connect(self.open, signal=signals.spider_opened)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open(self) -> None:
        self.engine = make_engine(self.url)
        with Session(self.engine) as session:
            self.documents = source_documents(session, self.source_id)

    def close(self) -> None:
        if self.engine is not None:
            self._write_listings()
            self.engine.dispose()

    def _write_listings(self) -> None:
        """The listings noted for revisited documents, in one transaction at the end of the
        run (one each would cost a commit per listed article on a re-check of a whole site)."""
        assert self.engine is not None
        if self.listings:
            with transaction(self.engine) as session:
                for document_id, listing in self.listings:
                    keep_listing(session, document_id, listing)
            self.listings.clear()

    def process_request(self, request: Request) -> None:
        # Redirects and retries come back through here with the meta already set.
        if not request.meta.get("article") or KNOWN_META in request.meta:
            return
        address = canonical_address(request.cb_kwargs.get("requested_url", request.url))
        if address in self.requested:
            # A due revisit and a listing can name one article, with or without tracking
            # parameters (discovery lists each canonical address once): whichever comes first
            # fetches it, once per run. An alias (another address that once showed it, like
            # `/latest`) is no duplicate: it may show another article now.
            self._keep_listing(request, self.requested[address])
            raise Skipped("asked for once already in this run")
        known = self._lookup(request, address)
        if self.limit and self.scheduled >= self.limit:
            raise Skipped("over the crawl's --limit")
        self.scheduled += 1
        self.requested[address] = known.id if known is not None else None
        self.stats.inc_value("archivist/scheduled")
        request.meta[KNOWN_META] = known
        if known is not None:
            _add_validators(request, known)

    def _keep_listing(self, request: Request, document_id: int | None) -> None:
        """Note the listing of a request dropped for a revisit of its address on the document.

        Its page would have carried the listing to the pipeline; the revisit's page carries
        none. Attaching the listing to that page instead would miss the pages archived before
        the feed or sitemap is read (revisits start with discovery), so it is noted here, the
        one place that sees both requests, in whatever order they come.
        """
        listing: Listing | None = request.meta.get("listing")
        if listing is not None and document_id is not None:
            self.listings.append((document_id, listing))  # written when the run ends

    def _lookup(self, request: Request, url: str) -> KnownDocument | None:
        """The archive's record for the request (at canonical address `url`); raises Skipped
        when it needs no fetch."""
        assert self.engine is not None
        revisit: int | None = request.meta.get("revisit")
        with Session(self.engine) as session:
            if revisit:
                return known_document_by_id(session, revisit)
            listed = request.cb_kwargs.get("requested_url", request.url)  # as captured
            brief = self.documents.get(url) if self.documents is not None else None
            if brief is None:  # new, or another source's
                brief = known_document(session, url, full=False)
            if brief is None:  # new, or listed under another address
                address = listed_address(session, listed)
                brief = address.read_as
                if brief is None:
                    self._back_off(address.failures)
                    return None
            if not self._worth_fetching(brief, request, alias=brief.url != url):
                self.stats.inc_value("archivist/skipped_unchanged")
                raise Skipped("archived and unchanged according to its listing")
            return known_document_by_id(session, brief.id)  # with validators: it is fetched

    def _back_off(self, failures: tuple[datetime, ...]) -> None:
        """Raises Skipped for a listed URL never archived that failed recently (a feed that
        keeps listing a dead link is not fetched on every crawl): retried later and later."""
        if self.revisit_all or not failures:
            return
        if failures[0] + self.policy.retry_wait(len(failures)) > datetime.now(UTC):
            self.stats.inc_value("archivist/skipped_backoff")
            raise Skipped(f"failed {len(failures)} time(s) in a row; retried later")

    def _worth_fetching(self, known: KnownDocument, request: Request, alias: bool) -> bool:
        if request.meta.get("revisit") or self.revisit_all:
            return True
        listing: Listing | None = request.meta.get("listing")
        if alias and (listing is None or listing.modified_at is None):
            # an address that showed this article may show another now (`/latest`, a live
            # page): only a listing's date can vouch that it did not change
            return True
        changed = listing is not None and known.listed_as_changed(listing.modified_at)
        return changed or known.is_due(datetime.now(UTC))


def _add_validators(request: Request, known: KnownDocument) -> None:
    if known.etag:
        request.headers.setdefault(b"If-None-Match", known.etag.encode("latin-1"))
    if known.last_modified:
        request.headers.setdefault(b"If-Modified-Since", known.last_modified.encode("latin-1"))
