"""Boilerplate rules (data files per language) applied to extracted body text."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

CUT_ZONE = 0.5  # a trailing cut may start only in the second half of the body, by words
_EDGE_PUNCTUATION = " \t.:;!|·•–—-»«\"'()[]"


@dataclass(frozen=True)
class Rule:
    """A named set of whole-line patterns, either dropping lines or cutting the tail."""

    name: str
    action: str  # "drop" | "cut"
    pattern: re.Pattern[str]


@dataclass
class Cleaned:
    """The body after the rules, and how many lines each rule removed."""

    text: str
    removed: Counter[str] = field(default_factory=Counter)


@cache
def load_rules(languages: tuple[str, ...] = ("en", "ru")) -> tuple[Rule, ...]:
    """Rules from the bundled data files, compiled once (the files never change at run time)."""
    rules: list[Rule] = []
    for language in languages:
        data = tomllib.loads(_rules_file(language))
        for action in ("drop", "cut"):
            for entry in data.get(action, []):
                rules.append(_compile(f"{language}:{entry['name']}", action, entry["patterns"]))
    return tuple(rules)


def _rules_file(language: str) -> str:
    path = resources.files("crawler.normalise").joinpath(f"rules/{language}.toml")
    return path.read_text("utf-8")


def _compile(name: str, action: str, patterns: list[str]) -> Rule:
    joined = "|".join(f"(?:{p})" for p in patterns)
    return Rule(name, action, re.compile(joined, re.IGNORECASE))


def line_key(line: str) -> str:
    """A line as rules see it: trimmed of edge punctuation and folded spaces."""
    return " ".join(line.strip(_EDGE_PUNCTUATION).split())


def apply_rules(text: str, rules: tuple[Rule, ...] | None = None) -> Cleaned:
    """Drop boilerplate lines anywhere and cut trailing boilerplate blocks."""
    rules = load_rules() if rules is None else rules
    result = Cleaned(text="")
    lines = text.split("\n")
    lines = _cut_tail(lines, [r for r in rules if r.action == "cut"], result.removed)
    kept = [line for line in lines if not _dropped(line, rules, result.removed)]
    result.text = "\n".join(kept)
    return result


def _dropped(line: str, rules: tuple[Rule, ...], removed: Counter[str]) -> bool:
    key = line_key(line)
    if not key:
        return False
    for rule in rules:
        if rule.action == "drop" and rule.pattern.fullmatch(key):
            removed[rule.name] += 1
            return True
    return False


def _cut_tail(lines: list[str], rules: list[Rule], removed: Counter[str]) -> list[str]:
    total = sum(len(line.split()) for line in lines)
    seen = 0
    for index, line in enumerate(lines):
        key = line_key(line)
        if key and seen >= total * CUT_ZONE:
            for rule in rules:
                if rule.pattern.fullmatch(key):
                    removed[rule.name] += len(lines) - index
                    return lines[:index]
        seen += len(line.split())
    return lines
