"""Revisits: the schedule, conditional GET, and the states evidence gives a document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote

from sqlalchemy import event, select, update

from crawler.items import FetchedPage, Listing
from crawler.pipelines import record_page, settle
from crawler.reader_pool import read_for_archive
from store.db import transaction
from store.models import Capture, Document
from store.revisits import RevisitPolicy, due_documents, schedule_next_check, source_documents
from store.runs import start_run
from store.sources import add_source as store_add_source
from tests.archives import new_archive, record
from tests.loopback import LoopbackSite, Reply
from tests.pages import article_page
from tests.sites import RSS, add_source, crawl, feed_site, rows, rss, scalar, story

ALL = ("-s", "ARCHIVIST_REVISIT_ALL=true")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_policy_waits_grow_with_stability_within_bounds() -> None:
    policy = RevisitPolicy(min_seconds=900, max_seconds=30 * 86400, factor=0.25)
    assert policy.interval(timedelta(0)) == timedelta(minutes=15)
    assert policy.interval(timedelta(days=1)) == timedelta(hours=6)
    assert policy.interval(timedelta(days=4)) == timedelta(days=1)
    assert policy.interval(timedelta(days=1000)) == timedelta(days=30)


def test_schedule_and_due_documents(db_url: str) -> None:
    engine = new_archive(db_url)
    policy = RevisitPolicy()
    with transaction(engine) as session:
        source_id = store_add_source(session, "s", "feed", "https://x.example/feed").id
    young = record(engine, "https://x.example/young", "Young", "text one", NOW)
    old = record(engine, "https://x.example/old", "Old", "text two", NOW - timedelta(days=8))
    with transaction(engine) as session:
        for recorded in (young, old):
            session.get(Document, recorded.document_id).source_id = source_id
        assert due_documents(session, source_id, NOW) == [
            "https://x.example/young",
            "https://x.example/old",
        ]  # fmt: skip  (never scheduled: due at once)
        young_next = schedule_next_check(session, young.document_id, policy, NOW)
        old_next = schedule_next_check(session, old.document_id, policy, NOW)
    assert young_next == NOW + timedelta(minutes=15)
    assert old_next == NOW + timedelta(days=2)  # stable for 8 days: a quarter of that
    with transaction(engine) as session:
        assert due_documents(session, source_id, NOW) == []
        assert due_documents(session, source_id, NOW + timedelta(hours=1)) == [
            "https://x.example/young"
        ]
        assert len(due_documents(session, source_id, NOW, everything=True)) == 2
        assert len(due_documents(session, source_id, NOW + timedelta(days=3), limit=1)) == 1
    engine.dispose()


def test_conditional_get_records_not_modified_without_extraction(
    site: LoopbackSite, db_url: str
) -> None:
    etag, modified = '"v1"', "Fri, 20 Nov 2026 07:30:00 GMT"

    def validated(handler: BaseHTTPRequestHandler) -> Reply:
        if handler.headers.get("If-None-Match") == etag:
            return Reply(b"", status=304, headers={"ETag": etag})
        headers = {"Content-Type": "text/html", "ETag": etag, "Last-Modified": modified}
        return Reply(story(1), headers=headers)

    site.routes["/2026/11/a/"] = validated
    site.routes["/feed.xml"] = Reply(rss(site, ["/2026/11/a/"]), headers=RSS)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    assert crawl(db_url, "wd")[1]["new_documents"] == 1
    code, run, err = crawl(db_url, "wd", *ALL)
    assert code == 0, err
    assert (run["fetched"], run["not_modified"], run["unchanged"]) == (1, 1, 0)
    second = [headers for path, headers in site.log if path == "/2026/11/a/"][1]
    assert (second["if-none-match"], second["if-modified-since"]) == (etag, modified)
    outcomes = rows(db_url, "select outcome, blob_digest from captures order by id")
    assert outcomes[-1] == ("not_modified", None)
    assert scalar(db_url, "select count(*) from versions") == 1
    assert scalar(db_url, "select status from documents") == "live"


def test_missing_twice_is_gone_and_returning_is_live(site: LoopbackSite, db_url: str) -> None:
    (path,) = feed_site(site, 1)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    crawl(db_url, "wd")
    site.routes[path] = Reply("not here", status=404)
    states = []
    for _ in range(2):
        code, run, _ = crawl(db_url, "wd", *ALL)
        assert code == 0 and run["gone"] == 1
        states.append(rows(db_url, "select status, missing_count from documents")[0])
    assert states == [("live", 1), ("gone", 2)]
    site.routes[path] = Reply(story(0))
    code, run, _ = crawl(db_url, "wd", *ALL)
    assert run["unchanged"] == 1
    assert rows(db_url, "select status, missing_count from documents") == [("live", 0)]


def test_redirects_to_another_article_or_home_mark_redirected(
    site: LoopbackSite, db_url: str
) -> None:
    moved, dropped = feed_site(site, 2)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    crawl(db_url, "wd")
    site.routes[moved] = Reply("", status=301, headers={"Location": "/2026/11/new-home/"})
    site.routes["/2026/11/new-home/"] = Reply(story(0, edit=" Updated."))
    site.routes[dropped] = Reply("", status=302, headers={"Location": "/"})
    site.routes["/"] = Reply("<html><body><h1>Front page</h1></body></html>")
    code, run, err = crawl(db_url, "wd", *ALL)
    assert code == 0, err
    assert run["redirected"] == 2
    states = dict(
        (url.removeprefix(site.base), (status, target and target.removeprefix(site.base)))
        for url, status, target in rows(db_url, "select url, status, redirect_url from documents")
    )
    assert states[moved] == ("redirected", "/2026/11/new-home/")
    assert states[dropped] == ("redirected", "/")
    assert states["/2026/11/new-home/"] == ("live", None)
    assert "/" not in states  # the home page never becomes a document
    waits = {
        url.removeprefix(site.base): _parsed(next_check) - _parsed(checked)
        for url, checked, next_check in rows(
            db_url, "select url, last_checked_at, next_check_at from documents"
        )
    }
    assert waits[moved] == waits[dropped] == timedelta(days=30)  # redirected: checked rarely


def _parsed(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_a_new_page_s_document_is_read_once_and_written_once(db_url: str) -> None:
    """Its state, listing and next check go out in one UPDATE; nothing reads it twice."""
    engine = new_archive(db_url)
    url = "https://x.example/2026/11/park/"
    item = FetchedPage(
        requested_url=url,
        fetched_at=NOW,
        final_url=url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=article_page().encode(),
        listing=Listing(url, news_title="Park approved", news_keywords="park, council"),
    )
    settle(item, read_for_archive(item))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    record_page(engine, item, policy=RevisitPolicy(min_seconds=3600))
    on_documents = [s.split()[0] for s in statements if _table(s) == "documents"]
    assert on_documents == ["INSERT", "SELECT", "UPDATE"]
    with transaction(engine) as session:
        document = session.scalars(select(Document)).one()
        assert (document.news_title, document.news_keywords) == ("Park approved", "park, council")
        wait = _parsed(document.next_check_at) - _parsed(document.last_checked_at)
        assert wait == timedelta(hours=1)
    engine.dispose()


def _table(statement: str) -> str:
    words = statement.replace("(", " ").split()
    if words[0] == "UPDATE":
        return words[1]
    keyword = "INTO" if words[0] == "INSERT" else "FROM"
    return words[words.index(keyword) + 1] if keyword in words else ""


WALL = """<html><head><title>Daily Example</title></head><body>
<div class="wall"><h2>Ad blocker detected</h2><p>Please disable your ad blocker</p>
<button>I have disabled it</button></div></body></html>"""


def test_ad_block_wall_is_blocked_and_never_a_version(site: LoopbackSite, db_url: str) -> None:
    walled, fresh = feed_site(site, 2)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    crawl(db_url, "wd")
    site.routes[walled] = Reply(WALL)
    site.routes["/2026/11/walled-new/"] = Reply(WALL)
    paths = [walled, fresh, "/2026/11/walled-new/"]
    site.routes["/feed.xml"] = Reply(rss(site, paths), headers=RSS)
    code, run, _ = crawl(db_url, "wd", *ALL)
    assert code == 0 and run["blocked"] == 2
    assert scalar(db_url, "select count(*) from versions") == 2  # the two first readings only
    status = dict(rows(db_url, "select url, status from documents"))
    assert status[site.url(walled)] == "blocked"
    assert site.url("/2026/11/walled-new/") not in status
    blocked = rows(db_url, "select requested_url, version_id from captures where outcome='blocked'")
    assert sorted(url for url, _ in blocked) == sorted([site.url(walled), site.url(paths[2])])
    assert all(version_id is None for _, version_id in blocked)
    # the very same wall again is still a wall: never "unchanged", never back to live
    code, run, _ = crawl(db_url, "wd", *ALL)
    assert code == 0 and run["blocked"] == 2 and run["unchanged"] == 1
    assert dict(rows(db_url, "select url, status from documents"))[site.url(walled)] == "blocked"


def test_crawl_schedules_next_checks_from_settings(site: LoopbackSite, sqlite_url: str) -> None:
    feed_site(site, 1)
    add_source(sqlite_url, "wd", "--feed", site.url("/feed.xml"))
    crawl(sqlite_url, "wd", "-s", "ARCHIVIST_REVISIT_MIN=2h", "-s", "ARCHIVIST_REVISIT_MAX=1d")
    checked, next_check = rows(sqlite_url, "select last_checked_at, next_check_at from documents")[
        0
    ]
    wait = datetime.fromisoformat(str(next_check)) - datetime.fromisoformat(str(checked))
    assert wait == timedelta(hours=2)  # a new article: the minimum wait


def test_an_article_listed_under_another_address_is_known(site: LoopbackSite, db_url: str) -> None:
    """The feed lists `/story?id=7`; the page names `/news/story-7/` canonical. A second crawl
    knows the listed address as that document and, its listing unchanged, fetches nothing."""
    canonical = site.url("/news/story-7/")
    page = story(7).replace("<head>", f'<head><link rel="canonical" href="{canonical}">', 1)
    site.routes["/story?id=7"] = Reply(page)
    site.routes["/feed.xml"] = Reply(rss(site, ["/story?id=7"]), headers=RSS)
    add_source(db_url, "alias", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "alias")
    assert code == 0 and run["new_documents"] == 1, err
    assert rows(db_url, "select url from documents") == [(canonical,)]
    code, run, err = crawl(db_url, "alias")
    assert code == 0 and (run["discovered"], run["fetched"]) == (1, 0), err
    assert site.hits("/story?id=7") == 1
    # a forced re-check fetches it (conditional GET from the document's last capture) and
    # finds the same article: no version
    code, run, err = crawl(db_url, "alias", *ALL)
    assert code == 0 and (run["fetched"], run["new_versions"]) == (1, 0), err
    assert site.hits("/story?id=7") == 2


def test_an_address_that_rotates_articles_is_fetched_again(site: LoopbackSite, db_url: str) -> None:
    """A listed `/latest` whose page names another article canonical each time: with no
    listing date to vouch for it, the address is fetched on every crawl."""

    def latest(n: int) -> Reply:
        canonical = site.url(f"/news/story-{n}/")
        return Reply(story(n).replace("<head>", f'<head><link rel="canonical" href="{canonical}">'))

    site.routes["/latest"] = latest(7)
    items = f"<item><title>latest</title><link>{site.url('/latest')}</link></item>"
    site.routes["/feed.xml"] = Reply(
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>",
        headers=RSS,
    )
    add_source(db_url, "rotating", "--feed", site.url("/feed.xml"))
    assert crawl(db_url, "rotating")[1]["new_documents"] == 1
    site.routes["/latest"] = latest(8)
    code, run, err = crawl(db_url, "rotating")
    assert code == 0 and (run["fetched"], run["new_documents"]) == (1, 1), err
    assert sorted(r[0] for r in rows(db_url, "select url from documents")) == [
        site.url("/news/story-7/"),
        site.url("/news/story-8/"),
    ]


def test_source_documents_are_read_at_once_unless_too_many(db_url: str) -> None:
    engine = new_archive(db_url)
    with transaction(engine) as session:
        source_id = store_add_source(session, "s", "feed", "https://x.example/feed").id
    for n in range(3):
        recorded = record(engine, f"https://x.example/{n}", f"T{n}", f"text {n}", NOW)
        with transaction(engine) as session:
            session.get(Document, recorded.document_id).source_id = source_id
    with transaction(engine) as session:
        found = source_documents(session, source_id)
        assert found is not None and sorted(found) == [f"https://x.example/{n}" for n in range(3)]
        assert source_documents(session, source_id, most=2) is None
    engine.dispose()


def test_a_listed_dead_link_is_retried_later_and_later(site: LoopbackSite, db_url: str) -> None:
    """A feed keeps listing a URL that answers 404 and was never archived: it is not fetched
    on every crawl, only once its wait (15 minutes, then 4x longer per failure) is over."""
    paths = feed_site(site, 2)
    missing = "/2026/11/нет статьи/"  # listed as is; Scrapy escapes it on the wire
    site.routes["/feed.xml"] = Reply(rss(site, [*paths, missing]), headers=RSS)
    add_source(db_url, "dead", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "dead")
    assert code == 0 and (run["fetched"], run["gone"]) == (3, 1), err
    code, run, err = crawl(db_url, "dead")
    assert code == 0 and run["fetched"] == 0 and site.hits(quote(missing)) == 1, err
    # its wait is over: fetched again, and the article is there now
    past = datetime.now(UTC) - timedelta(minutes=16)
    engine = new_archive(db_url)
    with transaction(engine) as session:
        session.execute(
            update(Capture)
            .where(Capture.requested_url == site.url(missing))
            .values(fetched_at=past)
        )
    engine.dispose()
    site.routes[quote(missing)] = Reply(story(9))
    code, run, err = crawl(db_url, "dead")
    assert code == 0 and (run["fetched"], run["new_documents"]) == (1, 1), err
    assert site.hits(quote(missing)) == 2


def test_a_listed_link_sent_to_the_home_page_waits_too(site: LoopbackSite, db_url: str) -> None:
    paths = feed_site(site, 1)
    dead = "/2026/11/withdrawn/"
    site.routes[dead] = Reply("", status=301, headers={"Location": site.url("/")})
    site.routes["/"] = Reply(story(5))
    site.routes["/feed.xml"] = Reply(rss(site, [*paths, dead]), headers=RSS)
    add_source(db_url, "home", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "home")
    assert code == 0 and (run["fetched"], run["redirected"]) == (2, 1), err
    code, run, err = crawl(db_url, "home")
    assert code == 0, err
    assert (run["fetched"], run["skipped_backoff"], site.hits(dead)) == (0, 1, 1)


def test_retry_waits_grow_within_bounds() -> None:
    policy = RevisitPolicy(min_seconds=900, max_seconds=86400)
    waits = [policy.retry_wait(n) for n in (1, 2, 3, 4, 5)]
    assert waits == [timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4),
                     timedelta(hours=16), timedelta(days=1)]  # fmt: skip


def test_a_revisit_run_checks_known_articles_and_reads_no_feed(
    site: LoopbackSite, db_url: str
) -> None:
    """The worker's revisit runs are not crawls: a source on a weekday-morning cron must not
    have its feed polled every few minutes."""
    paths = feed_site(site, count=2)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    assert crawl(db_url, "wd")[1]["new_documents"] == 2
    site.routes["/feed.xml"] = Reply(rss(site, [*paths, "/2026/11/new/"]), headers=RSS)
    site.routes["/2026/11/new/"] = Reply(story(9), headers={"Content-Type": "text/html"})
    engine = new_archive(db_url)
    with transaction(engine) as session:
        source_id = session.scalars(select(Document.source_id)).first()
        revisit = start_run(session, source_id, kind="revisit").id
    engine.dispose()
    feed_hits = site.hits("/feed.xml")
    code, run, err = crawl(db_url, "wd", *ALL, "--run-id", str(revisit))
    assert code == 0, err
    assert (run["kind"], run["fetched"], run["new_documents"]) == ("revisit", 2, 0)
    assert site.hits("/feed.xml") == feed_hits  # not read again
    assert site.hits("/2026/11/new/") == 0
