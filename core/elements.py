"""The four elements that theme the channels, and how content is sorted into them.

Sorting is rule-based: `templates/library/elements.yaml` lists, per element, keywords and product
categories with weights. `categorise` adds up the weights of the rules a piece of content matches and
picks the element with the highest score, or stays undecided (so the LLM path can decide) when nothing
matched or the result is too close to call.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Element(StrEnum):
    AIR = "air"
    WATER = "water"
    FIRE = "fire"
    EARTH = "earth"

    @property
    def label(self) -> str:
        return self.value.capitalize()


Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One line of the rules file: matching `phrase` adds `weight` to `element`."""

    element: Element
    phrase: str  # as written in the file, for reasons a person recognises
    weight: float


@dataclass(frozen=True)
class ElementRules:
    """The parsed rules file. Phrases are keyed by their tokens so matching is a dictionary lookup."""

    keywords: Mapping[Phrase, Rule]
    categories: Mapping[Phrase, Rule]
    category_weight: float  # the default weight of a category phrase
    min_score: float  # the winner needs at least this score
    min_margin: float  # and must lead the runner-up by at least this much

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ElementRules:
        """Build rules from the parsed YAML; raises ValueError naming the first problem found."""
        if not isinstance(data, Mapping):
            raise ValueError(f"elements rules: expected a mapping at the top level, got {_kind(data)}")
        unknown = set(data) - {"settings", "elements"}
        if unknown:
            raise ValueError(f"elements rules: unknown top-level key(s) {_names(unknown)}")
        settings = _parse_settings(data.get("settings") or {})
        elements = data.get("elements")
        if not isinstance(elements, Mapping) or not elements:
            raise ValueError("elements rules: 'elements' must map element names to their rules")

        keywords: dict[Phrase, Rule] = {}
        categories: dict[Phrase, Rule] = {}
        for name, section in elements.items():
            element = _parse_element_name(name)
            where = f"elements.{name}"
            if not isinstance(section, Mapping):
                raise ValueError(f"{where}: expected 'keywords' and/or 'categories', got {_kind(section)}")
            unknown = set(section) - {"keywords", "categories"}
            if unknown:
                raise ValueError(f"{where}: unknown key(s) {_names(unknown)}")
            for rule_kind, table in (("keywords", keywords), ("categories", categories)):
                default = settings["category_weight"] if rule_kind == "categories" else 1.0
                for phrase, rule in _parse_rules(section.get(rule_kind) or [], element, default, where):
                    _add_unique(table, phrase, rule, f"{where}.{rule_kind}")
        return cls(keywords=keywords, categories=categories, **settings)


@dataclass(frozen=True)
class Categorisation:
    element: Element | None  # None means "undecided"
    score: float  # the best score, whether or not it was enough to decide
    scores: Mapping[Element, float]
    reasons: tuple[str, ...]  # the rules that matched, then why it is undecided if it is

    @property
    def decided(self) -> bool:
        return self.element is not None


def categorise(
    text: str,
    rules: ElementRules,
    *,
    product_category: str | None = None,
    hashtags: Sequence[str] = (),
) -> Categorisation:
    """Score `text`, its hashtags and product category against the rules and pick an element."""
    matches: list[tuple[Rule, str]] = []
    for rule in _match(tokenise(text), rules.keywords):
        matches.append((rule, f'keyword "{rule.phrase}"'))
    for tag in hashtags:
        for rule in _match(tokenise(tag), rules.keywords):
            matches.append((rule, f'hashtag "#{tag.lstrip("#")}" has keyword "{rule.phrase}"'))
    if product_category:
        for rule in _match(tokenise(product_category), rules.categories):
            matches.append((rule, f'category "{rule.phrase}"'))

    scores = dict.fromkeys(Element, 0.0)
    reasons: list[str] = []
    counted: set[int] = set()
    for rule, source in matches:
        # Each rule counts once, so a caption that repeats "water" or echoes it in a hashtag can't
        # outvote a product category by repetition alone.
        if id(rule) in counted:
            continue
        counted.add(id(rule))
        scores[rule.element] += rule.weight
        reasons.append(f"{source} → {rule.element.label} (+{rule.weight:g})")

    element, why_undecided = _decide(scores, rules)
    if why_undecided:
        reasons.append(why_undecided)
    return Categorisation(element=element, score=max(scores.values()), scores=scores, reasons=tuple(reasons))


def tokenise(text: str) -> Phrase:
    """Words of `text` in a form where "#WaterPlay", "water-play" and "Water Plays" all agree.

    Rules and content go through the same function, so whatever it does to a word it does to both sides.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _CAMEL_BOUNDARY.sub(" ", text)  # hashtags run words together: #KiteFlying → Kite Flying
    text = _APOSTROPHES.sub("", text)  # "kid's" is one word, not "kid" and a stray "s"
    return tuple(_singular(word) for word in _NON_WORD.split(text.casefold()) if word)


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)")
_APOSTROPHES = re.compile(r"['’]")
_NON_WORD = re.compile(r"[\W_]+")
_KEEP_FINAL_S = ("ss", "us", "is", "os")


def _singular(word: str) -> str:
    """Strip simple English plurals; exact linguistics matter less than treating both sides alike."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_FINAL_S):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"  # batteries → battery
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]  # boxes → box, splashes → splash
    return word[:-1]


def _match(tokens: Phrase, table: Mapping[Phrase, Rule]) -> list[Rule]:
    """Rules whose phrases occur in `tokens`, longest phrase first at each position.

    Taking the longest phrase and skipping its words means "water blaster" counts for Water without
    "blaster" also counting for Fire, and "bubble bath" is not also a "bubble".
    """
    longest = max((len(phrase) for phrase in table), default=0)
    found: list[Rule] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            rule = table.get(tokens[i : i + size])
            if rule is not None:
                found.append(rule)
                i += size
                break
        else:
            i += 1
    return found


def _decide(scores: Mapping[Element, float], rules: ElementRules) -> tuple[Element | None, str | None]:
    """The winning element, or None and the reason there is no winner."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (runner_up, second) = ranked[0], ranked[1]
    if top == 0:
        return None, "undecided: no rule matched"
    if top < rules.min_score:
        return None, f"undecided: best score {top:g} ({best.label}) is below the minimum {rules.min_score:g}"
    if top == second:
        tied = [element.label for element, score in ranked if score == top]
        return None, f"undecided: tie between {_and_list(tied)} ({top:g} each)"
    if top - second < rules.min_margin:
        return None, (
            f"undecided: {best.label} ({top:g}) leads {runner_up.label} ({second:g}) "
            f"by less than the margin {rules.min_margin:g}"
        )
    return best, None


def _parse_settings(settings: Any) -> dict[str, float]:
    if not isinstance(settings, Mapping):
        raise ValueError(f"settings: expected a mapping, got {_kind(settings)}")
    defaults = {"category_weight": 3.0, "min_score": 1.0, "min_margin": 1.0}
    unknown = set(settings) - set(defaults)
    if unknown:
        raise ValueError(f"settings: unknown key(s) {_names(unknown)}; known: {_names(defaults)}")
    parsed = dict(defaults)
    for key, value in settings.items():
        if not _is_number(value) or value < 0:
            raise ValueError(f"settings.{key}: expected a number ≥ 0, got {value!r}")
        parsed[key] = float(value)
    return parsed


def _parse_element_name(name: Any) -> Element:
    try:
        return Element(str(name).lower())
    except ValueError:
        known = ", ".join(element.value for element in Element)
        raise ValueError(f"elements: unknown element {name!r} (expected one of {known})") from None


def _parse_rules(entries: Any, element: Element, default: float, where: str) -> list[tuple[Phrase, Rule]]:
    """Entries are `- phrase` (default weight) or `- phrase: weight`."""
    if not isinstance(entries, list):
        raise ValueError(f"{where}: expected a list of phrases, got {_kind(entries)}")
    parsed = []
    for entry in entries:
        phrase, weight = entry, default
        if isinstance(entry, Mapping) and len(entry) == 1:
            ((phrase, weight),) = entry.items()
        if not isinstance(phrase, str):
            raise ValueError(f"{where}: expected a phrase or 'phrase: weight', got {entry!r}")
        if not _is_number(weight) or weight <= 0:
            raise ValueError(f"{where}: weight of {phrase!r} must be a number > 0, got {weight!r}")
        tokens = tokenise(phrase)
        if not tokens:
            raise ValueError(f"{where}: {phrase!r} has no words to match")
        parsed.append((tokens, Rule(element=element, phrase=phrase, weight=float(weight))))
    return parsed


def _add_unique(table: dict[Phrase, Rule], phrase: Phrase, rule: Rule, where: str) -> None:
    # A phrase listed twice would silently keep whichever weight or element came last, so refuse it.
    existing = table.get(phrase)
    if existing is not None:
        raise ValueError(
            f"{where}: {rule.phrase!r} is already listed as {existing.phrase!r} under "
            f"{existing.element.value}; each phrase may be listed once only"
        )
    table[phrase] = rule


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _names(keys: Any) -> str:
    return ", ".join(repr(key) for key in sorted(map(str, keys)))


def _and_list(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
