"""What a story says is never taken for boilerplate: briefs, ledes, subheads, people described
in a story and quoted speech stay; the boilerplate beside them still goes."""

from __future__ import annotations

from collections import Counter

import pytest

from crawler.normalise.boilerplate import apply_rules, load_rules
from crawler.reading import read_article
from tests.pages import TRAM_STORY

RULES = load_rules()
URL = "https://daily.example/2026/11/story/"
STORY = TRAM_STORY[:4]


def page(body: str, head: str = "") -> bytes:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Tram depot fire | Daily Example</title>{head}
<meta property="article:published_time" content="2026-11-03T09:15:00Z"></head>
<body><article>{body}</article></body></html>""".encode()


def test_a_brief_of_short_paragraphs_keeps_its_lines_and_every_word() -> None:
    body = """<h1>Tram depot fire</h1><span class="byline">By Jo Marsh</span>
<p>A fire broke out at the northern tram depot on Monday night, the fire service said.</p>
<div>Trams will be diverted.</div><p>Nobody was hurt. Follow us on
Facebook, the firefighters' union <b>urged</b> later.</p><script>var a = 1;</script>"""
    cards = '<section><article class="card"><h3><a href="/b">Council votes</a></h3></article>'
    snapshot = read_article(URL, page(body + "</article>" + cards + "</section><article>"))
    assert snapshot.text.split("\n") == [
        "A fire broke out at the northern tram depot on Monday night, the fire service said.",
        "Trams will be diverted.",
        "Nobody was hurt. Follow us on Facebook, the firefighters' union urged later.",
    ]


LEDE = "The council voted 7-2 on Tuesday to ban e-scooters from the town centre."


def test_a_lede_the_summary_repeats_stays() -> None:
    head = f'<meta property="og:description" content="{LEDE}">'
    body = "<h1>Tram depot fire</h1>" + "".join(f"<p>{p}</p>" for p in [LEDE, *STORY])
    assert read_article(URL, page(body, head)).text.split("\n") == [LEDE, *STORY]


@pytest.mark.parametrize(
    "dek", ['<p class="standfirst">{}</p>', '<p class="article__summary">{}</p>']
)
def test_a_standfirst_paragraph_the_summary_repeats_goes(dek: str) -> None:
    head = f'<meta property="og:description" content="{LEDE}">'
    body = "<h1>Tram depot fire</h1>" + dek.format(LEDE) + "".join(f"<p>{p}</p>" for p in STORY)
    assert read_article(URL, page(body, head)).text.split("\n") == STORY


def test_a_lede_in_a_body_field_named_with_summary_stays() -> None:
    head = f'<meta property="og:description" content="{LEDE}">'
    field = '<div class="field field--type-text-with-summary">{}</div>'
    body = "<h1>Tram depot fire</h1>" + field.format("".join(f"<p>{p}</p>" for p in [LEDE, *STORY]))
    assert read_article(URL, page(body, head)).text.split("\n") == [LEDE, *STORY]


def test_a_standfirst_the_summary_repeats_goes() -> None:
    head = f'<meta property="og:description" content="{LEDE}">'
    body = f'<h1>Tram depot fire</h1><div class="dek"><p>{LEDE}</p></div><div>' + "".join(
        f"<p>{p}</p>" for p in STORY
    )
    assert read_article(URL, page(body + "</div>", head)).text.split("\n") == STORY


@pytest.mark.parametrize("heading", ["What do you think?", "Comments", "Обсуждение"])
def test_a_subhead_over_the_rest_of_the_story_stays(heading: str) -> None:
    tail = [
        "The paper asks readers to send their views by email.",
        "Letters will be printed on Saturdays.",
        "Депутаты спорили почти три часа.",
    ]
    lines = [*STORY, heading, *tail]
    assert apply_rules("\n".join(lines), RULES).text.split("\n") == lines


@pytest.mark.parametrize(
    ("heading", "tail"),
    [
        ("Comments", ["Sam Reader", "November 3, 2026 at 10:12 am", "Great news!", "Reply"]),
        ("3 Comments", ["Great article, thanks for sharing this with us!", "I disagree with it."]),
        ("2 thoughts on “Tram line extended”", ["Great news for the campus, at last!", "Agreed."]),
        ("3 комментария", ["Отличная статья, спасибо автору!", "Сколько можно это терпеть?"]),
    ],
)
def test_a_comment_section_is_still_cut(heading: str, tail: list[str]) -> None:
    cleaned = apply_rules("\n".join([*STORY, heading, *tail]), RULES)
    assert cleaned.text.split("\n") == STORY
    assert sum(cleaned.removed.values()) == 1


BIO = "Maria Lopez is a professor of transport history at the city university."


def test_a_person_the_story_describes_stays() -> None:
    lines = [*STORY, BIO, '"The depot fed this city for sixty years," she said.']
    assert apply_rules("\n".join(lines), RULES).text.split("\n") == lines


def test_a_bio_as_the_last_line_is_cut() -> None:
    cleaned = apply_rules("\n".join([*STORY, BIO]), RULES)
    assert cleaned.text.split("\n") == STORY
    assert cleaned.removed == Counter({"en:trailing-person-bio": 1})


@pytest.mark.parametrize(
    "line",
    [
        '"We use cookies for everything from your basket to ads," said one spokesperson.',
        '"This website uses cookies" is the most ignored sentence online, a researcher said.',
        "«Мы используем файлы cookie только для корзины», — заявил представитель.",
        '"Please disable your ad blocker to keep reading," the message says.',
        '"Contact us straight away if you think you were caught out," the bank said.',
        '"Follow us on this: if in doubt, call the company," she added.',
        "Buy now, pay later schemes are also being impersonated, the watchdog said.",
        "Contact us straight away, the bank told customers who had been caught out.",
        "Victims could receive compensation from their bank under new rules.",
        "Disclosure of the scale of losses was made in the annual report.",
        "Have a tip? Call Crime Stoppers at 800-222-8477.",
        "Never miss a beat",
        "3 of 4",
        "Текст: Указ Президента Российской Федерации",
        "Источник: «Мы не планируем повышать ставки», — сказал министр.",
        "Нравится",
        '"What do you think?"',
        '"Follow us on Twitter for updates."',
        "'Share this article'",
        "Buy now, pay later firms face new rules.",
        "Call us crazy, but the Jets will win.",
        "Contact us today, the police said, if you saw anything.",
        "Call us on 0800 123 if you saw anything, police said.",
        "Disclosure and Barring Service checks will be required for volunteers, the minister said.",
        "Disclosure rules for MPs were tightened last year.",
        "Agents may earn a commission of up to 5% on each home they sell, the report found.",
        "Getty Images for years held the rights.",
        "Getty Images via its lawyers said the photographs were licensed.",
        "More: 40% of respondents said they would move.",
        "Trending: a sharp rise in cases among under-25s, the report found.",
        "Рекомендуем: не выходить из дома без необходимости, сообщили в МЧС.",
        "Said may earn a small commission on sales from the book.",
    ],
)
def test_a_story_line_that_starts_like_boilerplate_stays(line: str) -> None:
    lines = [*STORY[:2], line, *STORY[2:]]
    assert apply_rules("\n".join(lines), RULES).text.split("\n") == lines


@pytest.mark.parametrize(
    "line",
    [
        "Contact us today for a free quote",
        "Talk to us about how our team can help you.",
        "Disclosure: we may earn a commission on purchases.",
        "Healthline may receive a commission when you buy through links on this page.",
        "Follow Daily Example on Google News",
        "Call us 24/7 at 555-0100",
        "Shop Now & Save 20%",
        "Get Started Free",
        "Disclosure Policy",
        "Disclosure! As an Amazon Associate I earn from qualifying purchases.",
        "Engadget may earn an affiliate commission.",
        "Mashable may earn a small commission.",
        "Disclosure (affiliate links)",
        "Got a news tip? Email us at tips@example.com",
        "Never miss a beat with our daily newsletter",
        "Apply now in 2 minutes",
        "Get started in minutes",
        "Getty Images",
        "Shutterstock / Jane Roe",
        "Got a story? Email news@example.com",
        "Закрыть",
    ],
)
def test_the_boilerplate_those_rules_were_made_for_still_goes(line: str) -> None:
    cleaned = apply_rules("\n".join([*STORY[:2], line, *STORY[2:]]), RULES)
    assert cleaned.text.split("\n") == STORY


def test_a_read_also_heading_goes_and_leaves_the_line_under_it() -> None:
    # a single promoted headline stays: nothing in the text tells it from the next subhead
    for heading in ("READ ALSO", "Also read", "Читайте также"):
        under = "What happens next"
        cleaned = apply_rules("\n".join([*STORY[:2], heading, under, *STORY[2:]]), RULES)
        assert cleaned.text.split("\n") == [*STORY[:2], under, *STORY[2:]]


def test_a_read_also_heading_goes_with_the_list_under_it() -> None:
    promoted = ["- Ferry timetable changes announced", "- Mayor opens new library"]
    cleaned = apply_rules("\n".join([*STORY[:2], "Also read:", *promoted, *STORY[2:]]), RULES)
    assert cleaned.text.split("\n") == STORY


# A theme puts a promo inside the story, in its second half, and the story goes on under it.
STORY_GOES_ON = [
    "Opposition councillors argued that the money should have been spent on a managed retreat.",
    "Work is expected to start in September and last eighteen months, the council said.",
]
INSIDE_PROMOS = {
    "related list": '<h4>Related stories</h4><ul><li><a href="/a/">Storm warning issued</a></li>'
    '<li><a href="/b/">Police appeal for witnesses</a></li></ul>',
    "newsletter prompt": "<p><em>Sign up for our free daily newsletter to get the news that "
    "matters in your inbox.</em></p>",
    "inbox prompt": "<p>Get the latest headlines delivered to your inbox every morning.</p>",
    "latest news": '<h3>Latest news</h3><ul><li><a href="/c/">Harbour reopens</a></li></ul>',
}


@pytest.mark.parametrize("promo", INSIDE_PROMOS.values(), ids=INSIDE_PROMOS.keys())
def test_a_promo_inside_the_story_goes_alone(promo: str) -> None:
    story = [*STORY, *STORY_GOES_ON]
    paragraphs = [f"<p>{line}</p>" for line in story]
    body = "<h1>Sea wall rebuild approved</h1>" + "".join(paragraphs[:4]) + promo
    snapshot = read_article(URL, page(body + "".join(paragraphs[4:])))
    assert snapshot.text.split("\n") == story


@pytest.mark.parametrize(
    ("heading", "tail"),
    [
        ("Related stories", ["- Storm warning issued", "- Police appeal for witnesses"]),
        ("Sign up for our newsletter", ["Email address", "Subscribe"]),
        ("Related stories", ["- Storm warning issued", "Leave a comment", "Your name"]),
    ],
)
def test_a_trailing_block_a_rule_removes_alone_still_cuts(heading: str, tail: list[str]) -> None:
    text = "\n".join([*STORY, *STORY, heading, *tail])
    assert apply_rules(text, RULES).text.split("\n") == [*STORY, *STORY]


@pytest.mark.parametrize(
    "line",
    [
        "ProPublica encourages other newsrooms to republish its investigations, and more than "
        "200 outlets have done so.",
        "You are free to republish the photographs, the museum said in a statement.",
        "We are pleased for the report to be shared with every school, the head teacher said.",
    ],
)
def test_a_story_line_about_republishing_does_not_cut_the_story(line: str) -> None:
    lines = [*STORY, *STORY, line, *STORY_GOES_ON]
    assert apply_rules("\n".join(lines), RULES).text.split("\n") == lines


def test_a_promo_inside_the_story_goes_alone_whatever_comes_later() -> None:
    promo = ["Related stories", "- Storm warning issued", "- Police appeal for witnesses"]
    later = ["What happens next", "Share this article", STORY[0]]
    text = "\n".join([*STORY, *STORY, *promo, *STORY_GOES_ON, *later])
    assert apply_rules(text, RULES).text.split("\n") == [
        *STORY, *STORY, *STORY_GOES_ON, "What happens next", STORY[0]
    ]  # fmt: skip


def test_a_newsletter_box_and_its_fine_print_still_cut() -> None:
    box = [
        "Sign up for our newsletter",
        "By signing up, you agree to our Terms of Use and Privacy Policy.",
        "You can unsubscribe at any time.",
        "Related stories",
        "- Storm warning issued",
    ]
    text = "\n".join([*STORY, *STORY, *box])
    assert apply_rules(text, RULES).text.split("\n") == [*STORY, *STORY]
