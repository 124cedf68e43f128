"""Parsing: the tree trafilatura's load_html would give (what follows `</html>` moved into the
body; a <main> that libxml2 nests into a menu moved out of it), its elements made without
Python calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from crawler.pages.decoding import decode_html
from crawler.pages.parsing import parse_html

PAGES = Path(__file__).parent / "fixtures" / "pages"
ODD_INPUTS = {
    "xml declaration": '<?xml version="1.0" encoding="utf-8"?><html><body><p>Тест</p></body>',
    "self-closing html": "<!DOCTYPE html>\n<html lang='en'/>\n<body><p>Text here</p></body>",
    "doctype": '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN">\n<html><body><p>a</p></body>',
    "fragment": "<div><p>One</p><p>Two</p></div>",
    "one block": "<p>x</p>",
    "plain text": "just words, no markup at all",
    "control characters": "<html><body><p>a\x0bb\x00c</p></body></html>",
    "noncharacters": "<html><body><p>a\ufffeb\uffffc d\x1fe</p></body></html>",
    "lone surrogate": "<html><body><p>a\ud800b</p><p>after</p></body></html>",
    "xhtml doctype on one line": '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html><body><p>a</p></body></html>',
    "xhtml doctype": '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html><body><p>é</p></body></html>',
    "doctype on a page of one line": "<!DOCTYPE html><html><body><p>a</p>tail",
    "doctype and carriage returns": "<!DOCTYPE html>\r<html>\r<body><pre>a</pre>b",
    "wide characters": "<html><body><p>Привет, 世界 😀</p></body></html>",
    "charset declaration": '<html><head><meta charset="windows-1251"></head><body><p>Тест</p>',
    "form": "<html><body><form><input name=q><label>Search</label></form><p>a</p></body></html>",
}


def _inputs() -> list[tuple[str, str]]:
    saved = sorted(PAGES.glob("*/page.html"))
    assert saved, "the golden pages are missing"
    return [*ODD_INPUTS.items(), *((p.parent.name, decode_html(p.read_bytes())) for p in saved)]


@pytest.mark.parametrize(("name", "html"), _inputs(), ids=[name for name, _ in _inputs()])
def test_same_tree_as_trafilatura(name: str, html: str) -> None:
    ours, theirs = parse_html(html), load_html(html)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    assert etree.tostring(ours, encoding="unicode") == etree.tostring(theirs, encoding="unicode")


def test_every_element_is_a_plain_html_element() -> None:
    tree = parse_html(ODD_INPUTS["form"])
    assert tree is not None
    kinds = {type(node) for node in tree.iter(etree.Element)}
    assert kinds == {HtmlElement}  # lxml.html's own parser makes FormElement, InputElement...
    assert tree.find(".//label").text_content() == "Search"  # HtmlElement's methods are there


# A theme that closes the page in its header template and writes the article after it.
CLOSED_EARLY = """<!DOCTYPE html><html lang="en"><head><title>Harbour reopens</title></head>
<body><header><nav><a href="/">Home</a> <a href="/news/">News</a></nav></header></body></html>
<div class="story-page"><article><h1>Harbour reopens after the storm</h1>
<p>The harbour reopened on Tuesday morning, three weeks after the storm tore through the eastern
breakwater and left two cranes lying across the main quay.</p>
<p>Engineers worked in shifts to clear the channel, and the first ferry tied up shortly after
seven, carrying commuters who had spent the past weeks on a long detour by road.</p>
<p>The port authority said repairs to the breakwater would continue into the spring, and that
larger cargo ships would be kept to the western berths until the work is finished.</p>
</article></div><footer>Port News, 1 Quay Street</footer>"""


def test_what_follows_the_end_of_the_page_is_in_its_body() -> None:
    tree = parse_html(CLOSED_EARLY)
    assert tree is not None
    body = tree.find("body")
    assert [child.tag for child in body] == ["header", "div", "footer"]
    assert body.find(".//article/h1").text == "Harbour reopens after the storm"
    assert all(len(stray) == 0 for stray in tree.itersiblings())  # nothing left outside the root


def test_an_article_written_after_the_end_of_the_page_is_read() -> None:
    from crawler.reading import read_article

    text = read_article("https://port.example/news/harbour-reopens/", CLOSED_EARLY).text
    assert text.startswith("The harbour reopened on Tuesday morning")
    assert "kept to the western berths" in text
    assert "Port News" not in text


def test_loose_text_after_the_end_of_the_page_keeps_its_place() -> None:
    page = (
        "<html><body><nav>Home</nav></body></html>\n"
        "<html lang='fr'><body class='single'>Le port <b>rouvre</b> ce matin. "
        "<p>La digue tient.</p></body></html>"
    )
    tree = parse_html(page)
    assert tree is not None
    body = tree.find("body")
    assert [" ".join(p.text_content().split()) for p in body.iter("p")] == [
        "Le port rouvre ce matin.",
        "La digue tient.",
    ]
    assert tree.get("lang") == "fr" and body.get("class") == "single"  # merged, as browsers do


# A menu item whose dropdown <div> is closed only by the item's </li>: browsers close the div
# there, libxml2 ignores the </li> and puts the rest of the page (the story) inside the menu.
UNCLOSED_MENU = """<!DOCTYPE html><html lang="en"><head><title>Tax changes</title></head><body>
<header><nav><ul class="menu">
<li class="menu-item"><div class="dropdown"><a href="/taxes/">Taxes</a>
<ul class="sub"><li><a href="/taxes/credits/">Credits</a></li></ul>
</li>
<li class="menu-item"><a href="/about/">About</a></li>
</ul></nav></header>
<main id="content"><article class="post"><h1>What changes for this year's tax return</h1>
<p>Several deductions change this year, and most households will notice at least one of them
when they prepare their return in the spring.</p>
<p>The standard deduction rises again, which means fewer filers will find it worth itemising,
and the credit for dependants is paid out under new income limits.</p>
<p>Filers who work for themselves should keep receipts for the whole year, since the rules for
home offices and vehicles were rewritten as well.</p>
</article></main><footer>Tax Blog, 2 Ledger Lane</footer></body></html>"""


def test_a_main_nested_into_a_menu_is_moved_out_of_it() -> None:
    theirs = load_html(UNCLOSED_MENU)
    assert theirs is not None
    assert theirs.find(".//nav//main") is not None  # libxml2's tree: the story in the menu
    tree = parse_html(UNCLOSED_MENU)
    assert tree is not None
    main = tree.find(".//main")
    assert [up.tag for up in main.iterancestors()] == ["header", "body", "html"]
    assert main.getprevious().tag == "nav"
    assert tree.find(".//nav//main") is None and len(tree.findall(".//main")) == 1
    assert [link.text for link in tree.find(".//nav").iter("a")] == ["Taxes", "Credits", "About"]


def test_mains_moved_out_of_one_menu_keep_their_order() -> None:
    page = "<html><body><ul><li><main>A</main> one <main>B</main> two</li></ul></body></html>"
    tree = parse_html(page)
    assert tree is not None
    body = tree.find("body")
    assert [(child.tag, child.text_content()) for child in body] == [
        ("ul", " one  two"),
        ("main", "A"),
        ("main", "B"),
    ]


def test_a_main_keeps_the_text_around_it_in_place() -> None:
    tree = parse_html(
        "<html><body><ul><li><p>Menu</p><main><p>Story</p></main> after</li></ul></body></html>"
    )
    assert tree is not None
    assert [child.tag for child in tree.find("body")] == ["ul", "main"]
    assert " ".join(tree.find(".//li").text_content().split()) == "Menu after"
    assert tree.find(".//main").tail is None


# A link left open in the broken menu: a browser would reopen it around every later paragraph,
# and trafilatura would then drop the story's lists as link lists.
OPEN_LINK_MENU = UNCLOSED_MENU.replace(
    '<a href="/about/">About</a>', '<a href="/about/">About'
).replace(
    "</article>",
    "<ul><li>Keep receipts for the home office.</li><li>Log the miles driven for work.</li>"
    "<li>Note the dates of large purchases.</li></ul></article>",
)


def test_a_link_left_open_in_the_menu_does_not_swallow_the_story() -> None:
    from crawler.reading import read_article

    text = read_article("https://taxes.example/2026/changes/", OPEN_LINK_MENU).text
    assert text.startswith("Several deductions change this year")
    assert "- Log the miles driven for work." in text


def test_a_story_nested_into_its_menu_is_read() -> None:
    from crawler.reading import read_article

    text = read_article("https://taxes.example/2026/changes/", UNCLOSED_MENU).text
    assert text.startswith("Several deductions change this year")
    assert "home offices and vehicles were rewritten" in text
    assert "Ledger Lane" not in text
