"""ExtractedArticle -> ArticleSnapshot: the last pure step before the archive."""

from __future__ import annotations

import re
from collections import Counter

from crawler.normalise.author_lines import drop_author_lines
from crawler.normalise.authors import clean_authors
from crawler.normalise.boilerplate import apply_rules, load_rules
from crawler.normalise.glued import drop_glued
from crawler.normalise.teasers import drop_trailing_teasers
from crawler.normalise.text import (
    drop_repeated_runs,
    normalise_text,
    normalise_title,
    tidy_blank_lines,
)
from crawler.pages.article import ExtractedArticle
from store.records import ArticleSnapshot

NORMALISER_VERSION = "12"
HEADLINE_SEARCH_LINES = 8  # the headline, when a body repeats it, comes within the first lines
LEAD_MAX_WORDS = 40  # what sits above a repeated headline: breadcrumbs, kicker, date, byline
STANDFIRST_MAX_WORDS = 15  # a standfirst is one short sentence; a longer match is the lede itself
_FOLD = re.compile(r"\W+")


def normalise_article(
    article: ExtractedArticle, extractor_version: str, removed: Counter[str] | None = None
) -> ArticleSnapshot:
    """Clean text and fields; counts each boilerplate removal into `removed` when given."""
    title = normalise_title(article.title)
    rules = load_rules() + article.extra_rules
    cleaned = apply_rules(normalise_text(article.text), rules)
    headlines = (title, *(normalise_title(h) for h in article.headlines))
    text = drop_glued(cleaned.text, rules, cleaned.removed)
    text = drop_repeated_runs(tidy_blank_lines(text), cleaned.removed)
    text = drop_trailing_teasers(text, cleaned.removed)
    text = drop_headline(text, headlines, cleaned.removed)
    text = drop_standfirst(text, article.description, cleaned.removed)
    authors = clean_authors(article.authors)
    text = drop_author_lines(text, authors, cleaned.removed)
    if removed is not None:
        removed.update(cleaned.removed)
    return ArticleSnapshot(
        url=article.canonical_url,
        title=title,
        text=text,
        authors=authors,
        published_at=article.published_at,
        modified_at=article.modified_at,
        language=article.language,
        extractor_version=extractor_version,
    )


def drop_headline(text: str, headlines: tuple[str, ...], removed: Counter[str]) -> str:
    """The body without the headline (a field of its own) and what a theme put above it."""
    lines = text.split("\n")
    seen_words = 0
    for index, line in enumerate(lines[:HEADLINE_SEARCH_LINES]):
        if line.strip() and any(same_headline(line, title) for title in headlines):
            removed["headline"] += 1
            return "\n".join(lines[index + 1 :]).strip()
        seen_words += len(line.split())
        if seen_words > LEAD_MAX_WORDS:
            break
    return text


def drop_standfirst(text: str, description: str | None, removed: Counter[str]) -> str:
    """The body without a leading standfirst that repeats the page's short description."""
    first, _, rest = text.partition("\n")
    short = len(first.split()) <= STANDFIRST_MAX_WORDS
    if description and short and _fold(first) and _fold(first) == _fold(description):
        removed["standfirst"] += 1
        return rest.strip()
    return text


def same_headline(line: str, title: str) -> bool:
    """Whether a line is the title, or the title without a trailing " | Site name"."""
    line_key, title_key = _fold(line), _fold(title)
    if not line_key or not title_key:
        return False
    return line_key == title_key or (
        title_key.startswith(line_key + " ") and len(line_key) >= 0.5 * len(title_key)
    )


def _fold(text: str) -> str:
    return _FOLD.sub(" ", text.casefold()).strip()
