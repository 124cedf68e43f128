"""The headline a page shows: its story's `<h1>`, read as a reader sees it.

An editor can change the visible headline while the JSON-LD and og:title headline (what a
version's `title` is read from) stays as it was; a version then records the change. So the
`<h1>` read here must be the story's and must change only when its words do:

- not a theme's heading: a logo or site name (`<header>` of the page, `nav`, `aside`, `footer`,
  or a logo, brand or site-title class), which a page keeps when its story heading is gone;
- the one that shares the most words (of 4+ letters) with the declared headline: a sidebar's
  teaser cards can be `<article><h1>` too; one that shares none is no form of this story's
  headline (a blog name in `<h1>` over a post titled in `<h3>`), and none is read;
- its visible text: words joined by `<br>` stay apart; scripts, styles and screen-reader-only
  text are left out; soft hyphens, zero-width and no-break spaces are no change.
"""

from __future__ import annotations

import re
import unicodedata

from lxml.html import HtmlElement

CHROME_TAGS = frozenset({"nav", "aside", "footer"})
STORY_TAGS = frozenset({"article", "main"})  # a <header> inside them is the story's own
UNSEEN_TAGS = frozenset({"script", "style", "noscript", "template"})
THEME_CLASS = re.compile(r"logo|brand|site-?title|site-?name|masthead", re.IGNORECASE)
UNSEEN_CLASS = re.compile(r"sr-only|screen-reader|visually-?hidden", re.IGNORECASE)
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
WORD = re.compile(r"\w{4,}")


def shown_headline(tree: HtmlElement, declared: str) -> str | None:
    """The story's `<h1>` text, or None where no `<h1>` is a form of the declared headline."""
    headings = [text for h1 in tree.iter("h1") if not _theme_heading(h1) if (text := seen_text(h1))]
    wanted = _words(declared)
    best = max(headings, key=lambda text: len(_words(text) & wanted), default=None)
    if best is None or not _words(best) & wanted:
        return None
    return best


def seen_text(element: HtmlElement) -> str:
    """The element's text as shown: one line, invisible characters and unseen parts left out."""
    parts: list[str] = []
    _collect(element, parts)
    text = INVISIBLE.sub("", "".join(parts)).replace("\u00a0", " ")
    return " ".join(unicodedata.normalize("NFC", text).split())


def _collect(element: HtmlElement, parts: list[str]) -> None:
    if element.tag == "br":
        parts.append(" ")
    elif element.text:
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str) and not _unseen(child):
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def _unseen(element: HtmlElement) -> bool:
    return (
        element.tag in UNSEEN_TAGS
        or element.get("hidden") is not None
        or UNSEEN_CLASS.search(element.get("class") or "") is not None
    )


def _theme_heading(h1: HtmlElement) -> bool:
    """A heading of the site's rather than of the story's."""
    parent = h1.getparent()
    for element in (h1, parent):
        if element is not None and THEME_CLASS.search(element.get("class") or ""):
            return True
    tags = [ancestor.tag for ancestor in h1.iterancestors()]
    if CHROME_TAGS.intersection(tags):
        return True
    if "header" in tags:  # the page's header, unless the story holds it
        return not STORY_TAGS.intersection(tags[tags.index("header") :])
    return False


def _words(text: str) -> set[str]:
    return set(WORD.findall(text.casefold()))
