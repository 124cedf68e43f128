"""`archivist crawl` end to end: real Scrapy subprocesses, loopback sites, both backends."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler

from crawler.cli.crawl import crawl as crawl_command
from crawler.cli.crawl import runs as runs_command
from store.db import open_archive, transaction
from store.runs import start_run
from tests.conftest import FIXTURES, run_archivist, start_archivist
from tests.loopback import LoopbackSite, Reply
from tests.pages import article_page
from tests.sites import (
    FAST,
    RSS,
    XML,
    add_articles,
    add_source,
    crawl,
    feed_site,
    in_process,
    rows,
    rss,
    scalar,
    story,
)

COUNTERS = ("discovered", "fetched", "new_documents", "new_versions", "unchanged", "errors")


def counts(run: dict[str, object]) -> tuple[object, ...]:
    return tuple(run[c] for c in COUNTERS)


def test_feed_source_first_crawl_then_unchanged_crawls(site: LoopbackSite, db_url: str) -> None:
    paths = feed_site(site, 3)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    pool = ("-s", "ARCHIVIST_EXTRACT_WORKERS=2", "-s", "ARCHIVIST_READ_BEFORE_POOL=0")
    code, run, err = crawl(db_url, "wd", *pool)  # reading in worker processes
    assert code == 0, err
    assert (run["status"], run["source"], run["error"]) == ("finished", "wd", None)
    assert counts(run) == (3, 3, 3, 0, 0, 0)
    assert run["finished_at"] and run["bytes"] > 0
    assert scalar(db_url, "select count(*) from versions") == 3
    source_ids = rows(db_url, "select distinct source_id from documents")
    assert source_ids == [(scalar(db_url, "select id from sources where name = 'wd'"),)]
    # The feed's dates say nothing changed since the last check: nothing is fetched.
    code, run, _ = crawl(db_url, "wd")
    assert code == 0 and counts(run) == (3, 0, 0, 0, 0, 0)
    assert all(site.hits(p) == 1 for p in paths)
    # Re-checking everything finds the same content: zero versions.
    code, run, _ = crawl(db_url, "wd", "-s", "ARCHIVIST_REVISIT_ALL=true")
    assert code == 0 and counts(run) == (3, 3, 0, 0, 3, 0)
    assert scalar(db_url, "select count(*) from versions") == 3
    # A feed date after the last check is news: those articles are fetched, edits versioned.
    site.routes[paths[0]] = Reply(story(0, edit=" Correction: the vote was on Monday."))
    site.routes["/feed.xml"] = Reply(rss(site, paths, "Fri, 01 Jan 2100 00:00:00 GMT"), headers=RSS)
    code, run, _ = crawl(db_url, "wd")
    assert code == 0 and counts(run) == (3, 3, 0, 1, 2, 0)
    assert scalar(db_url, "select max(version_count) from documents") == 2


def test_sitemap_index_with_gzipped_news_sitemap(site: LoopbackSite, db_url: str) -> None:
    news = (FIXTURES / "discovery" / "news-sitemap.xml").read_text(encoding="utf-8")
    news = news.replace("https://eurasia.example", site.base)
    add_articles(site, ["/2026/11/summit/", "/2026/11/markets/", "/2026/10/old/"])
    site.routes["/news-sitemap.xml.gz"] = Reply(
        gzip.compress(news.encode()), headers={"Content-Type": "application/x-gzip"}
    )
    site.routes["/pages-sitemap.xml"] = Reply(
        f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{site.url('/2026/10/old/')}</loc></url></urlset>",
        headers=XML,
    )
    index = (FIXTURES / "discovery" / "sitemap-index.xml").read_text(encoding="utf-8")
    site.routes["/sitemap.xml"] = Reply(
        index.replace("https://eurasia.example", site.base), headers=XML
    )
    add_source(db_url, "eu", "--sitemap", site.url("/sitemap.xml"))
    code, run, err = crawl(db_url, "eu")
    assert code == 0, err
    assert (run["discovered"], run["new_documents"]) == (3, 3)
    summit = rows(
        db_url,
        "select news_title, news_keywords, news_published_at, listed_modified_at from documents "
        "where url like '%summit%'",
    )[0]
    assert summit[:2] == ("Summit ends without agreement", "summit, trade, energy")
    assert str(summit[2]).startswith("2026-11-24 05:15")
    markets = rows(db_url, "select listed_modified_at from documents where url like '%markets%'")
    assert str(markets[0][0]).startswith("2026-11-25")


def test_section_pages_follow_pattern_within_site_and_depth(
    site: LoopbackSite, db_url: str
) -> None:
    def page(links: list[str], n: int) -> Reply:
        anchors = "".join(f"<a href='{link}'>link</a>" for link in links)
        return Reply(story(n).replace("</article>", f"{anchors}</article>"))

    other_site = site.url("/2026/11/elsewhere/").replace("127.0.0.1", "localhost")
    site.routes["/politics/"] = page(["/2026/11/a/", "/about/", other_site, "#top"], 0)
    site.routes["/2026/11/a/"] = page(["/2026/11/b/"], 1)
    site.routes["/2026/11/b/"] = page(["/2026/11/c/"], 2)
    site.routes["/2026/11/c/"] = page([], 3)
    site.routes["/about/"] = page([], 4)
    add_source(
        db_url,
        "minsk",
        "--start",
        site.url("/politics/"),
        "--follow",
        r"/20\d\d/\d\d/",
        "--depth",
        "2",
    )
    code, run, err = crawl(db_url, "minsk")
    assert code == 0, err
    assert (run["discovered"], run["new_documents"]) == (2, 2)
    assert site.hits("/2026/11/a/") == site.hits("/2026/11/b/") == 1
    assert site.hits("/2026/11/c/") == 0  # depth 3
    assert site.hits("/about/") == 0  # does not match --follow
    assert site.hits("/2026/11/elsewhere/") == 0  # another site
    assert scalar(db_url, "select count(*) from documents where url like '%politics%'") == 0


def test_invalid_or_unreachable_feed_fails_the_run(site: LoopbackSite, db_url: str) -> None:
    site.routes["/feed.xml"] = Reply("<html><body>Welcome</body></html>")
    add_source(db_url, "bad", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "bad")
    assert code == 1
    said = "not a valid RSS/Atom feed: no RSS or Atom elements in it (an HTML page?)"
    assert run["status"] == "failed" and run["error"].endswith(said)
    assert said in err and "Traceback" not in err
    add_source(db_url, "gone", "--feed", site.url("/missing.xml"))
    code, run, _ = crawl(db_url, "gone")
    assert code == 1 and run["status"] == "failed" and "HTTP 404" in run["error"]


def test_a_feed_listing_no_items_is_a_finished_run_that_found_nothing(
    site: LoopbackSite, db_url: str
) -> None:
    site.routes["/feed.xml"] = Reply(rss(site, []), headers=RSS)
    add_source(db_url, "quiet", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "quiet")
    assert code == 0, err
    assert (run["status"], run["error"], run["warnings"], run["discovered"]) == (
        "finished",
        None,
        None,
        0,
    )


def test_a_truncated_feed_is_crawled_as_far_as_it_goes_with_a_warning(
    site: LoopbackSite, db_url: str
) -> None:
    paths = feed_site(site, 3)
    whole = rss(site, paths)
    cut = whole[: whole.index("</item>", whole.index("</item>") + 1) + len("</item>") + 9]
    site.routes["/feed.xml"] = Reply(cut, headers=RSS)  # two items, then the third's start
    add_source(db_url, "cut", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "cut")
    assert code == 0, err
    assert (run["status"], run["error"], run["fetched"]) == ("finished", None, 2)
    assert run["warnings"].startswith(f"{site.url('/feed.xml')}: cut off mid-way (not well-formed")
    assert run["warnings"].endswith("the 2 articles listed before the cut were read")
    assert f"warning: run {run['id']}: {run['warnings']}" in err.splitlines()
    stored = rows(db_url, "select warnings from crawl_runs where id = :id", id=run["id"])
    assert stored == [(run["warnings"],)]
    table = in_process(runs_command, "--db", db_url).output
    assert "warning:" + site.url("/feed.xml") in "".join(table.split())
    feed_site(site, 3)  # mended: no warning left over
    code, run, err = crawl(db_url, "cut")
    assert (code, run["warnings"], run["fetched"]) == (0, None, 1)
    assert "warning" not in err


def test_a_truncated_sitemap_is_crawled_as_far_as_it_goes_with_a_warning(
    site: LoopbackSite, sqlite_url: str
) -> None:
    paths = [f"/2026/11/story-{n}/" for n in range(3)]
    add_articles(site, paths)
    entries = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in paths)
    whole = f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{entries}</urlset>"
    site.routes["/sitemap.xml"] = Reply(whole[: whole.rindex("<url>") + 12], headers=XML)
    add_source(sqlite_url, "cut", "--sitemap", site.url("/sitemap.xml"))
    code, run, err = crawl(sqlite_url, "cut")
    assert code == 0, err
    assert (run["status"], run["fetched"]) == ("finished", 2)
    assert run["warnings"].startswith(f"{site.url('/sitemap.xml')}: cut off mid-way")
    assert {path for path, _ in site.log} == {"/robots.txt", "/sitemap.xml", *paths[:2]}


def test_billion_laughs_sitemap_is_refused_and_fetches_nothing(
    site: LoopbackSite, sqlite_url: str
) -> None:
    db_url = sqlite_url
    laughs = (FIXTURES / "discovery" / "billion-laughs.xml").read_text(encoding="utf-8")
    evil = laughs.replace("]>", f'<!ENTITY ext SYSTEM "{site.url("/evil")}">]>', 1)
    site.routes["/sitemap.xml"] = Reply(evil.replace("&lol9;", "&lol9;&ext;"), headers=XML)
    add_source(db_url, "lol", "--sitemap", site.url("/sitemap.xml"))
    code, run, _ = crawl(db_url, "lol")
    assert code == 1 and run["status"] == "failed" and "unsafe XML refused" in run["error"]
    assert site.hits("/evil") == 0
    assert run["fetched"] == 0
    assert {path for path, _ in site.log} <= {"/robots.txt", "/sitemap.xml"}


def test_run_id_adopts_the_workers_row(site: LoopbackSite, db_url: str) -> None:
    feed_site(site, 1)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    engine = open_archive(db_url)
    with transaction(engine) as session:
        run_id = start_run(session, None, worker="test-worker").id
    engine.dispose()
    code, run, err = crawl(db_url, "wd", "--run-id", str(run_id))
    assert code == 0, err
    assert (run["id"], run["status"], run["worker"], run["new_documents"]) == (
        run_id, "finished", "test-worker", 1,
    )  # fmt: skip
    assert scalar(db_url, "select count(*) from crawl_runs") == 1
    # These fail before Scrapy starts, so they can run in this process.
    again = in_process(crawl_command, "wd", "--run-id", str(run_id), "--db", db_url)
    assert again.exit_code == 1 and f"crawl run {run_id} is finished" in again.output
    missing = in_process(crawl_command, "wd", "--run-id", "999", "--db", db_url)
    assert missing.exit_code == 1 and "no crawl run 999" in missing.output
    unknown = in_process(crawl_command, "nope", "--db", db_url)
    assert unknown.exit_code == 1 and "no source named 'nope'" in unknown.output


def test_limit_errors_and_runs_listing(site: LoopbackSite, sqlite_url: str) -> None:
    db_url = sqlite_url
    paths = feed_site(site, 4)
    site.routes[paths[3]] = Reply("oops", status=500)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    code, run, _ = crawl(db_url, "wd", "--limit", "2")
    assert code == 0 and (run["discovered"], run["fetched"]) == (4, 2)
    now = ("-s", "RETRY_TIMES=0", "-s", "ARCHIVIST_REVISIT_ALL=true")  # no wait for the 500
    result = run_archivist("crawl", "wd", "--errors", "--db", db_url, *FAST, *now)
    assert result.returncode == 0, result.stderr  # single page failures do not fail the run
    assert f"{site.url(paths[3])}: HTTP 500" in result.stdout
    assert "new documents" in result.stdout  # the summary table
    runs = json.loads(in_process(runs_command, "--json", "--db", db_url).output)
    assert [r["status"] for r in runs] == ["finished", "finished"]
    assert runs[0]["new_documents"] + runs[1]["new_documents"] == 3
    assert runs[0]["errors"] == 1  # an error page is no document: tried again after a wait
    table = in_process(runs_command, "--db", db_url)
    assert table.exit_code == 0 and "finished" in table.output


def test_sigterm_ends_the_run_interrupted_with_pages_kept(site: LoopbackSite, db_url: str) -> None:
    def slow(_: BaseHTTPRequestHandler) -> Reply:
        time.sleep(0.3)
        return Reply(article_page(title=f"Slow {time.monotonic()}"))

    paths = [f"/2026/11/slow-{n}/" for n in range(60)]
    for path in paths:
        site.routes[path] = slow
    site.routes["/feed.xml"] = Reply(rss(site, paths), headers=RSS)
    add_source(db_url, "slow", "--feed", site.url("/feed.xml"))
    progress = ("-s", "ARCHIVIST_PROGRESS_SECONDS=0.3")
    command = ["crawl", "slow", "--json", "--db", db_url, *FAST, *progress]
    process = start_archivist(*command)
    # The running row shows progress before the crawl ends (the worker and `runs` read it).
    deadline = time.monotonic() + 60
    sql = "select status, fetched from crawl_runs"
    while time.monotonic() < deadline and not (rows(db_url, sql) or [("", 0)])[0][1]:
        time.sleep(0.1)
    assert rows(db_url, sql)[0][0] == "running"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 3, err
    run = json.loads(out.strip().splitlines()[-1])
    assert run["status"] == "interrupted" and run["finished_at"]
    captured = scalar(db_url, "select count(*) from captures")
    assert 0 < captured < len(paths) and run["fetched"] == captured


def test_workers_are_renewed_and_every_page_is_read(site: LoopbackSite, sqlite_url: str) -> None:
    """Spent extraction workers are replaced and the crawl goes on (ProcessPoolExecutor's own
    max_tasks_per_child would leave the queued pages waiting forever on Python < 3.14)."""
    feed_site(site, 12)
    add_source(sqlite_url, "wd", "--feed", site.url("/feed.xml"))
    renew = ("-s", "ARCHIVIST_EXTRACT_WORKERS=2", "-s", "ARCHIVIST_READ_BEFORE_POOL=0",
             "-s", "ARCHIVIST_PAGES_PER_WORKER=2")  # fmt: skip
    code, run, err = crawl(sqlite_url, "wd", *renew, timeout=180)
    assert code == 0, err
    assert (run["fetched"], run["new_documents"], run["errors"]) == (12, 12, 0)


# `archivist` as the shell runs it, then the top-level modules the process had loaded.
CRAWL_THEN_LIST_MODULES = """
import runpy, sys
sys.argv = ["archivist", *sys.argv[1:]]
try:
    runpy.run_module("scheduler", run_name="__main__")
except SystemExit:
    pass
print("MODULES", *sorted({name.split(".")[0] for name in sys.modules}), file=sys.stderr)
"""


def test_a_crawl_that_reads_nothing_loads_no_extractor_and_no_unused_parts(
    site: LoopbackSite, db_url: str
) -> None:
    feed_site(site, 3)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "wd")
    assert code == 0 and counts(run) == (3, 3, 3, 0, 0, 0), err
    args = ["crawl", "wd", "--json", "--db", db_url, *FAST]
    second = subprocess.run(
        [sys.executable, "-c", CRAWL_THEN_LIST_MODULES, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert counts(json.loads(second.stdout.strip().splitlines()[-1])) == (3, 0, 0, 0, 0, 0)
    listed = [line for line in second.stderr.splitlines() if line.startswith("MODULES ")]
    modules = set(listed[-1].split()[1:])
    assert {"scrapy", "twisted", "sqlalchemy"} <= modules  # it did crawl, in this process
    # the extractor (no page to read), Alembic (the archive is at the newest schema), and what
    # Scrapy's disabled remote control and cookies would bring
    assert not {"trafilatura", "lxml_html_clean", "alembic", "aiohttp", "tldextract"} & modules
