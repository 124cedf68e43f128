"""`archivist worker`'s engine: the main loop, the scheduler role, graceful and forced stops.

The main thread owns everything that starts or stops work: it heartbeats, takes or loses the
scheduler role, claims queued runs and, on a signal, drains. Signal handlers only count the
signal; a self-pipe (also the signal wake-up fd) wakes the loop at once.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from dataclasses import dataclass
from types import FrameType

from crawler.normalise.boilerplate import RulesError
from crawler.pages.site_rules import check_site_rules
from scheduler.dispatch import Dispatcher
from scheduler.leadership import Leadership, leadership_for
from scheduler.logs import EventLog, one_line, route_library_logs
from scheduler.recovery import reap_abandoned_runs
from scheduler.role import SchedulerRole
from scheduler.runner import CrawlRunner
from store.db import is_sqlite, open_archive, safe_url, transaction
from store.leases import acquire_lease, release_lease, renew_lease
from store.owners import WorkerIdentity

HEARTBEAT_SECONDS = 5.0
PRESENCE_TTL_SECONDS = 30.0
ROLE_RETRY_SECONDS = 3.0  # a standby worker asks for the scheduler role this often
TICK_SECONDS = 1.0  # the loop also claims work on this beat (other workers' queued runs)


class WorkerRefused(RuntimeError):
    """This worker may not run on this archive (another one holds it)."""


@dataclass(frozen=True)
class WorkerSettings:
    """Everything `archivist worker` can be told."""

    url: str
    max_parallel: int = 2
    grace: float = 30.0
    crawl_timeout: float = 3600.0
    sync_every: float = 30.0
    revisit_every: float = 300.0
    crawl_args: tuple[str, ...] = ()


class Waker:
    """A self-pipe: threads and signals make the main loop's wait return early."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)

    def wake(self) -> None:
        """Make the current or next `wait` return at once."""
        with contextlib.suppress(BlockingIOError):  # pipe full: a wake-up is pending anyway
            os.write(self.write_fd, b"\0")

    def wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, or until woken."""
        readable, _, _ = select.select([self.read_fd], [], [], max(seconds, 0))
        if readable:
            try:
                while os.read(self.read_fd, 512):
                    pass
            except BlockingIOError:
                pass

    def close(self) -> None:
        """Close both ends of the pipe."""
        os.close(self.read_fd)
        os.close(self.write_fd)


class Worker:
    """One worker process: claims and runs crawls; holds the scheduler role when it can."""

    def __init__(self, settings: WorkerSettings, log: EventLog) -> None:
        self.settings = settings
        self.log = log
        route_library_logs(log, "apscheduler")  # its warnings (e.g. a missed job) as events
        self.identity = WorkerIdentity.mine()
        try:  # every crawl would fail on a broken rules file: refuse to start instead
            check_site_rules()
        except RulesError as exc:
            raise WorkerRefused(str(exc)) from exc
        self.engine = open_archive(settings.url)
        self.waker = Waker()
        self.runner = CrawlRunner(self.engine, settings.url, log, settings.crawl_timeout,
                                  settings.crawl_args, on_exit=self.waker.wake)  # fmt: skip
        self.dispatcher = Dispatcher(self.engine, self.identity, self.runner, settings.max_parallel)
        self.leadership: Leadership = leadership_for(settings.url, self.engine, self.identity)
        self.role: SchedulerRole | None = None
        self.signals = 0
        self.lost_archive = False
        self._next_heartbeat = self._next_role_try = self._next_reap = 0.0

    def run(self) -> int:
        """Run until a signal; 0 after a clean stop, 1 if the archive was taken over."""
        self._enter()
        try:
            self._loop()
        finally:
            self._drain()
            self._leave()
        return 1 if self.lost_archive else 0

    # --- start and stop ---------------------------------------------------------------------

    def _enter(self) -> None:
        sqlite = is_sqlite(self.settings.url)
        if sqlite and not self.leadership.try_acquire():
            self._dispose()
            raise WorkerRefused(
                f"another worker is already running on {safe_url(self.settings.url)}: "
                f"{self.leadership.describe_holder()}. On SQLite only one worker may run per "
                "archive; use PostgreSQL to run several."
            )
        self._heartbeat_presence(first=True)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        signal.set_wakeup_fd(self.waker.write_fd, warn_on_full_buffer=False)
        self.log.event("worker.started", worker=self.identity, db=safe_url(self.settings.url),
                       max_parallel=self.settings.max_parallel, grace=self.settings.grace,
                       crawl_timeout=self.settings.crawl_timeout)  # fmt: skip

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.signals += 1

    def _drain(self) -> None:
        """Stop queueing and claiming; let crawls finish within the grace period, then stop them."""
        self._drop_role("stopping")
        active = self.runner.count()
        self.log.event("worker.stopping", signals=self.signals, active_runs=active,
                       grace=self.settings.grace)  # fmt: skip
        deadline = time.monotonic() + self.settings.grace
        beat = time.monotonic()
        while self.runner.count() and time.monotonic() < deadline and self.signals < 2:
            self.waker.wait(min(0.5, deadline - time.monotonic()))
            if time.monotonic() - beat >= PRESENCE_TTL_SECONDS / 3:  # still alive while draining
                beat = time.monotonic()
                self._safe_heartbeat()
        if self.runner.count():
            forced = self.signals >= 2
            reason = ("stopped at once by a second signal to the worker" if forced else
                      f"stopped by the worker's shutdown after the {self.settings.grace:g} s "
                      "grace period")  # fmt: skip
            self.runner.stop_all(reason, hurry=lambda: self.signals >= 2)
        self.runner.join()

    def _leave(self) -> None:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        try:
            self.leadership.release()
            with transaction(self.engine) as session:
                release_lease(session, self.identity.presence_lease, str(self.identity))
        except Exception as exc:  # leases expire on their own: a failed goodbye is harmless
            self.log.event("error", level="error", stage="release", error=one_line(exc))
        self._dispose()
        self.log.event("worker.stopped", worker=self.identity, lost_archive=self.lost_archive,
                       signals=self.signals)  # fmt: skip

    def _dispose(self) -> None:
        self.engine.dispose()
        self.waker.close()

    # --- the loop -----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.signals and not self.lost_archive:
            try:
                self._tick()
            except Exception as exc:  # e.g. the database restarting: log, wait, try again
                self.log.event("error", level="error", stage="loop", error=one_line(exc))
            self.waker.wait(TICK_SECONDS)

    def _tick(self) -> None:
        now = time.monotonic()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_SECONDS
            self._heartbeat_presence()
            self._check_role()
        if self.role is None and now >= self._next_role_try:
            self._next_role_try = now + ROLE_RETRY_SECONDS
            if self.leadership.try_acquire():  # on SQLite: already held since _enter
                self._take_role()
        if self.role is None and now >= self._next_reap:  # the role holder reaps every run
            self._next_reap = now + self.settings.sync_every
            self._reap_here()
        if not self.signals:
            self.dispatcher.fill()

    def _reap_here(self) -> None:
        """Fail the runs left running on this machine by crawls that are gone: only a worker
        here can see that their processes are (the role holder may run elsewhere)."""
        with transaction(self.engine) as session:
            reap_abandoned_runs(session, self.settings.crawl_timeout, self.log, here_only=True)

    def _safe_heartbeat(self) -> None:
        try:
            self._heartbeat_presence()
        except Exception as exc:  # draining goes on; the lease only matters to other workers
            self.log.event("error", level="error", stage="heartbeat", error=one_line(exc))

    def _heartbeat_presence(self, first: bool = False) -> None:
        name, holder = self.identity.presence_lease, str(self.identity)
        with transaction(self.engine) as session:
            if first:
                acquire_lease(session, name, holder, PRESENCE_TTL_SECONDS)
            elif not renew_lease(session, name, holder, PRESENCE_TTL_SECONDS):
                acquire_lease(session, name, holder, PRESENCE_TTL_SECONDS)  # it had lapsed

    def _check_role(self) -> None:
        if self.role is None or self.leadership.still_held():
            return
        self._drop_role("lost")
        if is_sqlite(self.settings.url):  # someone took the archive while this worker stalled
            self.log.event("worker.lost_archive", level="error", worker=self.identity)
            self.lost_archive = True

    def _take_role(self) -> None:
        role = SchedulerRole(
            self.engine, self.log, self.waker.wake, self.settings.sync_every,
            self.settings.revisit_every, self.settings.crawl_timeout,
        )  # fmt: skip
        self.log.event("role.acquired", worker=self.identity, role="scheduler")
        role.start()  # if this fails, the next try builds the role again from scratch
        self.role = role

    def _drop_role(self, why: str) -> None:
        if self.role is None:
            return
        role, self.role = self.role, None
        try:
            role.stop(withdraw=why == "stopping")
        except Exception as exc:  # a stop must go on to drain the crawls whatever happens
            self.log.event("error", level="error", stage="role.stop", error=one_line(exc))
        self.log.event("role.released", worker=self.identity, role="scheduler", why=why)
