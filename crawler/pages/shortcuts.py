"""Exact shortcuts through trafilatura's slowest steps: the same output for less CPU.

Two steps of trafilatura 2.3.1 cost about a third of a page's reading and can be done for less
with the very same result:

- **XPath expressions with `re:test`**: replaced by stand-ins (`crawler.pages.stand_ins`).
- **The readability comparison.** After its own extraction, trafilatura runs readability on a
  copy of the page and prefers readability's text only when its own is empty, structurally
  deficient (no paragraph text, more tables than paragraphs) or under half as long as
  readability's. Readability's text is made of the page's text outside scripts and styles (plus
  "VIDEO" for a video frame), so its length has a ceiling that costs a fraction of running it.
  When the own text is at least half that ceiling, well formed, long enough and free of what
  would send trafilatura on to jusText, the comparison cannot change the result and is skipped.
  This applies only to the release it was derived from (TRANSLATED_FROM).

`shortcuts()` puts them in place for the duration of a reading; outside it trafilatura is
untouched, so a benchmark can time stock trafilatura in the same process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from copy import copy
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura import core, xpaths
from trafilatura.external import SANITIZED_XPATH

from crawler.pages.stand_ins import StandIn, stand_ins

TRANSLATED_FROM = "2.3.1"
# What the comparison shortcut was derived from: a digest of these functions' source.
DERIVED_FROM = (
    "trafilatura.core._extract_and_compare",
    "trafilatura.external.compare_extraction",
    "trafilatura.external._prefer_readability",
    "trafilatura.external.try_readability",
    "trafilatura.readability_lxml.Document",
)
DERIVED_DIGEST = "8707055478111852"
VIDEO_LABEL = len("VIDEO") + 1  # readability writes this into a video frame: one more word
# Elements the HTML parser reads as raw text: readability serialises its result as XML and
# parses it again as HTML, so in these an "&" comes back as "&amp;" (4 more characters), a
# "<" or ">" as "&lt;" or "&gt;".
RAW_TEXT = ("xmp", "noembed", "noframes", "plaintext", "noscript", "iframe", "textarea", "title")
ESCAPE_GROWTH = len("&amp;") - 1


# --- the readability comparison ------------------------------------------------------------------


def readability_ceiling(tree: HtmlElement) -> int:
    """An upper bound on the length of readability's (trimmed) text for `tree`.

    Readability drops scripts and styles, keeps the rest of the page's text in document order or
    drops it, writes "VIDEO" into video frames and escapes the raw text of RAW_TEXT elements.
    Trimmed text (words joined by one space) of a part of the page is never longer than that of
    the whole page: it has no more characters outside spaces and no more words.
    """
    hidden = [(element, element.text) for element in tree.iter("script", "style")]
    for element, _ in hidden:
        element.text = None
    try:
        words = tree.text_content().split()
    finally:
        for element, text in hidden:
            element.text = text
    frames = sum(1 for _ in tree.iter("iframe"))
    escaped = sum(_escapable(element.text) for element in tree.iter(*RAW_TEXT))
    return sum(map(len, words)) + len(words) + VIDEO_LABEL * frames + ESCAPE_GROWTH * escaped


def _escapable(text: str | None) -> int:
    return text.count("&") + text.count("<") + text.count(">") if text else 0


def derived_digest() -> str | None:
    """The digest of DERIVED_FROM's source in the installed trafilatura (None: unreadable)."""
    import hashlib
    import importlib
    import inspect

    sources = []
    try:
        for name in DERIVED_FROM:
            module, _, attribute = name.rpartition(".")
            sources.append(inspect.getsource(getattr(importlib.import_module(module), attribute)))
    except (OSError, TypeError, AttributeError, ImportError):  # no source files, or renamed
        return None
    return hashlib.sha256("\n".join(sources).encode()).hexdigest()[:16]


def comparison_cannot_change(body: Any, text: str, tree: HtmlElement, options: Any) -> bool:
    """Whether trafilatura's `compare_extraction` would return `body` and `text` unchanged.

    It prefers readability only for an empty or structurally deficient own text, or one under
    half as long as readability's; it sends a short or unclean own text on to jusText; recall
    mode has rules of its own.
    """
    if options.focus == "recall" or len(text) < max(options.min_extracted_size, 1):
        return False
    if not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p")):
        return False
    if body.xpath(SANITIZED_XPATH):
        return False
    return readability_ceiling(tree) <= 2 * len(text)


def extract_and_compare(
    cleaned_tree: HtmlElement, cleaned_tree_backup: HtmlElement, tree: HtmlElement, options: Any
) -> tuple[Any, str]:
    """trafilatura 2.3.1's `core._extract_and_compare`, without a comparison that cannot change
    the result."""
    # core's own names, looked up as its code does
    body, text = core.extract_content(cleaned_tree, options)  # type: ignore[attr-defined]
    if options.fast or comparison_cannot_change(body, text, tree, options):
        return body, text
    compare = core.compare_extraction  # type: ignore[attr-defined]
    result: tuple[Any, str] = compare(cleaned_tree_backup, copy(tree), body, text, options)
    return result


# --- putting them in place ---------------------------------------------------------------------


class Shortcuts:
    """The swaps into trafilatura's modules, made while at least one reading is under way."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.stand_ins = stand_ins()
        self.compare = (
            trafilatura.__version__ == TRANSLATED_FROM and derived_digest() == DERIVED_DIGEST
        )
        self.installed: list[StandIn] = []  # what the first reading in swapped in
        self.original_compare: Any = None  # trafilatura's own, while ours is in place

    @property
    def names(self) -> list[str]:
        """What is shortened on this trafilatura."""
        compare = ["readability comparison"] if self.compare else []
        return [stand_in.name for stand_in in self.stand_ins] + compare

    @contextmanager
    def disabled(self) -> Iterator[None]:
        """Readings inside the block run stock trafilatura (to compare; not while reading)."""
        with self.lock:
            if self.depth:
                raise RuntimeError("the shortcuts cannot be turned off while a reading runs")
            saved, self.stand_ins, self.compare = (self.stand_ins, self.compare), [], False
        try:
            yield
        finally:
            with self.lock:
                self.stand_ins, self.compare = saved

    def enter(self) -> None:
        with self.lock:
            self.depth += 1
            if self.depth == 1:
                self._swap(in_place=True)

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0:
                self._swap(in_place=False)

    def _swap(self, in_place: bool) -> None:
        """Put the shortcuts in place, or put back exactly what the last swap replaced."""
        if in_place:
            self.installed = list(self.stand_ins)
        for stand_in in self.installed:  # the lists are shared: main_extractor and core see it
            expressions = getattr(xpaths, stand_in.home)
            expressions[stand_in.index] = stand_in if in_place else stand_in.original
        if in_place and self.compare:
            self.original_compare = core._extract_and_compare
            core._extract_and_compare = extract_and_compare
        elif not in_place and self.original_compare is not None:
            core._extract_and_compare, self.original_compare = self.original_compare, None
        if not in_place:
            self.installed = []


SHORTCUTS = Shortcuts()


@contextmanager
def shortcuts() -> Iterator[None]:
    """trafilatura with the shortcuts in place, for the duration of the block."""
    SHORTCUTS.enter()
    try:
        yield
    finally:
        SHORTCUTS.leave()
