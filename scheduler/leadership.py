"""The scheduler role: exactly one worker per archive decides when sources are due.

SQLite: a lease row (`scheduler_leases`) renewed by heartbeat. It lives inside the archive, so
it follows the file wherever it is opened from (a lock file next to it would not survive a
path given through a symlink or a copy, and cannot say who holds it); a worker that died on
this host is recognised at once by its pid, one on another host when its lease expires.

PostgreSQL: a session advisory lock on a dedicated connection. The server frees it the moment
that connection ends, so when the holder dies another worker takes the role at its next try.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from scheduler.identity import known_dead
from store.db import is_sqlite, transaction
from store.leases import acquire_lease, release_lease, renew_lease
from store.models import SchedulerLease
from store.owners import WorkerIdentity

SCHEDULER_LEASE = "scheduler"
LEASE_TTL_SECONDS = 30.0  # six missed heartbeats (HEARTBEAT_SECONDS in worker) before it lapses
# Any fixed 64-bit number: advisory locks are scoped to one database, so each archive has its own.
ADVISORY_LOCK_KEY = 0x61726368_69767374  # "archivst"
# TCP keepalives on the lock connection: if the holder's machine vanishes without closing the
# socket, the server drops the connection (and the lock) in about 10 + 3 * 5 = 25 seconds.
PG_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                 "keepalives_count": 3}  # fmt: skip


class Leadership(Protocol):
    """Holds or waits for the scheduler role."""

    def try_acquire(self) -> bool:
        """Take the role if it is free; True if this worker holds it now."""
        ...

    def still_held(self) -> bool:
        """Heartbeat: True if this worker still holds the role."""
        ...

    def release(self) -> None:
        """Give the role up."""
        ...

    def describe_holder(self) -> str:
        """Who holds the role, for messages."""
        ...


class LeaseLeadership:
    """SQLite: the `scheduler` lease row."""

    def __init__(self, engine: Engine, identity: WorkerIdentity) -> None:
        self.engine = engine
        self.identity = str(identity)
        self.holder: SchedulerLease | None = None

    def try_acquire(self) -> bool:
        with transaction(self.engine) as session:
            lease = acquire_lease(
                session, SCHEDULER_LEASE, self.identity, LEASE_TTL_SECONDS,
                may_take=lambda lease: known_dead(lease.holder),
            )  # fmt: skip
            self.holder = SchedulerLease(holder=lease.holder, expires_at=lease.expires_at)
        return self.holder.holder == self.identity

    def still_held(self) -> bool:
        with transaction(self.engine) as session:
            return renew_lease(session, SCHEDULER_LEASE, self.identity, LEASE_TTL_SECONDS)

    def release(self) -> None:
        with transaction(self.engine) as session:
            release_lease(session, SCHEDULER_LEASE, self.identity)

    def describe_holder(self) -> str:
        if self.holder is None:
            return "nobody"
        expires = self.holder.expires_at.isoformat(timespec="seconds")
        return f"worker {self.holder.holder} (lease renewed until {expires})"


class AdvisoryLockLeadership:
    """PostgreSQL: `pg_try_advisory_lock` held by a dedicated autocommit connection."""

    def __init__(self, url: str) -> None:
        # Autocommit: the lock belongs to the session, and an idle open transaction would hold
        # back VACUUM for as long as this worker runs.
        self.engine = create_engine(
            url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=PG_KEEPALIVES
        )
        self.connection: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self.connection is None:
                self.connection = self.engine.connect()
            query = text("SELECT pg_try_advisory_lock(:key)")
            return bool(self.connection.execute(query, {"key": ADVISORY_LOCK_KEY}).scalar())
        except SQLAlchemyError:
            self._drop()
            raise

    def still_held(self) -> bool:
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
        except SQLAlchemyError:  # connection gone: the server has freed the lock
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):  # closing the connection frees it too
                self.connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
        self._drop()
        self.engine.dispose()

    def describe_holder(self) -> str:
        return "another worker (PostgreSQL advisory lock)"

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.connection.close()
            self.connection = None


def leadership_for(url: str, engine: Engine, identity: WorkerIdentity) -> Leadership:
    """The right kind of role lock for the archive's backend."""
    if is_sqlite(url):
        return LeaseLeadership(engine, identity)
    return AdvisoryLockLeadership(url)
