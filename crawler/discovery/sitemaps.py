"""Sitemaps, sitemap indexes and Google News sitemaps to listings (lxml, no entities)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from crawler.discovery.xmlsafety import DiscoveryError, refuse_entities
from crawler.items import Listing
from crawler.normalise.dates import to_utc


@dataclass(frozen=True)
class Sitemap:
    """One parsed sitemap file: article listings, or (for an index) child sitemap URLs."""

    articles: list[Listing] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def _parser() -> etree.XMLParser:
    # resolve_entities/no_network/load_dtd: belt and braces after refuse_entities.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def read_sitemap(xml: bytes, url: str) -> Sitemap:
    """Parse an (already decompressed) sitemap or sitemap index."""
    refuse_entities(xml)
    try:
        root = etree.fromstring(xml, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not a sitemap: {exc}") from exc
    if root is None:
        raise DiscoveryError("not a sitemap: empty or unreadable XML")
    kind = _local(root.tag)
    if kind == "sitemapindex":
        return Sitemap(children=[loc for loc in _locs(root, "sitemap", url)])
    if kind == "urlset":
        listings = (_listing(element, url) for element in root if _local(element.tag) == "url")
        return Sitemap(articles=[listing for listing in listings if listing is not None])
    raise DiscoveryError(f"not a sitemap: root element <{kind}>")


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _locs(root: etree._Element, entry: str, base: str) -> list[str]:
    locs = (_child_text(element, "loc") for element in root if _local(element.tag) == entry)
    return [_absolute(base, loc) for loc in locs if loc and _absolute(base, loc)]


def _absolute(base: str, loc: str) -> str:
    url = urljoin(base, loc)
    return url if url.startswith(("http://", "https://")) else ""


def _listing(element: etree._Element, base: str) -> Listing | None:
    loc = _child_text(element, "loc")
    url = _absolute(base, loc) if loc else ""
    if not url:
        return None
    news = _child(element, "news")
    if news is None:
        return Listing(url=url, modified_at=to_utc(_child_text(element, "lastmod")))
    published = to_utc(_child_text(news, "publication_date"))
    return Listing(
        url=url,
        modified_at=to_utc(_child_text(element, "lastmod")) or published,
        news_title=_child_text(news, "title"),
        news_keywords=_child_text(news, "keywords"),
        news_published_at=published,
    )
