"""Canonical URLs: one document per article, whatever tracking junk a link carried."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING_PARAMETERS = (
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid",
    "mc_eid", "_ga", "_gl", "ref_src", "ref_url", "cmpid", "ocid", "spm", "utm_id",
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """Lowercase scheme and host, no default port, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = parts.path or "/"
    cleaned = urlunsplit((scheme, netloc, path, parts.query, ""))
    names = [n for n in _query_names(parts.query) if _is_tracking(n)]
    if names:
        cleaned = url_query_cleaner(cleaned, names, remove=True, unique=False)
    return canonicalize_url(cleaned, keep_fragments=False)


def resolve_canonical(page_url: str, declared: str | None) -> str:
    """The page's own `rel=canonical` when it points to the same site, else the page URL."""
    own = canonical_url(page_url)
    if not declared:
        return own
    target = canonical_url(urljoin(page_url, declared.strip()))
    if _site(target) != _site(own) or not urlsplit(target).scheme.startswith("http"):
        return own
    return target


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _query_names(query: str) -> list[str]:
    return [pair.split("=", 1)[0] for pair in query.split("&") if pair]


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)
