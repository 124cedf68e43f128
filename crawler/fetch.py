"""One-off fetches: Scrapy in this process for URLs, no network for saved pages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from twisted.python.failure import Failure

from crawler.items import FetchedPage
from crawler.pipelines import read_page, record_page
from crawler.settings import crawl_settings
from crawler.spiders.article import ArticleSpider
from store.db import open_archive

INTERRUPTED = "interrupted by a signal"


@dataclass
class FetchResult:
    """The pages a fetch got, in the order asked, and the requested URLs that got none."""

    pages: list[FetchedPage]
    unfetched: list[tuple[str, str]] = field(default_factory=list)  # (URL, why)
    interrupted: bool = False


def fetch_urls(urls: list[str], overrides: dict[str, Any]) -> FetchResult:
    """Fetch, read and (unless ARCHIVIST_STORE is False) archive `urls`.

    Every URL ends up either as a page or in `unfetched` with the reason: a crawl that could
    not start (a bad setting), a page the pipeline could not finish, or a signal that stopped
    the fetch before its turn.
    """
    pages: list[FetchedPage] = []
    dropped: list[tuple[str, str]] = []  # fetched, but the pipeline raised
    crashes: list[str] = []

    def collect(item: FetchedPage) -> None:
        pages.append(item)

    def failed(item: FetchedPage, failure: Failure) -> None:
        dropped.append((item.requested_url, failure.getErrorMessage()))

    def crashed(failure: Failure) -> None:
        crashes.append(f"{failure.type.__name__ if failure.type else 'error'}: {failure.value}")

    crawler: Crawler | None = None
    try:
        process = CrawlerProcess({**crawl_settings(overrides), "LOG_INSTALL_ROOT_HANDLER": False})
        crawler = process.create_crawler(ArticleSpider)
        crawler.signals.connect(collect, signal=signals.item_scraped)
        crawler.signals.connect(failed, signal=signals.item_error)
        process.crawl(crawler, urls=urls).addErrback(crashed)
        process.start()
    except Exception as exc:  # the fetch could not run at all: every URL says why
        crashes.append(f"{type(exc).__name__}: {exc}")
    why = "; ".join(crashes) or (INTERRUPTED if _interrupted(crawler) else "no page came back")
    return _account(urls, pages, dropped, why, interrupted=why == INTERRUPTED)


def _interrupted(crawler: Crawler | None) -> bool:
    """True when a signal ended the crawl (None: a second signal stopped the reactor at once)."""
    try:
        reason = crawler.stats.get_value("finish_reason") if crawler is not None else None
    except RuntimeError:  # the crawl never started: its stats were never made
        return False
    return reason in ("shutdown", None)


def _account(
    urls: list[str],
    pages: list[FetchedPage],
    dropped: list[tuple[str, str]],
    why: str,
    interrupted: bool,
) -> FetchResult:
    """Pages in the order asked; each requested URL without a page, with its reason."""
    order = {url: index for index, url in enumerate(urls)}
    pages = sorted(pages, key=lambda page: order.get(page.requested_url, len(order)))
    got = Counter(page.requested_url for page in pages)  # `fetch A A` asks twice
    reasons = dict(dropped)
    unfetched = []
    for url in urls:
        if got[url]:
            got[url] -= 1
        else:
            unfetched.append((url, reasons.get(url, why)))
    # a signal that came once every page had arrived stopped nothing the user asked for
    return FetchResult(pages, unfetched, interrupted and bool(unfetched))


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
