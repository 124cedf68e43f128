"""Text normalisation: Unicode NFC and whitespace, line structure kept."""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_MANY_BLANKS = re.compile(r"\n{3,}")
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
