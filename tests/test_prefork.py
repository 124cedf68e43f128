"""The forked `archivist` commands the suite runs behave as `python -m scheduler` would."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_archivist, start_archivist
from tests.prefork import PREFORK


def test_a_forked_command_prints_and_exits_as_a_fresh_one(tmp_path: Path) -> None:
    for args in (["--help"], ["history", "--help"], ["no-such-command"]):
        fresh = subprocess.run(
            [sys.executable, "-m", "scheduler", *args], capture_output=True, text=True, timeout=60
        )
        forked = run_archivist(*args)
        assert (forked.returncode, forked.stdout, forked.stderr) == (
            fresh.returncode,
            fresh.stdout,
            fresh.stderr,
        )
    assert run_archivist("no-such-command").returncode == 2


def test_a_forked_command_has_its_own_directory_environment_and_input(tmp_path: Path) -> None:
    created = run_archivist("db", "upgrade", cwd=tmp_path)  # the default archive: ./archive.db
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "archive.db").is_file()
    named = tmp_path / "named.db"
    env = {"ARCHIVIST_DB": f"sqlite:///{named}"}
    assert run_archivist("db", "upgrade", env=env).returncode == 0
    assert named.is_file()
    sources = tmp_path / "sources.toml"
    sources.write_text("[sources.wd]\nfeed = 'http://127.0.0.1:9/feed.xml'\nevery = '1h'\n")
    assert run_archivist("source", "import", str(sources), env=env).returncode == 0
    counted = run_archivist("sql", "-", "--nl", env=env, input="SELECT count(*) AS n FROM sources")
    assert counted.returncode == 0, counted.stderr
    assert '"n": 1' in counted.stdout
    assert "wd" in run_archivist("source", "list", env=env).stdout
    assert "wd" not in run_archivist("source", "list", cwd=tmp_path).stdout  # ./archive.db


def test_a_forked_command_takes_signals_by_its_pid(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    worker = start_archivist("worker", "--db", db, "--log-format", "json")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (tmp_path / "archive.db").exists():
        time.sleep(0.05)
    time.sleep(0.5)
    worker.send_signal(signal.SIGINT)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert '"worker.stopped"' in err
    killed = start_archivist("worker", "--db", db)
    killed.kill()
    assert killed.wait(timeout=30) == -signal.SIGKILL
    assert PREFORK.server is not None and PREFORK.server.poll() is None  # the server goes on


def test_a_forked_command_is_waited_for_and_refused_as_subprocess_would(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    worker = start_archivist("worker", "--db", db)
    with pytest.raises(subprocess.TimeoutExpired):
        worker.wait(timeout=0)
    worker.kill()
    assert worker.wait(timeout=30) == -signal.SIGKILL
    with pytest.raises(FileNotFoundError):
        run_archivist("--help", cwd=tmp_path / "no-such-folder")
