"""One-off fetches: Scrapy in this process for URLs, no network for saved pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler.items import FetchedPage
from crawler.pipelines import read_page, record_page
from crawler.settings import crawl_settings
from crawler.spiders.article import ArticleSpider
from store.db import open_archive


def fetch_urls(urls: list[str], overrides: dict[str, Any]) -> list[FetchedPage]:
    """Fetch, read and (unless ARCHIVIST_STORE is False) archive `urls`; one item per URL."""
    settings = crawl_settings(overrides)
    process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": False})
    crawler = process.create_crawler(ArticleSpider)
    pages: list[FetchedPage] = []

    def collect(item: FetchedPage) -> None:
        pages.append(item)

    crawler.signals.connect(collect, signal=signals.item_scraped)
    process.crawl(crawler, urls=urls)
    process.start()
    order = {url: index for index, url in enumerate(urls)}
    return sorted(pages, key=lambda page: order.get(page.requested_url, len(order)))


def fetch_saved(path: Path, url: str, db_url: str | None, store: bool) -> FetchedPage:
    """Read a saved HTML file as if fetched from `url`; archive it unless `store` is False."""
    body = path.read_bytes()
    page = FetchedPage(
        requested_url=url,
        fetched_at=datetime.now(UTC),
        final_url=url,
        status=200,
        headers={"content-type": "text/html"},
        body=body,
    )
    read_page(page)
    if store:
        engine = open_archive(db_url)
        try:
            page.recorded = record_page(engine, page)
            page.outcome = page.recorded.outcome.value
        finally:
            engine.dispose()
    return page
