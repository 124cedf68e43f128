"""The shortcuts through trafilatura give its very output: expression by expression, on fixture
pages and on generated trees, and for whole readings in every mode the pipeline uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from copy import copy
from pathlib import Path
from typing import Any

import pytest
import trafilatura
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml.etree import XPath, tostring
from lxml.html import HtmlElement
from trafilatura import bare_extraction, core, xpaths
from trafilatura.external import try_readability
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.settings import Extractor
from trafilatura.utils import trim

from crawler.pages import shortcuts as module
from crawler.pages.parsing import parse_html
from crawler.pages.shortcuts import (
    SHORTCUTS,
    TRANSLATED_FROM,
    Shortcuts,
    readability_ceiling,
    shortcuts,
)
from crawler.pages.stand_ins import stand_ins
from tests.conftest import FIXTURES

DEMO_PAGES = Path(module.__file__).parents[2] / "scheduler" / "demo_site"
PAGES = sorted((FIXTURES / "pages").glob("*/page.html")) + sorted(DEMO_PAGES.rglob("*.html"))
PARAGRAPH = (
    "The council met on Tuesday evening to discuss the river bridge, and members argued at "
    "length about its cost. "
)
needs_translated = pytest.mark.skipif(
    trafilatura.__version__ != TRANSLATED_FROM,
    reason=f"the shortcuts were written from trafilatura {TRANSLATED_FROM}",
)


def page_tree(path: Path) -> HtmlElement:
    tree = parse_html(path.read_bytes().decode("utf-8", "replace"))
    assert tree is not None
    return tree


def cleaned(tree: HtmlElement) -> HtmlElement:
    """The tree as trafilatura's extractor sees it: cleaned, tags converted (item, list...)."""
    options = Extractor(tables=True)
    return convert_tags(tree_cleaning(copy(tree), options), options)


# --- generated trees: the attributes the expressions test, in either order ------------------------

WORDS = [
    "comment", "Comments", "commentary", "comment-list", "comol", "reply-", "reply-form",
    "hidden", "hide-print", "display:none", "display: none", "nav", "Nav", "NAV", "navbar",
    "menu", "main", "main-content", "Main-Content", "page-content", "Page-Content", "content",
    "content-main", "content-body", "post", "entry", "articleBody", "article-body", "article",
    "story", "story-body", "fulltext", "FullText", "primary", "share-bar", "share",
    "elementor-share-buttons", "mvp-post-add-box", "infinite-scroll", "cookie", "ad", "ad-slot",
    "sidebar", "widget", "tags", "author", "MostPopularStories", "akismet", "true", "false",
    "text", "cell", "postarea", "x", "",
]  # fmt: skip
ATTRIBUTES = [
    "id", "class", "style", "role", "aria-hidden", "data-component",
    "data-lp-replacement-content", "itemprop",
]  # fmt: skip
TAGS = [
    "div", "section", "span", "p", "article", "main", "aside", "ul", "ol", "li", "details",
    "h1", "a", "item", "list", "header",
]  # fmt: skip

values = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).flatmap(
    lambda words: st.sampled_from([" ", "-", ""]).map(lambda joint: joint.join(words))
)
attributes = st.lists(
    st.tuples(st.sampled_from(ATTRIBUTES), values), max_size=4, unique_by=lambda a: a[0]
)


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = "".join(f' {name}="{value}"' for name, value in draw(attributes))
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 4 else []
    text = draw(st.sampled_from(["", "Some words.", PARAGRAPH]))
    return f"<{tag}{attrs}>{text}{''.join(children)}</{tag}>"


pages = st.lists(elements(), min_size=1, max_size=4).map(
    lambda body: f"<html><body>{''.join(body)}</body></html>"
)


def parsed(html: str) -> HtmlElement:
    tree = parse_html(html)
    assert tree is not None
    return tree


# --- each stand-in is its expression -------------------------------------------------------------


@needs_translated
def test_every_stand_in_is_ready_on_the_release_it_was_written_from() -> None:
    assert [s.name for s in stand_ins()] == [
        "OVERALL_DISCARD_XPATH[0]",
        "OVERALL_DISCARD_XPATH[1]",
        "REMOVE_COMMENTS_AND_LISTS_XPATH[0]",
        "RAW_TREE_PRUNE_XPATH[0]",
        "RAW_TREE_PRUNE_XPATH[1]",
        "BODY_XPATH[0]",
        "BODY_XPATH[2]",
        "BODY_XPATH[3]",
    ]
    assert SHORTCUTS.compare


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stand_ins_find_what_the_expressions_find_on_fixture_pages(page: Path) -> None:
    raw = page_tree(page)
    for tree in (raw, cleaned(raw)):
        for stand_in in stand_ins():
            assert stand_in(tree) == stand_in.original(tree), stand_in.name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages)
def test_stand_ins_find_what_the_expressions_find_on_generated_trees(html: str) -> None:
    tree = parsed(html)
    for stand_in in stand_ins():
        assert stand_in(tree) == stand_in.original(tree), (stand_in.name, html)


def test_a_changed_expression_keeps_trafilatura_s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = list(xpaths.BODY_XPATH)
    changed[0] = XPath(changed[0].path.replace("@class='post'", "@class='posting'"))
    monkeypatch.setattr(xpaths, "BODY_XPATH", changed)
    names = [s.name for s in stand_ins()]
    assert "BODY_XPATH[0]" not in names
    assert ("BODY_XPATH[2]" in names) == (trafilatura.__version__ == TRANSLATED_FROM)


# --- the readability comparison ------------------------------------------------------------------


def readability_length(tree: HtmlElement) -> int:
    found = try_readability(copy(tree))
    return len(trim(tostring(found, method="text", encoding="utf-8").decode("utf-8")))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_ceiling_holds_on_fixture_pages(page: Path) -> None:
    tree = page_tree(page)
    assert readability_length(tree) <= readability_ceiling(tree)


SCRIPTED = st.sampled_from([
    "<script>var a = 'long script text ' + 1;</script>tail words",
    "<style>p { color: red }</style>",
    '<iframe src="https://www.youtube.com/embed/x"></iframe>',
    "<iframe src='/local'></iframe>  spaced   words  ",
    "<xmp>" + "a<b&&c>d " * 30 + "</xmp>",
    "<noscript><img src='pixel.gif'> &amp; more</noscript>",
    "<noembed>x && y</noembed>",
])  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages, st.lists(SCRIPTED, max_size=3))
def test_the_ceiling_holds_and_leaves_the_tree_as_it_was(html: str, extras: list[str]) -> None:
    tree = parsed(html.replace("<body>", "<body>" + "".join(extras)))
    before = tostring(tree)
    assert readability_length(tree) <= readability_ceiling(tree)
    assert tostring(tree) == before


def raw_text_page() -> str:
    """Readability's text grows here: the XML it writes is parsed again as HTML, and an `<xmp>`
    keeps the escapes ("&" comes back as "&amp;")."""
    paragraphs = "".join(f"<p>{PARAGRAPH[:85]} {i}</p>" for i in range(4))
    return (
        f"<html><body><article><h1>Bridge</h1>{paragraphs}"
        f"<xmp>{'a<b&&c>d ' * 30}</xmp></article></body></html>"
    )


def test_the_ceiling_counts_the_escapes_of_raw_text() -> None:
    tree = parsed(raw_text_page())
    assert readability_length(tree) <= readability_ceiling(tree)
    assert reading(raw_text_page(), True) == reading(raw_text_page(), False)


def tables_page() -> str:
    """A page whose own reading trafilatura gives up for jusText's: the comparison matters."""
    rows = "</td></tr><tr><td>".join(f"{PARAGRAPH}{i}" for i in range(6))
    return (
        "<html><body><div class='entry-content'><p>A short introduction of about ten words "
        f"to the story here.</p><table><tr><td>{rows}</td></tr></table>"
        "<table><tr><td>x</td></tr></table></div></body></html>"
    )


def article_page() -> str:
    paragraphs = "".join(f"<p>{PARAGRAPH}{i}</p>" for i in range(8))
    return (
        "<html><body><nav><a href='/'>Home</a></nav><article><h1>Bridge</h1>"
        f"{paragraphs}</article><footer>Contact us</footer></body></html>"
    )


def counted_reading(html: str, use_shortcuts: bool, **options: Any) -> tuple[str, int]:
    """The text bare_extraction reads, and how often it ran the readability comparison."""
    calls = []
    original: Callable[..., Any] = core.compare_extraction

    def counting(*args: Any) -> Any:
        calls.append(args)
        return original(*args)

    core.compare_extraction = counting
    try:
        if use_shortcuts:
            with shortcuts():
                document = bare_extraction(parsed(html), with_metadata=False, **options)
        else:
            document = bare_extraction(parsed(html), with_metadata=False, **options)
    finally:
        core.compare_extraction = original
    return (document.text if document is not None else ""), len(calls)


@needs_translated
def test_the_comparison_is_skipped_only_where_it_cannot_change_the_reading() -> None:
    stock, compared = counted_reading(article_page(), use_shortcuts=False)
    short, compared_short = counted_reading(article_page(), use_shortcuts=True)
    assert (short, compared, compared_short) == (stock, 1, 0)

    stock, _ = counted_reading(tables_page(), use_shortcuts=False)
    fast, _ = counted_reading(tables_page(), use_shortcuts=False, fast=True)
    short, compared_short = counted_reading(tables_page(), use_shortcuts=True)
    assert fast != stock  # the comparison changed this reading...
    assert (short, compared_short) == (stock, 1)  # ...so it still runs, with the same result


# --- whole readings -------------------------------------------------------------------------------

MODES = {
    "default": {},
    "recall": {"favor_recall": True, "fast": True},
    "precision": {"favor_precision": True},
    "tables-off": {"include_tables": False},
}


def reading(html: str, use_shortcuts: bool, **options: Any) -> str:
    def read() -> str:
        document = bare_extraction(parsed(html), with_metadata=False, deduplicate=False, **options)
        return str(document.text) if document is not None else ""

    if not use_shortcuts:
        return read()
    with shortcuts():
        return read()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_readings_with_shortcuts_are_trafilatura_s(page: Path, mode: str) -> None:
    html = page.read_bytes().decode("utf-8", "replace")
    assert reading(html, True, **MODES[mode]) == reading(html, False, **MODES[mode])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages)
def test_readings_with_shortcuts_are_trafilatura_s_on_generated_pages(html: str) -> None:
    assert reading(html, True) == reading(html, False)


# --- in place only while reading -----------------------------------------------------------------


def trafilatura_parts() -> Iterator[object]:
    yield core._extract_and_compare
    yield from xpaths.OVERALL_DISCARD_XPATH
    yield from xpaths.REMOVE_COMMENTS_AND_LISTS_XPATH
    yield from xpaths.RAW_TREE_PRUNE_XPATH
    yield from xpaths.BODY_XPATH


@needs_translated
def test_the_comparison_shortcut_needs_the_source_it_was_derived_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert module.derived_digest() == module.DERIVED_DIGEST
    assert Shortcuts().compare
    monkeypatch.setattr(module, "DERIVED_FROM", (*module.DERIVED_FROM, "trafilatura.core.extract"))
    assert not Shortcuts().compare


def test_shortcuts_cannot_be_turned_off_mid_reading() -> None:
    before = list(trafilatura_parts())
    with shortcuts(), pytest.raises(RuntimeError), SHORTCUTS.disabled():
        pass
    assert list(trafilatura_parts()) == before
    with SHORTCUTS.disabled():
        with shortcuts():  # a reading with them off swaps nothing in...
            assert list(trafilatura_parts()) == before
        assert list(trafilatura_parts()) == before  # ...and nothing out
    with shortcuts():
        inside = list(trafilatura_parts())
    assert list(trafilatura_parts()) == before
    if trafilatura.__version__ == TRANSLATED_FROM:
        assert inside != before


def test_trafilatura_is_its_own_outside_a_reading() -> None:
    before = list(trafilatura_parts())
    assert all(isinstance(part, XPath) for part in before[1:])
    with shortcuts():
        with shortcuts():  # nested: the inner block leaves them in place
            inside = list(trafilatura_parts())
        assert list(trafilatura_parts()) == inside
    assert list(trafilatura_parts()) == before
    if trafilatura.__version__ == TRANSLATED_FROM:
        assert sum(a is not b for a, b in zip(before, inside, strict=True)) == 9
