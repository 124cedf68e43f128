"""`archivist reprocess`: stored pages read again; versions only where the reading differs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select, update

from crawler.reading import EXTRACTOR_VERSION, read_article
from scheduler.cli import cli
from store.db import transaction
from store.models import Capture, CrawlRun, Document, Version
from store.records import ArticleSnapshot
from store.sources import add_source
from tests.archives import at, fingerprint, new_archive, record, record_error
from tests.pages import BODY, article_page

SAME = "https://daily.example/2024/03/same/"
NAG = "https://daily.example/2024/03/nag/"
OTHER = "https://other.example/2024/03/other/"
JUNK = "https://daily.example/2024/03/junk/"
NAG_LINE = "Old rule kept this line: subscribe to our newsletter today."


def reading(url: str, html: str) -> ArticleSnapshot:
    """What today's code reads from `html`, stored under the document `url`."""
    return dataclasses.replace(read_article(url, html.encode()), url=url)


def store_page(
    engine: Engine, url: str, html: str, snapshot: ArticleSnapshot, hours: float
) -> None:
    record(
        engine,
        url,
        snapshot.title,
        snapshot.text,
        at(hours),
        authors=snapshot.authors,
        body=html.encode(),
        extractor_version="old-extractor",
    )


@pytest.fixture
def archive(db_url: str) -> Iterator[tuple[str, Engine]]:
    """SAME reads today as stored; NAG was stored with a line today's rules drop; OTHER is
    another source's page stored like NAG; JUNK's stored body is no article at all."""
    engine = new_archive(db_url)
    with transaction(engine) as session:
        daily = add_source(session, "daily", "feed", "https://daily.example/feed").id
        other = add_source(session, "other", "feed", "https://other.example/feed").id
    same_html = article_page(title="Same as ever")
    store_page(engine, SAME, same_html, reading(SAME, same_html), 0)
    nag_html = article_page(title="Park opens", paragraphs=[*BODY, "The ribbon was cut."])
    old = reading(NAG, nag_html)
    store_page(engine, NAG, nag_html, dataclasses.replace(old, text=old.text + "\n" + NAG_LINE), 1)
    other_html = article_page(title="Elsewhere")
    old_other = reading(OTHER, other_html)
    store_page(engine, OTHER, other_html, dataclasses.replace(old_other, text="Stale."), 2)
    record(engine, JUNK, "Junk", "Once readable.", at(3), body=b"<html><body></body></html>")
    with transaction(engine) as session:
        for url, source_id in ((SAME, daily), (NAG, daily), (JUNK, daily), (OTHER, other)):
            session.execute(update(Document).where(Document.url == url).values(source_id=source_id))
    yield db_url, engine
    engine.dispose()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["reprocess", *args])


def versions(engine: Engine, url: str) -> list[Version]:
    with transaction(engine) as session:
        document = session.scalars(select(Document).where(Document.url == url)).one()
        return list(
            session.scalars(
                select(Version).where(Version.document_id == document.id).order_by(Version.id)
            )
        )


def count(engine: Engine, model: type[Capture] | type[Version]) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_changed_reading_makes_exactly_one_version(archive: tuple[str, Engine]) -> None:
    url, engine = archive
    captures = count(engine, Capture)
    result = run("--db", url)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "reprocessed 4 document(s): 2 new version(s), 1 unchanged, 1 unreadable\n"
    )
    nag = versions(engine, NAG)
    assert [v.version_no for v in nag] == [1, 2]
    assert NAG_LINE in nag[0].text and NAG_LINE not in nag[1].text
    assert nag[1].extractor_version == EXTRACTOR_VERSION
    assert nag[1].first_seen_at == at(1)  # seen in the stored page, not "now"
    assert [v.version_no for v in versions(engine, SAME)] == [1]
    assert count(engine, Capture) == captures  # nothing was fetched


def test_reprocessing_again_with_the_same_code_creates_nothing(
    archive: tuple[str, Engine],
) -> None:
    url, engine = archive
    assert run("--db", url).exit_code == 0
    total = count(engine, Version)
    result = run("--db", url)
    assert result.exit_code == 0, result.output
    assert "0 new version(s), 3 unchanged, 1 unreadable" in result.stdout
    assert count(engine, Version) == total


def test_dry_run_reports_and_writes_nothing(archive: tuple[str, Engine]) -> None:
    url, _ = archive
    before = fingerprint(url)
    result = run("--db", url, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "dry run: 2 of 4 document(s) would get a new version (1 unchanged, 1 unreadable); "
        "nothing was written"
    )
    assert f"{NAG}: version 1 -> a new version" in lines
    assert any(line.startswith("  text:") for line in lines)
    assert any(f"[-{NAG_LINE}-]" in line for line in lines)
    assert fingerprint(url) == before


def test_source_and_since_narrow_the_run(archive: tuple[str, Engine]) -> None:
    url, engine = archive
    result = run("--db", url, "--source", "other")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("reprocessed 1 document(s): 1 new version(s)")
    assert len(versions(engine, NAG)) == 1
    late = run("--db", url, "--since", "2024-03-01T10:30:00+00:00", "--dry-run")
    assert late.stdout.startswith("dry run: 0 of 2 document(s)")  # NAG (10:00) is older
    early = run("--db", url, "--since", "2024-03-01", "--dry-run")
    assert early.stdout.startswith("dry run: 1 of 4 document(s)")


def test_a_real_run_is_logged_as_a_crawl_run(archive: tuple[str, Engine]) -> None:
    url, engine = archive
    assert run("--db", url).exit_code == 0
    with transaction(engine) as session:
        logged = session.scalars(select(CrawlRun).where(CrawlRun.kind == "reprocess")).one()
        assert (logged.status, logged.new_versions, logged.unchanged, logged.errors) == (
            "finished", 2, 1, 1,
        )  # fmt: skip


def test_status_is_left_alone_and_an_error_capture_does_not_hide_the_page(
    archive: tuple[str, Engine],
) -> None:
    url, engine = archive
    record_error(engine, NAG, at(9), "HTTP 503")
    with transaction(engine) as session:
        gone = update(Document).where(Document.url == NAG)
        session.execute(gone.values(status="gone", last_checked_at=at(9)))
    assert run("--db", url).exit_code == 0
    assert len(versions(engine, NAG)) == 2
    with transaction(engine) as session:
        document = session.scalars(select(Document).where(Document.url == NAG)).one()
        assert (document.status, document.last_checked_at) == ("gone", at(9))


def test_one_line_errors(archive: tuple[str, Engine]) -> None:
    url, _ = archive
    unknown = run("--db", url, "--source", "nope")
    assert unknown.exit_code == 1 and "no source named 'nope'" in unknown.stderr
    bad_date = run("--db", url, "--since", "last tuesday")
    assert bad_date.exit_code == 2 and "not an ISO 8601 date" in bad_date.stderr
