"""Shared fixtures: a loopback site, archives on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.loopback import LoopbackSite
from tests.prefork import PREFORK, Command

PG_ENV = "ARCHIVIST_TEST_PG"  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test
FIXTURES = Path(__file__).parent / "fixtures"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    server = LoopbackSite().start()
    yield server
    server.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards (nothing is left in `test`)."""
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(f"{PG_ENV} not set")
    name = f"archivist_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty archive URL on each configured backend."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


def run_archivist(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `archivist` command in a process of its own (forked: tests/prefork.py)."""
    return PREFORK.run(
        args, env={**os.environ, **(env or {})}, input=input, timeout=timeout, cwd=cwd
    )


def start_archivist(
    *args: str, stdout: int | None = subprocess.PIPE, stderr: int | None = subprocess.PIPE
) -> Command:
    """Start the real `archivist` command in a process of its own; text streams."""
    return PREFORK.launch(args, stdout=stdout, stderr=stderr)
