"""Feeds and sitemaps that are not well-formed XML: where they break, and what to trust.

Lenient parsers (feedparser's loose mode, lxml's `recover`) read past an error; that suits a
stray `&` mid-file, but a file cut off mid-way (a dropped connection, a generator that died)
ends in a half-written entry whose link is a fragment. So a damaged file is read once more,
strictly, to count the entries whose end tag came before the first error: a file that ends
before its root element closes keeps only those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from crawler.discovery.xmlsafety import LOCKED_DOWN

FEED_ENTRIES = frozenset({"item", "entry"})  # RSS 2.0 and 1.0; Atom
# a file ends with its root element's end tag, then maybe comments a cache plugin appended
_ROOT_CLOSED = re.compile(
    rb"</(?:[\w.-]+:)?(?:urlset|sitemapindex|rss|feed|RDF)\s*>(?:\s|<!--.*?-->|<\?.*?\?>)*\Z",
    re.DOTALL,
)
TAIL = 65536  # bytes at the end of a file where its root element's end tag is looked for


@dataclass(frozen=True)
class Damage:
    """The first XML error in a file, and whether the file was cut off before its end."""

    error: str  # "line 4, column 49: Premature end of data in tag link line 4"
    cut_off: bool
    complete: int  # in a file cut off: the entries whose end tag it holds, all before the cut

    def describe(self, kept: int, what: str) -> str:
        """One line for the run's warnings: what was wrong and what was read."""
        if self.cut_off:
            return (
                f"cut off mid-way (not well-formed XML at {self.error}): "
                f"the {kept} {what} listed before the cut were read"
            )
        return f"not well-formed XML (at {self.error}): {kept} {what} read past the error"


def find_damage(xml: bytes, entries: frozenset[str]) -> Damage | None:
    """None when `xml` is well-formed; otherwise its first error, read strictly, and (for a
    file cut off) how many `entries` elements it holds whole.

    Call it after `refuse_entities`: this parser is locked down too, but is not the guard.
    """
    parser = etree.XMLPullParser(**LOCKED_DOWN)
    try:
        parser.feed(xml)
        parser.close()
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        message = str(exc.msg).split(", line ")[0].strip()
        cut_off = not _ROOT_CLOSED.search(xml[-TAIL:])
        complete = _closed(xml, entries) if cut_off else 0
        return Damage(f"line {line}, column {column}: {message}", cut_off, complete)
    return None


def _closed(xml: bytes, entries: frozenset[str]) -> int:
    """How many end tags of `entries` elements the file holds (a stray error before the cut
    does not stop the count: the lenient parsers read past it too)."""
    names = b"|".join(re.escape(name.encode()) for name in sorted(entries))
    return len(re.findall(rb"</(?:[\w.-]+:)?(?:" + names + rb")\s*>", xml))
