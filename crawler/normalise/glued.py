"""Boilerplate glued to a paragraph: a notice or a label the extractor joined to the prose.

The line rules match whole lines, so a notice a theme prints right after a paragraph ("... the
end of the story. As an Amazon Associate we earn from qualifying purchases.", "... Posted by Jo at
May 3, 2024 9:05 AM |") or a label right before one ("JUMP TO RECIPE ⤵ The first step ...") stays
when both end up on one line. A long line's last sentence (after a full stop, or after a bar or
an arrow a theme puts between items) is checked against the drop rules for notices that never
close a paragraph of the story (TAIL_RULES), its leading run of capitals against all drop rules;
a match is cut off and counted under its rule, the prose is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from crawler.normalise.boilerplate import Matcher, Rule, line_key, matchers

GLUED_MIN_CHARS = 80  # a shorter line is one notice or one sentence: the line rules judge it
TAIL_MAX_CHARS = 300  # a notice is short; a longer last sentence is prose
TAIL_MIN_WORDS = 4  # "May 2024." closing a paragraph is a date the story gives, not a notice
MAX_TAILS = 2  # a theme glues one or two notices, not a paragraph of them
# Notices that never close a paragraph of the story. A call to action ("Contact us today.") or
# a copyright line often does, in a company's own article: those rules judge whole lines only.
TAIL_RULES = frozenset({"affiliate-disclosure", "dateline", "image-credit"})
# A word each of those notices holds, or a digit (a date): most last sentences have neither and
# skip the full match. Keep it in step with TAIL_RULES.
_NOTICE_WORDS = ("commission", "affiliate", "associate", "compensat", "disclos", "©")
_CREDIT_WORDS = ("photo", "image", "picture", "illustration", "credit", "courtesy")
_CUE_WORDS = (*_NOTICE_WORDS, *_CREDIT_WORDS)
_DIGIT = re.compile(r"\d")
# the start of a line's last piece: after a sentence end, or after a separator between items
_TAIL_START = re.compile(r"(?:[.!?…][\"”’)]?|\s[|→•])\s+(?=[\"“‘(]?[A-Z0-9])")
_TAIL_SEPARATORS = " \t|→•·"
# What a notice glued to a paragraph looks like, beyond matching its rule; the story's own last
# sentence can match a rule made for whole lines ("Photos from the scene showed ...", "Brokers
# may receive a commission ..."), but not one of these: a credit in parentheses that is no
# sentence, a label and a colon ("Photo: ..."), a disclosure that names the links or the
# purchases, a "Posted by ..." line, a copyright sign.
_TAIL_SHAPE = re.compile(
    r"\((?:(?!\.\)$)[^()]){1,100}\)"
    r"|(?:photo|image|picture|illustration|video|credit|source)s?(?:\s+\w+){0,2}\s*:.+"
    r"|.*\b(?:links?|purchases?|associates?|affiliates?)\b.*"
    r"|(?:posted|published|updated|written)\b.+"
    r"|.*©.*",
    re.IGNORECASE,
)
TAIL_CREDIT_MAX_WORDS = 10  # "(Photo by Jane Roe/Getty Images)"; a longer one is a sentence
# a label in capitals, a separator, then a sentence in ordinary case
_LEAD = re.compile(
    r"([A-Z0-9][A-Z0-9'’&!-]*((?: [A-Z0-9'’&!-]+){0,6}))\s*([⤵↓→»|•—–-]*)\s+(?=[A-Z][a-z])"
)


def drop_glued(text: str, rules: tuple[Rule, ...], removed: Counter[str]) -> str:
    """The body with each notice or label glued to a long line cut off it."""
    lines = text.split("\n")
    drop, tails = _matchers(rules)  # once a page: the rules' hash is no small cost
    for index, line in enumerate(lines):
        if len(line) >= GLUED_MIN_CHARS:
            lines[index] = _without_lead(_without_tails(line, tails, removed), drop, removed)
    return "\n".join(lines)


@lru_cache(maxsize=32)
def _matchers(rules: tuple[Rule, ...]) -> tuple[Matcher, Matcher]:
    """All drop rules (for a leading label), and the notices that may close a paragraph."""
    tails = [r for r in rules if r.action == "drop" and r.name.split(":")[-1] in TAIL_RULES]
    return matchers(rules)["drop"], Matcher(tails)


def _without_tails(line: str, tails: Matcher, removed: Counter[str]) -> str:
    for _ in range(MAX_TAILS):
        body = line.rstrip(_TAIL_SEPARATORS)
        if not _may_be_notice(body[-TAIL_MAX_CHARS:]):  # the last sentence is in there
            return line
        start = None
        for found in _TAIL_START.finditer(body, max(0, len(body) - TAIL_MAX_CHARS)):
            start = found
        if start is None:
            return line
        tail = body[start.end() :]
        if len(tail.split()) < TAIL_MIN_WORDS or not _may_be_notice(tail):
            return line
        if not _notice_shaped(tail):
            return line
        if not tails.match(line_key(tail), removed):
            return line
        line = body[: start.start() + len(start[0].rstrip())].rstrip(_TAIL_SEPARATORS)
    return line


def _notice_shaped(tail: str) -> bool:
    if _TAIL_SHAPE.fullmatch(tail) is None:
        return False
    return not tail.startswith("(") or len(tail.split()) <= TAIL_CREDIT_MAX_WORDS


def _may_be_notice(tail: str) -> bool:
    if _DIGIT.search(tail):
        return True
    folded = tail.casefold()
    return any(word in folded for word in _CUE_WORDS)


def _without_lead(line: str, drop: Matcher, removed: Counter[str]) -> str:
    found = _LEAD.match(line)
    if found is None or not (found[2] or found[3]):
        return line
    if not drop.match(line_key(found[1]), removed):
        return line
    return line[found.end() :]
