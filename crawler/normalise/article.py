"""ExtractedArticle -> ArticleSnapshot: the last pure step before the archive."""

from __future__ import annotations

from collections import Counter

from crawler.normalise.boilerplate import apply_rules
from crawler.normalise.text import normalise_text, normalise_title
from crawler.pages.article import ExtractedArticle
from store.records import ArticleSnapshot

NORMALISER_VERSION = "1"


def normalise_article(
    article: ExtractedArticle, extractor_version: str, removed: Counter[str] | None = None
) -> ArticleSnapshot:
    """Clean text and fields; counts each boilerplate removal into `removed` when given."""
    cleaned = apply_rules(normalise_text(article.text))
    if removed is not None:
        removed.update(cleaned.removed)
    return ArticleSnapshot(
        url=article.canonical_url,
        title=normalise_title(article.title),
        text=normalise_text(cleaned.text),
        authors=tuple(normalise_title(a) for a in article.authors if a.strip()),
        published_at=article.published_at,
        modified_at=article.modified_at,
        language=article.language,
        extractor_version=extractor_version,
    )
