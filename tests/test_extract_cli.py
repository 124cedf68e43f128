"""`archivist extract`: saved pages to JSON lines, offline, through click's runner and a process."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crawler.cli.extract import PROGRESS_EVERY, extract
from crawler.pages.site_rules import SITE_RULES_ENV
from tests.conftest import FIXTURES, run_archivist

PAGES = FIXTURES / "pages"
ARTICLE = PAGES / "news-article" / "page.html"
WALL = PAGES / "blocked-consent-wall" / "page.html"
RUSSIAN = PAGES / "ru-windows-1251" / "page.html"
FIELDS = {
    "file", "url", "canonical_url", "title", "text", "authors", "published_at", "modified_at",
    "language", "word_count", "content_hash", "extractor_version", "outcome",
}  # fmt: skip


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(extract, list(args), input=stdin, env=env)


def records(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A folder of saved pages as people keep them: plain, gzipped, and a stray non-page."""
    folder = tmp_path / "saved"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / "bridge.html")
    (folder / "tver.html.gz").write_bytes(gzip.compress(RUSSIAN.read_bytes()))
    (folder / "notes.txt").write_text("not a page")
    return folder


def write_map(tmp_path: Path, mapping: dict[str, str]) -> str:
    path = tmp_path / "urls.json"
    path.write_text(json.dumps(mapping))
    return str(path)


def test_files_with_url_map(saved: Path, tmp_path: Path) -> None:
    url_map = write_map(
        tmp_path,
        {"bridge.html": "https://courier.example/news/bridge", "tver": "https://tver.example/m"},
    )
    files = [str(saved / "bridge.html"), str(saved / "tver.html.gz")]
    result = run(*files, "--url-map", url_map)
    assert result.exit_code == 0, result.output
    bridge, tver = records(result)
    assert set(bridge) == FIELDS
    assert bridge["file"] == files[0]
    assert bridge["url"] == "https://courier.example/news/bridge"
    assert bridge["canonical_url"] == "https://courier.example/news/harbour-bridge-reopens"
    assert bridge["title"] == "Harbour bridge reopens after two-year repair"
    assert bridge["authors"] == ["Mara Quinn"]
    assert bridge["published_at"] == "2024-03-05T14:30:00+00:00"
    assert bridge["outcome"] == "extracted"
    assert bridge["word_count"] == len(bridge["text"].split())
    assert "Leave a Reply" not in bridge["text"]
    assert tver["url"] == "https://tver.example/m"  # matched without .html.gz
    assert tver["language"] == "ru"
    assert "Новый мост через Волгу" in tver["text"]


def test_folder_reads_its_pages_in_order(saved: Path) -> None:
    result = run(str(saved), "--json")
    assert result.exit_code == 0, result.output
    found = records(result)
    assert [r["file"] for r in found] == [str(saved / "bridge.html"), str(saved / "tver.html.gz")]
    assert found[0]["url"] == (saved / "bridge.html").resolve().as_uri()


def test_a_failing_file_does_not_stop_the_others(saved: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html.gz"
    broken.write_bytes(b"not gzip at all")
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"<html><body><script>var x = 1;</script></body></html>")
    result = run(str(WALL), str(broken), str(empty), str(saved / "bridge.html"))
    assert result.exit_code == 1
    wall, bad, nothing, good = records(result)
    assert (wall["outcome"], wall["error"]) == ("blocked", "blocked: consent wall")
    assert bad["outcome"] == "error" and "BadGzipFile" in bad["error"]
    assert nothing["outcome"] == "error" and nothing["error"].startswith("nothing extractable")
    assert good["outcome"] == "extracted"
    assert "3 of 4 files failed" in result.stderr
    assert "Traceback" not in result.output


def test_stdin_with_url() -> None:
    result = run("-", "--url", "https://courier.example/a", stdin=ARTICLE.read_bytes())
    assert result.exit_code == 0, result.output
    (record,) = records(result)
    assert (record["file"], record["url"]) == ("-", "https://courier.example/a")
    assert record["title"] == "Harbour bridge reopens after two-year repair"


def test_pool_gives_the_same_lines_in_the_same_order(tmp_path: Path) -> None:
    cases = sorted(p for p in PAGES.iterdir() if (p / "page.html").exists())
    for case in cases:
        shutil.copy(case / "page.html", tmp_path / f"{case.name}.html")
    serial = run(str(tmp_path), "--jobs", "1")
    pooled = run(str(tmp_path), "--jobs", "2")
    assert len(cases) >= 8  # enough for the pool to start
    assert records(pooled) == records(serial)
    assert {r["outcome"] for r in records(serial)} == {"extracted", "blocked"}


def test_progress_on_stderr_for_long_batches(tmp_path: Path) -> None:
    for n in range(PROGRESS_EVERY):
        shutil.copy(WALL, tmp_path / f"wall-{n:03d}.html")
    result = run(str(tmp_path), "--jobs", "2")
    assert len(records(result)) == PROGRESS_EVERY
    assert f"extract: {PROGRESS_EVERY}/{PROGRESS_EVERY} files" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.html"], "no such file or folder: missing.html"),
        ([str(ARTICLE), str(WALL), "--url", "https://x.example/"], "--url names one page"),
        ([str(ARTICLE), "--jobs", "0"], "--jobs"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_folder_without_pages_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a page")
    result = run(str(tmp_path))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"no .html or .htm or .html.gz or .htm.gz files in {tmp_path}" in result.output


def test_bad_url_map_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "urls.json"
    bad.write_text('["not", "an", "object"]')
    result = run(str(ARTICLE), "--url-map", str(bad))
    assert result.exit_code == 2
    assert "expected a JSON object of name -> URL" in result.output


def test_broken_site_rules_are_one_clear_error(tmp_path: Path) -> None:
    rules = tmp_path / "site.toml"
    rules.write_text('domain = "courier.example"\nbody = ["div[unclosed"]\n')
    result = run(str(ARTICLE), env={SITE_RULES_ENV: str(rules)})
    assert result.exit_code == 1
    assert "bad selector 'div[unclosed'" in result.output
    assert "Traceback" not in result.output


def test_site_rules_apply_through_the_command(tmp_path: Path) -> None:
    rules = PAGES / "site-rules" / "rules"
    page = PAGES / "site-rules" / "page.html"
    url = "https://news.tramway.example/local/tram-extension"
    result = run(str(page), "--url", url, env={SITE_RULES_ENV: str(rules)})
    (record,) = records(result)
    assert "Tramway Times app" not in record["text"]
    assert "Yesterday's news" not in record["text"]


def test_real_process(saved: Path, tmp_path: Path) -> None:
    url_map = write_map(tmp_path, {"bridge": "https://courier.example/news/bridge"})
    result = run_archivist("extract", str(saved), "--url-map", url_map, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["outcome"] for r in lines] == ["extracted", "extracted"]
    assert lines[0]["url"] == "https://courier.example/news/bridge"
