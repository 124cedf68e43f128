"""Reading pages in worker processes while Scrapy keeps fetching: all the CPU work of a page.

Workers import this module and what it needs to read a page, nothing more: no Scrapy, no
SQLAlchemy (a worker's memory is the crawl's memory, twice over on two cores). Pages travel
to them stripped of what only the archive needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import multiprocessing
import os
import select
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from crawler.items import FetchedPage
from crawler.outcomes import FetchProblem, check_fetch
from crawler.reading import BlockedPage, NotAnArticle, read_article
from store.packing import PreparedBlob, prepare_blob
from store.records import ArticleSnapshot, Outcome

FORKSERVER_RETRIES = 5  # tries to reach a forkserver that is being replaced
FORKSERVER_WAIT = 0.1  # seconds before the first retry (then twice that, and so on)
HEAP_HEADROOM = 12 * 2**20  # bytes a worker's heap may grow past its size after the last trim


@dataclass(frozen=True)
class Reading:
    """What reading one page gives: a snapshot or the outcome and error, and the ready body."""

    snapshot: ArticleSnapshot | None = None
    outcome: Outcome = Outcome.NEW
    error: str | None = None
    blob: PreparedBlob | None = None


def read_fetched(item: FetchedPage) -> ArticleSnapshot:
    """Check and read one fetched page; raises FetchProblem."""
    check_fetch(item)
    try:
        return read_article(
            item.final_url or item.requested_url, item.body or b"", item.headers.get("content-type")
        )
    except BlockedPage as exc:
        raise FetchProblem(Outcome.BLOCKED, f"blocked: {exc}") from exc
    except NotAnArticle as exc:
        raise FetchProblem(Outcome.ERROR, f"nothing extractable: {exc}") from exc


def read_for_archive(item: FetchedPage, prepare: bool = True) -> Reading:
    """Read a page and prepare its body for storage: all the CPU work of one page.

    Module-level and exception-free so a process pool can run it and send the result back.
    """
    blob = prepare_blob(item.body) if prepare and item.body else None
    try:
        snapshot = read_fetched(item)
        _ = snapshot.content_hash, snapshot.word_count  # computed here: they travel cached
        return Reading(snapshot=snapshot, blob=blob)
    except FetchProblem as problem:
        return Reading(outcome=problem.outcome, error=str(problem), blob=blob)
    except Exception as exc:  # a page that was fetched is never dropped: an error capture
        error = f"reading failed: {type(exc).__name__}: {exc}"
        return Reading(outcome=Outcome.ERROR, error=error, blob=blob)


def for_worker(item: FetchedPage) -> FetchedPage:
    """The page as a worker needs it: the archive's record and the listing stay behind."""
    return dataclasses.replace(item, known=None, listing=None)


class ReaderPool:
    """Worker processes reading pages while the crawl goes on, renewed after a share of pages.

    Forkserver: workers start small instead of copying the crawl process (and the forkserver
    stays small too: nothing preloaded). Once the workers have read `pages_per_worker` pages
    each, the pool drains and a fresh one replaces it, so memory stays flat over long crawls
    (loading the extractor again costs about a second). The pool is renewed here rather than
    with ProcessPoolExecutor's `max_tasks_per_child`, which deadlocks before Python 3.14: a
    retired worker is not always replaced and the queued pages then wait forever (CPython
    gh-115634).
    """

    def __init__(self, workers: int, pages_per_worker: int = 4000) -> None:
        self.workers = workers
        self.share = workers * pages_per_worker
        self.executor: ProcessPoolExecutor | None = None
        self.submitted = 0  # pages given to the current executor
        self.renewals = 0
        self.in_flight: set[asyncio.Future[Reading]] = set()
        self.handed: set[Future[Reading]] = set()  # the current pool's pages not read yet
        self.lock = asyncio.Lock()
        self.retrying = asyncio.Lock()
        self.warming: list[Future[None]] = []

    def warm(self) -> None:
        """Start the workers now and have each load the extractor, before any page is sent."""
        executor = self._executor()
        self.warming = [executor.submit(warm_up) for _ in range(self.workers)]

    def is_warm(self) -> bool:
        """Whether the workers started by `warm` have loaded the extractor (or failed to)."""
        return all(started.done() for started in self.warming)

    async def read(self, item: FetchedPage, prepare: bool) -> Reading:
        """Read one page in a worker (read_for_archive), without blocking the crawl.

        A worker that dies (killed, or crashed by a page) breaks the pool: a fresh one takes
        over and the page is tried once more; a page that kills its worker twice is an error.
        """
        try:
            return await self._read_once(item, prepare)
        except BrokenProcessPool:
            pass
        try:
            async with self.retrying:  # one at a time: only the page that kills a worker fails
                return await self._read_once(item, prepare)
        except BrokenProcessPool as exc:
            return Reading(outcome=Outcome.ERROR, error=f"the extraction worker died: {exc}")

    async def _read_once(self, item: FetchedPage, prepare: bool) -> Reading:
        async with self.lock:  # held to submit, and while a spent pool drains
            if self.submitted >= self.share:
                await self._drain()
            submitted = self._submit(for_worker(item), prepare)
            self.submitted += 1
            future = asyncio.wrap_future(submitted)
            self.in_flight.add(future)
            future.add_done_callback(self.in_flight.discard)
        try:
            return await future
        except asyncio.CancelledError:
            if submitted.cancelled() and not _task_cancelled():
                # the pool was closed under it (another page found it broken): like a death
                message = "the extraction pool was replaced before reading it"
                raise BrokenProcessPool(message) from None
            raise

    def _submit(self, page: FetchedPage, prepare: bool) -> Future[Reading]:
        """Hand a page to the pool; if a worker died since the last page, to a fresh pool.

        Python < 3.12 marks a pool broken without the lock `submit` holds, then fails the pages
        it holds. A page submitted meanwhile can fail as the pool starts a worker on its closed
        queue (OSError, "handle is closed"), or be added after the pool failed the others and
        never be read. So a pool that is broken once `submit` returns gets the page again as a
        fresh pool (the flag is set before the pool lets go of any page).
        """
        executor = self._executor()
        try:
            submitted = executor.submit(read_in_worker, page, prepare)
        except (BrokenProcessPool, ConnectionRefusedError, FileNotFoundError):
            pass  # broken, or its forkserver is being replaced: a fresh pool, once it can be
        except OSError:
            if not _broken(executor):
                raise
        else:
            if not _broken(executor):
                return self._handed(submitted)
        return self._handed(self._submit_fresh(page, prepare))

    def _submit_fresh(self, page: FetchedPage, prepare: bool) -> Future[Reading]:
        """The page, to a fresh pool. A worker started on a broken pool's closed queue can take
        the forkserver down with it (Python < 3.12: the forkserver gets a request without its
        file descriptors and exits); until it is gone for good, new workers cannot reach it
        (ConnectionRefusedError). Once it is, multiprocessing starts another: try again."""
        for attempt in range(FORKSERVER_RETRIES):
            self.close(cancel=True)
            try:
                return self._executor().submit(read_in_worker, page, prepare)
            except (ConnectionRefusedError, FileNotFoundError) as exc:
                if attempt == FORKSERVER_RETRIES - 1:  # `read` makes it an error reading
                    raise BrokenProcessPool(f"no forkserver to start workers: {exc}") from exc
                time.sleep(FORKSERVER_WAIT * (attempt + 1))
        raise AssertionError("unreachable")

    def _handed(self, submitted: Future[Reading]) -> Future[Reading]:
        self.handed.add(submitted)
        submitted.add_done_callback(self.handed.discard)
        return submitted

    def _executor(self) -> ProcessPoolExecutor:
        if self.executor is None:
            context = multiprocessing.get_context("forkserver")
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return self.executor

    async def _drain(self) -> None:
        """Let the spent pool finish its pages, then close it; the next page starts a new one."""
        if self.in_flight:
            await asyncio.wait(list(self.in_flight))
        self.close()
        self.renewals += 1

    def close(self, cancel: bool = False) -> None:
        """Stop the workers: after their current pages, or (`cancel`) at once.

        Cancelling kills the workers first. A broken executor of Python < 3.12 joins its
        remaining workers without stopping them, so a worker spawned just before the breakage
        would hold `shutdown` for ever.
        """
        executor, self.executor, self.submitted = self.executor, None, 0
        handed, self.handed = self.handed, set()
        if executor is None:
            return
        if cancel:
            for process in list((executor._processes or {}).values()):
                process.kill()
        executor.shutdown(wait=True, cancel_futures=cancel)
        # The pool's manager has ended: a page it still holds was lost as it broke (Python <
        # 3.12 can lose pages, even end the manager mid-way): it fails, and `read` retries it.
        for lost in list(handed):
            if not lost.done():
                lost.set_exception(BrokenProcessPool("the extraction pool broke before reading it"))


def _task_cancelled() -> bool:
    """Whether the running task itself is being cancelled (a timeout, the crawl stopping), as
    against a page's future cancelled by its pool's closing."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _broken(executor: ProcessPoolExecutor) -> bool:
    return bool(getattr(executor, "_broken", False))


WARM_UP_PAGE = "<html><body><article><p>Loading the extractor.</p></article></body></html>"


def warm_up() -> None:
    """Load and exercise the extractor in a new worker: its first page then waits for nothing."""
    with contextlib.suppress(NotAnArticle, BlockedPage):
        read_article("http://warm-up.invalid/", WARM_UP_PAGE)


def read_in_worker(item: FetchedPage, prepare: bool) -> Reading:
    """read_for_archive, then hand the C heap back to the system if it has grown."""
    try:
        return read_for_archive(item, prepare)
    finally:
        HEAP.trim_if_grown()


class HeapTrim:
    """Gives a worker's freed C heap back to the system once it has grown past a headroom.

    A big page leaves the C heap grown, and glibc keeps the freed memory. Trimming after every
    page kept a worker's RSS lowest, but the next page touched the returned memory again: about
    1,100 page faults, 4-4.6 ms of system CPU a page. Trimming only when the worker's resident
    size is `headroom` over what it was after the last trim keeps the worker within that
    headroom for about half the system CPU (12 MB: 2.3 ms a page, measured on 600 corpus
    pages; 24 MB cost 0.6 ms, but took a 10,000-page crawl's process tree over 500 MB).
    """

    def __init__(self, headroom: int = HEAP_HEADROOM) -> None:
        self.headroom = headroom
        self.floor: int | None = None  # resident bytes after the last trim
        self.trims = 0

    def trim_if_grown(self) -> None:
        if GLIBC is None:
            return
        resident = resident_bytes()
        if resident is None or (self.floor is not None and resident <= self.floor + self.headroom):
            return
        GLIBC.malloc_trim(0)
        self.trims += 1
        self.floor = resident_bytes() or resident


def resident_bytes() -> int | None:
    """This process's resident set size (Linux), or None where /proc has no statm."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


def _glibc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return None


GLIBC = _glibc()
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
HEAP = HeapTrim()


def _start_worker(crawl_pid: int) -> None:
    """Extraction workers leave Ctrl-C to the crawl, which shuts them down gracefully, and end
    with the crawl process however it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(crawl_pid,), name="crawl-watch", daemon=True).start()


def _exit_with(crawl_pid: int) -> None:
    """Wait for the crawl process to end, then end this worker at once.

    A crawl killed outright (SIGKILL, the OOM killer) cannot shut its workers down, and they
    would not notice: each holds both ends of the pool's queues, and the forkserver that
    started them waits for them. Linux tells a process's end through a pidfd; elsewhere the
    crawl is looked for every second.
    """
    try:
        watch = select.poll()  # poll, not select: any descriptor number
        watch.register(os.pidfd_open(crawl_pid), select.POLLIN)
        watch.poll()  # readable once the process has ended
    except ProcessLookupError:  # ended already
        pass
    except (AttributeError, OSError):  # no pidfd here
        while _alive(crawl_pid):
            time.sleep(1)
    os._exit(0)


def _alive(pid: int) -> bool:
    """Whether `pid` is still this user's process (store.owners.process_alive brings SQLAlchemy
    with it, which workers leave out, and counts another user's process as alive)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or the pid taken by another user
        return False
    return True
