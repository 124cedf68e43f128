"""`archivist fetch --save-fixture`: live pages become golden cases the fixture checks accept."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_archivist
from tests.loopback import LoopbackSite, Reply
from tests.pages import BODY, article_page
from tests.test_extraction_fixtures import check_case

ROOT = Path(__file__).resolve().parent.parent
PAGES = FIXTURES / "pages"
CASE_FILES = ["expected.json", "meta.json", "page.html"]


def save(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_archivist("fetch", *args, "-s", "AUTOTHROTTLE_START_DELAY=0.01", env=env)


def load(folder: Path, name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / name).read_text("utf-8"))
    return data


def assert_checks_pass(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every expected field of the case through the golden checker, as pytest would."""
    for field, want in load(folder, "expected.json").items():
        check_case(folder, field, want, monkeypatch)


def test_article_case_is_written_exactly(
    site: LoopbackSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = article_page().encode("utf-8")
    site.routes["/2026/11/Park-Story/"] = Reply(served)
    url = site.url("/2026/11/Park-Story/")
    result = save(url, "--no-store", "--save-fixture", str(tmp_path / "cases"))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "cases" / "127-0-0-1-2026-11-park-story"
    assert f"saved case: {folder}" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == CASE_FILES
    assert (folder / "page.html").read_bytes() == served
    assert load(folder, "meta.json") == {"url": url, "content_type": "text/html; charset=utf-8"}
    assert load(folder, "expected.json") == {
        "outcome": "article",
        "title": "Council approves riverside park",
        "canonical_url": url,
        "authors": ["Jane Roe"],
        "published_at": "2026-11-20T07:30:00+00:00",
        "modified_at": None,
        "language": "en",
        "starts_with": "The city council voted on Tuesday to approve",
        "must_contain": [
            "The mayor explained that the project would be paid for by a regional grant and "
            "would not raise local taxes in the coming years.",
            BODY[3],
        ],
        "must_not_contain": [],
    }
    assert_checks_pass(folder, monkeypatch)


def test_bundled_pages_served_live_round_trip(
    site: LoopbackSite, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bodies kept byte for byte in any charset; a wall makes a `blocked` case; archive as usual."""
    names = ["news-article", "ru-windows-1251", "blocked-adblock-wall"]
    for name in names:  # no charset in the header: the page's own <meta> must decide
        site.routes[f"/{name}"] = Reply(
            (PAGES / name / "page.html").read_bytes(), headers={"Content-Type": "text/html"}
        )
    root = tmp_path / "cases"
    result = save(
        *(site.url(f"/{n}") for n in names), "--db", sqlite_url, "--save-fixture", str(root)
    )
    assert result.returncode == 1  # the wall is a failed fetch, and still a case
    assert "blocked: ad-block wall" in result.stderr
    for name in names:
        folder = root / f"127-0-0-1-{name}"
        assert (folder / "page.html").read_bytes() == (PAGES / name / "page.html").read_bytes()
        expected = load(folder, "expected.json")
        assert expected["outcome"] == load(PAGES / name, "expected.json")["outcome"]
        assert_checks_pass(folder, monkeypatch)
    assert load(root / "127-0-0-1-blocked-adblock-wall", "expected.json") == {
        "outcome": "blocked",
        "reason": "ad-block wall",
    }
    assert load(root / "127-0-0-1-ru-windows-1251", "expected.json")["title"] == (
        "В Твери открыли новый мост через Волгу"
    )
    assert (tmp_path / "archive.db").exists()


def test_a_redirected_page_is_read_at_its_final_url(
    site: LoopbackSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.routes["/old-story"] = Reply(status=301, headers={"Location": site.url("/new-story")})
    site.routes["/new-story"] = Reply(article_page())
    root = tmp_path / "cases"
    result = save(site.url("/old-story"), "--no-store", "--save-fixture", str(root))
    assert result.returncode == 0, result.stderr
    folder = root / "127-0-0-1-old-story"  # named after the URL asked for
    assert load(folder, "meta.json") == {
        "url": site.url("/new-story"),
        "requested_url": site.url("/old-story"),
        "content_type": "text/html; charset=utf-8",
    }
    assert load(folder, "expected.json")["canonical_url"] == site.url("/new-story")
    assert_checks_pass(folder, monkeypatch)


def test_refuses_to_overwrite_a_case(site: LoopbackSite, tmp_path: Path) -> None:
    site.routes["/story"] = Reply(article_page())
    root = tmp_path / "cases"
    assert save(site.url("/story"), "--no-store", "--save-fixture", str(root)).returncode == 0
    folder = root / "127-0-0-1-story"
    (folder / "expected.json").write_text("{}", encoding="utf-8")  # the user's edits

    again = save(site.url("/story"), "--no-store", "--save-fixture", str(root))
    assert again.returncode == 1
    assert again.stderr.strip() == (
        f"Error: case folder already exists: {folder} (remove it or use another DIR)"
    )
    assert (folder / "expected.json").read_text("utf-8") == "{}"
    assert site.hits("/story") == 1  # refused before fetching anything

    twice = save(site.url("/other"), site.url("/Other"), "--no-store", "--save-fixture", str(root))
    assert twice.returncode == 1
    assert f"two URLs would share the case folder {root / '127-0-0-1-other'}" in twice.stderr
    assert site.hits("/other") == 0


def test_saved_html_file_with_site_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--html needs no network; the site's rules file travels with the case so it reads alike."""
    case = PAGES / "site-rules"
    url = load(case, "meta.json")["url"]
    rules = case / "rules"
    root = tmp_path / "cases"
    result = save(
        "--html", str(case / "page.html"), "--url", str(url), "--no-store", "--json",
        "--save-fixture", str(root), env={"ARCHIVIST_SITE_RULES": str(rules)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder = root / "news-tramway-example-local-tram-extension"
    assert result.stderr.strip() == f"saved case: {folder}"  # stdout stays JSON lines
    assert json.loads(result.stdout)["url"] == url
    assert load(folder, "meta.json") == {
        "url": url,
        "content_type": "text/html",
        "site_rules": "rules",
    }
    copied = folder / "rules" / "tramway.example.toml"
    assert sorted(p.name for p in (folder / "rules").iterdir()) == [copied.name]
    assert copied.read_bytes() == (rules / copied.name).read_bytes()
    assert (folder / "page.html").read_bytes() == (case / "page.html").read_bytes()
    monkeypatch.setenv("ARCHIVIST_SITE_RULES", str(tmp_path / "elsewhere"))  # the case's own rules
    assert_checks_pass(folder, monkeypatch)


def test_a_failed_fetch_saves_nothing(site: LoopbackSite, tmp_path: Path) -> None:
    site.routes["/gone"] = Reply("<html><body><p>Not here</p></body></html>", status=404)
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{probe.getsockname()[1]}/story"
    root = tmp_path / "cases"
    result = save(
        site.url("/gone"), refused, "--no-store", "--save-fixture", str(root), "-s", "RETRY_TIMES=0"
    )
    assert result.returncode == 1
    assert f"error: no case saved for {site.url('/gone')}: HTTP 404" in result.stderr
    assert f"error: no case saved for {refused}: nothing fetched (" in result.stderr
    assert "saved case" not in result.stdout + result.stderr
    assert not root.exists() or not any(root.iterdir())


def test_golden_checks_take_saved_cases_from_the_environment(tmp_path: Path) -> None:
    """ARCHIVIST_FIXTURES runs the very golden test module over a user's saved cases."""
    page = tmp_path / "story.html"
    page.write_text(article_page(), encoding="utf-8")
    root = tmp_path / "my-cases"
    url = "https://news.example/2026/11/park"
    assert (
        save(
            "--html", str(page), "--url", url, "--no-store", "--save-fixture", str(root)
        ).returncode
        == 0
    )
    expected_file = root / "news-example-2026-11-park" / "expected.json"
    fields = len(load(expected_file.parent, "expected.json"))

    passed = golden_run(root)
    assert passed.returncode == 0, passed.stdout
    assert f"{fields} passed" in passed.stdout

    expected = load(expected_file.parent, "expected.json")
    expected["title"] = "A different headline"
    expected_file.write_text(json.dumps(expected), encoding="utf-8")
    failed = golden_run(root)
    assert failed.returncode == 1
    assert "my-cases/news-example-2026-11-park-title" in failed.stdout
    assert f"1 failed, {fields - 1} passed" in failed.stdout


def golden_run(root: Path) -> subprocess.CompletedProcess[str]:
    """tests/test_extraction_fixtures.py over `root`'s cases only."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
         "tests/test_extraction_fixtures.py", "-k", "my-cases/"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "ARCHIVIST_FIXTURES": str(root)},
    )  # fmt: skip
