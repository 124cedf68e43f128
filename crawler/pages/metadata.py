"""Metadata cascade: JSON-LD (NewsArticle/Article), then OpenGraph/meta tags, then heuristics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = {
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
    "OpinionNewsArticle", "BackgroundNewsArticle", "LiveBlogPosting", "ReviewNewsArticle",
    "TechArticle", "ScholarlyArticle", "Report",
}  # fmt: skip


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


def meta_content(tree: HtmlElement, *names: str) -> str | None:
    """The first non-empty <meta property|name=...> content among `names`."""
    for name in names:
        for attribute in ("property", "name", "itemprop"):
            values = tree.xpath(f'//meta[@{attribute}="{name}"]/@content')
            for value in values:
                if value and value.strip():
                    return str(value).strip()
    return None


def ld_authors(article: dict[str, Any]) -> list[str]:
    """Author names from a JSON-LD article."""
    raw = article.get("author") or article.get("creator") or []
    entries = raw if isinstance(raw, list) else [raw]
    names = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def ld_text(article: dict[str, Any], key: str) -> str | None:
    """A string field of a JSON-LD article."""
    value = article.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return value.strip() if isinstance(value, str) and value.strip() else None
