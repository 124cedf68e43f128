"""Bad archive URLs are one line on stderr, never a traceback, never the password."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from scheduler.cli import cli

BAD_URLS = ["postgresql+psycopg://user:s3cret@db.example:notaport/archive", "nonsense://::::"]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", [["sql", "select 1"], ["schedule"], ["source", "list"]])
def test_malformed_archive_url_is_one_clear_line(url: str, command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--db", url])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "not a valid SQLAlchemy URL" in result.output
    assert "s3cret" not in result.output
    assert len(result.output.strip().splitlines()) == 1
