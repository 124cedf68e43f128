"""Crawl subprocesses: start one per claimed run, watch it, and close its row if it could not.

Each crawl is `python -m scheduler crawl NAME --run-id ID` in a new session (process group):
a Ctrl-C in the worker's terminal does not reach it, so the worker alone decides when a crawl
is stopped, and stopping the group also stops the crawl's extraction processes. The archive
URL goes in ARCHIVIST_DB, not on the command line, where `ps` would show its password.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Engine

from scheduler.logs import EventLog, one_line
from store.claims import fail_unfinished, run_status, set_run_pid
from store.db import DB_ENV, transaction
from store.runs import COUNTERS, fail_if_running

# How a crawl is stopped: the first SIGTERM lets Scrapy finish the pages in flight; a second
# makes it stop at once (it still closes its run as interrupted); SIGKILL is the last resort.
ESCALATION = ((signal.SIGTERM, 5.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 0.0))
STDERR_TAIL_BYTES = 4096
LOGGED_COUNTS = (
    "fetched", "skipped_unchanged", "skipped_backoff", "new_documents", "new_versions", "unchanged",
    "errors",
)  # fmt: skip


@dataclass(frozen=True)
class ClaimedRun:
    """A run this worker has marked running and must now carry out."""

    run_id: int
    source: str
    kind: str


@dataclass
class Crawl:
    """A crawl subprocess and what the worker knows about it."""

    run: ClaimedRun
    process: subprocess.Popen[bytes]
    stderr: IO[bytes]
    started: float
    stop_reason: str | None = None
    timed_out: bool = False
    watcher: threading.Thread = field(init=False)


class CrawlRunner:
    """Starts crawl subprocesses, enforces their timeout, records how each one ended."""

    def __init__(
        self,
        engine: Engine,
        url: str,
        log: EventLog,
        timeout: float,
        crawl_args: tuple[str, ...] = (),
        on_exit: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.env = {**os.environ, DB_ENV: url}
        self.log = log
        self.timeout = timeout
        self.crawl_args = crawl_args
        self.on_exit = on_exit
        self.active: dict[int, Crawl] = {}
        self._lock = threading.Lock()

    def count(self) -> int:
        """How many crawls are running now."""
        with self._lock:
            return len(self.active)

    def start(self, run: ClaimedRun) -> None:
        """Spawn the crawl for a claimed run; a spawn failure fails the run."""
        command = [sys.executable, "-m", "scheduler", "crawl", run.source,
                   "--run-id", str(run.run_id), *self.crawl_args]  # fmt: skip
        stderr = tempfile.TemporaryFile()  # noqa: SIM115  # closed by the watcher
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                env=self.env, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            stderr.close()
            self._fail(run, f"could not start the crawl: {exc}")
            return
        crawl = Crawl(run, process, stderr, time.monotonic())
        crawl.watcher = threading.Thread(target=self._watch, args=(crawl,), daemon=True)
        with self._lock:  # watched and counted first: a failed pid write must not orphan it
            self.active[run.run_id] = crawl
        crawl.watcher.start()
        self.log.event("run.started", run=run.run_id, source=run.source, kind=run.kind,
                       pid=process.pid)  # fmt: skip
        try:
            with transaction(self.engine) as session:
                set_run_pid(session, run.run_id, process.pid)
        except Exception as exc:  # the pid is information only; the crawl goes on, watched
            self.log.event("error", level="error", stage="set_run_pid", error=one_line(exc))

    def stop_all(self, reason: str, hurry: Callable[[], bool]) -> None:
        """Stop every crawl (SIGTERM, SIGTERM, SIGKILL); no waiting between once `hurry()`."""
        crawls = self._snapshot()
        for crawl in crawls:
            crawl.stop_reason = reason
        _escalate([c.process for c in crawls], hurry)

    def join(self) -> None:
        """Wait until every watcher has recorded its crawl's end."""
        for crawl in self._snapshot():
            crawl.watcher.join()

    def _snapshot(self) -> list[Crawl]:
        with self._lock:
            return list(self.active.values())

    def _watch(self, crawl: Crawl) -> None:
        try:
            returncode = crawl.process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            crawl.stop_reason = f"timed out after {self.timeout:g} s"
            crawl.timed_out = True
            returncode = _terminate(crawl.process)
        try:
            self._record_end(crawl, returncode)
        except Exception as exc:  # a database hiccup must not leave the slot taken
            self.log.event("error", level="error", run=crawl.run.run_id, error=one_line(exc))
        finally:
            crawl.stderr.close()
            with self._lock:
                self.active.pop(crawl.run.run_id, None)
            self.on_exit()

    def _record_end(self, crawl: Crawl, returncode: int) -> None:
        if returncode < 0:  # killed: its extraction processes may be orphaned in the group
            _signal_group(crawl.process, signal.SIGKILL)
        reason = self.log.scrub(crawl.stop_reason or _exit_reason(returncode, crawl.stderr))
        with transaction(self.engine) as session:
            if crawl.timed_out:  # a time-out is a failure, even if the crawl closed its run
                marked = fail_unfinished(session, crawl.run.run_id, reason)
            else:
                marked = fail_if_running(session, crawl.run.run_id, reason)
            row = run_status(session, crawl.run.run_id)
        seconds = round(time.monotonic() - crawl.started, 2)
        status = row.status if row is not None else "unknown"
        fields: dict[str, Any] = dict(
            run=crawl.run.run_id, source=crawl.run.source, status=status, seconds=seconds,
            exit=returncode,
        )  # fmt: skip
        if marked or status != "finished":
            error = reason if marked else (row.error if row is not None else None)
            self.log.event(f"run.{status}", level="warning", **fields, error=error)
        else:
            counts = {k: getattr(row, k) for k in LOGGED_COUNTS if k in COUNTERS}
            if row is not None and row.warnings:
                self.log.event("run.finished", level="warning", **fields, **counts,
                               warnings=row.warnings)  # fmt: skip
            else:
                self.log.event("run.finished", **fields, **counts)

    def _fail(self, run: ClaimedRun, reason: str) -> None:
        with transaction(self.engine) as session:
            fail_if_running(session, run.run_id, reason)
        self.log.event("run.failed", level="warning", run=run.run_id, source=run.source,
                       error=reason)  # fmt: skip


def _terminate(process: subprocess.Popen[bytes]) -> int:
    _escalate([process], hurry=lambda: False)
    return process.wait()


def _escalate(processes: list[subprocess.Popen[bytes]], hurry: Callable[[], bool]) -> None:
    for signum, patience in ESCALATION:
        alive = [p for p in processes if p.poll() is None]
        for process in alive:
            _signal_group(process, signum)
        deadline = time.monotonic() + patience
        while any(p.poll() is None for p in alive) and time.monotonic() < deadline and not hurry():
            time.sleep(0.1)


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(process.pid, signum)


def _exit_reason(returncode: int, stderr: IO[bytes]) -> str:
    if returncode < 0:
        return f"crawl process killed by {signal.Signals(-returncode).name}"
    what = f"crawl process exited with status {returncode}"
    if returncode == 0:
        return f"{what} without closing its run"
    last = _last_line(stderr)
    return f"{what}: {last}" if last else what


def _last_line(stream: IO[bytes]) -> str:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - STDERR_TAIL_BYTES))
    lines = stream.read().decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip()[:500] if lines else ""
