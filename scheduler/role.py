"""What the worker holding the scheduler role does: queue runs when sources and revisits are due.

Jobs only write `queued` rows; every worker (this one too) claims and starts them. Jobs run
in APScheduler's threads, so each one logs its own failure instead of dying silently.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from scheduler.jobs import SourceJobs, job_id, make_scheduler
from scheduler.logs import EventLog, one_line
from scheduler.recovery import reap_abandoned_runs
from store.claims import discard_queued, enqueue_run, latest_runs
from store.db import transaction
from store.revisits import due_documents
from store.sources import list_sources

F = TypeVar("F", bound=Callable[..., Any])


class SchedulerRole:
    """An APScheduler BackgroundScheduler: a job per source, a sync job and a revisit job."""

    def __init__(
        self,
        engine: Engine,
        log: EventLog,
        wake: Callable[[], None],
        sync_every: float,
        revisit_every: float,
        crawl_timeout: float,
    ) -> None:
        self.engine = engine
        self.log = log
        self.wake = wake
        self.sync_every = sync_every
        self.revisit_every = revisit_every
        self.crawl_timeout = crawl_timeout
        self.scheduler = make_scheduler()
        self.jobs = SourceJobs(self.scheduler, self._logged(self.queue_source), log)

    def start(self) -> None:
        """Build the jobs from the sources table, then start the clock."""
        # Started paused: jobs added before start() are only "pending", and a pending job is
        # never replaced by `replace_existing`; added to a running store, it is.
        self.scheduler.start(paused=True)
        try:
            self.sync()
            self._add_periodic(self.sync, self.sync_every, "sync")
            if self.revisit_every > 0:
                self._add_periodic(self.queue_revisits, self.revisit_every, "revisit")
        except BaseException:
            self.scheduler.shutdown(wait=False)
            raise
        self.scheduler.resume()
        self.log.event("scheduler.started", jobs=",".join(j.id for j in self.scheduler.get_jobs()))

    def _add_periodic(self, job: Callable[[], None], seconds: float, ident: str) -> None:
        self.scheduler.add_job(
            self._logged(job), IntervalTrigger(seconds=seconds), id=ident, replace_existing=True
        )

    def stop(self, withdraw: bool) -> None:
        """Stop queueing runs; if `withdraw`, also take back the runs queued but not started."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # a queueing job in flight finishes first
        if withdraw:  # the next scheduler queues whatever is due again, from the run history
            with transaction(self.engine) as session:
                discard_queued(session)

    def sync(self) -> None:
        """Match the jobs to the sources table; drop dead queue entries; close abandoned runs."""
        with transaction(self.engine) as session:
            discard_queued(session, dead_only=True)
            reap_abandoned_runs(session, self.crawl_timeout, self.log)
            sources = list_sources(session)
            started = {sid: run.started_at for sid, run in latest_runs(session).items()}
        self.jobs.sync(sources, started)

    def queue_source(self, source_id: int, name: str, kind: str = "crawl") -> None:
        """A source is due: queue one run of it, unless one is queued or running already."""
        with transaction(self.engine) as session:
            run = enqueue_run(session, source_id, kind)
        if run is None:
            self.log.event("run.skipped", source=name, kind=kind, reason="a run is already active")
            return
        self.log.event("run.queued", run=run.id, source=name, kind=kind)
        self.wake()

    def queue_revisits(self) -> None:
        """Queue a revisit run for sources with due documents and no discovery run coming soon."""
        now = datetime.now(UTC)
        soon = now + timedelta(seconds=self.revisit_every)
        with transaction(self.engine) as session:
            due = [s for s in list_sources(session, enabled_only=True)
                   if due_documents(session, s.id, now, limit=1)]  # fmt: skip
        for source in due:
            job = self.scheduler.get_job(job_id(source.id))
            if job is None or job.next_run_time is None or job.next_run_time > soon:
                self.queue_source(source.id, source.name, kind="revisit")

    def _logged(self, job: F) -> F:
        @functools.wraps(job)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return job(*args, **kwargs)
            except Exception as exc:  # the next run of the job tries again
                self.log.event("error", level="error", job=job.__name__, error=one_line(exc))
                return None

        return run  # type: ignore[return-value]
