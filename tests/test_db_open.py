"""Opening the archive: created on first use by commands that write, never by those that read."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.db import NoArchiveError, SchemaError, current_revision, open_archive


def test_reading_commands_never_create_an_archive(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere" / "archive.db"
    with pytest.raises(NoArchiveError, match=f"no archive at {missing}"):
        open_archive(f"sqlite:///{missing}", create=False)
    assert not missing.parent.exists()
    assert isinstance(NoArchiveError("x"), SchemaError)  # one line from every command


def test_writing_commands_create_it_and_readers_then_open_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    open_archive(url).dispose()
    engine = open_archive(url, create=False)
    assert current_revision(engine) is not None
    engine.dispose()
