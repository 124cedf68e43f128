"""Who a worker is (host, pid, a random token) and whether a worker on this host is still alive."""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass

_FORM = re.compile(r"^(?P<host>.+):(?P<pid>\d+):(?P<token>[0-9a-f]{8})$")


@dataclass(frozen=True)
class WorkerIdentity:
    """Written into `crawl_runs.worker` and lease rows; the token tells restarts apart."""

    host: str
    pid: int
    token: str

    @classmethod
    def mine(cls) -> WorkerIdentity:
        """This process's identity (a new token each time: one per worker start)."""
        return cls(socket.gethostname(), os.getpid(), secrets.token_hex(4))

    @classmethod
    def parse(cls, text: str | None) -> WorkerIdentity | None:
        """The identity a worker wrote, or None for anything else (e.g. a crawl run by hand)."""
        match = _FORM.match(text or "")
        if match is None:
            return None
        return cls(match["host"], int(match["pid"]), match["token"])

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @property
    def presence_lease(self) -> str:
        """The lease this worker renews while it lives (fits the 40-character lease name)."""
        return f"worker:{self.token}"

    def is_local(self) -> bool:
        """True when this identity belongs to a process on this host."""
        return self.host == socket.gethostname()


def process_alive(pid: int) -> bool:
    """True if a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def known_dead(holder: str) -> bool:
    """True only when `holder` is a worker on this host whose process is gone."""
    identity = WorkerIdentity.parse(holder)
    return identity is not None and identity.is_local() and not process_alive(identity.pid)
