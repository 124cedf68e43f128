"""Politeness: robots.txt, Retry-After, per-domain concurrency and the body size limit."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from crawler.middlewares.retry_after import retry_after_seconds
from tests.loopback import LoopbackSite, Reply
from tests.sites import RSS, add_articles, add_source, crawl, rows, rss, story


def test_robots_disallow_means_zero_hits(site: LoopbackSite, sqlite_url: str) -> None:
    paths = ["/private/2026/a/", "/news/2026/b/"]
    add_articles(site, paths)
    site.routes["/robots.txt"] = Reply(
        "User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}
    )
    site.routes["/feed.xml"] = Reply(rss(site, paths), headers=RSS)
    add_source(sqlite_url, "wd", "--feed", site.url("/feed.xml"))
    code, run, _ = crawl(sqlite_url, "wd")
    assert code == 0 and run["new_documents"] == 1
    assert site.hits("/private/2026/a/") == 0
    assert site.hits("/news/2026/b/") == 1
    errors = rows(sqlite_url, "select requested_url, error from captures where outcome = 'error'")
    assert errors == [(site.url("/private/2026/a/"), "IgnoreRequest: Forbidden by robots.txt")]


def test_retry_after_spaces_the_retries(site: LoopbackSite, sqlite_url: str) -> None:
    times: list[float] = []

    def busy_twice(_: BaseHTTPRequestHandler) -> Reply:
        times.append(time.monotonic())
        if len(times) <= 2:
            return Reply("slow down", status=429, headers={"Retry-After": "1"})
        return Reply(story(1))

    site.routes["/2026/a/"] = busy_twice
    site.routes["/2026/b/"] = Reply("down", status=503, headers={"Retry-After": "3600"})
    site.routes["/feed.xml"] = Reply(rss(site, ["/2026/a/", "/2026/b/"]), headers=RSS)
    add_source(sqlite_url, "wd", "--feed", site.url("/feed.xml"))
    code, run, _ = crawl(sqlite_url, "wd", "-s", "ARCHIVIST_RETRY_AFTER_MAX=10")
    assert code == 0 and (run["new_documents"], run["errors"]) == (1, 1)
    assert len(times) == 3
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(times))
    assert site.hits("/2026/b/") == 1  # asked to wait an hour: no immediate retry, give up


def test_retry_after_values() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Fri, 27 Nov 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Fri, 27 Nov 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None


def test_per_domain_concurrency_is_bounded(site: LoopbackSite, sqlite_url: str) -> None:
    lock = threading.Lock()
    active, peak = [0], [0]
    spans: list[tuple[str, float, float]] = []

    def slow(handler: BaseHTTPRequestHandler) -> Reply:
        start = time.monotonic()
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        spans.append((handler.path, start, time.monotonic()))
        return Reply(story(int(time.monotonic() * 1000)))

    paths = [f"/2026/slow-{n}/" for n in range(8)]
    for path in paths:
        site.routes[path] = slow
    site.routes["/feed.xml"] = Reply(rss(site, paths), headers=RSS)
    add_source(sqlite_url, "wd", "--feed", site.url("/feed.xml"))
    code, run, _ = crawl(sqlite_url, "wd", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
    assert code == 0 and run["new_documents"] == 8
    assert peak[0] == 2, spans


def test_bodies_over_the_size_limit_are_errors(site: LoopbackSite, sqlite_url: str) -> None:
    site.routes["/2026/huge/"] = Reply(story(1) + "<!--" + "x" * 300_000 + "-->")
    site.routes["/2026/small/"] = Reply(story(2))
    site.routes["/feed.xml"] = Reply(rss(site, ["/2026/huge/", "/2026/small/"]), headers=RSS)
    add_source(sqlite_url, "wd", "--feed", site.url("/feed.xml"))
    code, run, _ = crawl(sqlite_url, "wd", "-s", "DOWNLOAD_MAXSIZE=100000")
    assert code == 0 and (run["new_documents"], run["errors"]) == (1, 1)
    (error,) = rows(sqlite_url, "select error from captures where outcome = 'error'")[0]
    assert "maxsize" in error.lower() or "cancel" in error.lower()
