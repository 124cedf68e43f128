"""The article's own authors where a theme prints them in the body: a name line at the top, a
bio at the bottom. The names come from the page's metadata, so no guessing at what a name is."""

from __future__ import annotations

import re
from collections import Counter

from crawler.normalise.boilerplate import line_key

HEAD_LINES = 4  # a byline sits within the first lines, above or below a repeated headline
TAIL_LINES = 3  # a bio block is the name and a line or two; more lines after it is still story
# What follows a name at the start of a bio: "Jo Roe is ...", "Jo Roe, Editor, ...".
_BIO = re.compile(r"^(?:,|\s+(?:is|was|has|had|co-?founded|founded|writes|covers|joined)\b)")
_BY = re.compile(r"^(?:(?:written|posted|reviewed|edited)\s+)?by\s*:?\s+", re.IGNORECASE)


def drop_author_lines(text: str, authors: tuple[str, ...], removed: Counter[str]) -> str:
    """The body without a leading line that is only an author's name and without a trailing
    bio block that starts with one."""
    names = {name.casefold() for name in authors if name.strip()}
    if not names:
        return text
    lines = text.split("\n")
    head = [i for i, line in enumerate(lines[:HEAD_LINES]) if _is_name_line(line, names)]
    for index in reversed(head):
        del lines[index]
        removed["author-line"] += 1
    end = _bio_start(lines, authors)
    if end < len(lines):
        removed["author-bio"] += 1
    return "\n".join(lines[:end]).strip()


def _is_name_line(line: str, names: set[str]) -> bool:
    return _BY.sub("", line_key(line)).casefold() in names


def _bio_start(lines: list[str], authors: tuple[str, ...]) -> int:
    """Index of the first line of a trailing bio (a name alone, or a full name and a bio verb),
    found in the second half of the body with at most TAIL_LINES lines after it."""
    names = {name.casefold() for name in authors if name.strip()}
    full_names = [name for name in authors if len(name.split()) >= 2]
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for index in filled[max(len(filled) // 2, len(filled) - TAIL_LINES - 1) :]:
        key = line_key(lines[index])
        if _is_name_line(key, names) or any(
            key.startswith(name) and _BIO.match(key[len(name) :]) for name in full_names
        ):
            return index
    return len(lines)
