"""Per-site rules a user writes: selectors to drop or to take as the body, and line rules.

One TOML file per site, found through the ARCHIVIST_SITE_RULES environment variable (a file or
a folder of `*.toml` files):

    domain = "news.example"                  # also covers its subdomains
    body = ["div.story-body", "//article"]   # CSS or XPath; the first that matches is the body
    remove = ["div.newsletter-box", "aside"] # CSS or XPath; removed before extraction

    [[drop]]                                 # line rules, as in crawler/normalise/rules/*.toml
    name = "house-promo"
    patterns = ["Get the News Example app.*"]
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement, html_parser

from crawler.normalise.boilerplate import Rule, RulesError, rules_from_toml

if TYPE_CHECKING:  # the worker checks rules files at start-up without loading the extractor
    from crawler.pages.body import ExtractionOptions

SITE_RULES_ENV = "ARCHIVIST_SITE_RULES"
Selector: TypeAlias = etree.XPath  # CSSSelector is one too


@dataclass(frozen=True)
class SiteRules:
    """One site's rules; the empty default changes nothing."""

    domain: str = ""
    body: tuple[Selector, ...] = ()
    remove: tuple[Selector, ...] = ()
    line_rules: tuple[Rule, ...] = ()

    def prepare(
        self, tree: HtmlElement, options: ExtractionOptions
    ) -> tuple[HtmlElement, ExtractionOptions]:
        """The tree to extract from and the options to use, after the site's selectors."""
        if not (self.body or self.remove):
            return tree, options
        work = copy.deepcopy(tree)
        for selector in self.remove:
            for node in selector(work):
                _remove(node)
        for selector in self.body:
            chosen = [node for node in selector(work) if isinstance(node, HtmlElement)]
            if chosen:
                # the user named the body: keep all of it rather than second-guessing them
                return _document_of(chosen), replace(options, favor_recall=True)
        return work, options


def _remove(node: object) -> None:
    if isinstance(node, HtmlElement) and node.getparent() is not None:
        node.drop_tree()


def _document_of(nodes: list[HtmlElement]) -> HtmlElement:
    """A fresh document holding just the chosen nodes (moved out of a tree we own)."""
    root: HtmlElement = html_parser.makeelement("html")
    body = etree.SubElement(root, "body")
    for node in nodes:
        if not any(other in nodes for other in node.iterancestors()):
            node.tail = None
            body.append(node)
    return root


NO_RULES = SiteRules()


def site_rules_for(url: str) -> SiteRules:
    """The rules of the most specific configured domain covering `url`, or no rules."""
    location = os.environ.get(SITE_RULES_ENV, "").strip()
    if not location:
        return NO_RULES
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    sites = load_site_rules(location)
    while host:
        if host in sites:
            return sites[host]
        host = host.partition(".")[2]
    return NO_RULES


def check_site_rules() -> None:
    """Raise RulesError when ARCHIVIST_SITE_RULES names a missing or broken file.

    Commands call it before any page is fetched or read, so a broken file is one clear error
    up front rather than a failure on every page.
    """
    location = os.environ.get(SITE_RULES_ENV, "").strip()
    if location:
        load_site_rules(location)


def load_site_rules(location: str) -> dict[str, SiteRules]:
    """All site rules under a file or folder, by domain; raises RulesError on a bad file."""
    path = Path(location)
    if not path.exists():
        raise RulesError(f"{SITE_RULES_ENV}: no such file or folder: {location}")
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    # keyed by each file's size and mtime: an edited file is read again, never served stale
    return _parse_files(tuple((str(f), *_stamp(f)) for f in files))


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=8)
def _parse_files(stamped: tuple[tuple[str, int, int], ...]) -> dict[str, SiteRules]:
    sites: dict[str, SiteRules] = {}
    for name, *_ in stamped:
        rules = parse_site_file(Path(name))
        if rules.domain in sites:
            raise RulesError(f"{name}: domain {rules.domain} already has a rules file")
        sites[rules.domain] = rules
    return sites


def parse_site_file(path: Path) -> SiteRules:
    """One site's rules file."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{path}: {exc}") from exc
    domain = str(data.get("domain", "")).strip().lower().removeprefix("www.")
    if not domain:
        raise RulesError(f'{path}: missing `domain = "example.com"`')
    return SiteRules(
        domain=domain,
        body=tuple(_selector(s, path) for s in _strings(data, "body", path)),
        remove=tuple(_selector(s, path) for s in _strings(data, "remove", path)),
        line_rules=rules_from_toml(data, f"site:{domain}"),
    )


def _strings(data: dict[str, Any], key: str, path: Path) -> list[str]:
    value = data.get(key, [])
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RulesError(f"{path}: `{key}` must be a list of CSS or XPath selectors")
    return values


def _selector(text: str, path: Path) -> Selector:
    """XPath when it starts like one (`/`, `./`, `(`), else CSS."""
    try:
        if text.lstrip().startswith(("/", "./", "(")):
            return etree.XPath(text)
        selector: Selector = CSSSelector(text)
        return selector
    except (etree.XPathSyntaxError, SelectorError) as exc:
        raise RulesError(f"{path}: bad selector {text!r} ({exc})") from exc
