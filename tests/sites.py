"""Loopback news sites for crawl tests: articles, feeds and sitemaps as plain routes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

import click
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from crawler.cli.sources import source
from tests.conftest import run_archivist
from tests.loopback import LoopbackSite, Reply
from tests.pages import BODY, article_page

FAST = ("-s", "AUTOTHROTTLE_START_DELAY=0.01", "-s", "ARCHIVIST_EXTRACT_WORKERS=0")
RSS = {"Content-Type": "application/rss+xml"}
XML = {"Content-Type": "application/xml"}


def slow_articles(site: LoopbackSite, count: int, seconds: float) -> list[str]:
    """`count` article paths (/2026/11/slow-N/), each answered after `seconds`."""

    def slow(_: BaseHTTPRequestHandler) -> Reply:
        time.sleep(seconds)
        return Reply(article_page(title=f"Slow {time.monotonic()}"))

    paths = [f"/2026/11/slow-{n}/" for n in range(count)]
    for path in paths:
        site.routes[path] = slow
    return paths


def wait_for(what: Callable[[], bool], timeout: float = 60) -> None:
    """Poll `what` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "the command never got that far"
        time.sleep(0.02)


def story(n: int, edit: str = "") -> str:
    """A distinct article page: its title and first paragraph carry `n`."""
    first = f"Story {n}: {BODY[0]}{edit}"
    return article_page(title=f"Story number {n}", paragraphs=[first, *BODY[1:]])


def add_articles(site: LoopbackSite, paths: list[str]) -> None:
    for n, path in enumerate(paths):
        site.routes[path] = Reply(story(n))


def rss(site: LoopbackSite, paths: list[str], date: str = "Fri, 20 Nov 2026 07:30:00 GMT") -> str:
    items = "".join(
        f"<item><title>{p}</title><link>{site.url(p)}</link><pubDate>{date}</pubDate></item>"
        for p in paths
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
    )


def feed_site(site: LoopbackSite, count: int = 3) -> list[str]:
    """`count` articles listed by /feed.xml; returns their paths."""
    paths = [f"/2026/11/story-{n}/" for n in range(count)]
    add_articles(site, paths)
    site.routes["/feed.xml"] = Reply(rss(site, paths), headers=RSS)
    return paths


def add_source(db_url: str, name: str, *args: str) -> None:
    """`archivist source add` in this process (it starts no Scrapy)."""
    result = CliRunner().invoke(source, ["add", name, *args, "--every", "1h", "--db", db_url])
    assert result.exit_code == 0, result.output


def in_process(command: click.Command, *args: str) -> Result:
    """A command that starts no Scrapy, through CliRunner."""
    return CliRunner().invoke(command, list(args))


def crawl(
    db_url: str, name: str, *extra: str, timeout: float = 120
) -> tuple[int, dict[str, Any], str]:
    """Run `archivist crawl NAME --json`; exit code, the run row, stderr."""
    result = run_archivist("crawl", name, "--json", "--db", db_url, *FAST, *extra, timeout=timeout)
    lines = result.stdout.strip().splitlines()
    return result.returncode, json.loads(lines[-1]) if lines else {}, result.stderr


def rows(db_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql), params)]
    engine.dispose()
    return found


def scalar(db_url: str, sql: str, **params: Any) -> Any:
    return rows(db_url, sql, **params)[0][0]
