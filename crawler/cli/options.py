"""What every command that reads pages shares: the `-s NAME=VALUE` option, the rules check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from crawler.normalise.boilerplate import RulesError
from crawler.pages.site_rules import check_site_rules

DEFAULT_HELP = "Override a crawl setting (see README, 'Crawl settings'); repeatable."


def settings_option(help_text: str = DEFAULT_HELP) -> Callable[[Any], Any]:
    """`-s/--set NAME=VALUE`, repeatable, collected into the `overrides` parameter."""
    return click.option(
        "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help=help_text
    )


def require_site_rules() -> None:
    """Stop the command with one line (exit 1) when ARCHIVIST_SITE_RULES is missing or broken."""
    try:
        check_site_rules()
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc
