"""The article body: trafilatura with explicit options, on a tree a page object prepared."""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, replace
from typing import Any

from lxml.etree import Element, XPath
from lxml.html import HtmlElement
from trafilatura import bare_extraction, xpaths
from trafilatura.settings import BASIC_CLEAN_XPATH

from crawler.pages.shortcuts import shortcuts

# Captions, credits and gallery labels describe pictures, not the story. Accordions hold the
# story's own sections and answers, folded: trafilatura's discard rules throw them away for a
# "hidden" class, a style or aria-hidden that a script flips when the reader opens one, or a
# token such as "accordion-icon-style-arrow" ("-icon"), so they are opened: only their
# accordion class tokens and no hiding attributes are left. One walk finds both; it visits
# class attributes, not elements: the substring tests are what makes it slow.
# A view or hit counter drawn as an icon and a bare number ("<span class="post-views"><i
# class="fa fa-eye"></i> 9,876</span>") leaves a line that no text rule can tell from content,
# and it changes on every visit: a small element whose class says views or hits (views,
# post-views, view-count, hits-counter; not review or overview) and whose text is a number (and
# an icon, or a "views" word) is removed with the captions, on a line of its own. So is a
# call-to-action box (class token "cta": "Want to win more jobs? Start free trial"), which
# trafilatura reads as prose when a theme puts it inside the story (see _is_call_to_action).
CAPTIONS_AND_ACCORDIONS = XPath(
    "//figcaption | //@class[contains(., 'caption') or contains(., 'credit')"
    " or contains(., 'accordion') or contains(., 'view') or contains(., 'hits')"
    " or contains(., 'cta')]/parent::*"
)
_CTA_TOKEN = re.compile(r"(?:^|[_-])cta(?:$|[_-])", re.IGNORECASE)
# WordPress writes a post's tags and categories ("tag-cta": the Chicago Transit Authority) and
# a theme's palette colours ("has-cta-background-color") as classes: they say nothing of a box.
_NOT_A_BOX = ("tag-", "category-", "has-")
_ACTIONS = frozenset({"a", "button", "form", "input"})  # what a call to action asks one to use
CTA_MAX_WORDS = 80
_COUNTER_CLASS = re.compile(
    r"(?<![a-z])(?:views?|hits)(?![a-z])|views?[-_]?count|hits[-_]?count", re.IGNORECASE
)
_COUNTER_TAGS = frozenset({"span", "div", "p", "b", "strong", "small", "em", "i", "a"})
_COUNTER_TEXT = re.compile(
    r"[^\w\s]{0,3}\s*\d[\d,. ]{0,12}[kKmMкК]?\s*(?:views?|hits|reads?|просмотр\w*)?", re.IGNORECASE
)
_PAGE_PARTS = frozenset({"body", "article", "main"})
_INLINE = frozenset({"a", "span", "button", "b", "strong", "em", "i", "small", "input", "label"})
_HIDING = ("hidden", "aria-hidden")
_HIDING_STYLE = re.compile(r"display\s*:\s*none|hidden")

# Second readings in trafilatura's recall mode (without its readability/jusText comparison,
# which changes nothing there and costs as much again), for two signs that the main pass missed
# text:
# - a flat one-line dump: its last resort when the main pass finds too little is the text of
#   the page's <article> or <body> (breadcrumbs and menus included) on one line; the recall
#   reading wins when it has lines and keeps most of the words. "Too little" is under
#   MIN_EXTRACTED_SIZE characters (250), so a brief of two short paragraphs always comes out
#   flat, headline and byline glued to the story: a dump of under FLAT_MIN_WORDS words is
#   broken into lines at its <article>'s block elements instead (article_lines), word for word;
# - a short reading: under RECALL_SHARE of the words in the page's paragraphs, list items,
#   headings and cells outside nav, header, footer, aside and forms (a dropped section, a list
#   of cards), or a reading without a single list item although the page's lists hold over
#   LIST_SHARE as many words as it (trafilatura preferred readability's or jusText's reading,
#   which keep paragraphs and drop lists and headings); the recall reading wins when it is
#   clearly longer (it also takes in more boilerplate). On the labelled corpus this re-reads
#   about one page in nine, and raises recall more than it costs precision.
# A reading still short after that is tried once more with the containers that trafilatura's
# discard rules hit shielded from them, when one holds over SHIELD_SHARE of the page's words
# and SHIELD_GAIN times as many as the reading so far: the rules match class and id substrings
# ("bar" in "bard", "footer" in "page1-footer"), and a theme's wrapper around the story can
# carry one. The shielded reading wins only when it is clearly longer and at least PROSE_SHARE
# of what it adds is in lines of PROSE_WORDS words or more: a grid of related stories
# (headlines, one-sentence teasers) is rightly discarded, even when it makes the story look
# short. On the labelled corpus it changes three pages, each for the better.
FLAT_MIN_WORDS = 100
# where a brief's lines break (trafilatura's own block elements)
BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
)  # fmt: skip
# The site's own parts, as HTML5 and ARIA name them: a <header> outside the story's <article> or
# <main> (and outside a <section> or <aside>, which a header of its own introduces) is the
# site's banner, a <footer> outside its <article> the site's footer.
_CHROME = XPath(
    "//header[not(ancestor::article or ancestor::main or ancestor::section or ancestor::aside"
    " or ancestor::header)] | //nav"
    " | //footer[not(ancestor::article)]"
    " | //*[@role='banner' or @role='navigation' or @role='contentinfo' or @role='search']"
)
_VISIBLE_TEXT = XPath(
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template)]"
)
CHROME_MAX_SHARE = 0.5
_OUTERMOST_ARTICLES = XPath(".//article[not(ancestor::article)]")
ARTICLE_MIN_CHARS = 100  # trafilatura's last resort: a shorter <article> is a teaser card
BREAK = "\ue000"  # a private-use character: where a block starts or ends
STRUCTURED_MIN_SHARE = 0.8
RECALL_SHARE = 0.6
LIST_SHARE = 0.2
RECALL_GAIN = 1.2
SHIELD_SHARE = 0.2
PROSE_WORDS = 20
SHIELD_GAIN = 3
PROSE_SHARE = 0.5
_LIST_LINE = re.compile(r"^(?:[-•] |\d{1,3}[.)] )", re.MULTILINE)
_BLOCKS = frozenset({"p", "li", "h2", "h3", "h4", "td", "blockquote", "dd"})
_ASIDE = frozenset({"nav", "header", "footer", "aside", "form", "script", "style", "noscript"})

# Ordered lists keep their numbers ("3. Preheat the oven"): trafilatura marks every item "- ".
_NUMBERED = re.compile(r"\s*\d{1,3}[.)]\s")
_OPENERS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd"})
# Inline elements inside prose that trafilatura would drop (<time>) or turn into a block (<q>).
PROSE_INLINE = {"time": ("p", "li", "td"), "q": ("p", "li")}  # the tag, and the prose around it


def prepare_tree(tree: HtmlElement) -> HtmlElement:
    """Remove captions, open accordions, start list items' text at their first word, number
    ordered lists' items and unwrap prose's <time> and <q> (mutates `tree`, returns it)."""
    for node in CAPTIONS_AND_ACCORDIONS(tree):
        classes = node.get("class") or ""
        if node.tag in _PAGE_PARTS:  # the page itself is no caption and no fold
            continue
        if node.tag == "figcaption" or ("caption" in classes or "credit" in classes):
            if node.getparent() is not None:
                node.drop_tree()
        elif "accordion" in classes:
            _open_accordion(node, classes)
        elif _is_counter(node, classes) or _is_call_to_action(node, classes):
            node.drop_tree()
    for item in tree.iter("li"):  # lxml's tag filter: far cheaper than an XPath walk
        if item.text and item.text[:1].isspace():  # "<li>\n  March 16": one line, as shown
            item.text = item.text.lstrip()
    for ordered in tree.iter("ol"):
        _number_items(ordered)
    for node in list(tree.iter(*PROSE_INLINE)):
        if next(node.iterancestors(*PROSE_INLINE[node.tag]), None) is None:
            continue
        if node.tag == "q":
            _quote(node)
        node.tag = "span"  # inline and kept: trafilatura reads its text in place
    return tree


def _is_call_to_action(node: HtmlElement, classes: str) -> bool:
    """Whether an element is a call-to-action box: a class token "cta" ("post-cta",
    "c-cta--primary", "cta_btn"; not a post's "tag-cta" or a colour's "has-cta-..."), a link,
    button or form in it or itself one, CTA_MAX_WORDS words at most (a theme's wrapper named
    "above-cta" around the story holds far more), and a line of its own: a link in a sentence
    stays, words and all."""
    parent = node.getparent()
    tokens = (token for token in classes.split() if not token.startswith(_NOT_A_BOX))
    if parent is None or not any(_CTA_TOKEN.search(token) for token in tokens):
        return False
    if node.tag not in _ACTIONS and next(node.iter(*_ACTIONS), None) is None:
        return False
    if len(node.text_content().split()) > CTA_MAX_WORDS:
        return False
    return node.tag not in _INLINE or _stands_alone(node, parent)


def _stands_alone(node: HtmlElement, parent: HtmlElement) -> bool:
    """Whether an inline element is a line of its own: no text of the line before or after it
    (a button between blocks, not a link in a sentence)."""
    before = node.getprevious()
    text_before = parent.text if before is None else before.tail
    return not (text_before or "").strip() and not (node.tail or "").strip()


def _is_counter(node: HtmlElement, classes: str) -> bool:
    """Whether an element is a counter standing alone: a class that says so, an icon at most, a
    number for text, and a line of its own (a block, or alone in its parent): a number in a
    sentence, a table cell or a list item stays."""
    parent = node.getparent()
    if node.tag not in _COUNTER_TAGS or parent is None or not _COUNTER_CLASS.search(classes):
        return False
    if len(node) > 2 or any(len(child) for child in node):
        return False
    text = node.text_content().strip()
    if _COUNTER_TEXT.fullmatch(text) is None:
        return False
    return node.tag in ("div", "p") or parent.text_content().strip() == text  # a line of its own


def _open_accordion(node: HtmlElement, classes: str) -> None:
    """An accordion's part as a reader sees it opened: its accordion class tokens only, and no
    hidden, aria-hidden or style that hides it (display: none; overflow: hidden at height 0)."""
    node.set("class", " ".join(token for token in classes.split() if "accordion" in token))
    for name in _HIDING:
        node.attrib.pop(name, None)
    if _HIDING_STYLE.search(node.get("style") or ""):
        del node.attrib["style"]


def _number_items(ordered: HtmlElement) -> None:
    """Write each item's number before its text, as a browser shows it (`start`, `value`,
    `reversed`); not when the item starts "3) ..." or every item's first text is its own number
    alone (badges the page prints: "1", "2", ... in elements of their own)."""
    items = list(ordered.iterchildren("li"))
    step = -1 if ordered.get("reversed") is not None else 1
    number = _integer(ordered.get("start"), len(items) if step < 0 else 1)
    numbers = []
    for item in items:
        number = _integer(item.get("value"), number)
        numbers.append(number)
        number += step
    if items and all(map(_own_number, items, numbers)):
        return
    for item, number in zip(items, numbers, strict=True):
        if not _NUMBERED.match(item.text_content()[:8]):
            block = _opening_block(item)
            target = item if block is None else block
            target.text = f"{number}. {(target.text or '').lstrip()}"


def _own_number(item: HtmlElement, number: int) -> bool:
    """Whether the item's first piece of text is its number alone."""
    first = next((text for text in item.itertext() if text.strip()), "")
    return first.strip().rstrip(".):") == str(number)


def _opening_block(node: HtmlElement, block: HtmlElement | None = None) -> HtmlElement | None:
    """The innermost heading, paragraph or nested list item around an item's first words, or
    None when there is none (its number then goes before the item's own text): number and words
    on one line. A block of another kind (a rating, a button) is not one: trafilatura may drop
    it, and the number with it."""
    if (node.text or "").strip():
        return block
    for child in node.iterchildren(Element):
        if child.text_content().strip():
            return _opening_block(child, child if child.tag in _OPENERS else block)
        if (child.tail or "").strip():
            return block
    return block


def _integer(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _quote(node: HtmlElement) -> None:
    node.text = f"“{node.text or ''}"
    last = node[-1] if len(node) else None
    if last is not None:
        last.tail = f"{last.tail or ''}”"
    else:
        node.text += "”"


@dataclass(frozen=True)
class ExtractionOptions:
    """trafilatura's options, fixed once here rather than passed as loose keywords."""

    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    fast: bool = False  # skip trafilatura's comparison with readability and jusText
    prune_xpath: tuple[str, ...] = ()

    @property
    def picked_a_mode(self) -> bool:
        """Whether the caller chose precision or recall (no second reading then)."""
        return self.favor_precision or self.favor_recall

    def keywords(self) -> dict[str, Any]:
        """The explicit keyword set handed to trafilatura."""
        return {
            "include_comments": False,
            "include_images": False,
            "include_links": False,
            "include_formatting": False,
            "include_tables": self.include_tables,
            "favor_precision": self.favor_precision,
            "favor_recall": self.favor_recall,
            "fast": self.fast,
            "deduplicate": False,  # its LRU cache is process-global and changes results
            "with_metadata": False,  # the page object reads metadata itself, cheaper and first
            "prune_xpath": list(self.prune_xpath) or None,
        }


def extract_body(tree: HtmlElement, url: str, options: ExtractionOptions) -> str:
    """The body text trafilatura finds in `tree` (left untouched: trafilatura copies it); a flat
    one-line dump is read again in recall mode."""
    text = _extract(tree, url, options)
    words = len(text.split())
    if options.picked_a_mode or "\n" in text or not words:
        return text
    if words < FLAT_MIN_WORDS:
        return article_lines(tree, text) or text
    again = _extract(without_chrome(tree), url, _recall(options))
    structured = "\n" in again and len(again.split()) >= STRUCTURED_MIN_SHARE * words
    return again if structured else text


def article_lines(tree: HtmlElement, flat: str) -> str | None:
    """The flat dump of a brief, broken into lines where the page's <article> breaks it.

    trafilatura's last resort gives the text of the page's outermost <article> elements (those
    over 100 characters and a fifth of the longest) as one line; the same words, line by line
    at the articles' block elements (headline, byline and paragraphs on lines of their own),
    or None when they are not the same words.
    """
    copied = deepcopy(tree)
    for node in BASIC_CLEAN_XPATH(copied):  # what trafilatura's last resort leaves out
        node.drop_tree()
    articles = [_block_lines(article) for article in _OUTERMOST_ARTICLES(copied)]
    sizes = [len(" ".join(lines)) for lines in articles]
    longest = max(sizes, default=0)
    lines = [
        line
        for article, size in zip(articles, sizes, strict=True)
        if size > ARTICLE_MIN_CHARS and size >= longest / 5
        for line in article
    ]
    return "\n".join(lines) if " ".join(lines).split() == flat.split() else None


def _block_lines(article: HtmlElement) -> list[str]:
    """An element's text, one line per run between block elements (newlines in the page's
    source are spaces, as a browser shows them)."""
    for block in article.iter(*BLOCK_TAGS):
        block.text = f"{BREAK}{block.text or ''}"
        block.tail = f"{BREAK}{block.tail or ''}"
    runs = article.text_content().split(BREAK)
    return [line for line in (" ".join(run.split()) for run in runs) if line]


def read_again_if_short(tree: HtmlElement, url: str, options: ExtractionOptions, text: str) -> str:
    """`text`, or a second reading when `text` holds too little of the page's words: in recall
    mode, then (still short) with the big containers trafilatura's discard rules hit shielded."""
    if options.picked_a_mode:
        return text
    page, in_lists = page_words(tree)
    if not _short(text, page, in_lists):
        return text
    text = _longer(text, _extract(without_chrome(tree), url, _recall(options)))
    if not _short(text, page, in_lists):
        return text
    shielded = shield_discarded(tree, page, len(text.split()))
    if shielded is None:
        return text
    again = _extract(shielded, url, options)
    return _longer(text, again) if _adds_prose(text, again) else text


def _longer(text: str, again: str) -> str:
    """The second reading when it is clearly longer, else the first."""
    return again if len(again.split()) >= RECALL_GAIN * len(text.split()) else text


def _adds_prose(text: str, again: str) -> bool:
    """Whether most of what `again` adds to `text` is prose (lines of PROSE_WORDS words or more),
    not the headlines and one-line teasers of a grid of other stories."""
    before = set(text.split("\n"))
    added = [len(line.split()) for line in again.split("\n") if line not in before]
    prose = sum(words for words in added if words >= PROSE_WORDS)
    return prose > 0 and prose >= PROSE_SHARE * sum(added)


def shield_discarded(tree: HtmlElement, page: int, read: int = 0) -> HtmlElement | None:
    """A copy of `tree` in which no container hit by trafilatura's discard rules holds over
    SHIELD_SHARE of the page's words and SHIELD_GAIN times the `read` words of the reading so
    far (None when none does): the rules match class and id substrings, so a theme's
    "page1-footer" or "bard" wrapper around the story goes with its footers and bars. Such a
    container loses its class and id, and so does a hit inside it that holds most of its words
    (a wrapper in the wrapper); a smaller box inside it (related posts) keeps them.
    """
    least = max(SHIELD_SHARE * page, SHIELD_GAIN * read)
    if least >= page:  # no container holds more than the page
        return None
    with shortcuts():
        hits = dict.fromkeys(node for find in xpaths.OVERALL_DISCARD_XPATH for node in find(tree))
    words = {node: page_words(node)[0] for node in hits}
    outermost = [
        node
        for node in hits
        if words[node] > least and not any(up in hits for up in node.iterancestors())
    ]
    shielded = set(outermost) | {
        inner
        for outer in outermost
        for inner in hits
        if words[inner] > words[outer] / 2 and outer in inner.iterancestors()
    }
    if not shielded:
        return None
    copied, twins = copy_with_twins(tree, shielded)
    for twin in twins:
        twin.attrib.pop("class", None)
        twin.attrib.pop("id", None)
    return copied


def _short(text: str, page: int, in_lists: int) -> bool:
    words = len(text.split())
    listless = in_lists > LIST_SHARE * words and not _LIST_LINE.search(text)
    return words < RECALL_SHARE * page or listless


def without_chrome(tree: HtmlElement) -> HtmlElement:
    """A copy of `tree` without the site's own header, navigation and footer, for a reading in
    recall mode: that mode reads every <div> left, trafilatura keeps a <header> (site search,
    locations, menus), and it puts back what its cleaning removed when that took every
    paragraph. A banner that holds over CHROME_MAX_SHARE of the words a reader sees wraps the
    page itself (a theme's markup), and stays."""
    chrome = _CHROME(tree)
    if not chrome:
        return tree
    page = visible_words(tree)
    small = {node for node in chrome if visible_words(node) <= CHROME_MAX_SHARE * page}
    if not small:
        return tree
    copied, twins = copy_with_twins(tree, small)
    for twin in twins:
        if twin.getparent() is not None:
            twin.drop_tree()  # its tail stays: text that follows it is not part of it
    return copied


def copy_with_twins(
    tree: HtmlElement, nodes: set[HtmlElement]
) -> tuple[HtmlElement, list[HtmlElement]]:
    """A deep copy of `tree` and the copies of `nodes` in it, in document order (the copy has
    the same nodes in the same order: the twins are found by walking both)."""
    copied = deepcopy(tree)
    twins = [twin for node, twin in zip(tree.iter(), copied.iter(), strict=True) if node in nodes]
    return copied, twins


def visible_words(node: HtmlElement) -> int:
    """Words a reader sees in `node`: its text outside scripts, styles and templates (inline
    CSS or a JSON-LD graph can outweigh a page's story)."""
    return sum(len(str(text).split()) for text in _VISIBLE_TEXT(node))


def _recall(options: ExtractionOptions) -> ExtractionOptions:
    return replace(options, favor_recall=True, fast=True)


def page_words(tree: HtmlElement) -> tuple[int, int]:
    """Words in the page's paragraphs, list items, headings and cells, menus and forms aside;
    and how many of them are in list items."""
    words, in_lists, stack = 0, 0, [tree]
    while stack:  # one walk down, never into a block already counted or an aside
        node = stack.pop()
        if node.tag in _BLOCKS:
            count = len(node.text_content().split())
            words += count
            in_lists += count if node.tag == "li" else 0
        elif node.tag not in _ASIDE:
            stack.extend(node.iterchildren(Element))  # elements only, filtered by lxml
    return words, in_lists


def _extract(tree: HtmlElement, url: str, options: ExtractionOptions) -> str:
    with shortcuts():
        document = bare_extraction(tree, url=url, **options.keywords())
    return str(getattr(document, "text", None) or "") if document is not None else ""
