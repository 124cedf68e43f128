"""Canonical URLs: one document per article whatever the link carried."""

from __future__ import annotations

import pytest

from crawler.normalise.urls import canonical_address, canonical_url, resolve_canonical


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTP://News.Example.COM:80/a/b", "http://news.example.com/a/b"),
        ("https://news.example:443/a#comments", "https://news.example/a"),
        ("https://news.example:8443/a", "https://news.example:8443/a"),
        ("https://news.example/a?utm_source=x&utm_medium=y&id=7", "https://news.example/a?id=7"),
        ("https://news.example/a?fbclid=1&gclid=2&page=2", "https://news.example/a?page=2"),
        ("https://news.example", "https://news.example/"),
        ("https://news.example/путь/", "https://news.example/%D0%BF%D1%83%D1%82%D1%8C/"),
    ],
)
def test_canonical_url(given: str, expected: str) -> None:
    assert canonical_url(given) == expected


def test_same_site_canonical_link_wins() -> None:
    page = "https://www.news.example/amp/story?utm_campaign=x"
    assert resolve_canonical(page, "/2026/story/") == "https://www.news.example/2026/story/"
    assert resolve_canonical(page, "https://news.example/story") == "https://news.example/story"


def test_foreign_or_empty_canonical_link_is_ignored() -> None:
    page = "https://news.example/story?utm_source=x"
    assert (
        resolve_canonical(page, "https://aggregator.example/copy") == "https://news.example/story"
    )
    assert resolve_canonical(page, None) == "https://news.example/story"
    assert resolve_canonical(page, "javascript:void(0)") == "https://news.example/story"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("http://[::1]/a", "http://[::1]/a"),
        ("http://User:secret@News.Example/a", "http://news.example/a"),
    ],
)
def test_unusual_hosts_never_fail_and_never_keep_credentials(given: str, expected: str) -> None:
    assert canonical_url(given) == expected


def test_home_page_canonical_is_ignored() -> None:
    page = "https://news.example/2026/11/story/"
    assert resolve_canonical(page, "/") == page
    assert resolve_canonical(page, "https://news.example") == page
    assert resolve_canonical("https://news.example/?utm_source=x", "/") == "https://news.example/"


def test_a_malformed_port_is_its_own_address() -> None:
    # discovery and the known-documents middleware key requests on it: it must never raise
    with pytest.raises(ValueError):
        canonical_url("http://news.example:99999/a/")
    assert canonical_address("http://news.example:99999/a/") == "http://news.example:99999/a/"
    assert canonical_address("HTTP://News.Example/a/?utm_source=x") == "http://news.example/a/"
