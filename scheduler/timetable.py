"""Each source's schedule as a table: its trigger, its last run, and when it runs next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from crawler.cli.source_fields import schedule_text
from scheduler.jobs import first_fire_time, source_trigger
from store.claims import active_run, latest_runs
from store.models import CrawlRun, Source
from store.sources import list_sources

COLUMNS = ("source", "kind", "schedule", "last_run", "last_status", "last_started",
           "last_finished", "next_run")  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One source's line in `archivist schedule`."""

    source: str
    kind: str
    schedule: str
    last_run: int | None
    last_status: str | None
    last_started: datetime | None
    last_finished: datetime | None
    next_run: str  # a time, or `now`, `queued`, `running`, `disabled`, `manual`, `invalid`

    def row(self) -> tuple[object, ...]:
        """The values in COLUMNS order."""
        return tuple(getattr(self, column) for column in COLUMNS)


def timetable(session: Session, now: datetime) -> list[Entry]:
    """Every source by name, with what the worker will do next with it."""
    latest = latest_runs(session)
    return [_entry(session, source, latest.get(source.id), now) for source in list_sources(session)]


def _entry(session: Session, source: Source, last: CrawlRun | None, now: datetime) -> Entry:
    return Entry(
        source=source.name,
        kind=source.kind,
        schedule=schedule_text(source),
        last_run=last.id if last else None,
        last_status=last.status if last else None,
        last_started=last.started_at if last else None,
        last_finished=last.finished_at if last else None,
        next_run=_next_run(session, source, last, now),
    )


def _next_run(session: Session, source: Source, last: CrawlRun | None, now: datetime) -> str:
    if not source.enabled:
        return "disabled"
    active = active_run(session, source.id)
    if active is not None:
        return active.status  # queued or running
    try:
        trigger = source_trigger(source, last.started_at if last else None)
    except ValueError:
        return "invalid"
    if trigger is None:
        return "manual"
    when = first_fire_time(trigger, last.started_at if last else None, now)
    return "now" if when <= now else when.astimezone(UTC).isoformat(timespec="seconds")
