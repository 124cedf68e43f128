"""A document's history: its versions, its captures, and what changed between two versions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.models import Capture, Document, Version
from store.query import QueryError
from store.tracking import without_tracking


@dataclass(frozen=True)
class CaptureLine:
    """One fetch of a document, as history lists it."""

    fetched_at: datetime
    requested_url: str
    final_url: str | None
    status: int | None
    outcome: str
    error: str | None
    version_no: int | None


@dataclass(frozen=True)
class History:
    """A document, its versions (oldest first) and its newest captures."""

    document: Document
    versions: list[Version]
    captures: list[CaptureLine]
    capture_count: int


DEFAULT_PORTS = {"http": 80, "https": 443}


def find_document(session: Session, url: str) -> Document:
    """The document for `url`: its canonical URL, or a URL one of its captures asked or ended at.

    `url` is looked up as given and as canonical URLs spell it (HTTP://Host/a#b: http://host/a).
    """
    forms = {url, lookup_url(url)}
    document = session.scalars(select(Document).where(Document.url.in_(forms))).first()
    if document is not None:
        return document
    document_id = session.scalars(
        select(Capture.document_id)
        .where(
            Capture.document_id.is_not(None),
            or_(Capture.requested_url.in_(forms), Capture.final_url.in_(forms)),
        )
        .order_by(Capture.fetched_at.desc())
        .limit(1)
    ).first()
    if document_id is None:
        raise QueryError(f"no document in the archive for {url}{_fetches_note(session, forms)}")
    return session.get_one(Document, document_id)


def _fetches_note(session: Session, forms: set[str]) -> str:
    """What the archive knows of a URL that never became a document: its fetches, if any."""
    fetched = or_(Capture.requested_url.in_(forms), Capture.final_url.in_(forms))
    count = session.scalar(select(func.count()).select_from(Capture).where(fetched)) or 0
    if not count:
        return ""
    newest = session.scalars(
        select(Capture).where(fetched).order_by(Capture.fetched_at.desc()).limit(1)
    ).one()
    status = f"HTTP {newest.status_code}, " if newest.status_code is not None else ""
    return (
        f" (fetched {count} time(s), never read as an article; the newest on "
        f"{newest.fetched_at:%Y-%m-%d %H:%M} UTC: {status}{newest.outcome}"
        + (f": {newest.error}" if newest.error else "")
        + ")"
    )


def lookup_url(url: str) -> str:
    """`url` with a lowercase scheme and host, no default port, no fragment and no tracking
    parameters: the part of the crawler's canonical form that a person pasting a shared link
    gets wrong (`?utm_source=...`). Other query spellings are found through the captures that
    asked for them.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url  # not a URL any fetch could have stored
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", without_tracking(parts.query), ""))


def document_history(session: Session, url: str, max_captures: int = 0) -> History:
    """Versions and captures (newest `max_captures`, 0 for all) of the document for `url`."""
    document = find_document(session, url)
    versions = session.scalars(
        select(Version).where(Version.document_id == document.id).order_by(Version.version_no)
    ).all()
    query = (
        select(Capture, Version.version_no)
        .outerjoin(Version, Capture.version_id == Version.id)
        .where(Capture.document_id == document.id)
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
    )
    rows = session.execute(query.limit(max_captures) if max_captures else query).all()
    count = session.scalar(
        select(func.count()).select_from(Capture).where(Capture.document_id == document.id)
    )
    return History(document, list(versions), [_capture_line(c, n) for c, n in rows], count or 0)


def _capture_line(capture: Capture, version_no: int | None) -> CaptureLine:
    return CaptureLine(
        fetched_at=capture.fetched_at,
        requested_url=capture.requested_url,
        final_url=capture.final_url,
        status=capture.status_code,
        outcome=capture.outcome,
        error=capture.error,
        version_no=version_no,
    )


def version_pair(
    session: Session, document: Document, from_no: int | None, to_no: int | None
) -> tuple[Version, Version]:
    """Two versions to compare; by default the newest two; `to_no` alone: the one before it."""
    new = _version(session, document, document.version_count if to_no is None else to_no)
    if from_no is None and new.version_no == 1:
        raise QueryError(
            f"{document.url}: version 1 is the first version: nothing before it to compare"
        )
    if to_no is None and from_no == new.version_no:
        raise QueryError(
            f"{document.url}: version {from_no} is the newest version: nothing after it to compare"
        )
    old_no = new.version_no - 1 if from_no is None else from_no
    return _version(session, document, old_no), new


def newest_version(session: Session, document: Document) -> Version | None:
    """The document's newest version (None if it has none)."""
    return session.scalars(
        select(Version)
        .where(Version.document_id == document.id)
        .order_by(Version.version_no.desc())
        .limit(1)
    ).first()


def _version(session: Session, document: Document, number: int) -> Version:
    version = session.scalars(
        select(Version).where(Version.document_id == document.id, Version.version_no == number)
    ).first()
    if version is None:
        raise QueryError(
            f"{document.url} has no version {number} (it has 1..{document.version_count})"
        )
    return version


# --- differences ------------------------------------------------------------------------------

CONTEXT_PARAGRAPHS = 1  # body text is one paragraph per line: one around a change is enough
# Words, runs of spaces and single punctuation marks: "Monday." -> "Monday{+ evening+}."
WORD_PIECES = re.compile(r"\w+|\s+|[^\w\s]")


class Reading(Protocol):
    """What a diff compares: a stored version or a fresh snapshot."""

    @property
    def title(self) -> str: ...
    @property
    def authors(self) -> Sequence[str]: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class ReadingDiff:
    """What changed between two readings: headline, authors and body, as diff lines."""

    title: list[str]
    authors: list[str]
    text: list[str]

    @property
    def changed(self) -> bool:
        """True if anything differs."""
        return bool(self.title or self.authors or self.text)

    def lines(self) -> list[str]:
        """Each changed field under its label ("headline:", "authors:", "text:")."""
        fields = (("headline", self.title), ("authors", self.authors), ("text", self.text))
        return [line for label, diff in fields if diff for line in (f"{label}:", *diff)]


def diff_readings(old: Reading, new: Reading, words: bool = False) -> ReadingDiff:
    """A unified diff of paragraphs, or (`words`) changed paragraphs with inline word marks."""
    body = _word_diff if words else _line_diff
    return ReadingDiff(
        title=_field_diff(old.title, new.title, words),
        authors=_field_diff(", ".join(old.authors), ", ".join(new.authors), words),
        text=body(old.text.splitlines(), new.text.splitlines()),
    )


def _field_diff(old: str, new: str, words: bool) -> list[str]:
    if old == new:
        return []
    return [mark_words(old, new)] if words else [f"-{old}", f"+{new}"]


def _line_diff(old: list[str], new: list[str]) -> list[str]:
    lines = list(difflib.unified_diff(old, new, n=CONTEXT_PARAGRAPHS, lineterm=""))
    return lines[2:]  # the ---/+++ file header: the caller names the versions instead


def _word_diff(old: list[str], new: list[str]) -> list[str]:
    """Each changed paragraph once, numbered as in the new version, words marked [-old-]{+new+}."""
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = old[i1:i2], new[j1:j2]
        for k in range(max(len(removed), len(added))):
            before = removed[k] if k < len(removed) else ""
            after = added[k] if k < len(added) else ""
            label = f"¶{j1 + k + 1}" if after else f"old ¶{i1 + k + 1}"
            out.append(f"{label}: {mark_words(before, after)}")
    return out


def mark_words(old: str, new: str) -> str:
    """`new` with removed words as [-…-] and added words as {+…+}, like `git diff --word-diff`."""
    parts: list[str] = []
    for same, before, after in _word_changes(old, new):
        if same:
            parts.append(before)
            continue
        if before:
            parts.append(f"[-{before}-]")
        if after:
            parts.append(f"{{+{after}+}}")
    return "".join(parts)


def _word_changes(old: str, new: str) -> list[tuple[bool, str, str]]:
    """(unchanged?, old text, new text) runs; a lone space between two changes joins them."""
    a, b = WORD_PIECES.findall(old), WORD_PIECES.findall(new)
    runs: list[tuple[bool, str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        if (
            tag != "equal"
            and len(runs) >= 2
            and runs[-1][0]
            and not runs[-2][0]
            and runs[-1][1].isspace()
        ):
            _, gap, _ = runs.pop()
            _, old_run, new_run = runs.pop()
            before, after = old_run + gap + before, new_run + gap + after
        runs.append((tag == "equal", before, after))
    return runs
