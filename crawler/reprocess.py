"""Read stored pages again with today's extraction and normalisation: no network.

Each document's newest capture that was read as an article (and kept its raw body) is read
again; a version is added only where the content hash differs from the latest version, so a
normaliser upgrade changes only the documents whose text really reads differently. The
source's learned template is applied as a crawl applies it: text archived before a line was
learned gets one version without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine, RowMapping, func, select
from sqlalchemy.orm import Session

from crawler.reading import BlockedPage, NotAnArticle, read_article
from store.archive import record_reading
from store.blobs import get_blob
from store.db import session_factory, transaction
from store.history import ReadingDiff, diff_readings
from store.models import Capture, Document, Version
from store.records import ArticleSnapshot, Outcome
from store.templates import Template, load_template

BATCH = 500  # documents per selection query: bounded memory on archives of any size
EXAMPLES = 5
READ_OUTCOMES = (Outcome.NEW.value, Outcome.CHANGED.value, Outcome.UNCHANGED.value)


@dataclass(frozen=True)
class Selection:
    """Which documents to reprocess: all, one source's, and/or those fetched since a time."""

    source_id: int | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class StoredPage:
    """A document's newest page read as an article, as kept in the archive."""

    document_id: int
    source_id: int | None
    url: str
    fetched_url: str
    digest: str
    content_type: str | None
    fetched_at: datetime


class Reread(StrEnum):
    """Why reading a page again made no version."""

    UNCHANGED = "unchanged"
    UNREADABLE = "unreadable"  # no longer an article (or blocked), its reading failed, or its
    # body is missing


@dataclass(frozen=True)
class Change:
    """One document that reads differently now."""

    url: str
    old_version_no: int | None
    new_version_no: int | None
    diff: ReadingDiff


@dataclass
class ReprocessReport:
    """What a reprocess run found (and, unless a dry run, wrote)."""

    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    unreadable: int = 0
    examples: list[Change] = field(default_factory=list)


def count_documents(session: Session, selection: Selection) -> int:
    """How many documents the selection may touch (for progress)."""
    query = select(func.count()).select_from(Document).where(Document.version_count > 0)
    if selection.source_id is not None:
        query = query.where(Document.source_id == selection.source_id)
    return session.scalar(query) or 0


def stored_pages(engine: Engine, selection: Selection) -> Iterator[list[StoredPage]]:
    """The selected documents' newest article pages, a batch of documents at a time."""
    after = 0
    while True:
        with session_factory(engine)() as session:
            ids = _document_ids(session, selection, after)
            if not ids:
                return
            pages = _newest_pages(session, ids, selection.since)
        after = ids[-1]
        yield pages


def _document_ids(session: Session, selection: Selection, after: int) -> list[int]:
    query = select(Document.id).where(Document.id > after, Document.version_count > 0)
    if selection.source_id is not None:
        query = query.where(Document.source_id == selection.source_id)
    return list(session.scalars(query.order_by(Document.id).limit(BATCH)))


def _newest_pages(session: Session, ids: list[int], since: datetime | None) -> list[StoredPage]:
    newest_first = (Capture.fetched_at.desc(), Capture.id.desc())
    rank = func.row_number().over(partition_by=Capture.document_id, order_by=newest_first)
    ranked = (
        select(Capture, rank.label("rank"))
        .where(
            Capture.document_id.in_(ids),
            Capture.blob_digest.is_not(None),
            Capture.outcome.in_(READ_OUTCOMES),
        )
        .subquery()
    )
    query = (
        select(ranked, Document.url.label("document_url"), Document.source_id)
        .join(Document, Document.id == ranked.c.document_id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.document_id)
    )
    if since is not None:
        query = query.where(ranked.c.fetched_at >= since)
    return [_stored_page(row) for row in session.execute(query).mappings()]


def _stored_page(row: RowMapping) -> StoredPage:
    return StoredPage(
        document_id=row["document_id"],
        source_id=row["source_id"],
        url=row["document_url"],
        fetched_url=row["final_url"] or row["requested_url"],
        digest=row["blob_digest"],
        content_type=(row["headers"] or {}).get("content-type"),
        fetched_at=row["fetched_at"],
    )


# --- reading again ----------------------------------------------------------------------------


def reprocess(
    engine: Engine,
    selection: Selection,
    dry_run: bool = False,
    advance: Callable[[int], None] | None = None,
) -> ReprocessReport:
    """Read every selected page again; unless `dry_run`, record the versions that differ."""
    report = ReprocessReport()
    templates = SourceTemplates(engine)
    for pages in stored_pages(engine, selection):
        for page in pages:
            _count(report, reprocess_page(engine, page, dry_run, templates.of(page.source_id)))
        if advance is not None:
            advance(len(pages))
    return report


class SourceTemplates:
    """Each source's learned template, loaded once per reprocess run."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loaded: dict[int, Template] = {}

    def of(self, source_id: int | None) -> Template:
        if source_id is None:
            return Template()
        if source_id not in self.loaded:
            with session_factory(self.engine)() as session:
                self.loaded[source_id] = load_template(session, source_id)
        return self.loaded[source_id]


def reprocess_page(
    engine: Engine, page: StoredPage, dry_run: bool, template: Template | None = None
) -> Change | Reread:
    """Read one page again: the Change if it reads differently, else why not."""
    with session_factory(engine)() as session:
        body = get_blob(session, page.digest)
        latest = _latest_version(session, page.document_id)
    snapshot = _read(page, body)
    if snapshot is None:
        return Reread.UNREADABLE
    template = template if template is not None else Template()
    snapshot = template.apply(snapshot)[0]
    # a retired template line coming back is no difference either
    if latest is not None and template.same_content(latest, snapshot, retired_only=True):
        return Reread.UNCHANGED
    new_version_no = None
    if not dry_run:
        with transaction(engine) as session:
            new_version_no = record_reading(session, page.document_id, snapshot, page.fetched_at)
        if new_version_no is None:  # another writer stored this very reading meanwhile
            return Reread.UNCHANGED
    old_no = latest.version_no if latest else None
    return Change(page.url, old_no, new_version_no, _diff(latest, snapshot))


def _read(page: StoredPage, body: bytes | None) -> ArticleSnapshot | None:
    if body is None:
        return None
    try:
        snapshot = read_article(page.fetched_url, body, page.content_type)
    except (NotAnArticle, BlockedPage):
        return None
    except Exception:  # one page the extraction fails on must not stop the whole run
        return None
    # The document stays the document: a canonical link read differently must not move it.
    return dataclasses.replace(snapshot, url=page.url)


def _latest_version(session: Session, document_id: int) -> Version | None:
    return session.scalars(
        select(Version)
        .join(Document, Document.id == Version.document_id)
        .where(Document.id == document_id, Version.version_no == Document.version_count)
    ).first()


def _diff(latest: Version | None, snapshot: ArticleSnapshot) -> ReadingDiff:
    empty = ArticleSnapshot(url=snapshot.url, title="", text="")
    return diff_readings(latest if latest is not None else empty, snapshot, words=True)


def _count(report: ReprocessReport, result: Change | Reread) -> None:
    report.examined += 1
    if result is Reread.UNREADABLE:
        report.unreadable += 1
    elif result is Reread.UNCHANGED:
        report.unchanged += 1
    elif isinstance(result, Change):
        report.changed += 1
        if len(report.examples) < EXAMPLES:
            report.examples.append(result)
