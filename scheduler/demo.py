"""`archivist demo`: the whole job on this machine, no internet, in under a minute.

Serves the bundled news site on 127.0.0.1, adds it to a fresh SQLite archive as a feed source
and a sitemap source, runs the real worker (real crawl subprocesses, real extraction) for a
few short cycles while the newsroom corrects one article, then shows what is in the archive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from scheduler.demo_report import show_archive
from scheduler.demo_server import DemoSite
from store.db import make_engine, open_archive, transaction
from store.models import CrawlRun, Document, Source
from store.sources import add_source

EVERY_SECONDS = 4  # short cycles, so a few of them fit in the demo
SOURCES = (("gazette-feed", "feed", "/feed/"), ("gazette-sitemap", "sitemap", "/sitemap.xml"))
STORY_DEADLINE_SECONDS = 90.0  # normally ~20 s; the margin is for a loaded machine
WORKER_STOP_SECONDS = 20.0
ARCHIVE_FILES = ("archive.db", "archive.db-wal", "archive.db-shm", "worker.log")

Say = Callable[[str], None]


class DemoError(RuntimeError):
    """The demo cannot run here (its directory holds something that is not a demo)."""


@dataclass(frozen=True)
class DemoResult:
    """How the demo ended: the edit archived or not, stopped by Ctrl-C or not."""

    complete: bool
    interrupted: bool = False


@dataclass
class Story:
    """What the demo has seen the worker do so far."""

    reported: set[int] = field(default_factory=set)
    finished: int = 0
    edited: bool = False


def prepare_archive(directory: Path) -> Path:
    """A fresh archive file in `directory`; an earlier demo's files there are replaced."""
    archive = directory / "archive.db"
    if archive.exists():
        _check_is_demo(archive)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ARCHIVE_FILES:
        (directory / name).unlink(missing_ok=True)
    return archive.resolve()


def _check_is_demo(archive: Path) -> None:
    """Refuse to replace an archive that is not an earlier demo's (at any schema revision: a
    demo left by an older archivist is replaced too)."""
    engine = make_engine(f"sqlite:///{archive}")
    try:
        with engine.connect() as connection:
            names = set(connection.scalars(text("SELECT name FROM sources")))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DemoError(f"{archive} exists and is not a demo archive ({reason})") from exc
    finally:
        engine.dispose()
    if not names <= {name for name, _, _ in SOURCES}:
        raise DemoError(
            f"{archive} is an archive with other sources, not an earlier demo: "
            "choose another directory with --keep DIR"
        )


def add_demo_sources(engine: Engine, site: DemoSite) -> None:
    """The demo site as a feed source and a sitemap source, both every few seconds."""
    with transaction(engine) as session:
        for name, kind, path in SOURCES:
            add_source(session, name, kind, site.base + path, every_seconds=EVERY_SECONDS)


def start_worker(url: str, directory: Path) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """The real `archivist worker`, as a user would start it (its log in the demo directory)."""
    stderr = tempfile.TemporaryFile()  # noqa: SIM115  # closed by _tell_worker_errors
    command = [sys.executable, "-m", "scheduler", "worker", "--db", url, "--max-parallel", "1",
               "--sync-every", "2s", "--revisit-every", "0", "--grace", "10s",
               "--log-file", str(directory / "worker.log"),
               # Six pages: reading them in the crawl process beats starting a process pool.
               "--set", "ARCHIVIST_EXTRACT_WORKERS=0"]  # fmt: skip
    # Its own session: a Ctrl-C in the terminal reaches the demo alone, which then stops the
    # worker once, gracefully (a second signal would make the worker kill its crawl at once).
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=stderr, start_new_session=True)  # fmt: skip
    return process, stderr


def follow_story(
    engine: Engine, site: DemoSite, worker: subprocess.Popen[bytes], say: Say, started: float
) -> bool:
    """Report runs as they end; edit the article after the first; True once the edit is archived."""
    story = Story()
    deadline = time.monotonic() + STORY_DEADLINE_SECONDS
    while time.monotonic() < deadline and worker.poll() is None and not INTERRUPTS.count:
        for line in _new_run_lines(engine, story):
            say(f"[{time.monotonic() - started:5.1f}s] {line}")
        if story.finished and not story.edited:
            site.edit()
            story.edited = True
            title = site.edited_article.title
            say(f"[{time.monotonic() - started:5.1f}s] the newsroom corrects “{title}”")
        if story.edited and story.finished >= 3 and _versions(engine, site) >= 2:
            return True
        time.sleep(0.3)
    return False


def _new_run_lines(engine: Engine, story: Story) -> list[str]:
    with transaction(engine) as session:
        rows = session.execute(
            select(CrawlRun, Source.name)
            .join(Source, Source.id == CrawlRun.source_id)
            .where(CrawlRun.finished_at.is_not(None))
            .order_by(CrawlRun.id)
        ).all()
    lines = []
    for run, source in rows:
        if run.id in story.reported:
            continue
        story.reported.add(run.id)
        story.finished += run.status == "finished"
        lines.append(
            f"run {run.id} of {source} {run.status}: {run.discovered} listed, {run.fetched} "
            f"fetched, {run.new_documents} new articles, {run.new_versions} new versions, "
            f"{run.unchanged} unchanged" + (f" ({run.error})" if run.error else "")
        )
    return lines


def _versions(engine: Engine, site: DemoSite) -> int:
    url = site.base + site.edited_article.path
    with transaction(engine) as session:
        count = session.scalar(select(func.max(Document.version_count)).where(Document.url == url))
    return int(count or 0)


class Interrupts:
    """The stop signals the demo has had (Ctrl-C, SIGTERM, SIGHUP), counted by its handler.

    The handler raises KeyboardInterrupt to break off what the demo is doing, but Python prints
    and ignores an exception raised while it runs a garbage-collection callback, and a Ctrl-C
    can land there. So the count is what decides, and the handler itself sends the worker its
    second SIGTERM: a second Ctrl-C stops the worker at once even when its exception is lost.
    """

    def __init__(self) -> None:
        self.count = 0
        self.worker: subprocess.Popen[bytes] | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count >= 2 and self.worker is not None:
            _signal(self.worker, signal.SIGTERM)  # the worker's "second signal": stop at once
        raise KeyboardInterrupt(signal.Signals(signum).name)


INTERRUPTS = Interrupts()


def quiet_lost_interrupts(unraisable: sys.UnraisableHookArgs) -> None:
    """sys.unraisablehook for the demo: a KeyboardInterrupt Python swallowed is not an error to
    print (INTERRUPTS counted its signal); anything else is printed as usual."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)


def stop_worker(worker: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as systemd or Docker would send; the worker's exit status.

    A second Ctrl-C while the worker drains sends it a second SIGTERM (see Interrupts): the
    worker then stops its crawls at once (their process groups: SIGTERM, then SIGKILL) and
    exits; KeyboardInterrupt then tells the caller.
    """
    _signal(worker, signal.SIGTERM)
    try:
        code = _wait(worker)
    except KeyboardInterrupt:
        _wait(worker)
        raise
    if INTERRUPTS.count >= 2:  # a second signal whose KeyboardInterrupt Python swallowed
        raise KeyboardInterrupt("a second stop signal")
    return code


def _wait(worker: subprocess.Popen[bytes]) -> int:
    """The worker's exit status; a worker that outlives its own escalation is killed."""
    try:
        return worker.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.wait()


def _signal(worker: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just exited
        if worker.poll() is None:
            os.kill(worker.pid, signum)


def run_demo(directory: Path, port: int, say: Say) -> DemoResult:
    """The whole demo: complete when the worker archived the edit and stopped cleanly.

    Ctrl-C stops the worker gracefully and still shows what was archived so far.
    """
    archive = prepare_archive(directory)
    url = f"sqlite:///{archive}"
    site = DemoSite(port).start()
    try:
        engine = open_archive(url)
        add_demo_sources(engine, site)
        _introduce(site, archive, directory, say)
        started = time.monotonic()
        worker, stderr = start_worker(url, directory)
        INTERRUPTS.worker = worker
        complete = interrupted = False
        try:
            complete = follow_story(engine, site, worker, say, started)
            interrupted = bool(INTERRUPTS.count)  # its KeyboardInterrupt may have been lost
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if interrupted:
                say(f"[{time.monotonic() - started:5.1f}s] interrupted: stopping the worker")
            code = stop_worker(worker)
            elapsed = time.monotonic() - started
            say(f"[{elapsed:5.1f}s] worker stopped (SIGTERM), exit status {code}")
            _tell_worker_errors(stderr, say)
        engine.dispose()
        page = site.page(site.edited_article.path)[2]
    finally:
        site.stop()
    show_archive(archive, site.base + site.edited_article.path, page, say)
    return DemoResult(complete=complete and code == 0, interrupted=interrupted)


def _introduce(site: DemoSite, archive: Path, directory: Path, say: Say) -> None:
    say(
        f"demo site   {site.base}/  ({len(site.articles)} articles, a feed and a sitemap,"
        " served from this machine)"
    )
    say(f"archive     {archive}  (a fresh SQLite file)")
    sources = ", ".join(f"{name} ({kind}, every {EVERY_SECONDS}s)" for name, kind, _ in SOURCES)
    say(f"sources     {sources}")
    say(f"worker      archivist worker --max-parallel 1  (log: {directory / 'worker.log'})")
    say("")


def _tell_worker_errors(stderr: IO[bytes], say: Say) -> None:
    stderr.seek(0)
    text = stderr.read().decode("utf-8", "replace").strip()
    stderr.close()
    if text:
        say(f"worker said: {text}")
