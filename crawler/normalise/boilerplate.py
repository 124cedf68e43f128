"""Boilerplate rules (data files per language) applied to extracted body text.

Three actions, each matched against a WHOLE line (after trimming edge punctuation):
- drop:  remove the matching line wherever it is (themes inject nags inside the article);
- block: remove the matching line and the list that follows it (a table of contents, a "Related
         articles" list), stopping at the first line that is not a list item;
- cut:   remove the matching line and everything after it, when it starts in the last part of
         the text (comment sections, promos, newsletter boxes, author bios at the end).
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from importlib import resources
from typing import Any

ACTIONS = ("drop", "block", "cut")
LANGUAGES = ("en", "ru")
CUT_ZONE = 0.5  # a trailing cut may start only in the second half of the body, by words
# A trailing block of promos, headlines and bios holds few long paragraphs; a tail with more
# of them is still the article (a heading such as "Comments" inside the story). A rule whose
# heading cannot open a part of the story (a publisher's republishing guidelines) may allow more
# with `max_tail_paragraphs`.
CUT_MAX_PARAGRAPHS = 2
PARAGRAPH_WORDS = 40
# A cut rule with `unless_story_follows` (a comments heading) does not cut when every line
# after it is a sentence and there are a few: that is a subhead of the story ("What do you
# think?" over what readers wrote to the paper), as a comment section carries names, dates and
# "Reply" lines. Other trailing blocks (references, disclaimers) are sentences too.
STORY_TAIL_SENTENCES = 2
SENTENCE_WORDS = 4
# A promo a theme puts inside a story (a newsletter prompt, "Related stories" over its list)
# goes alone when the story resumes under it: its next lines, past the list and the lines the
# drop rules remove, are sentences of a news paragraph's length.
STORY_RESUMES_LINES = 2
STORY_RESUMES_WORDS = 12
_SENTENCE_END = re.compile(r"[.!?][\"'”’»)]*$")
MAX_LINE_CHARS = 1000  # rules see lines up to this long; a longer line is a paragraph of prose
_EDGE_PUNCTUATION = " \t.:;!?|·•–—-»«\"'()[]*#>✓✔➔→"
_LEADING_PUNCTUATION = _EDGE_PUNCTUATION.replace('"', "").replace("'", "").replace("«", "")
_LIST_ITEM = re.compile(r"^\s*(?:[-•*]\s|\d{1,2}[.)]\s)")
_FRAGMENT = re.compile(r"\{([a-z_]+)\}")


class RulesError(ValueError):
    """A rules file that cannot be used: bad TOML, a missing name, an invalid pattern."""


@dataclass(frozen=True)
class Rule:
    """A named set of whole-line patterns with one action: drop, block or cut."""

    name: str
    action: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...] = ()  # lines the rule must remove (checked by the tests)
    max_tail_lines: int | None = None  # cut: only when at most this many lines follow
    max_tail_paragraphs: int = CUT_MAX_PARAGRAPHS  # cut: only when at most this many follow
    unless_story_follows: bool = False  # cut: not when only sentences follow (see above)
    always_cuts: bool = False  # cut: even a line other rules remove alone, the story under it


@dataclass
class Cleaned:
    """The body after the rules, and how many lines each rule removed."""

    text: str
    removed: Counter[str] = field(default_factory=Counter)


@cache
def load_rules(languages: tuple[str, ...] = LANGUAGES) -> tuple[Rule, ...]:
    """Rules from the bundled data files, compiled once (the files never change at run time)."""
    rules: list[Rule] = []
    for language in languages:
        path = resources.files("crawler.normalise").joinpath(f"rules/{language}.toml")
        rules.extend(rules_from_toml(tomllib.loads(path.read_text("utf-8")), language))
    return tuple(rules)


def rules_from_toml(data: Mapping[str, Any], prefix: str) -> tuple[Rule, ...]:
    """The [[drop]], [[block]] and [[cut]] entries of a parsed rules file, named `prefix:name`."""
    fragments = _fragments(data.get("fragments", {}), prefix)
    rules = []
    for action in ACTIONS:
        for entry in data.get(action, []):
            if not isinstance(entry, dict) or not entry.get("name") or not entry.get("patterns"):
                raise RulesError(f"{prefix}: every [[{action}]] entry needs a name and patterns")
            rules.append(_compile(f"{prefix}:{entry['name']}", action, entry, fragments))
    return tuple(rules)


def _fragments(table: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """Named pieces of patterns (`{date}`), each may use the ones defined before it."""
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise RulesError(f"{prefix}: [fragments] must map names to pattern strings")
    expanded: dict[str, str] = {}
    for name, value in table.items():
        expanded[name] = _expand(value, expanded)
    return expanded


def _expand(pattern: str, fragments: Mapping[str, str]) -> str:
    # only known names are replaced, so regex quantifiers such as {0,80} stay as they are
    return _FRAGMENT.sub(lambda m: f"(?:{fragments[m[1]]})" if m[1] in fragments else m[0], pattern)


def _compile(
    name: str, action: str, entry: Mapping[str, Any], fragments: Mapping[str, str]
) -> Rule:
    joined = "|".join(f"(?:{_expand(p, fragments)})" for p in entry["patterns"])
    try:
        pattern = re.compile(joined, re.IGNORECASE)
    except re.error as exc:
        raise RulesError(f"{name}: invalid pattern ({exc})") from exc
    tail = entry.get("max_tail_lines")
    paragraphs = entry.get("max_tail_paragraphs", CUT_MAX_PARAGRAPHS)
    if not isinstance(paragraphs, int) or isinstance(paragraphs, bool) or paragraphs < 0:
        raise RulesError(f"{name}: max_tail_paragraphs must be a whole number, 0 or more")
    story = bool(entry.get("unless_story_follows", False))
    always = bool(entry.get("always_cuts", False))
    examples = tuple(entry.get("examples", ()))
    return Rule(name, action, pattern, examples, tail, paragraphs, story, always)


def line_key(line: str) -> str:
    """A line as rules see it: trimmed of edge punctuation and folded spaces.

    An opening quotation mark stays: a line that starts with one is quoted speech, which no rule
    matches ("We use cookies for everything," said one retailer; "What do you think?").
    """
    return " ".join(line.strip().rstrip(_EDGE_PUNCTUATION).lstrip(_LEADING_PUNCTUATION).split())


class Matcher:
    """All rules of one action as a single regex (one pass per line, not one per rule)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = list(rules)
        self.by_name = {rule.name: rule for rule in self.rules}
        groups = [f"(?P<r{i}>{rule.pattern.pattern})" for i, rule in enumerate(self.rules)]
        self.pattern = re.compile("|".join(groups), re.IGNORECASE) if groups else None

    def match(
        self,
        key: str,
        removed: Counter[str],
        lines_after: int = 0,
        story_follows: Callable[[], bool] | None = None,
        paragraphs_after: int = 0,
    ) -> bool:
        """Whether a rule matches the whole line key; counts the removal under the rule's name.

        A cut is told how many lines and long paragraphs come after the line, and asks
        `story_follows` whether only the story's sentences do."""
        if self.pattern is None or not key or len(key) > MAX_LINE_CHARS:
            return False
        found = self.pattern.fullmatch(key)
        if found is None or found.lastgroup is None:
            return False
        rule = self.rules[int(found.lastgroup[1:])]
        if rule.max_tail_lines is not None and lines_after > rule.max_tail_lines:
            return False
        if paragraphs_after > rule.max_tail_paragraphs:
            return False
        if rule.unless_story_follows and story_follows is not None and story_follows():
            return False
        removed[rule.name] += 1
        return True


@lru_cache(maxsize=32)
def matchers(rules: tuple[Rule, ...]) -> dict[str, Matcher]:
    """One matcher per action, compiled once per rule set (the result depends on it alone)."""
    return {action: Matcher([r for r in rules if r.action == action]) for action in ACTIONS}


def apply_rules(text: str, rules: tuple[Rule, ...] | None = None) -> Cleaned:
    """Cut trailing boilerplate blocks, then remove boilerplate lists and lines."""
    by_action = matchers(load_rules() if rules is None else rules)
    result = Cleaned(text="")
    lines = text.split("\n")
    keys = [line_key(line) for line in lines]
    end = _cut_at(lines, keys, by_action, result.removed)
    kept = _drop_blocks(lines[:end], keys[:end], by_action["block"], result.removed)
    drop = by_action["drop"]
    result.text = "\n".join(lines[i] for i in kept if not drop.match(keys[i], result.removed))
    return result


def _drop_blocks(
    lines: list[str], keys: list[str], block: Matcher, removed: Counter[str]
) -> list[int]:
    """Indexes of the lines left once each matching heading and the list under it are gone."""
    kept: list[int] = []
    index = 0
    while index < len(lines):
        if block.match(keys[index], removed):
            index += 1
            while index < len(lines) and _LIST_ITEM.match(lines[index]):
                index += 1
            continue
        kept.append(index)
        index += 1
    return kept


def _cut_at(
    lines: list[str], keys: list[str], by_action: dict[str, Matcher], removed: Counter[str]
) -> int:
    """Where the body ends: the first trailing-block heading allowed to cut, or its length.

    A line that a drop or block rule removes by itself (a newsletter prompt, "Related stories"
    over its list) does not cut when the story resumes under it (_story_resumes): a theme put
    it inside the story, and it goes alone. A rule with `always_cuts` (an unmistakable comment
    count over comments written as sentences) cuts all the same.
    """
    cut, drop, block = by_action["cut"], by_action["drop"], by_action["block"]
    words = [len(line.split()) for line in lines]
    total = sum(words)
    remaining = sum(1 for key in keys if key)
    paragraphs = sum(1 for count in words if count >= PARAGRAPH_WORDS)
    seen = 0
    for index, key in enumerate(keys):
        remaining -= 1 if key else 0
        paragraphs -= 1 if words[index] >= PARAGRAPH_WORDS else 0
        story = partial(_story_goes_on, lines, index + 1)
        found: Counter[str] = Counter()
        if seen >= total * CUT_ZONE and cut.match(key, found, remaining, story, paragraphs):
            always = any(cut.by_name[name].always_cuts for name in found)
            alone = drop.match(key, Counter()) or block.match(key, Counter())
            if always or not alone or not _story_resumes(lines, keys, index + 1, drop):
                removed.update(found)
                return index
        seen += words[index]
    return len(lines)


def _story_resumes(lines: list[str], keys: list[str], start: int, drop: Matcher) -> bool:
    """Whether the story's own paragraphs come right under a promo: past the list under it and
    the lines the drop rules remove, its next STORY_RESUMES_LINES lines are sentences of
    STORY_RESUMES_WORDS words or more. What comes later (a subhead, a share line) does not
    matter; a bio or a fine print under a newsletter box is a line or two, or dropped."""
    index = start
    while index < len(lines) and (not keys[index] or _LIST_ITEM.match(lines[index])):
        index += 1
    said: list[str] = []
    for line, key in zip(lines[index:], keys[index:], strict=True):
        if key and not drop.match(key, Counter()):
            said.append(line.strip())
        if len(said) == STORY_RESUMES_LINES:
            break
    return len(said) == STORY_RESUMES_LINES and all(
        len(line.split()) >= STORY_RESUMES_WORDS and _SENTENCE_END.search(line) for line in said
    )


def _story_goes_on(lines: list[str], start: int) -> bool:
    """Whether every line from `start` on (after a heading) is a sentence, and there are a few
    of them. Asked only of a line a story-aware cut rule matches: the tail is copied then."""
    said = [line.strip() for line in lines[start:] if line.strip()]
    return len(said) >= STORY_TAIL_SENTENCES and all(
        len(line.split()) >= SENTENCE_WORDS and _SENTENCE_END.search(line) for line in said
    )
