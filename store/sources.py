"""Sources: the sites a user archives, with their discovery kind and schedule."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.claims import QUEUED, live_running_runs, lock_source
from store.models import CrawlRun, Source, utcnow

SOURCE_KINDS = ("feed", "sitemap", "start")


class SourceError(ValueError):
    """A source that does not exist, already exists, or is not valid."""


def add_source(session: Session, name: str, kind: str, url: str, **fields: Any) -> Source:
    """Create a source; `fields` are Source columns (every_seconds, cron, follow, depth...)."""
    if kind not in SOURCE_KINDS:
        raise SourceError(f"unknown source kind {kind!r} (one of: {', '.join(SOURCE_KINDS)})")
    if session.scalars(select(Source).where(Source.name == name)).first() is not None:
        raise SourceError(f"source {name!r} already exists")
    source = Source(name=name, kind=kind, url=url, **_checked(fields))
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, name: str) -> Source:
    """The source called `name`; SourceError if there is none."""
    source = session.scalars(select(Source).where(Source.name == name)).first()
    if source is None:
        raise SourceError(f"no source named {name!r} (see `archivist source list`)")
    return source


def list_sources(session: Session, enabled_only: bool = False) -> list[Source]:
    """All sources by name, or only the enabled ones."""
    query = select(Source).order_by(Source.name)
    if enabled_only:
        query = query.where(Source.enabled.is_(True))
    return list(session.scalars(query))


def update_source(session: Session, name: str, **changes: Any) -> Source:
    """Change some columns of a source (None values are ignored)."""
    source = get_source(session, name)
    for column, value in _checked(changes).items():
        if value is not None:
            setattr(source, column, value)
    source.updated_at = utcnow()
    session.flush()
    return source


def remove_source(session: Session, name: str) -> None:
    """Delete a source; its documents and runs stay in the archive (source_id becomes NULL).

    Refused while a run of it is running: the crawl would go on fetching pages it could no
    longer file under the source. A run left running by a crawl on this host whose process is
    gone is failed instead (as `archivist crawl` does). Its queued runs go with it.
    """
    source = get_source(session, name)
    lock_source(session, source.id)  # a crawl starting meanwhile waits, then finds it gone
    running, _ = live_running_runs(session, source.id)
    if running:
        doing = "reprocessed" if running[0].kind == "reprocess" else "crawled"
        raise SourceError(
            f"source {name!r} is being {doing} by run {running[0].id}: stop that run, or "
            f"`archivist source disable {name}` and remove it once the run has ended"
        )
    session.execute(
        delete(CrawlRun).where(CrawlRun.source_id == source.id, CrawlRun.status == QUEUED)
    )
    session.delete(source)
    session.flush()


EDITABLE = {
    "kind", "url", "follow", "depth", "every_seconds", "cron", "timezone", "enabled", "options",
}  # fmt: skip


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - EDITABLE
    if unknown:
        raise SourceError(f"unknown source field(s): {', '.join(sorted(unknown))}")
    if fields.get("every_seconds") is not None and fields.get("cron") is not None:
        raise SourceError("give either an interval or a cron expression, not both")
    if fields.get("every_seconds") is not None and fields.get("timezone") is not None:
        raise SourceError("a time zone goes with a cron expression, not an interval")
    return fields
