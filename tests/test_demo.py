"""`archivist demo`: the bundled site, and the whole demo run as a user would run it."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from scheduler.demo import prepare_archive
from scheduler.demo_server import BOILERPLATE, DemoSite
from store.db import open_archive, transaction
from store.sources import add_source
from tests.conftest import run_archivist
from tests.sites import rows


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def test_demo_site_serves_feed_sitemap_and_an_article_that_gets_edited() -> None:
    site = DemoSite().start()
    try:
        article = site.base + site.edited_article.path
        assert "Disallow: /wp-admin/" in get(site.base + "/robots.txt")
        feed = get(site.base + "/feed/")
        assert feed.count("<item>") == len(site.articles) >= 5
        assert f"<link>{article}</link>" in feed
        before_sitemap, before = get(site.base + "/sitemap.xml"), get(article)
        again = get(article)
        views = re.compile(r"([\d,]+) views")
        assert views.search(before).group(1) != views.search(again).group(1)  # template noise
        assert all(marker in before for marker in BOILERPLATE)
        site.edit()
        after_sitemap, after = get(site.base + "/sitemap.xml"), get(article)
        assert "voted 5–2" in before and "voted 6–1" in after and "Correction:" in after
        assert before_sitemap != after_sitemap  # the edited article's lastmod moved
        assert site.page("/nope")[0] == 404
    finally:
        site.stop()


def test_demo_runs_the_whole_job_and_shows_it(tmp_path: Path) -> None:
    result = run_archivist("demo", "--keep", "demo", cwd=tmp_path, timeout=150)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    archive = tmp_path / "demo" / "archive.db"
    assert f"archive     {archive}" in out and f"ARCHIVIST_DB={archive}" in out
    assert re.search(r"run \d+ of gazette-(feed|sitemap) finished: 6 listed, 6 fetched, 6 new", out)
    assert "the newsroom corrects" in out and "exit status 0" in out
    for section in ("The crawl runs", "The archive's articles", "The corrected article's history",
                    "What the correction changed", "Any question, in SQL"):  # fmt: skip
        assert f"== {section}" in out
    assert "$ archivist runs --db demo/archive.db" in out
    assert "-The city council" in out and "+Correction: an earlier version" in out  # the diff
    assert "removed       'Leave a Reply'" in out and "still there!" not in out
    assert re.search(r"^changed\s+1$", out, re.MULTILINE)  # the sql example: one changed fetch
    url = "sqlite:///" + str(archive)
    (versions,) = rows(url, "select max(version_count) from documents")
    assert versions == (2,)
    assert rows(url, "select count(*) from documents") == [(6,)]
    assert rows(url, "select count(*) from crawl_runs where status not in ('finished')") == [(0,)]
    log = (tmp_path / "demo" / "worker.log").read_text()
    assert "event=run.finished" in log and "event=worker.stopped" in log
    # Run again in the same place: the earlier demo's archive is replaced by a fresh one.
    assert prepare_archive(tmp_path / "demo") == archive and not archive.exists()


def test_demo_will_not_replace_an_archive_that_is_not_a_demo(tmp_path: Path) -> None:
    archive = tmp_path / "archive.db"
    engine = open_archive(f"sqlite:///{archive}")
    with transaction(engine) as session:
        add_source(session, "my-paper", "feed", "http://x.test/feed")
    engine.dispose()
    result = run_archivist("demo", "--keep", str(tmp_path), timeout=60)
    assert result.returncode == 1
    assert "not an earlier demo" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert rows(f"sqlite:///{archive}", "select name from sources") == [("my-paper",)]
