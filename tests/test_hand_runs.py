"""Crawls started by hand (`archivist crawl NAME`): one run per source at a time, and a killed
one never blocks its source for ever.

Real `archivist crawl` processes against a loopback site, both backends; the worker's reaper is
called as the worker calls it.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from crawler.crawl import RunError, start_hand_run
from scheduler.logs import EventLog
from scheduler.recovery import reap_abandoned_runs
from store.claims import CLOSED_BY_HAND
from store.db import open_archive, transaction
from store.leases import acquire_lease
from store.models import CrawlRun
from store.owners import WorkerIdentity, process_start_mark
from store.sources import get_source
from tests.conftest import run_archivist, start_archivist
from tests.loopback import LoopbackSite, Reply
from tests.pages import article_page
from tests.sites import (
    FAST,
    RSS,
    add_source,
    crawl,
    feed_site,
    rows,
    rss,
    scalar,
    slow_articles,
    wait_for,
)

HERE = socket.gethostname()
NO_SUCH_PID = 2**22 + 12345  # above any pid_max: never a live process
STARTED = datetime(2026, 11, 27, 17, 35, 12, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_archive(db_url)
    yield engine
    engine.dispose()


def running_row(
    engine: Engine,
    worker: str,
    pid: int | None,
    status: str = "running",
    pid_start: str | None = None,
) -> int:
    """A crawl_runs row of source feed1 as someone else left it; its id."""
    with transaction(engine) as session:
        source_id = get_source(session, "feed1").id
        run = CrawlRun(
            source_id=source_id,
            status=status,
            worker=worker,
            pid=pid,
            pid_start=pid_start,
            started_at=STARTED,
        )
        session.add(run)
        session.flush()
        return run.id


def status_and_error(db_url: str, run_id: int) -> tuple[str, str | None]:
    (found,) = rows(db_url, "select status, error from crawl_runs where id = :id", id=run_id)
    return found[0], found[1]


def test_a_killed_hand_run_is_reaped_and_the_source_crawls_again(
    site: LoopbackSite, db_url: str, engine: Engine
) -> None:
    paths = slow_articles(site, 20, 1.0)
    site.routes["/feed.xml"] = Reply(rss(site, paths), headers=RSS)
    add_source(db_url, "feed1", "--feed", site.url("/feed.xml"))
    process = start_archivist(
        "crawl",
        "feed1",
        "--db",
        db_url,
        *FAST,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: any(path in paths for path, _ in list(site.log)))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)  # reaped: its pid is gone, not a zombie
    ((run_id, *left),) = rows(db_url, "select id, status, worker, pid from crawl_runs")
    assert left == ["running", HERE, process.pid]

    stream = io.StringIO()
    with transaction(engine) as session:
        assert reap_abandoned_runs(session, 3600, EventLog(stream, "json")) == 1
    reason = f"abandoned: the crawl started by hand (pid {process.pid}) is gone"
    assert status_and_error(db_url, run_id) == ("failed", reason)
    assert '"run.reaped"' in stream.getvalue()

    for path in paths:  # the site answers at once now
        site.routes[path] = Reply(article_page(title=f"Story {path}"))
    code, run, err = crawl(db_url, "feed1")
    assert code == 0, err
    assert run["status"] == "finished" and run["id"] != run_id


def test_a_crawl_fails_runs_whose_crawl_is_gone_here_and_goes_ahead(
    site: LoopbackSite, db_url: str, engine: Engine
) -> None:
    feed_site(site, 2)
    add_source(db_url, "feed1", "--feed", site.url("/feed.xml"))
    by_hand = running_row(engine, HERE, NO_SUCH_PID)
    dead_worker = str(WorkerIdentity(HERE, NO_SUCH_PID, "0badc0de"))  # no presence lease
    by_worker = running_row(engine, dead_worker, NO_SUCH_PID + 1)
    queued = running_row(engine, "", None, status="queued")  # waits its turn: never in the way

    code, run, err = crawl(db_url, "feed1")
    assert code == 0, err
    assert run["status"] == "finished" and run["fetched"] == 2
    assert status_and_error(db_url, by_hand) == (
        "failed",
        f"abandoned: the crawl started by hand (pid {NO_SUCH_PID}) is gone",
    )
    assert status_and_error(db_url, by_worker) == (
        "failed",
        f"abandoned: worker {dead_worker} stopped and its crawl process is gone",
    )
    assert status_and_error(db_url, queued) == ("queued", None)
    said = f"warning: run {by_hand} of feed1 was left running: marked failed (abandoned: the crawl"
    assert said in err


ME = os.getpid()
LIVE_WORKER = WorkerIdentity(HERE, ME, "ab12cd34")
SINCE = "started 2026-11-27 17:35 UTC"
DEAD_WORKER = WorkerIdentity(HERE, NO_SUCH_PID, "0badc0de")
CASES = {  # worker, pid, presence lease held: how the refusal names the run
    "by hand here, alive": (HERE, ME, False, f"crawl started by hand on {HERE}, pid {ME}, {SINCE}"),
    "live worker": (str(LIVE_WORKER), None, True, f"worker {LIVE_WORKER}, {SINCE}"),
    "worker gone, its crawl alive": (str(DEAD_WORKER), ME, False, f"worker {DEAD_WORKER}, {SINCE}"),
    "by hand on another host": (
        "elsewhere", 7, False, f"crawl started by hand on elsewhere, pid 7, {SINCE}"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_a_crawl_refuses_while_a_live_run_crawls_its_source(
    site: LoopbackSite, db_url: str, engine: Engine, case: str
) -> None:
    feed_site(site, 2)
    add_source(db_url, "feed1", "--feed", site.url("/feed.xml"))
    worker, pid, lease, named = CASES[case]
    if lease:
        with transaction(engine) as session:
            acquire_lease(session, LIVE_WORKER.presence_lease, str(LIVE_WORKER), 300)
    run_id = running_row(engine, worker, pid)

    code, _, err = crawl(db_url, "feed1")
    assert code == 1
    assert err == (
        f"Error: source feed1 is being crawled by run {run_id} ({named}): wait for it to end\n"
    )
    assert site.log == []  # nothing fetched
    assert scalar(db_url, "select count(*) from crawl_runs") == 1  # no run row left behind
    assert status_and_error(db_url, run_id) == ("running", None)


def test_two_hand_runs_at_once_cannot_both_start(db_url: str, engine: Engine) -> None:
    """The check and the new row are one transaction: the second waits, then sees the first."""
    add_source(db_url, "feed1", "--feed", "http://127.0.0.1:9/feed.xml")
    outcome: list[str] = []

    def second() -> None:
        try:
            with transaction(engine) as session:
                start_hand_run(session, get_source(session, "feed1"))
            outcome.append("started")
        except RunError as exc:
            outcome.append(str(exc))

    with transaction(engine) as session:
        first = start_hand_run(session, get_source(session, "feed1"))
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive()  # waiting for the first crawl's transaction
    thread.join(timeout=30)
    started = f"{first.started_at:%Y-%m-%d %H:%M} UTC"
    assert outcome == [
        f"source feed1 is being crawled by run {first.id} (crawl started by hand on {HERE}, "
        f"pid {ME}, started {started}): wait for it to end"
    ]
    assert scalar(db_url, "select count(*) from crawl_runs") == 1


def test_a_run_left_by_a_machine_that_is_gone_is_closed_by_hand(
    site: LoopbackSite, db_url: str, engine: Engine
) -> None:
    """A crawl started by hand on a machine that died (or was retired) cannot be judged from
    here: its row blocks the source until someone who knows closes it."""
    feed_site(site, 2)
    add_source(db_url, "feed1", "--feed", site.url("/feed.xml"))
    run_id = running_row(engine, "retired-host", 4242)
    code, _, err = crawl(db_url, "feed1")
    assert code == 1 and f"is being crawled by run {run_id}" in err

    closed = run_archivist("runs", "--close", str(run_id), "--db", db_url)
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout == f"run {run_id} of feed1 closed: marked failed ({CLOSED_BY_HAND})\n"
    assert status_and_error(db_url, run_id) == ("failed", CLOSED_BY_HAND)
    code, run, err = crawl(db_url, "feed1")
    assert code == 0, err
    assert run["status"] == "finished" and run["fetched"] == 2


CLOSE_REFUSALS = {  # the row (worker, pid, status, presence lease held), and the refusal
    "finished": ("elsewhere", 7, "finished", False, "run {id} is finished: only a running run"),
    "alive by hand here": (
        HERE, ME, "running", False, f"may be crawling on this machine: pid {ME} is alive"
    ),
    "live worker": (
        str(LIVE_WORKER), None, "running", True, "whose presence lease is live: stop that worker"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CLOSE_REFUSALS)
def test_a_run_that_is_over_or_alive_is_not_closed_by_hand(
    db_url: str, engine: Engine, case: str
) -> None:
    add_source(db_url, "feed1", "--feed", "http://127.0.0.1:9/feed.xml")
    worker, pid, status, lease, said = CLOSE_REFUSALS[case]
    if lease:
        with transaction(engine) as session:
            acquire_lease(session, LIVE_WORKER.presence_lease, str(LIVE_WORKER), 300)
    run_id = running_row(engine, worker, pid, status=status)
    closed = run_archivist("runs", "--close", str(run_id), "--db", db_url)
    assert closed.returncode == 1 and closed.stdout == ""
    assert closed.stderr.startswith("Error: ") and said.format(id=run_id) in closed.stderr
    assert rows(db_url, "select status from crawl_runs") == [(status,)]
    unknown = run_archivist("runs", "--close", "999", "--db", db_url)
    assert (unknown.returncode, unknown.stderr) == (1, "Error: no crawl run 999\n")


def test_a_pid_another_process_took_is_no_crawl(
    site: LoopbackSite, db_url: str, engine: Engine
) -> None:
    """A run records which process its pid named (boot id and start ticks): after a reboot,
    or once pids wrap, a live process behind the same pid is not its crawl, whatever the
    clock says."""
    feed_site(site, 2)
    add_source(db_url, "feed1", "--feed", site.url("/feed.xml"))
    mine = process_start_mark(ME)
    assert mine is not None and mine.count(":") == 3
    _, pid_namespace, time_namespace, _ = mine.split(":")
    earlier = f"an-earlier-boot:{pid_namespace}:{time_namespace}:4242"  # the same namespaces
    taken = running_row(engine, HERE, ME, pid_start=earlier)
    code, run, err = crawl(db_url, "feed1")
    assert code == 0, err
    assert status_and_error(db_url, taken) == (
        "failed",
        f"abandoned: the crawl started by hand (pid {ME}) is gone",
    )
    # an earlier boot's container: its namespaces are gone with the boot, and so is its crawl
    container = running_row(engine, HERE, ME, pid_start="an-earlier-boot:4026539999:0:42")
    code, _, err = crawl(db_url, "feed1")
    assert code == 0, err
    assert status_and_error(db_url, container)[0] == "failed"
    assert rows(db_url, "select pid_start from crawl_runs where id = :i", i=run["id"]) != [
        (None,)
    ]  # the crawl recorded its own process

    again = running_row(engine, HERE, ME, pid_start=earlier)
    closed = run_archivist("runs", "--close", str(again), "--db", db_url)  # no --force needed
    assert closed.returncode == 0, closed.stderr


def test_a_live_crawl_here_is_closed_only_by_force(db_url: str, engine: Engine) -> None:
    """Its pid is alive and is the process it recorded, or a row from before runs recorded
    it, or one recorded in another PID namespace (a container sharing this host name): it may
    be the crawl, and only --force closes it."""
    add_source(db_url, "feed1", "--feed", "http://127.0.0.1:9/feed.xml")
    mine = process_start_mark(ME)
    assert mine is not None
    boot, _, time_namespace, ticks = mine.split(":")
    elsewhere = f"{boot}:4026539999:{time_namespace}:{ticks}"  # another PID namespace's pid
    for mark in (mine, None, elsewhere):
        run_id = running_row(engine, HERE, ME, pid_start=mark)
        refused = run_archivist("runs", "--close", str(run_id), "--db", db_url)
        assert refused.returncode == 1 and "--force closes the run" in refused.stderr
        assert status_and_error(db_url, run_id) == ("running", None)
        forced = run_archivist("runs", "--close", str(run_id), "--force", "--db", db_url)
        assert forced.returncode == 0, forced.stderr
        assert status_and_error(db_url, run_id) == ("failed", CLOSED_BY_HAND)


@pytest.mark.parametrize(
    "args",
    [("--close", "1", "--json"), ("--close", "1", "--limit", "20"), ("--force",)],
)
def test_close_takes_no_listing_options(db_url: str, args: tuple[str, ...]) -> None:
    result = run_archivist("runs", *args, "--db", db_url)
    assert result.returncode == 2 and "Error: " in result.stderr and result.stdout == ""
