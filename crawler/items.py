"""What spiders yield and pipelines pass on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from store.records import ArticleSnapshot, Recorded

KEPT_HEADERS = (
    "content-type", "content-length", "content-language", "etag", "last-modified", "date",
    "cache-control", "expires", "location", "retry-after", "server", "x-robots-tag",
)  # fmt: skip


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
    # filled by the pipeline
    snapshot: ArticleSnapshot | None = None
    recorded: Recorded | None = None
    outcome: str | None = None
