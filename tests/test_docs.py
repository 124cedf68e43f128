"""README is the user's manual: every command, setting, variable and column is in it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from crawler.settings import SCRAPY_SETTINGS
from scheduler.cli import cli
from store.models import Base

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENVIRONMENT = (
    "ARCHIVIST_DB",
    "ARCHIVIST_USER_AGENT",
    "ARCHIVIST_SITE_RULES",
    "ARCHIVIST_TEST_PG",
    "ARCHIVIST_FIXTURES",
)


def command_paths(group: click.Group, prefix: str = "archivist") -> list[str]:
    paths = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, f"{prefix} {name} does not load"
        path = f"{prefix} {name}"
        paths.append(path)
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
    return paths


@pytest.mark.parametrize("path", command_paths(cli))
def test_every_command_is_documented(path: str) -> None:
    assert f"`{path}" in README, f"README does not document `{path}`"


@pytest.mark.parametrize("name", [k for k in SCRAPY_SETTINGS if k.startswith("ARCHIVIST_")])
def test_every_archivist_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README


@pytest.mark.parametrize("name", ENVIRONMENT)
def test_every_environment_variable_is_documented(name: str) -> None:
    assert f"`{name}`" in README


@pytest.mark.parametrize("table", sorted(Base.metadata.tables.values(), key=lambda t: t.name))
def test_every_table_and_column_is_documented(table: object) -> None:
    section = README.split(f"### `{table.name}`", 1)  # type: ignore[attr-defined]
    assert len(section) == 2, f"no README section for table {table.name}"  # type: ignore[attr-defined]
    body = section[1].split("\n### ", 1)[0]
    for column in table.columns:  # type: ignore[attr-defined]
        assert f"`{column.name}`" in body, f"{table.name}.{column.name} undocumented"  # type: ignore[attr-defined]


def test_ci_runs_readme_test_command() -> None:
    match = re.search(r"## Run the tests\n\n```\n(.+?)\n```", README)
    assert match, "README has no 'Run the tests' command block"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert match.group(1).strip() in ci
