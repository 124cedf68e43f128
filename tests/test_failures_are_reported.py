"""Nothing fails in silence: pages not fetched are named, broken inputs stop commands up front,
a reading that raises still leaves its capture, a document is fetched once per crawl run.

Real `archivist` processes against a loopback site and real archives.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from crawler.fetch import INTERRUPTED, _account
from crawler.items import FetchedPage
from tests.conftest import run_archivist, start_archivist
from tests.loopback import LoopbackSite, Reply
from tests.pages import article_page
from tests.sites import FAST, RSS, add_articles, add_source, crawl, feed_site, rows, rss, scalar

RULES_ENV = "ARCHIVIST_SITE_RULES"


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stderr.strip().splitlines()


def crawl_with(
    env: dict[str, str], db_url: str, name: str, *extra: str
) -> tuple[int, dict[str, Any], str]:
    """`archivist crawl NAME --json` with `env`: exit code, the run row, stderr."""
    result = run_archivist("crawl", name, "--json", "--db", db_url, *FAST, *extra, env=env)
    lines = result.stdout.strip().splitlines()
    return result.returncode, json.loads(lines[-1]) if lines else {}, result.stderr


# --- B1: fetch names every URL it did not fetch -------------------------------------------


def test_fetch_with_a_number_setting_that_is_no_number_is_a_usage_error(
    site: LoopbackSite, sqlite_url: str
) -> None:
    site.routes["/a"] = Reply(article_page())
    result = run_archivist(
        "fetch", site.url("/a"), "--db", sqlite_url, "-s", "DOWNLOAD_TIMEOUT=abc"
    )
    assert result.returncode == 2
    assert stderr_lines(result)[-1] == "Error: DOWNLOAD_TIMEOUT must be a number, not 'abc'"
    assert result.stdout == ""
    assert site.log == []


@pytest.mark.parametrize("as_json", [False, True])
def test_fetch_with_a_setting_scrapy_refuses_names_each_url_and_fetches_nothing(
    site: LoopbackSite, sqlite_url: str, as_json: bool
) -> None:
    site.routes["/a"] = Reply(article_page())
    url = site.url("/a")
    json_flag = ["--json"] if as_json else []
    bad = ["-s", "DEFAULT_REQUEST_HEADERS=abc"]  # a dict setting: Scrapy reads it as JSON
    result = run_archivist("fetch", url, *json_flag, "--db", sqlite_url, *bad)
    assert result.returncode == 1
    assert stderr_lines(result) == [
        f"error: {url}: not fetched (JSONDecodeError: Expecting value: line 1 column 1 (char 0))"
    ]
    if as_json:  # stdout names it too, for a script that reads only stdout
        record = json.loads(result.stdout)
        assert (record["url"], record["outcome"]) == (url, "not_fetched")
        assert record["error"].startswith("JSONDecodeError")
    else:
        assert result.stdout == ""
    assert site.log == []
    assert scalar(sqlite_url, "select count(*) from captures") == 0


def test_fetch_stopped_by_a_signal_names_the_urls_it_did_not_fetch(
    site: LoopbackSite, sqlite_url: str
) -> None:
    def slow(_: BaseHTTPRequestHandler) -> Reply:
        time.sleep(0.3)
        return Reply(article_page(title=f"Slow {time.monotonic()}"))

    urls = [site.url(f"/2026/11/slow-{n}/") for n in range(40)]
    for n in range(40):
        site.routes[f"/2026/11/slow-{n}/"] = slow
    process = start_archivist("fetch", *urls, "--json", "--db", sqlite_url, *FAST)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(site.log) < 5:  # robots.txt and a few pages in
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 3, err
    records = [json.loads(line) for line in out.splitlines()]
    fetched = [r["url"] for r in records if r["outcome"] != "not_fetched"]
    not_fetched = [
        line.removeprefix("error: ").removesuffix(": not fetched (interrupted by a signal)")
        for line in err.strip().splitlines()
    ]
    assert fetched and not_fetched
    assert [r["url"] for r in records if r["outcome"] == "not_fetched"] == not_fetched
    assert sorted(fetched + not_fetched) == sorted(urls)  # every URL, each said once
    assert scalar(sqlite_url, "select count(*) from captures") == len(fetched)


def test_a_signal_after_every_page_arrived_is_no_interruption() -> None:
    """The accounting behind `fetch`'s exit status: 3 only when the signal cost a page."""
    now = datetime.now(UTC)
    pages = [FetchedPage(requested_url=url, fetched_at=now) for url in ("http://a.test/1",)]
    whole = _account(["http://a.test/1"], pages, [], INTERRUPTED, interrupted=True)
    assert (whole.unfetched, whole.interrupted) == ([], False)
    short = _account(["http://a.test/1", "http://a.test/2"], pages, [], INTERRUPTED, True)
    assert (short.unfetched, short.interrupted) == ([("http://a.test/2", INTERRUPTED)], True)


# --- B2: a broken site-rules file ----------------------------------------------------------


@pytest.fixture(params=["bad-toml", "missing"])
def broken_rules(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """ARCHIVIST_SITE_RULES naming a file that is not TOML, or no file at all."""
    path = tmp_path / "broken.toml"
    if request.param == "bad-toml":
        path.write_text("domain = \n", encoding="utf-8")
    return {RULES_ENV: str(path)}


def test_broken_site_rules_stop_every_command_before_it_fetches(
    site: LoopbackSite, db_url: str, broken_rules: dict[str, str], tmp_path: Path
) -> None:
    paths = feed_site(site, 2)
    add_source(db_url, "news", "--feed", site.url("/feed.xml"))
    saved = tmp_path / "saved.html"
    saved.write_text(article_page(), encoding="utf-8")
    commands = [
        ("fetch", site.url(paths[0]), "--db", db_url),
        ("fetch", "--html", str(saved), "--url", site.url("/x/"), "--db", db_url),
        ("fetch", "--html", str(saved), "--url", site.url("/x/"), "--no-store"),
        ("reprocess", "--db", db_url),
        ("reprocess", "--dry-run", "--db", db_url),
    ]
    for command in commands:
        result = run_archivist(*command, env=broken_rules)
        assert result.returncode == 1, (command, result.stderr)
        assert len(stderr_lines(result)) == 1, (command, result.stderr)
        assert "broken.toml" in result.stderr and "Traceback" not in result.stderr

    code, run, err = crawl_with(broken_rules, db_url, "news")
    assert code == 1 and run["status"] == "failed" and "broken.toml" in run["error"]
    assert err.strip().splitlines() == [f"error: run {run['id']} failed: {run['error']}"]
    assert run["fetched"] == 0

    assert site.log == []  # not even robots.txt
    assert scalar(db_url, "select count(*) from captures") == 0
    assert scalar(db_url, "select count(*) from crawl_runs where kind = 'reprocess'") == 0


def test_the_worker_refuses_to_start_with_broken_site_rules(
    sqlite_url: str, broken_rules: dict[str, str]
) -> None:
    result = run_archivist("worker", "--db", sqlite_url, env=broken_rules, timeout=60)
    assert result.returncode == 1
    assert "broken.toml" in result.stderr and "Traceback" not in result.stderr


def test_a_reading_that_raises_is_an_error_capture_with_its_body(
    site: LoopbackSite, db_url: str, tmp_path: Path
) -> None:
    # Valid TOML and a selector that compiles, but fails on every page it is applied to.
    rules = tmp_path / "site.toml"
    rules.write_text('domain = "127.0.0.1"\nremove = ["//p[$undefined]"]\n', encoding="utf-8")
    env = {RULES_ENV: str(rules)}
    paths = feed_site(site, 2)
    add_source(db_url, "news", "--feed", site.url("/feed.xml"))
    code, run, err = crawl_with(env, db_url, "news", "--errors")
    assert code == 0, err  # single pages failed, the run finished
    assert (run["status"], run["fetched"], run["errors"]) == ("finished", 2, 2)
    assert sorted(f["url"] for f in run["failures"]) == sorted(site.url(p) for p in paths)
    assert all("reading failed: XPathEvalError" in f["error"] for f in run["failures"])
    captures = rows(
        db_url,
        "select c.outcome, c.status_code, length(b.data) > 0 from captures c "
        "join blobs b on b.digest = c.blob_digest",
    )
    assert captures == [("error", 200, True)] * 2
    assert scalar(db_url, "select count(*) from versions") == 0


# --- B12: one fetch per document per crawl run ---------------------------------------------


def test_a_document_is_fetched_once_per_run_whatever_address_names_it(
    site: LoopbackSite, db_url: str
) -> None:
    # story-0 is listed plainly, story-1 with the feed's own tracking parameter
    plain, tagged = "/2026/11/story-0/", "/2026/11/story-1/?utm_source=rss"
    add_articles(site, [plain, tagged])
    site.routes["/feed.xml"] = Reply(rss(site, [plain, tagged]), headers=RSS)
    shared = plain + "?utm_source=tw&fbclid=1"
    site.routes[shared] = site.routes[plain]
    add_source(db_url, "news", "--feed", site.url("/feed.xml"))
    assert crawl(db_url, "news")[0] == 0
    # a one-off fetch of a shared link: that address last brought story-0
    assert run_archivist("fetch", site.url(shared), "--db", db_url).returncode == 0

    site.log.clear()
    code, run, err = crawl(db_url, "news", "-s", "ARCHIVIST_REVISIT_ALL=true")
    assert code == 0, err
    fetched = [path for path, _ in site.log if path.startswith("/2026/11/")]
    assert sum(path.startswith("/2026/11/story-0/") for path in fetched) == 1, fetched
    assert sum(path.startswith("/2026/11/story-1/") for path in fetched) == 1, fetched
    assert shared not in fetched  # the click's tracking parameters are not sent again
    assert (run["discovered"], run["fetched"]) == (2, 2)
    assert scalar(db_url, "select count(*) from documents") == 2


# --- B9: commands that need an archive do not create one ---------------------------------


@pytest.mark.parametrize(
    "command", [("runs",), ("reprocess",), ("reprocess", "--dry-run"), ("crawl", "news")]
)
def test_commands_in_an_empty_folder_say_no_archive(tmp_path: Path, command: tuple[str]) -> None:
    result = run_archivist(*command, cwd=tmp_path, env={"ARCHIVIST_DB": ""})
    assert result.returncode == 1
    assert stderr_lines(result) == [stderr_lines(result)[0]]
    assert "no archive at archive.db" in result.stderr
    assert list(tmp_path.iterdir()) == []
