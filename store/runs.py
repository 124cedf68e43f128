"""Crawl runs: one row per crawl, opened before it starts and closed with its counts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import CrawlRun, utcnow
from store.owners import process_start_mark

COUNTERS = (
    "discovered", "fetched", "new_documents", "new_versions", "unchanged", "not_modified",
    "gone", "redirected", "blocked", "errors", "bytes", "skipped_unchanged", "skipped_backoff",
)  # fmt: skip
FINAL_STATUSES = ("finished", "failed", "interrupted")


def start_run(
    session: Session,
    source_id: int | None,
    kind: str = "crawl",
    worker: str | None = None,
    pid: int | None = None,
) -> CrawlRun:
    """Open a run with status `running` (its pid's process recorded: see process_start_mark)."""
    mark = process_start_mark(pid) if pid is not None else None
    run = CrawlRun(
        source_id=source_id, kind=kind, worker=worker, pid=pid, pid_start=mark, status="running"
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run_id: int,
    status: str,
    counts: Mapping[str, int] | None = None,
    error: str | None = None,
    warnings: str | None = None,
) -> None:
    """Close a run with its final status, counts, error and warning texts."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"not a final run status: {status!r}")
    values: dict[str, object] = {
        "status": status,
        "finished_at": utcnow(),
        "error": error,
        "warnings": warnings,
    }
    values.update({k: v for k, v in (counts or {}).items() if k in COUNTERS})
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**values))


def fail_if_running(session: Session, run_id: int, error: str) -> bool:
    """Mark a run failed unless it already finished (a crashed or killed crawl); True if marked."""
    result = session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id, CrawlRun.status == "running")
        .values(status="failed", finished_at=utcnow(), error=error)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def recent_runs(session: Session, limit: int = 20, since: datetime | None = None) -> list[CrawlRun]:
    """The newest runs first."""
    query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if since is not None:
        query = query.where(CrawlRun.started_at >= since)
    return list(session.scalars(query))
