"""The parts of a page's reading: charset, authors, dates, walls, site rules, headline removal."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml.html import fromstring
from trafilatura.utils import load_html

from crawler.normalise.article import drop_headline, drop_standfirst
from crawler.normalise.author_lines import drop_author_lines
from crawler.normalise.authors import clean_authors
from crawler.normalise.boilerplate import RulesError
from crawler.normalise.dates import to_utc
from crawler.normalise.text import drop_repeated_runs, normalise_text
from crawler.pages.blocked import blocked_reason
from crawler.pages.body import (
    ExtractionOptions,
    extract_body,
    page_words,
    prepare_tree,
    read_again_if_short,
    shield_discarded,
    without_chrome,
)
from crawler.pages.decoding import decode_html
from crawler.pages.metadata import fallback_date, language_code
from crawler.pages.site_rules import SITE_RULES_ENV, load_site_rules, site_rules_for
from crawler.reading import BlockedPage, read_article

RU = "<html><head>{meta}</head><body><p>Новый мост через Волгу</p></body></html>"


def test_charset_from_meta_only() -> None:
    page = RU.format(meta='<meta charset="windows-1251">').encode("cp1251")
    assert "Новый мост через Волгу" in decode_html(page)


def test_charset_header_wins_over_meta() -> None:
    page = RU.format(meta='<meta charset="iso-8859-1">').encode("cp1251")
    assert "Новый мост" in decode_html(page, "text/html; charset=windows-1251")


def test_charset_bom_wins_over_meta() -> None:
    page = b"\xef\xbb\xbf" + RU.format(meta='<meta charset="windows-1251">').encode("utf-8")
    assert "Новый мост" in decode_html(page)


def test_valid_utf8_beats_a_stale_latin_declaration() -> None:
    page = '<meta charset="iso-8859-1"><p>Café crème, naïve résumé</p>'.encode()
    assert "Café crème, naïve résumé" in decode_html(page)


def test_real_latin1_page_still_decodes_as_declared() -> None:
    page = '<meta charset="iso-8859-1"><p>Café crème</p>'.encode("latin-1")
    assert "Café crème" in decode_html(page)


NBSP = "\xa0"


def _twice(text: str) -> str:
    """`text` as a page shows it after its UTF-8 was taken for Latin-1 and encoded again."""
    return text.encode("utf-8").decode("latin-1")


@pytest.mark.parametrize("meta", ['<meta charset="utf-8">', '<meta charset="iso-8859-1">', ""])
def test_text_encoded_twice_is_mended(meta: str) -> None:
    story = f"<p>That{_twice('’')}s the debt{_twice('—')}nearly seven in ten{_twice(NBSP)}homes."
    page = f"<html><head>{meta}</head><body><h1>Caf{_twice('é')}</h1>{story}</p></body></html>"
    text = decode_html(page.encode("utf-8"))
    assert "That’s the debt—nearly seven in ten\xa0homes." in text
    assert "<h1>Café</h1>" in text
    assert "â" not in text and "Ã" not in text


def test_only_text_encoded_twice_is_mended_beside_correct_text() -> None:
    # One quote encoded twice in a Portuguese story; its capitals stay as written.
    story = f"<p>{_twice('“Não há acordo”')}, disse. Votada AMANHÃ NA CÂMARA; XÃ HỘI.</p>"
    french = f"<p>Il a dit «{NBSP}un café{NBSP}» et É» ou Ñ¡.</p>"  # each reads as one twice
    text = decode_html(f'<meta charset="utf-8">{story}{french}'.encode())
    assert "<p>“Não há acordo”, disse. Votada AMANHÃ NA CÂMARA; XÃ HỘI.</p>" in text
    assert french in text


def test_text_encoded_once_is_left_alone() -> None:
    # Latin capitals with accents before punctuation, as real text may hold them: no C1 control
    # character, so nothing is taken for text encoded twice.
    page = '<meta charset="utf-8"><p>ÂÎ — « Ã » Ñ¡ and “quotes”</p>'.encode()
    assert "<p>ÂÎ — « Ã » Ñ¡ and “quotes”</p>" in decode_html(page)


def test_a_reading_of_a_page_encoded_twice_has_its_words_whole() -> None:
    from crawler.reading import read_article

    words = (
        "Every year unplanned vet visits push households to the brink, and that’s not budgeting—"
        "it’s crisis financing. "
    )
    page = (
        '<html><head><meta charset="utf-8"><title>Costs</title></head><body><article>'
        + "".join(f"<p>{_twice(words * 3)}</p>" for _ in range(4))
        + "</article></body></html>"
    ).encode("utf-8")
    text = read_article("https://pets.example/research/costs", page).text
    assert "that’s not budgeting—it’s crisis financing" in text


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (["By Jane Roe"], ("Jane Roe",)),
        (["Jane Roe, Staff Writer"], ("Jane Roe",)),
        (["By Jo Park and Sam Ortiz | Updated Jan 5, 2024 10:00 am"], ("Jo Park", "Sam Ortiz")),
        (["Written by: Priya Nair"], ("Priya Nair",)),
        (["Senior Editor"], ()),
        (["jane@example.com", "https://x.example/staff/jane"], ()),
        (["Ana Lindqvist", "ana lindqvist"], ("Ana Lindqvist",)),
        (["Автор: Иван Петров"], ("Иван Петров",)),
        (["Maria de los Santos Ruiz"], ("Maria de los Santos Ruiz",)),
    ],
)
def test_clean_authors(raw: list[str], names: tuple[str, ...]) -> None:
    assert clean_authors(raw) == names


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2024-03-05T09:30:00-05:00", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05T09:30:00.000Z", datetime(2024, 3, 5, 9, 30, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("Fri, 05 Jan 2024 09:00:00 +0100", datetime(2024, 1, 5, 8, 0, tzinfo=UTC)),
        ("March 5, 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("1970-01-01", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_dates_in_utc(value: str, utc: datetime | None) -> None:
    assert to_utc(value) == utc


@pytest.mark.parametrize(
    ("value", "code"),
    [("en-GB", "en"), ("ru_RU", "ru"), ("EN", "en"), ("de, en", "de"), ("x", None), (None, None)],
)
def test_language_code(value: str | None, code: str | None) -> None:
    assert language_code(value) == code


STORY = " ".join(["The council met again on Tuesday to discuss the budget for next year."] * 12)


TEASER = (
    "The harbour wall will be rebuilt at a cost of four million pounds, the council said.\n" * 2
)
OFFER = "Get unlimited digital access for £4.99 a month. Cancel anytime."


def page(title: str, body: str) -> tuple[object, str]:
    return fromstring(f"<html><head><title>{title}</title></head><body>{body}</body></html>"), title


@pytest.mark.parametrize(
    ("title", "text", "reason"),
    [
        ("Access Denied", "You don't have permission to access this server.", "error page"),
        ("News", "Adblock detected\nPlease disable your ad blocker to continue.", "ad-block wall"),
        ("News", "A short teaser.\nSubscribe to continue reading", "paywall"),
        ("Example", "Before you continue to Example\nAccept all\nReject all", "consent wall"),
        ("News", f"{TEASER}\nThis content is for subscribers only.\n{OFFER}", "paywall"),
        (
            "News",
            f"{TEASER}\nContinue reading with a subscription\nSubscribe for unlimited access",
            "paywall",
        ),
        (
            "News",
            f"{TEASER}\nThis article is for premium members\nBecome a member to read our stories.",
            "paywall",
        ),
    ],
)
def test_walls_are_blocked(title: str, text: str, reason: str) -> None:
    tree, _ = page(title, "")
    found = blocked_reason(tree, title, text)  # type: ignore[arg-type]
    assert found is not None and found.startswith(reason)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Access denied: why the archive closed", STORY),  # an error-like title on a real story
        ("News", f"{STORY}\nSubscribe to continue reading"),  # a long story with a wall line
        ("Cookies", "Sites must say we use cookies to track you, the regulator said on Monday."),
        ("News", "A brief note on the paywall debate in the council chamber this week."),
        ("News", "Get unlimited access to all rides for a year with the new £99 pass."),
        ("News", "Become a member to access the new gym, pool and sauna from £25 a month."),
    ],
)
def test_ordinary_pages_are_not_blocked(title: str, text: str) -> None:
    tree, _ = page(title, f"<p>{text}</p>")
    assert blocked_reason(tree, title, text) is None  # type: ignore[arg-type]


def test_a_teaser_over_a_subscription_offer_is_a_paywall_not_a_version() -> None:
    teaser = "".join(f"<p>{line}</p>" for line in TEASER.strip().split("\n"))
    offer = (
        f'<div class="piano-offer"><p>This content is for subscribers only.</p><p>{OFFER}</p></div>'
    )
    html = (
        "<html><head><title>Sea wall rebuild approved</title></head><body><article>"
        f"<h1>Sea wall rebuild approved</h1>{teaser}{offer}</article></body></html>"
    )
    with pytest.raises(BlockedPage, match="paywall"):
        read_article("https://daily.example/2026/11/sea-wall/", html.encode())


def test_a_page_with_no_extracted_text_is_judged_on_its_visible_text() -> None:
    tree, title = page(
        "Example", "<div><p>We value your privacy</p><button>Accept all</button></div>"
    )
    assert blocked_reason(tree, title, "") == "consent wall"  # type: ignore[arg-type]


def test_headline_and_what_sits_above_it_leave_the_body() -> None:
    text = "News\nPolitics\nBridge reopens after repair\nThe bridge reopened on Tuesday."
    removed: Counter[str] = Counter()
    assert drop_headline(text, ("Bridge reopens after repair | Courier",), removed) == (
        "The bridge reopened on Tuesday."
    )
    assert removed["headline"] == 1


def test_a_line_that_only_starts_like_the_headline_stays() -> None:
    text = "Bridge reopens after repair of the deck, the council said on Tuesday evening."
    assert drop_headline(text, ("Bridge reopens after repair",), Counter()) == text


def test_standfirst_repeating_the_description_leaves_the_body() -> None:
    text = "A short summary line.\nThe first paragraph."
    assert drop_standfirst(text, "A short summary line", Counter()) == "The first paragraph."
    long_lede = " ".join(["word"] * 30)
    assert drop_standfirst(f"{long_lede}\nMore.", long_lede, Counter()).startswith("word")


STORY = [
    "The regional assembly approved the tram line extension on Thursday, adding six stops.",
    "Construction will start next spring and is expected to take three years, officials said.",
    "Opposition members argued that the money would have been better spent on buses.",
    "Shop owners along the route said they welcomed the decision but feared the roadworks.",
]
AUTHORS = ("Dana Whitfield",)


@pytest.mark.parametrize("byline", ["Dana Whitfield", "- Dana Whitfield", "By Dana Whitfield"])
def test_a_leading_line_that_is_only_the_authors_name_leaves_the_body(byline: str) -> None:
    removed: Counter[str] = Counter()
    assert drop_author_lines("\n".join([byline, *STORY]), AUTHORS, removed) == "\n".join(STORY)
    assert removed["author-line"] == 1


def test_a_trailing_bio_that_starts_with_the_authors_name_is_cut() -> None:
    bio = ["Dana Whitfield", "Transport editor", "Dana Whitfield co-founded a cycling magazine."]
    removed: Counter[str] = Counter()
    assert drop_author_lines("\n".join([*STORY, *bio]), AUTHORS, removed) == "\n".join(STORY)
    assert drop_author_lines("\n".join([*STORY, bio[2]]), AUTHORS, removed) == "\n".join(STORY)
    assert removed["author-bio"] == 2


@pytest.mark.parametrize(
    "lines",
    [
        [*STORY, "Dana Whitfield said the vote was the closest she had seen."],  # not a bio
        [*STORY[:2], "Dana Whitfield is a cyclist.", *STORY[2:], *STORY],  # story goes on
        ["Dana Whitfield and the council", *STORY],  # more than the name
    ],
)
def test_the_authors_name_inside_the_story_stays(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert drop_author_lines(text, AUTHORS, Counter()) == text
    assert drop_author_lines(text, (), Counter()) == text


# An unclosed menu <button> in the header swallows the page into elements trafilatura discards,
# so its main pass finds too little and falls back to the article's text on one line.
SWALLOWED = """<html><head><title>Plants</title></head><body>
<header class="header"><button class="menu-button">Menu
<main><article><div class="crumbs"><a href="/a">Home</a> <a href="/b">Garden</a></div>
<h1>Plants for low light</h1>{items}</article></main></body></html>"""
PLANT = "Plant {n} grows well in a dim corner of the hall and needs water once a week in winter."


def test_a_flat_fallback_is_read_again_for_its_paragraphs() -> None:
    items = "".join(f"<h2>Plant {n}</h2><p>{PLANT.format(n=n)}</p>" for n in range(1, 9))
    tree = load_html(SWALLOWED.format(items=items))
    text = extract_body(tree, "https://x.example/plants", ExtractionOptions())
    lines = text.split("\n")
    assert lines[lines.index("Plant 1") + 1] == PLANT.format(n=1)
    assert len(lines) > 16 and "Home Garden" not in text


MENU_AND_STORY = """<html><body><nav><p>Home News Sport Weather</p></nav>
<header><h2>The Courier</h2></header><article><h1>Tram line</h1>
<p>The assembly approved the tram line.</p><blockquote><p>It is a good day, she said.</p>
</blockquote><ul><li>Six stops <p>and a depot</p></li></ul><table><tr><td>Cost</td></tr></table>
</article><aside><p>Most read today</p></aside><footer><p>Contact us</p></footer></body></html>"""


def test_page_words_count_the_story_blocks_once_and_skip_menus() -> None:
    # 6 + 7 (the quote) + 5 (the item, its inner paragraph once) + 1 (the cell); the <h1> is
    # the headline, not counted
    assert page_words(load_html(MENU_AND_STORY)) == (19, 5)


def test_a_reading_with_too_little_of_the_page_is_read_again() -> None:
    items = "".join(f"<h2>Plant {n}</h2><p>{PLANT.format(n=n)}</p>" for n in range(1, 9))
    tree = load_html(f"<html><body><article>{items}</article></body></html>")
    url, options = "https://x.example/plants", ExtractionOptions()
    full = extract_body(tree, url, options)
    first = PLANT.format(n=1)  # a reading that kept one paragraph of eight
    assert read_again_if_short(tree, url, options, first) == full
    assert read_again_if_short(tree, url, options, full) is full
    precise = ExtractionOptions(favor_precision=True)  # a caller's chosen mode is left alone
    assert read_again_if_short(tree, url, precise, first) is first


def test_a_reading_without_the_pages_lists_is_read_again() -> None:
    story = [
        f"Paragraph {n} of the story tells how the tram line grew six new stops." for n in range(9)
    ]
    items = [
        f"Stop {n} opens in spring with a shelter, a ticket machine and bike racks."
        for n in range(5)
    ]
    paragraphs = "".join(f"<p>{line}</p>" for line in story)
    listing = "".join(f"<li>{item}</li>" for item in items)
    tree = load_html(f"<html><body><article>{paragraphs}<ul>{listing}</ul></article></body></html>")
    url, options = "https://x.example/tram", ExtractionOptions()
    paragraphs_only = "\n".join(story)  # most of the page's words, none of its list
    again = read_again_if_short(tree, url, options, paragraphs_only)
    assert f"- {items[0]}" in again.split("\n")
    with_list = "\n".join([*story, *(f"- {item}" for item in items[:2])])
    assert read_again_if_short(tree, url, options, with_list) is with_list


VENUE = (
    "The dining room at number {n} seats forty, and the kitchen sends out a short menu of "
    "grilled fish, braised greens and a dark rye bread that regulars order twice."
)
WINTER_INTRO = (
    "Our critics visited sixty dining rooms this autumn and picked the ones worth a booking.",
    "Prices are for two, with drinks, and every room on the list takes reservations online.",
    "Three of last year's picks closed in the spring, and two moved across the river.",
    "We paid for every meal, and no restaurant knew that a critic was at the table.",
)


EXCERPTS = (
    "Transit officials said on Monday that bus fares across the city would rise by ten cents "
    "from the first of June, the first increase in six years, to close a budget gap.",
    "A new bakery on Quay Street sold out of bread by nine on its first morning, and its owners "
    "said they would hire two more bakers and open an hour earlier from next week.",
)


def _winter_guide(wrapper_class: str, venue: str = VENUE, related: bool = False) -> str:
    """A guide whose list of venues sits in a theme's wrapper of the given class (with a box of
    excerpts from other stories beside the list, inside the wrapper, when `related`)."""
    intro = "".join(f"<p>{line}</p>" for line in WINTER_INTRO)
    venues = "".join(f"<h3>Venue {n}</h3><p>{venue.format(n=n)}</p>" for n in range(1, 9))
    posts = "".join(f"<div class='post'><h3>Other story</h3><p>{e}</p></div>" for e in EXCERPTS)
    box = f"<div class='related-posts'><h2>Read next</h2>{posts}</div>" if related else ""
    return (
        f"<html><body><div class='intro'><h1>Where to eat this winter</h1>{intro}</div>"
        f"<div class='{wrapper_class}'><div class='venues'>{venues}</div>{box}</div>"
        "<div class='site-footer'><p>About us</p></div></body></html>"
    )


@pytest.mark.parametrize(
    ("venue", "related"),
    [
        (VENUE.replace(" twice", ""), False),  # paragraphs of 29 words: prose still
        (VENUE, True),  # other stories' excerpts beside the venues, in the same wrapper
    ],
)
def test_the_shielded_wrapper_gives_the_story_and_only_the_story(venue: str, related: bool) -> None:
    tree = load_html(_winter_guide("page1-footer", venue, related))
    url, options = "https://x.example/winter", ExtractionOptions()
    first = extract_body(tree, url, options)
    again = read_again_if_short(tree, url, options, first)
    assert again.count("The dining room at number") == 8
    added = [line for line in again.split("\n") if line not in first.split("\n")]
    assert all(line.startswith(("The dining room", "Venue")) for line in added), added


def test_a_story_in_a_wrapper_the_discard_rules_hit_is_read_again_shielded() -> None:
    # "footer" in the wrapper's class: trafilatura drops the venues with the page's footers
    tree = load_html(_winter_guide("page1-footer"))
    url, options = "https://x.example/winter", ExtractionOptions()
    first = extract_body(tree, url, options)
    assert first.split("\n") == list(WINTER_INTRO)
    again = read_again_if_short(tree, url, options, first)
    assert again.startswith(first)
    assert again.count("The dining room at number") == 8
    assert "About us" not in again
    assert tree.xpath("//div[@class='page1-footer']")  # the page's own tree keeps its classes


LIBRARY = (
    "The city council voted on Tuesday night to close the Elm Street branch library at the end "
    "of the year, ending a months-long fight over the future of the old building.",
    "Council members said the roof repairs the branch needs would cost more than a new building, "
    "and that its books and staff would move to the central library in the spring.",
    "Residents who spoke at the meeting said the branch is the only quiet place to study in the "
    "neighbourhood, and asked the council to look for the money somewhere else.",
)
TEASERS = (
    (
        "Bus fares to rise",
        "Fares rise by ten cents from June as the transit authority closes a gap.",
    ),
    ("Bakery sells out", "A new bakery on Quay Street sold out of bread by nine on its first day."),
    ("River path reopens", "The river path reopens on Saturday after three months of repairs."),
    ("Homework club", "Schools will stay open an hour later on Thursdays for a homework club."),
    ("Market moves", "The farmers market moves to the school car park while the square is paved."),
    ("Pool hours cut", "The public pool will close at six on weekdays from July, the city said."),
)


def test_a_grid_of_other_stories_stays_out_though_the_story_looks_short() -> None:
    story = "".join(f"<p>{line}</p>" for line in LIBRARY)
    cards = "".join(f"<div class='card'><h3>{h}</h3><p>{t}</p></div>" for h, t in TEASERS)
    tree = load_html(
        f"<html><body><article><h1>Library to close</h1>{story}</article>"
        f"<div class='related-stories'><h2>More from News</h2>{cards}</div></body></html>"
    )
    url, options = "https://x.example/library", ExtractionOptions()
    first = extract_body(tree, url, options)
    assert first.split("\n") == ["Library to close", *LIBRARY]
    assert shield_discarded(tree, page_words(tree)[0]) is not None  # the grid is big enough
    assert read_again_if_short(tree, url, options, first) == first  # but it is no prose


def test_a_grid_of_excerpts_bigger_than_a_short_story_stays_out() -> None:
    story = "".join(f"<p>{line}</p>" for line in LIBRARY[:2])
    cards = "".join(f"<div class='card'><h3>Other story</h3><p>{e}</p></div>" for e in EXCERPTS)
    tree = load_html(
        f"<html><body><article><h1>Library to close</h1>{story}</article>"
        f"<div class='related-stories'><h2>More from News</h2>{cards}</div></body></html>"
    )
    url, options = "https://x.example/library", ExtractionOptions()
    first = extract_body(tree, url, options)
    assert read_again_if_short(tree, url, options, first) == first


def test_only_a_big_container_is_shielded() -> None:
    guide = load_html(_winter_guide("page1-footer"))
    shielded = shield_discarded(guide, page_words(guide)[0])
    assert shielded is not None
    assert shielded.xpath("//div[@class='site-footer']")  # a real footer: a few words
    assert not shielded.xpath("//div[@class='page1-footer']")
    plain = load_html(_winter_guide("venue-list"))  # nothing big for the rules to hit
    assert shield_discarded(plain, page_words(plain)[0]) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # the publication stamp wins over an earlier <time> (an event date, a comment)
        (
            '<time datetime="2024-01-02T08:00:00Z">Jan 2</time><p>Story.</p>'
            '<span itemprop="datePublished" datetime="2024-03-05T10:30:00+01:00">5 March</span>',
            datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
        ),
        (
            '<p>Story.</p><time datetime="2023-11-20">20 Nov</time>',
            datetime(2023, 11, 20, tzinfo=UTC),
        ),
        ('<p itemprop="datePublished">no attribute</p><time datetime="">x</time>', None),
    ],
)
def test_the_date_stamped_in_the_page_is_the_fallback(body: str, expected: datetime | None) -> None:
    tree = load_html(f"<html><body><article>{body}</article></body></html>")
    assert fallback_date(tree, "https://news.example/story") == expected


# A site header of <div>s (a label, links, a search box), a menu and a footer around a story
# (in no <article>) that the first reading cut short: recall mode reads every <div> left.
CHROME_PAGE = """<html><body>
<header class="site"><div class="label">Locations:</div><div><a href="/a">Abu Dhabi</a>
<a href="/c">Canada</a></div><div class="find">Search</div></header>
<nav><div>Health Library</div><div>Find a Doctor</div></nav>
<div class="container">{items}</div>
<footer><div>Rendered by the site builder</div><div>Privacy Policy</div></footer></body></html>"""


def test_a_reading_in_recall_mode_leaves_the_sites_header_menu_and_footer_out() -> None:
    items = "".join(f"<h2>Plant {n}</h2><p>{PLANT.format(n=n)}</p>" for n in range(1, 9))
    tree = load_html(CHROME_PAGE.format(items=items))
    first = PLANT.format(n=1)  # a reading that kept one paragraph of eight
    again = read_again_if_short(tree, "https://x.example/plants", ExtractionOptions(), first)
    lines = again.split("\n")
    assert PLANT.format(n=8) in lines
    for chrome in ("Locations:", "Abu Dhabi", "Search", "Health Library", "Privacy Policy"):
        assert chrome not in again
    assert "Locations:" in tree.text_content()  # the page itself is left as it was


def test_a_banner_that_wraps_the_whole_page_is_no_chrome() -> None:
    items = "".join(f"<h2>Plant {n}</h2><p>{PLANT.format(n=n)}</p>" for n in range(1, 9))
    page = f'<html><body><header role="banner"><nav><div>Home</div></nav>{items}</header>'
    tree = load_html(f"{page}<footer><div>Privacy Policy</div></footer></body></html>")
    copied = without_chrome(tree)
    assert copied is not tree and PLANT.format(n=8) in copied.text_content()
    assert "Privacy Policy" not in copied.text_content() and "Home" not in copied.text_content()


def test_a_page_without_chrome_is_read_as_it_is() -> None:
    tree = load_html("<html><body><article><p>Rates rose again.</p></article></body></html>")
    assert without_chrome(tree) is tree


def test_a_site_header_that_swallows_the_page_stays_however_heavy_its_head() -> None:
    """Inline CSS and a JSON-LD graph are no words a reader sees: they must not make a header
    that holds the whole story look like a small part of the page."""
    items = "".join(f"<h2>Plant {n}</h2><p>{PLANT.format(n=n)}</p>" for n in range(1, 9))
    css = " ".join(f".c{n} {{ color: red; margin: {n}px; }}" for n in range(200))
    head = f'<head><style>{css}</style><script type="application/ld+json">{css}</script></head>'
    page = SWALLOWED.format(items=items).replace("<head><title>Plants</title></head>", head)
    tree = load_html(page)
    assert without_chrome(tree) is tree
    text = extract_body(tree, "https://x.example/plants", ExtractionOptions())
    lines = text.split("\n")
    assert lines[lines.index("Plant 1") + 1] == PLANT.format(n=1)


def test_a_sections_own_header_is_no_site_chrome() -> None:
    intro = "Chapter {n} opens with the grower's note on where this plant first came from."
    sections = "".join(
        f"<section><header><h2>Plant {n}</h2><p>{intro.format(n=n)}</p></header>"
        f"<p>{PLANT.format(n=n)}</p></section>"
        for n in range(1, 9)
    )
    page = f"<html><body><nav><a href='/'>Home</a></nav><div>{sections}</div></body></html>"
    copied = without_chrome(load_html(page))
    assert intro.format(n=8) in copied.text_content() and "Home" not in copied.text_content()


POST_TAGGED_CTA = """<html><head><title>Red Line service suspended</title>
<meta property="og:type" content="article"></head><body>
<div id="content" role="main"><div id="post-4512" class="post-4512 post type-post hentry
category-transit tag-cta tag-red-line"><h1 class="entry-title">Red Line service suspended</h1>
<div class="entry-content"><p>Red Line trains are not running between Howard and Loyola on
Tuesday morning after a signal failure near the Morse station, the transit authority said.</p>
<p>Shuttle buses are replacing trains in both directions, and riders should allow an extra
30 minutes for their trips, the agency said.</p></div></div></div></body></html>"""


def test_a_post_tagged_cta_is_read_whole() -> None:
    text = read_article("https://news.example/red-line", POST_TAGGED_CTA).text
    assert text.startswith("Red Line trains are not running") and "Shuttle buses" in text


def test_a_paragraph_in_a_colour_named_cta_and_a_link_in_a_sentence_stay() -> None:
    update = "Update: Elm Street stays closed until Thursday, and residents should boil water."
    tree = prepare_tree(
        load_html(
            f'<html><body><article><p class="has-cta-background-color">{update}</p>\n'
            '<p>To report flooding, <a class="btn-cta" href="/report">use the online form</a>'
            " or call 311, the department said.</p></article></body></html>"
        )
    )
    said = " ".join(tree.text_content().split())
    assert (
        said
        == f"{update} To report flooding, use the online form or call 311, the department said."
    )


def test_calls_to_action_leave_the_tree_but_a_wrapper_named_for_one_stays() -> None:
    story = " ".join(["The council met again on Tuesday to discuss the budget."] * 12)
    tree = prepare_tree(
        load_html(
            f'<html><body><article>\n<div class="above-cta"><p>{story}</p></div>\n'
            '<div class="post-cta"><h4>Want to win more jobs with less effort?</h4>'
            '<p>Grow your business with our software.</p><a href="/trial">Start free trial</a>'
            "</div>\n"
            '<a class="btn btn--cta">Get A Quote</a>\n'
            '<button class="c-cta--primary">Apply</button>\n'
            '<div class="doctable"><p>Rates rose again.</p></div></article></body></html>'
        )
    )
    assert " ".join(tree.text_content().split()) == f"{story} Rates rose again."


def test_captions_and_credits_leave_the_tree_but_the_article_stays() -> None:
    tree = prepare_tree(
        load_html(
            '<html><body><article class="credit-cards"><p>Rates rose again.</p>'
            '<figure><img src="a.jpg"><figcaption>A bank branch.</figcaption></figure>'
            '<div class="wp-caption-text">Savers queue.</div>'
            '<span class="photo-credit">Photo: Jo Roe</span></article></body></html>'
        )
    )
    assert " ".join(tree.text_content().split()) == "Rates rose again."


ACCORDION_ARTICLE = """<html><body><header><nav><a href="/">Home</a></nav></header>
<article><h1>How we tested the accounting apps</h1>
<p>We used each app for a month of real bookkeeping, from the first invoice to the quarterly
tax estimate, and scored it against the same rubric every time.</p>
<div class="kt-accordion-wrap kt-accodion-icon-style-arrow kt-accodion-icon-side-right">
<div class="kt-accordion-pane"><button>Invoicing</button>
<div class="kt-accordion-panel kt-accordion-panel-hidden" aria-hidden="true">
<p>Invoicing weighed most: we sent forty invoices from each app, in three currencies, and
noted how many steps a late reminder took and whether partial payments were matched.</p></div>
</div></div>
<div class="faq-accordion"><h3>Do these apps file taxes?</h3>
<div class="accordion-content pl-2 hidden" style="display: none">
<p>None of them files a return for you, but all of them export the totals your accountant or
the tax office asks for, and two of them fill in the quarterly estimate on their own.</p></div>
</div>
<p>Every app was tested on the same laptop and phone, and we paid for every plan ourselves
rather than take the free trials the makers offered.</p>
</article>
<footer><div class="footer-accordion"><p>About us</p><p>Careers at the company, press and
contact pages, and the terms of use of this website and its newsletters.</p></div></footer>
</body></html>"""


def test_the_folded_sections_of_an_accordion_are_read() -> None:
    from crawler.reading import read_article

    text = read_article("https://apps.example/reviews/accounting/", ACCORDION_ARTICLE).text
    assert "we sent forty invoices from each app" in text  # "-icon" wrapper, aria-hidden panel
    assert "None of them files a return for you" in text  # "hidden" class and display: none
    assert "rather than take the free trials" in text
    assert "Careers at the company" not in text  # a footer stays out, accordion or not


def test_an_opened_accordion_keeps_only_its_accordion_classes() -> None:
    tree = prepare_tree(load_html(ACCORDION_ARTICLE))
    panel = tree.find(".//div[@class='kt-accordion-panel kt-accordion-panel-hidden']")
    assert panel is not None and "aria-hidden" not in panel.attrib
    wrap = tree.find(".//div[@class='kt-accordion-wrap']")
    assert wrap is not None  # the icon-style tokens are gone
    content = tree.find(".//div[@class='accordion-content']")
    assert content is not None and "style" not in content.attrib
    styles = ["border: none", "overflow: hidden; max-height: 0", "display : none"]
    page = "".join(f'<div class="accordion" style="{style}">a</div>' for style in styles)
    opened = prepare_tree(load_html(f"<html><body class='p accordion-on'>{page}</body></html>"))
    assert [div.get("style") for div in opened.iter("div")] == ["border: none", None, None]
    assert opened.find("body").get("class") == "p accordion-on"  # the page is no fold


def test_a_second_copy_of_a_block_leaves_the_body() -> None:
    block = [
        "Black Friday: save on every course this week only.",
        "We tested dozens of apps and found the best discounts for you.",
        "Offers end on Monday at midnight, while stocks last.",
    ]
    text = "\n".join([*STORY[:2], *block, *STORY[2:], *block])
    removed: Counter[str] = Counter()
    assert drop_repeated_runs(text, removed) == "\n".join([*STORY[:2], *block, *STORY[2:]])
    assert removed["repeated-run"] == 3


@pytest.mark.parametrize(
    "lines",
    [
        ["Pros", "- Cheap", "Cons", "- Slow", "Pros", "- Cheap", "Cons", "- Slow"],  # few words
        [STORY[0], STORY[1], STORY[0], STORY[2], STORY[0]],  # a line repeated, not a run
    ],
)
def test_repeated_short_runs_and_single_lines_stay(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert drop_repeated_runs(text, Counter()) == text


RECIPE = """<html><body><article><h1>Bread</h1>
<p>Bread at home needs patience and a hot oven, and little else but flour, water and salt.</p>
<ol><li>Mix the flour and water.</li><li><b>Rest</b> the dough.</li><li>3) Shape it.</li></ol>
<ol start="4"><li>Bake it.</li><li value="9">Cool it.</li><li>Slice it.</li></ol>
<ul><li>Serve warm.</li></ul>
<p>The loaf keeps for three days in a cloth bag on the counter, the baker said on Monday.</p>
</article></body></html>"""


def _article(headline: str, lead: str, middle: str, tail: str) -> str:
    return (
        f"<html><body><article><h1>{headline}</h1><p>{lead}</p>{middle}<p>{tail}</p>"
        "</article></body></html>"
    )


def _read_lines(page: str) -> list[str]:
    """The page's body as our reading gives it before the line rules: prepared, normalised."""
    tree = prepare_tree(load_html(page))
    text = normalise_text(extract_body(tree, "https://x.example/a", ExtractionOptions()))
    return text.split("\n")


def test_ordered_list_items_keep_their_numbers() -> None:
    lines = _read_lines(RECIPE)
    start = lines.index("1. Mix the flour and water.")
    assert lines[start : start + 7] == [
        "1. Mix the flour and water.",
        "2. Rest the dough.",
        "3) Shape it.",  # numbered by the page itself: not twice
        "4. Bake it.",
        "9. Cool it.",
        "10. Slice it.",
        "- Serve warm.",
    ]


GUIDE = """<html><body><article><h1>Renting a car</h1>
<p>A rental car is easy to book and easy to overpay for, so read the small print first.</p>
<ol><li><h3>Compare the offers</h3><p>Prices for the same car vary by a third from desk to desk.</p>
</li><li><p></p><p>Check the fuel policy before you sign the contract at the desk.</p></li>
<li>3) Photograph every scratch before you drive away.</li></ol>
<p>Return the car on time: most companies charge a full extra day for an hour late.</p>
</article></body></html>"""


RANKING = """<html><body><article><h1>Where to eat</h1>
<p>Our critics ranked the new dining rooms that opened in the harbour district this year.</p>
<ol reversed><li><div class="rating">4 of 5</div><h3>Casa Lucia</h3><p>Fresh pasta daily.</p></li>
<li>1,000 covers a week make the Blue Door the busiest room in town.</li>
<li><p><b>Quay Kitchen:</b> fish from the morning boats, grilled over charcoal.</p></li></ol>
<p>Prices are for two, with drinks, and every room on the list takes bookings online.</p>
</article></body></html>"""


def test_numbers_count_down_and_a_statistic_is_not_an_items_number() -> None:
    lines = _read_lines(RANKING)
    assert any(line.startswith("3. ") and "Casa Lucia" in line for line in lines)
    assert "2. 1,000 covers a week make the Blue Door the busiest room in town." in lines
    assert "1. Quay Kitchen: fish from the morning boats, grilled over charcoal." in lines


def test_a_list_of_bare_figures_is_numbered_and_a_nested_list_takes_the_number() -> None:
    lines = _read_lines(
        _article(
            "Results",
            "The league published the weekend's results on Sunday evening, with two of the three "
            "fixtures decided in the last minutes.",
            "<ol><li>1</li><li>2</li><li>7</li></ol><ol><li><ul><li>Harbour FC won at home</li>"
            "</ul></li><li>Rovers drew away</li></ol>",
            "The next round is played on Saturday.",
        )
    )
    assert [line for line in lines if line[:1].isdigit()][:3] == ["1. 1", "2. 2", "3. 7"]
    assert "1. Harbour FC won at home" in lines
    assert "2. Rovers drew away" in lines


def test_badges_that_number_every_item_are_not_numbered_again() -> None:
    items = "".join(
        f"<li><span class='badge'>{n}</span> {step}</li>"
        for n, step in enumerate(("Book early.", "Compare the desks.", "Check the fuel."), 1)
    )
    lead = "Three habits save money on every rental car, the consumer group said on Monday."
    tail = "Most desks open at seven, and the airport desks stay open all night."
    assert "- 2 Compare the desks." in _read_lines(
        _article("Renting", lead, f"<ol>{items}</ol>", tail)
    )


def test_an_items_number_stays_on_the_line_of_its_words() -> None:
    lines = _read_lines(GUIDE)
    start = lines.index(
        "A rental car is easy to book and easy to overpay for, so read the small print first."
    )
    assert lines[start + 1 : start + 4] == [
        "1. Compare the offers Prices for the same car vary by a third from desk to desk.",
        "2. Check the fuel policy before you sign the contract at the desk.",  # after an empty <p>
        "3) Photograph every scratch before you drive away.",  # its own number: not twice
    ]
    assert not [line for line in lines if line.strip("- ").rstrip(".").isdigit()]


SUMMIT = """<li>
      <div class="date">March {day}, 2026</div>
      <h2><a href="https://x.example/{day}"><span class="title">{name}</span></a></h2>
      <p>{name} brings harbour pilots and port engineers together for two days of talks.</p>
    </li>"""


def test_an_items_words_on_a_new_line_inside_it_stay_on_the_bullets_line() -> None:
    items = "".join(
        SUMMIT.format(day=day, name=name) for day, name in ((16, "Dock Days"), (17, "Port Forum"))
    )
    lead = "Two meetings are planned for the spring in the harbour district, the organisers said."
    scores = "<p>Harbour FC</p><p>2</p><p>-</p><p>1</p>"
    lines = _read_lines(_article("Summits", lead, f"<ul>{items}</ul>{scores}", "Rovers, it added."))
    assert [line[:29] for line in lines if line.startswith("-")] == [
        "- March 16, 2026 Dock Days Do",
        "- March 17, 2026 Port Forum P",
        "-",  # a dash the page writes on a line of its own stays
    ]


def write_rules(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body)
    return path


def test_site_rules_match_domain_and_subdomains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_rules(tmp_path, "a.toml", 'domain = "example.com"\nremove = ["aside"]\n')
    write_rules(tmp_path, "b.toml", 'domain = "news.example.com"\nremove = ["nav"]\n')
    monkeypatch.setenv(SITE_RULES_ENV, str(tmp_path))
    assert site_rules_for("https://www.example.com/a").domain == "example.com"
    assert site_rules_for("https://blog.example.com/a").domain == "example.com"
    assert site_rules_for("https://eu.news.example.com/a").domain == "news.example.com"
    assert site_rules_for("https://other.org/a").domain == ""
    monkeypatch.delenv(SITE_RULES_ENV)
    assert site_rules_for("https://www.example.com/a").domain == ""


def test_an_edited_rules_file_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_rules(tmp_path, "site.toml", 'domain = "example.com"\n')
    monkeypatch.setenv(SITE_RULES_ENV, str(path))
    assert site_rules_for("https://example.com/").remove == ()
    path.write_text('domain = "example.com"\nremove = ["aside", "nav"]\n')
    os.utime(path, ns=(1, 2))  # a new mtime even on a coarse clock
    assert len(site_rules_for("https://example.com/").remove) == 2


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.toml": "remove = ['aside']"}, "missing `domain"),
        ({"a.toml": "domain = 'x.org'\nbody = 'div['"}, "bad selector"),
        ({"a.toml": "domain = 'x.org'\nremove = [1]"}, "must be a list of CSS or XPath"),
        ({"a.toml": "domain = 'x.org'\n[[drop]]\npatterns = ['x']"}, "needs a name"),
        ({"a.toml": "domain = [", "b.toml": ""}, "a.toml"),
        ({"a.toml": "domain = 'x.org'", "b.toml": "domain = 'x.org'"}, "already has a rules file"),
    ],
)
def test_bad_site_rules_raise_clear_errors(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, body in files.items():
        write_rules(tmp_path, name, body)
    with pytest.raises(RulesError) as info:
        load_site_rules(str(tmp_path))
    assert message in str(info.value)


def test_missing_site_rules_location(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="no such file or folder"):
        load_site_rules(str(tmp_path / "nope"))


def test_dublin_core_date_and_creator_are_read_and_the_drupal_byline_goes() -> None:
    from crawler.reading import read_article
    from tests.pages import TRAM_STORY

    paragraphs = "".join(f"<p>{p}</p>" for p in TRAM_STORY)
    html = f"""<html><head><title>Tram line extended</title>
<meta name="dcterms.date" content="2026-11-03T10:00:00+01:00">
<meta name="dcterms.creator" content="Ruth Adeyemi"></head><body>
<article class="node node--type-article"><h1>Tram line extended</h1>
<div class="node__submitted">Submitted by <span>Ruth Adeyemi</span> on
<span>Tue, 11/03/2026 - 10:00</span></div><div class="field--name-body">{paragraphs}</div>
</article></body></html>"""
    snapshot = read_article("https://city.example/node/42", html.encode())
    assert snapshot.authors == ("Ruth Adeyemi",)
    byline = html.replace('content="Ruth Adeyemi"', 'content="Department for Transport"')
    byline = byline.replace(
        '<div class="node__submitted">',
        '<div>By <a rel="author" href="/jr">Jane Roe</a></div><div>',
    )
    # the creator is often the publishing body: the byline's author comes first
    assert read_article("https://city.example/node/42", byline.encode()).authors == ("Jane Roe",)
    assert snapshot.published_at == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert snapshot.text.split("\n") == TRAM_STORY


@pytest.mark.parametrize(
    "counter",
    [
        '<p><span class="post-views"><i class="fa fa-eye"></i> {n}</span></p>',
        '<div class="entry-views">👁 {n}</div>',
        '<span class="view-count">{n} views</span>',
        '<div><span class="meta-hits"><i class="icon-eye"></i><b>{n}</b></span></div>',
    ],
)
def test_a_view_counter_element_is_no_text_and_a_number_in_prose_stays(counter: str) -> None:
    from crawler.reading import read_article
    from tests.pages import TRAM_STORY

    def reading(count: str) -> str:
        prose = 'Officials said <span class="review">3</span> stops would close for a week.'
        parts = [f"<p>{p}</p>" for p in (*TRAM_STORY[:2], prose, *TRAM_STORY[2:])]
        parts.insert(1, counter.format(n=count))
        html = f"<html><body><article><h1>Tram</h1>{''.join(parts)}</article></body></html>"
        return read_article("https://city.example/2026/11/tram", html.encode()).text

    assert reading("9,876") == reading("9,877")
    assert "9,87" not in reading("9,876")
    assert "said 3 stops would close" in reading("9,876")


def test_numbers_in_cells_items_and_sentences_with_counter_like_classes_stay() -> None:
    from crawler.reading import read_article
    from tests.pages import TRAM_STORY

    numbers = """<table><tr><td class="player">Aaron Judge</td><td class="at-bats">4</td>
<td class="hits">2</td><td class="rbi">3</td></tr></table>
<p>Prices in the shop: <br><strong class="price-counter">£1,299</strong></p>
<ul><li class="counter-terrorism">2,350</li></ul>"""
    paragraphs = "".join(f"<p>{p}</p>" for p in TRAM_STORY)
    html = f"<html><body><article><h1>Tram</h1>{paragraphs}{numbers}</article></body></html>"
    text = read_article("https://city.example/2026/11/tram", html.encode()).text
    assert "| Aaron Judge | 4 | 2 | 3 |" in text
    assert "£1,299" in text and "2,350" in text
