"""Section-page sources: follow links matching a pattern, same site, up to a depth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.discovery.links import LinkScope
from crawler.items import Listing
from crawler.spiders.article import ArticleSpider


class SectionSpider(ArticleSpider):
    """From a start page, fetches matching same-site links, and theirs, `depth` levels deep."""

    name = "section"
    refetch_duplicates = False

    def __init__(
        self, source_url: str, follow: str | None = None, depth: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.source_url = source_url
        self.scope = LinkScope(source_url, follow)
        self.depth = max(int(depth), 1)

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        yield scrapy.Request(
            self.source_url,
            callback=self.parse_section,
            errback=self.start_unreachable,
            dont_filter=True,
            priority=10,
        )

    def parse_section(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status != 200 or not isinstance(response, TextResponse):
            self.discovery_failed(self.source_url, f"HTTP {response.status} or not HTML")
            return
        yield from self.follow_links(response, level=1)

    def parse(
        self, response: Response, requested_url: str, level: int | None = None, **_: Any
    ) -> Iterator[Any]:
        yield from super().parse(response, requested_url)
        # Revisits carry no level: they check one article and do not crawl from it.
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        if level is not None and level < self.depth:
            yield from self.follow_links(response, level + 1)

    def follow_links(self, response: TextResponse, level: int) -> Iterator[scrapy.Request]:
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip()).split("#", 1)[0]
            if self.scope.accepts(url):
                yield from self.listed_article(Listing(url=url), level=level)

    def start_unreachable(self, failure: Failure) -> None:
        self.discovery_failed(self.source_url, failure.getErrorMessage())
