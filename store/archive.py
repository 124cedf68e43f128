"""The write path: one fetch in, one capture out, and a new version only on a content change.

The caller owns the transaction: every function here works inside the session it is given,
so one page is written all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Insert, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from store.blobs import put_blob
from store.db import insert_or_skip
from store.models import Capture, Document, Version
from store.packing import PreparedBlob
from store.records import ArticleSnapshot, CaptureRecord, DocumentStatus, Outcome, Recorded
from store.templates import Template, load_template

MISSING_CHECKS_BEFORE_GONE = 2  # one 404 can be a deploy hiccup; two in a row is evidence
MISSING_OUTCOMES = frozenset({Outcome.GONE})

# The caller's own changes to a checked document (its listing, its next check), made once the
# check's state is set and before the document is written: one UPDATE, and the document read once.
Touch = Callable[[Document], None]

# A new version and a capture are written with plain INSERTs, not as ORM objects: nothing reads
# them back in the same transaction, and the unit of work cost more than the statements.
VERSIONS: Table = Version.__table__  # type: ignore[assignment]
CAPTURES: Table = Capture.__table__  # type: ignore[assignment]
# Statements run for every page, built once (see store.db.insert_or_skip).
_INSERT_VERSION = insert(VERSIONS)
_INSERT_CAPTURE = insert(CAPTURES)
_DOCUMENT_TO_UPDATE = select(Document).where(Document.url == bindparam("url")).with_for_update()


@dataclass(frozen=True)
class VersionRef:
    """The version a fetch made or confirmed: what a Recorded reports of it."""

    id: int
    version_no: int
    content_hash: str


def record_snapshot(
    session: Session,
    snapshot: ArticleSnapshot,
    capture: CaptureRecord,
    source_id: int | None = None,
    *,
    blob: PreparedBlob | None = None,
    template: Template | None = None,
    touch: Touch | None = None,
) -> Recorded:
    """Store one successful fetch: a capture always, a version only if the content changed.

    `blob` is the capture's body already digested and compressed (by a crawl's worker).
    `template` is the source's learned template (read from the archive when not given): a
    reading that differs from the latest version only by template lines is unchanged.
    `touch` makes the caller's own changes to the document before it is written (see Touch).
    """
    document = _document_for_update(session, snapshot.url, source_id, capture.fetched_at)
    latest = _latest_version(session, document)
    unchanged = latest is not None and _same_content(session, document, latest, snapshot, template)
    _mark_live(document, capture, changed=not unchanged)  # before the flush: one UPDATE
    if touch is not None:
        touch(document)
    if latest is not None and unchanged:
        latest.last_seen_at = max(latest.last_seen_at, capture.fetched_at)
        outcome, version = Outcome.UNCHANGED, _ref(latest)
    else:
        outcome = Outcome.NEW if latest is None else Outcome.CHANGED
        version = _append_version(session, document, snapshot, capture)
    capture_id = _insert_capture(session, capture, outcome, document.id, version.id, blob)
    return Recorded(
        outcome=outcome,
        capture_id=capture_id,
        document_id=document.id,
        version_no=version.version_no,
        content_hash=version.content_hash,
    )


def record_failure(
    session: Session,
    capture: CaptureRecord,
    outcome: Outcome,
    document_url: str | None = None,
    *,
    blob: PreparedBlob | None = None,
    touch: Touch | None = None,
) -> Recorded:
    """Store a fetch that made no version (error, gone, blocked, not modified, redirected)."""
    document = _existing_document(session, document_url) if document_url else None
    version = None
    if document is not None:
        _apply_failure(document, capture, outcome)
        if touch is not None:
            touch(document)
        if outcome is Outcome.NOT_MODIFIED:  # the server vouches the content is unchanged
            version = _latest_version(session, document)
            if version is not None:
                version.last_seen_at = max(version.last_seen_at, capture.fetched_at)
    version_id = version.id if version is not None else None
    document_id = document.id if document else None
    capture_id = _insert_capture(session, capture, outcome, document_id, version_id, blob)
    version_no = document.version_count or None if document else None
    return Recorded(
        outcome=outcome,
        capture_id=capture_id,
        document_id=document.id if document else None,
        version_no=version_no,
    )


def record_unchanged(
    session: Session,
    capture: CaptureRecord,
    document_url: str,
    digest: str,
    touch: Touch | None = None,
) -> Recorded | None:
    """Store a fetch whose body is byte-identical to the last one: no extraction needed.

    `digest` is the body's digest, already stored as a blob. None if the document has no
    version to confirm (the caller then reads the page normally).
    """
    document = _existing_document(session, document_url)
    latest = _latest_version(session, document) if document is not None else None
    if document is None or latest is None:
        return None
    latest.last_seen_at = max(latest.last_seen_at, capture.fetched_at)
    _mark_live(document, capture, changed=False)
    if touch is not None:
        touch(document)
    capture_id = _insert_capture(
        session, capture, Outcome.UNCHANGED, document.id, latest.id, stored_digest=digest
    )
    return Recorded(
        outcome=Outcome.UNCHANGED,
        capture_id=capture_id,
        document_id=document.id,
        version_no=latest.version_no,
        content_hash=latest.content_hash,
    )


def mark_redirected(session: Session, document_url: str, target_url: str) -> bool:
    """Mark a known document as redirected to `target_url`; False if it is not in the archive."""
    result = session.execute(
        update(Document)
        .where(Document.url == document_url)
        .values(status=DocumentStatus.REDIRECTED.value, redirect_url=target_url, missing_count=0)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_reading(
    session: Session, document_id: int, snapshot: ArticleSnapshot, seen_at: datetime
) -> int | None:
    """Store a new reading of a stored page (re-extraction); the new version number, or None.

    A version only if the content hash differs from the latest, by the same rule as a fetch.
    No capture is written (nothing was fetched) and the document's status is left alone.
    """
    _lock_documents(session, Document.id == document_id)
    document = session.scalars(
        select(Document).where(Document.id == document_id).with_for_update()
    ).one()
    latest = _latest_version(session, document)
    if latest is not None and latest.content_hash == snapshot.content_hash:
        return None
    seen = CaptureRecord(requested_url=document.url, fetched_at=seen_at)
    return _append_version(session, document, snapshot, seen).version_no


def _same_content(
    session: Session,
    document: Document,
    latest: Version,
    snapshot: ArticleSnapshot,
    template: Template | None,
) -> bool:
    if latest.content_hash == snapshot.content_hash:  # nearly always: no template needed
        return True
    if template is None:  # a one-off fetch of a source's article: its source's template
        template = _template_of(session, document.source_id)
    return template.same_content(latest, snapshot)


def _template_of(session: Session, source_id: int | None) -> Template:
    return load_template(session, source_id) if source_id is not None else Template()


# --- documents --------------------------------------------------------------------------------


def _document_for_update(
    session: Session, url: str, source_id: int | None, seen_at: datetime
) -> Document:
    """The document row for `url`, created if new (first seen when its first capture was
    fetched) and locked against concurrent versioning."""
    new = {"url": url, "source_id": source_id, "first_seen_at": seen_at}
    session.execute(insert_or_skip(session, Document, "url"), new)
    document = session.scalars(_DOCUMENT_TO_UPDATE, {"url": url}).one()
    if document.source_id is None and source_id is not None:
        document.source_id = source_id
    return document


def _existing_document(session: Session, url: str) -> Document | None:
    _lock_documents(session, Document.url == url)
    return session.scalars(select(Document).where(Document.url == url).with_for_update()).first()


def _lock_documents(session: Session, condition: ColumnElement[bool]) -> None:
    """Take the write lock on the matching document before reading it.

    SQLite ignores FOR UPDATE and its driver starts no transaction before a SELECT, so a
    read-then-write could interleave with another writer (lost `missing_count` increments,
    clashing version numbers). A no-op UPDATE takes SQLite's write lock and PostgreSQL's row
    lock alike, so concurrent writers of one document run one after the other.
    """
    session.execute(
        update(Document)
        .where(condition)
        .values(missing_count=Document.missing_count)
        .execution_options(synchronize_session=False)
    )


def _mark_live(document: Document, capture: CaptureRecord, changed: bool) -> None:
    document.status = DocumentStatus.LIVE.value
    document.redirect_url = None
    document.missing_count = 0
    document.last_checked_at = capture.fetched_at
    if changed:
        document.last_changed_at = capture.fetched_at


def _apply_failure(document: Document, capture: CaptureRecord, outcome: Outcome) -> None:
    document.last_checked_at = capture.fetched_at
    if outcome in MISSING_OUTCOMES:
        document.missing_count += 1
        if document.missing_count >= MISSING_CHECKS_BEFORE_GONE:
            document.status = DocumentStatus.GONE.value
        return
    document.missing_count = 0  # any other answer breaks a run of 404s: gone needs two in a row
    if outcome is Outcome.BLOCKED:
        document.status = DocumentStatus.BLOCKED.value
    elif outcome is Outcome.NOT_MODIFIED:
        document.status = DocumentStatus.LIVE.value


# --- versions and captures --------------------------------------------------------------------


def _latest_version(session: Session, document: Document) -> Version | None:
    if document.version_count == 0:
        return None
    return session.scalars(
        select(Version).where(
            Version.document_id == document.id, Version.version_no == document.version_count
        )
    ).one()


def _ref(version: Version) -> VersionRef:
    return VersionRef(version.id, version.version_no, version.content_hash)


def _append_version(
    session: Session, document: Document, snapshot: ArticleSnapshot, capture: CaptureRecord
) -> VersionRef:
    document.version_count += 1
    values = {
        "document_id": document.id,
        "version_no": document.version_count,
        "content_hash": snapshot.content_hash,
        "title": snapshot.title,
        "authors": list(snapshot.authors),
        "published_at": snapshot.published_at,
        "modified_at": snapshot.modified_at,
        "language": snapshot.language,
        "text": snapshot.text,
        "word_count": snapshot.word_count,
        "extractor_version": snapshot.extractor_version,
        "first_seen_at": capture.fetched_at,
        "last_seen_at": capture.fetched_at,
    }
    version_id = _insert_row(session, _INSERT_VERSION, values)
    return VersionRef(version_id, document.version_count, snapshot.content_hash)


def _insert_capture(
    session: Session,
    capture: CaptureRecord,
    outcome: Outcome,
    document_id: int | None,
    version_id: int | None,
    blob: PreparedBlob | None = None,
    stored_digest: str | None = None,
) -> int:
    """Write the capture (and its body, unless stored already); its id."""
    digest = stored_digest
    if digest is None and capture.body is not None:
        digest = put_blob(session, blob or capture.body)
    values = {
        "document_id": document_id,
        "crawl_run_id": capture.crawl_run_id,
        "requested_url": capture.requested_url,
        "final_url": capture.final_url,
        "status_code": capture.status,
        "headers": dict(capture.headers),
        "fetched_at": capture.fetched_at,
        "blob_digest": digest,
        "outcome": outcome.value,
        "error": capture.error,
        "version_id": version_id,
    }
    return _insert_row(session, _INSERT_CAPTURE, values)


def _insert_row(session: Session, statement: Insert, values: dict[str, Any]) -> int:
    """INSERT one row; its new id."""
    result = cast(CursorResult[Any], session.execute(statement, values))
    inserted = result.inserted_primary_key
    assert inserted is not None  # a single-row INSERT always has one
    return int(inserted[0])
