"""`archivist source ...` through click's CliRunner on a real archive, both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crawler.cli.sources import source
from crawler.settings import parse_duration

MINSK = ["--start", "https://minsk.example/politics/", "--follow", r"/20\d\d/\d\d/"]


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(source, [*args, "--db", db_url])


def listed(db_url: str) -> dict[str, dict[str, object]]:
    result = run(db_url, "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.output)}


def test_add_list_show(db_url: str) -> None:
    feed = run(db_url, "add", "wd", "--feed", "https://worlddaily.example/feed/", "--every", "15m")
    assert feed.exit_code == 0, feed.output
    assert "every 15m" in feed.output
    assert run(db_url, "add", "eu", "--sitemap", "https://eurasia.example/s.xml", "--every", "1h")
    minsk = run(db_url, "add", "minsk", *MINSK, "--depth", "2", "--cron", "0 * * * *")
    assert minsk.exit_code == 0, minsk.output
    rows = listed(db_url)
    assert rows["wd"]["kind"] == "feed" and rows["wd"]["every_seconds"] == 900
    assert rows["eu"]["every_seconds"] == 3600
    assert rows["minsk"]["cron"] == "0 * * * *" and rows["minsk"]["every_seconds"] is None
    assert (rows["minsk"]["follow"], rows["minsk"]["depth"]) == (r"/20\d\d/\d\d/", 2)
    shown = run(db_url, "show", "minsk")
    assert "follow:" in shown.output and "cron 0 * * * *" in shown.output
    table = run(db_url, "list")
    assert [line.split()[0] for line in table.output.splitlines()] == ["eu", "minsk", "wd"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--feed", "https://x.example/f", "--cron", "61 * * * *"], "not a cron expression"),
        (["--feed", "https://x.example/f", "--every", "5 minutes"], "not a duration"),
        (["--feed", "ftp://x.example/f", "--every", "5m"], "not an http(s) URL"),
        (["--feed", "https://x.example/f"], "give a schedule"),
        (["--every", "5m"], "give one of --feed"),
        (["--feed", "https://x/f", "--sitemap", "https://x/s", "--every", "5m"], "give one of"),
        (["--feed", "https://x/f", "--every", "5m", "--cron", "* * * * *"], "not both"),
        (["--feed", "https://x/f", "--every", "5m", "--follow", "a"], "go with --start"),
        (["--start", "https://x/", "--follow", "(", "--every", "5m"], "not a regular expression"),
        (["--start", "https://x/", "--depth", "0", "--every", "5m"], "--depth must be"),
        (
            ["--feed", "https://x/f", "--cron", "0 7 * * *", "--timezone", "Mars/Olympus"],
            "not a time zone 'Mars/Olympus'",
        ),
        (
            ["--feed", "https://x/f", "--cron", "0 7 * * *", "--timezone", "../etc"],
            "not a time zone",
        ),
        (["--feed", "https://x/f", "--every", "1h", "--timezone", "UTC"], "goes with --cron"),
    ],
)
def test_invalid_input_is_one_line(db_url: str, args: list[str], message: str) -> None:
    result = run(db_url, "add", "bad", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert listed(db_url) == {}


def test_duplicates_and_unknown_names(db_url: str) -> None:
    assert run(db_url, "add", "wd", "--feed", "https://x.example/f", "--every", "1h").exit_code == 0
    again = run(db_url, "add", "wd", "--feed", "https://x.example/g", "--every", "1h")
    assert again.exit_code == 1 and "already exists" in again.output
    for command in ("show", "remove", "disable", "enable"):
        missing = run(db_url, command, "nope")
        assert missing.exit_code == 1 and "no source named 'nope'" in missing.output


def test_edit_disable_enable_remove(db_url: str) -> None:
    run(db_url, "add", "wd", "--feed", "https://x.example/f", "--every", "1h")
    edited = run(db_url, "edit", "wd", "--cron", "*/5 * * * *", "-s", "DOWNLOAD_DELAY=2")
    assert edited.exit_code == 0, edited.output
    row = listed(db_url)["wd"]
    assert (row["cron"], row["every_seconds"]) == ("*/5 * * * *", None)
    assert row["settings"] == {"DOWNLOAD_DELAY": 2}
    run(db_url, "edit", "wd", "--every", "30s", "-s", "RETRY_TIMES=1")
    row = listed(db_url)["wd"]
    assert (row["cron"], row["every_seconds"]) == (None, 30)
    assert row["settings"] == {"DOWNLOAD_DELAY": 2, "RETRY_TIMES": 1}
    assert run(db_url, "edit", "wd").exit_code == 2
    assert run(db_url, "disable", "wd").exit_code == 0
    assert listed(db_url)["wd"]["enabled"] is False
    assert "(disabled)" in run(db_url, "list").output
    assert run(db_url, "enable", "wd").exit_code == 0
    assert listed(db_url)["wd"]["enabled"] is True
    assert run(db_url, "remove", "wd").exit_code == 0
    assert listed(db_url) == {}


SOURCES_TOML = """
[sources.wd]
feed = "https://worlddaily.example/feed/"
every = "15m"

[sources.minsk]
start = "https://minsk.example/politics/"
follow = '/20\\d\\d/\\d\\d/'
depth = 2
cron = "0 * * * *"
settings = { DOWNLOAD_DELAY = 1 }
"""


def test_import_is_declarative_and_idempotent(db_url: str, tmp_path: Path) -> None:
    file = tmp_path / "sources.toml"
    file.write_text(SOURCES_TOML, encoding="utf-8")
    first = run(db_url, "import", str(file))
    assert first.exit_code == 0, first.output
    assert "2 added, 0 changed, 0 unchanged" in first.output
    before = listed(db_url)
    second = run(db_url, "import", str(file))
    assert "0 added, 0 changed, 2 unchanged" in second.output
    assert listed(db_url) == before  # not even updated_at moved
    assert before["minsk"]["settings"] == {"DOWNLOAD_DELAY": 1}
    file.write_text(SOURCES_TOML.replace('every = "15m"', 'every = "1h"'), encoding="utf-8")
    third = run(db_url, "import", str(file))
    assert "0 added, 1 changed, 1 unchanged" in third.output
    assert listed(db_url)["wd"]["every_seconds"] == 3600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sources.a\n", "not valid TOML"),
        ("title = 'x'\n", "no [sources.NAME] tables"),
        ("[sources.a]\nfeed = 'https://x/f'\n", "needs feed/sitemap/start and every/cron"),
        ("[sources.a]\nfeed = 'https://x/f'\nevery = '1h'\ncolour = 1\n", "unknown key"),
        ("[sources.a]\nfeed = 'https://x/f'\ncron = 'bad'\n", "sources.a: not a cron"),
    ],
)
def test_import_errors_name_the_problem(
    db_url: str, tmp_path: Path, text: str, message: str
) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(text, encoding="utf-8")
    result = run(db_url, "import", str(file))
    assert result.exit_code == 2 and message in result.output
    assert listed(db_url) == {}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), ("45", 45)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "1x", "1h and", "-5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_cron_time_zone_is_kept_changed_and_cleared(db_url: str) -> None:
    added = run(db_url, "add", "am", "--feed", "https://x.example/f", "--cron", "0 7 * * *",
                "--timezone", "Europe/Moscow")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "cron 0 7 * * * Europe/Moscow" in added.output
    assert listed(db_url)["am"]["timezone"] == "Europe/Moscow"
    assert "cron 0 7 * * * Europe/Moscow" in run(db_url, "show", "am").output
    assert run(db_url, "edit", "am", "--cron", "30 6 * * *").exit_code == 0
    row = listed(db_url)["am"]
    assert (row["cron"], row["timezone"]) == ("30 6 * * *", "Europe/Moscow")  # the zone stays
    moved = run(db_url, "edit", "am", "--timezone", "America/New_York")
    assert moved.exit_code == 0, moved.output
    assert listed(db_url)["am"]["timezone"] == "America/New_York"
    assert run(db_url, "edit", "am", "--every", "1h").exit_code == 0
    row = listed(db_url)["am"]
    assert (row["cron"], row["every_seconds"], row["timezone"]) == (None, 3600, None)
    refused = run(db_url, "edit", "am", "--timezone", "Europe/Moscow")
    assert refused.exit_code == 2 and "am has no --cron schedule" in refused.output
    assert listed(db_url)["am"]["timezone"] is None  # nothing half-applied


def test_import_declares_the_time_zone(db_url: str, tmp_path: Path) -> None:
    file = tmp_path / "sources.toml"
    zoned = SOURCES_TOML.replace(
        'cron = "0 * * * *"', 'cron = "0 * * * *"\ntimezone = "Europe/Minsk"'
    )
    file.write_text(zoned, encoding="utf-8")
    assert "2 added" in run(db_url, "import", str(file)).output
    assert listed(db_url)["minsk"]["timezone"] == "Europe/Minsk"
    assert "0 changed, 2 unchanged" in run(db_url, "import", str(file)).output
    file.write_text(SOURCES_TOML, encoding="utf-8")  # the zone left out: UTC again
    assert "1 changed, 1 unchanged" in run(db_url, "import", str(file)).output
    assert listed(db_url)["minsk"]["timezone"] is None
    file.write_text(zoned.replace("Europe/Minsk", "Nowhere/City"), encoding="utf-8")
    bad = run(db_url, "import", str(file))
    assert bad.exit_code == 2 and "sources.minsk: not a time zone 'Nowhere/City'" in bad.output
