"""Author names as people write them on bylines, cleaned to just the names."""

from __future__ import annotations

import re
import unicodedata

# Byline words around names: "By", "Written by", "Words by", "Автор:".
_LEAD = re.compile(
    r"^(?:(?:written|words|reporting|posted|story|text|photos?|edited)\s+by|by|from|"
    r"authors?|автор(?:ы)?|текст)\s*[:\-–—]?\s+",
    re.IGNORECASE,
)
# Job titles and desks that bylines attach to names; a part made only of these is dropped.
_ROLE = re.compile(
    r"\b(?:senior|junior|chief|deputy|managing|executive|contributing|associate|special|"
    r"staff|freelance|political|science|sports|business|tech(?:nology)?|health|"
    r"investigative|foreign|national|news|features?|opinion|guest)?\s*"
    r"(?:writer|reporter|editor|correspondent|contributor|columnist|journalist|"
    r"photographer|analyst|producer|intern)s?\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}(?:t[\d:.]+z?)?|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?"
    r"(?:\s+\d{4})?|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    r"(?:\s+\d{4})?|updated|published|\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?)\b",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|\||/|&|\band\b|\bи\b|\n)\s*", re.IGNORECASE)
_LINKS = re.compile(r"\S+@\S+|https?://\S+", re.IGNORECASE)
_NOISE = re.compile(r"\bon\b\s*$|[()\[\]]", re.IGNORECASE)
_MAX_NAME_WORDS = 5  # "Maria de los Santos Ruiz"; longer parts are sentences, not names


def clean_authors(raw: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Names only: no "By", roles, dates, e-mails or links; split on "and", commas, "|"."""
    names: list[str] = []
    for entry in raw:
        for part in _SPLIT.split(_LINKS.sub(" ", unicodedata.normalize("NFC", entry))):
            name = clean_name(part)
            if name and name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
    return tuple(names)


def clean_name(part: str) -> str:
    """One name with the byline words around it removed, or "" when nothing is left."""
    text = _NOISE.sub(" ", part)
    text = _DATE.sub(" ", text)
    text = _ROLE.sub(" ", text)
    text = " ".join(text.split()).strip(" .,:;-–—|·•")
    text = _LEAD.sub("", text + " ").strip(" .,:;-–—|·•")
    words = text.split()
    if not words or len(words) > _MAX_NAME_WORDS or not any(c.isalpha() for c in text):
        return ""
    return text
