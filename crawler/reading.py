"""One page's whole read: bytes -> page object -> normalised snapshot. Pure and picklable.

The extractor (trafilatura and the page classes) is imported by the first reading, not with
this module: a crawl process that reads no page itself (a revisit pass that finds nothing
changed) never loads it.
"""

from __future__ import annotations

from importlib.metadata import version

from crawler.normalise.article import NORMALISER_VERSION, normalise_article
from crawler.pages.article import BlockedPage, NotAnArticle
from store.records import ArticleSnapshot

EXTRACTOR_VERSION = (
    f"archivist-{version('archivist')}+n{NORMALISER_VERSION}/trafilatura-{version('trafilatura')}"
)

__all__ = ["EXTRACTOR_VERSION", "BlockedPage", "NotAnArticle", "read_article"]


def read_article(url: str, body: bytes | str, content_type: str | None = None) -> ArticleSnapshot:
    """Extract and normalise one page; raises NotAnArticle or BlockedPage when there is none."""
    from crawler.pages.decoding import decode_html
    from crawler.pages.registry import page_class_for

    html = body if isinstance(body, str) else decode_html(body, content_type)
    page = page_class_for(url)(url, html)
    return normalise_article(page.to_item(), EXTRACTOR_VERSION)
