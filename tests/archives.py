"""Archives for read-path tests, built through the real write path (record_snapshot)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, inspect, text

from store.archive import record_failure, record_snapshot
from store.db import is_sqlite, make_engine, transaction, upgrade
from store.models import Base
from store.records import ArticleSnapshot, CaptureRecord, Outcome, Recorded

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    """A fixed UTC time `hours` after START."""
    return START + timedelta(hours=hours)


def new_archive(url: str) -> Engine:
    """An empty archive at head on `url`, and a writing engine on it."""
    upgrade(url)
    return make_engine(url)


def record(
    engine: Engine,
    url: str,
    title: str,
    text_: str,
    when: datetime,
    *,
    authors: tuple[str, ...] = ("Ann Writer",),
    requested_url: str | None = None,
    body: bytes | None = None,
    extractor_version: str = "test-1",
    source_id: int | None = None,
) -> Recorded:
    """Record one successful fetch of `url` reading `title`/`text_` in its own transaction."""
    snapshot = ArticleSnapshot(
        url=url, title=title, text=text_, authors=authors, extractor_version=extractor_version
    )
    capture = CaptureRecord(
        requested_url=requested_url or url,
        final_url=url,
        fetched_at=when,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=body if body is not None else f"<html>{title}</html>".encode(),
    )
    with transaction(engine) as session:
        return record_snapshot(session, snapshot, capture, source_id)


def record_error(engine: Engine, url: str, when: datetime, error: str) -> Recorded:
    """Record one failed fetch of a known document."""
    capture = CaptureRecord(requested_url=url, fetched_at=when, status=503, error=error)
    with transaction(engine) as session:
        return record_failure(session, capture, Outcome.ERROR, url)


def fingerprint(url: str) -> str:
    """A digest of every row of every archive table (and, on SQLite, of the file's bytes)."""
    digest = hashlib.sha256()
    if is_sqlite(url):
        path = url.removeprefix("sqlite:///")
        with open(path, "rb") as handle:
            digest.update(handle.read())
    engine = make_engine(url)
    with engine.connect() as conn:
        tables = sorted([*Base.metadata.tables, "alembic_version"])
        assert set(tables) <= set(inspect(conn).get_table_names())
        for table in tables:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            digest.update(repr((table, rows)).encode())
    engine.dispose()
    return digest.hexdigest()
