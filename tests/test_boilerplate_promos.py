"""Promo, event, author-box, republishing, navigation, sales and publisher lines go; prose using
the same words stays."""

from __future__ import annotations

from collections import Counter

import pytest

from crawler.normalise.boilerplate import apply_rules, load_rules
from tests.pages import TRAM_STORY

RULES = load_rules()
STORY = TRAM_STORY[:4]

INSIDE = {
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
PROSE = (
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


@pytest.mark.parametrize(("name", "line"), INSIDE.items(), ids=list(INSIDE))
def test_template_line_is_removed_under_its_rule(name: str, line: str) -> None:
    cleaned = apply_rules("\n".join([*STORY[:2], line, *STORY[2:]]), RULES)
    assert cleaned.text.split("\n") == STORY
    assert cleaned.removed == Counter({name: 1})


@pytest.mark.parametrize("line", PROSE)
def test_prose_with_the_same_words_is_kept(line: str) -> None:
    lines = [*STORY[:2], line, *STORY[2:], line]
    cleaned = apply_rules("\n".join(lines), RULES)
    assert cleaned.text.split("\n") == lines, dict(cleaned.removed)
