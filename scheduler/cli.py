"""The `archivist` command: composes every layer's commands."""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute". A command's module is imported when the command runs (or for
# --help), so `archivist sql` or `history` never pays for loading Scrapy and trafilatura.
COMMANDS = {
    "db": "store.cli:db",
    "sql": "store.cli:sql",
    "history": "store.cli:history",
    "diff": "store.cli:diff",
    "fetch": "crawler.cli.fetch:fetch",
    "extract": "crawler.cli.extract:extract",
    "source": "crawler.cli.sources:source",
    "crawl": "crawler.cli.crawl:crawl",
    "runs": "crawler.cli.crawl:runs",
    "reprocess": "crawler.cli.reprocess:reprocess_command",
    "worker": "scheduler.commands.worker:worker",
    "schedule": "scheduler.commands.schedule:schedule",
    "demo": "scheduler.commands.demo:demo",
}


class LazyGroup(click.Group):
    """A group whose commands are imported by name, on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="archivist")
def cli() -> None:
    """archivist: a versioned, queryable archive of news articles.

    Every command that touches the archive takes --db URL (or ARCHIVIST_DB); the default is
    the SQLite file ./archive.db. fetch, source add/import, worker and db upgrade create it;
    the other commands need one and say so when there is none.
    """


def main() -> None:
    """Console-script entry point."""
    cli()
