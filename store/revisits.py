"""Revisits: which known documents are due, what the last capture said, when to look again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from store.models import Capture, Document, Version
from store.records import DocumentStatus, Outcome

_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")
RARELY_CHECKED = frozenset({DocumentStatus.GONE.value, DocumentStatus.REDIRECTED.value})
# What a listed URL never archived got when the site failed it. `redirected` without a
# document: sent to the home page (a redirect to another article is read as that article).
FAILED_OUTCOMES = frozenset(
    {Outcome.GONE.value, Outcome.BLOCKED.value, Outcome.ERROR.value, Outcome.REDIRECTED.value}
)


@dataclass(frozen=True)
class RevisitPolicy:
    """How long to wait before checking a document again (bounds in seconds)."""

    min_seconds: float = 15 * 60
    max_seconds: float = 30 * 86400
    # Wait a quarter of the time the content has been stable: an article unchanged for a day
    # is checked again in 6 hours, one unchanged for four months at the 30-day bound.
    factor: float = 0.25

    def interval(self, stable_for: timedelta) -> timedelta:
        """The wait after a check, for content stable for `stable_for`."""
        seconds = stable_for.total_seconds() * self.factor
        return timedelta(seconds=min(max(seconds, self.min_seconds), self.max_seconds))

    def retry_wait(self, failures: int) -> timedelta:
        """The wait before fetching again a URL never archived that failed `failures` times
        in a row: the shortest wait, four times longer after each failure, within bounds."""
        seconds = self.min_seconds * 4 ** max(failures - 1, 0)
        return timedelta(seconds=min(seconds, self.max_seconds))


@dataclass(frozen=True)
class KnownDocument:
    """What a revisit needs to know about a document already in the archive."""

    id: int
    url: str
    status: str
    last_checked_at: datetime | None
    next_check_at: datetime | None
    etag: str | None = None
    last_modified: str | None = None
    last_digest: str | None = None  # the raw body of the last 200 capture
    extractor_version: str | None = None  # of the newest version

    def is_due(self, now: datetime) -> bool:
        """True when the schedule says it should be checked by `now`."""
        return self.next_check_at is None or self.next_check_at <= now

    def listed_as_changed(self, modified_at: datetime | None) -> bool:
        """True when a feed or sitemap date says it changed after the last check."""
        if modified_at is None or self.last_checked_at is None:
            return False
        return modified_at > self.last_checked_at


# a document's state and schedule, in KnownDocument's order
_BRIEF_COLUMNS = select(
    Document.id, Document.url, Document.status, Document.last_checked_at, Document.next_check_at
)


def known_document(session: Session, url: str, full: bool = True) -> KnownDocument | None:
    """The archive's record of `url` (a canonical URL) with its last capture's validators.

    `full=False` reads the document row only (state and schedule, no validators): enough to
    decide whether a listed article needs fetching at all.
    """
    if not full:  # columns, not an ORM object: a first crawl asks this of every listed URL
        row = session.execute(_BRIEF_BY_URL, {"url": url}).first()
        return KnownDocument(*row) if row is not None else None
    document = session.scalars(select(Document).where(Document.url == url)).first()
    return _known(session, document) if document is not None else None


_BRIEF_BY_URL = _BRIEF_COLUMNS.where(Document.url == bindparam("url"))  # built once: run per page


def source_documents(
    session: Session, source_id: int, most: int = 100_000
) -> dict[str, KnownDocument] | None:
    """Every document of a source by URL, state and schedule only: one query for a crawl's
    listing lookups instead of one per listed article. None for a source of more than `most`
    documents (about 50 MB of them), looked up one listed URL at a time instead."""
    count = select(func.count()).select_from(Document).where(Document.source_id == source_id)
    if (session.scalar(count) or 0) > most:
        return None
    query = _BRIEF_COLUMNS.where(Document.source_id == source_id)
    return {row.url: KnownDocument(*row) for row in session.execute(query)}


@dataclass(frozen=True)
class ListedAddress:
    """What the archive knows of a listed URL that is no document's own address."""

    read_as: KnownDocument | None = None  # the article it was last read as (a redirect, a
    # page whose canonical link names another URL), state and schedule only
    failures: tuple[datetime, ...] = ()  # when its newest fetches failed in a row, newest first


def listed_address(session: Session, requested_url: str, most: int = 8) -> ListedAddress:
    """The newest fetches of `requested_url`, in one query: the document one of them was read
    as, or else the failures that came last in a row (404/410, blocked, another HTTP or network
    error). A page fetched fine that archivist could not read (no article in it, an extraction
    failure) is no failure of the site's: it breaks the run."""
    newest = session.execute(_newest_fetches(most), {"url": requested_url}).all()
    read_as = next((row.document_id for row in newest if row.version_id is not None), None)
    if read_as is not None:
        document = session.get(Document, read_as)
        return ListedAddress(read_as=_brief(document) if document is not None else None)
    failures: list[datetime] = []
    for outcome, document_id, _, fetched_at, status in newest:
        read_fine = outcome == Outcome.ERROR.value and status is not None and 200 <= status < 300
        if document_id is not None or outcome not in FAILED_OUTCOMES or read_fine:
            break
        failures.append(fetched_at)
    return ListedAddress(failures=tuple(failures))


@cache
def _newest_fetches(most: int) -> Select[str, int | None, int | None, datetime, int | None]:
    """The newest fetches of a requested URL (built once: asked of every listed URL)."""
    return (
        select(
            Capture.outcome,
            Capture.document_id,
            Capture.version_id,
            Capture.fetched_at,
            Capture.status_code,
        )
        .where(Capture.requested_url == bindparam("url"))
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        .limit(most)
    )


def _brief(document: Document) -> KnownDocument:
    return KnownDocument(
        id=document.id,
        url=document.url,
        status=document.status,
        last_checked_at=document.last_checked_at,
        next_check_at=document.next_check_at,
    )


def known_document_by_id(session: Session, document_id: int) -> KnownDocument | None:
    """The archive's record of a document, by id (revisits know it)."""
    document = session.get(Document, document_id)
    return _known(session, document) if document is not None else None


def _known(session: Session, document: Document) -> KnownDocument:
    capture = _last_body(session, document.id)
    headers = capture.headers if capture is not None else {}
    return replace(
        _brief(document),
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        last_digest=capture.blob_digest if capture is not None else None,
        extractor_version=_extractor_version(session, document),
    )


def _last_body(session: Session, document_id: int) -> Capture | None:
    """The document's last 200 capture that was read as its article (made or confirmed a version).

    A blocked wall or an unreadable page also answers 200; its body and validators must never
    stand for the article, or the same wall next time would pass as "unchanged" (or as 304).
    """
    return session.scalars(
        select(Capture)
        .where(Capture.document_id == document_id, Capture.status_code == 200)
        .where(Capture.blob_digest.is_not(None), Capture.version_id.is_not(None))
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        .limit(1)
    ).first()


def _extractor_version(session: Session, document: Document) -> str | None:
    return session.scalars(
        select(Version.extractor_version).where(
            Version.document_id == document.id, Version.version_no == document.version_count
        )
    ).first()


def due_documents(
    session: Session, source_id: int, now: datetime, limit: int = 0, everything: bool = False
) -> list[str]:
    """URLs of the source's documents due for a check by `now`, most overdue first."""
    return list(session.scalars(_due(select(Document.url), source_id, now, limit, everything)))


def due_revisits(
    session: Session, source_id: int, now: datetime, limit: int = 0, everything: bool = False
) -> list[tuple[int, str]]:
    """(document id, URL to fetch) for the source's due documents, most overdue first.

    The URL is the one that last brought the page (a listed URL can differ from the canonical
    URL the document is filed under, and the canonical one may not answer); else the document's.
    The crawl drops its tracking parameters, and asks for each canonical address once per run
    even when a listing names it too (crawler.crawl.revisit_address, crawler.middlewares.known).
    """
    query = _due(select(Document.id, Document.url), source_id, now, limit, everything)
    found = []
    for document_id, url in session.execute(query):
        capture = _last_body(session, document_id)
        found.append((document_id, capture.requested_url if capture is not None else url))
    return found


def _due(query: _Query, source_id: int, now: datetime, limit: int, everything: bool) -> _Query:
    query = query.where(Document.source_id == source_id)
    if not everything:
        query = query.where(or_(Document.next_check_at.is_(None), Document.next_check_at <= now))
    query = query.order_by(Document.next_check_at.asc().nulls_first(), Document.id)
    return query.limit(limit) if limit > 0 else query


def schedule_next_check(
    session: Session, document: Document | int, policy: RevisitPolicy, now: datetime
) -> datetime:
    """Set and return the document's next check time after a check at `now`."""
    document = _document(session, document)
    if document.missing_count == 1:  # one 404: confirm soon, it may be a deploy hiccup
        wait = timedelta(seconds=policy.min_seconds)
    elif document.status in RARELY_CHECKED:
        wait = timedelta(seconds=policy.max_seconds)
    else:
        wait = policy.interval(now - (document.last_changed_at or document.first_seen_at))
    document.next_check_at = now + wait
    return document.next_check_at


def _document(session: Session, document: Document | int) -> Document:
    if isinstance(document, Document):
        return document
    found = session.get(Document, document)
    if found is None:
        raise LookupError(f"no document {document}")
    return found


def note_listing(
    session: Session,
    document: Document | int,
    modified_at: datetime | None = None,
    news_title: str | None = None,
    news_keywords: str | None = None,
    news_published_at: datetime | None = None,
) -> None:
    """Keep what a feed or sitemap said about the document (given values only)."""
    document = _document(session, document)
    values = {
        "listed_modified_at": modified_at,
        "news_title": news_title,
        "news_keywords": news_keywords,
        "news_published_at": news_published_at,
    }
    for column, value in values.items():
        if value is not None:
            setattr(document, column, value)
