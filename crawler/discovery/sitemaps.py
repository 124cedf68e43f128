"""Sitemaps, sitemap indexes and Google News sitemaps to listings (lxml, no entities)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from crawler.discovery.damage import Damage, find_damage
from crawler.discovery.xmlsafety import LOCKED_DOWN, DiscoveryError, refuse_entities
from crawler.items import Listing
from crawler.normalise.dates import to_utc

ENTRY = {"sitemapindex": "sitemap", "urlset": "url"}  # each root element's entries


@dataclass(frozen=True)
class Sitemap:
    """One parsed sitemap file: article listings, or (for an index) child sitemap URLs."""

    articles: list[Listing] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    damage: str | None = None  # e.g. a file cut off mid-way: what came before it was read


def _parser() -> etree.XMLParser:
    return etree.XMLParser(recover=True, **LOCKED_DOWN)


def read_sitemap(xml: bytes, url: str) -> Sitemap:
    """Parse an (already decompressed) sitemap or sitemap index."""
    refuse_entities(xml)
    parser = _parser()
    try:
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not a sitemap: {exc}") from exc
    if root is None:
        raise DiscoveryError("not a sitemap: empty or unreadable XML")
    kind = _local(root.tag)
    if kind not in ENTRY:
        raise DiscoveryError(f"not a sitemap: root element <{kind}>")
    elements = [element for element in root if _local(element.tag) == ENTRY[kind]]
    # recover reads past a stray error; a file cut off mid-way keeps the entries that were whole
    errors = parser.error_log.filter_from_errors()
    damage = find_damage(xml, frozenset({ENTRY[kind]})) if errors else None
    if damage is not None and damage.cut_off:
        elements = elements[: damage.complete]
    if kind == "sitemapindex":
        children = _locs(elements, url)
        return Sitemap(children=children, damage=_said(damage, len(children), "sitemaps"))
    listings = (_listing(element, url) for element in elements)
    articles = [listing for listing in listings if listing is not None]
    return Sitemap(articles=articles, damage=_said(damage, len(articles), "articles"))


def _said(damage: Damage | None, kept: int, what: str) -> str | None:
    return damage.describe(kept, what) if damage is not None else None


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _locs(elements: list[etree._Element], base: str) -> list[str]:
    locs = (_child_text(element, "loc") for element in elements)
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
