"""Several workers on one PostgreSQL archive: one scheduler, shared work, hand-over on death."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import text

from scheduler.leadership import ADVISORY_LOCK_KEY
from store.db import open_archive, transaction
from store.owners import this_host
from store.runs import start_run
from tests.loopback import LoopbackSite
from tests.sites import add_articles, rows
from tests.test_worker import (
    QUICK,
    SlowFeed,
    as_time,
    assert_no_overlap,
    new_source,
    runs_of,
    wait_until,
    workers,  # noqa: F401  # the fixture
)

SOURCES = 3
NO_SUCH_PID = 2**22 + 12345  # above any pid_max: never a live process


def slow_feeds(site: LoopbackSite) -> list[SlowFeed]:
    """One slow feed per source, each listing its own article."""
    feeds = []
    for n in range(SOURCES):
        add_articles(site, [f"/s{n}/article/"])
        feed = SlowFeed(site, [f"/s{n}/article/"], delay=1.0)
        site.routes[f"/s{n}/feed.xml"] = feed
        feeds.append(feed)
    return feeds


def finished_by_worker(pg_url: str) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for run in runs_of(pg_url, "finished"):
        counts[run[6]] += 1
    return dict(counts)


def test_two_workers_one_scheduler_shared_work_and_hand_over(
    pg_url: str,
    site: LoopbackSite,
    workers: Any,  # noqa: F811  # the fixture imported above
) -> None:
    feeds = slow_feeds(site)
    for n in range(SOURCES):
        new_source(pg_url, site, f"s{n}", every=1, feed=f"/s{n}/feed.xml")
    first = workers(pg_url, "--max-parallel", "1", *QUICK, name="first")
    second = workers(pg_url, "--max-parallel", "1", *QUICK, name="second")
    first.wait_for("worker.started")
    second.wait_for("worker.started")
    wait_until(lambda: len(finished_by_worker(pg_url)) == 2, 60, "both workers to finish runs")

    holders = [w for w in (first, second) if w.events("role.acquired")]
    assert len(holders) == 1, "exactly one worker may hold the scheduler role"
    holder, other = holders[0], (second if holders[0] is first else first)
    # pg_locks lists the whole server; the lock is per database (other tests' archives hold theirs)
    held = ("select count(*) from pg_locks where locktype = 'advisory' and database = "
            "(select oid from pg_database where datname = current_database()) "
            "and ((classid::bigint << 32) | objid::bigint) = :k")  # fmt: skip
    locks = rows(pg_url, held, k=ADVISORY_LOCK_KEY)
    assert locks == [(1,)]

    holder.process.kill()  # SIGKILL: no goodbye, its lock connection simply drops
    holder.process.wait()
    killed_at = time.time()
    other.wait_for("role.acquired", timeout=20)
    assert other.events("role.acquired")[0]["worker"] == other.events("worker.started")[0]["worker"]
    mine = other.events("worker.started")[0]["worker"]

    def runs_after_hand_over() -> list[Any]:
        return [
            r for r in runs_of(pg_url, "finished") if r[6] == mine and as_time(r[2]) > killed_at
        ]

    wait_until(runs_after_hand_over, 40, "a run queued by the new scheduler")
    assert other.stop() == 0

    for n in range(SOURCES):  # no source was ever crawled twice at once, by any worker
        assert not feeds[n].overlapped, f"source s{n} had two crawls at once"
        source_runs = rows(pg_url, "select id, status, started_at, finished_at from crawl_runs "
                           "where source_id = (select id from sources where name = :n) "
                           "and finished_at is not null", n=f"s{n}")  # fmt: skip
        assert_no_overlap(source_runs)


def test_a_worker_without_the_role_reaps_the_runs_its_own_machine_left(
    pg_url: str,
    site: LoopbackSite,
    workers: Any,  # noqa: F811  # the fixture imported above
) -> None:
    """Only a worker on the machine a crawl ran on can see that its process is gone: the one
    holding the scheduler role may run elsewhere (here: the role is held by another session)."""
    source_id = new_source(pg_url, site, "s0", every=3600)
    engine = open_archive(pg_url)
    try:
        with engine.connect() as role_holder:  # holds the role for the whole test
            role_holder.execute(text("select pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            role_holder.commit()
            with transaction(engine) as session:
                left = start_run(session, source_id, worker=this_host(), pid=NO_SUCH_PID).id
                elsewhere = start_run(session, source_id, worker="elsewhere", pid=NO_SUCH_PID).id
            worker = workers(pg_url, *QUICK)
            worker.wait_for("worker.started")
            (reaped,) = worker.wait_for("run.reaped", timeout=20)
            assert reaped["run"] == left and not worker.events("role.acquired")
            abandoned = f"abandoned: the crawl started by hand (pid {NO_SUCH_PID}) is gone"
            assert {r[0]: (r[1], r[5]) for r in runs_of(pg_url)} == {
                left: ("failed", abandoned),
                elsewhere: ("running", None),  # another machine's: not this worker's to judge
            }
            worker.stop()
    finally:
        engine.dispose()
