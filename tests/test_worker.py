"""`archivist worker` as a real process: scheduled crawls, crashes, signals, restarts, the lock.

Every test runs the real worker, which runs real crawl subprocesses against the loopback site.
A slow feed (its reply held back on the server) stands in for a long crawl.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine, text

from store.db import open_archive, transaction
from store.sources import add_source, update_source
from tests.conftest import run_archivist
from tests.loopback import LoopbackSite, Reply
from tests.sites import FAST, RSS, add_articles, rows, rss, scalar

T = TypeVar("T")
QUICK = ("--sync-every", "1", "--revisit-every", "0", *FAST)


def wait_until(check: Callable[[], T], timeout: float, what: str, every: float = 0.2) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


class WorkerProcess:
    """`archivist worker` in a subprocess, logging JSON lines to a file the test reads."""

    def __init__(self, db_url: str, log_dir: Path, *args: str, name: str = "worker") -> None:
        self.log_path = log_dir / f"{name}.log"
        self.stderr_path = log_dir / f"{name}.stderr"
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scheduler", "worker", "--db", db_url,
                 "--log-file", str(self.log_path), "--log-format", "json", *args],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        found = [json.loads(line) for line in lines if line.strip()]
        return [e for e in found if name is None or e["event"] == name]

    def wait_for(self, name: str, timeout: float = 30, count: int = 1) -> list[dict[str, Any]]:
        def seen() -> list[dict[str, Any]]:
            assert self.process.poll() is None or self.events(name), self.describe()
            found = self.events(name)
            return found if len(found) >= count else []

        return wait_until(seen, timeout, f"{count} x {name} in the worker log\n{self.describe()}")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the worker did not stop within {timeout} s\n{self.describe()}")

    def describe(self) -> str:
        log = self.log_path.read_text() if self.log_path.exists() else ""
        return f"--- log\n{log[-4000:]}\n--- stderr\n{self.stderr_path.read_text()[-2000:]}"


@pytest.fixture
def workers(tmp_path: Path) -> Any:
    """Starts workers; any still running at the end are killed."""
    started: list[WorkerProcess] = []

    def start(db_url: str, *args: str, name: str = "worker") -> WorkerProcess:
        worker = WorkerProcess(db_url, tmp_path, *args, name=name)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


class SlowFeed:
    """A feed route whose reply is held back `delay` s; notes whether two requests overlapped."""

    def __init__(self, site: LoopbackSite, paths: list[str], delay: float) -> None:
        self.body = rss(site, paths)
        self.delay = delay
        self.released = threading.Event()  # set at the end, so no handler outlives the test
        self.in_flight = 0
        self.overlapped = False
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, _handler: BaseHTTPRequestHandler) -> Reply:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.overlapped |= self.in_flight > 1
        self.released.wait(self.delay)
        with self._lock:
            self.in_flight -= 1
        return Reply(self.body, headers=RSS)


@pytest.fixture
def slow_feed(site: LoopbackSite) -> Any:
    """A site with two articles and a slow /feed.xml listing them."""
    paths = ["/2026/11/slow-1/", "/2026/11/slow-2/"]
    add_articles(site, paths)
    feed = SlowFeed(site, paths, delay=1.0)
    site.routes["/feed.xml"] = feed
    yield feed
    feed.released.set()


def new_source(
    db_url: str, site: LoopbackSite, name: str = "wd", every: int = 1, feed: str = "/feed.xml"
) -> int:
    engine = open_archive(db_url)
    with transaction(engine) as session:
        source_id = add_source(session, name, "feed", site.url(feed), every_seconds=every).id
    engine.dispose()
    return source_id


def runs_of(db_url: str, status: str | None = None) -> list[tuple[Any, ...]]:
    sql = "select id, status, started_at, finished_at, pid, error, worker from crawl_runs"
    if status:
        return rows(db_url, sql + " where status = :s order by id", s=status)
    return rows(db_url, sql + " order by id")


def as_time(value: Any) -> float:
    """A datetime column value (a string on SQLite) as a POSIX timestamp."""
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return float((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())


def assert_no_overlap(runs: list[tuple[Any, ...]]) -> None:
    spans = sorted((as_time(r[2]), as_time(r[3])) for r in runs)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, f"runs overlap: {spans}"


def integrity(db_url: str) -> str:
    return str(scalar(db_url, "pragma integrity_check"))


def crawl_in_flight(
    site: LoopbackSite, feed: SlowFeed, db_url: str, workers: Any, delay: float, *args: str
) -> WorkerProcess:
    """A worker whose first crawl is waiting on the feed, held back `delay` s."""
    feed.delay = delay
    new_source(db_url, site, every=3600)
    worker = workers(db_url, *args, *QUICK)
    wait_until(lambda: feed.requests, 40, "the crawl to ask for the feed")
    return worker


# --- scheduled runs ---------------------------------------------------------------------------


def test_one_second_interval_runs_repeatedly_never_overlapping(
    site: LoopbackSite, slow_feed: SlowFeed, db_url: str, workers: Any
) -> None:
    new_source(db_url, site, every=1)
    worker = workers(db_url, "--max-parallel", "3", *QUICK)
    wait_until(lambda: len(runs_of(db_url, "finished")) >= 2, 60, "two finished runs")
    assert worker.stop() == 0, worker.describe()
    finished = runs_of(db_url, "finished")
    assert len(finished) >= 2
    assert_no_overlap(finished)
    assert not slow_feed.overlapped, "two crawls of the source fetched its feed at once"
    assert runs_of(db_url, "running") == [] and runs_of(db_url, "queued") == []
    # Fired every second while a crawl was running: those fires were skipped, not stacked up.
    assert worker.events("run.skipped")
    assert scalar(db_url, "select count(*) from documents") == 2


def test_sources_added_edited_and_disabled_while_running_are_picked_up(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    db_url = sqlite_url  # the backend-specific part, the run queue, is covered on both
    slow_feed.delay = 0
    worker = workers(db_url, *QUICK)
    worker.wait_for("scheduler.started")
    new_source(db_url, site, "late", every=3600)
    added = worker.wait_for("job.added")[0]
    assert added["source"] == "late" and added["schedule"] == "every 1h"
    wait_until(lambda: runs_of(db_url, "finished"), 40, "the new source's first run")
    engine = open_archive(db_url)
    with transaction(engine) as session:
        update_source(session, "late", every_seconds=7200)
    assert worker.wait_for("job.updated")[0]["schedule"] == "every 2h"
    with transaction(engine) as session:
        update_source(session, "late", enabled=False)
    engine.dispose()
    assert worker.wait_for("job.removed")[0]["job"].startswith("source:")
    assert worker.stop() == 0
    assert len(runs_of(db_url)) == 1  # edits rebuilt the job from the last run: no extra run


def test_restart_keeps_one_job_per_source_and_does_not_rerun(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    slow_feed.delay = 0
    new_source(sqlite_url, site, "one", every=3600)
    new_source(sqlite_url, site, "two", every=3600)
    first = workers(sqlite_url, *QUICK, name="first")
    wait_until(lambda: len(runs_of(sqlite_url, "finished")) == 2, 60, "both first runs")
    assert first.stop() == 0
    second = workers(sqlite_url, *QUICK, name="second")
    started = second.wait_for("scheduler.started")[0]
    assert sorted(started["jobs"].split(",")) == ["source:1", "source:2", "sync"]
    added = second.events("job.added")
    assert sorted(e["source"] for e in added) == ["one", "two"]
    for event in added:  # anchored on the last run, an hour after it: not due again yet
        assert as_time(event["next_run"]) > time.time() + 3000
    time.sleep(3)
    assert second.stop() == 0
    assert len(runs_of(sqlite_url)) == 2


def test_a_run_missed_while_no_worker_ran_runs_once_at_start(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    slow_feed.delay = 0
    source_id = new_source(sqlite_url, site, every=3600)
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:  # its last run was three hours ago: three slots were missed
        conn.execute(
            text("insert into crawl_runs (source_id, kind, status, started_at, finished_at, "
                 "discovered, fetched, new_documents, new_versions, unchanged, not_modified, "
                 "gone, redirected, blocked, errors, bytes) values (:s, 'crawl', 'finished', "
                 "datetime('now', '-3 hours'), datetime('now', '-3 hours'), "
                 "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"),
            {"s": source_id},
        )  # fmt: skip
    engine.dispose()
    worker = workers(sqlite_url, *QUICK)
    wait_until(lambda: len(runs_of(sqlite_url, "finished")) == 2, 40, "the missed run")
    time.sleep(2)
    assert worker.stop() == 0
    assert len(runs_of(sqlite_url)) == 2, "a missed run must run once, not once per slot"


# --- faults -----------------------------------------------------------------------------------


def test_killed_crawl_is_recorded_failed_and_the_next_run_happens(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    db_url = sqlite_url
    slow_feed.delay = 60
    new_source(db_url, site, every=1)
    worker = workers(db_url, *QUICK)
    running = wait_until(
        lambda: [r for r in runs_of(db_url, "running") if r[4] and slow_feed.requests],
        40, "a crawl waiting on the slow feed",
    )  # fmt: skip
    run_id, pid = running[0][0], running[0][4]
    os.kill(pid, signal.SIGKILL)
    slow_feed.delay = 0
    slow_feed.released.set()
    failed = wait_until(lambda: runs_of(db_url, "failed"), 20, "the killed run marked failed")
    assert failed[0][0] == run_id
    assert "killed by SIGKILL" in failed[0][5]
    later = wait_until(
        lambda: [r for r in runs_of(db_url, "finished") if r[0] > run_id], 40, "the next run"
    )
    assert later
    assert worker.stop() == 0
    event = worker.events("run.failed")[0]
    assert event["run"] == run_id and "SIGKILL" in event["error"]


def test_crawl_over_its_timeout_is_stopped_and_failed(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    slow_feed.delay = 60
    new_source(sqlite_url, site, every=3600)
    worker = workers(sqlite_url, "--crawl-timeout", "6", *QUICK)
    failed = wait_until(lambda: runs_of(sqlite_url, "failed"), 40, "the run to time out")
    assert "timed out after 6 s" in failed[0][5]
    assert worker.stop() == 0


# --- signals ----------------------------------------------------------------------------------


def test_sigterm_lets_a_running_crawl_finish_within_the_grace_period(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    worker = crawl_in_flight(site, slow_feed, sqlite_url, workers, 4, "--grace", "30")
    began = time.monotonic()
    assert worker.stop(signal.SIGTERM) == 0, worker.describe()
    assert time.monotonic() - began < 30
    assert [r[1] for r in runs_of(sqlite_url)] == ["finished"]
    assert scalar(sqlite_url, "select count(*) from documents") == 2
    assert integrity(sqlite_url) == "ok"
    assert worker.events("worker.stopping")[0]["active_runs"] == 1
    assert worker.events("worker.stopped")


def test_sigterm_stops_a_crawl_still_running_after_the_grace_period(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    worker = crawl_in_flight(site, slow_feed, sqlite_url, workers, 60, "--grace", "1")
    began = time.monotonic()
    assert worker.stop(signal.SIGTERM) == 0, worker.describe()
    assert time.monotonic() - began < 1 + 10 + 8  # grace, SIGTERM's wait, slack
    (run,) = runs_of(sqlite_url)
    assert run[1] in ("interrupted", "failed") and run[3] is not None
    assert integrity(sqlite_url) == "ok"


def test_a_second_signal_stops_at_once(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    worker = crawl_in_flight(site, slow_feed, sqlite_url, workers, 60, "--grace", "60")
    began = time.monotonic()
    worker.process.send_signal(signal.SIGINT)
    worker.wait_for("worker.stopping")
    assert worker.stop(signal.SIGINT, timeout=15) == 0
    assert time.monotonic() - began < 15
    (run,) = runs_of(sqlite_url)
    assert run[1] in ("interrupted", "failed")
    assert integrity(sqlite_url) == "ok"


# --- one worker per SQLite archive ------------------------------------------------------------


def test_second_sqlite_worker_refuses_with_one_clear_line(
    sqlite_url: str, workers: Any, tmp_path: Path
) -> None:
    first = workers(sqlite_url, *QUICK)
    holder = first.wait_for("worker.started")[0]["worker"]
    second = run_archivist("worker", "--db", sqlite_url, timeout=60)
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    message = second.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "another worker is already running" in message and holder in message
    assert first.stop() == 0
    after = workers(sqlite_url, *QUICK, name="after")  # a clean stop frees the archive
    after.wait_for("scheduler.started")
    assert after.stop() == 0


def test_worker_killed_with_sigkill_does_not_lock_the_archive(
    sqlite_url: str, workers: Any
) -> None:
    first = workers(sqlite_url, *QUICK)
    first.wait_for("scheduler.started")
    first.process.kill()
    first.process.wait()  # its lease is still unexpired, but its process is gone
    second = workers(sqlite_url, *QUICK, name="second")
    second.wait_for("scheduler.started", timeout=20)
    assert second.stop() == 0


# --- logs and secrets -------------------------------------------------------------------------


def worker_stderr_over_one_run(db_url: str) -> tuple[int, str]:
    """A worker's exit status and stderr, stopped with SIGTERM once a run has finished."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "worker", "--db", db_url, *QUICK],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: runs_of(db_url, "finished"), 40, "a finished run")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=40)
    return process.returncode, stderr


def test_logfmt_lines_on_stderr(site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str) -> None:
    slow_feed.delay = 0
    new_source(sqlite_url, site, every=3600)
    code, stderr = worker_stderr_over_one_run(sqlite_url)
    assert code == 0
    lines = stderr.strip().splitlines()
    assert all(line.startswith("ts=") and " event=" in line for line in lines), stderr
    finished = next(line for line in lines if "event=run.finished" in line)
    assert (
        "source=wd" in finished and "status=finished" in finished and "new_documents=2" in finished
    )


def test_a_run_that_finished_with_a_warning_logs_it(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str
) -> None:
    slow_feed.delay = 0
    slow_feed.body = slow_feed.body[: slow_feed.body.rindex("<item>") + 20]  # cut off mid-way
    new_source(sqlite_url, site, every=3600)
    _, stderr = worker_stderr_over_one_run(sqlite_url)
    finished = next(line for line in stderr.splitlines() if "event=run.finished" in line)
    assert "level=warning" in finished and "new_documents=1" in finished
    assert f'warnings="{site.url("/feed.xml")}: cut off mid-way' in finished


def test_password_never_printed(
    pg_url: str, site: LoopbackSite, slow_feed: SlowFeed, workers: Any
) -> None:
    slow_feed.delay = 0
    secret = "s3cret-Pw-4-test"
    with_password = pg_url.replace("postgres@", f"postgres:{secret}@", 1)
    assert secret in with_password  # the test server trusts local users, so it still connects
    new_source(with_password, site, every=3600)
    worker = workers(with_password, *QUICK)
    wait_until(lambda: runs_of(pg_url, "finished"), 40, "a finished run")
    assert worker.stop() == 0
    log = worker.log_path.read_text()
    assert "worker.started" in log and "run.finished" in log
    assert secret not in log and secret not in worker.stderr_path.read_text()
    assert "***" in worker.events("worker.started")[0]["db"]
    help_text = run_archivist("worker", "--help", env={"ARCHIVIST_DB": with_password})
    assert help_text.returncode == 0 and secret not in help_text.stdout
    crawl_rows = rows(pg_url, "select coalesce(error, '') from crawl_runs")
    assert all(secret not in r[0] for r in crawl_rows)


def test_unreachable_database_is_one_line_without_password() -> None:
    url = "postgresql+psycopg://archivist:s3cret-Pw@127.0.0.1:1/none"
    result = run_archivist("worker", "--db", url, timeout=60)
    assert result.returncode == 1
    assert "s3cret-Pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_revisit_job_queues_a_run_for_due_documents(
    site: LoopbackSite, slow_feed: SlowFeed, sqlite_url: str, workers: Any
) -> None:
    slow_feed.delay = 0
    new_source(sqlite_url, site, every=3600)
    worker = workers(sqlite_url, "--sync-every", "1", "--revisit-every", "1", *FAST)
    wait_until(lambda: runs_of(sqlite_url, "finished"), 40, "the first crawl")
    assert site.hits("/2026/11/slow-1/") == 1
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:  # both articles come due long before the next discovery run
        conn.execute(text("update documents set next_check_at = datetime('now', '-1 minute')"))
    engine.dispose()
    revisit = wait_until(
        lambda: rows(sqlite_url, "select fetched, unchanged from crawl_runs "
                     "where kind = 'revisit' and status = 'finished'"),
        40, "a finished revisit run",
    )  # fmt: skip
    assert worker.stop() == 0
    assert revisit[0] == (2, 2)  # both pages fetched again, neither changed
    assert site.hits("/2026/11/slow-1/") == 2
