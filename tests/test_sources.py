"""`archivist source ...` through click's CliRunner on a real archive, both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from crawler.cli.sources import source
from crawler.settings import parse_duration
from store.claims import enqueue_run, lock_source
from store.db import open_archive, transaction, upgrade
from store.models import CrawlRun, Source
from store.owners import this_host
from store.runs import start_run

MINSK = ["--start", "https://minsk.example/politics/", "--follow", r"/20\d\d/\d\d/"]


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(source, [*args, "--db", db_url])


def listed(db_url: str) -> dict[str, dict[str, object]]:
    result = run(db_url, "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.output)}


@pytest.fixture
def archive(db_url: str) -> str:
    """An empty archive at head (`source list` does not create one)."""
    upgrade(db_url)
    return db_url


def error_line(result: Result) -> str:
    """The `Error: ...` line of a refused command."""
    assert "Traceback" not in result.output
    return next(line for line in result.output.splitlines() if line.startswith("Error: "))


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
    header, rule, *lines = table.output.splitlines()
    assert header.split() == ["name", "kind", "schedule", "state", "url"]
    assert [line.split()[0] for line in lines] == ["eu", "minsk", "wd"]
    # every column starts where its header does, however long a schedule is
    url_at = header.index("url")
    assert set(rule[url_at:]) == {"-"}
    assert all(line[url_at:].startswith("https://") for line in lines)
    assert lines[1].split()[2:] == ["cron", "0", "*", "*", "*", "*", "enabled", MINSK[1]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--feed", "https://x.example/f", "--cron", "61 * * * *"], "not a cron expression"),
        (
            ["--feed", "https://x.example/f", "--cron", "0 0 1 * 1"],
            "not a cron expression '0 0 1 * 1': give a day of the month or a day of the week",
        ),
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
        (["--feed", "http://", "--every", "1m"], "no host in the URL: 'http://'"),
        (["--feed", "https:///feed.xml", "--every", "1m"], "no host in the URL"),
        (["--feed", "http://exa mple.com/feed", "--every", "1m"], "cannot contain spaces"),
        (["--feed", "http://x.example/a\tb", "--every", "1m"], "cannot contain spaces"),
        (["--feed", "http://[::1/feed", "--every", "1m"], "not a valid URL"),
        (["--feed", "http://x.example:99999/f", "--every", "1m"], "not a valid URL"),
    ],
)
def test_invalid_input_is_one_line(archive: str, args: list[str], message: str) -> None:
    result = run(archive, "add", "bad", *args)
    assert result.exit_code == 2
    assert message in error_line(result)
    assert listed(archive) == {}


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_refused(archive: str, tmp_path: Path, name: str) -> None:
    added = run(archive, "add", name, "--feed", "https://x.example/f", "--every", "1m")
    assert added.exit_code == 2
    assert error_line(added) == "Error: a source name cannot be empty"
    file = tmp_path / "sources.toml"
    file.write_text(f'[sources."{name}"]\nfeed = "https://x.example/f"\nevery = "1m"\n')
    imported = run(archive, "import", str(file))
    assert imported.exit_code == 2
    assert "a source name cannot be empty" in error_line(imported)
    assert listed(archive) == {}


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
    assert run(db_url, "list").output.splitlines()[2].split()[-2] == "disabled"
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
    archive: str, tmp_path: Path, text: str, message: str
) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(text, encoding="utf-8")
    result = run(archive, "import", str(file))
    assert result.exit_code == 2 and message in result.output
    assert listed(archive) == {}


FEED = 'feed = "https://x.example/feed.xml"\n'
START = 'start = "https://x.example/news/"\n'


@pytest.mark.parametrize(
    ("lines", "key", "message"),
    [
        ('feed = 5\nevery = "1h"\n', "feed", "must be a URL string, not 5"),
        (FEED + "every = true\n", "every", "must be a duration string"),
        (FEED + "every = 1.5\n", "every", "or a whole number of seconds, not 1.5"),
        (START + 'every = "1h"\ndepth = "2"\n', "depth", "must be a whole number, not '2'"),
        (START + 'every = "1h"\ndepth = true\n', "depth", "must be a whole number, not True"),
        (START + 'every = "1h"\nfollow = 3\n', "follow", "must be a regular expression"),
        (FEED + 'every = "1h"\nsettings = "x"\n', "settings", "must be a table"),
        (FEED + 'every = "1h"\nenabled = "no"\n', "enabled", "must be true or false, not 'no'"),
        (FEED + 'every = "1h"\nenabled = 0\n', "enabled", "must be true or false, not 0"),
        (FEED + "cron = 5\n", "cron", "must be a crontab string"),
        (FEED + 'cron = "0 7 * * *"\ntimezone = 3\n', "timezone", "must be a time zone name"),
        ('sitemap = ["https://x.example/s.xml"]\nevery = "1h"\n', "sitemap", "URL string"),
    ],
)
def test_import_checks_each_value_type(
    archive: str, tmp_path: Path, lines: str, key: str, message: str
) -> None:
    file = tmp_path / "sources.toml"
    file.write_text("[sources.a]\n" + lines, encoding="utf-8")
    result = run(archive, "import", str(file))
    assert result.exit_code == 2
    assert error_line(result).startswith(f"Error: {file}: sources.a.{key}: must be ")
    assert message in error_line(result)
    assert listed(archive) == {}


def test_import_takes_every_in_seconds_and_enabled_false(archive: str, tmp_path: Path) -> None:
    file = tmp_path / "sources.toml"
    file.write_text("[sources.a]\n" + FEED + "every = 60\nenabled = false\n", encoding="utf-8")
    first = run(archive, "import", str(file))
    assert first.exit_code == 0, first.output
    row = listed(archive)["a"]
    assert (row["every_seconds"], row["enabled"]) == (60, False)
    assert "0 changed, 1 unchanged" in run(archive, "import", str(file)).output


def test_import_without_enabled_leaves_a_disabled_source_disabled(
    archive: str, tmp_path: Path
) -> None:
    file = tmp_path / "sources.toml"
    file.write_text("[sources.a]\n" + FEED + "every = 60\n", encoding="utf-8")
    assert run(archive, "import", str(file)).exit_code == 0
    assert listed(archive)["a"]["enabled"] is True  # a new source: enabled
    assert run(archive, "disable", "a").exit_code == 0
    again = run(archive, "import", str(file))
    assert "0 changed, 1 unchanged" in again.output, again.output
    assert listed(archive)["a"]["enabled"] is False
    file.write_text("[sources.a]\n" + FEED + "every = 60\nenabled = true\n", encoding="utf-8")
    assert "1 changed" in run(archive, "import", str(file)).output
    assert listed(archive)["a"]["enabled"] is True


@pytest.mark.parametrize(
    "name", ["ARCHIVIST_DB_URL", "ARCHIVIST_SOURCE_ID", "ARCHIVIST_CRAWL_RUN_ID"]
)
def test_import_refuses_the_settings_s_refuses(archive: str, tmp_path: Path, name: str) -> None:
    file = tmp_path / "sources.toml"
    file.write_text(
        "[sources.evil]\n" + FEED + f'every = "1h"\nsettings = {{ {name} = "1" }}\n',
        encoding="utf-8",
    )
    imported = run(archive, "import", str(file))
    added = run(archive, "add", "evil", "--feed", "https://x.example/f", "--every", "1h",
                "-s", f"{name}=1")  # fmt: skip
    assert (imported.exit_code, added.exit_code) == (2, 2)
    said_by_s = error_line(added).removeprefix("Error: ")
    assert said_by_s.startswith(f"{name} is set by archivist itself")
    assert error_line(imported) == f"Error: {file}: sources.evil: {said_by_s}"
    assert listed(archive) == {}


def test_edit_checks_follow_and_depth_against_the_kind(archive: str) -> None:
    added = run(archive, "add", "sec", *MINSK, "--depth", "2", "--cron", "0 * * * *")
    assert added.exit_code == 0, added.output
    moved = run(archive, "edit", "sec", "--sitemap", "https://minsk.example/sitemap.xml")
    assert moved.exit_code == 0, moved.output
    row = listed(archive)["sec"]
    assert (row["kind"], row["follow"], row["depth"]) == ("sitemap", None, 1)
    for option in (["--follow", "x"], ["--depth", "3"], ["--no-follow"]):
        refused = run(archive, "edit", "sec", *option)
        assert refused.exit_code == 2
        assert (
            error_line(refused)
            == "Error: --follow, --no-follow and --depth go with --start: sec is a sitemap"
        )
    assert listed(archive)["sec"] == row  # nothing half-applied
    back = run(archive, "edit", "sec", "--start", "https://minsk.example/politics/", "--depth", "3")
    assert back.exit_code == 0, back.output
    row = listed(archive)["sec"]
    assert (row["kind"], row["follow"], row["depth"]) == ("start", None, 3)
    assert run(archive, "edit", "sec", "--follow", "/news/").exit_code == 0
    assert listed(archive)["sec"]["follow"] == "/news/"


def test_edit_clears_follow_with_no_follow(archive: str) -> None:
    assert run(archive, "add", "sec", *MINSK, "--depth", "2", "--every", "1h").exit_code == 0
    both = run(archive, "edit", "sec", "--follow", "/x/", "--no-follow")
    assert both.exit_code == 2
    assert error_line(both) == "Error: give --follow REGEX or --no-follow, not both"
    assert listed(archive)["sec"]["follow"] == r"/20\d\d/\d\d/"
    cleared = run(archive, "edit", "sec", "--no-follow")
    assert cleared.exit_code == 0, cleared.output
    row = listed(archive)["sec"]
    assert (row["kind"], row["follow"], row["depth"]) == ("start", None, 2)


def test_edit_unsets_settings(archive: str) -> None:
    added = run(archive, "add", "wd", "--feed", "https://x.example/f", "--every", "1h",
                "-s", "DOWNLOAD_DELAY=2", "-s", "RETRY_TIMES=1")  # fmt: skip
    assert added.exit_code == 0, added.output
    unset = run(archive, "edit", "wd", "--unset", "DOWNLOAD_DELAY")
    assert unset.exit_code == 0, unset.output
    assert listed(archive)["wd"]["settings"] == {"RETRY_TIMES": 1}
    assert 'settings:    {"RETRY_TIMES": 1}' in run(archive, "show", "wd").output.splitlines()
    swapped = run(archive, "edit", "wd", "--unset", "RETRY_TIMES", "-s", "ROBOTSTXT_OBEY=false")
    assert swapped.exit_code == 0, swapped.output
    assert listed(archive)["wd"]["settings"] == {"ROBOTSTXT_OBEY": False}
    missing = run(archive, "edit", "wd", "--unset", "DOWNLOAD_DELAY", "--every", "5m")
    assert missing.exit_code == 2
    assert error_line(missing) == (
        "Error: wd has no setting DOWNLOAD_DELAY to unset (its settings: ROBOTSTXT_OBEY)"
    )
    both = run(archive, "edit", "wd", "--unset", "ROBOTSTXT_OBEY", "-s", "ROBOTSTXT_OBEY=true")
    assert both.exit_code == 2
    assert error_line(both) == "Error: ROBOTSTXT_OBEY is both set (-s) and unset (--unset)"
    row = listed(archive)["wd"]
    assert (row["settings"], row["every_seconds"]) == ({"ROBOTSTXT_OBEY": False}, 3600)


def test_only_add_shows_a_default_depth() -> None:
    add_help = " ".join(CliRunner().invoke(source, ["add", "--help"]).output.split())
    edit_help = " ".join(CliRunner().invoke(source, ["edit", "--help"]).output.split())
    assert "link levels to follow [default: 1]" in add_help
    assert "link levels to follow." in edit_help and "[default: 1]" not in edit_help


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


def import_error(archive: str, tmp_path: Path, lines: str) -> str:
    """The error line (after its `Error: FILE: `) refusing a file that declares `a` with `lines`."""
    file = tmp_path / "sources.toml"
    file.write_text("[sources.a]\n" + lines, encoding="utf-8")
    result = run(archive, "import", str(file))
    assert result.exit_code == 2, result.output
    assert listed(archive) == {}
    assert error_line(result).startswith(f"Error: {file}: ")
    return error_line(result).removeprefix(f"Error: {file}: ")


NOT_A_VALUE = "must be a string, number or boolean, not"


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ("DOWNLOAD_DELAY = 1979-05-27T07:32:00Z", f"DOWNLOAD_DELAY: {NOT_A_VALUE} a date-time"),
        ("DOWNLOAD_DELAY = 1979-05-27", f"DOWNLOAD_DELAY: {NOT_A_VALUE} a date"),
        ("DOWNLOAD_DELAY = [1, 2]", f"DOWNLOAD_DELAY: {NOT_A_VALUE} an array"),
        ("DOWNLOAD_DELAY = { seconds = 1 }", f"DOWNLOAD_DELAY: {NOT_A_VALUE} a table"),
        ("DOWNLOAD_DELAY = nan", f"DOWNLOAD_DELAY: {NOT_A_VALUE} nan"),
        (
            '" ARCHIVIST_LIMIT" = 1',
            '" ARCHIVIST_LIMIT": a setting name cannot have spaces around it',
        ),
        (
            '"DOWNLOAD_DELAY\\t" = 1',
            '"DOWNLOAD_DELAY\\t": a setting name cannot have spaces around it',
        ),
        ('"ARCHIVIST_LIMIT=x" = 1', "\"ARCHIVIST_LIMIT=x\": a setting name cannot contain '='"),
        ('" " = 1', '" ": a setting name cannot be blank'),
        ('"" = 1', '"": a setting name cannot be blank'),
    ],
)
def test_import_refuses_settings_no_setting_can_be(
    archive: str, tmp_path: Path, entry: str, error: str
) -> None:
    lines = FEED + f'every = "1h"\nsettings = {{ {entry} }}\n'
    assert import_error(archive, tmp_path, lines) == f"sources.a.settings.{error}"


def test_import_keeps_settings_values_as_typed(archive: str, tmp_path: Path) -> None:
    file = tmp_path / "sources.toml"
    settings = 'USER_AGENT = "x/1", RETRY_TIMES = 2, DOWNLOAD_DELAY = 0.5, COOKIES_ENABLED = false'
    file.write_text(f'[sources.a]\n{FEED}every = "1h"\nsettings = {{ {settings} }}\n')
    imported = run(archive, "import", str(file))
    assert imported.exit_code == 0, imported.output
    assert listed(archive)["a"]["settings"] == {
        "USER_AGENT": "x/1", "RETRY_TIMES": 2, "DOWNLOAD_DELAY": 0.5, "COOKIES_ENABLED": False
    }  # fmt: skip


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        (FEED + "every = 0\n", "sources.a.every: must be longer than zero"),
        (FEED + 'every = "0m"\n', "sources.a.every: must be longer than zero"),
        (START + 'every = "1h"\ndepth = 0\n', "sources.a.depth: must be between 1 and 10"),
    ],
)
def test_import_names_the_key_out_of_range(
    archive: str, tmp_path: Path, lines: str, error: str
) -> None:
    assert import_error(archive, tmp_path, lines) == error
    added = run(archive, "add", "a", "--feed", "https://x.example/f", "--every", "0")
    assert error_line(added) == "Error: --every must be longer than zero"  # the option's name


@pytest.mark.parametrize("zone", ["localtime", "posixrules"])
def test_a_host_s_own_time_zone_is_refused(archive: str, tmp_path: Path, zone: str) -> None:
    refused = run(archive, "add", "a", "--feed", "https://x.example/f", "--cron", "0 7 * * *",
                  "--timezone", zone)  # fmt: skip
    assert refused.exit_code == 2
    assert error_line(refused).startswith(f"Error: {zone!r} is this host's time zone")
    error = import_error(archive, tmp_path, FEED + f'cron = "0 7 * * *"\ntimezone = "{zone}"\n')
    assert error.startswith(f"sources.a: {zone!r} is this host's time zone")
    for name in ("UTC", "Europe/Moscow"):
        added = run(archive, "add", name, "--feed", "https://x.example/f", "--cron", "0 7 * * *",
                    "--timezone", name)  # fmt: skip
        assert added.exit_code == 0, added.output
        assert listed(archive)[name]["timezone"] == name


def test_a_source_being_crawled_is_not_removed_and_its_queued_runs_go_with_it(
    archive: str,
) -> None:
    """A crawl of a removed source lost every later page; one whose process is gone is failed."""
    run(archive, "add", "wd", "--feed", "https://x.example/f", "--every", "1h")
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    engine = open_archive(archive)
    with transaction(engine) as session:
        source_id = session.scalars(select(Source.id)).one()
        queued = enqueue_run(session, source_id)
        assert queued is not None
        running = start_run(session, source_id, worker=this_host(), pid=os.getpid()).id
        abandoned = start_run(session, source_id, worker=this_host(), pid=int(ended.stdout)).id
    refused = run(archive, "remove", "wd")
    assert refused.exit_code == 1
    assert error_line(refused) == (
        f"Error: source 'wd' is being crawled by run {running}: stop that run, or "
        "`archivist source disable wd` and remove it once the run has ended"
    )
    assert "wd" in listed(archive)
    with transaction(engine) as session:
        session.execute(update(CrawlRun).where(CrawlRun.id == running).values(status="finished"))
    assert run(archive, "remove", "wd").exit_code == 0
    with transaction(engine) as session:
        rows = session.execute(select(CrawlRun.id, CrawlRun.status, CrawlRun.source_id)).all()
    assert sorted(map(tuple, rows)) == [(running, "finished", None), (abandoned, "failed", None)]
    engine.dispose()


def test_locking_a_removed_source_says_it_is_gone(archive: str) -> None:
    """A crawl that waited for `source remove` to commit must not open a run for it."""
    run(archive, "add", "wd", "--feed", "https://x.example/f", "--every", "1h")
    engine = open_archive(archive)
    with transaction(engine) as session:
        source_id = session.scalars(select(Source.id)).one()
        assert lock_source(session, source_id) is True
    assert run(archive, "remove", "wd").exit_code == 0
    with transaction(engine) as session:
        assert lock_source(session, source_id) is False
    engine.dispose()
