"""Metadata cascade: JSON-LD (NewsArticle/Article), then OpenGraph/meta tags, then the page."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement

from crawler.normalise.dates import to_utc

ARTICLE_TYPES = {
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
    "OpinionNewsArticle", "BackgroundNewsArticle", "LiveBlogPosting", "ReviewNewsArticle",
    "TechArticle", "ScholarlyArticle", "Report",
}  # fmt: skip
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|$)")


def json_ld_article(tree: HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object of an article type, or {}."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null", strict=False)
        except ValueError:
            continue
        for item in _walk(data):
            if ARTICLE_TYPES & set(_types(item)):
                return item
    return {}


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _walk(entry)
    elif isinstance(data, dict):
        yield data
        yield from _walk(data.get("@graph", []))


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type", [])
    return [kind] if isinstance(kind, str) else [k for k in kind if isinstance(k, str)]


def meta_tags(tree: HtmlElement) -> dict[str, str]:
    """Every <meta property|name|itemprop|http-equiv=... content=...>, first non-empty wins."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attribute) or "").strip().lower()
            if key:
                found.setdefault(key, content)
    return found


def first_meta(tags: dict[str, str], *names: str) -> str | None:
    """The first of `names` (case-insensitive) present among the page's meta tags."""
    for name in names:
        value = tags.get(name.lower())
        if value:
            return value
    return None


def ld_authors(article: dict[str, Any]) -> list[str]:
    """Author names from a JSON-LD article."""
    raw = article.get("author") or article.get("creator") or []
    entries = raw if isinstance(raw, list) else [raw]
    names = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, list):
            name = name[0] if name else None
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def ld_text(article: dict[str, Any], key: str) -> str | None:
    """A string field of a JSON-LD article."""
    value = article.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return value.strip() if isinstance(value, str) and value.strip() else None


_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|li|blockquote|tr)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def ld_article_body(article: dict[str, Any]) -> str:
    """A JSON-LD article's `articleBody` as plain text, one paragraph per line."""
    body = ld_text(article, "articleBody") or ""
    if "<" in body:
        body = _TAG.sub("", _BLOCK_END.sub("\n", body))
    return html.unescape(body)


def first_text(tree: HtmlElement, *xpaths: str) -> str | None:
    """The first non-empty text among the nodes (or attribute values) the xpaths select."""
    for xpath in xpaths:
        for node in tree.xpath(xpath):
            value = node if isinstance(node, str) else node.text_content()
            value = " ".join(str(value).split())
            if value:
                return value
    return None


# Visible bylines, for pages without JSON-LD or meta authors: the most explicit markup first.
BYLINE_XPATH = (
    '//*[@itemprop="author"]//*[@itemprop="name"] | //*[@itemprop="author" and not(*)]'
    ' | //a[@rel="author"]'
)


def byline_authors(tree: HtmlElement) -> list[str]:
    """Author names read off the page's byline markup."""
    names = (" ".join(node.text_content().split()) for node in tree.xpath(BYLINE_XPATH)[:6])
    return [name for name in names if name]


def fallback_date(tree: HtmlElement, url: str) -> datetime | None:
    """Publication date from <time>, the URL, then htmldate (slow: only as a last resort)."""
    # The attribute axis: half the time of testing every element for the attribute.
    stamped = first_text(tree, '//@itemprop[.="datePublished"]/../@datetime', "//@datetime")
    found = to_utc(stamped)
    if found is None and (match := _URL_DATE.search(url)):
        found = to_utc("-".join(match.groups()))
    if found is None:
        searched = find_date(tree, extensive_search=False, original_date=True, url=url)
        found = to_utc(searched)
    return found


def language_code(value: str | None) -> str | None:
    """A primary language subtag from `en-GB`, `ru_RU` or `EN`."""
    code = (value or "").replace("_", "-").split("-")[0].split(",")[0].strip().lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None
