"""Which links on a section page a crawl follows: same site, matching the pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit


def site_of(url: str) -> str:
    """The host without `www.`: a site's scope."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


@dataclass(frozen=True)
class LinkScope:
    """Links worth following from `start`: same site and, if given, matching `pattern`."""

    start: str
    pattern: str | None = None

    def accepts(self, url: str) -> bool:
        """True for an http(s) link on the start page's site that matches the pattern."""
        if not url.startswith(("http://", "https://")) or site_of(url) != site_of(self.start):
            return False
        return self.pattern is None or re.search(self.pattern, url) is not None
