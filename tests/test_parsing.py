"""Parsing: the tree trafilatura's load_html would give, its elements made without Python calls."""

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
