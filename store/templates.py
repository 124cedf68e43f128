"""Learned source templates: paragraphs that recur word for word across a source's articles.

A line that many different articles of one source carry verbatim (the nag every article
carries, the standard sign-off, the author box) is the site's template, not the story. It is
learned per source from the archive after each crawl and removed from that source's new
readings. A stored version is compared with a new reading with template lines removed from
both, so learning a line never makes a version by itself; `archivist reprocess` rewrites the
stored text with the template applied, one new version per document that carried it.

Lines once learned stay learned while crawls still meet them: the stored text they were
learned from loses them as soon as it is rewritten, so learning alone would forget them.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from store.db import upsert
from store.models import Document, TemplateLine, Version
from store.records import ArticleSnapshot

# Short lines recur by chance: section headings such as "Ingredients" or "The verdict"
# structure many articles of one site and are content. Template lines are sentences.
MIN_WORDS = 4
RETENTION = timedelta(days=30)  # a learned line that no crawl has met for this long is forgotten
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class TemplatePolicy:
    """How much evidence makes a line template (ARCHIVIST_TEMPLATE_* settings)."""

    enabled: bool = True
    min_documents: int = 5  # fewer articles than this prove nothing about a site
    min_share: float = 0.5  # of the sampled articles that must carry the line
    sample: int = 200  # the source's most recently changed articles read when learning


@dataclass(frozen=True)
class Template:
    """A source's template lines, and how to take them out of a reading."""

    lines: frozenset[str] = frozenset()

    def strip(self, text: str) -> tuple[str, list[str]]:
        """`text` without template lines, and the lines removed.

        An article made of nothing but template lines is left whole: an empty text would say
        the article was emptied, which nobody saw.
        """
        if not self.lines:
            return text, []
        kept: list[str] = []
        removed: list[str] = []
        for line in text.split("\n"):
            (removed if line.strip() in self.lines else kept).append(line)
        if not removed or not any(line.strip() for line in kept):
            return text, []
        return _BLANK_RUNS.sub("\n\n", "\n".join(kept)).strip(), removed

    def apply(self, snapshot: ArticleSnapshot) -> tuple[ArticleSnapshot, list[str]]:
        """The snapshot with template lines removed from its text, and the lines removed."""
        text, removed = self.strip(snapshot.text)
        return (replace(snapshot, text=text) if removed else snapshot), removed

    def same_content(self, version: Version, snapshot: ArticleSnapshot) -> bool:
        """Whether a stored version and a reading differ only by template lines."""
        if not self.lines:
            return False
        stored = ArticleSnapshot(
            url=snapshot.url,
            title=version.title,
            authors=tuple(version.authors or ()),
            text=self.strip(version.text)[0],
        )
        mine = replace(snapshot, text=self.strip(snapshot.text)[0])
        return stored.content_hash == mine.content_hash


@dataclass(frozen=True)
class Learned:
    """What one learning pass found."""

    sample_size: int
    found: int  # lines the sample proves to be template now
    kept: int  # lines learned before and still met by crawls
    forgotten: int


def line_hash(line: str) -> str:
    """The key of a template line."""
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def load_template(session: Session, source_id: int) -> Template:
    """The template learned for a source (empty if none)."""
    query = select(TemplateLine.text).where(TemplateLine.source_id == source_id)
    return Template(frozenset(session.scalars(query)))


def template_lines(session: Session, source_id: int) -> list[TemplateLine]:
    """A source's learned lines, the most widespread first."""
    query = (
        select(TemplateLine)
        .where(TemplateLine.source_id == source_id)
        .order_by(TemplateLine.documents.desc(), TemplateLine.id)
    )
    return list(session.scalars(query))


def learn_template(
    session: Session, source_id: int, policy: TemplatePolicy, now: datetime
) -> Learned:
    """Learn a source's template from its archived articles, keeping lines crawls still meet."""
    texts = sample_texts(session, source_id, policy.sample)
    found = recurring_lines(texts, policy)
    for line, documents in found.items():
        _store_line(session, source_id, line, documents, len(texts), now)
    stale = and_(
        TemplateLine.source_id == source_id,
        TemplateLine.last_seen_at < now - RETENTION,
    )
    forgotten = session.execute(delete(TemplateLine).where(stale))
    total = len(template_lines(session, source_id))
    return Learned(len(texts), len(found), total - len(found), forgotten.rowcount or 0)  # type: ignore[attr-defined]


def recurring_lines(texts: Sequence[str], policy: TemplatePolicy) -> dict[str, int]:
    """Lines carried by enough of `texts`, with how many texts carry each."""
    if not policy.enabled or len(texts) < policy.min_documents:
        return {}
    needed = max(policy.min_documents, math.ceil(policy.min_share * len(texts)))
    carried = Counter(line for text in texts for line in _distinct_lines(text))
    return {line: count for line, count in carried.items() if count >= needed}


def sample_texts(session: Session, source_id: int, limit: int) -> list[str]:
    """The newest text of the source's most recently changed live articles."""
    newest = and_(Version.document_id == Document.id, Version.version_no == Document.version_count)
    query = (
        select(Version.text)
        .join(Document, newest)
        .where(Document.source_id == source_id, Document.status == "live")
        .order_by(Document.last_changed_at.desc(), Document.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def note_seen(session: Session, source_id: int, lines: Iterable[str], now: datetime) -> None:
    """Crawls still meet these template lines: keep them learned."""
    hashes = sorted({line_hash(line) for line in lines})
    if hashes:
        session.execute(
            update(TemplateLine)
            .where(TemplateLine.source_id == source_id, TemplateLine.line_hash.in_(hashes))
            .values(last_seen_at=now)
        )


def _distinct_lines(text: str) -> set[str]:
    lines = (line.strip() for line in text.split("\n"))
    return {line for line in lines if len(line.split()) >= MIN_WORDS}


def _store_line(
    session: Session, source_id: int, line: str, documents: int, sample_size: int, now: datetime
) -> None:
    counts = {"documents": documents, "sample_size": sample_size, "last_seen_at": now}
    insert = upsert(session, TemplateLine).values(
        source_id=source_id, line_hash=line_hash(line), text=line, learned_at=now, **counts
    )
    session.execute(
        insert.on_conflict_do_update(index_elements=["source_id", "line_hash"], set_=counts)
    )
