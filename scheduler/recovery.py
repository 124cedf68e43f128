"""Runs left `running` by a worker that died: close them, so their source can run again.

A worker that is killed leaves its crawls running on their own (they are in their own process
group) and they close their rows themselves; only a run whose worker has stopped heartbeating
*and* whose crawl cannot still be running is failed here.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from scheduler.identity import WorkerIdentity, process_alive
from scheduler.logs import EventLog
from store.claims import running_runs
from store.leases import live_holders
from store.models import CrawlRun, utcnow
from store.runs import fail_if_running

PRESENCE_PREFIX = "worker:"


def reap_abandoned_runs(session: Session, crawl_timeout: float, log: EventLog) -> int:
    """Fail the runs whose worker is gone and whose crawl is over; how many were failed."""
    alive = live_holders(session, PRESENCE_PREFIX)
    reaped = 0
    for run in running_runs(session):
        reason = _abandoned(run, alive, crawl_timeout)
        if reason and fail_if_running(session, run.id, reason):
            log.event("run.reaped", level="warning", run=run.id, worker=run.worker, error=reason)
            reaped += 1
    return reaped


def _abandoned(run: CrawlRun, alive: set[str], crawl_timeout: float) -> str | None:
    worker = WorkerIdentity.parse(run.worker)
    if worker is None or run.worker in alive:
        return None  # a crawl started by hand, or a worker that is still looking after it
    if worker.is_local():
        if run.pid is not None and process_alive(run.pid):
            return None  # its worker died, but the crawl is finishing and will close the row
        return f"abandoned: worker {run.worker} stopped and its crawl process is gone"
    # Another host: its crawl cannot be seen from here, but it would have timed out by now.
    if utcnow() - run.started_at < timedelta(seconds=crawl_timeout):
        return None
    return f"abandoned: worker {run.worker} stopped heartbeating"
