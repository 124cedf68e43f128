"""Honour Retry-After on 429 and 503: wait as asked (up to a bound), then retry.

Scrapy's RetryMiddleware retries those statuses at once, ignoring Retry-After; this one runs
first (a higher priority number sees responses earlier) and takes those responses over.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

from crawler.middlewares.interrupt import Interrupted, interrupted

RETRY_AFTER_STATUSES = frozenset({429, 503})
STOP_CHECK_SECONDS = 0.25  # how soon a wait notices a stop signal


def retry_after_seconds(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


class RetryAfterMiddleware:
    """Delays the retry of a 429/503 by its Retry-After; gives up if it asks too long."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("ARCHIVIST_RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        header = response.headers.get(b"Retry-After")
        if response.status not in RETRY_AFTER_STATUSES or not header:
            return response
        if request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(header.decode("latin-1"), datetime.now(UTC))
        if wait is None:
            return response  # unreadable: Scrapy's RetryMiddleware decides
        request.meta["dont_retry"] = True  # from here on, never an immediate retry
        if wait > self.max_wait:
            self.crawler.stats.inc_value("archivist/retry_after_too_long")
            return response
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason=f"{response.status} Retry-After"
        )
        if retry is None:
            return response
        retry.meta["dont_retry"] = False
        await self._wait(wait)
        return retry

    async def _wait(self, seconds: float) -> None:
        """Sleep `seconds`, or raise Interrupted as soon as a stop signal comes: its retry
        would never be sent, and the stop would wait for the whole delay."""
        deadline = monotonic() + seconds
        while not interrupted(self.crawler):
            left = deadline - monotonic()
            if left <= 0:
                return
            await sleep(min(left, STOP_CHECK_SECONDS))
        raise Interrupted("not retried: interrupted by a signal")
