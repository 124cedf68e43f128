"""Text normalisation: Unicode NFC and whitespace, line structure kept."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_MANY_BLANKS = re.compile(r"\n{3,}")
# A run of lines the body already holds word for word is a theme's second copy of a block (the
# mobile and the desktop layout, a promo box placed twice); single repeated lines are often
# content (a refrain, "Pros" and "Cons" headings), so only a run with some text counts.
REPEAT_LINES = 3
REPEAT_MIN_WORDS = 20
_DASHED_NUMBER = re.compile(r"^[-•] (?=\d{1,3}[.)] )")  # "- 2. Knead": a numbered item, once marked


def normalise_text(text: str) -> str:
    """NFC, invisible characters removed, spaces folded, one blank line between paragraphs, a
    numbered list item without a bullet in front of its number."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text).replace("\u00a0", " ")
    lines = [_DASHED_NUMBER.sub("", " ".join(line.split())) for line in text.split("\n")]
    return _MANY_BLANKS.sub("\n\n", "\n".join(lines)).strip()


def tidy_blank_lines(text: str) -> str:
    """At most one blank line in a row, none at the ends (after lines were removed)."""
    return _MANY_BLANKS.sub("\n\n", text).strip()


def normalise_title(title: str) -> str:
    """A headline on one line."""
    return " ".join(unicodedata.normalize("NFC", title).split())


def paragraphs(text: str) -> list[str]:
    """Non-empty lines of a normalised text."""
    return [line for line in text.split("\n") if line.strip()]


def drop_repeated_runs(text: str, removed: Counter[str]) -> str:
    """The body without the second copy of any run of REPEAT_LINES lines it already holds."""
    lines = text.split("\n")
    keys = [line.casefold() for line in lines]  # spaces are already folded
    words = [line.count(" ") + 1 if line else 0 for line in lines]
    first_seen: dict[tuple[str, ...], int] = {}
    repeated: set[int] = set()
    for start in range(len(lines) - REPEAT_LINES + 1):
        counts = words[start : start + REPEAT_LINES]
        if 0 in counts or sum(counts) < REPEAT_MIN_WORDS:
            continue
        run = tuple(keys[start : start + REPEAT_LINES])
        earlier = first_seen.setdefault(run, start)
        if earlier + REPEAT_LINES <= start:
            repeated.update(range(start, start + REPEAT_LINES))
    if repeated:
        removed["repeated-run"] += len(repeated)
    return "\n".join(line for index, line in enumerate(lines) if index not in repeated)
