"""The `archivist` command: composes every layer's commands."""

from __future__ import annotations

import click

from crawler.cli import COMMANDS as CRAWLER_COMMANDS
from scheduler.commands import COMMANDS as SCHEDULER_COMMANDS
from store.cli import COMMANDS as STORE_COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="archivist")
def cli() -> None:
    """archivist: a versioned, queryable archive of news articles.

    Every command that touches the archive takes --db URL (or ARCHIVIST_DB); the default is
    the SQLite file ./archive.db, created and migrated on first use.
    """


for command in (*STORE_COMMANDS, *CRAWLER_COMMANDS, *SCHEDULER_COMMANDS):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli()
