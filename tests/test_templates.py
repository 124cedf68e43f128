"""Learned source templates: lines a source's articles carry verbatim are learned and removed.

End to end through real crawls of a loopback site, `archivist source show --template` and
`archivist reprocess`, on SQLite and PostgreSQL; the learning rules on real archives.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from crawler.cli.sources import source
from scheduler.cli import cli
from store.archive import record_reading
from store.db import transaction
from store.models import Document, TemplateLine
from store.records import ArticleSnapshot
from store.sources import add_source as add_source_row
from store.templates import (
    RETENTION,
    Template,
    TemplatePolicy,
    learn_template,
    load_template,
    note_readings,
    recurring_lines,
)
from tests.archives import at, new_archive, record
from tests.conftest import run_archivist
from tests.loopback import LoopbackSite, Reply
from tests.pages import BODY, article_page
from tests.sites import RSS, add_source, crawl, in_process, rows, rss, scalar

# A line no boilerplate rule knows: only its recurrence across articles marks it as template.
NAG = "The Harbour Courier is published by the Riverside Media Group with the county libraries."
ALL = ("-s", "ARCHIVIST_REVISIT_ALL=true")
POLICY = TemplatePolicy(min_documents=3, min_share=0.5, sample=50)


def own_paragraphs(n: int) -> list[str]:
    """Article `n`'s own text: every paragraph differs from every other article's."""
    return [f"Report {n}, part {k}: {paragraph}" for k, paragraph in enumerate(BODY)]


def page(n: int, nonce: str = "abc", nag: bool = True) -> str:
    paragraphs = own_paragraphs(n)
    if nag:
        paragraphs.insert(2, NAG)
    return article_page(title=f"Report number {n}", paragraphs=paragraphs, nonce=nonce)


def publish(site: LoopbackSite, count: int, nonce: str = "abc") -> list[str]:
    paths = [f"/2026/11/report-{n}/" for n in range(count)]
    for n, path in enumerate(paths):
        site.routes[path] = Reply(page(n, nonce))
    site.routes["/feed.xml"] = Reply(rss(site, paths), headers=RSS)
    return paths


def latest_texts(db_url: str) -> list[str]:
    return [r[0] for r in rows(db_url, "select text from latest order by url")]


def test_crawls_learn_the_template_and_never_version_it(site: LoopbackSite, db_url: str) -> None:
    publish(site, 6)
    add_source(db_url, "courier", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "courier")
    assert code == 0, err
    assert run["new_documents"] == 6 and run["template_lines"] == 1
    assert all(NAG in text for text in latest_texts(db_url))  # archived before it was learned

    shown = in_process(source, "show", "courier", "--template", "--db", db_url)
    assert shown.exit_code == 0, shown.output
    assert shown.output.split() == ["6/6", "articles", *NAG.split()]
    as_json = json.loads(
        in_process(source, "show", "courier", "--template", "--json", "--db", db_url).output
    )
    assert [(t["text"], t["documents"]) for t in as_json["template"]] == [(NAG, 6)]

    # Every page changes its nonce: each is read again, without the learned line, and the
    # stored text differs from the new reading only by it: no version.
    publish(site, 6, nonce="def")
    code, run, err = crawl(db_url, "courier", *ALL)
    assert code == 0, err
    assert (run["fetched"], run["unchanged"], run["new_versions"]) == (6, 6, 0)
    assert scalar(db_url, "select count(*) from versions") == 6

    # reprocess rewrites the stored text with the template applied: one version each, once.
    result = in_process(cli, "reprocess", "--source", "courier", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert scalar(db_url, "select count(*) from versions") == 12
    texts = latest_texts(db_url)
    assert all(NAG not in t and "part 3:" in t for t in texts)
    assert in_process(cli, "reprocess", "--source", "courier", "--db", db_url).exit_code == 0
    assert scalar(db_url, "select count(*) from versions") == 12

    # A new article's first version comes without the line; the line stays learned although
    # no stored text carries it any more.
    site.routes["/2026/11/report-6/"] = Reply(page(6, nonce="def"))
    paths = [f"/2026/11/report-{n}/" for n in range(7)]
    site.routes["/feed.xml"] = Reply(rss(site, paths), headers=RSS)
    code, run, err = crawl(db_url, "courier")
    assert code == 0 and run["new_documents"] == 1 and run["template_lines"] == 1, err
    newest = rows(db_url, "select text from latest where url like '%report-6/'")[0][0]
    assert NAG not in newest and newest.startswith("Report 6, part 0:")


def test_a_line_few_articles_share_is_not_template(site: LoopbackSite, db_url: str) -> None:
    paths = publish(site, 6)
    for n, path in enumerate(paths[2:], start=2):  # only two of six carry it
        site.routes[path] = Reply(page(n, nag=False))
    add_source(db_url, "courier", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "courier")
    assert code == 0 and run["template_lines"] == 0, err
    shown = in_process(source, "show", "courier", "--template", "--db", db_url)
    assert "no template learned for courier yet" in shown.output
    assert sum(NAG in text for text in latest_texts(db_url)) == 2


def test_templates_can_be_switched_off(site: LoopbackSite, db_url: str) -> None:
    publish(site, 6)
    add_source(db_url, "courier", "--feed", site.url("/feed.xml"))
    code, run, err = crawl(db_url, "courier", "-s", "ARCHIVIST_TEMPLATES=false")
    assert code == 0 and run["template_lines"] is None, err
    assert scalar(db_url, "select count(*) from template_lines") == 0


def snapshot(n: int, *extra: str) -> ArticleSnapshot:
    text = "\n\n".join([*own_paragraphs(n)[:2], *extra])
    return ArticleSnapshot(url=f"https://c.example/{n}", title=f"Report {n}", text=text)


def archive_with(db_url: str, texts: list[str]) -> tuple[int, Engine]:
    engine = new_archive(db_url)
    with transaction(engine) as session:
        source_id = add_source_row(session, "c", "feed", "https://c.example/feed").id
    for n, text in enumerate(texts):
        record(engine, f"https://c.example/{n}", f"Report {n}", text, at(n), source_id=source_id)
    return source_id, engine


def test_learning_needs_enough_articles_and_words(db_url: str) -> None:
    sign_off = "Reporting by the county desk; editing by the night team."
    short = "The verdict"  # a recurring heading is content, however often it recurs
    texts = [snapshot(n, short, sign_off).text for n in range(4)]
    source_id, engine = archive_with(db_url, [*texts, snapshot(4).text])
    now = datetime.now(UTC)
    with transaction(engine) as session:
        learned = learn_template(session, source_id, POLICY, now)
        assert (learned.sample_size, learned.found) == (5, 1)
        assert load_template(session, source_id).lines == {sign_off}
        strict = TemplatePolicy(min_documents=3, min_share=0.9, sample=50)
        assert learn_template(session, source_id, strict, now).found == 0
    assert recurring_lines(texts[:2], POLICY) == {}  # two articles prove nothing
    engine.dispose()


def test_learned_lines_are_retired_when_crawls_stop_meeting_them(db_url: str) -> None:
    sign_off = "Reporting by the county desk; editing by the night team."
    source_id, engine = archive_with(db_url, [snapshot(n, sign_off).text for n in range(3)])
    now = datetime.now(UTC)
    with transaction(engine) as session:
        learn_template(session, source_id, POLICY, now)
        # the stored texts lose the line (as reprocess does): it stays learned for a while...
        session.execute(update(TemplateLine).values(last_seen_at=now - RETENTION / 2))
    with transaction(engine) as session:  # rewritten without it, as reprocess does
        for n, document_id in enumerate(session.scalars(select(Document.id).order_by("id"))):
            clean = replace(snapshot(n), title=f"Report {n}", authors=("Ann Writer",))
            assert record_reading(session, document_id, clean, at(10 + n)) == 2
    with transaction(engine) as session:
        kept = learn_template(session, source_id, POLICY, now)
        assert (kept.found, kept.kept, kept.retired) == (0, 1, 0)
        # ...and is retired once no crawl has met it for longer than the retention: no longer
        # removed, still ignored when comparing
        later = now + RETENTION + timedelta(days=1)
        assert learn_template(session, source_id, POLICY, later).retired == 1
        assert load_template(session, source_id) == Template(frozenset(), frozenset({sign_off}))
    engine.dispose()


def test_a_line_crawls_find_in_too_few_pages_is_retired(db_url: str) -> None:
    background = "The dispute over the harbour lease began when the port authority sold it."
    source_id, engine = archive_with(db_url, [snapshot(n, background).text for n in range(5)])
    now = datetime.now(UTC)
    with transaction(engine) as session:
        assert learn_template(session, source_id, POLICY, now).found == 1
        # a small crawl's mix proves nothing: one page of six carried it
        note_readings(session, source_id, 6, Counter({background: 1}), POLICY, now)
        assert load_template(session, source_id).lines == {background}
        # twenty pages, two carried it: under half the learning share
        note_readings(session, source_id, 20, Counter({background: 2}), POLICY, now)
        assert load_template(session, source_id).lines == frozenset()
        assert load_template(session, source_id).retired == {background}
    engine.dispose()


def test_list_items_and_table_rows_are_never_learned() -> None:
    rows_ = [
        "- Salt and pepper to taste",
        "| Team | Played | Won | Lost |",
        "3. Bake for forty minutes",
    ]
    texts = [snapshot(n, *rows_).text for n in range(6)]
    assert recurring_lines(texts, POLICY) == {}


def test_switching_templates_off_makes_no_versions(site: LoopbackSite, db_url: str) -> None:
    """Stored text without the learned line; readings carry it again (templates off): the
    comparison still ignores it."""
    publish(site, 6)
    add_source(db_url, "courier", "--feed", site.url("/feed.xml"))
    assert crawl(db_url, "courier")[0] == 0
    assert in_process(cli, "reprocess", "--source", "courier", "--db", db_url).exit_code == 0
    assert scalar(db_url, "select count(*) from versions") == 12
    publish(site, 6, nonce="ghi")
    code, run, err = crawl(db_url, "courier", *ALL, "-s", "ARCHIVIST_TEMPLATES=false")
    assert code == 0 and (run["fetched"], run["new_versions"]) == (6, 0), err
    # a one-off fetch of one of the source's articles compares the same way
    fetched = run_archivist("fetch", site.url("/2026/11/report-0/"), "--db", db_url, "--json")
    assert json.loads(fetched.stdout)["outcome"] == "unchanged", fetched.stderr
    assert scalar(db_url, "select count(*) from versions") == 12


def test_strip_removes_whole_lines_only_and_never_empties_an_article() -> None:
    template = Template(frozenset({NAG}))
    text = f"First paragraph.\n\n{NAG}\n\nA sentence quoting {NAG}\n\nLast paragraph."
    stripped, removed = template.strip(text)
    assert removed == [NAG]
    assert stripped == f"First paragraph.\n\nA sentence quoting {NAG}\n\nLast paragraph."
    assert template.strip(NAG) == (NAG, [])  # nothing but template: left whole
