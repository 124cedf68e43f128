"""The end of the demo: what is in the archive, shown by the very commands a user would type."""

from __future__ import annotations

import shlex
import shutil
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy import select

from scheduler.demo_server import BOILERPLATE
from store.db import make_readonly_engine
from store.models import Document, Version

ARTICLES_SQL = (
    "SELECT version_no AS versions, word_count AS words, substr(published_at, 1, 16) AS published,"
    " title FROM latest ORDER BY published_at DESC"
)
EXAMPLE_SQL = "SELECT outcome, count(*) AS fetches FROM captures GROUP BY outcome ORDER BY 2 DESC"


def show_archive(
    archive: Path, edited_url: str, edited_page: str, say: Callable[[str], None]
) -> None:
    """Print the runs, the articles, the edited article's text, history and diff, and a query."""
    db = _shown_path(archive)
    sections = [
        ("The crawl runs", ["runs", "--db", db]),
        ("The archive's articles (the `latest` view: newest version of each)",
         ["sql", "--db", db, ARTICLES_SQL]),
        ("The corrected article's history", ["history", "--db", db, edited_url]),
        ("What the correction changed", ["diff", "--db", db, edited_url]),
        ("Any question, in SQL: how did each fetch end?", ["sql", "--db", db, EXAMPLE_SQL]),
    ]  # fmt: skip
    for index, (title, args) in enumerate(sections):
        say("")
        say(f"== {title}")
        say(f"$ archivist {shlex.join(args)}")
        _run_command(args, say)
        if index == 1:
            show_cleaning(archive, edited_url, edited_page, say)
    say("")
    say(f"The archive stays in {archive}: keep querying it, e.g.")
    activate = Path(sys.executable).parent / "activate"
    if shutil.which("archivist") is None and activate.is_file():  # run as .venv/bin/archivist
        say(f"  . {shlex.quote(_shown_path(activate))}    # puts `archivist` on PATH")
    say(f"  export ARCHIVIST_DB={shlex.quote(str(archive))}")
    say("  archivist sql \"SELECT title, url FROM latest WHERE text LIKE '%ferry%'\"")
    say(f"  archivist history {edited_url}")
    say(f"The worker's log, one line per event: {archive.parent / 'worker.log'}")


def _shown_path(archive: Path) -> str:
    try:
        return str(archive.relative_to(Path.cwd()))
    except ValueError:
        return str(archive)


def _run_command(args: list[str], say: Callable[[str], None]) -> None:
    from scheduler.cli import cli  # here, not at the top: the root imports this module's command

    try:
        cli.main(args, prog_name="archivist", standalone_mode=False)
    except click.ClickException as exc:
        say(f"error: {exc.format_message()}")
    except SystemExit:
        pass
    sys.stdout.flush()


def show_cleaning(archive: Path, url: str, page_html: str, say: Callable[[str], None]) -> None:
    """The archived text of one article, and the page's boilerplate that did not get into it."""
    text = _latest_text(archive, url)
    say("")
    say("== The corrected article as archived: its page's boilerplate did not get in")
    for marker in BOILERPLATE:
        if marker in page_html:
            verdict = "still there!" if marker in text else "removed"
            say(f"  {verdict:<13} {marker!r}")
    say("")
    for paragraph in text.splitlines():
        say(textwrap.fill(paragraph, width=96, initial_indent="  ", subsequent_indent="  "))


def _latest_text(archive: Path, url: str) -> str:
    engine = make_readonly_engine(f"sqlite:///{archive}")
    try:
        with engine.connect() as conn:
            text = conn.scalar(
                select(Version.text)
                .join(Document, Document.id == Version.document_id)
                .where(Document.url == url)
                .order_by(Version.version_no.desc())
                .limit(1)
            )
    finally:
        engine.dispose()
    return text or ""
