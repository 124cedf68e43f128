"""Canonical URLs: one document per article, whatever tracking junk a link carried."""

from __future__ import annotations

from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from store.tracking import without_tracking

DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_address(url: str) -> str:
    """`canonical_url`, or the URL as given when it has none (a malformed port: its fetch fails
    and says so); what discovery and the known-documents middleware key a run's requests on."""
    try:
        return canonical_url(url)
    except ValueError:
        return url


def canonical_url(url: str) -> str:
    """Lowercase scheme and host, no default port, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    query = without_tracking(parts.query)
    cleaned = urlunsplit((scheme, _netloc(parts, scheme), path, query, ""))
    return canonicalize_url(cleaned, keep_fragments=False)


def _netloc(parts: SplitResult, scheme: str) -> str:
    """Host lowercased (IPv6 in brackets), default port dropped, user info never kept."""
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port  # a malformed port raises ValueError: such a URL cannot be fetched either
    return host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"


def resolve_canonical(page_url: str, declared: str | None) -> str:
    """The page's own `rel=canonical` when it names another page of the same site.

    A canonical pointing at the site's home page is a theme mistake (it would file every
    article under one document), so it is ignored like a foreign one.
    """
    own = canonical_url(page_url)
    if not declared:
        return own
    target = canonical_url(urljoin(page_url, declared.strip()))
    if _site(target) != _site(own) or not urlsplit(target).scheme.startswith("http"):
        return own
    if _is_home(target) and not _is_home(own):
        return own
    return target


def _is_home(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
