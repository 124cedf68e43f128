"""Crawl work as rows: queued for a source, claimed by one worker, never two at once per source.

A `crawl_runs` row goes queued -> running -> finished | failed | interrupted. Whoever queues,
claims or starts by hand a run of a source first locks that source's row, so on PostgreSQL
several workers claiming at once (`FOR UPDATE … SKIP LOCKED`) never start the same source twice,
nor does a crawl started by hand alongside them; on SQLite writers are serialised by the
database itself.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from store.leases import live_holders
from store.models import CrawlRun, Source, utcnow
from store.owners import (
    PRESENCE_PREFIX,
    WorkerIdentity,
    crawl_alive,
    gone_here,
    process_start_mark,
    this_host,
)
from store.runs import fail_if_running

QUEUED = "queued"
RUNNING = "running"
DISCOVERY = "crawl"  # the run kind a source's schedule starts: `revisit` and `reprocess` are not
ACTIVE_STATUSES = (QUEUED, RUNNING)


def enqueue_run(session: Session, source_id: int, kind: str = "crawl") -> CrawlRun | None:
    """Queue a run of the source, unless one is already queued or running (then None)."""
    source = session.scalars(select(Source).where(Source.id == source_id).with_for_update()).first()
    if source is None or not source.enabled or active_run(session, source_id) is not None:
        return None
    run = CrawlRun(source_id=source_id, kind=kind, status=QUEUED)
    session.add(run)
    session.flush()
    return run


def active_run(session: Session, source_id: int) -> CrawlRun | None:
    """The source's queued or running run, if any."""
    return session.scalars(
        select(CrawlRun)
        .where(CrawlRun.source_id == source_id, CrawlRun.status.in_(ACTIVE_STATUSES))
        .order_by(CrawlRun.id)
        .limit(1)
    ).first()


def claim_run(session: Session, worker: str) -> CrawlRun | None:
    """Take the oldest queued run of an enabled source that has none running; mark it running."""
    busy = select(CrawlRun.source_id).where(
        CrawlRun.status == RUNNING, CrawlRun.source_id.is_not(None)
    )
    candidate = session.scalars(
        select(CrawlRun)
        .join(Source, Source.id == CrawlRun.source_id)
        .where(CrawlRun.status == QUEUED, Source.enabled.is_(True), CrawlRun.source_id.not_in(busy))
        .order_by(CrawlRun.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=[CrawlRun.__table__, Source.__table__])
    ).first()
    if candidate is None:
        return None
    running = select(CrawlRun.id).where(
        CrawlRun.source_id == candidate.source_id, CrawlRun.status == RUNNING
    )
    taken = session.execute(  # not if a crawl started by hand got in first
        update(CrawlRun)
        .where(CrawlRun.id == candidate.id, CrawlRun.status == QUEUED, ~exists(running))
        .values(status=RUNNING, worker=worker, started_at=utcnow())
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    session.refresh(candidate)
    return candidate


def set_run_pid(session: Session, run_id: int, pid: int) -> None:
    """Record the process that carries out a running run, and which process that pid is."""
    mark = process_start_mark(pid)
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(pid=pid, pid_start=mark))


def fail_unfinished(session: Session, run_id: int, error: str) -> bool:
    """Mark a run failed unless it finished (it may have closed itself as interrupted)."""
    result = session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id, CrawlRun.status.in_((RUNNING, "interrupted")))
        .values(status="failed", error=error, finished_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def run_status(session: Session, run_id: int) -> CrawlRun | None:
    """The run as it stands now."""
    return session.get(CrawlRun, run_id, populate_existing=True)


def running_runs(session: Session, source_id: int | None = None) -> list[CrawlRun]:
    """Every run in status `running` (of one source, if given), oldest first."""
    query = select(CrawlRun).where(CrawlRun.status == RUNNING).order_by(CrawlRun.id)
    if source_id is not None:
        query = query.where(CrawlRun.source_id == source_id)
    return list(session.scalars(query))


def live_running_runs(
    session: Session, source_id: int
) -> tuple[list[CrawlRun], list[tuple[CrawlRun, str]]]:
    """The source's running runs that may still be going on, after failing the ones left by a
    crawl on this host whose process is gone: (live runs, [(failed run, why)])."""
    live_workers = live_holders(session, PRESENCE_PREFIX)
    live: list[CrawlRun] = []
    failed: list[tuple[CrawlRun, str]] = []
    for run in running_runs(session, source_id):
        abandoned = gone_here(run, live_workers)
        if abandoned is None:
            live.append(run)
        else:
            fail_if_running(session, run.id, abandoned)
            failed.append((run, abandoned))
    return live, failed


def lock_source(session: Session, source_id: int) -> bool:
    """Hold the source's row until the transaction ends: whoever else queues, claims or starts
    a run of it meanwhile waits, then sees what this transaction did. False when the source is
    gone (removed while this transaction waited for the lock).

    PostgreSQL: `SELECT … FOR UPDATE`. SQLite has no row locks: a write that changes nothing
    takes the database's write lock (and, as the first write, a fresh view of it) instead.
    """
    if session.get_bind().dialect.name == "sqlite":
        result = session.execute(
            update(Source).where(Source.id == source_id).values(updated_at=Source.updated_at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
    found = session.execute(select(Source.id).where(Source.id == source_id).with_for_update())
    return found.first() is not None


def discard_queued(session: Session, dead_only: bool = False) -> int:
    """Delete queued runs (only those of disabled or removed sources, if `dead_only`).

    Nothing is lost: whoever schedules next works out from the runs that did start which
    sources are due, and queues them again.
    """
    query = delete(CrawlRun).where(CrawlRun.status == QUEUED)
    if dead_only:
        enabled = select(Source.id).where(Source.enabled.is_(True))
        query = query.where(or_(CrawlRun.source_id.is_(None), CrawlRun.source_id.not_in(enabled)))
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def latest_runs(session: Session) -> dict[int, CrawlRun]:
    """Per source, its newest discovery crawl that started (queued ones excluded): what its
    schedule counts from. Revisit and reprocess runs never push the next crawl back."""
    newest = (
        select(func.max(CrawlRun.id))
        .where(
            CrawlRun.source_id.is_not(None),
            CrawlRun.status != QUEUED,
            CrawlRun.kind == DISCOVERY,
        )
        .group_by(CrawlRun.source_id)
    )
    runs = session.scalars(select(CrawlRun).where(CrawlRun.id.in_(newest)))
    return {run.source_id: run for run in runs if run.source_id is not None}


CLOSED_BY_HAND = "closed by hand (archivist runs --close): its crawl is gone"


class CloseRefused(RuntimeError):
    """A run that `archivist runs --close` must not close: none, over, or seen alive."""


def close_by_hand(session: Session, run_id: int, force: bool = False) -> CrawlRun:
    """Mark failed a `running` run whose crawl the user says is gone, where no check can see
    it (a machine that died or was retired, a crawl in another container); the run.

    Refused for a run that is not running (or ends meanwhile: the row is locked first), whose
    worker renews its presence lease (it looks after the run: stop it there), or whose crawl
    may be a live process on this host (see crawl_alive), unless `force` (a pid of another
    container, which no check here can tell apart).
    """
    run = session.get(CrawlRun, run_id, with_for_update=True)
    if run is None:
        raise CloseRefused(f"no crawl run {run_id}")
    if run.status != RUNNING:
        raise CloseRefused(f"run {run_id} is {run.status}: only a running run can be closed")
    worker = WorkerIdentity.parse(run.worker)
    if worker is not None and run.worker in live_holders(session, PRESENCE_PREFIX):
        raise CloseRefused(
            f"run {run_id} is looked after by worker {run.worker}, whose presence lease is "
            "live: stop that worker, or let the run end (a worker killed outright stops "
            "renewing its lease, which runs out within 30 s)"
        )
    host = worker.host if worker is not None else run.worker
    if not force and host == this_host() and crawl_alive(run):
        raise CloseRefused(
            f"run {run_id} may be crawling on this machine: pid {run.pid} is alive. Stop it, "
            f"or let it end; if pid {run.pid} is not that crawl (a process of another "
            "container), --force closes the run"
        )
    if not fail_if_running(session, run_id, CLOSED_BY_HAND):
        raise CloseRefused(f"run {run_id} ended meanwhile")
    return run
