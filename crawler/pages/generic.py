"""The generic page object: trafilatura for the body, a metadata cascade for the fields."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from crawler.normalise.dates import to_utc
from crawler.normalise.urls import resolve_canonical
from crawler.pages.article import ExtractedArticle, NotAnArticle
from crawler.pages.metadata import json_ld_article, ld_authors, ld_text, meta_content

# Captions, credits and gallery labels describe pictures, not the story.
CAPTION_XPATHS = (
    "//figcaption",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' wp-caption-text ')]",
    "//*[contains(@class, 'caption') and not(self::body) and not(self::article)]",
    "//*[contains(@class, 'credit') and not(self::body) and not(self::article)]",
)


@dataclass(frozen=True)
class ExtractionOptions:
    """trafilatura's options, fixed once here rather than passed as loose keywords."""

    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    prune_xpath: tuple[str, ...] = CAPTION_XPATHS

    def keywords(self) -> dict[str, Any]:
        """The explicit keyword set handed to trafilatura."""
        return {
            "include_comments": False,
            "include_images": False,
            "include_links": False,
            "include_formatting": False,
            "include_tables": self.include_tables,
            "favor_precision": self.favor_precision,
            "favor_recall": self.favor_recall,
            "deduplicate": False,  # its LRU cache is process-global and changes results
            "with_metadata": True,
            "prune_xpath": list(self.prune_xpath),
        }


class GenericArticlePage:
    """Any news page: one small method per field."""

    options = ExtractionOptions()

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        tree = load_html(html)
        if tree is None:
            raise NotAnArticle("not an HTML document")
        self.tree: HtmlElement = tree
        self.ld = json_ld_article(tree)
        self._doc = bare_extraction(copy.deepcopy(tree), url=url, **self.options.keywords())

    def to_item(self) -> ExtractedArticle:
        """The page's article."""
        text = self.text()
        if not text.strip():
            raise NotAnArticle("no article text found")
        return ExtractedArticle(
            url=self.url,
            canonical_url=self.canonical_url(),
            title=self.title(),
            text=text,
            authors=self.authors(),
            published_at=self.published_at(),
            modified_at=self.modified_at(),
            language=self.language(),
        )

    def _field(self, name: str) -> Any:
        return getattr(self._doc, name, None) if self._doc is not None else None

    def text(self) -> str:
        return str(self._field("text") or "")

    def title(self) -> str:
        return (
            ld_text(self.ld, "headline")
            or meta_content(self.tree, "og:title", "twitter:title")
            or str(self._field("title") or "")
        )

    def authors(self) -> tuple[str, ...]:
        names = ld_authors(self.ld)
        if not names:
            raw = meta_content(self.tree, "author", "article:author") or self._field("author")
            names = [n.strip() for n in str(raw or "").split(";") if n.strip()]
        return tuple(dict.fromkeys(names))

    def published_at(self) -> datetime | None:
        return to_utc(
            ld_text(self.ld, "datePublished")
            or meta_content(self.tree, "article:published_time", "datePublished", "pubdate")
            or self._field("date")
        )

    def modified_at(self) -> datetime | None:
        return to_utc(
            ld_text(self.ld, "dateModified")
            or meta_content(self.tree, "article:modified_time", "og:updated_time", "dateModified")
        )

    def language(self) -> str | None:
        lang = self.tree.get("lang") or ld_text(self.ld, "inLanguage")
        lang = lang or meta_content(self.tree, "og:locale", "language")
        return lang.replace("_", "-").split("-")[0].lower() if lang else None

    def canonical_url(self) -> str:
        declared = self.tree.xpath('//link[@rel="canonical"]/@href')
        og_url = meta_content(self.tree, "og:url")
        return resolve_canonical(self.url, declared[0] if declared else og_url)
