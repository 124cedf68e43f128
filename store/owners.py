"""Who carries out a `running` crawl run, and whether it is gone.

`crawl_runs.worker` holds a worker's identity (`host:pid:token`) for the runs a worker
started, and the bare host name for a crawl started by hand (`archivist crawl NAME`);
`crawl_runs.pid` is the crawl's own process. Only processes on this host can be seen: a run
owned by another host is never judged gone here.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass

from store.models import CrawlRun

PRESENCE_PREFIX = "worker:"  # the leases live workers renew: `worker:<token>`
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
        return cls(this_host(), os.getpid(), secrets.token_hex(4))

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
        return f"{PRESENCE_PREFIX}{self.token}"

    def is_local(self) -> bool:
        """True when this identity belongs to a process on this host."""
        return self.host == this_host()


def this_host() -> str:
    """This host's name: what a crawl started by hand writes into `crawl_runs.worker`."""
    return socket.gethostname()


def process_alive(pid: int) -> bool:
    """True if a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def process_start_mark(pid: int) -> str | None:
    """Which process `pid` is: "<boot id>:<PID namespace>:<time namespace>:<start ticks>"
    (Linux; None where it cannot be read). The namespaces are the reader's: a pid number means
    something in the PID namespace it is read in, and start ticks are read through a time
    namespace. Clock-free: a stepped clock changes no part."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            boot_id = boot.read().strip()
        pid_namespace = os.stat("/proc/self/ns/pid").st_ino
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            ticks = int(stat.read().rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None
    return f"{boot_id}:{pid_namespace}:{_time_namespace()}:{ticks}"


def _time_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/time").st_ino
    except OSError:  # a kernel without time namespaces: one clock for all
        return 0


def crawl_alive(run: CrawlRun) -> bool:
    """Whether the run's crawl (`run.pid`, a process of this host) may still be running: the
    pid is alive and, where the run recorded which process it named, is that process.

    A mark of another boot names a process that is gone. A mark read in another PID or time
    namespace cannot be compared with ours: the crawl may be running."""
    if run.pid is None or not process_alive(run.pid):
        return False
    now = process_start_mark(run.pid)
    if run.pid_start is None or now is None or now == run.pid_start:
        return True
    recorded, current = run.pid_start.split(":"), now.split(":")
    if recorded[0] != current[0]:
        return False  # recorded in an earlier boot: that process is gone
    return len(recorded) != 4 or recorded[1:3] != current[1:3]


def gone_here(run: CrawlRun, live_workers: set[str]) -> str | None:
    """Why a running run is abandoned, when it was carried out on this host and nothing
    carries it out any more; None when it may still be going on (or cannot be told from here).

    `live_workers`: the holders of unexpired presence leases (`PRESENCE_PREFIX`).
    """
    worker = WorkerIdentity.parse(run.worker)
    if worker is None:  # a crawl started by hand: its own pid is all there is
        if run.worker != this_host() or run.pid is None or crawl_alive(run):
            return None
        return f"abandoned: the crawl started by hand (pid {run.pid}) is gone"
    if not worker.is_local() or run.worker in live_workers:
        return None  # another host's, or a worker that is still looking after it
    if run.pid is not None and crawl_alive(run):
        return None  # its worker died, but the crawl is finishing and will close the row
    return f"abandoned: worker {run.worker} stopped and its crawl process is gone"
