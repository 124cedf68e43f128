"""Parsing: the tree trafilatura's load_html would give (what follows `</html>` moved into the
body), its elements made without Python calls."""

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
