"""The generic page object: trafilatura for the body, a metadata cascade for the fields."""

from __future__ import annotations

import re
from datetime import datetime

from lxml.etree import XPath
from lxml.html import HtmlElement

from crawler.normalise.article import STANDFIRST_MAX_WORDS
from crawler.normalise.authors import clean_authors
from crawler.normalise.dates import to_utc
from crawler.normalise.urls import resolve_canonical
from crawler.pages.article import ExtractedArticle, NotAnArticle
from crawler.pages.blocked import check_blocked
from crawler.pages.body import (
    ExtractionOptions,
    extract_body,
    prepare_tree,
    read_again_if_short,
)
from crawler.pages.metadata import (
    byline_authors,
    fallback_date,
    first_meta,
    first_text,
    json_ld_article,
    language_code,
    ld_article_body,
    ld_authors,
    ld_text,
    meta_tags,
)
from crawler.pages.parsing import parse_html
from crawler.pages.site_rules import SiteRules, site_rules_for

LD_BODY_RATIO = 1.5
LD_BODY_MIN_WORDS = 150
# A page this short with nothing that marks an article (no date, no article markup or type) is
# a home or section page whose menu or link list trafilatura read, not a story.
UNMARKED_MIN_WORDS = 50
# Dublin Core names (Drupal and library or government CMSs declare dates and authors this way)
DUBLIN_CORE_DATE = (
    "dc.date",
    "dcterms.date",
    "dcterms.issued",
    "dc.date.issued",
    "dcterms.created",
)
DUBLIN_CORE_CREATOR = ("dcterms.creator", "dc.creator")
_DEK_CLASS = re.compile(
    r"standfirst|\bdeck?\b|dek[-_]|sub-?title|subhead|summary|excerpt|strapline|teaser|"
    r"description",
    re.IGNORECASE,
)


def _is_dek(paragraph: HtmlElement) -> bool:
    """Whether a <p> is marked as a standfirst: by its class, or as the only paragraph of a
    wrapper marked so (a body field such as Drupal's `text-with-summary` holds many)."""
    if _DEK_CLASS.search(paragraph.get("class", "")):
        return True
    parent = paragraph.getparent()
    if parent is None or sum(1 for _ in parent.iterchildren("p")) > 1:
        return False
    return _DEK_CLASS.search(parent.get("class", "")) is not None


_PARAGRAPH_SAYING = XPath("//p[normalize-space() = $text]")


class GenericArticlePage:
    """Any news page: one small method per field."""

    options = ExtractionOptions()

    def __init__(self, url: str, html: str, site: SiteRules | None = None) -> None:
        self.url = url
        tree = parse_html(html)
        if tree is None:
            raise NotAnArticle("not an HTML document")
        self.tree: HtmlElement = tree
        self.site = site if site is not None else site_rules_for(url)
        self.ld = json_ld_article(tree)
        self.meta = meta_tags(tree)
        prepare_tree(tree)

    def to_item(self) -> ExtractedArticle:
        """The page's article; raises BlockedPage for walls and NotAnArticle for no text."""
        text = self.text()
        title = self.title()
        check_blocked(self.tree, title, text)
        if not text.strip():
            raise NotAnArticle("no article text found")
        published_at = self.published_at()
        words = len(text.split())
        if words < UNMARKED_MIN_WORDS and published_at is None and not self.marked_as_article():
            raise NotAnArticle(
                f"{words} words and nothing that marks an article (no date, no article markup): "
                "a home or section page?"
            )
        return ExtractedArticle(
            url=self.url,
            canonical_url=self.canonical_url(),
            title=title,
            text=text,
            authors=self.authors(),
            published_at=published_at,
            modified_at=self.modified_at(),
            language=self.language(),
            extra_rules=self.site.line_rules,
            headlines=self.headlines(),
            description=self.standfirst(),
        )

    def standfirst(self) -> str | None:
        """The page's declared summary, unless the page shows it as the story's first paragraph.

        A standfirst repeats the summary above the story (a dek, a subtitle heading, a <p>
        whose class says so, or the only <p> of a wrapper whose class says so), and the body
        drops it; but a summary a CMS made from the story's first sentence is the lede: a
        plain <p> followed by the story's other paragraphs.
        """
        summary = first_meta(self.meta, "og:description", "description")
        if not summary or len(summary.split()) > STANDFIRST_MAX_WORDS:
            return summary
        for node in _PARAGRAPH_SAYING(self.tree, text=" ".join(summary.split())):
            following = node.getnext()
            if following is not None and following.tag == "p" and not _is_dek(node):
                return None
        return summary

    def text(self) -> str:
        tree, options = self.site.prepare(self.tree, self.options)
        extracted = extract_body(tree, self.url, options)
        declared = ld_article_body(self.ld) if tree is self.tree else ""
        # The publisher's own articleBody wins when trafilatura clearly picked a smaller block
        # (a teaser list, one section): much longer means it holds what the extractor missed.
        longer = len(declared.split()) >= LD_BODY_RATIO * len(extracted.split())
        if longer and len(declared.split()) >= LD_BODY_MIN_WORDS:
            return declared
        return read_again_if_short(tree, self.url, options, extracted)

    def marked_as_article(self) -> bool:
        """Whether the page calls itself an article: JSON-LD, og:type or an <article>."""
        if self.ld or first_meta(self.meta, "og:type") == "article":
            return True
        return next(self.tree.iter("article"), None) is not None

    def title(self) -> str:
        return (
            ld_text(self.ld, "headline")
            or first_meta(self.meta, "og:title", "twitter:title")
            or first_text(self.tree, "//h1", "//title")
            or ""
        )

    def headlines(self) -> tuple[str, ...]:
        """Every form the page gives its headline, so the body does not repeat any of them."""
        forms = [first_text(self.tree, "//h1"), first_meta(self.meta, "og:title")]
        forms.append(first_text(self.tree, "//title"))
        return tuple(dict.fromkeys(f for f in forms if f))

    def authors(self) -> tuple[str, ...]:
        names = ld_authors(self.ld)
        if not names:
            raw = first_meta(self.meta, "author", "article:author", "parsely-author")
            names = [raw] if raw and "://" not in raw else byline_authors(self.tree)
        if not names:  # Dublin Core's creator is often the publishing body: the last resort
            creator = first_meta(self.meta, *DUBLIN_CORE_CREATOR)
            names = [creator] if creator and "://" not in creator else []
        return clean_authors(names)

    def published_at(self) -> datetime | None:
        declared = ld_text(self.ld, "datePublished") or first_meta(
            self.meta,
            "article:published_time",
            "datePublished",
            "pubdate",
            "date",
            *DUBLIN_CORE_DATE,
        )
        return to_utc(declared) or fallback_date(self.tree, self.url)

    def modified_at(self) -> datetime | None:
        declared = ld_text(self.ld, "dateModified") or first_meta(
            self.meta, "article:modified_time", "og:updated_time", "dateModified"
        )
        return to_utc(declared)

    def language(self) -> str | None:
        return language_code(
            self.tree.get("lang")
            or ld_text(self.ld, "inLanguage")
            or first_meta(self.meta, "og:locale", "language", "content-language")
        )

    def canonical_url(self) -> str:
        # the head first: a walk of the whole tree only for pages that put it elsewhere
        declared = self.tree.xpath('/html/head/link[@rel="canonical"]/@href') or self.tree.xpath(
            '//link[@rel="canonical"]/@href'
        )
        og_url = first_meta(self.meta, "og:url")
        return resolve_canonical(self.url, declared[0] if declared else og_url)
