"""Boilerplate rules: each removes its examples, and none deletes a sentence that mentions them."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from crawler.normalise.boilerplate import (
    Rule,
    RulesError,
    apply_rules,
    line_key,
    load_rules,
    rules_from_toml,
)
from crawler.reading import read_article
from store.records import ArticleSnapshot
from tests.pages import BODY, TRAM_STORY, article_page

RULES = load_rules()
ARTICLE = TRAM_STORY

SENTENCES = {
    "en": (
        "Last week the mayor told reporters that {p} was a line she had heard many times before.",
        "In her weekly column she quoted the phrase “{p}” and then went on to explain the budget.",
        "- The committee noted that {p} appeared twice in the draft of the annual report.",
    ),
    "ru": (
        "На прошлой неделе мэр сказала журналистам, что {p} — фраза, которую она слышала не раз.",
        "В своей колонке она процитировала фразу «{p}» и перешла к обсуждению городского бюджета.",
        "- Комиссия отметила, что {p} дважды встречается в проекте годового отчёта.",
    ),
}


def examples() -> list[object]:
    return [
        pytest.param(rule, example, id=f"{rule.name}:{example[:30]}")
        for rule in RULES
        for example in rule.examples
    ]


def mentions() -> list[object]:
    return [
        pytest.param(rule, template.format(p=example.rstrip(".!?:* ")), id=f"{rule.name}:{n}")
        for rule in RULES
        for example in rule.examples
        for n, template in enumerate(SENTENCES[rule.name.split(":")[0]])
    ]


def test_every_rule_is_named_and_has_examples() -> None:
    assert RULES
    for rule in RULES:
        assert rule.name.split(":")[1], rule
        assert rule.examples, f"{rule.name} has no examples"


def test_no_rule_reads_every_line_to_its_end_before_its_first_words() -> None:
    """Every line of every page meets every rule: a guard such as `(?!.*said)` written before a
    rule's first words scans each line to its end (it took a third of the rules' time); written
    after them, it runs only on the few lines that start like the rule."""
    scanning = re.compile(r"(?:^|\|)\(\?:?\(\?[!=]\.\*")
    slow = [rule.name for rule in RULES if scanning.search(rule.pattern.pattern)]
    assert not slow, f"guards before a rule's first words: {slow}"


@pytest.mark.parametrize(("rule", "example"), examples())
def test_rule_matches_its_example(rule: Rule, example: str) -> None:
    assert rule.pattern.fullmatch(line_key(example)), f"{rule.name} does not match {example!r}"


@pytest.mark.parametrize(("rule", "example"), examples())
def test_rule_removes_its_example_from_a_body(rule: Rule, example: str) -> None:
    if rule.action == "cut":  # a rule that cuts only the very last line gets nothing after it
        after = ["Council approves riverside park"] if rule.max_tail_lines != 0 else []
        lines = [*ARTICLE, example, *after]
        gone = [example, *after]
    elif rule.action == "block":
        lines = [*ARTICLE[:2], example, "- First entry", "- Second entry", *ARTICLE[2:]]
        gone = [example, "- First entry", "- Second entry"]
    else:
        lines = [*ARTICLE[:2], example, *ARTICLE[2:]]
        gone = [example]
    cleaned = apply_rules("\n".join(lines), RULES)
    kept = cleaned.text.split("\n")
    assert kept == ARTICLE, f"{rule.name}: {kept}"
    assert sum(cleaned.removed.values()) == 1
    assert not set(gone) & set(kept)


@pytest.mark.parametrize(("rule", "sentence"), mentions())
def test_rule_keeps_a_sentence_that_mentions_its_phrase(rule: Rule, sentence: str) -> None:
    # second half, with only a short line after it: where a trailing cut would be allowed
    lines = [*ARTICLE[:3], sentence, *ARTICLE[3:], "The vote was 41 to 19."]
    cleaned = apply_rules("\n".join(lines), RULES)
    assert cleaned.text.split("\n") == lines, f"{rule.name} removed: {dict(cleaned.removed)}"


def test_cut_only_in_the_second_half() -> None:
    lines = [ARTICLE[0], "Related Articles", *ARTICLE[1:]]
    assert apply_rules("\n".join(lines), RULES).text.split("\n") == ARTICLE


def test_cut_spares_a_tail_that_is_still_article() -> None:
    lines = [*ARTICLE[:3], "Comments", *ARTICLE[3:], ARTICLE[0], ARTICLE[1]]
    cleaned = apply_rules("\n".join(lines), RULES)
    assert "Comments" in cleaned.text.split("\n")  # three long paragraphs follow: not a tail


def test_removals_are_counted_per_rule() -> None:
    text = "\n".join(["Advertisement", *ARTICLE[:3], "Advertisement", *ARTICLE[3:], "3 Comments"])
    removed = apply_rules(text, RULES).removed
    assert removed == Counter({"en:advert-label": 2, "en:trailing-comments": 1})


def test_max_tail_lines_limits_a_cut() -> None:
    bio = "About the author"
    short_tail = apply_rules("\n".join([*ARTICLE, bio, "Jo writes about transport."]), RULES)
    long_tail = [*ARTICLE, bio, *(f"Tram fact number {n}." for n in range(20))]
    assert bio not in short_tail.text
    assert bio in apply_rules("\n".join(long_tail), RULES).text


def long_paragraphs(count: int) -> list[str]:
    """Paragraphs long enough (two of the story's, joined) to count as the story going on."""
    return [f"{ARTICLE[n % 5]} {ARTICLE[(n + 1) % 5]}" for n in range(count)]


def test_republishing_guidelines_go_however_long_they_are() -> None:
    """A publisher's republishing box is sentences from top to bottom: its heading cuts past
    more long paragraphs than a trailing block may otherwise hold."""
    heading = "We are happy for Daily Example stories to be shared, and encourage you to republish"
    story = [*ARTICLE, *ARTICLE, *ARTICLE]
    cleaned = apply_rules("\n".join([*story, heading, *long_paragraphs(6)]), RULES)
    assert cleaned.text.split("\n") == story
    assert cleaned.removed == Counter({"en:trailing-republish-guidelines": 1})


def test_max_tail_paragraphs_is_set_per_rule() -> None:
    data = {"cut": [{"name": "box", "patterns": ["the box"], "max_tail_paragraphs": 3}]}
    (rule,) = rules_from_toml(data, "site:x")
    body = [*ARTICLE, *ARTICLE, *ARTICLE, "The box"]
    for after, kept in ((3, False), (4, True)):
        text = "\n".join([*body, *long_paragraphs(after)])
        assert ("The box" in apply_rules(text, (rule,)).text) is kept, after


def test_fragments_expand_and_quantifiers_stay() -> None:
    data = {
        "fragments": {"word": "tram|bus", "phrase": "{word} stop"},
        "drop": [{"name": "stops", "patterns": ["next {phrase}: .{0,20}"]}],
    }
    (rule,) = rules_from_toml(data, "site:x")
    assert rule.name == "site:x:stops"
    assert rule.pattern.fullmatch("next bus stop: Station Road")
    assert not rule.pattern.fullmatch("next bus stop: " + "x" * 30)


@pytest.mark.parametrize(
    "data",
    [
        {"drop": [{"patterns": ["x"]}]},
        {"cut": [{"name": "no-patterns"}]},
        {"drop": [{"name": "bad", "patterns": ["(unclosed"]}]},
        {"fragments": {"n": 3}},
        {"cut": [{"name": "box", "patterns": ["x"], "max_tail_paragraphs": -1}]},
        {"cut": [{"name": "box", "patterns": ["x"], "max_tail_paragraphs": "many"}]},
    ],
)
def test_bad_rule_entries_raise_a_clear_error(data: dict[str, object]) -> None:
    with pytest.raises(RulesError, match="site:x"):
        rules_from_toml(data, "site:x")


# Everyday page noise whose numbers change on every crawl: each line must go, under its rule.
NOISE = {
    "en:relative-time": (
        "Last updated 872 minutes ago",
        "Updated 3 hours ago",
        "Last updated 2 days ago",
        "Published 5 mins ago",
        "Updated about an hour ago",
        "Posted 1 week ago by Jane Roe",
        "5h ago",
        "12 minutes ago",
    ),
    "ru:relative-time": (
        "Обновлено 5 минут назад",
        "Опубликовано 2 часа назад",
        "Обновлено: час назад",
        "3 дня назад",
    ),
    "en:share-counter": (
        "Share this article: 371 shares",
        "371 shares",
        "1.2K shares",
        "Shares: 371",
        "Shared 1,204 times",
    ),
    "ru:share-counter": ("Репостов: 371", "1 204 репоста"),
    "en:advert-label": (
        "Advertisement",
        "Sponsored: Best mortgage rates today, offer #618",
        "Sponsored content",
        "Sponsored content: Ten ways to cut your energy bill",
        "Paid content | Acme Bank",
    ),
    "ru:advert-label": (
        "Реклама",
        "Реклама: Лучшие вклады месяца, предложение №618",
        "Реклама. ООО «Ромашка», ИНН 7700000000, erid: 2Vtzqx",
    ),
}
# What the review found already handled: these stay removed, under the same rules as before.
HANDLED = {
    "en:view-counter": ("Views: 1,234", "12 comments"),
    "en:dateline": (
        "Updated: March 3, 2024",
        "Posted on December 18, 2025 by John Smith",
        "Reading time: 5 min",
    ),
}
# Prose that merely mentions an advertisement, a time ago or shares: never touched.
PROSE = (
    "The advertisement campaign ran for two years ago, and the brand still uses its slogan.",
    "Three weeks ago the council voted to close the old depot.",
    "Updated 3 hours ago, the forecast now warns of snow along the coast.",
    "Shares in the tram operator rose 4% two days ago.",
    "He bought 371 shares in the operator last year.",
    "Sponsored content now brings in a quarter of the paper's revenue.",
    "Paid content is the future of local news, the editor argued.",
    "Advertisement spending fell for the third year in a row.",
    "Три недели назад совет проголосовал за закрытие депо.",
    "Реклама на остановках подорожала на 20% за год.",
    "Реклама — двигатель торговли, напомнил мэр.",
)


def noise_lines(table: dict[str, tuple[str, ...]]) -> list[object]:
    return [
        pytest.param(name, line, id=f"{name}:{line[:30]}")
        for name, lines in table.items()
        for line in lines
    ]


@pytest.mark.parametrize(("name", "line"), noise_lines(NOISE) + noise_lines(HANDLED))
def test_changing_page_noise_is_removed_and_counted(name: str, line: str) -> None:
    cleaned = apply_rules("\n".join([*ARTICLE[:2], line, *ARTICLE[2:]]), RULES)
    assert cleaned.text.split("\n") == ARTICLE
    assert cleaned.removed == Counter({name: 1})


@pytest.mark.parametrize("line", PROSE)
def test_prose_about_ads_times_and_shares_is_kept(line: str) -> None:
    lines = [*ARTICLE[:3], line, *ARTICLE[3:]]
    cleaned = apply_rules("\n".join(lines), RULES)
    assert cleaned.text.split("\n") == lines, dict(cleaned.removed)


RU_BODY = [
    "Городской совет во вторник одобрил строительство нового парка на набережной, завершив "
    "спор, который почти десять лет разделял жителей района.",
    "Сторонники проекта говорят, что парк вернёт семьи к реке, а критики считают, что деньги "
    "лучше было бы потратить на ремонт старых мостов.",
    "Строительство начнётся весной и продлится около полутора лет, сообщили в департаменте "
    "городского планирования.",
]


def noisy_reading(paragraphs: list[str], noise: list[str]) -> ArticleSnapshot:
    """The page read with each noise line as a paragraph of its own inside the article."""
    mixed = [paragraphs[0], noise[0], paragraphs[1], *noise[1:], *paragraphs[2:]]
    return read_article(NOISY_URL, article_page(paragraphs=mixed).encode())


NOISY_URL = "https://daily.example/2024/03/noisy/"


@pytest.mark.parametrize(
    ("paragraphs", "first", "second"),
    [
        pytest.param(
            BODY,
            [
                "Last updated 872 minutes ago",
                "Share this article: 371 shares",
                "Advertisement",
                "Sponsored: Best mortgage rates today, offer #618",
            ],
            [
                "Last updated 14 hours ago",
                "Share this article: 1.2K shares",
                "Advertisement",
                "Sponsored: Best mortgage rates today, offer #97",
            ],
            id="en",
        ),
        pytest.param(
            RU_BODY,
            ["Обновлено 5 минут назад", "Репостов: 371", "Реклама: Вклады под 18%, акция №618"],
            ["Обновлено 2 часа назад", "Репостов: 1 204", "Реклама: Вклады под 17%, акция №97"],
            id="ru",
        ),
    ],
)
def test_two_readings_differing_only_in_page_noise_are_one_version(
    paragraphs: list[str], first: list[str], second: list[str]
) -> None:
    one, two = noisy_reading(paragraphs, first), noisy_reading(paragraphs, second)
    clean = read_article(NOISY_URL, article_page(paragraphs=paragraphs).encode())
    assert one.content_hash == two.content_hash
    assert one.text == two.text == clean.text


@pytest.mark.parametrize(
    "line",
    [
        "Click here to find your polling place; polls open at 7 a.m. and close at 8 p.m. today.",
        "- and agree to the terms of an independent audit of its software for five years.",
        "Find out more at 10.30am on Saturday at the village hall.",
        "Learn more at U.S. Bank Stadium, where the team plays its home games this season.",
        "The floods damaged 140 homes and closed the high street for nine days. For our full "
        "coverage, check out these stories below.",
    ],
)
def test_a_story_line_that_starts_like_a_link_prompt_stays(line: str) -> None:
    lines = [*ARTICLE[:2], line, *ARTICLE[2:]]
    cleaned = apply_rules("\n".join(lines), RULES)
    assert cleaned.text.split("\n") == lines, dict(cleaned.removed)


@pytest.mark.parametrize(
    "line",
    [
        "For more coverage, check out these stories below.",
        "Looking for a local moving company to work with? Check out these resources:",
        "and agree to our Terms & Conditions and Privacy Policy.",
        "Learn more at urgefitness.com or call 888-209-3989.",
    ],
)
def test_link_prompts_and_fine_print_leave_the_body(line: str) -> None:
    cleaned = apply_rules("\n".join([*ARTICLE[:2], line, *ARTICLE[2:]]), RULES)
    assert cleaned.text.split("\n") == ARTICLE
