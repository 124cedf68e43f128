"""The extraction worker pool: pages read in worker processes, workers renewed as they go."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing import forkserver
from pathlib import Path

import pytest

from crawler.items import FetchedPage
from crawler.pipelines import ArchivePipeline
from crawler.reader_pool import ReaderPool, Reading
from crawler.settings import crawl_settings
from store.records import Outcome
from tests.pages import BODY, article_page


def page(n: int) -> FetchedPage:
    html = article_page(title=f"Story {n}", paragraphs=[f"Story {n}: {BODY[0]}", *BODY[1:]])
    return FetchedPage(
        requested_url=f"https://daily.example/2026/11/story-{n}/",
        fetched_at=datetime.now(UTC),
        final_url=f"https://daily.example/2026/11/story-{n}/",
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=html.encode(),
    )


async def read_all(pool: ReaderPool, count: int) -> list[Reading]:
    try:
        return await asyncio.wait_for(
            asyncio.gather(*(pool.read(page(n), True) for n in range(count))), timeout=120
        )
    finally:
        pool.close()


def test_pool_renews_its_workers_and_reads_every_page() -> None:
    pool = ReaderPool(workers=2, pages_per_worker=2)  # a fresh pool every 4 pages
    readings = asyncio.run(read_all(pool, 11))
    assert pool.renewals == 2
    assert [r.outcome for r in readings] == [Outcome.NEW] * 11
    titles = [r.snapshot.title for r in readings if r.snapshot is not None]
    assert titles == [f"Story {n}" for n in range(11)]
    assert all(r.blob is not None and r.blob.size > 0 for r in readings)


def kill_workers(pool: ReaderPool) -> None:
    """SIGKILL every worker of the pool, as the OOM killer or a segfault would."""
    assert pool.executor is not None
    for process in list(pool.executor._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=10)


FORKSERVER = forkserver._forkserver  # type: ignore[attr-defined]
UNREACHABLE = "/nonexistent/forkserver"  # a forkserver address no socket listens on


async def read_after_a_worker_dies(pool: ReaderPool) -> tuple[Reading, list[Reading]]:
    try:
        first = await pool.read(page(0), True)
        kill_workers(pool)
        rest = await asyncio.wait_for(
            asyncio.gather(*(pool.read(page(n), True) for n in range(1, 6))), timeout=120
        )
        return first, list(rest)
    finally:
        pool.close()


def test_a_dead_worker_is_replaced_and_no_page_is_lost() -> None:
    first, rest = asyncio.run(read_after_a_worker_dies(ReaderPool(workers=2)))
    assert first.outcome is Outcome.NEW
    assert [r.outcome for r in rest] == [Outcome.NEW] * 5
    assert [r.snapshot.title for r in rest if r.snapshot] == [f"Story {n}" for n in range(1, 6)]


def test_a_page_waits_for_a_forkserver_being_replaced() -> None:
    """A worker started on a broken pool's closed queue can take the forkserver down (Python
    < 3.12); until multiprocessing starts another, new workers cannot reach it. The page is
    handed to a fresh pool once it can be."""

    async def scenario(pool: ReaderPool) -> list[Reading]:
        try:
            await pool.read(page(0), True)
            kill_workers(pool)
            address, FORKSERVER._forkserver_address = FORKSERVER._forkserver_address, UNREACHABLE
            threading.Timer(0.15, setattr, (FORKSERVER, "_forkserver_address", address)).start()
            return list(await asyncio.gather(*(pool.read(page(n), True) for n in range(1, 4))))
        finally:
            pool.close()

    readings = asyncio.run(scenario(ReaderPool(workers=2)))
    assert [r.outcome for r in readings] == [Outcome.NEW] * 3


def test_a_forkserver_that_stays_unreachable_gives_an_error_reading() -> None:
    async def scenario(pool: ReaderPool) -> Reading:
        try:
            await pool.read(page(0), True)
            kill_workers(pool)
            address, FORKSERVER._forkserver_address = FORKSERVER._forkserver_address, UNREACHABLE
            try:
                return await pool.read(page(1), True)
            finally:
                FORKSERVER._forkserver_address = address
        finally:
            pool.close()

    reading = asyncio.run(scenario(ReaderPool(workers=2)))
    assert reading.outcome is Outcome.ERROR and reading.error is not None
    assert "no forkserver to start workers" in reading.error


HEAP_SCRIPT = """
import json
from crawler.reader_pool import HeapTrim, resident_bytes
trim = HeapTrim(headroom=16 * 2**20)
trim.trim_if_grown()  # the first call sets the floor
floor = resident_bytes()
chunks = [bytes(1024) for _ in range(150_000)]  # ~150 MB of small mallocs on the C heap
keep = bytes(1024)  # above them: glibc cannot give the freed block back on its own
del chunks
grown = resident_bytes()
trim.trim_if_grown()
after = resident_bytes()
trim.trim_if_grown()  # not grown since: no second trim
print(json.dumps({"floor": floor, "grown": grown, "after": after, "trims": trim.trims}))
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc/self/statm")
def test_a_worker_gives_its_grown_heap_back_once() -> None:
    from crawler.reader_pool import GLIBC

    if GLIBC is None:
        pytest.skip("no glibc to trim")
    done = subprocess.run(
        [sys.executable, "-c", HEAP_SCRIPT], capture_output=True, text=True, check=True
    )
    sizes = json.loads(done.stdout)
    mb = 2**20
    assert sizes["grown"] - sizes["floor"] > 100 * mb  # freed, but still resident
    assert sizes["after"] - sizes["floor"] < 16 * mb  # given back by the trim
    assert sizes["trims"] == 2  # the first call, and the one after growing: none after that


def loaded_modules_of(pid: int) -> set[str]:
    """The extractor's modules a worker has open, from its memory map (lxml's C extensions)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {name for name in ("etree", "_elementpath") if name in maps}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc")
def test_warming_loads_the_extractor_in_every_worker_before_any_page() -> None:
    pool = ReaderPool(workers=2)
    try:
        pool.warm()
        assert pool.executor is not None and pool.submitted == 0  # no page was sent
        wait_until_warm(pool)
        assert pool.is_warm()
        workers = list(pool.executor._processes.values())
        assert len(workers) == 2
        assert all(loaded_modules_of(worker.pid) == {"etree", "_elementpath"} for worker in workers)
    finally:
        pool.close()


# A pipeline with two extraction workers that stores nothing.
PIPELINE_SETTINGS = {
    "ARCHIVIST_STORE": False,
    "ARCHIVIST_EXTRACT_WORKERS": 2,
    "ARCHIVIST_DB_URL": None,
    "ARCHIVIST_CRAWL_RUN_ID": None,
    "ARCHIVIST_SOURCE_ID": None,
}


@contextmanager
def reading_pipeline(read_before_pool: int) -> Iterator[ArchivePipeline]:
    """A pipeline that stores nothing; its workers, if it started them, are stopped after."""
    settings = {**crawl_settings(), **PIPELINE_SETTINGS}
    pipeline = ArchivePipeline({**settings, "ARCHIVIST_READ_BEFORE_POOL": read_before_pool})
    try:
        yield pipeline
    finally:
        if pipeline.pool is not None:
            pipeline.pool.close()


def wait_until_warm(pool: ReaderPool | None) -> None:
    assert pool is not None
    for started in pool.warming:
        started.result(timeout=120)


def test_the_crawl_reads_while_its_workers_start_then_hands_pages_over() -> None:
    with reading_pipeline(read_before_pool=8) as pipeline:
        here = []
        for n in range(1, 9):
            pipeline.read = n
            here.append(pipeline._reader() is None)
        assert here == [True] * 8
        assert pipeline.pool is None  # a crawl that reads eight pages starts no worker
        pipeline.read = 9
        assert pipeline._reader() is None  # the workers have only just been started
        assert pipeline.pool is not None and pipeline.pool.warming
        wait_until_warm(pipeline.pool)
        pipeline.read = 10
        assert pipeline._reader() is pipeline.pool  # warm: the workers read from now on


def test_with_no_pages_before_the_pool_the_workers_read_every_page() -> None:
    with reading_pipeline(read_before_pool=0) as pipeline:
        pipeline.read = 1
        reader = pipeline._reader()  # even while the workers are still starting
        assert reader is not None and reader is pipeline.pool


def test_the_workers_start_once_enough_new_articles_are_on_their_way() -> None:
    from scrapy import Request

    from crawler.items import KNOWN_META
    from store.revisits import KnownDocument

    with reading_pipeline(read_before_pool=2) as pipeline:
        pipeline.request_reached_downloader(Request("http://a.test/feed.xml"))  # not an article
        for n in range(5):  # revisits of known articles: often unchanged, nothing to read
            known = KnownDocument(n, f"http://a.test/old/{n}", "live", None, None)
            revisit = {"article": True, KNOWN_META: known}
            pipeline.request_reached_downloader(Request(known.url, meta=revisit))
        first = Request("http://a.test/1", meta={"article": True, KNOWN_META: None})
        pipeline.request_reached_downloader(first)
        pipeline.request_reached_downloader(first.replace(url="http://a.test/1/"))  # redirected
        pipeline.request_reached_downloader(first.copy())  # retried
        pipeline.request_reached_downloader(Request("http://a.test/2", meta={"article": True}))
        assert pipeline.coming == 2 and pipeline.pool is None  # two: this process reads them
        pipeline.request_reached_downloader(Request("http://a.test/3", meta={"article": True}))
        assert pipeline.pool is not None and pipeline.pool.warming  # before any page is read
        assert pipeline.read == 0
        wait_until_warm(pipeline.pool)
        pipeline.read = 1
        assert pipeline._reader() is pipeline.pool  # warm: the workers read the first page too


def test_the_pipeline_hears_the_requests_that_reach_the_downloader() -> None:
    from scrapy import Request, signals
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict=PIPELINE_SETTINGS)
    pipeline = ArchivePipeline.from_crawler(crawler)
    for n in range(3):
        request = Request(f"http://a.test/{n}", meta={"article": True})
        crawler.signals.send_catch_log(
            signals.request_reached_downloader, request=request, spider=None
        )
    assert pipeline.coming == 3 and pipeline.pool is None  # eight may come before workers start


ORPHAN_SCRIPT = """
import json, multiprocessing.forkserver, time
from crawler.reader_pool import ReaderPool
if __name__ == "__main__":
    pool = ReaderPool(workers=2)
    pool.warm()
    while not pool.is_warm():
        time.sleep(0.05)
    workers = [process.pid for process in pool.executor._processes.values()]
    forkserver = multiprocessing.forkserver._forkserver._forkserver_pid
    print(json.dumps(workers + [forkserver]), flush=True)
    time.sleep(300)
"""


def running(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_the_workers_end_when_the_crawl_is_killed_outright(tmp_path: Path) -> None:
    """SIGKILL (or the OOM killer) gives the crawl no chance to stop its workers."""
    script = tmp_path / "crawl.py"
    script.write_text(ORPHAN_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    crawl = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, env=env)
    assert crawl.stdout is not None
    pids = json.loads(crawl.stdout.readline())
    assert len(pids) == 3 and all(running(pid) for pid in pids)
    crawl.kill()
    crawl.wait()
    deadline = time.monotonic() + 20
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in pids if running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []
