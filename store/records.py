"""Frozen records: the contract between the crawler and the archive."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property


class Outcome(StrEnum):
    """What one fetch did to the archive; stored on every capture."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"
    GONE = "gone"
    REDIRECTED = "redirected"
    BLOCKED = "blocked"
    ERROR = "error"


class DocumentStatus(StrEnum):
    """The state of a document as the latest evidence shows it."""

    LIVE = "live"
    GONE = "gone"
    REDIRECTED = "redirected"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class ArticleSnapshot:
    """One normalised reading of an article: what a version is made of."""

    url: str
    title: str
    text: str
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    extractor_version: str = ""

    # Cached: computed once, where the page is read (a worker process), and sent along with it.
    @cached_property
    def content_hash(self) -> str:
        """SHA-256 over headline, authors and body: the only inputs that make a version."""
        parts = [self.title, "\x1f".join(self.authors), self.text]
        return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()

    @cached_property
    def word_count(self) -> int:
        """Whitespace-separated words in the body text."""
        return len(self.text.split())


@dataclass(frozen=True)
class CaptureRecord:
    """One fetch as it happened on the wire, before any extraction."""

    requested_url: str
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    error: str | None = None
    crawl_run_id: int | None = None


@dataclass(frozen=True)
class Recorded:
    """What `record_snapshot` / `record_failure` did."""

    outcome: Outcome
    capture_id: int
    document_id: int | None = None
    version_no: int | None = None
    content_hash: str | None = None
