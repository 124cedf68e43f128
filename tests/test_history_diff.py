"""`archivist history` and `archivist diff` over archives built by the real write path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from scheduler.cli import cli
from store.history import mark_words
from tests.archives import at, fingerprint, new_archive, record, record_error

URL = "https://news.example/2024/03/minister/"
ONE = "https://news.example/2024/03/only-once/"
V1 = "The minister resigned on Monday.\nHe said he was tired.\nMore follows."
V2 = "The minister resigned on Monday evening.\nHe said he was tired.\nMore follows."
V3 = "The minister resigned on Monday evening.\nHe said he was tired.\nA successor is expected."


@pytest.fixture
def archive(db_url: str) -> str:
    """URL: versions 1..3, an unchanged refetch and a failed fetch; ONE: a single version."""
    engine = new_archive(db_url)
    first = record(engine, URL, "Minister resigns", V1, at(0), requested_url=URL + "?utm_source=x")
    record(engine, URL, "Minister resigns", V1, at(1))
    record(engine, URL, "Minister resigns", V2, at(2))
    third = record(engine, URL, "Minister resigns after row", V3, at(3), authors=("Ann", "Bo"))
    record_error(engine, URL, at(4), "HTTP 503 Service Unavailable")
    record(engine, ONE, "Only once", "Nothing changes here.", at(5))
    engine.dispose()
    assert (first.version_no, third.version_no) == (1, 3)
    return db_url


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


# --- history ----------------------------------------------------------------------------------


def test_history_lists_versions_and_captures(archive: str) -> None:
    result = run("history", URL, "--db", archive)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(URL + "\n")
    assert "3 version(s), 5 capture(s)" in out
    versions = out.split("\nversions\n")[1].split("\n\n")[0].splitlines()[2:]
    assert [line.split()[0] for line in versions] == ["1", "2", "3"]
    assert versions[0].split()[1:5] == ["2024-03-01", "09:00:00Z", "2024-03-01", "10:00:00Z"]
    assert versions[2].endswith("Minister resigns after row")
    captures = out.split("newest first)\n")[1].splitlines()[2:]
    assert [line.split()[3] for line in captures] == [
        "error",
        "changed",
        "changed",
        "unchanged",
        "new",
    ]
    assert captures[0].endswith("HTTP 503 Service Unavailable")


def test_history_json(archive: str) -> None:
    result = run("history", URL, "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["url"] == URL and found["version_count"] == 3 and found["capture_count"] == 5
    assert [v["version_no"] for v in found["versions"]] == [1, 2, 3]
    assert found["versions"][2]["authors"] == ["Ann", "Bo"]
    assert len(found["versions"][0]["content_hash"]) == 64
    assert found["versions"][0]["last_seen_at"] == "2024-03-01T10:00:00+00:00"
    newest = found["captures"][0]
    assert (newest["outcome"], newest["status"], newest["version_no"]) == ("error", 503, None)
    assert [c["version_no"] for c in found["captures"][1:]] == [3, 2, 1, 1]


def test_history_caps_the_captures_and_says_so(archive: str) -> None:
    result = run("history", URL, "--db", archive, "--captures", "2")
    assert "captures (newest 2 of 5, newest first)" in result.stdout
    assert len(json.loads(run("history", URL, "--db", archive, "--captures", "2", "--json")
                          .stdout)["captures"]) == 2  # fmt: skip


def test_history_finds_a_document_by_a_url_it_was_fetched_as(archive: str) -> None:
    result = run("history", URL + "?utm_source=x", "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["url"] == URL


@pytest.mark.parametrize(
    "typed",
    [
        "HTTPS://NEWS.Example/2024/03/minister/",
        "https://news.example/2024/03/minister/#comments",
        "Https://News.example:443/2024/03/minister/#top",
        "https://news.example/2024/03/minister/?utm_source=x#x",
        "https://news.example/2024/03/minister/?utm_medium=social&fbclid=abc",  # never fetched
    ],
)
def test_history_and_diff_find_a_url_typed_in_another_spelling(archive: str, typed: str) -> None:
    found = run("history", typed, "--db", archive, "--json")
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["url"] == URL
    compared = run("diff", typed, "--db", archive, "--json")
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.stdout)["to"]["version_no"] == 3


def test_a_path_is_not_lowercased(archive: str) -> None:
    result = run("history", URL.replace("minister", "MINISTER"), "--db", archive)
    assert result.exit_code == 1 and "no document in the archive" in result.stderr


def test_unknown_url_is_a_one_line_error(archive: str) -> None:
    for command in ("history", "diff"):
        result = run(command, "https://news.example/never/", "--db", archive)
        assert result.exit_code == 1
        assert (
            result.stderr == "Error: no document in the archive for https://news.example/never/\n"
        )


def test_from_the_newest_alone_is_an_error(archive: str) -> None:
    result = run("diff", URL, "--from", "3", "--db", archive)
    assert result.exit_code == 1
    assert "version 3 is the newest version: nothing after it to compare" in result.stderr
    assert run("diff", URL, "--from", "2", "--db", archive).exit_code == 0


def test_a_url_fetched_but_never_read_says_what_its_fetches_gave(archive: str) -> None:
    dead = "https://news.example/2024/03/withdrawn/"
    engine = new_archive(archive)
    record_error(engine, dead, at(6), "HTTP 503 Service Unavailable")
    record_error(engine, dead, at(7), "HTTP 503 Service Unavailable")
    engine.dispose()
    result = run("history", dead, "--db", archive)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no document in the archive for {dead} (fetched 2 ")
    assert "never read as an article; the newest on " in result.stderr
    assert "HTTP 503, error: HTTP 503 Service Unavailable)" in result.stderr


def test_reading_history_writes_nothing(archive: str) -> None:
    before = fingerprint(archive)
    assert run("history", URL, "--db", archive).exit_code == 0
    assert run("diff", URL, "--db", archive, "--words").exit_code == 0
    assert fingerprint(archive) == before


# --- diff -------------------------------------------------------------------------------------


def test_diff_defaults_to_the_newest_two_versions(archive: str) -> None:
    result = run("diff", URL, "--db", archive)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("--- version 2  2024-03-01 11:00:00Z  Minister resigns")
    assert lines[1].startswith("+++ version 3  2024-03-01 12:00:00Z  Minister resigns after row")
    assert lines[2:6] == [
        "headline:",
        "-Minister resigns",
        "+Minister resigns after row",
        "authors:",
    ]
    assert "-More follows." in lines and "+A successor is expected." in lines
    assert " He said he was tired." in lines  # one paragraph of context
    assert not any("Monday" in line for line in lines)  # unchanged, out of context


def test_diff_between_chosen_versions(archive: str) -> None:
    result = run("diff", URL, "--db", archive, "--from", "1", "--to", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "-The minister resigned on Monday." in lines
    assert "+The minister resigned on Monday evening." in lines
    assert "headline:" not in lines


def test_diff_to_alone_compares_with_the_version_before(archive: str) -> None:
    result = run("diff", URL, "--db", archive, "--to", "2")
    assert result.stdout.splitlines()[0].startswith("--- version 1 ")


def test_word_diff_marks_words_inside_changed_paragraphs(archive: str) -> None:
    result = run("diff", URL, "--db", archive, "--from", "1", "--to", "3", "--words")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Minister resigns{+ after row+}" in lines
    assert "¶1: The minister resigned on Monday{+ evening+}." in lines
    assert "¶3: [-More follows-]{+A successor is expected+}." in lines
    assert not any("tired" in line for line in lines)


def test_diff_json(archive: str) -> None:
    result = run("diff", URL, "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found["from"]["version_no"], found["to"]["version_no"]) == (2, 3)
    assert found["title"] == ["-Minister resigns", "+Minister resigns after row"]
    assert found["authors"] == ["-Ann Writer", "+Ann, Bo"]
    assert "+A successor is expected." in found["text"]


def test_a_document_with_one_version_says_so(archive: str) -> None:
    result = run("diff", ONE, "--db", archive)
    assert result.exit_code == 0
    assert result.stdout == f"{ONE} has 1 version(s): nothing to compare\n"


def test_diff_json_of_a_document_with_one_version_is_json(archive: str) -> None:
    result = run("diff", ONE, "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found["url"], found["from"]) == (ONE, None)
    assert (found["to"]["version_no"], found["to"]["title"]) == (1, "Only once")
    assert (found["title"], found["authors"], found["text"]) == ([], [], [])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--to", "5"], f"{URL} has no version 5 (it has 1..3)"),
        (["--to", "1"], f"{URL}: version 1 is the first version: nothing before it to compare"),
        (["--from", "7", "--to", "2"], f"{URL} has no version 7 (it has 1..3)"),
    ],
)
def test_a_version_error_names_the_version_asked_for(
    archive: str, options: list[str], message: str
) -> None:
    result = run("diff", URL, "--db", archive, *options)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"


def test_a_version_that_does_not_exist_is_a_one_line_error(archive: str) -> None:
    result = run("diff", URL, "--db", archive, "--from", "1", "--to", "9")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {URL} has no version 9 (it has 1..3)\n"


@pytest.mark.parametrize(
    ("old", "new", "marked"),
    [
        ("a b c", "a b c", "a b c"),
        ("a b c", "a x c", "a [-b-]{+x+} c"),
        ("one two", "one two three", "one two{+ three+}"),
        ("gone words here", "here", "[-gone words -]here"),
    ],
)
def test_mark_words(old: str, new: str, marked: str) -> None:
    assert mark_words(old, new) == marked


# --- archives that are missing or old ---------------------------------------------------------


def test_a_missing_archive_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    for command in ("history", "diff"):
        result = run(command, URL, "--db", f"sqlite:///{path}")
        assert result.exit_code == 1
        assert "no archive at" in result.stderr
    assert not path.exists()


def test_an_archive_at_an_older_schema_is_refused_and_untouched(archive: str) -> None:
    from store.db import make_engine

    engine = make_engine(archive)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    engine.dispose()
    before = fingerprint(archive)
    result = run("history", URL, "--db", archive)
    assert result.exit_code == 1
    assert "run `archivist db upgrade`" in result.stderr
    assert fingerprint(archive) == before
