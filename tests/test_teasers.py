"""Teaser excerpts after the article (other posts' openings cut mid-sentence) are dropped."""

from __future__ import annotations

from collections import Counter

import pytest

from crawler.normalise.teasers import drop_trailing_teasers
from tests.pages import TRAM_STORY

STORY = TRAM_STORY[:4]
TEASERS = [
    "When the council rejects your planning application, it can feel like the end of the road "
    "for your extension, but there are several ways to appeal and",
    "Navigating the building regulations process can be overwhelming while you are also "
    "managing builders, budgets and a family that still needs a working kitchen,",
    "Choosing the right architect for a small renovation is harder than it looks, because the "
    "cheapest quote rarely includes the drawings the council will ask for…",
]


def drop(lines: list[str]) -> tuple[list[str], Counter[str]]:
    removed: Counter[str] = Counter()
    return drop_trailing_teasers("\n".join(lines), removed).split("\n"), removed


def test_a_closing_run_of_cut_excerpts_goes() -> None:
    kept, removed = drop([*STORY, *TEASERS])
    assert kept == STORY
    assert removed == Counter({"trailing-teasers": 3})


def test_a_short_line_after_the_excerpts_does_not_hide_them() -> None:
    footer = "“They answered every question I had, quickly and kindly!”"
    kept, _ = drop([*STORY, *TEASERS, footer])
    assert kept == [*STORY, footer]


REFERENCES = [
    "The Council Is Cracking Down on Basement Extensions Without Permits by The Weekly Builder",
    "Loft Conversions: The Risky Shortcut Leading To Fines And Demolition Orders from The Post",
    "What is permitted development? The rules that let you build without asking from The Daily",
]
ENDING = [
    "The new line opens next spring, and fares will match the buses, the mayor said, adding "
    "that a second line to the airport is already being studied by the transport office.",
]
WRAPPED = [
    "Now that the depot is finished, the operator can move its trams out of the old sheds and",
    "start the long overdue repairs on the bridge, which the engineers say will take about a",
    "year and cost less than the council feared when it first saw the survey of the bridge.",
]
KEPT = {
    "excerpts inside the article": [*STORY[:1], *TEASERS, *STORY[1:]],  # 3 lines after them
    "two cut lines are no listing": [*STORY, *TEASERS[:2]],
    "titled references": [*STORY, *REFERENCES],
    "closing prose": [*STORY, *ENDING * 3],
    "hard-wrapped prose": [*STORY, *WRAPPED],
}


@pytest.mark.parametrize("lines", KEPT.values(), ids=list(KEPT))
def test_what_is_no_closing_listing_stays(lines: list[str]) -> None:
    assert drop(lines)[0] == lines
