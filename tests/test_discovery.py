"""Discovery parsers on real feed and sitemap files: listings, dates, news fields, safety."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.discovery.feeds import Feed, read_feed
from crawler.discovery.links import LinkScope
from crawler.discovery.sitemaps import read_sitemap
from crawler.discovery.xmlsafety import DiscoveryError
from tests.conftest import FIXTURES

FILES = FIXTURES / "discovery"


def data(name: str) -> bytes:
    return (FILES / name).read_bytes()


def test_rss2_links_dates_origlink_and_relative_links() -> None:
    feed = read_feed(data("rss2.xml"), "https://worlddaily.example/feed/")
    assert feed.damage is None
    listings = feed.articles
    urls = [listing.url for listing in listings]
    assert urls == [
        "https://worlddaily.example/2026/11/park/?utm_source=rss",
        "https://worlddaily.example/2026/11/bridge/",
        "https://worlddaily.example/2026/11/relative/",
    ]
    assert listings[0].modified_at == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert listings[1].modified_at == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert listings[2].modified_at is None


def test_rss1_and_atom() -> None:
    (rdf,) = read_feed(data("rss1.xml"), "https://eurasia.example/rss").articles
    assert rdf.url == "https://eurasia.example/news/1"
    assert rdf.modified_at == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    (atom,) = read_feed(data("atom.xml"), "https://minsk.example/atom").articles
    assert atom.url == "https://minsk.example/2026/11/atom-entry/"
    assert atom.modified_at == datetime(2026, 11, 23, 18, 30, 2, tzinfo=UTC)  # updated wins


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html><body>Not a feed</body></html>", "no RSS or Atom elements in it (an HTML page?)"),
        (b"", "the document is empty"),
        (b"  \n", "the document is empty"),
        (b"\x00\x01binary", "not well-formed XML (at line 1, column 1: Start tag expected"),
        (b"{}", "not well-formed XML (at line 1, column 1: Start tag expected, '<' not found)"),
    ],
)
def test_invalid_feed_is_a_clear_error(body: bytes, why: str) -> None:
    with pytest.raises(DiscoveryError) as raised:
        read_feed(body, "https://example.org/feed")
    assert str(raised.value).startswith(f"not a valid RSS/Atom feed: {why}")


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>',
    ],
)
def test_a_feed_without_items_is_a_feed_listing_nothing(body: bytes) -> None:
    assert read_feed(body, "https://example.org/feed") == Feed([])


def test_a_truncated_feed_is_read_as_far_as_it_goes_and_says_so() -> None:
    whole = data("rss2.xml")
    cut = whole[: whole.index(b"<item>", whole.index(b"<item>") + 1) + 60]  # inside item two
    feed = read_feed(cut, "https://worlddaily.example/feed/")
    assert [listing.url for listing in feed.articles] == [  # the half-written item is left out
        "https://worlddaily.example/2026/11/park/?utm_source=rss"
    ]
    assert feed.damage is not None
    assert feed.damage.startswith("cut off mid-way (not well-formed XML at line ")
    assert feed.damage.endswith("): the 1 articles listed before the cut were read")


def test_a_feed_in_another_charset_than_declared_is_not_damaged() -> None:
    """feedparser flags it (bozo) and reads every entry: nothing is missing, no warning."""
    latin = data("rss2.xml").replace(b"Council approves", b"Caf\xe9 approves", 1)
    feed = read_feed(latin, "https://worlddaily.example/feed/")
    assert feed.damage is None
    assert feed.articles == read_feed(data("rss2.xml"), "https://worlddaily.example/feed/").articles


def test_a_truncated_sitemap_is_read_as_far_as_it_goes_and_says_so() -> None:
    whole = data("news-sitemap.xml")
    cut = whole[: whole.rindex(b"<url>") + 12]
    sitemap = read_sitemap(cut, "https://eurasia.example/news-sitemap.xml")
    complete = read_sitemap(whole, "https://eurasia.example/news-sitemap.xml")
    assert complete.damage is None
    assert sitemap.articles == complete.articles[:-1]
    assert sitemap.damage is not None and sitemap.damage.startswith("cut off mid-way (not well")
    assert sitemap.damage.endswith(
        f"the {len(sitemap.articles)} articles listed before the cut were read"
    )


@pytest.mark.parametrize("cut", range(1, 40))
def test_a_feed_cut_anywhere_in_its_last_item_never_lists_a_half_written_link(cut: int) -> None:
    whole = data("rss2.xml")
    start = whole.index(b"<link>https://worlddaily.example/2026/11/park/")
    feed = read_feed(whole[: start + cut], "https://worlddaily.example/feed/")
    assert feed.articles == []
    assert feed.damage is not None and "the 0 articles listed before the cut" in feed.damage


def test_a_stray_error_mid_file_is_read_past_and_warned() -> None:
    whole = data("news-sitemap.xml")
    complete = read_sitemap(whole, "https://eurasia.example/news-sitemap.xml")
    stray = whole.replace(
        b"</urlset>", b"<url><loc>https://eurasia.example/&x</loc></url></urlset>"
    )
    sitemap = read_sitemap(stray, "https://eurasia.example/news-sitemap.xml")
    assert sitemap.articles[: len(complete.articles)] == complete.articles
    assert sitemap.damage is not None and sitemap.damage.startswith("not well-formed XML (at line")
    assert sitemap.damage.endswith(f"{len(sitemap.articles)} articles read past the error")


def test_a_whole_feed_with_a_stray_error_and_a_trailing_comment_is_not_cut_off() -> None:
    """A cache plugin's comment after </rss> is no cut: every item is kept, warned."""
    whole = data("rss2.xml")
    complete = read_feed(whole, "https://worlddaily.example/feed/").articles
    stray = whole.replace(b"Bridge repairs delayed", b"Bridge & tunnel repairs delayed", 1)
    stray += b"\n<!-- Dynamic page generated in 0.412 seconds. -->\n"
    feed = read_feed(stray, "https://worlddaily.example/feed/")
    assert feed.articles == complete
    assert feed.damage is not None and feed.damage.startswith("not well-formed XML (at line")


def test_a_feed_with_a_stray_error_then_cut_off_keeps_every_whole_item() -> None:
    whole = data("rss2.xml")
    but_the_last = whole[: whole.rindex(b"<item>")] + b"</channel></rss>"
    expected = read_feed(but_the_last, "https://worlddaily.example/feed/").articles
    stray = whole.replace(b"Council approves", b"Council & mayor approve", 1)
    cut = stray[: stray.rindex(b"</item>") - 3]  # inside the last item's end tag
    feed = read_feed(cut, "https://worlddaily.example/feed/")
    assert len(expected) >= 2 and feed.articles == expected  # not only those before the "&"
    assert feed.damage is not None and f"the {len(feed.articles)} articles listed" in feed.damage


def test_entity_declarations_are_refused_in_feeds_and_sitemaps() -> None:
    with pytest.raises(DiscoveryError, match="unsafe XML refused"):
        read_sitemap(data("billion-laughs.xml"), "https://eurasia.example/sitemap.xml")
    rss = data("rss2.xml").replace(
        b"<rss", b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<rss', 1
    )
    with pytest.raises(DiscoveryError, match="unsafe XML refused"):
        read_feed(rss, "https://worlddaily.example/feed/")


def test_sitemap_index_lists_children() -> None:
    index = read_sitemap(data("sitemap-index.xml"), "https://eurasia.example/sitemap.xml")
    assert index.articles == []
    assert index.children == [
        "https://eurasia.example/news-sitemap.xml.gz",
        "https://eurasia.example/pages-sitemap.xml",
    ]


def test_news_sitemap_keeps_publication_date_title_and_keywords() -> None:
    summit, markets = read_sitemap(
        data("news-sitemap.xml"), "https://eurasia.example/n.xml"
    ).articles
    assert summit.url == "https://eurasia.example/2026/11/summit/"
    assert summit.news_title == "Summit ends without agreement"
    assert summit.news_keywords == "summit, trade, energy"
    assert summit.news_published_at == datetime(2026, 11, 24, 5, 15, tzinfo=UTC)
    assert summit.modified_at == summit.news_published_at
    assert markets.news_title is None
    assert markets.modified_at == datetime(2026, 11, 25, tzinfo=UTC)


def test_not_a_sitemap() -> None:
    with pytest.raises(DiscoveryError, match="root element <rss>"):
        read_sitemap(data("rss2.xml"), "https://worlddaily.example/sitemap.xml")


def test_link_scope_same_site_and_pattern() -> None:
    scope = LinkScope("https://www.minsk.example/politics/", r"/20\d\d/\d\d/")
    assert scope.accepts("https://minsk.example/2026/11/story/")
    assert scope.accepts("http://www.minsk.example/2025/01/other/")
    assert not scope.accepts("https://minsk.example/about/")
    assert not scope.accepts("https://elsewhere.example/2026/11/story/")
    assert not scope.accepts("mailto:desk@minsk.example")
    assert LinkScope("https://minsk.example/").accepts("https://minsk.example/anything")
