"""The extraction worker pool: pages read in worker processes, workers renewed as they go."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from crawler.items import FetchedPage
from crawler.reader_pool import ReaderPool, Reading
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
