"""HTML text to an lxml tree: trafilatura's parser settings, with element classes picked in C.

lxml.html's parser asks a Python function for the class of every element proxy it makes (about
5,500 per page, through trafilatura's cleaning passes): a quarter of all Python calls of a
reading. A default class lookup gives every element `HtmlElement` from C, which is all
trafilatura and our page objects use (no form or label helpers). The repairs and the rejection
of non-HTML are trafilatura's own, so the tree is the one its `load_html` would give, with two
repairs more. What a page writes after `</html>` is in its `<body>`, where a browser shows it.
And libxml2 does not build the tree a browser builds from broken markup: it ignores a `</li>` while
a `<div>` opened inside the item is still open, and then the rest of the page (the story
included) ends up inside the menu item, which trafilatura throws away with the menu. A `<main>`
inside a menu, list, footer or aside (where HTML never lets one be) is the mark of such a
tree: it is moved out, next to the outermost of them, where the extractor sees it. The rest of
the tree stays as libxml2 built it (a browser's own tree would also move the footer out, and
reopen a link left open in the menu around every later paragraph).
"""

from __future__ import annotations

from lxml.etree import ElementDefaultClassLookup, ParserError, SubElement
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.utils import DOCTYPE_TAG, is_dubious_html, repair_faulty_html

HTML_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
# Elements that sit inside a line of text rather than start a block of their own.
INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn", "em", "i", "img", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
})  # fmt: skip
# What trafilatura's INVALID_XML_CHARS removes, as UTF-8: C0 controls but tab, LF and CR; U+FFFE
# and U+FFFF.
_FORBIDDEN_CONTROLS = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
# Where a browser never puts a <main>, and trafilatura throws away what they hold; libxml2 puts it
# there after markup it does not close as HTML says.
MISPLACED_MAIN = frozenset({"nav", "menu", "ul", "ol", "li", "footer", "aside"})
HTML_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)


def parse_html(html: str) -> HtmlElement | None:
    """The page's tree, or None when the text is not an HTML document."""
    beginning = html[:50].lower()
    data = _repaired(html, beginning)
    tree = None if data is None else _parse(data)
    if tree is None or len(tree) < 1:  # as trafilatura's load_html goes about it
        html = repair_faulty_html(html, beginning)
        tree = _parse(html)
        if tree is None or len(tree) < 1:  # an encoding declaration: lxml wants bytes then
            tree = _parse(html.encode("utf8", "surrogatepass"))
    if tree is None or (is_dubious_html(beginning) and len(tree) < 2):
        return None
    return lift_misplaced_main(adopt_stray_roots(tree))


def _repaired(html: str, beginning: str) -> bytes | None:
    """trafilatura's `repair_faulty_html(html, beginning)`, UTF-8 encoded for libxml2 (which
    reads UTF-8 faster than Python's wider strings), without its costliest step when it would
    change nothing: a regular expression over the whole page for characters XML forbids. Bytes
    tell at C speed whether there are any. None for text with lone surrogates, which libxml2
    reads otherwise from bytes."""
    try:
        data = html.encode("utf-8")
    except UnicodeEncodeError:
        return None
    forbidden = len(data.translate(None, _FORBIDDEN_CONTROLS)) < len(data) or any(
        noncharacter in data for noncharacter in _NONCHARACTERS
    )
    if forbidden or _faulty_start(html, beginning):
        return repair_faulty_html(html, beginning).encode("utf-8")
    return data


def _faulty_start(html: str, beginning: str) -> bool:
    """Whether trafilatura's repairs of the first lines change `html`: a doctype with a slash, a
    self-closing <html/>, or a doctype on a page of one line (a newline is added at its end)."""
    newline = html.find("\n")
    if "doctype" in beginning and (newline < 0 or DOCTYPE_TAG.search(html, 0, newline)):
        return True
    return any("<html" in line and line.endswith("/>") for line in html[:4096].splitlines()[:4])


def lift_misplaced_main(tree: HtmlElement) -> HtmlElement:
    """`tree` with each <main> that sits in a menu, list, footer or aside moved out, next to
    the outermost of them (mutated, returned); its tail text stays where it was."""
    last_moved: dict[HtmlElement, HtmlElement] = {}  # per place: the <main> moved there last
    for main in list(tree.iter("main")):
        misplaced = [up for up in main.iterancestors() if up.tag in MISPLACED_MAIN]
        if misplaced:
            _keep_tail(main)
            place = misplaced[-1]
            last_moved.get(place, place).addnext(main)  # in their order on the page
            last_moved[place] = main
    return tree


def _keep_tail(node: HtmlElement) -> None:
    """`node`'s tail text joined to what precedes it, so that moving `node` leaves it in place."""
    if not node.tail:
        return
    previous, parent = node.getprevious(), node.getparent()
    if previous is not None:
        previous.tail = (previous.tail or "") + node.tail
    elif parent is not None:
        parent.text = (parent.text or "") + node.tail
    node.tail = None


def adopt_stray_roots(tree: HtmlElement) -> HtmlElement:
    """`tree` with what follows its `</html>` moved into its `<body>` (mutated, returned).

    libxml2 makes a second root element of what comes after the document's end tag (a theme
    that closes the page in its header template, then writes the article): invisible to a walk
    of the tree from its root, so to the extractor. Browsers parse it into the body.
    """
    strays = [node for node in tree.itersiblings() if isinstance(node.tag, str)]
    if not strays:
        return tree
    body = tree.find("body")
    if body is None:
        body = SubElement(tree, "body")
    for stray in strays:
        _merge_attributes(tree, stray)
        _move_content(stray, body)
    return tree


def _move_content(source: HtmlElement, body: HtmlElement) -> None:
    """`source`'s text and elements to the end of `body`: a second head's or body's content in
    place of the tag, loose text with the inline elements after it as a paragraph."""
    loose = _loose_paragraph(body, source.text)
    for child in list(source):
        if not isinstance(child.tag, str):
            continue
        if child.tag in ("head", "body"):
            if child.tag == "body":
                _merge_attributes(body, child)
            _move_content(child, body)
            loose = _loose_paragraph(body, child.tail)
        elif loose is not None and child.tag in INLINE:
            loose.append(child)  # its tail with it
        else:
            body.append(child)
            loose = None


def _loose_paragraph(body: HtmlElement, text: str | None) -> HtmlElement | None:
    """A new paragraph at the end of `body` holding loose text, or None when there is none."""
    if not text or not text.strip():
        return None
    paragraph = SubElement(body, "p")
    paragraph.text = text.lstrip()
    return paragraph


def _merge_attributes(kept: HtmlElement, second: HtmlElement) -> None:
    """A second <html> or <body> tag's attributes join the first's, as browsers merge them."""
    for name, value in second.attrib.items():
        if name not in kept.attrib:
            kept.set(name, value)


def _parse(html: str | bytes) -> HtmlElement | None:
    try:
        tree: HtmlElement = fromstring(html, parser=HTML_PARSER)
    except (ValueError, ParserError):  # "Unicode strings with encoding declaration", or empty
        return None
    return tree
