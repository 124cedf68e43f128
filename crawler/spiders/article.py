"""Fetch given article URLs: one item per URL, success or failure."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import KEPT_HEADERS, FetchedPage


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
    )


def page_from_failure(failure: Failure, requested_url: str) -> FetchedPage:
    """A FetchedPage for a request that got no usable response (DNS, timeout, refused...)."""
    response = getattr(failure.value, "response", None)
    if response is not None:
        return page_from_response(response, requested_url)
    reason = f"{failure.type.__name__}: {failure.getErrorMessage()}" if failure.type else "error"
    return FetchedPage(requested_url=requested_url, fetched_at=datetime.now(UTC), error=reason)


class ArticleSpider(scrapy.Spider):
    """Fetches the URLs it is given, nothing else."""

    name = "article"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(
                url,
                callback=self.parse,
                errback=self.failed,
                cb_kwargs={"requested_url": url},
                dont_filter=True,
            )

    def parse(self, response: Response, requested_url: str) -> Iterator[FetchedPage]:
        yield page_from_response(response, requested_url)

    def failed(self, failure: Failure) -> Iterator[FetchedPage]:
        request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errbacks
        yield page_from_failure(failure, request.cb_kwargs["requested_url"])
