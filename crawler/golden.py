"""Golden cases: a fetched page saved with what the extractor makes of it today.

A case is a folder holding `page.html` (the body exactly as served), `meta.json` (`url`,
`content_type`, `site_rules`) and `expected.json` (the outcome and the fields that
tests/test_extraction_fixtures.py checks). Saved from a live page it pins how that page
extracts: a later change that reads it differently fails the check and names the field.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.items import FetchedPage
from crawler.outcomes import check_fetch
from crawler.pages.site_rules import NO_RULES, SITE_RULES_ENV, parse_site_file, site_rules_for
from crawler.reading import BlockedPage, NotAnArticle, read_article

SLUG_MAX = 80  # characters: folder names stay readable and far below filesystem limits
START_WORDS = 8
SNIPPETS = 3
MIN_SNIPPET_CHARS = 30  # shorter "sentences" are captions and fragments, too weak to pin text
SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+")
ENDS_SENTENCE = re.compile(r"[.!?…。！？]$")
NOT_PROSE = ("- ", "|", "#")  # list items, table rows, headings: prose pins the body better
RULES_FOLDER = "rules"


class CaseError(Exception):
    """A case that cannot be written; the message is one line."""


def case_slug(url: str) -> str:
    """The case folder's name: host, path and query, lower-cased, other characters as '-'."""
    parts = urlsplit(url)
    raw = f"{parts.hostname or ''}{parts.path}-{parts.query}"
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "page"


def check_free(root: Path, urls: Iterable[str]) -> None:
    """Raise CaseError if any URL's case folder exists already or two URLs share one."""
    seen: set[Path] = set()
    for url in urls:
        folder = root / case_slug(url)
        if folder.exists():
            raise CaseError(f"case folder already exists: {folder} (remove it or use another DIR)")
        if folder in seen:
            raise CaseError(f"two URLs would share the case folder {folder}")
        seen.add(folder)


def save_case(root: Path, page: FetchedPage) -> Path:
    """Write one fetched page as a case under `root`; returns its folder.

    Raises FetchProblem when the response is nothing the extractor would read (HTTP 404,
    not HTML, empty), CaseError when nothing was fetched or the folder exists. The expected
    fields come from reading the body the way the golden checks will read the case.
    """
    if page.status is None:  # no response at all: DNS, refused, timeout, robots.txt
        raise CaseError(f"nothing fetched ({page.error or 'no response'})")
    check_fetch(replace(page, error=None))  # a read's error is what the case records, not a bar
    url = page.final_url or page.requested_url  # the address the page was read as
    body = page.body or b""
    content_type = page.headers.get("content-type")
    expected = expected_fields(url, body, content_type)
    folder = root / case_slug(page.requested_url)
    try:
        folder.mkdir(parents=True)
    except FileExistsError as exc:
        raise CaseError(f"case folder already exists: {folder}") from exc
    has_rules = copy_site_rules(url, folder / RULES_FOLDER)
    (folder / "page.html").write_bytes(body)
    _write_json(folder / "meta.json", case_meta(page, url, has_rules))
    _write_json(folder / "expected.json", expected)
    return folder


def case_meta(page: FetchedPage, url: str, has_rules: bool) -> dict[str, Any]:
    """meta.json: the URL the page was read as (and the one asked for, if it redirected)."""
    meta: dict[str, Any] = {"url": url}
    if url != page.requested_url:
        meta["requested_url"] = page.requested_url
    if page.headers.get("content-type"):
        meta["content_type"] = page.headers["content-type"]
    if has_rules:
        meta["site_rules"] = RULES_FOLDER
    return meta


def expected_fields(url: str, body: bytes, content_type: str | None) -> dict[str, Any]:
    """What the extractor makes of the page now, as expected.json fields."""
    try:
        snap = read_article(url, body, content_type)
    except BlockedPage as exc:
        return {"outcome": "blocked", "reason": str(exc)}
    except NotAnArticle:
        return {"outcome": "not_an_article"}
    return {
        "outcome": "article",
        "title": snap.title,
        "canonical_url": snap.url,
        "authors": list(snap.authors),
        "published_at": snap.published_at.isoformat() if snap.published_at else None,
        "modified_at": snap.modified_at.isoformat() if snap.modified_at else None,
        "language": snap.language,
        "starts_with": opening(snap.text),
        "must_contain": kept_sentences(snap.text),
        "must_not_contain": [],  # for the user: the page's noise that must stay out
    }


def opening(text: str) -> str:
    """The text's first START_WORDS words, exactly as they stand."""
    match = re.match(rf"\s*\S+(?:\s+\S+){{0,{START_WORDS - 1}}}", text)
    return match.group(0) if match else ""


def kept_sentences(text: str) -> list[str]:
    """Up to SNIPPETS whole sentences from the middle and the end of the text."""
    parts = [p.strip() for line in text.splitlines() for p in SENTENCE_END.split(line)]
    sentences = [p for p in parts if _is_sentence(p)] or [p for p in parts if p]
    count = len(sentences)
    if count <= SNIPPETS:
        return sentences
    middle = count // 2
    picks = sorted({middle, (middle + count - 1) // 2, count - 1})
    return [sentences[i] for i in picks]


def _is_sentence(part: str) -> bool:
    ends = ENDS_SENTENCE.search(part) is not None
    return ends and len(part) >= MIN_SNIPPET_CHARS and not part.startswith(NOT_PROSE)


def copy_site_rules(url: str, target: Path) -> bool:
    """Copy the per-site rules file that covers `url` (if any) into `target`."""
    rules = site_rules_for(url)
    if rules is NO_RULES:
        return False
    location = Path(os.environ[SITE_RULES_ENV].strip())
    files = sorted(location.glob("*.toml")) if location.is_dir() else [location]
    source = next(f for f in files if parse_site_file(f).domain == rules.domain)
    target.mkdir()
    shutil.copyfile(source, target / f"{source.stem}.toml")
    return True


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
