"""Feed sources: the feed lists articles; due revisits follow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.discovery.feeds import read_feed
from crawler.discovery.xmlsafety import DiscoveryError
from crawler.spiders.article import ArticleSpider


class FeedSpider(ArticleSpider):
    """Reads one RSS/Atom feed and fetches the articles it lists."""

    name = "feed"
    refetch_duplicates = False

    def __init__(self, source_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_url = source_url

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        yield scrapy.Request(
            self.source_url,
            callback=self.parse_feed,
            errback=self.feed_unreachable,
            dont_filter=True,
            priority=10,
        )

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status != 200:
            self.discovery_failed(self.source_url, f"HTTP {response.status}")
            return
        try:
            feed = read_feed(response.body, response.url)
        except DiscoveryError as exc:
            self.discovery_failed(self.source_url, str(exc))
            return
        self.discovery_damaged(self.source_url, feed.damage)
        for listing in feed.articles:
            yield from self.listed_article(listing)

    def feed_unreachable(self, failure: Failure) -> None:
        self.discovery_failed(self.source_url, failure.getErrorMessage())
