"""Boilerplate rules: each removes its examples, and none deletes a sentence that mentions them."""

from __future__ import annotations

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

RULES = load_rules()

ARTICLE = [
    "The regional assembly approved the tram line extension on Thursday, adding six stops and "
    "linking the university campus to the central station for the first time in its history.",
    "Construction will start next spring and is expected to take three years, with the first "
    "trams running on the new section well before the end of the decade, officials said.",
    "Opposition members argued that the money would have been better spent on buses, which can "
    "serve the outlying villages that the tram network will never reach at any price.",
    "Shop owners along the route said they welcomed the decision but feared two years of "
    "roadworks outside their doors, and asked the council for help with lost trade.",
    "The transport authority said it would publish a detailed timetable for the works in the "
    "autumn, after talks with the contractors and with the residents' associations.",
]
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


@pytest.mark.parametrize(("rule", "example"), examples())
def test_rule_matches_its_example(rule: Rule, example: str) -> None:
    assert rule.pattern.fullmatch(line_key(example)), f"{rule.name} does not match {example!r}"


@pytest.mark.parametrize(("rule", "example"), examples())
def test_rule_removes_its_example_from_a_body(rule: Rule, example: str) -> None:
    if rule.action == "cut":
        lines = [*ARTICLE, example, "Council approves riverside park"]
        gone = [example, "Council approves riverside park"]
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
    long_tail = [*ARTICLE, bio, *(f"Tram fact number {n}." for n in range(6))]
    assert bio not in short_tail.text
    assert bio in apply_rules("\n".join(long_tail), RULES).text


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
    ],
)
def test_bad_rule_entries_raise_a_clear_error(data: dict[str, object]) -> None:
    with pytest.raises(RulesError, match="site:x"):
        rules_from_toml(data, "site:x")
