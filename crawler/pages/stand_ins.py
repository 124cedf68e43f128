"""Exact stand-ins for trafilatura's XPath expressions that call Python once per element.

lxml runs EXSLT's `re:test` as a call back into Python for every element an expression visits,
several per element: on a news page, trafilatura 2.3.1's expressions with `re:test` cost about
a quarter of its reading. Each stand-in walks the tree with lxml's tag filter (in C), reads the
same attributes and tests each distinct attribute value once (values repeat from element to
element): the same elements in the same (document) order, about four times faster.

A stand-in is made only while the expression's text is the one it was written from (a digest of
the text, WRITTEN_FROM); a trafilatura release that changes an expression keeps its own.
`crawler.pages.shortcuts` puts them in place.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml.etree import Element, XPath
from lxml.html import HtmlElement

# Distinct attribute values remembered per pattern before starting afresh: common classes repeat
# from page to page, ids like "post-123" do not (about 22 patterns, a few hundred KB each at most).
CACHE_LIMIT = 2_000

Find = Callable[[HtmlElement], list[HtmlElement]]


class Search(dict[str, bool]):
    """`re:test(value, pattern)` as lxml runs it (Python's `re.search`), remembered per value."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        super().__init__()
        self.pattern = re.compile(pattern, flags)

    def __missing__(self, value: str) -> bool:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        found = self[value] = self.pattern.search(value) is not None
        return found


def first_of(
    element: HtmlElement, name: str, value: str | None, other: str, second: str | None
) -> str:
    """The string value of `@name|@other` (`value` and `second`): the one written first."""
    if value is None or second is None:
        return value if value is not None else second or ""
    names = element.keys()
    return value if names.index(name) < names.index(other) else second


_RE_TEST = re.compile(r"re:test\(@[\w|@-]+, '([^']*)'(?:, '(\w*)')?\)")


def searches(expression: XPath) -> list[Search]:
    """A Search for each `re:test` of `expression`, in the order they are written."""
    return [
        Search(pattern, re.IGNORECASE if "i" in flags else 0)
        for pattern, flags in _RE_TEST.findall(expression.path)
    ]


def digest(expression: XPath) -> str:
    """What identifies an expression's text, whitespace aside."""
    return hashlib.sha256(" ".join(expression.path.split()).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StandIn:
    """An exact replacement for one of trafilatura's XPath expressions: called like it."""

    home: str  # the list in trafilatura.xpaths that holds the expression
    index: int
    original: XPath
    find: Find

    @property
    def name(self) -> str:
        return f"{self.home}[{self.index}]"

    @property
    def path(self) -> str:
        return str(self.original.path)

    def __str__(self) -> str:  # trafilatura logs str(expression)
        return self.path

    def __call__(self, tree: HtmlElement) -> list[HtmlElement]:
        return self.find(tree)


# --- the stand-ins, one per expression, each written from trafilatura 2.3.1's text ---------------


def overall_discard(expression: XPath) -> Find:
    """OVERALL_DISCARD_XPATH[0]: navigation, share bars, newsletters, ads, meta, related..."""
    consent, ids, classes = searches(expression)

    def find(tree: HtmlElement) -> list[HtmlElement]:
        found = []
        for element in tree.iterdescendants("div", "item", "list", "p", "section", "span"):
            get = element.get
            ident, cls = get("id"), get("class")
            if (
                get("data-lp-replacement-content") is not None
                or "nav" in (get("role") or "").replace("N", "n")
                or "MostPopularStories" in (get("data-component") or "")
                or consent[first_of(element, "id", ident, "class", cls)]
                or ids[ident or ""]
                or classes[cls or ""]
            ):
                found.append(element)
        return found

    return find


def hidden_and_replies(expression: XPath) -> Find:
    """OVERALL_DISCARD_XPATH[1]: hidden elements, comment titles, reply forms."""
    hidden, ids, classes = searches(expression)

    def find(tree: HtmlElement) -> list[HtmlElement]:
        found = []
        for element in tree.iterdescendants(Element):  # elements only, no comments
            get = element.get
            ident, cls, style = get("id"), get("class"), get("style")
            if ident is None and cls is None and style is None and get("aria-hidden") is None:
                continue
            if (
                cls == "comments-title"
                or first_of(element, "id", ident, "class", cls).startswith("reply-")
                or hidden[first_of(element, "id", ident, "style", style)]
                or (style is not None and ("display:none" in style or "display: none" in style))
                or ids[ident or ""]
                or classes[cls or ""]
                or get("aria-hidden") == "true"
            ):
                found.append(element)
        return found

    return find


def comment_sections(expression: XPath) -> Find:
    """REMOVE_COMMENTS_AND_LISTS_XPATH[0]: comment sections, and lists that hold comments."""
    ids, classes, list_ids, list_classes = searches(expression)
    lists = frozenset({"ol", "ul"})

    def find(tree: HtmlElement) -> list[HtmlElement]:
        found = []
        for element in tree.iterdescendants("div", "list", "section", "details", "ol", "ul"):
            ident, cls = element.get("id") or "", element.get("class") or ""
            if not (ids[ident] or classes[cls]):
                continue
            if element.tag not in lists or list_ids[ident] or list_classes[cls]:
                found.append(element)
        return found

    return find


def appended_articles(expression: XPath) -> Find:
    """RAW_TREE_PRUNE_XPATH[0]: infinite-scroll containers holding follow-up articles."""
    ids, classes, own_ids, own_classes = searches(expression)

    def find(tree: HtmlElement) -> list[HtmlElement]:
        found = []
        for element in tree.iterdescendants("div", "section", "aside"):
            ident, cls = element.get("id") or "", element.get("class") or ""
            if not (ids[ident] or classes[cls]):
                continue
            no_headline = next(element.iterdescendants("h1"), None) is None
            if no_headline or own_ids[ident] or own_classes[cls]:
                found.append(element)
        return found

    return find


def share_buttons(expression: XPath) -> Find:
    """RAW_TREE_PRUNE_XPATH[1]: Elementor's share buttons."""

    def find(tree: HtmlElement) -> list[HtmlElement]:
        return [
            element
            for element in tree.iterdescendants("div", "section", "aside")
            if "elementor-share-buttons" in (element.get("class") or "")
        ]

    return find


CONTENT_TAGS = ("article", "div", "main", "section")


def article_body(expression: XPath) -> Find:
    """BODY_XPATH[0]: `.//*[...][1]`, the first matching child of every parent, in order."""
    ids, classes = searches(expression)

    def matches(element: HtmlElement) -> bool:
        get = element.get
        cls, ident = get("class"), get("id")
        return (
            cls in ("post", "entry")
            or get("itemprop") == "articleBody"
            or ident == "articleContent"
            or ids[ident or ""]
            or classes[cls or ""]
        )

    def find(tree: HtmlElement) -> list[HtmlElement]:
        found, parents = [], set()
        for element in tree.iterdescendants(*CONTENT_TAGS):
            parent = element.getparent()
            if parent not in parents and matches(element):
                parents.add(parent)
                found.append(element)
        return found

    return find


def story_body(expression: XPath) -> Find:
    """BODY_XPATH[2]: `(.//*[...])[1]`, the first story container."""
    ids, fulltext, classes = searches(expression)
    names = frozenset({"postarea", "art-postcontent", "text", "cell", "story"})

    def matches(element: HtmlElement) -> bool:
        get = element.get
        cls, ident = get("class"), get("id")
        return (
            get("role") == "article"
            or ident in ("article", "story")
            or cls in names
            or ids[ident or ""]
            or fulltext[cls or ""]
            or classes[cls or ""]
        )

    return _first(matches)


def main_content(expression: XPath) -> Find:
    """BODY_XPATH[3]: `(.//*[...])[1]`, the first main-content container."""
    ids, classes = searches(expression)

    def matches(element: HtmlElement) -> bool:
        get = element.get
        cls, ident = get("class") or "", get("id") or ""
        return (
            ident == "content"
            or cls == "content"
            or ids[ident]
            or classes[cls]
            or "main-content" in ident.replace("C", "c").replace("M", "m")
            or "main-content" in cls.replace("C", "c").replace("M", "m")
            or "page-content" in cls.replace("C", "c").replace("P", "p")
        )

    return _first(matches)


def _first(matches: Callable[[HtmlElement], bool]) -> Find:
    def find(tree: HtmlElement) -> list[HtmlElement]:
        found = next((e for e in tree.iterdescendants(*CONTENT_TAGS) if matches(e)), None)
        return [] if found is None else [found]

    return find


# Where each stand-in goes, and the digest of the expression text it was written from.
WRITTEN_FROM: dict[tuple[str, int], tuple[str, Callable[[XPath], Find]]] = {
    ("OVERALL_DISCARD_XPATH", 0): ("d9e4b7d7125b4838", overall_discard),
    ("OVERALL_DISCARD_XPATH", 1): ("9abb7217d588fd5a", hidden_and_replies),
    ("REMOVE_COMMENTS_AND_LISTS_XPATH", 0): ("ec1083e558ae70c0", comment_sections),
    ("RAW_TREE_PRUNE_XPATH", 0): ("77023cff86242dc8", appended_articles),
    ("RAW_TREE_PRUNE_XPATH", 1): ("3c7afe92279543d5", share_buttons),
    ("BODY_XPATH", 0): ("8cab6e6e5b503a8d", article_body),
    ("BODY_XPATH", 2): ("3ac5a80dac974e64", story_body),
    ("BODY_XPATH", 3): ("a3befe41db4d28b9", main_content),
}


def stand_ins() -> list[StandIn]:
    """The stand-ins whose expressions this trafilatura still writes as they were translated."""
    from trafilatura import xpaths

    ready = []
    for (name, index), (written, make) in WRITTEN_FROM.items():
        expressions = getattr(xpaths, name, None)
        if not isinstance(expressions, list) or len(expressions) <= index:
            continue
        original = expressions[index]
        if isinstance(original, XPath) and digest(original) == written:
            ready.append(StandIn(name, index, original, make(original)))
    return ready
