"""Fetch given article URLs: one item per URL, success or failure."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import KEPT_HEADERS, FetchedPage, Listing
from crawler.middlewares.interrupt import Interrupted
from crawler.middlewares.known import KNOWN_META, Skipped
from crawler.normalise.urls import canonical_address


def kept_headers(response: Response) -> dict[str, str]:
    """The response headers the archive keeps, lower-cased, decoded."""
    headers = {}
    for name in KEPT_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            headers[name] = value.decode("latin-1")
    return headers


def page_from_response(response: Response, requested_url: str) -> FetchedPage:
    """A FetchedPage for a response of any status."""
    return FetchedPage(
        requested_url=requested_url,
        fetched_at=datetime.now(UTC),
        final_url=response.url,
        status=response.status,
        headers=kept_headers(response),
        body=response.body,
        listing=response.meta.get("listing"),
        known=response.meta.get(KNOWN_META),
    )


def page_from_failure(failure: Failure, requested_url: str) -> FetchedPage:
    """A FetchedPage for a request that got no usable response (DNS, timeout, refused...)."""
    response = getattr(failure.value, "response", None)
    if response is not None:
        return page_from_response(response, requested_url)
    reason = f"{failure.type.__name__}: {failure.getErrorMessage()}" if failure.type else "error"
    request = getattr(failure, "request", None)
    meta = request.meta if request is not None else {}
    return FetchedPage(
        requested_url=requested_url,
        fetched_at=datetime.now(UTC),
        error=reason,
        listing=meta.get("listing"),
        known=meta.get(KNOWN_META),
    )


class ArticleSpider(scrapy.Spider):
    """Fetches the URLs it is given; subclasses add discovery requests before them."""

    name = "article"
    refetch_duplicates = True  # `fetch A A` fetches twice; a source crawl fetches once

    def __init__(
        self,
        urls: Sequence[str] = (),
        revisits: Sequence[tuple[int, str]] = (),
        discover: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls)
        self.revisits = list(revisits)  # (document id, URL) of known articles due a check
        self.discover = discover  # False: a revisit run, which reads no feed, sitemap or section
        self.discovery_errors: list[str] = []
        self.discovery_warnings: list[str] = []
        self.listed: set[str] = set()  # canonical addresses discovery has found

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.discovery_requests() if self.discover else ():
            yield request
        for url in self.urls:
            yield self.article_request(url)
        for document_id, url in self.revisits:
            yield self.article_request(url, revisit=document_id)

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        """Requests for feeds, sitemaps or section pages: none for a plain URL list."""
        return iter(())

    def article_request(
        self, url: str, listing: Listing | None = None, revisit: int | None = None, **cb_kwargs: Any
    ) -> scrapy.Request:
        """A request for one article; its response becomes a FetchedPage.

        A revisit passes Scrapy's duplicate filter: a listing of the same address must reach
        the known-documents middleware, which fetches the address once and keeps the
        listing's data whichever of the two comes first (the filter would drop the listing
        unseen).
        """
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            cb_kwargs={"requested_url": url, **cb_kwargs},
            meta={"article": True, "listing": listing, "revisit": revisit},
            dont_filter=self.refetch_duplicates or revisit is not None,
        )

    def listed_article(self, listing: Listing, **cb_kwargs: Any) -> Iterator[scrapy.Request]:
        """The request for an article discovery found, once per canonical address per crawl.

        `/a/` and `/a/?utm_source=rss` are one article, discovered once and asked for in the
        first spelling listed, as the known-documents middleware asks for each canonical
        address once per run: every discovered address is then fetched or counted skipped.
        """
        address = canonical_address(listing.url)
        if address in self.listed:
            return
        self.listed.add(address)
        self.crawler.stats.inc_value("archivist/discovered")
        yield self.article_request(listing.url, listing, **cb_kwargs)

    def discovery_failed(self, what: str, reason: str) -> None:
        """Note a feed/sitemap/section page that could not be used: the run fails."""
        self.discovery_errors.append(f"{what}: {reason}")
        self.logger.error("discovery failed: %s: %s", what, reason)

    def discovery_damaged(self, what: str, damage: str | None) -> None:
        """Note a feed/sitemap read only in part: the run goes on with what it lists, warned."""
        if damage:
            self.discovery_warnings.append(f"{what}: {damage}")
            self.logger.warning("discovery read in part: %s: %s", what, damage)

    def parse(self, response: Response, requested_url: str, **_: Any) -> Iterator[Any]:
        yield page_from_response(response, requested_url)

    def failed(self, failure: Failure) -> Iterator[FetchedPage]:
        if isinstance(failure.value, Skipped | Interrupted):  # not needed / never sent (a signal)
            return
        request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errbacks
        yield page_from_failure(failure, request.cb_kwargs["requested_url"])
