"""Learned source templates: paragraphs that recur word for word across a source's articles.

A line that many different articles of one source carry verbatim (the nag every article
carries, the standard sign-off, the author box) is the site's template, not the story. It is
learned per source from the archive after each crawl and removed from that source's new
readings. A stored version is compared with a new reading with template lines removed from
both, so learning a line never makes a version by itself; `archivist reprocess` rewrites the
stored text with the template applied, one new version per document that carried it.

Lines once learned stay learned while crawls still find them in enough of the pages they read:
the stored text they were learned from loses them as soon as it is rewritten, so learning from
the archive alone would forget them. A line that no longer qualifies is retired, never
deleted: it is no longer removed, but comparisons still ignore it, so a retired line coming
back into readings makes no version either.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from store.db import upsert
from store.models import Document, TemplateLine, Version
from store.records import ArticleSnapshot

# Short lines recur by chance: section headings such as "Ingredients" or "The verdict"
# structure many articles of one site and are content. Template lines are sentences.
MIN_WORDS = 4
# List items and table rows recur across a site's articles as content ("- Salt and pepper",
# a results table's header row): never learned, whatever their share.
STRUCTURE = re.compile(r"^(?:[-*•|]|\d+[.)])\s*")
WORD = re.compile(r"\w+")
JUDGE_MIN_PAGES = 20  # a crawl reading fewer pages says nothing about a line's share
RETENTION = timedelta(days=30)  # a learned line that no crawl has met for this long is retired
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
    """A source's template: the lines removed from readings, and the retired ones."""

    lines: frozenset[str] = frozenset()
    retired: frozenset[str] = field(default=frozenset())

    def __bool__(self) -> bool:
        """True when it has lines to remove."""
        return bool(self.lines)

    def strip(self, text: str, lines: frozenset[str] | None = None) -> tuple[str, list[str]]:
        """`text` without template lines (`lines`, else the live ones), and the lines removed.

        An article made of nothing but template lines is left whole: an empty text would say
        the article was emptied, which nobody saw.
        """
        lines = self.lines if lines is None else lines
        if not lines:
            return text, []
        kept: list[str] = []
        removed: list[str] = []
        for line in text.split("\n"):
            if line.strip() in lines:
                removed.append(line.strip())
            else:
                kept.append(line)
        if not removed or not any(line.strip() for line in kept):
            return text, []
        return _BLANK_RUNS.sub("\n\n", "\n".join(kept)).strip(), removed

    def apply(self, snapshot: ArticleSnapshot) -> tuple[ArticleSnapshot, list[str]]:
        """The snapshot with template lines removed from its text, and the lines removed."""
        text, removed = self.strip(snapshot.text)
        return (replace(snapshot, text=text) if removed else snapshot), removed

    def same_content(
        self, version: Version, snapshot: ArticleSnapshot, retired_only: bool = False
    ) -> bool:
        """Whether a stored version and a reading are the same content, or differ only by
        template lines.

        A crawl ignores every line ever learned; `reprocess` (`retired_only`) ignores only the
        retired ones, so that it does rewrite stored text that still carries a live line.
        """
        if version.content_hash == snapshot.content_hash:
            return True
        ignored = self.retired if retired_only else self.lines | self.retired
        if not ignored:
            return False
        stored = ArticleSnapshot(
            url=snapshot.url,
            title=version.title,
            authors=tuple(version.authors or ()),
            text=self.strip(version.text, ignored)[0],
        )
        mine = replace(snapshot, text=self.strip(snapshot.text, ignored)[0])
        return stored.content_hash == mine.content_hash


@dataclass(frozen=True)
class Learned:
    """What one learning pass found."""

    sample_size: int
    found: int  # lines the sample proves to be template now
    kept: int  # lines learned before and still met by crawls
    retired: int  # lines retired by this pass (unmet for RETENTION)


def line_hash(line: str) -> str:
    """The key of a template line."""
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def load_template(session: Session, source_id: int) -> Template:
    """The template learned for a source (empty if none)."""
    query = select(TemplateLine.text, TemplateLine.retired_at).where(
        TemplateLine.source_id == source_id
    )
    rows = session.execute(query).all()
    live = frozenset(text for text, retired_at in rows if retired_at is None)
    return Template(live, frozenset(text for text, _ in rows) - live)


def template_lines(session: Session, source_id: int) -> list[TemplateLine]:
    """A source's learned lines, live ones first, the most widespread first."""
    query = (
        select(TemplateLine)
        .where(TemplateLine.source_id == source_id)
        .order_by(TemplateLine.retired_at.is_not(None), TemplateLine.documents.desc())
        .order_by(TemplateLine.id)
    )
    return list(session.scalars(query))


def learn_template(
    session: Session, source_id: int, policy: TemplatePolicy, now: datetime
) -> Learned:
    """Learn a source's template from its archived articles, keeping lines crawls still meet."""
    texts = sample_texts(session, source_id, policy.sample)
    found = recurring_lines(texts, policy)
    for line in sorted(found, key=line_hash):  # one order for every learner: no deadlock
        _store_line(session, source_id, line, found[line], len(texts), now)
    unmet = _live(source_id, TemplateLine.last_seen_at < now - RETENTION)
    retired = session.execute(update(TemplateLine).where(unmet).values(retired_at=now))
    live = session.scalars(select(TemplateLine.id).where(_live(source_id))).all()
    return Learned(len(texts), len(found), len(live) - len(found), retired.rowcount or 0)  # type: ignore[attr-defined]


def recurring_lines(texts: Sequence[str], policy: TemplatePolicy) -> dict[str, int]:
    """Lines carried by enough of `texts`, with how many texts carry each."""
    if not policy.enabled or len(texts) < policy.min_documents:
        return {}
    needed = max(policy.min_documents, math.ceil(policy.min_share * len(texts)))
    carried = Counter(line for text in texts for line in _candidate_lines(text))
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


def note_readings(
    session: Session,
    source_id: int,
    readings: int,
    carried: Counter[str],
    policy: TemplatePolicy,
    now: datetime,
) -> None:
    """What a crawl found: `carried[line]` of its `readings` pages carried each learned line.

    Lines met stay learned. When the crawl read enough pages to judge (JUDGE_MIN_PAGES, and
    four times ARCHIVIST_TEMPLATE_MIN_DOCS), a line that fewer than half the learning share of
    them carried is retired: a burst of follow-ups sharing a background paragraph does not
    make it template for good, while a small crawl's chance mix never retires a real nag.
    Lines no crawl meets are left to the RETENTION rule.
    """
    met = sorted({line_hash(line) for line in carried})
    if met:
        session.execute(
            update(TemplateLine)
            .where(TemplateLine.source_id == source_id, TemplateLine.line_hash.in_(met))
            .values(last_seen_at=now)
        )
    if readings < max(JUDGE_MIN_PAGES, 4 * policy.min_documents):
        return
    needed = policy.min_share / 2 * readings
    rare = sorted(line_hash(line) for line, count in carried.items() if count < needed)
    if rare:
        session.execute(
            update(TemplateLine)
            .where(_live(source_id, TemplateLine.line_hash.in_(rare)))
            .values(retired_at=now)
        )


def _live(source_id: int, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(TemplateLine.source_id == source_id, TemplateLine.retired_at.is_(None), *conditions)


def _candidate_lines(text: str) -> set[str]:
    lines = (line.strip() for line in text.split("\n"))
    return {
        line for line in lines if len(WORD.findall(line)) >= MIN_WORDS and not STRUCTURE.match(line)
    }


def _store_line(
    session: Session, source_id: int, line: str, documents: int, sample_size: int, now: datetime
) -> None:
    counts = {"documents": documents, "sample_size": sample_size, "last_seen_at": now}
    insert = upsert(session, TemplateLine).values(
        source_id=source_id, line_hash=line_hash(line), text=line, learned_at=now, **counts
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["source_id", "line_hash"], set_={**counts, "retired_at": None}
        )
    )
