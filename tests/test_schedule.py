"""`archivist schedule`: each source's trigger, last run and next run, as table or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import update
from sqlalchemy.orm import Session

from scheduler.cli import cli
from store.claims import enqueue_run
from store.db import open_archive, transaction
from store.models import CrawlRun
from store.runs import finish_run, start_run
from store.sources import add_source


def ran(session: Session, source_id: int, ago: timedelta, status: str = "finished") -> int:
    run = start_run(session, source_id)
    started = datetime.now(UTC) - ago
    session.execute(update(CrawlRun).where(CrawlRun.id == run.id).values(started_at=started))
    if status != "running":
        finish_run(session, run.id, status)
    return run.id


def test_schedule_shows_trigger_last_run_and_next_run(db_url: str) -> None:
    engine = open_archive(db_url)
    with transaction(engine) as session:

        def source(name: str, **fields: object) -> int:
            return add_source(session, name, "feed", f"http://x.test/{name}", **fields).id

        source("fresh", every_seconds=900)
        hourly = source("hourly", every_seconds=3600)
        last = ran(session, hourly, timedelta(minutes=10))
        nightly = source("nightly", cron="0 3 * * *")
        ran(session, nightly, timedelta(minutes=1), status="failed")
        moscow = source("moscow", cron="0 7 * * *", timezone="Europe/Moscow")
        ran(session, moscow, timedelta(minutes=1))
        source("off", every_seconds=60, enabled=False)
        source("manual")
        busy = source("busy", every_seconds=60)
        ran(session, busy, timedelta(seconds=5), status="running")
        waiting = source("waiting", every_seconds=60)
        enqueue_run(session, waiting)
    engine.dispose()

    result = CliRunner().invoke(cli, ["schedule", "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    entries = {e["source"]: e for e in json.loads(result.output)}
    assert list(entries) == sorted(entries)
    assert entries["fresh"]["schedule"] == "every 15m" and entries["fresh"]["next_run"] == "now"
    assert entries["fresh"]["last_run"] is None
    hourly_entry = entries["hourly"]
    assert (hourly_entry["last_run"], hourly_entry["last_status"]) == (last, "finished")
    expected = datetime.fromisoformat(hourly_entry["last_started"]) + timedelta(hours=1)
    assert hourly_entry["next_run"] == expected.isoformat(timespec="seconds")
    assert entries["nightly"]["schedule"] == "cron 0 3 * * *"
    assert entries["nightly"]["next_run"].endswith("T03:00:00+00:00")
    assert entries["nightly"]["last_status"] == "failed"
    # 07:00 in Moscow (UTC+3 all year), shown in UTC like every other next run
    assert entries["moscow"]["schedule"] == "cron 0 7 * * * Europe/Moscow"
    assert entries["moscow"]["next_run"].endswith("T04:00:00+00:00")
    assert entries["off"]["next_run"] == "disabled"
    assert (entries["manual"]["schedule"], entries["manual"]["next_run"]) == ("manual", "manual")
    assert entries["busy"]["next_run"] == "running"
    assert (entries["waiting"]["next_run"], entries["waiting"]["last_run"]) == ("queued", None)

    table = CliRunner().invoke(cli, ["schedule", "--db", db_url])
    assert table.exit_code == 0
    header, rule, *lines = table.output.splitlines()
    assert header.split()[:4] == ["source", "kind", "schedule", "last_run"]
    assert set(rule) == {"-", " "}
    assert len(lines) == 8 and lines[0].startswith("busy")


def test_revisits_and_reprocessing_never_push_the_next_crawl_back(db_url: str) -> None:
    engine = open_archive(db_url)
    with transaction(engine) as session:
        hourly = add_source(session, "hourly", "feed", "http://x.test/h", every_seconds=3600).id
        crawled = ran(session, hourly, timedelta(minutes=50))
        for kind in ("revisit", "reprocess"):
            other = ran(session, hourly, timedelta(minutes=5))
            session.execute(update(CrawlRun).where(CrawlRun.id == other).values(kind=kind))
    engine.dispose()
    result = CliRunner().invoke(cli, ["schedule", "--db", db_url, "--json"])
    (entry,) = json.loads(result.output)
    assert entry["last_run"] == crawled
    expected = datetime.fromisoformat(entry["last_started"]) + timedelta(hours=1)
    assert entry["next_run"] == expected.isoformat(timespec="seconds")  # in 10 minutes


def test_schedule_of_an_empty_archive_and_a_bad_database(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/archive.db"
    missing = CliRunner().invoke(cli, ["schedule", "--db", url, "--json"])
    assert missing.exit_code == 1 and missing.output.startswith("Error: no archive at ")
    open_archive(url).dispose()
    result = CliRunner().invoke(cli, ["schedule", "--db", url, "--json"])
    assert (result.exit_code, result.output) == (0, "[]\n")
    bad = CliRunner().invoke(
        cli, ["schedule", "--db", "postgresql+psycopg://u:pw-s3cret@127.0.0.1:1/x"]
    )
    assert bad.exit_code == 1 and "pw-s3cret" not in bad.output
    assert bad.output.startswith("Error: database error:") and len(bad.output.splitlines()) == 1
