"""The layers' import direction holds (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed (pip install -e '.[test]')"
    result = subprocess.run(
        [lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


QUERY_RUN = """
import sys
from scheduler.cli import cli
cli.main(["sql", "select count(*) from documents", "--db", sys.argv[1]], standalone_mode=False)
print(sorted(m for m in ("scrapy", "trafilatura", "apscheduler") if m in sys.modules))
"""


def test_query_commands_load_no_crawler(tmp_path: Path) -> None:
    """`archivist sql` runs without importing Scrapy, trafilatura or APScheduler (fast start)."""
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    subprocess.run([sys.executable, "-m", "scheduler", "db", "upgrade", "--db", db], check=True)
    result = subprocess.run(
        [sys.executable, "-c", QUERY_RUN, db], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"  # and the query ran:
    assert "0" in result.stdout.splitlines()[:-1]


def test_every_registered_command_loads_under_its_name() -> None:
    from scheduler.cli import COMMANDS, cli

    context = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None and command.name == name, name


def test_extraction_workers_load_no_database_or_scrapy() -> None:
    """What a worker process imports to read pages: no SQLAlchemy, Scrapy or Twisted (memory)."""
    check = (
        "import sys, crawler.reader_pool\n"
        "print(sorted(m for m in ('sqlalchemy', 'scrapy', 'twisted') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
