"""Which fetches can hold an article, and what the others mean. Pure."""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.items import FetchedPage
from store.records import Outcome

HTML_TYPES = ("text/html", "application/xhtml+xml")
MISSING_STATUSES = frozenset({404, 410})


class FetchProblem(Exception):
    """A fetch that yields no article, with the outcome to record."""

    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(outcome, message)
        self.outcome = outcome
        self.message = message

    def __str__(self) -> str:
        return self.message


def check_fetch(page: FetchedPage) -> None:
    """Raise FetchProblem unless the page is an HTML 2xx response worth reading."""
    if page.error is not None:
        raise FetchProblem(Outcome.ERROR, page.error)
    status = page.status or 0
    if status == 304:
        raise FetchProblem(Outcome.NOT_MODIFIED, "HTTP 304 not modified")
    if status in MISSING_STATUSES:
        raise FetchProblem(Outcome.GONE, f"HTTP {status}")
    if not 200 <= status < 300:
        raise FetchProblem(Outcome.ERROR, f"HTTP {status}")
    if redirected_home(page):
        raise FetchProblem(Outcome.REDIRECTED, f"redirected to the home page {page.final_url}")
    content_type = page.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type not in HTML_TYPES:
        raise FetchProblem(Outcome.ERROR, f"not HTML content ({media_type})")
    if not page.body:
        raise FetchProblem(Outcome.ERROR, "empty body")


def redirected_home(page: FetchedPage) -> bool:
    """True when an article URL was redirected to its site's home page (a soft deletion)."""
    if not page.final_url or page.final_url == page.requested_url:
        return False
    return _is_home(page.final_url) and not _is_home(page.requested_url)


def _is_home(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query
