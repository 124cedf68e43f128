"""One crawl run of a source: discovery and due revisits -> fetch -> read -> archive, counted.

Runs Scrapy in this process (Twisted's reactor cannot restart: one crawl per process).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import create_looping_call
from sqlalchemy import Engine, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from twisted.python.failure import Failure

from crawler.items import FetchedPage
from crawler.normalise.boilerplate import RulesError
from crawler.normalise.urls import canonical_url
from crawler.pages.site_rules import check_site_rules
from crawler.settings import checked_settings, crawl_settings, template_policy
from crawler.spiders.article import ArticleSpider
from crawler.spiders.feed import FeedSpider
from crawler.spiders.section import SectionSpider
from crawler.spiders.sitemap import SitemapSpider
from store.claims import live_running_runs, lock_source
from store.db import database_url, make_engine, open_archive, transaction
from store.models import CrawlRun, Source
from store.owners import WorkerIdentity, process_start_mark, this_host
from store.revisits import due_revisits
from store.runs import finish_run, start_run
from store.sources import get_source
from store.templates import Learned, learn_template

logger = logging.getLogger(__name__)

SPIDERS: dict[str, type[ArticleSpider]] = {
    "feed": FeedSpider,
    "sitemap": SitemapSpider,
    "start": SectionSpider,
}
OUTCOME_COUNTERS = {
    "new": "new_documents",
    "changed": "new_versions",
    "unchanged": "unchanged",
    "not_modified": "not_modified",
    "gone": "gone",
    "redirected": "redirected",
    "blocked": "blocked",
    "error": "errors",
}


class RunError(RuntimeError):
    """A crawl that cannot start: unknown source, a --run-id that is not usable, or a source
    that another run is crawling."""


@dataclass
class CrawlResult:
    """How a run ended, its counts, and the pages that failed."""

    run_id: int
    status: str
    counts: dict[str, int]
    error: str | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)
    template: Learned | None = None  # what learning the source's template found after the run
    warnings: str | None = None  # what went wrong without failing it: a truncated feed


def run_counts(stats: StatsCollector) -> dict[str, int]:
    """The crawl_runs counters from a crawl's stats."""
    counts = {column: int(stats.get_value(f"archivist/{column}", 0)) for column in COUNTED}
    counts["discovered"] = int(stats.get_value("archivist/discovered", 0))
    counts["bytes"] = int(stats.get_value("downloader/response_bytes", 0))
    return counts


# listed URLs the crawl did not fetch (crawler.middlewares.known counts them)
SKIP_COUNTERS = ("skipped_unchanged", "skipped_backoff")
COUNTED = (*OUTCOME_COUNTERS.values(), "fetched", *SKIP_COUNTERS)


def count_page(stats: StatsCollector, page: FetchedPage) -> None:
    """Add one archived page to the run's counters."""
    if page.status is not None:
        stats.inc_value("archivist/fetched")
    column = OUTCOME_COUNTERS.get(page.outcome or "error", "errors")
    if page.redirected and column != "redirected":
        stats.inc_value("archivist/redirected")
    stats.inc_value(f"archivist/{column}")


class RunLedger:
    """Counts archived pages and writes the counts to the run row every few seconds."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.run_id: int | None = crawler.settings.get("ARCHIVIST_CRAWL_RUN_ID")
        self.url: str | None = crawler.settings.get("ARCHIVIST_DB_URL")
        self.every = crawler.settings.getfloat("ARCHIVIST_PROGRESS_SECONDS")
        self.engine: Engine | None = None
        self.loop: Any = None
        crawler.signals.connect(self.scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.failed, signal=signals.item_error)
        crawler.signals.connect(self.open, signal=signals.spider_opened)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def scraped(self, item: FetchedPage) -> None:
        count_page(self.stats, item)

    def failed(self, item: FetchedPage) -> None:
        """A page the pipeline could not finish (it raised): an error, never silence."""
        if item.status is not None:
            self.stats.inc_value("archivist/fetched")
        self.stats.inc_value("archivist/errors")

    def open(self) -> None:
        if self.run_id is None or self.url is None or self.every <= 0:
            return
        self.engine = make_engine(self.url)
        self.loop = create_looping_call(self.write)
        self.loop.start(self.every, now=False)

    def write(self) -> None:
        """Progress for `archivist runs` while the crawl goes on; final counts come later."""
        assert self.engine is not None and self.run_id is not None
        with transaction(self.engine) as session:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == self.run_id, CrawlRun.status == "running")
                .values(**run_counts(self.stats))
            )

    def close(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.engine is not None:
            self.engine.dispose()


@dataclass
class CrawlPlan:
    """What one run will do, read from the archive before Scrapy starts."""

    run_id: int
    source_id: int
    kind: str
    spider_args: dict[str, Any]
    settings: dict[str, Any]


def plan_crawl(
    engine: Engine, name: str, overrides: dict[str, Any], run_id: int | None = None
) -> CrawlPlan:
    """Open (or adopt) the run row and gather the source, its settings and its due revisits."""
    with transaction(engine) as session:
        source = get_source(session, name)
        defaults = {"ARCHIVIST_EXTRACT_WORKERS": os.cpu_count() or 1}
        settings = crawl_settings({**defaults, **usable_settings(source), **overrides})
        run = adopt_run(session, run_id, source) if run_id else start_hand_run(session, source)
        due = due_revisits(
            session,
            source.id,
            datetime.now(UTC),
            limit=int(settings.get("ARCHIVIST_LIMIT") or 0),
            everything=bool(settings.get("ARCHIVIST_REVISIT_ALL")),
        )
        due = [(document_id, revisit_address(url)) for document_id, url in due]
        spider_args: dict[str, Any] = {
            "source_url": source.url,
            "revisits": due,
            "discover": run.kind != "revisit",  # a revisit run checks known articles only
        }
        if source.kind == "start":
            spider_args.update(follow=source.follow, depth=source.depth)
        return CrawlPlan(run.id, source.id, source.kind, spider_args, settings)


def revisit_address(url: str) -> str:
    """What a revisit fetches: the address that last brought the page, in canonical form.

    Not the document's own URL: a page's rel=canonical can name an address that does not
    answer (a redirecting or AMP address, another path scheme), while this one did. Its
    canonical form drops only what no server needs (tracking parameters such as utm_* from a
    shared link, a fragment, a default port): a one-off `fetch` of a shared link does not make
    every later revisit send them again, and a revisit and a listing of the same article ask
    for the same address. (Each canonical address is fetched once per run either way: see
    crawler.middlewares.known.)
    """
    return canonical_url(url)


def source_settings(source: Source) -> dict[str, Any]:
    """Per-source crawl settings kept in the source's options (`source add -s NAME=VALUE`)."""
    return dict((source.options or {}).get("settings") or {})


def usable_settings(source: Source) -> dict[str, Any]:
    """The source's settings, checked: one stored before values were checked (`LIMIT=abc`)
    stops the crawl with a one-line error before anything is fetched, never mid-crawl."""
    try:
        return checked_settings(source_settings(source))
    except ValueError as exc:
        raise RunError(
            f"source {source.name}: {exc}: change it with `archivist source edit {source.name} "
            "-s NAME=VALUE` or `--unset NAME`"
        ) from exc


def start_hand_run(session: Session, source: Source) -> CrawlRun:
    """Open the row of a crawl started by hand, unless a run of its source is running and alive.

    The check and the new row are one transaction with the source's row locked: two crawls
    started at once, or a worker claiming the source meanwhile, cannot both go ahead. A running
    row left by a crawl on this host whose process is gone is failed first (as the worker's
    reaper would) and does not stand in the way; queued runs wait their turn and do not either.
    """
    if not lock_source(session, source.id):
        raise RunError(f"source {source.name} was removed meanwhile: nothing to crawl")
    live, failed = live_running_runs(session, source.id)
    if live:
        raise RunError(
            f"source {source.name} is being crawled by run {live[0].id} "
            f"({crawled_by(live[0])}): wait for it to end"
        )
    for running, reason in failed:
        logger.warning(
            "warning: run %s of %s was left running: marked failed (%s)",
            running.id,
            source.name,
            reason,
        )
    return start_run(session, source.id, worker=this_host(), pid=os.getpid())


def crawled_by(run: CrawlRun) -> str:
    """Who is carrying out a running run and since when, for the one-line refusal."""
    started = f"started {run.started_at:%Y-%m-%d %H:%M} UTC"
    if WorkerIdentity.parse(run.worker) is None:
        host = run.worker or "an unknown host"
        return f"crawl started by hand on {host}, pid {run.pid}, {started}"
    return f"worker {run.worker}, {started}"


def adopt_run(session: Session, run_id: int, source: Source) -> CrawlRun:
    """The `running` row a worker opened for this crawl."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise RunError(f"no crawl run {run_id}")
    if run.status != "running":
        raise RunError(f"crawl run {run_id} is {run.status}, not running")
    if run.source_id not in (None, source.id):
        raise RunError(f"crawl run {run_id} belongs to another source")
    run.source_id, run.pid = source.id, os.getpid()
    run.pid_start = process_start_mark(run.pid)
    return run


def crawl_source(
    name: str,
    db_url: str | None = None,
    overrides: dict[str, Any] | None = None,
    run_id: int | None = None,
    on_page: Callable[[FetchedPage, StatsCollector], None] | None = None,
) -> CrawlResult:
    """Run one crawl of source `name` in this process and close its run row."""
    url = database_url(db_url)
    engine = open_archive(url, create=False)  # a crawl needs a source: no archive, no source
    try:
        plan = plan_crawl(engine, name, dict(overrides or {}), run_id)
        result = unreadable_rules(plan) or _run_scrapy(plan, url, on_page)
        with transaction(engine) as session:
            finish_run(
                session,
                result.run_id,
                result.status,
                result.counts,
                result.error,
                result.warnings,
            )
        result.template = learn_after_run(engine, plan)
        return result
    finally:
        engine.dispose()


def unreadable_rules(plan: CrawlPlan) -> CrawlResult | None:
    """A broken ARCHIVIST_SITE_RULES file fails the run before anything is fetched.

    As an invalid feed does: the run row (the worker's own, with --run-id) says why, and no
    page is fetched that could not be read.
    """
    try:
        check_site_rules()
    except RulesError as exc:
        return CrawlResult(plan.run_id, "failed", {}, str(exc))
    return None


def learn_after_run(engine: Engine, plan: CrawlPlan) -> Learned | None:
    """Learn the source's template from the archive as this run left it."""
    policy = template_policy(plan.settings)
    if not policy.enabled or not plan.settings.get("ARCHIVIST_STORE", True):
        return None
    try:
        with transaction(engine) as session:
            return learn_template(session, plan.source_id, policy, datetime.now(UTC))
    except SQLAlchemyError as exc:  # the run itself went well: learning waits for the next one
        logger.warning("learning the template of source %s failed: %s", plan.source_id, exc)
        return None


def _run_scrapy(
    plan: CrawlPlan, url: str, on_page: Callable[[FetchedPage, StatsCollector], None] | None
) -> CrawlResult:
    settings = {
        **plan.settings,
        "ARCHIVIST_DB_URL": url,
        "ARCHIVIST_CRAWL_RUN_ID": plan.run_id,
        "ARCHIVIST_SOURCE_ID": plan.source_id,
        "EXTENSIONS": {**plan.settings.get("EXTENSIONS", {}), "crawler.crawl.RunLedger": 0},
        "LOG_INSTALL_ROOT_HANDLER": False,
    }
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SPIDERS[plan.kind])
    failures: list[tuple[str, str]] = []

    def scraped(item: FetchedPage) -> None:
        if item.outcome == "error":
            failures.append((item.requested_url, item.error or "error"))
        if on_page is not None:
            on_page(item, crawler.stats)

    def failed(item: FetchedPage, failure: Failure) -> None:
        failures.append((item.requested_url, f"{failure.getErrorMessage()}"))

    crawler.signals.connect(scraped, signal=signals.item_scraped)
    crawler.signals.connect(failed, signal=signals.item_error)
    crashes: list[str] = []

    def crashed(failure: Failure) -> None:
        crashes.append(f"{failure.type.__name__ if failure.type else 'error'}: {failure.value}")

    try:
        process.crawl(crawler, **plan.spider_args).addErrback(crashed)
        process.start()
    except Exception as exc:  # the crawl could not run at all: the run failed, say why
        crashes.append(f"{type(exc).__name__}: {exc}")
    result = _ending(plan.run_id, crawler, failures, crashes)
    warnings = getattr(crawler.spider, "discovery_warnings", None) if crawler.spider else None
    result.warnings = "; ".join(warnings) if warnings else None
    return result


def _ending(
    run_id: int, crawler: Crawler, failures: list[tuple[str, str]], crashes: list[str]
) -> CrawlResult:
    counts = run_counts(crawler.stats)
    if crashes:
        return CrawlResult(run_id, "failed", counts, "; ".join(crashes), failures)
    reason = crawler.stats.get_value("finish_reason")
    discovery_errors = getattr(crawler.spider, "discovery_errors", [])
    if reason in ("shutdown", None):  # None: a second signal stopped the reactor at once
        return CrawlResult(run_id, "interrupted", counts, "interrupted by a signal", failures)
    if discovery_errors:
        return CrawlResult(run_id, "failed", counts, "; ".join(discovery_errors), failures)
    return CrawlResult(run_id, "finished", counts, None, failures)
