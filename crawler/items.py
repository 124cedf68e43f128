"""What spiders yield and pipelines pass on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # extraction workers unpickle pages: keep the database layer out of them
    from store.packing import PreparedBlob
    from store.records import ArticleSnapshot, Recorded
    from store.revisits import KnownDocument

# Request meta keys: the archive's record of the article a request fetches (None: a new one), set
# by crawler.middlewares.known; and whether the pipeline has counted the request as coming.
KNOWN_META = "archivist_known"
COUNTED_META = "archivist_counted"

KEPT_HEADERS = (
    "content-type", "content-length", "content-language", "etag", "last-modified", "date",
    "cache-control", "expires", "location", "retry-after", "server", "x-robots-tag",
)  # fmt: skip


@dataclass(frozen=True)
class Listing:
    """An article URL as a feed, sitemap or section page listed it."""

    url: str
    modified_at: datetime | None = None
    news_title: str | None = None
    news_keywords: str | None = None
    news_published_at: datetime | None = None


@dataclass
class FetchedPage:
    """One fetch as the spider saw it (success or failure)."""

    requested_url: str
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    error: str | None = None
    listing: Listing | None = None  # how discovery listed it, if it did
    known: KnownDocument | None = None  # the archive's record of it, for revisits
    # filled by the pipeline
    blob: PreparedBlob | None = None  # the body, digested and compressed by the reading
    snapshot: ArticleSnapshot | None = None
    recorded: Recorded | None = None
    outcome: str | None = None
    redirected: bool = False  # a known document at the requested URL now redirects elsewhere
