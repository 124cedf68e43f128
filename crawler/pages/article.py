"""The page objects' one item type, and the two ways a page can hold no article."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.normalise.boilerplate import Rule


class NotAnArticle(ValueError):
    """The page has no extractable article text."""


class BlockedPage(ValueError):
    """The page is an interstitial (ad-block wall, consent wall, paywall stub, access denied)."""


@dataclass(frozen=True)
class ExtractedArticle:
    """What a page object reads off one page, before normalisation."""

    url: str
    canonical_url: str
    title: str
    text: str
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    extra_rules: tuple[Rule, ...] = ()  # the site's own line rules, applied after the bundled ones
    headlines: tuple[str, ...] = ()  # other forms of the headline on the page (h1, <title>)
    description: str | None = None  # the page's declared summary: a standfirst repeats it
