"""The `-s NAME=VALUE` option shared by every command that starts crawls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

DEFAULT_HELP = "Override a crawl setting (see README, 'Crawl settings'); repeatable."


def settings_option(help_text: str = DEFAULT_HELP) -> Callable[[Any], Any]:
    """`-s/--set NAME=VALUE`, repeatable, collected into the `overrides` parameter."""
    return click.option(
        "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help=help_text
    )
