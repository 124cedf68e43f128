"""Query parameters that only track the reader (utm_source, fbclid, ...): never part of the
address an article is archived under, whoever spells that address (a crawl, a person)."""

from __future__ import annotations

TRACKING_PARAMETERS = (
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid",
    "mc_eid", "_ga", "_gl", "ref_src", "ref_url", "cmpid", "ocid", "spm", "utm_id",
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")


def is_tracking(name: str) -> bool:
    """Whether a query parameter's name is a tracking parameter's."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def without_tracking(query: str) -> str:
    """A query string without its tracking parameters, the others as they were."""
    return "&".join(
        pair for pair in query.split("&") if pair and not is_tracking(pair.split("=", 1)[0])
    )
