"""`archivist schedule`: each source's trigger, last run and next run."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from scheduler.timetable import COLUMNS, timetable
from store.cli_options import db_option, one_line_errors
from store.db import open_archive, transaction
from store.output import format_options, render


@click.command()
@db_option
@format_options
@one_line_errors
def schedule(db_url: str | None, fmt: str) -> None:
    """Show each source's schedule: its trigger, its last run and its next run (UTC).

    The next run is when a worker will queue it: `now` when it is due (it never ran, or a
    run was missed while no worker was running), `queued` or `running` when it is under way.
    """
    engine = open_archive(db_url, create=False)
    try:
        with transaction(engine) as session:
            entries = timetable(session, datetime.now(UTC))
    finally:
        engine.dispose()
    for chunk in render(COLUMNS, [entry.row() for entry in entries], fmt):
        click.echo(chunk, nl=False)
