"""Leases: a named role held by one holder until it expires, renewed by heartbeat.

Used for the scheduler role on SQLite and for worker heartbeats on every backend; the rows are
in `scheduler_leases`, so `SELECT * FROM scheduler_leases` shows who holds what.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.db import upsert
from store.models import SchedulerLease, utcnow


def acquire_lease(
    session: Session,
    name: str,
    holder: str,
    ttl_seconds: float,
    may_take: Callable[[SchedulerLease], bool] | None = None,
) -> SchedulerLease:
    """Take (or renew) lease `name` unless another holder has it unexpired; the row as it stands.

    `may_take` can free a lease early, e.g. when its holder is known to be dead.
    """
    now = utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    # The insert comes first on purpose: on SQLite it takes the write lock, so the read and the
    # update below cannot interleave with another process doing the same; on PostgreSQL the
    # row lock (FOR UPDATE) does that.
    _insert_if_missing(session, name, holder, expires)
    lease = session.scalars(
        select(SchedulerLease).where(SchedulerLease.name == name).with_for_update()
    ).one()
    if lease.holder == holder or lease.expires_at <= now or (may_take and may_take(lease)):
        lease.holder, lease.expires_at = holder, expires
        session.flush()
    return lease


def renew_lease(session: Session, name: str, holder: str, ttl_seconds: float) -> bool:
    """Push the expiry forward; False if `holder` no longer holds the lease."""
    result = session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=utcnow() + timedelta(seconds=ttl_seconds))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease up (nothing happens if `holder` does not hold it)."""
    session.execute(
        delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
    )


def live_holders(session: Session, name_prefix: str, now: datetime | None = None) -> set[str]:
    """Holders of unexpired leases whose name starts with `name_prefix`."""
    query = select(SchedulerLease.holder).where(
        SchedulerLease.name.startswith(name_prefix, autoescape=True),
        SchedulerLease.expires_at > (now or utcnow()),
    )
    return set(session.scalars(query))


def _insert_if_missing(session: Session, name: str, holder: str, expires: datetime) -> None:
    session.execute(
        upsert(session, SchedulerLease)
        .values(name=name, holder=holder, expires_at=expires)
        .on_conflict_do_nothing(index_elements=["name"])
    )
