"""Listed URLs a crawl does not fetch are counted in its crawl_runs row, not only in its log."""

from __future__ import annotations

import re
from urllib.parse import quote

from alembic import command
from sqlalchemy import text

from crawler.cli.crawl import runs as runs_command
from store.db import alembic_config, make_engine, upgrade
from tests.conftest import run_archivist
from tests.loopback import LoopbackSite, Reply
from tests.sites import FAST, RSS, add_source, crawl, feed_site, in_process, rows, rss

RUN_COUNTS = "select discovered, fetched, skipped_unchanged, skipped_backoff from crawl_runs"


def test_an_unchanged_feed_is_counted_as_skipped(site: LoopbackSite, db_url: str) -> None:
    paths = feed_site(site, 3)
    add_source(db_url, "wd", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "wd")
    assert code == 0 and run["new_documents"] == 3, err
    assert (run["skipped_unchanged"], run["skipped_backoff"]) == (0, 0)
    # the feed's dates say nothing changed: every listed article is skipped, none fetched
    second = run_archivist("crawl", "wd", "--db", db_url, *FAST)
    assert second.returncode == 0, second.stderr
    assert re.search(r"skipped unchanged\W+3\W", second.stdout), second.stdout  # the summary
    assert re.search(r"skipped backoff\W+0\W", second.stdout), second.stdout
    assert all(site.hits(path) == 1 for path in paths)
    assert rows(db_url, f"{RUN_COUNTS} order by id") == [(3, 3, 0, 0), (3, 0, 3, 0)]
    header, newest = in_process(runs_command, "--db", db_url).output.splitlines()[:2]
    assert header.split()[2:10] == [
        "kind", "status", "started", "(UTC)", "secs", "found", "skipped", "fetched"
    ]  # fmt: skip
    cells = newest.split()  # `started` is two words: date and time
    assert cells[2:4] == ["crawl", "finished"] and re.fullmatch(r"20\d\d-\d\d-\d\d", cells[4])
    assert cells[7:10] == ["3", "3", "0"]


def test_a_dead_link_in_backoff_is_counted_as_skipped(site: LoopbackSite, db_url: str) -> None:
    paths = feed_site(site, 2)
    missing = "/2026/11/no-such-story/"
    site.routes["/feed.xml"] = Reply(rss(site, [*paths, missing]), headers=RSS)
    add_source(db_url, "dead", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "dead")
    assert code == 0 and (run["fetched"], run["gone"], run["skipped_backoff"]) == (3, 1, 0), err
    code, run, err = crawl(db_url, "dead")
    assert code == 0, err
    assert (run["fetched"], run["skipped_unchanged"], run["skipped_backoff"]) == (0, 2, 1)
    assert site.hits(quote(missing)) == 1
    # retrying at once fetches everything listed: nothing skipped
    code, run, err = crawl(db_url, "dead", "-s", "ARCHIVIST_REVISIT_ALL=true")
    assert code == 0, err
    assert (run["fetched"], run["skipped_unchanged"], run["skipped_backoff"]) == (3, 0, 0)
    assert rows(db_url, f"{RUN_COUNTS} order by id") == [
        (3, 3, 0, 0),
        (3, 0, 2, 1),
        (3, 3, 0, 0),
    ]


def test_runs_logged_before_the_columns_read_zero_and_keep_their_captures(db_url: str) -> None:
    """Upgrading gives old rows 0 skips; downgrading leaves the runs' captures linked."""
    upgrade(db_url, "0002")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into crawl_runs (id, kind, started_at, status, discovered, fetched,"
                " new_documents, new_versions, unchanged, not_modified, gone, redirected,"
                " blocked, errors, bytes) values (7, 'crawl', '2026-11-27 12:00:00+00:00',"
                " 'finished', 5, 2, 2, 0, 0, 0, 0, 0, 0, 0, 900)"
            )
        )
        conn.execute(
            text(
                "insert into captures (crawl_run_id, requested_url, headers, fetched_at,"
                " outcome) values (7, 'https://x.example/a', '{}',"
                " '2026-11-27 12:00:01+00:00', 'error')"
            )
        )
    engine.dispose()
    upgrade(db_url)
    assert rows(db_url, RUN_COUNTS) == [(5, 2, 0, 0)]
    command.downgrade(alembic_config(db_url), "0002")
    assert rows(db_url, "select crawl_run_id from captures") == [(7,)]
    assert rows(db_url, "select discovered, fetched from crawl_runs") == [(5, 2)]
