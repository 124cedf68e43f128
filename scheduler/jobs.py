"""APScheduler jobs built from the sources table: one job per enabled, scheduled source.

The sources table is the source of truth and jobs live in a MemoryJobStore, rebuilt at every
start and kept in step by a sync job; so a restart can never leave duplicate or stale jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.cli.crontab import crontab_trigger
from crawler.cli.source_fields import schedule_text
from scheduler.logs import EventLog
from store.models import Source

JOB_DEFAULTS: dict[str, Any] = {
    # A worker that was asleep or busy runs a missed crawl once, not once per missed slot.
    "coalesce": True,
    # A source's job only queues a run; the queue keeps runs of one source from overlapping.
    "max_instances": 1,
    # None = run however late. APScheduler's default (1 s) silently drops a run whose thread
    # started a little late (a suspended laptop, a busy pool); for a daily cron that is a day
    # of news lost. Late is always better than skipped, and coalesce keeps it to one run.
    "misfire_grace_time": None,
}
JOB_THREADS = 4  # jobs only write a row or two; they never wait on a crawl


def make_scheduler() -> BackgroundScheduler:
    """A UTC scheduler with an in-memory job store and the archive's job defaults."""
    return BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(JOB_THREADS)},
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )


def job_id(source_id: int) -> str:
    """A source's job id: explicit, stable across restarts and edits."""
    return f"source:{source_id}"


def source_trigger(source: Source, last_started: datetime | None) -> BaseTrigger | None:
    """The source's trigger (cron in its time zone, UTC by default, or an interval counted from
    its last run), or None.

    None: the source is crawled by hand only. An invalid cron expression or an unknown time
    zone raises ValueError.
    """
    if source.cron:
        return crontab_trigger(source.cron, timezone=cron_zone(source))
    if source.every_seconds:
        every = timedelta(seconds=source.every_seconds)
        start = last_started + every if last_started else datetime.now(UTC)
        return IntervalTrigger(seconds=source.every_seconds, start_date=start, timezone=UTC)
    return None


def cron_zone(source: Source) -> tzinfo:
    """The zone a source's cron expression is read in."""
    if not source.timezone:
        return UTC
    try:
        return ZoneInfo(source.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # the zone database lost the name
        raise ValueError(f"unknown time zone {source.timezone!r}") from exc


def first_fire_time(trigger: BaseTrigger, last_started: datetime | None, now: datetime) -> datetime:
    """When the source is next due: now if it never ran or a run was missed, else its next slot."""
    if last_started is None:
        return now
    due: datetime | None = trigger.get_next_fire_time(None, last_started)
    return now if due is None or due <= now else due


Signature = tuple[Any, ...]


class SourceJobs:
    """Keeps one job per enabled, scheduled source, matching the sources table."""

    def __init__(
        self, scheduler: BackgroundScheduler, due: Callable[[int, str], None], log: EventLog
    ) -> None:
        self.scheduler = scheduler
        self.due = due
        self.log = log
        self.signatures: dict[str, Signature] = {}

    def sync(self, sources: Iterable[Source], last_started: dict[int, datetime]) -> None:
        """Add jobs for new sources, rebuild edited ones, remove disabled or deleted ones."""
        wanted = {job_id(s.id): s for s in sources if s.enabled and (s.cron or s.every_seconds)}
        for gone in set(self.signatures) - set(wanted):
            if self.scheduler.get_job(gone) is not None:
                self.scheduler.remove_job(gone)
            del self.signatures[gone]
            self.log.event("job.removed", job=gone)
        for ident, source in wanted.items():
            signature = (
                source.updated_at, source.cron, source.timezone, source.every_seconds, source.name
            )  # fmt: skip
            if self.signatures.get(ident) != signature:
                event = "job.updated" if ident in self.signatures else "job.added"
                self.signatures[ident] = signature
                self._put(source, last_started.get(source.id), event)

    def _put(self, source: Source, last_started: datetime | None, event: str) -> None:
        try:
            trigger = source_trigger(source, last_started)
        except ValueError as exc:  # kept in `signatures`: not retried until the source changes
            self.log.event("job.invalid", level="error", source=source.name, error=str(exc))
            return
        assert trigger is not None  # `wanted` holds scheduled sources only
        now = datetime.now(UTC)
        job = self.scheduler.add_job(
            self.due,
            trigger,
            args=(source.id, source.name),
            id=job_id(source.id),
            name=source.name,
            replace_existing=True,
            next_run_time=first_fire_time(trigger, last_started, now),
        )
        self.log.event(event, job=job.id, source=source.name, schedule=schedule_text(source),
                       next_run=job.next_run_time)  # fmt: skip
