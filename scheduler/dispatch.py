"""Any worker, scheduler or not: claim queued runs while there are free slots, and start them."""

from __future__ import annotations

from sqlalchemy import Engine

from scheduler.runner import ClaimedRun, CrawlRunner
from store.claims import claim_run
from store.db import transaction
from store.models import Source
from store.owners import WorkerIdentity


class Dispatcher:
    """Keeps up to `max_parallel` crawls running from the shared queue."""

    def __init__(
        self, engine: Engine, identity: WorkerIdentity, runner: CrawlRunner, max_parallel: int
    ) -> None:
        self.engine = engine
        self.identity = str(identity)
        self.runner = runner
        self.max_parallel = max_parallel

    def fill(self) -> int:
        """Claim and start runs until the slots are full or the queue is empty; how many started."""
        started = 0
        while self.runner.count() < self.max_parallel:
            claimed = self._claim()
            if claimed is None:
                break
            self.runner.start(claimed)
            started += 1
        return started

    def _claim(self) -> ClaimedRun | None:
        with transaction(self.engine) as session:
            run = claim_run(session, self.identity)
            if run is None or run.source_id is None:
                return None
            source = session.get(Source, run.source_id)
            name = source.name if source is not None else str(run.source_id)
            return ClaimedRun(run_id=run.id, source=name, kind=run.kind)
