"""Boilerplate lines themes put in or after an article: removed from a page, prose kept."""

from __future__ import annotations

from collections import Counter

import pytest

from crawler.normalise.boilerplate import apply_rules, load_rules
from crawler.reading import read_article
from tests.pages import BODY, TRAM_STORY, article_page

RULES = load_rules()
URL = "https://daily.example/2024/03/template-lines/"
STORY = TRAM_STORY[:4]

# Lines a theme puts between the paragraphs: each must go, under the rule named.
INSIDE = {
    "en:summary-box-heading": "Key Takeaways",
    "en:breadcrumb": "Home › News › Politics",
    "en:advert-label": "AdvertisementAdvertisement",
    "en:affiliate-disclosure": "As an Amazon Associate I earn from qualifying purchases.",
    "en:call-to-action": "Ready to grow? Talk To Our Marketing Experts",
    "en:reprint-notice": "The post Ten tram facts appeared first on Daily Example.",
    "en:disclaimer": "The views expressed by the authors of this blog are their own.",
    "en:dateline": "Posted by Maria at March 2, 2024 9:05 AM",
    "en:share-bar": "Help us spread the word about our show!",
    "en:reuse-notice": "Want to reuse the images in this post? See our licence.",
}
# Prose that mentions the same words: never touched.
PROSE = (
    "Home prices rose 4% in the third quarter, the report said on Monday.",
    "Key takeaways from the summit included a pledge to halve emissions by 2035.",
    "Start-ups received $300 in free credits from the cloud provider, the survey found.",
    "The views expressed at the meeting were mixed, the chairman admitted.",
    "The post by the senator appeared first on Truth Social before being deleted.",
    "Our services were stretched to the limit during the storm, the fire chief said.",
    "Contact information for the new office will be published next week.",
    "Related news came from the ministry on Friday, when officials confirmed the route.",
    "Главная улица города будет закрыта на ремонт до конца лета.",
    "Контакты между министерствами возобновились в марте, сообщили в правительстве.",
)


def test_template_lines_inside_a_page_are_removed() -> None:
    noise = list(INSIDE.values())
    paragraphs = [BODY[0], *noise[:5], BODY[1], *noise[5:], *BODY[2:]]
    text = read_article(URL, article_page(paragraphs=paragraphs).encode()).text
    for line in noise:
        assert line not in text
    assert "riverside park" in text and "eighteen months" in text


@pytest.mark.parametrize(("name", "line"), INSIDE.items(), ids=list(INSIDE))
def test_each_template_line_is_counted_under_its_rule(name: str, line: str) -> None:
    cleaned = apply_rules("\n".join([*STORY[:2], line, *STORY[2:]]), RULES)
    assert cleaned.text.split("\n") == STORY
    assert cleaned.removed == Counter({name: 1})


@pytest.mark.parametrize("line", PROSE)
def test_prose_that_mentions_template_words_is_kept(line: str) -> None:
    lines = [*STORY[:2], line, *STORY[2:], line]
    cleaned = apply_rules("\n".join(lines), RULES)
    assert cleaned.text.split("\n") == lines, dict(cleaned.removed)


@pytest.mark.parametrize(
    ("heading", "tail", "name"),
    [
        ("About the Author", [f"Board member, society number {n}" for n in range(9)], "author-box"),
        ("Contact Info", ["©", "Daily Example, LLC"], "contact"),
        ("Our Services", ["Tram planning", "Bus planning", "Depot design"], "services"),
        ("More from Daily Example", ["Council approves riverside park"], "related"),
        ("Контакты", ["Редакция: info@example.ru"], "contact"),
        ("Наши услуги", ["Проектирование", "Строительство"], "services"),
    ],
)
def test_a_trailing_block_is_cut(heading: str, tail: list[str], name: str) -> None:
    cleaned = apply_rules("\n".join([*STORY, heading, *tail]), RULES)
    assert cleaned.text.split("\n") == STORY
    assert [rule.split(":trailing-")[1] for rule in cleaned.removed] == [name]


def test_a_trailing_heading_with_the_story_still_after_it_stays() -> None:
    lines = [*STORY[:2], "Our Services", *STORY[2:], *STORY[:2]]
    assert apply_rules("\n".join(lines), RULES).text.split("\n") == lines


def test_a_bio_heading_with_a_long_tail_stays() -> None:
    lines = [*STORY, "About the Author", *(f"Tram fact number {n}." for n in range(20))]
    assert apply_rules("\n".join(lines), RULES).text.split("\n") == lines
