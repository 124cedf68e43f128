"""The blocked-page classifier: walls and error pages that stand where an article should be.

A page is blocked when its title is an error or bot-check title, or when its text carries a
wall line (ad-block, consent, paywall, human check) and little else. Both tests need the page to
be short: a real article that talks about paywalls or cookies is long, and its sentences about
them are not the short, line-opening UI phrases a wall is made of.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from crawler.normalise.boilerplate import line_key
from crawler.pages.article import BlockedPage

ERROR_MAX_WORDS = 150  # error and bot-check pages carry a sentence or two, never a story
WALL_MAX_WORDS = 120  # article words beside a wall line; a paywall teaser is a paragraph or two
WALL_LINE_MAX_WORDS = 40  # wall lines are UI text; a longer line is prose that mentions one

_ERROR_TITLE = re.compile(
    r"(?:(?:error|http)\s*)?(?:400|401|403|404|410|429|451|500|502|503|504)\b.{0,60}"
    r"|(?:access|permission)\s+denied.{0,60}|forbidden|(?:page|file|article)\s+not\s+found.{0,60}"
    r"|not\s+found|just a moment\W*|attention required!?.{0,40}|are you a (?:robot|human)\??"
    r"|request (?:blocked|rejected|denied)|pardon our interruption\W*|security check.{0,40}"
    r"|(?:please )?verify you are (?:a )?human|service (?:temporarily )?unavailable"
    r"|too many requests|internal server error|(?:site|website) (?:is )?under maintenance"
    r"|доступ (?:запрещ[её]н|ограничен)|страница не найдена|ошибка 404",
    re.IGNORECASE,
)

# (kind, whole-line pattern): UI phrases a wall is made of, matched case-insensitively.
_WALL_LINES = (
    ("ad-block wall", r"(?:we(?:'ve| have)? )?(?:ad ?block(?:er)?|ad blocking) "
     r"(?:detected|is enabled)"),
    ("ad-block wall", r"(?:please )?(?:disable|turn off|pause|whitelist us in) "
     r"(?:your |the )?ad ?block(?:er)?.{0,80}"),
    ("ad-block wall", r"(?:it looks like |looks like )?you(?:'re| are) using an ad ?blocker"),
    ("ad-block wall", r"(?:пожалуйста,? )?(?:отключите|выключите) (?:ваш )?"
     r"(?:блокировщик рекламы|adblock).{0,80}"),
    ("consent wall", r"before you continue(?: to \w+)?"),
    ("consent wall", r"we value your privacy"),
    ("consent wall", r"(?:we and our (?:\d+ )?partners|we) (?:use|store and/or access) "
     r"(?:cookies|information on a device).{0,200}(?:consent|accept|agree|preferences).{0,40}"),
    ("consent wall", r"(?:accept|reject) all(?: cookies)?"),
    ("consent wall", r"manage (?:cookie )?(?:options|preferences|settings)|more options"),
    ("paywall", r"(?:subscribe|sign in|log in|register) (?:now )?to (?:continue|keep) "
     r"reading.{0,80}"),
    ("paywall", r"to (?:continue|keep) reading,? (?:please )?"
     r"(?:subscribe|sign in|log in|register).{0,80}"),
    ("paywall", r"this (?:article|story|content|post) is (?:only )?"
     r"(?:available|exclusive|reserved) (?:to|for) (?:paid |our )?"
     r"(?:\S+ )?(?:subscribers|members).{0,80}"),
    ("paywall", r"you(?:'ve| have) (?:reached|used) (?:your|all of your) (?:limit of )?"
     r"(?:free )?(?:articles?|stories)(?: limit)?.{0,80}"),
    ("paywall", r"(?:already a subscriber|already have an account)\??.{0,40}"),
    ("paywall", r"(?:unlock|read) (?:this|the full) (?:article|story) (?:with|by) (?:a )?"
     r"subscri\w+.{0,80}"),
    ("paywall", r"this (?:article|story|content|post) is (?:only )?for (?:paid |premium |our )?"
     r"(?:subscribers|members)(?: only)?"),
    ("paywall", r"(?:continue|keep) reading with (?:a|an|our) (?:\S+ )?(?:subscription|membership)"
     r"\b.{0,120}"),
    ("paywall", r"(?:subscribe (?:now )?for|get) unlimited (?:digital )?access(?: to (?:all "
     r"(?:of )?)?our (?:journalism|articles|stories|reporting|content|website|site))?"
     r"(?: for [£$€]\d.{0,80})?"),
    ("paywall", r"become a (?:member|subscriber|paid subscriber)(?: today)? to (?:unlock|read|"
     r"access) (?:this|the full|all (?:of )?our|our|unlimited) (?:article|story|journalism|"
     r"articles|stories|reporting|content)\b.{0,80}"),
    ("paywall", r"(?:материал|статья) доступ(?:ен|на) (?:только )?(?:для )?подписчик\w+.{0,80}"),
    ("human check", r"checking (?:if the site connection is secure|your browser).{0,80}"),
    ("human check", r"(?:please )?enable (?:javascript and cookies|cookies and javascript) "
     r"to continue.{0,40}"),
    ("human check", r"verify (?:that )?you are (?:a )?human.{0,80}"),
)  # fmt: skip
WALLS = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _WALL_LINES)


def check_blocked(tree: HtmlElement, title: str, text: str) -> None:
    """Raise BlockedPage when the page is a wall or an error page rather than an article."""
    reason = blocked_reason(tree, title, text)
    if reason is not None:
        raise BlockedPage(reason)


def blocked_reason(tree: HtmlElement, title: str, text: str) -> str | None:
    """Why the page is blocked, or None for an ordinary page."""
    lines = text.split("\n") if text.strip() else visible_lines(tree)
    words = sum(len(line.split()) for line in lines)
    page_title = " ".join((tree.findtext(".//title") or "").split())
    if words < ERROR_MAX_WORDS and _is_error_title(title, page_title):
        return f"error page ({title or page_title})"
    return _wall(lines)


def _is_error_title(*titles: str) -> bool:
    return any(_ERROR_TITLE.fullmatch(line_key(t)) for t in titles if t)


def _wall(lines: list[str]) -> str | None:
    kind, article_words = None, 0
    for line in lines:
        key = line_key(line)
        found = _wall_kind(key) if len(key.split()) <= WALL_LINE_MAX_WORDS else None
        kind = kind or found
        if found is None:
            article_words += len(key.split())
            if article_words >= WALL_MAX_WORDS:
                return None  # enough article beside any wall line: an ordinary page
    return kind


def _wall_kind(key: str) -> str | None:
    for kind, pattern in WALLS:
        if pattern.fullmatch(key):
            return kind
    return None


def visible_lines(tree: HtmlElement) -> list[str]:
    """The text of the page's body, one line per text node, without scripts and styles."""
    nodes = tree.xpath(
        "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
        " or ancestor::template)]"
    )
    return [" ".join(str(n).split()) for n in nodes if str(n).strip()]
