"""Whether a worker on this host is still alive, from the identity it holds a lease with.

Identities and the process check live in store.owners: a crawl started by hand needs them too,
and crawler/ must not import scheduler/.
"""

from __future__ import annotations

from store.owners import WorkerIdentity, process_alive


def known_dead(holder: str) -> bool:
    """True only when `holder` is a worker on this host whose process is gone."""
    identity = WorkerIdentity.parse(holder)
    return identity is not None and identity.is_local() and not process_alive(identity.pid)
