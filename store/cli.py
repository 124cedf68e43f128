"""The archive's commands: db (and sql, history, diff)."""

from __future__ import annotations

import click

from store.cli_options import db_option, one_line_errors
from store.db import current_revision, database_url, head_revision, make_engine, safe_url, upgrade


@click.group()
def db() -> None:
    """Create, upgrade and inspect the archive database."""


@db.command("upgrade")
@db_option
@one_line_errors
def db_upgrade(db_url: str | None) -> None:
    """Create the archive or migrate it to the newest schema."""
    url = database_url(db_url)
    upgrade(url)
    click.echo(f"{safe_url(url)} is at schema revision {head_revision(url)}")


@db.command("status")
@db_option
@one_line_errors
def db_status(db_url: str | None) -> None:
    """Show the archive's schema revision and whether it needs an upgrade."""
    url = database_url(db_url)
    engine = make_engine(url)
    current, head = current_revision(engine), head_revision(url)
    engine.dispose()
    state = "up to date" if current == head else "run `archivist db upgrade`"
    click.echo(f"{safe_url(url)}: revision {current or 'none'} (newest {head}): {state}")


COMMANDS: list[click.Command] = [db]
