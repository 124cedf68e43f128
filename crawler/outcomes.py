"""Which fetches can hold an article, and what the others mean. Pure."""

from __future__ import annotations

from crawler.items import FetchedPage
from store.records import Outcome

HTML_TYPES = ("text/html", "application/xhtml+xml")
MISSING_STATUSES = frozenset({404, 410})


class FetchProblem(Exception):
    """A fetch that yields no article, with the outcome to record."""

    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


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
    content_type = page.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type not in HTML_TYPES:
        raise FetchProblem(Outcome.ERROR, f"not HTML content ({media_type})")
    if not page.body:
        raise FetchProblem(Outcome.ERROR, "empty body")
