"""The crawler's commands. Each module holds one command (or group); COMMANDS lists them all."""

from __future__ import annotations

import click

from crawler.cli.crawl import crawl, runs
from crawler.cli.extract import extract
from crawler.cli.fetch import fetch
from crawler.cli.reprocess import reprocess_command
from crawler.cli.sources import source

COMMANDS: list[click.Command] = [fetch, extract, source, crawl, runs, reprocess_command]
