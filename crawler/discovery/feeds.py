"""RSS 2.0, RSS 1.0 and Atom feeds to listings, with feedparser (after the entity check)."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from crawler.discovery.damage import FEED_ENTRIES, find_damage
from crawler.discovery.xmlsafety import DiscoveryError, refuse_entities
from crawler.items import Listing


@dataclass(frozen=True)
class Feed:
    """The articles a feed lists, and what was wrong with a feed read only in part."""

    articles: list[Listing]
    damage: str | None = None  # e.g. a feed cut off mid-way: its articles up to there


def read_feed(body: bytes, url: str) -> Feed:
    """The articles a feed lists, newest information first as the feed gives them."""
    refuse_entities(body)
    # Bytes, never a string: feedparser fetches a string that looks like a URL.
    parsed = feedparser.parse(
        body,
        response_headers={"content-location": url},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.entries and not parsed.get("version"):  # a feed with no items is still one
        raise DiscoveryError(f"not a valid RSS/Atom feed: {_why_not_a_feed(body, parsed)}")
    # An XML error only: a charset the feed misdeclares, or XML served as text/html, loses
    # nothing. A feed cut off mid-way keeps the entries that were whole.
    damage = find_damage(body, FEED_ENTRIES) if _xml_error(parsed) else None
    entries = parsed.entries[: damage.complete] if damage and damage.cut_off else parsed.entries
    listings = (_listing(entry, url) for entry in entries)
    articles = [listing for listing in listings if listing is not None]
    return Feed(articles, damage.describe(len(articles), "articles") if damage else None)


def _why_not_a_feed(body: bytes, parsed: Any) -> str:
    if not body.strip():
        return "the document is empty"
    damage = find_damage(body, FEED_ENTRIES) if _xml_error(parsed) else None
    if damage is not None:  # lxml's position: feedparser's own is a line off
        return f"not well-formed XML (at {damage.error})"
    return "no RSS or Atom elements in it (an HTML page?)"


def _xml_error(parsed: Any) -> bool:
    return isinstance(parsed.get("bozo_exception"), SAXParseException)


def _listing(entry: Any, feed_url: str) -> Listing | None:
    link = entry.get("feedburner_origlink") or entry.get("link")
    if not link:
        return None
    target = urljoin(feed_url, str(link).strip())
    if not target.startswith(("http://", "https://")):
        return None
    # dict.get: FeedParserDict.get maps a missing updated_parsed to published_parsed, warning.
    updated = _utc(dict.get(entry, "updated_parsed"))
    return Listing(url=target, modified_at=updated or _utc(dict.get(entry, "published_parsed")))


def _utc(value: time.struct_time | None) -> datetime | None:
    """feedparser's struct_time is already UTC."""
    if value is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)
