"""Golden pages: each folder under tests/fixtures/pages is one case, each expected field a test.

A case holds `page.html` (raw bytes, any charset), `meta.json` (`url`, optional `content_type`,
optional `site_rules`: a rules file or folder inside the case) and `expected.json`. A failing
test's id names the case and the field that broke, e.g. `news-article-authors`.

ARCHIVIST_FIXTURES adds cases of your own (as `archivist fetch --save-fixture DIR` writes them):
folders separated by os.pathsep, each holding case folders (or being one). Their ids start with
the folder's name: `my-cases/news-example-story-title`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.pages.site_rules import SITE_RULES_ENV
from crawler.reading import BlockedPage, NotAnArticle, read_article
from store.records import ArticleSnapshot
from tests.conftest import FIXTURES

PAGES = FIXTURES / "pages"
FIXTURES_ENV = "ARCHIVIST_FIXTURES"


def case_roots() -> Iterator[tuple[Path, str]]:
    """The bundled cases' folder, then each folder of ARCHIVIST_FIXTURES, with an id prefix."""
    yield PAGES, ""
    for entry in os.environ.get(FIXTURES_ENV, "").split(os.pathsep):
        if entry.strip():
            root = Path(entry.strip())
            if not root.is_dir():
                raise pytest.UsageError(f"{FIXTURES_ENV}: no such folder: {root}")
            yield root, f"{root.resolve().name}/"


def case_folders(root: Path) -> list[Path]:
    if (root / "expected.json").is_file():  # the variable names a case itself
        return [root]
    return sorted(p for p in root.iterdir() if (p / "expected.json").is_file())


def cases() -> Iterator[Any]:
    for root, prefix in case_roots():
        for folder in case_folders(root):
            expected = json.loads((folder / "expected.json").read_text("utf-8"))
            for field in expected:
                name = f"{prefix}{folder.name}-{field}"
                yield pytest.param(folder, field, expected[field], id=name)


def read_case(folder: Path, monkeypatch: pytest.MonkeyPatch) -> ArticleSnapshot | Exception:
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    if "site_rules" in meta:
        monkeypatch.setenv(SITE_RULES_ENV, str(folder / meta["site_rules"]))
    else:
        monkeypatch.delenv(SITE_RULES_ENV, raising=False)
    body = (folder / "page.html").read_bytes()
    try:
        return read_article(meta["url"], body, meta.get("content_type"))
    except (BlockedPage, NotAnArticle) as exc:
        return exc


OUTCOMES = {"article": ArticleSnapshot, "blocked": BlockedPage, "not_an_article": NotAnArticle}


@pytest.mark.parametrize(("folder", "field", "want"), list(cases()))
def test_golden_page(folder: Path, field: str, want: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    check_case(folder, field, want, monkeypatch)


def check_case(folder: Path, field: str, want: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the case and check one expected field; an AssertionError names what broke."""
    result = read_case(folder, monkeypatch)
    if field == "outcome":
        assert isinstance(result, OUTCOMES[want]), f"outcome: got {result!r}"
        return
    if field == "reason":
        assert isinstance(result, BlockedPage), f"not blocked: {result!r}"
        assert want in str(result)
        return
    assert isinstance(result, ArticleSnapshot), f"{field}: no article ({result!r})"
    check_field(result, field, want)


def check_field(snap: ArticleSnapshot, field: str, want: Any) -> None:
    text = snap.text
    if field == "must_contain":
        missing = [s for s in want if s not in text]
        assert not missing, f"must_contain: missing {missing}\n--- text ---\n{text}"
    elif field == "must_not_contain":
        present = [s for s in want if s in text]
        assert not present, f"must_not_contain: present {present}\n--- text ---\n{text}"
    elif field == "starts_with":
        assert text.startswith(want), f"starts_with: text begins {text[:80]!r}"
    elif field == "authors":
        assert list(snap.authors) == want
    elif field in ("published_at", "modified_at"):
        value = getattr(snap, field)
        assert (value.isoformat() if value else None) == want
    elif field == "canonical_url":
        assert snap.url == want
    else:
        assert getattr(snap, field) == want
