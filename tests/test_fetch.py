"""`archivist fetch` end to end: real Scrapy against a loopback site, real archive, real CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import run_archivist
from tests.loopback import LoopbackSite, Reply
from tests.pages import BODY, article_page


def fetch_json(url: str, db_url: str, *extra: str) -> tuple[int, dict[str, object], str]:
    result = run_archivist("fetch", url, "--db", db_url, "--json", *extra)
    record = json.loads(result.stdout.splitlines()[0]) if result.stdout.strip() else {}
    return result.returncode, record, result.stderr


def rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return found


def test_versions_only_on_real_change(site: LoopbackSite, db_url: str) -> None:
    url = site.url("/2026/11/park/?utm_source=feed")
    site.routes["/2026/11/park/?utm_source=feed"] = Reply(article_page())
    code, first, _ = fetch_json(url, db_url)
    assert code == 0
    assert (first["outcome"], first["version_no"]) == ("new", 1)
    assert first["canonical_url"] == site.url("/2026/11/park/")
    assert "explained that the project" in str(first["text"])
    for noise in ("Leave a Reply", "will not be published", "Views:", "Photo: City archive"):
        assert noise not in str(first["text"]), noise

    # template-only change: counters, header date, nonce, ad
    site.routes["/2026/11/park/?utm_source=feed"] = Reply(
        article_page(views=99999, header_date="28 November 2026", nonce="zz9", ad="Other ad")
    )
    code, second, _ = fetch_json(url, db_url)
    assert (code, second["outcome"], second["version_no"]) == (0, "unchanged", 1)
    assert second["content_hash"] == first["content_hash"]

    edited = [*BODY[:3], "Construction will now begin in the autumn, the council said later."]
    site.routes["/2026/11/park/?utm_source=feed"] = Reply(article_page(paragraphs=edited))
    code, third, _ = fetch_json(url, db_url)
    assert (code, third["outcome"], third["version_no"]) == (0, "changed", 2)

    assert rows(db_url, "select count(*) from versions") == [(2,)]
    assert rows(db_url, "select count(*) from captures") == [(3,)]
    assert rows(db_url, "select version_no from latest") == [(2,)]
    # three identical-template bodies differ, so three blobs; each stored once
    assert rows(db_url, "select count(distinct blob_digest), count(*) from captures") == [(3, 3)]


def test_identical_bodies_are_stored_once(site: LoopbackSite, sqlite_url: str) -> None:
    site.routes["/a"] = Reply(article_page())
    for _ in range(2):
        assert fetch_json(site.url("/a"), sqlite_url)[0] == 0
    assert rows(sqlite_url, "select count(*) from blobs") == [(1,)]
    assert rows(sqlite_url, "select count(*) from captures") == [(2,)]


HOME_PAGE = """<!doctype html><html><head><title>Harbour Courier</title></head><body>
<nav><a href="/">Home</a> <a href="/about/">About</a></nav>
<ul><li><a href="/2026/11/a/">Council approves bike lanes</a></li>
<li><a href="/2026/11/b/">Ferry timetable changes</a></li>
<li><a href="/2026/11/c/">Marina opens for the season</a></li></ul></body></html>"""
SHORT_STORY = """<!doctype html><html><head><title>Ferry suspended</title>
<meta property="article:published_time" content="2026-11-27T08:00:00Z"></head><body>
<p>The morning ferry to the islands is suspended today because of high winds, the harbour
office said. Services are expected to resume tomorrow.</p></body></html>"""


def test_a_short_dated_story_is_an_article_and_a_home_page_is_not(
    site: LoopbackSite, sqlite_url: str
) -> None:
    site.routes["/2026/11/ferry/"] = Reply(SHORT_STORY)
    code, record, stderr = fetch_json(site.url("/2026/11/ferry/"), sqlite_url)
    assert code == 0, stderr
    assert (record["outcome"], record["title"]) == ("new", "Ferry suspended")
    site.routes["/"] = Reply(HOME_PAGE)
    code, record, stderr = fetch_json(site.url("/"), sqlite_url)
    assert code == 1 and record["outcome"] == "error"
    assert "words and nothing that marks an article (no date, no article markup)" in stderr
    assert rows(sqlite_url, "select count(*) from documents") == [(1,)]


@pytest.mark.parametrize(
    ("reply", "outcome", "message"),
    [
        (Reply("missing", status=404), "gone", "HTTP 404"),
        (Reply("oops", status=500), "error", "HTTP 500"),
        (Reply(b"%PDF-1.4", headers={"Content-Type": "application/pdf"}), "error", "not HTML"),
        (Reply("<html><body></body></html>"), "error", "nothing extractable"),
        (Reply(HOME_PAGE), "error", "words and nothing that marks an article"),
    ],
)
def test_failures_exit_non_zero_and_are_recorded(
    site: LoopbackSite, sqlite_url: str, reply: Reply, outcome: str, message: str
) -> None:
    site.routes["/bad"] = reply
    code, record, stderr = fetch_json(site.url("/bad"), sqlite_url)
    assert code == 1
    assert record["outcome"] == outcome
    assert message in stderr and "Traceback" not in stderr
    assert rows(sqlite_url, "select outcome from captures") == [(outcome,)]
    assert rows(sqlite_url, "select count(*) from versions") == [(0,)]


def test_unreachable_host_is_an_error_capture(site: LoopbackSite, sqlite_url: str) -> None:
    port = site.server.server_address[1]
    site.stop()
    code, record, stderr = fetch_json(f"http://127.0.0.1:{port}/gone", sqlite_url)
    assert code == 1 and record["outcome"] == "error"
    assert "Traceback" not in stderr
    assert rows(sqlite_url, "select outcome, status_code from captures") == [("error", None)]
    site.server.server_close()


def test_human_summary_and_no_store(site: LoopbackSite, tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    site.routes["/a"] = Reply(article_page())
    result = run_archivist("fetch", site.url("/a"), "--db", str(db), "--no-store")
    assert result.returncode == 0, result.stderr
    assert "Council approves riverside park" in result.stdout
    assert "Jane Roe" in result.stdout and "2026-11-20T07:30:00+00:00" in result.stdout
    assert not db.exists()


def test_saved_html_file(tmp_path: Path, sqlite_url: str) -> None:
    page = tmp_path / "saved.html"
    page.write_text(article_page(), encoding="utf-8")
    result = run_archivist(
        "fetch",
        "--html",
        str(page),
        "--url",
        "https://news.example/park",
        "--db",
        sqlite_url,
        "--json",
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["outcome"] == "new" and record["canonical_url"] == "https://news.example/park"
    assert rows(sqlite_url, "select url from documents") == [("https://news.example/park",)]


def test_robots_txt_is_obeyed(site: LoopbackSite, sqlite_url: str) -> None:
    site.routes["/robots.txt"] = Reply(
        "User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}
    )
    site.routes["/private/a"] = Reply(article_page())
    code, _, stderr = fetch_json(site.url("/private/a"), sqlite_url)
    assert code == 1 and "robots.txt" in stderr
    assert site.hits("/private/a") == 0


def test_old_archive_is_not_altered(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    url = f"sqlite:///{db}"
    assert run_archivist("db", "upgrade", "--db", url).returncode == 0
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = '0000'"))
    engine.dispose()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = run_archivist("fetch", "--html", __file__, "--url", "https://x.example/", "--db", url)
    assert result.returncode == 1
    assert "archivist db upgrade" in result.stderr and "Traceback" not in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
