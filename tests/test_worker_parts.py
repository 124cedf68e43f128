"""The worker's parts in one process: leases, the run queue, jobs and triggers, log lines."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from click.testing import CliRunner
from sqlalchemy import Engine, update

from scheduler.cli import cli
from scheduler.identity import known_dead
from scheduler.jobs import (
    JOB_DEFAULTS,
    SourceJobs,
    cron_zone,
    first_fire_time,
    make_scheduler,
    source_trigger,
)
from scheduler.logs import EventLog, url_secrets
from scheduler.recovery import reap_abandoned_runs
from store.claims import claim_run, discard_queued, enqueue_run, latest_runs
from store.db import open_archive, session_factory, transaction
from store.leases import acquire_lease, live_holders, release_lease, renew_lease
from store.models import CrawlRun, SchedulerLease, Source
from store.owners import WorkerIdentity
from store.sources import add_source, list_sources, update_source

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_archive(db_url)
    yield engine
    engine.dispose()


def sources(engine: Engine, *names: str, every: int = 60) -> list[int]:
    with transaction(engine) as session:
        return [add_source(session, n, "feed", f"http://x.test/{n}", every_seconds=every).id
                for n in names]  # fmt: skip


# --- leases -----------------------------------------------------------------------------------


def test_lease_is_held_renewed_released_and_taken_when_expired(engine: Engine) -> None:
    with transaction(engine) as session:
        assert acquire_lease(session, "scheduler", "a", 30).holder == "a"
    with transaction(engine) as session:
        assert acquire_lease(session, "scheduler", "b", 30).holder == "a"  # a holds it
        assert renew_lease(session, "scheduler", "a", 30)
        assert not renew_lease(session, "scheduler", "b", 30)
        assert live_holders(session, "sched") == {"a"}
    with transaction(engine) as session:  # a stops heartbeating: its lease runs out
        session.execute(
            update(SchedulerLease).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with transaction(engine) as session:
        assert live_holders(session, "sched") == set()
        assert acquire_lease(session, "scheduler", "b", 30).holder == "b"
        release_lease(session, "scheduler", "a")  # not a's any more: nothing happens
        assert acquire_lease(session, "scheduler", "c", 30).holder == "b"
        release_lease(session, "scheduler", "b")
        assert acquire_lease(session, "scheduler", "c", 30).holder == "c"


def test_lease_of_a_dead_local_worker_is_taken_at_once(engine: Engine) -> None:
    dead = WorkerIdentity(WorkerIdentity.mine().host, 2**22 + 12345, "0badc0de")  # no such pid
    alive = WorkerIdentity.mine()
    elsewhere = WorkerIdentity("another-host", 1, "0badc0de")
    assert known_dead(str(dead)) and not known_dead(str(alive))
    assert not known_dead(str(elsewhere)) and not known_dead("a crawl run by hand")
    with transaction(engine) as session:
        acquire_lease(session, "scheduler", str(dead), 30)
        lease = acquire_lease(
            session, "scheduler", "me", 30, may_take=lambda held: known_dead(held.holder)
        )
        assert lease.holder == "me"


def test_worker_identity_round_trips_and_fits_lease_names() -> None:
    me = WorkerIdentity.mine()
    assert WorkerIdentity.parse(str(me)) == me
    assert WorkerIdentity.parse("hostname-only") is None and WorkerIdentity.parse(None) is None
    assert len(me.presence_lease) <= 40


# --- the run queue ----------------------------------------------------------------------------


def test_one_active_run_per_source(engine: Engine) -> None:
    one, two = sources(engine, "one", "two")
    with transaction(engine) as session:
        first = enqueue_run(session, one)
        assert first is not None and first.status == "queued"
        assert enqueue_run(session, one) is None  # already queued
    with transaction(engine) as session:
        claimed = claim_run(session, "w1")
        assert claimed is not None and claimed.id == first.id
        assert (claimed.status, claimed.worker) == ("running", "w1")
        assert enqueue_run(session, one) is None  # running
        assert claim_run(session, "w2") is None  # nothing queued
        assert enqueue_run(session, two) is not None
        assert claim_run(session, "w2").source_id == two


def test_disabled_and_removed_sources_lose_their_queued_runs(engine: Engine) -> None:
    one, two = sources(engine, "one", "two")
    with transaction(engine) as session:
        enqueue_run(session, one)
        enqueue_run(session, two)
        update_source(session, "one", enabled=False)
    with transaction(engine) as session:
        assert enqueue_run(session, one) is None  # disabled: never queued
        assert claim_run(session, "w").source_id == two  # the disabled one is passed over
        enqueue_run(session, two)
        assert discard_queued(session, dead_only=True) == 1  # only the disabled source's
        assert discard_queued(session) == 0  # two's run is running, not queued


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_claims_skip_locked_rows_instead_of_waiting(engine: Engine) -> None:
    one, two = sources(engine, "one", "two")
    with transaction(engine) as session:
        enqueue_run(session, one)
        enqueue_run(session, two)
    factory = session_factory(engine)
    with factory() as first, factory() as second:
        mine = claim_run(first, "w1")  # not committed yet: its rows stay locked
        theirs = claim_run(second, "w2")  # does not wait: takes the other source
        assert mine is not None and theirs is not None
        assert {mine.source_id, theirs.source_id} == {one, two}
        assert claim_run(second, "w2") is None
        first.commit()
        second.commit()


def test_latest_runs_ignore_queued_ones(engine: Engine) -> None:
    (one,) = sources(engine, "one")
    with transaction(engine) as session:
        enqueue_run(session, one)
        done = claim_run(session, "w")
        session.execute(update(CrawlRun).values(status="finished"))
        enqueue_run(session, one)
    with transaction(engine) as session:
        assert {k: v.id for k, v in latest_runs(session).items()} == {one: done.id}


# --- jobs and triggers ------------------------------------------------------------------------


def source_row(**fields: object) -> Source:
    values = {"id": 7, "name": "s", "kind": "feed", "url": "http://x.test/", "enabled": True,
              "every_seconds": None, "cron": None, "timezone": None, "updated_at": NOW}  # fmt: skip
    return Source(**{**values, **fields})


def test_first_fire_time_from_the_last_run() -> None:
    hourly = source_row(every_seconds=3600)
    never = source_trigger(hourly, None)
    assert first_fire_time(never, None, NOW) == NOW  # a new source runs at once
    recent = NOW - timedelta(minutes=10)
    assert first_fire_time(source_trigger(hourly, recent), recent, NOW) == recent + timedelta(
        hours=1
    )
    missed = NOW - timedelta(hours=5)  # several slots missed: once, now
    assert first_fire_time(source_trigger(hourly, missed), missed, NOW) == NOW
    cron = source_row(cron="0 6 * * *")
    trigger = source_trigger(cron, None)
    assert isinstance(trigger, CronTrigger)
    ran = datetime(2026, 3, 1, 6, 0, 2, tzinfo=UTC)
    assert first_fire_time(trigger, ran, NOW) == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    yesterday = ran - timedelta(days=1)
    assert first_fire_time(trigger, yesterday, NOW) == NOW  # today's 06:00 was missed
    assert source_trigger(source_row(), None) is None  # crawled by hand only
    with pytest.raises(ValueError):
        source_trigger(source_row(cron="61 * * * *"), None)


def test_cron_is_read_in_the_source_time_zone() -> None:
    moscow = source_trigger(source_row(cron="0 7 * * *", timezone="Europe/Moscow"), None)
    assert moscow is not None
    assert moscow.get_next_fire_time(None, NOW) == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    # New York moves its clocks on 8 March 2026: 07:00 there is 12:00 UTC, then 11:00 UTC
    new_york = source_trigger(source_row(cron="0 7 * * *", timezone="America/New_York"), None)
    assert new_york is not None
    before = new_york.get_next_fire_time(None, datetime(2026, 3, 7, 13, 0, tzinfo=UTC))
    after = new_york.get_next_fire_time(None, datetime(2026, 3, 8, 13, 0, tzinfo=UTC))
    assert before.astimezone(UTC) == datetime(2026, 3, 8, 11, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
    utc = source_trigger(source_row(cron="0 7 * * *"), None)
    assert utc is not None
    assert utc.get_next_fire_time(None, NOW) == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="unknown time zone"):
        source_trigger(source_row(cron="0 7 * * *", timezone="Gone/Away"), None)


def fire_days(cron: str, timezone: str | None = None, count: int = 7) -> list[str]:
    """The weekdays (in the source's zone) of a source's next `count` runs from a Saturday."""
    source = source_row(cron=cron, timezone=timezone)
    trigger = source_trigger(source, None)
    assert trigger is not None
    zone = cron_zone(source)
    when, days = datetime(2026, 11, 28, 12, 0, tzinfo=UTC), []  # a Saturday
    for _ in range(count):
        when = trigger.get_next_fire_time(None, when + timedelta(seconds=1))
        days.append(when.astimezone(zone).strftime("%a"))
    return days


@pytest.mark.parametrize(
    ("cron", "days"),
    [
        ("0 7 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]),
        ("0 7 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]),
        ("0 9 * * 0", ["Sun"] * 3),
        ("0 9 * * 7", ["Sun"] * 3),
        ("0 9 * * 6,0", ["Sun", "Sat", "Sun"]),
        ("0 9 * * */2", ["Sun", "Tue", "Thu", "Sat", "Sun"]),
        ("0 9 * * 1-7/3", ["Sun", "Mon", "Thu", "Sun"]),
    ],
)
def test_cron_days_of_the_week_are_cron_s(cron: str, days: list[str]) -> None:
    """APScheduler 3 reads weekday numbers Monday-first; crontab, and so archivist, Sunday-first."""
    assert fire_days(cron, "Europe/Moscow", count=len(days)) == days


@pytest.mark.parametrize(
    ("cron", "said"),
    [
        ("0 0 1 * 1", "give a day of the month or a day of the week, not both"),
        ("0 0 * * 8", "a day of the week is 0-7 (0 and 7 are Sunday), not '8'"),
        ("0 0 * * 5-1", "the day-of-week range '5-1' runs backwards"),
        ("0 0 * * funday", "not a day of the week: 'funday'"),
        ("0 0 * *", "a crontab line has five fields, not 4"),
    ],
)
def test_cron_lines_cron_would_read_otherwise_are_refused(cron: str, said: str) -> None:
    with pytest.raises(ValueError) as raised:
        source_trigger(source_row(cron=cron), None)
    assert str(raised.value).startswith(said)


def test_job_defaults_are_deliberate() -> None:
    assert JOB_DEFAULTS == {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler = make_scheduler()
    assert scheduler._job_defaults["misfire_grace_time"] is None  # reached APScheduler


def test_source_jobs_follow_the_sources_table(engine: Engine) -> None:
    sources(engine, "one", "two", every=60)
    with transaction(engine) as session:
        session.add(Source(name="manual", kind="feed", url="http://x.test/m"))
    stream = io.StringIO()
    scheduler = make_scheduler()
    scheduler.start(paused=True)  # as the worker does: nothing runs, jobs are really added
    jobs = SourceJobs(scheduler, lambda *_: None, EventLog(stream, "json"))

    def sync() -> list[str]:
        with transaction(engine) as session:
            jobs.sync(list_sources(session), {})
        return sorted(job.id for job in scheduler.get_jobs())

    def events() -> list[str]:
        return [json.loads(line)["event"] for line in stream.getvalue().splitlines()]

    assert sync() == ["source:1", "source:2"]
    assert sync() == ["source:1", "source:2"] and events() == ["job.added"] * 2  # no churn
    with transaction(engine) as session:
        update_source(session, "one", every_seconds=120)
        update_source(session, "two", enabled=False)
    assert sync() == ["source:1"]
    assert events()[2:] == ["job.removed", "job.updated"]
    with transaction(engine) as session:
        update_source(session, "one", cron="not a cron", every_seconds=None)
    sync()
    assert events()[-1] == "job.invalid"
    scheduler.shutdown(wait=False)


# --- log lines --------------------------------------------------------------------------------


def test_logfmt_and_json_lines_scrub_secrets() -> None:
    stream = io.StringIO()
    log = EventLog(stream, "logfmt", url_secrets("postgresql://u:pa ss@db/x"))
    log.event("run.failed", run=3, error='exit 1: could not connect to "postgresql://u:pa ss@db"')
    log.event("run.finished", ok=True, none=None)
    first, second = stream.getvalue().splitlines()
    assert first.startswith("ts=") and " level=info event=run.failed run=3 error=" in first
    assert "pa ss" not in first and "***" in first and '\\"' in first  # quoted, escaped
    assert second.endswith('ok=true none=""')
    stream = io.StringIO()
    EventLog(stream, "json").event("x", n=1)
    assert json.loads(stream.getvalue())["n"] == 1


def test_times_are_written_alike_in_json_and_logfmt() -> None:
    when = datetime(2026, 11, 27, 16, 34, 19, 714945, tzinfo=UTC)
    as_json, as_logfmt = io.StringIO(), io.StringIO()
    EventLog(as_json, "json").event("job.added", next_run=when)
    EventLog(as_logfmt, "logfmt").event("job.added", next_run=when)
    assert json.loads(as_json.getvalue())["next_run"] == "2026-11-27T16:34:19+00:00"
    assert as_logfmt.getvalue().rstrip().endswith("next_run=2026-11-27T16:34:19+00:00")
    assert url_secrets("sqlite:///a.db") == [] and url_secrets("not a url") == []


def test_runs_of_dead_workers_are_reaped_others_kept(engine: Engine) -> None:
    (one,) = sources(engine, "one")
    me = WorkerIdentity.mine()
    dead_here = WorkerIdentity(me.host, 2**22 + 12345, "0badc0de")
    gone_elsewhere = WorkerIdentity("another-host", 7, "0badc0de")
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    cases = {  # worker, pid, started: reaped?
        "dead worker here": (str(dead_here), None, None, True),
        "live worker": (str(me), None, None, False),
        "crawl by hand elsewhere": ("somehost", 1, None, False),
        "crawl by hand here, gone": (me.host, 2**22 + 12345, None, True),
        "crawl by hand here, running": (me.host, os.getpid(), None, False),
        "other host, past the crawl timeout": (str(gone_elsewhere), 1, long_ago, True),
        "other host, recent": (str(gone_elsewhere), 1, None, False),
    }
    with transaction(engine) as session:
        acquire_lease(session, me.presence_lease, str(me), 30)
        ids = {}
        for case, (worker, pid, started, _) in cases.items():
            run = CrawlRun(source_id=one, status="running", worker=worker, pid=pid)
            if started:
                run.started_at = started
            session.add(run)
            session.flush()
            ids[case] = run.id
    stream = io.StringIO()
    with transaction(engine) as session:
        assert reap_abandoned_runs(session, 3600, EventLog(stream, "json")) == 3
    with transaction(engine) as session:
        for case, (*_, reaped) in cases.items():
            run = session.get(CrawlRun, ids[case])
            assert (run.status == "failed") == reaped, case
            assert (run.error or "").startswith("abandoned") == reaped, case
    assert stream.getvalue().count('"run.reaped"') == 3


def test_worker_refuses_bad_settings_before_starting() -> None:
    result = CliRunner().invoke(cli, ["worker", "-s", "NOEQUALS"])
    assert result.exit_code == 2 and "is not NAME=VALUE" in result.output
    result = CliRunner().invoke(cli, ["worker", "--grace", "soon"])
    assert result.exit_code == 2 and "not a duration" in result.output
