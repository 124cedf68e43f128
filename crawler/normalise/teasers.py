"""Teaser excerpts a theme lists after the article: other posts' first words, cut mid-sentence."""

from __future__ import annotations

import re
from collections import Counter

# A listing of other posts shows each one's opening cut at a fixed length: long lines that
# start a sentence and stop inside one (on a comma, a lowercase word or an ellipsis). Article
# paragraphs end on a full stop, and a single such line is often a lead-in to a list or a
# quote, so only a run of TEASER_RUN of them counts, and only at the end of the body (with at
# most TEASER_AFTER lines after it: a testimonial, a footer line).
TEASER_MIN_WORDS = 15
TEASER_RUN = 3
TEASER_AFTER = 2
_STARTS_SENTENCE = re.compile(r"^[\"“‘'(]?[A-Z]")
_STOPS_MID_SENTENCE = re.compile(r"(?:[,;]|\b[a-z][\w'’-]*|\.\.\.|…)\s*$")


def drop_trailing_teasers(text: str, removed: Counter[str]) -> str:
    """The body without a closing run of excerpts cut mid-sentence (a list of other posts)."""
    lines = text.split("\n")
    filled = [index for index, line in enumerate(lines) if line.strip()]
    for after in range(TEASER_AFTER + 1):
        end = len(filled) - after
        start = end
        while start > 0 and _is_teaser(lines[filled[start - 1]]):
            start -= 1
        if end - start >= TEASER_RUN:
            removed["trailing-teasers"] += end - start
            gone = set(filled[start:end])
            return "\n".join(line for i, line in enumerate(lines) if i not in gone).strip()
    return text


def _is_teaser(line: str) -> bool:
    return (
        len(line.split()) >= TEASER_MIN_WORDS
        and _STARTS_SENTENCE.match(line) is not None
        and _STOPS_MID_SENTENCE.search(line) is not None
    )
