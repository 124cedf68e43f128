"""What feeds and sitemaps list: each article discovered once, and what they say kept."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.loopback import LoopbackSite, Reply
from tests.sites import RSS, XML, add_source, crawl, feed_site, rows, rss

ALL = ("-s", "ARCHIVIST_REVISIT_ALL=true")
RUN_COUNTS = "select discovered, fetched, skipped_unchanged, skipped_backoff from crawl_runs"
OLD = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
NEW = datetime(2026, 11, 26, 9, 45, tzinfo=UTC)
TAGGED = "?utm_source=rss"


def test_an_article_listed_under_two_spellings_is_discovered_once(
    site: LoopbackSite, db_url: str
) -> None:
    """`/a/` and `/a/?utm_source=rss` in one feed: one article, discovered, fetched or
    skipped once, so every discovered address is fetched or counted skipped."""
    paths = feed_site(site, 3)
    tagged = paths[0] + TAGGED
    site.routes[tagged] = site.routes[paths[0]]
    site.routes["/feed.xml"] = Reply(rss(site, [paths[0], tagged, *paths[1:]]), headers=RSS)
    add_source(db_url, "twice", "--feed", site.url("/feed.xml"))
    for extra in ((), (), ALL):  # new; unchanged by its listing; every article re-checked
        code, _, err = crawl(db_url, "twice", *extra)
        assert code == 0, err
    runs = rows(db_url, f"{RUN_COUNTS} order by id")
    assert all(found == fetched + skipped + backoff for found, fetched, skipped, backoff in runs)
    assert runs == [(3, 3, 0, 0), (3, 0, 3, 0), (3, 3, 0, 0)]
    assert site.hits(paths[0]) + site.hits(tagged) == 2


def news_sitemap(site: LoopbackSite, paths: list[str], when: datetime, title: str) -> str:
    """A Google News sitemap of `paths`, each modified at `when`, titled `title` and its index."""
    stamp = when.isoformat()
    urls = "".join(
        f"<url><loc>{site.url(path)}</loc><lastmod>{stamp}</lastmod><news:news>"
        "<news:publication><news:name>T</news:name><news:language>en</news:language>"
        f"</news:publication><news:publication_date>{stamp}</news:publication_date>"
        f"<news:title>{title} {n}</news:title></news:news></url>"
        for n, path in enumerate(paths)
    )
    return (
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        f"xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>{urls}</urlset>"
    )


def listing(site: LoopbackSite, kind: str, paths: list[str], when: datetime, title: str) -> Reply:
    if kind == "feed":
        return Reply(rss(site, paths, when.strftime("%a, %d %b %Y %H:%M:%S GMT")), headers=RSS)
    return Reply(news_sitemap(site, paths, when, title), headers=XML)


def late(reply: Reply, seconds: float) -> Callable[[BaseHTTPRequestHandler], Reply]:
    """The reply after `seconds`: the crawl's revisits are archived before it is read."""

    def answer(_: BaseHTTPRequestHandler) -> Reply:
        time.sleep(seconds)
        return reply

    return answer


def utc(value: Any) -> datetime:
    """A timestamp as SQLite (text) or PostgreSQL (datetime) returns it, in UTC."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


@pytest.mark.parametrize(
    ("kind", "spelling", "delay"),
    [("feed", "", 0), ("feed", TAGGED, 0), ("feed", "", 1.5), ("sitemap", TAGGED, 1.5)],
    ids=["feed", "feed-tagged", "feed-late", "news-sitemap-tagged-late"],
)
def test_a_revisit_keeps_what_the_listing_says_now(
    site: LoopbackSite, db_url: str, kind: str, spelling: str, delay: float
) -> None:
    """Every article is due and listed with a new date (and news title): whether its revisit
    or its listing fetches it, and whether the listing is read before or after the revisit's
    page is archived, the document keeps what the listing says now."""
    paths = feed_site(site, 12)
    site.routes["/list.xml"] = listing(site, kind, paths, OLD, "Old title")
    add_source(db_url, "news", f"--{kind}", site.url("/list.xml"))
    code, run, err = crawl(db_url, "news")
    assert code == 0 and run["new_documents"] == 12, err
    for path in paths:
        site.routes[path + spelling] = site.routes[path]
    relisted = listing(site, kind, [path + spelling for path in paths], NEW, "New title")
    site.routes["/list.xml"] = late(relisted, delay)
    code, run, err = crawl(db_url, "news", *ALL)
    assert code == 0 and (run["discovered"], run["fetched"]) == (12, 12), err
    found = rows(db_url, "select url, listed_modified_at, news_title from documents")
    assert sorted((url, utc(modified)) for url, modified, _ in found) == sorted(
        (site.url(path), NEW) for path in paths
    )
    if kind == "sitemap":
        titles = {url: title for url, _, title in found}
        assert titles == {site.url(path): f"New title {n}" for n, path in enumerate(paths)}
