"""Golden pages: each folder under tests/fixtures/pages is one case, each expected field a test.

A case holds `page.html` (raw bytes, any charset), `meta.json` (`url`, optional `content_type`,
optional `site_rules`: a rules file or folder inside the case) and `expected.json`. A failing
test's id names the case and the field that broke, e.g. `news-article-authors`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.pages.site_rules import SITE_RULES_ENV
from crawler.reading import BlockedPage, NotAnArticle, read_article
from store.records import ArticleSnapshot
from tests.conftest import FIXTURES

PAGES = FIXTURES / "pages"


def cases() -> Iterator[Any]:
    for folder in sorted(p for p in PAGES.iterdir() if p.is_dir()):
        expected = json.loads((folder / "expected.json").read_text("utf-8"))
        for field in expected:
            yield pytest.param(folder, field, expected[field], id=f"{folder.name}-{field}")


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
