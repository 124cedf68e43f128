"""Boilerplate lines themes put in or after an article (promos, notices, navigation): removed
from a page and counted under their rule; prose using the same words kept."""

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
# Promo, event, author-box, republishing, navigation, sales and publisher lines, and prose that
# uses their words.
PROMOS = {
    "en:placeholder-text": "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "en:event-promo": "Meet us at the Transit Expo in Leeds on 3 June.",
    "en:self-promo": "Proud member of the Regional Chamber of Commerce",
    "en:author-box-heading": "Who wrote this guide?",
    "en:alternate-versions": "Alternate Formats",
    "en:reuse-notice": "Want to republish this story?",
    "en:site-nav": "Open navigation menu",
    "en:page-widget": "Prevent your screen from turning off while you cook",
    "en:subscription-prompt": (
        "The Transit Desk is a free weekly newsletter about trains. Subscribe to get it in your"
        " inbox."
    ),
    "en:donation-appeal": (
        "Tram Weekly is an independent nonprofit magazine. Ads pay for little, so we need your"
        " support: become a member for the price of a ticket."
    ),
    "en:affiliate-disclosure": (
        "Riverside Clinic is a non-profit teaching hospital. Advertising on our site helps"
        " support our mission."
    ),
    "en:image-credit": "Photo sources: City Archive, J. Roe: Depot at dusk",
}
PROMO_PROSE = (
    "Lorem ipsum, the printers' dummy text, dates back to a Latin work by Cicero.",
    "Meet the new tram drivers: twelve of them start work at the depot on 3 June.",
    "Proudly supporting the plan since 2019, the residents' group collected 4,000 signatures.",
    "Who wrote this report is still unclear, the committee said on Friday.",
    "Hi, I'm the new mayor, she told the crowd, and I want the trams back by spring.",
    "This content was provided to councillors a week before the vote, the clerk said.",
    "Search teams worked through the night along the riverbank, the police said.",
    "Want to know how the vote went? The mayor would not say on Friday.",
    "Interested in the plan, the regional assembly asked for a costing by June.",
    "The Transit Desk is a free service that answers questions about trains, its staff said.",
    "The Tram Society is a nonprofit founded in 1962 that restores old carriages.",
    "Menu prices at the depot canteen have not changed in ten years, workers said.",
    "Menu",  # a subheading in a restaurant review
    "Want to help?",  # a subheading in a local story
    "Interested in adopting a rescue dog?",
    "Tram Aid is a charity that runs soup kitchens. It has asked the public to donate, it said.",
    "The Transit Desk is a weekly newsletter that reached 40,000 subscribers before it was sold.",
)
COUNTED = [
    pytest.param(name, line, id=f"{name}:{line[:24]}")
    for name, line in [*INSIDE.items(), *PROMOS.items()]
]


def test_template_lines_inside_a_page_are_removed() -> None:
    noise = list(INSIDE.values())
    paragraphs = [BODY[0], *noise[:5], BODY[1], *noise[5:], *BODY[2:]]
    text = read_article(URL, article_page(paragraphs=paragraphs).encode()).text
    for line in noise:
        assert line not in text
    assert "riverside park" in text and "eighteen months" in text


@pytest.mark.parametrize(("name", "line"), COUNTED)
def test_each_template_line_is_counted_under_its_rule(name: str, line: str) -> None:
    cleaned = apply_rules("\n".join([*STORY[:2], line, *STORY[2:]]), RULES)
    assert cleaned.text.split("\n") == STORY
    assert cleaned.removed == Counter({name: 1})


@pytest.mark.parametrize("line", [*PROSE, *PROMO_PROSE])
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
