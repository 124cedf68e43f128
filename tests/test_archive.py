"""The write path: versions on content change only, atomic pages, UTC, concurrent writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from store.archive import record_failure, record_snapshot
from store.blobs import get_blob
from store.db import open_archive, transaction
from store.models import Capture, Document, Version
from store.records import ArticleSnapshot, CaptureRecord, Outcome

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
URL = "https://news.example/2026/11/story/"


def snap(
    text: str, title: str = "Headline", authors: tuple[str, ...] = ("A. Writer",)
) -> ArticleSnapshot:
    return ArticleSnapshot(url=URL, title=title, text=text, authors=authors, extractor_version="t")


def capture(at: datetime, body: bytes = b"<html>x</html>") -> CaptureRecord:
    return CaptureRecord(requested_url=URL, fetched_at=at, final_url=URL, status=200, body=body)


def test_outcomes_and_numbering(db_url: str) -> None:
    engine = open_archive(db_url)
    steps = [
        (snap("one"), Outcome.NEW, 1),
        (snap("one"), Outcome.UNCHANGED, 1),
        (snap("two"), Outcome.CHANGED, 2),
        (snap("two", title="New headline"), Outcome.CHANGED, 3),
        (snap("two", title="New headline", authors=("B. Editor",)), Outcome.CHANGED, 4),
        (snap("one"), Outcome.CHANGED, 5),  # a revert is a change too
    ]
    for minute, (snapshot, outcome, number) in enumerate(steps):
        with transaction(engine) as session:
            recorded = record_snapshot(session, snapshot, capture(T0 + timedelta(minutes=minute)))
        assert (recorded.outcome, recorded.version_no) == (outcome, number)
    with transaction(engine) as session:
        versions = session.scalars(select(Version).order_by(Version.version_no)).all()
        assert [v.version_no for v in versions] == [1, 2, 3, 4, 5]
        assert versions[0].last_seen_at == T0 + timedelta(minutes=1)
        document = session.scalars(select(Document)).one()
        assert document.version_count == 5 and document.last_changed_at == T0 + timedelta(minutes=5)
        assert document.first_seen_at == T0  # when its first capture was fetched, not written
    engine.dispose()


def test_timestamps_come_back_as_utc(db_url: str) -> None:
    engine = open_archive(db_url)
    paris = timezone(timedelta(hours=1))
    with transaction(engine) as session:
        record_snapshot(session, snap("x"), capture(datetime(2026, 11, 1, 13, 0, tzinfo=paris)))
    with transaction(engine) as session:
        fetched = session.scalars(select(Capture.fetched_at)).one()
    assert fetched.tzinfo is not None and fetched.utcoffset() == timedelta(0)
    assert fetched == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    engine.dispose()


def test_a_failing_page_leaves_nothing_half_written(db_url: str) -> None:
    engine = open_archive(db_url)
    bad = ArticleSnapshot(url=URL, title="t", text="x", published_at=datetime(2026, 1, 1))
    with pytest.raises(Exception, match="naive datetime"), transaction(engine) as session:
        record_snapshot(session, bad, capture(T0))
    with transaction(engine) as session:
        for model in (Document, Version, Capture):
            assert session.scalar(select(func.count()).select_from(model)) == 0
    engine.dispose()


def test_duplicate_version_number_is_impossible(db_url: str) -> None:
    engine = open_archive(db_url)
    with transaction(engine) as session:
        record_snapshot(session, snap("one"), capture(T0))
    with pytest.raises(IntegrityError), transaction(engine) as session:
        document = session.scalars(select(Document)).one()
        session.add(
            Version(
                document_id=document.id,
                version_no=1,
                content_hash="h",
                title="t",
                text="t",
                word_count=1,
                extractor_version="t",
                first_seen_at=T0,
                last_seen_at=T0,
            )
        )
        session.flush()
    engine.dispose()


def test_raw_body_round_trips_compressed(db_url: str) -> None:
    engine = open_archive(db_url)
    body = ("<html>" + "news " * 5000 + "</html>").encode()
    with transaction(engine) as session:
        record_snapshot(session, snap("one"), capture(T0, body))
        digest = session.scalars(select(Capture.blob_digest)).one()
        assert digest is not None
        assert get_blob(session, digest) == body
    engine.dispose()


def test_two_consecutive_404s_make_a_document_gone(db_url: str) -> None:
    engine = open_archive(db_url)
    with transaction(engine) as session:
        record_snapshot(session, snap("one"), capture(T0))
    statuses = []
    for minute in (1, 2):
        with transaction(engine) as session:
            failure = CaptureRecord(
                requested_url=URL, fetched_at=T0 + timedelta(minutes=minute), status=404
            )
            record_failure(session, failure, Outcome.GONE, URL)
            statuses.append(session.scalars(select(Document.status)).one())
    assert statuses == ["live", "gone"]
    with transaction(engine) as session:
        record_snapshot(session, snap("one"), capture(T0 + timedelta(minutes=3)))
        assert session.scalars(select(Document.status)).one() == "live"
    engine.dispose()


@pytest.mark.parametrize("between", [Outcome.BLOCKED, Outcome.ERROR, Outcome.REDIRECTED])
def test_404s_with_another_answer_between_them_are_not_gone(db_url: str, between: Outcome) -> None:
    engine = open_archive(db_url)
    with transaction(engine) as session:
        record_snapshot(session, snap("one"), capture(T0))
    for minute, outcome in enumerate((Outcome.GONE, between, Outcome.GONE), start=1):
        with transaction(engine) as session:
            status = 404 if outcome is Outcome.GONE else 200
            check = CaptureRecord(
                requested_url=URL, fetched_at=T0 + timedelta(minutes=minute), status=status
            )
            record_failure(session, check, outcome, URL)
    with transaction(engine) as session:
        document = session.scalars(select(Document)).one()
    assert document.status != "gone"
    assert document.missing_count == 1
    engine.dispose()


def test_concurrent_writers_never_collide(db_url: str) -> None:
    """Several writers ingest the same URL at once: versions stay numbered 1..n, no error."""
    engine = open_archive(db_url)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for round_no in range(5):
                with transaction(engine) as session:
                    record_snapshot(
                        session, snap(f"w{worker} r{round_no}"), capture(datetime.now(UTC))
                    )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction(engine) as session:
        numbers = session.scalars(select(Version.version_no).order_by(Version.version_no)).all()
        assert session.scalar(select(func.count()).select_from(Document)) == 1
    assert numbers == list(range(1, 21))
    engine.dispose()


def test_concurrent_failures_lose_no_count(db_url: str) -> None:
    """Read-then-write paths serialise too: every 404 from every writer is counted."""
    engine = open_archive(db_url)
    with transaction(engine) as session:
        record_snapshot(session, snap("one"), capture(T0))
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(5):
                with transaction(engine) as session:
                    failure = CaptureRecord(
                        requested_url=URL, fetched_at=datetime.now(UTC), status=404
                    )
                    record_failure(session, failure, Outcome.GONE, URL)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction(engine) as session:
        document = session.scalars(select(Document)).one()
    assert (document.missing_count, document.status) == (20, "gone")
    engine.dispose()
