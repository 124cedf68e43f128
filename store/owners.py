"""Who carries out a `running` crawl run, and whether it is gone.

`crawl_runs.worker` holds a worker's identity (`host:pid:token`) for the runs a worker
started, and the host alone for a crawl started by hand (`archivist crawl NAME`);
`crawl_runs.pid` is the crawl's own process. Only processes on this host can be seen: a run
owned by another host is never judged gone here.

A host is the machine's name and the process table its pids mean something in:
`name~digest`, the digest of the kernel's boot id and of this PID namespace. Containers on the
host's network, Kubernetes `hostNetwork` pods and cloned VMs share a name but not a process
table: each is another host, and none takes the other's pids for its own. Rows written before
hosts carried the digest name the bare machine name; they are judged as they were then (by
name, see `legacy_host`).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
from dataclasses import dataclass
from functools import cache

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
        """True when this identity belongs to a process on this host (or, written before hosts
        carried their digest, to one on a machine of this name)."""
        return is_this_host(self.host)

    def is_mine_exactly(self) -> bool:
        """True when this identity's pid is one of this process table's: written by a process
        of this very host, not a legacy row that names the machine only."""
        return self.host == this_host()


@cache
def this_host() -> str:
    """This host: what a crawl started by hand writes into `crawl_runs.worker` (`name~digest`;
    the bare name where the system shows no boot id or PID namespace)."""
    name = socket.gethostname()
    digest = _process_table_digest()
    return f"{name}~{digest}" if digest else name


def legacy_host() -> str:
    """This machine's bare name: the host that rows written before the digest carry."""
    return socket.gethostname()


def is_this_host(host: str | None) -> bool:
    """Whether `host` (a hand-run row's worker, or a worker identity's host) is this one."""
    return host is not None and host in (this_host(), legacy_host())


def _process_table_digest() -> str | None:
    """8 hex digits naming this boot of the kernel and this PID namespace (Linux), or None."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            boot_id = boot.read().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except (OSError, ValueError):
        return None
    return hashlib.sha256(f"{boot_id}/{namespace}".encode()).hexdigest()[:8]


def process_alive(pid: int) -> bool:
    """True if a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def gone_here(run: CrawlRun, live_workers: set[str]) -> str | None:
    """Why a running run is abandoned, when it was carried out on this host and nothing
    carries it out any more; None when it may still be going on (or cannot be told from here).

    `live_workers`: the holders of unexpired presence leases (`PRESENCE_PREFIX`).
    """
    worker = WorkerIdentity.parse(run.worker)
    if worker is None:  # a crawl started by hand: its own pid is all there is
        if not is_this_host(run.worker) or run.pid is None or process_alive(run.pid):
            return None
        return f"abandoned: the crawl started by hand (pid {run.pid}) is gone"
    if not worker.is_local():
        return None  # another host's
    if run.worker in live_workers and not _died_here(worker):
        return None  # a worker that is still looking after it
    if run.pid is not None and process_alive(run.pid):
        return None  # its worker died, but the crawl is finishing and will close the row
    return f"abandoned: worker {run.worker} stopped and its crawl process is gone"


def _died_here(worker: WorkerIdentity) -> bool:
    """Whether a worker whose presence lease has not run out yet is dead all the same: its
    process is gone from this very process table (killed with SIGKILL, it renews no more but
    its lease lasts until it expires)."""
    return worker.is_mine_exactly() and not process_alive(worker.pid)
