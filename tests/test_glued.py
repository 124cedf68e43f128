"""Notices and labels glued to a paragraph are cut off it; the paragraph and prose stay."""

from __future__ import annotations

from collections import Counter

import pytest

from crawler.normalise.boilerplate import load_rules
from crawler.normalise.glued import drop_glued
from tests.pages import TRAM_STORY

RULES = load_rules()
STORY = TRAM_STORY[:4]
PARAGRAPH = STORY[1]


@pytest.mark.parametrize(
    ("glued", "name"),
    [
        (" As an Amazon Associate I earn from qualifying purchases.", "en:affiliate-disclosure"),
        (
            " → We may earn a commission when you buy through links on our site.",
            "en:affiliate-disclosure",
        ),
        (" Posted by Maria at March 2, 2024 9:05 AM |", "en:dateline"),
        (" (Photo by Jane Roe/Getty Images)", "en:image-credit"),
    ],
)
def test_a_notice_glued_to_the_end_of_a_paragraph_is_cut_off(glued: str, name: str) -> None:
    removed: Counter[str] = Counter()
    text = "\n".join([STORY[0], PARAGRAPH + glued, STORY[2]])
    assert drop_glued(text, RULES, removed) == "\n".join([STORY[0], PARAGRAPH, STORY[2]])
    assert removed == Counter({name: 1})


@pytest.mark.parametrize(
    ("label", "name"),
    [("JUMP TO THE RECIPE ⤵", "en:site-nav"), ("SKIP TO CONTENT |", "en:site-nav")],
)
def test_a_label_glued_to_the_start_of_a_paragraph_is_cut_off(label: str, name: str) -> None:
    removed: Counter[str] = Counter()
    assert drop_glued(f"{label} {PARAGRAPH}", RULES, removed) == PARAGRAPH
    assert removed == Counter({name: 1})


@pytest.mark.parametrize(
    "line",
    [
        PARAGRAPH + " Contact us today to book a depot tour.",  # a company's own closing line
        PARAGRAPH + " Photos from the depot showed carriages under water.",  # the story's own
        PARAGRAPH + " (Photos from the hearing are banned under state law.)",
        PARAGRAPH + " Brokers may receive a commission from the builders, critics said.",
        PARAGRAPH + " Thursday, March 5, 2024, at 7:00 pm",  # a date the story gives
        PARAGRAPH + " The last tram ran in March 2024.",
        PARAGRAPH + " May 2024.",  # a date, too short for a notice
        "TLDR: " + PARAGRAPH,  # a label that opens the sentence
        "NEW YORK — " + PARAGRAPH,  # a dateline in capitals, no rule for it
        "Search teams said. As an Amazon Associate I earn from qualifying purchases.",  # short
    ],
)
def test_prose_around_a_paragraph_is_kept(line: str) -> None:
    removed: Counter[str] = Counter()
    assert drop_glued(line, RULES, removed) == line
    assert not removed
