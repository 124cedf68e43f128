"""The crawler's commands. Each module holds one command (or group); COMMANDS lists them all."""

from __future__ import annotations

import click

from crawler.cli.fetch import fetch

COMMANDS: list[click.Command] = [fetch]
