"""Runs left `running` by a worker or a hand-run crawl that died: close them, so their source
can run again.

A worker that is killed leaves its crawls running on their own (they are in their own process
group) and they close their rows themselves; only a run whose worker has stopped heartbeating
*and* whose crawl cannot still be running is failed here. A crawl started by hand (`archivist
crawl NAME`, killed with SIGKILL) is failed once its pid is gone, if it ran on this host: on
another host it cannot be told apart from a crawl still going, and is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from scheduler.logs import EventLog
from store.claims import running_runs
from store.leases import live_holders
from store.models import CrawlRun, utcnow
from store.owners import PRESENCE_PREFIX, WorkerIdentity, gone_here
from store.runs import fail_if_running


def reap_abandoned_runs(
    session: Session, crawl_timeout: float, log: EventLog, here_only: bool = False
) -> int:
    """Fail the runs whose worker (or hand-run crawl) is gone and whose crawl is over; how many
    were failed. `here_only`: only those that ran on this host (what a worker without the
    scheduler role looks after: no other machine can tell its processes are gone)."""
    alive = live_holders(session, PRESENCE_PREFIX)
    reaped = 0
    for run in running_runs(session):
        reason = gone_here(run, alive) if here_only else _abandoned(run, alive, crawl_timeout)
        if reason and fail_if_running(session, run.id, reason):
            log.event("run.reaped", level="warning", run=run.id, worker=run.worker, error=reason)
            reaped += 1
    return reaped


def _abandoned(run: CrawlRun, alive: set[str], crawl_timeout: float) -> str | None:
    worker = WorkerIdentity.parse(run.worker)
    if worker is None or worker.is_local():  # started by hand, or by a worker on this host
        return gone_here(run, alive)
    if run.worker in alive:
        return None  # a worker that is still looking after it
    # Another host: its crawl cannot be seen from here, but it would have timed out by now.
    if utcnow() - run.started_at < timedelta(seconds=crawl_timeout):
        return None
    return f"abandoned: worker {run.worker} stopped heartbeating"
