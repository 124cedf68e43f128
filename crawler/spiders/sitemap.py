"""Sitemap sources: sitemap indexes, gzipped sitemaps and Google News sitemaps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler.discovery.sitemaps import read_sitemap
from crawler.discovery.xmlsafety import DiscoveryError
from crawler.spiders.article import ArticleSpider

GZIP_MAGIC = b"\x1f\x8b"
MAX_INDEX_DEPTH = 3  # an index of indexes of sitemaps; deeper is a loop or a trap


class SitemapSpider(ArticleSpider):
    """Reads a sitemap (or index) and fetches the articles it lists."""

    name = "sitemap"
    refetch_duplicates = False

    def __init__(self, source_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_url = source_url

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        yield self.sitemap_request(self.source_url, 0)

    def sitemap_request(self, url: str, level: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.sitemap_unreachable,
            cb_kwargs={"level": level},
            priority=10,
        )

    def parse_sitemap(self, response: Response, level: int) -> Iterator[scrapy.Request]:
        if response.status != 200:
            self.discovery_failed(response.url, f"HTTP {response.status}")
            return
        try:
            sitemap = read_sitemap(self.xml_of(response), response.url)
        except (DiscoveryError, OSError, EOFError) as exc:
            self.discovery_failed(response.url, str(exc))
            return
        self.discovery_damaged(response.url, sitemap.damage)
        for child in sitemap.children:
            if level < MAX_INDEX_DEPTH:
                yield self.sitemap_request(child, level + 1)
        for listing in sitemap.articles:
            yield from self.listed_article(listing)

    def xml_of(self, response: Response) -> bytes:
        """The sitemap's XML; `.xml.gz` files are decompressed within DOWNLOAD_MAXSIZE."""
        if not response.body.startswith(GZIP_MAGIC):
            return response.body
        return gunzip(response.body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))

    def sitemap_unreachable(self, failure: Failure) -> None:
        self.discovery_failed(failure.request.url, failure.getErrorMessage())  # type: ignore[attr-defined]
