"""archivist's own crawl settings take values of their kind, or are refused where they enter.

Through the real commands (click's CliRunner; a subprocess for the crawl that runs): `-s` on
fetch, crawl, worker and source add/edit, and the `settings` table of `source import`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from crawler.settings import (
    INTERNAL_SETTINGS,
    SCRAPY_SETTINGS,
    SETTING_KINDS,
    checked_settings,
    parse_overrides,
)
from scheduler.cli import cli
from store.db import open_archive, transaction, upgrade
from store.models import Source
from tests.loopback import LoopbackSite
from tests.sites import crawl, feed_site

WHOLE_0 = "a whole number >= 0"
DURATION = "a duration such as 15m or 1d, or a number of seconds >= 0"
BOOLEAN = "true or false"
SHARE = "a number > 0 and <= 1"
SECONDS = "a number of seconds >= 0"

# `-s` pairs no crawl can use, and what each must be instead.
REFUSED_PAIRS = [
    ("DOWNLOAD_TIMEOUT=abc", "DOWNLOAD_TIMEOUT must be a number, not 'abc'"),
    ("CONCURRENT_REQUESTS=abc", "CONCURRENT_REQUESTS must be a number, not 'abc'"),
    ("ROBOTSTXT_OBEY=maybe", "ROBOTSTXT_OBEY must be true or false (or 1 or 0), not 'maybe'"),
    ("ARCHIVIST_LIMIT=abc", f"ARCHIVIST_LIMIT must be {WHOLE_0}, not 'abc'"),
    ("ARCHIVIST_LIMIT=-1", f"ARCHIVIST_LIMIT must be {WHOLE_0}, not '-1'"),
    ("ARCHIVIST_LIMIT=2.5", f"ARCHIVIST_LIMIT must be {WHOLE_0}, not '2.5'"),
    ("ARCHIVIST_LIMIT=", f"ARCHIVIST_LIMIT must be {WHOLE_0}, not ''"),
    ("ARCHIVIST_EXTRACT_WORKERS=true", f"ARCHIVIST_EXTRACT_WORKERS must be {WHOLE_0}, not 'true'"),
    ("ARCHIVIST_READ_BEFORE_POOL=-1", f"ARCHIVIST_READ_BEFORE_POOL must be {WHOLE_0}, not '-1'"),
    (
        "ARCHIVIST_PAGES_PER_WORKER=0",
        "ARCHIVIST_PAGES_PER_WORKER must be a whole number >= 1, not '0'",
    ),
    ("ARCHIVIST_REVISIT_MIN=-5", f"ARCHIVIST_REVISIT_MIN must be {DURATION}, not '-5'"),
    ("ARCHIVIST_REVISIT_MIN=1.5h", f"ARCHIVIST_REVISIT_MIN must be {DURATION}, not '1.5h'"),
    (
        "ARCHIVIST_REVISIT_MAX=5 minutes",
        f"ARCHIVIST_REVISIT_MAX must be {DURATION}, not '5 minutes'",
    ),
    ("ARCHIVIST_REVISIT_MAX=false", f"ARCHIVIST_REVISIT_MAX must be {DURATION}, not 'false'"),
    ("ARCHIVIST_REVISIT_FACTOR=0", "ARCHIVIST_REVISIT_FACTOR must be a number > 0, not '0'"),
    ("ARCHIVIST_REVISIT_FACTOR=nan", "ARCHIVIST_REVISIT_FACTOR must be a number > 0, not 'nan'"),
    ("ARCHIVIST_REVISIT_ALL=yes", f"ARCHIVIST_REVISIT_ALL must be {BOOLEAN}, not 'yes'"),
    ("ARCHIVIST_RETRY_AFTER_MAX=2m", f"ARCHIVIST_RETRY_AFTER_MAX must be {SECONDS}, not '2m'"),
    ("ARCHIVIST_PROGRESS_SECONDS=-1", f"ARCHIVIST_PROGRESS_SECONDS must be {SECONDS}, not '-1'"),
    ("ARCHIVIST_STORE=no", f"ARCHIVIST_STORE must be {BOOLEAN}, not 'no'"),
    ("ARCHIVIST_TEMPLATES=1", f"ARCHIVIST_TEMPLATES must be {BOOLEAN}, not '1'"),
    (
        "ARCHIVIST_TEMPLATE_MIN_DOCS=1",
        "ARCHIVIST_TEMPLATE_MIN_DOCS must be a whole number >= 2, not '1'",
    ),
    (
        "ARCHIVIST_TEMPLATE_MIN_SHARE=abc",
        f"ARCHIVIST_TEMPLATE_MIN_SHARE must be {SHARE}, not 'abc'",
    ),
    (
        "ARCHIVIST_TEMPLATE_MIN_SHARE=1.5",
        f"ARCHIVIST_TEMPLATE_MIN_SHARE must be {SHARE}, not '1.5'",
    ),
    (
        "ARCHIVIST_TEMPLATE_SAMPLE=0",
        "ARCHIVIST_TEMPLATE_SAMPLE must be a whole number >= 1, not '0'",
    ),
]
# Values at the edge of each kind, or in each spelling it takes: kept as -s converts them.
ACCEPTED_PAIRS = {
    "DOWNLOAD_TIMEOUT=7.5": 7.5,
    "CONCURRENT_REQUESTS=4": 4,
    "ARCHIVIST_LIMIT=0": 0,
    "ARCHIVIST_EXTRACT_WORKERS=0": 0,
    "ARCHIVIST_READ_BEFORE_POOL=0": 0,
    "ARCHIVIST_PAGES_PER_WORKER=1": 1,
    "ARCHIVIST_REVISIT_MIN=15m": "15m",
    "ARCHIVIST_REVISIT_MAX=2592000": 2592000,
    "ARCHIVIST_REVISIT_FACTOR=0.1": 0.1,
    "ARCHIVIST_REVISIT_ALL=TRUE": True,
    "ARCHIVIST_RETRY_AFTER_MAX=0.5": 0.5,
    "ARCHIVIST_PROGRESS_SECONDS=0": 0,
    "ARCHIVIST_STORE=true": True,
    "ARCHIVIST_TEMPLATES=false": False,
    "ARCHIVIST_TEMPLATE_MIN_DOCS=2": 2,
    "ARCHIVIST_TEMPLATE_MIN_SHARE=1": 1,
    "ARCHIVIST_TEMPLATE_SAMPLE=1": 1,
}
FEED = 'feed = "https://x.example/f"\nevery = "1h"\n'


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def error_line(result: Result) -> str:
    """The one `Error: ...` line of a refused command (never a traceback)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def sources(db_url: str) -> dict[str, dict[str, Any]]:
    listed = invoke("source", "list", "--json", "--db", db_url)
    assert listed.exit_code == 0, listed.output
    return {row["name"]: row for row in json.loads(listed.output)}


def runs(db_url: str) -> list[dict[str, Any]]:
    result = invoke("runs", "--json", "--db", db_url)
    assert result.exit_code == 0, result.output
    records: list[dict[str, Any]] = json.loads(result.output)
    return records


@pytest.fixture
def archive(db_url: str) -> str:
    upgrade(db_url)
    return db_url


def test_every_setting_a_user_may_give_has_a_kind_its_default_fits() -> None:
    given = {
        name
        for name in SCRAPY_SETTINGS
        if name.startswith("ARCHIVIST_") and name not in INTERNAL_SETTINGS
    }
    assert set(SETTING_KINDS) == given
    for name, kind in SETTING_KINDS.items():
        assert kind.fits(SCRAPY_SETTINGS[name]), name


@pytest.mark.parametrize(("pair", "message"), REFUSED_PAIRS)
def test_every_command_refuses_a_value_of_the_wrong_kind(
    archive: str, site: LoopbackSite, pair: str, message: str
) -> None:
    feed_site(site, 1)
    kept = ["-s", "ARCHIVIST_LIMIT=3"]
    added = invoke("source", "add", "wd", "--feed", site.url("/feed.xml"), "--every", "1h",
                   *kept, "--db", archive)  # fmt: skip
    assert added.exit_code == 0, added.output
    commands = {
        "source add": ["source", "add", "new", "--feed", site.url("/feed.xml"), "--every", "1h"],
        "source edit": ["source", "edit", "wd"],
        "crawl": ["crawl", "wd"],
        "fetch": ["fetch", site.url("/2026/11/story-0/")],
        "worker": ["worker"],
    }
    for command, args in commands.items():
        refused = invoke(*args, "-s", pair, "--db", archive)
        assert refused.exit_code == 2, (command, refused.output)
        assert error_line(refused) == f"Error: {message}", command
    assert list(sources(archive)) == ["wd"]  # nothing added ...
    assert sources(archive)["wd"]["settings"] == {"ARCHIVIST_LIMIT": 3}  # ... nor edited
    assert runs(archive) == []  # no crawl started
    assert site.log == []  # nothing fetched
    documents = invoke("sql", "select count(*) as n from documents", "--json", "--db", archive)
    assert json.loads(documents.output) == [{"n": 0}], documents.output


@pytest.mark.parametrize(("pair", "value"), ACCEPTED_PAIRS.items())
def test_values_of_the_setting_s_kind_are_kept(archive: str, pair: str, value: object) -> None:
    name = pair.partition("=")[0]
    refused = next(bad for bad, _ in REFUSED_PAIRS if bad.startswith(f"{name}="))
    added = invoke("source", "add", "a", "--feed", "https://x.example/f", "--every", "1h",
                   "-s", pair, "--db", archive)  # fmt: skip
    assert added.exit_code == 0, added.output
    stored = sources(archive)["a"]["settings"]
    assert stored == {name: value} and type(stored[name]) is type(value)
    edited = invoke("source", "edit", "a", "-s", refused, "--db", archive)  # its neighbour
    assert edited.exit_code == 2, edited.output
    assert sources(archive)["a"]["settings"] == {name: value}


def test_a_shortest_revisit_wait_longer_than_the_longest_is_refused(archive: str) -> None:
    bounds = ["-s", "ARCHIVIST_REVISIT_MIN=2d", "-s", "ARCHIVIST_REVISIT_MAX=1d"]
    for args in (
        ["source", "add", "a", "--feed", "https://x.example/f", "--every", "1h"],
        ["crawl", "a"],
    ):
        refused = invoke(*args, *bounds, "--db", archive)
        assert refused.exit_code == 2, refused.output
        assert error_line(refused) == (
            "Error: ARCHIVIST_REVISIT_MIN (2d) must not be longer than ARCHIVIST_REVISIT_MAX (1d)"
        )
    assert sources(archive) == {}
    equal = ["-s", "ARCHIVIST_REVISIT_MIN=1d", "-s", "ARCHIVIST_REVISIT_MAX=86400"]
    added = invoke("source", "add", "a", "--feed", "https://x.example/f", "--every", "1h",
                   *equal, "--db", archive)  # fmt: skip
    assert added.exit_code == 0, added.output


def import_file(tmp_path: Path, settings: str) -> Path:
    file = tmp_path / "sources.toml"
    file.write_text(f"[sources.a]\n{FEED}settings = {{ {settings} }}\n", encoding="utf-8")
    return file


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ('ARCHIVIST_LIMIT = "abc"', f"ARCHIVIST_LIMIT: must be {WHOLE_0}, not 'abc'"),
        ('ARCHIVIST_LIMIT = "5"', f"ARCHIVIST_LIMIT: must be {WHOLE_0}, not '5'"),  # a string
        ("ARCHIVIST_LIMIT = -1", f"ARCHIVIST_LIMIT: must be {WHOLE_0}, not -1"),
        ("ARCHIVIST_LIMIT = 2.0", f"ARCHIVIST_LIMIT: must be {WHOLE_0}, not 2.0"),
        ("ARCHIVIST_LIMIT = true", f"ARCHIVIST_LIMIT: must be {WHOLE_0}, not True"),
        ("ARCHIVIST_REVISIT_MIN = -5", f"ARCHIVIST_REVISIT_MIN: must be {DURATION}, not -5"),
        ('ARCHIVIST_REVISIT_MIN = "1.5"', f"ARCHIVIST_REVISIT_MIN: must be {DURATION}, not '1.5'"),
        ("ARCHIVIST_REVISIT_MAX = true", f"ARCHIVIST_REVISIT_MAX: must be {DURATION}, not True"),
        ('ARCHIVIST_TEMPLATES = "false"', f"ARCHIVIST_TEMPLATES: must be {BOOLEAN}, not 'false'"),
        ("ARCHIVIST_REVISIT_ALL = 1", f"ARCHIVIST_REVISIT_ALL: must be {BOOLEAN}, not 1"),
        (
            "ARCHIVIST_TEMPLATE_MIN_SHARE = 0",
            f"ARCHIVIST_TEMPLATE_MIN_SHARE: must be {SHARE}, not 0",
        ),
        (
            'ARCHIVIST_RETRY_AFTER_MAX = "2m"',
            f"ARCHIVIST_RETRY_AFTER_MAX: must be {SECONDS}, not '2m'",
        ),
        (
            "ARCHIVIST_REVISIT_FACTOR = false",
            "ARCHIVIST_REVISIT_FACTOR: must be a number > 0, not False",
        ),
    ],
)
def test_import_refuses_a_value_of_the_wrong_kind_by_its_key(
    archive: str, tmp_path: Path, entry: str, error: str
) -> None:
    file = import_file(tmp_path, f"DOWNLOAD_DELAY = 1, {entry}")
    refused = invoke("source", "import", str(file), "--db", archive)
    assert refused.exit_code == 2, refused.output
    assert error_line(refused) == f"Error: {file}: sources.a.settings.{error}"
    assert sources(archive) == {}


def test_import_refuses_revisit_bounds_the_wrong_way_round(archive: str, tmp_path: Path) -> None:
    file = import_file(tmp_path, 'ARCHIVIST_REVISIT_MIN = "2d", ARCHIVIST_REVISIT_MAX = 3600')
    refused = invoke("source", "import", str(file), "--db", archive)
    assert refused.exit_code == 2, refused.output
    assert error_line(refused) == (
        f"Error: {file}: sources.a: "
        "ARCHIVIST_REVISIT_MIN (2d) must not be longer than ARCHIVIST_REVISIT_MAX (3600)"
    )
    assert sources(archive) == {}


def test_import_keeps_values_of_their_kind(archive: str, tmp_path: Path) -> None:
    settings = (
        'ARCHIVIST_REVISIT_MIN = "15m", ARCHIVIST_REVISIT_MAX = 2592000, ARCHIVIST_LIMIT = 0, '
        "ARCHIVIST_TEMPLATES = false, ARCHIVIST_TEMPLATE_MIN_SHARE = 1, "
        "ARCHIVIST_RETRY_AFTER_MAX = 0.5, DOWNLOAD_DELAY = -1"  # Scrapy's own: unchecked
    )
    file = import_file(tmp_path, settings)
    imported = invoke("source", "import", str(file), "--db", archive)
    assert imported.exit_code == 0, imported.output
    assert sources(archive)["a"]["settings"] == {
        "ARCHIVIST_REVISIT_MIN": "15m", "ARCHIVIST_REVISIT_MAX": 2592000, "ARCHIVIST_LIMIT": 0,
        "ARCHIVIST_TEMPLATES": False, "ARCHIVIST_TEMPLATE_MIN_SHARE": 1,
        "ARCHIVIST_RETRY_AFTER_MAX": 0.5, "DOWNLOAD_DELAY": -1,
    }  # fmt: skip
    broken = import_file(tmp_path, settings.replace("ARCHIVIST_LIMIT = 0", "ARCHIVIST_LIMIT = -1"))
    assert invoke("source", "import", str(broken), "--db", archive).exit_code == 2
    assert sources(archive)["a"]["settings"]["ARCHIVIST_LIMIT"] == 0  # left as it was


def test_a_crawl_runs_with_values_of_their_kind_and_never_starts_with_others(
    site: LoopbackSite, sqlite_url: str
) -> None:
    feed_site(site, 2)
    good = ["-s", "ARCHIVIST_REVISIT_MIN=15m", "-s", "ARCHIVIST_LIMIT=0",
            "-s", "ARCHIVIST_TEMPLATES=false"]  # fmt: skip
    added = invoke("source", "add", "wd", "--feed", site.url("/feed.xml"), "--every", "1h",
                   *good, "--db", sqlite_url)  # fmt: skip
    assert added.exit_code == 0, added.output
    # Before the check, this one crawled the whole source and failed its run at the end.
    late = invoke("crawl", "wd", "-s", "ARCHIVIST_TEMPLATE_MIN_SHARE=abc", "--db", sqlite_url)
    assert late.exit_code == 2, late.output
    assert runs(sqlite_url) == [] and site.log == []
    code, run, stderr = crawl(sqlite_url, "wd", *good)
    assert code == 0, stderr
    assert (run["status"], run["new_documents"]) == ("finished", 2)


def test_a_setting_stored_before_values_were_checked_stops_the_crawl_before_it_fetches(
    archive: str, site: LoopbackSite
) -> None:
    feed_site(site, 1)
    added = invoke("source", "add", "wd", "--feed", site.url("/feed.xml"), "--every", "1h",
                   "--db", archive)  # fmt: skip
    assert added.exit_code == 0, added.output
    engine = open_archive(archive)
    with transaction(engine) as session:  # as an older archivist let it in
        stored = {"settings": {"ARCHIVIST_LIMIT": "abc"}}
        session.execute(update(Source).where(Source.name == "wd").values(options=stored))
    engine.dispose()
    refused = invoke("crawl", "wd", "--db", archive)
    assert refused.exit_code == 1, refused.output
    assert error_line(refused) == (
        f"Error: source wd: ARCHIVIST_LIMIT must be {WHOLE_0}, not 'abc': change it with "
        "`archivist source edit wd -s NAME=VALUE` or `--unset NAME`"
    )
    assert site.log == [] and runs(archive) == []
    mended = invoke("source", "edit", "wd", "--unset", "ARCHIVIST_LIMIT", "--db", archive)
    assert mended.exit_code == 0, mended.output


def test_an_edit_that_leaves_the_shortest_revisit_wait_above_the_longest_is_refused(
    archive: str,
) -> None:
    added = invoke("source", "add", "a", "--feed", "https://x.example/f", "--every", "1h",
                   "-s", "ARCHIVIST_REVISIT_MIN=2h", "--db", archive)  # fmt: skip
    assert added.exit_code == 0, added.output
    refused = invoke("source", "edit", "a", "-s", "ARCHIVIST_REVISIT_MAX=1h", "--db", archive)
    assert refused.exit_code == 2, refused.output
    assert error_line(refused) == (
        "Error: ARCHIVIST_REVISIT_MIN (2h) must not be longer than ARCHIVIST_REVISIT_MAX (1h)"
    )
    assert sources(archive)["a"]["settings"] == {"ARCHIVIST_REVISIT_MIN": "2h"}


@pytest.mark.parametrize(
    "pair",
    [
        "TELNETCONSOLE_ENABLED=False",  # an int default read as a switch
        "FEED_EXPORT_INDENT=None",
        "ROBOTSTXT_OBEY=0",
        "DOWNLOAD_DELAY=0.5",
        "LOG_LEVEL=INFO",
        "USER_AGENT=archivist-test",
    ],
)
def test_scrapy_settings_scrapy_reads_are_taken(pair: str) -> None:
    name, _, _ = pair.partition("=")
    assert name in parse_overrides((pair,))


def test_a_declared_scrapy_setting_may_be_text_scrapy_reads() -> None:
    assert checked_settings({"DOWNLOAD_DELAY": "2", "COOKIES_ENABLED": "False"})
