"""The headline a page shows (its <h1>) is kept, and its change alone makes a version, while an
archive that did not keep it yet gets it filled in without a single new version."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from crawler.reading import read_article
from tests.conftest import run_archivist
from tests.loopback import LoopbackSite, Reply
from tests.pages import article_page
from tests.test_fetch import fetch_json, rows

DECLARED = "Council approves riverside park"  # JSON-LD/og:title: what `title` is read from
SHOWN = "Council approves riverside park after a late-night vote"
PATH = "/2026/11/park/"


def execute(db_url: str, sql: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def test_the_story_heading_is_read_before_a_logo_heading() -> None:
    page = article_page(h1=SHOWN).replace("<header>", "<header><h1>Daily Example</h1>")
    snapshot = read_article("https://daily.example" + PATH, page)
    assert (snapshot.title, snapshot.h1) == (DECLARED, SHOWN)
    assert SHOWN not in snapshot.text  # the headline is a field, not a paragraph
    plain = "<html><body><p>" + " ".join(["Word"] * 300) + "</p></body></html>"
    assert read_article("https://daily.example/2026/11/plain/", plain).h1 is None


def test_a_change_of_the_shown_headline_alone_is_a_new_version(
    site: LoopbackSite, db_url: str
) -> None:
    site.routes[PATH] = Reply(article_page())
    code, first, err = fetch_json(site.url(PATH), db_url)
    assert (code, first["outcome"], first["version_no"]) == (0, "new", 1), err
    # the editor changes the visible headline; the declared one (og:title, <title>) stays
    site.routes[PATH] = Reply(article_page(h1=SHOWN))
    code, second, _ = fetch_json(site.url(PATH), db_url)
    assert (code, second["outcome"], second["version_no"], second["h1"]) == (0, "changed", 2, SHOWN)
    assert second["content_hash"] == first["content_hash"]  # headline, authors, text: the same
    assert rows(db_url, "select version_no, title, h1 from versions order by version_no") == [
        (1, DECLARED, DECLARED),
        (2, DECLARED, SHOWN),
    ]
    assert rows(db_url, "select h1 from latest") == [(SHOWN,)]
    code, third, _ = fetch_json(site.url(PATH), db_url)
    assert (code, third["outcome"], third["version_no"]) == (0, "unchanged", 2)

    shown = run_archivist("diff", site.url(PATH), "--db", db_url)
    assert shown.returncode == 0, shown.stderr
    assert f"h1:\n-{DECLARED}\n+{SHOWN}" in shown.stdout
    assert "headline:" not in shown.stdout and "text:" not in shown.stdout
    record = json.loads(run_archivist("diff", site.url(PATH), "--db", db_url, "--json").stdout)
    assert (record["h1"], record["title"], record["to"]["h1"]) == (
        [f"-{DECLARED}", f"+{SHOWN}"],
        [],
        SHOWN,
    )


def test_versions_kept_before_the_shown_headline_get_it_and_no_new_version(
    site: LoopbackSite, db_url: str
) -> None:
    site.routes[PATH] = Reply(article_page())
    assert fetch_json(site.url(PATH), db_url)[0] == 0
    execute(db_url, "update versions set h1 = null")  # as an archive upgraded to 0006 has it
    site.routes[PATH] = Reply(article_page(h1=SHOWN))
    code, again, _ = fetch_json(site.url(PATH), db_url)
    assert (code, again["outcome"], again["version_no"]) == (0, "unchanged", 1)
    assert rows(db_url, "select count(*), max(h1) from versions") == [(1, SHOWN)]

    # `reprocess` fills it in from the stored page, and makes no version either
    execute(db_url, "update versions set h1 = null")
    dry = run_archivist("reprocess", "--dry-run", "--db", db_url)
    assert dry.returncode == 0, dry.stderr
    assert rows(db_url, "select count(*), max(h1) from versions") == [(1, None)]
    done = run_archivist("reprocess", "--db", db_url)
    assert done.returncode == 0, done.stderr
    assert rows(db_url, "select count(*), max(h1) from versions") == [(1, SHOWN)]
    # and from then on, a change of it is a version
    site.routes[PATH] = Reply(article_page(h1=DECLARED))
    code, changed, _ = fetch_json(site.url(PATH), db_url)
    assert (code, changed["outcome"], changed["version_no"]) == (0, "changed", 2)


def test_a_page_that_shows_no_headline_changes_nothing(site: LoopbackSite, db_url: str) -> None:
    site.routes[PATH] = Reply(article_page(h1=SHOWN))
    assert fetch_json(site.url(PATH), db_url)[0] == 0
    without = article_page().replace(f"<h1>{DECLARED}</h1>", "")
    site.routes[PATH] = Reply(without)
    code, again, _ = fetch_json(site.url(PATH), db_url)
    assert (code, again["outcome"], again["version_no"]) == (0, "unchanged", 1)
    assert rows(db_url, "select h1 from versions") == [(SHOWN,)]  # kept as it was seen
