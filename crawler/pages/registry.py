"""Per-site page objects: a literal registry from domain to class, no import side effects."""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.pages.generic import GenericArticlePage

# domain (without "www.") -> page class overriding only the fields the generic page gets wrong
SITE_PAGES: dict[str, type[GenericArticlePage]] = {}


def page_class_for(url: str) -> type[GenericArticlePage]:
    """The page object class for `url`: a site override, else the generic page."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    while host:
        if host in SITE_PAGES:
            return SITE_PAGES[host]
        host = host.partition(".")[2]
    return GenericArticlePage
