"""The rules checker: deterministic, fast (well under 20 ms a draft), always run.

Its phrase lists are data (templates/library/draft_checks.yaml), read once into `Rules`:

    checker = RulesChecker(Rules.from_mapping(load_library("draft_checks")))
    checker.check(DraftText(caption="...", product=Product(...), avoid_words=("cheap",)), [])

Claims, numbers and ages are compared with the product's facts and age grade; a phrase the facts
state is no finding. Unsafe-play phrases inside safety advice ("never fly near power lines") are none
either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.agents import Product
from core.draft_checks import CAPTION_LIMIT, DraftText, Finding
from core.draft_checks.words import find_words, utf16_length

NAME = "rules"
_FLAGS = re.IGNORECASE
# Sentences and clauses: advice and negation reach only as far as their own clause.
_CLAUSE = re.compile(r"[^.!?;\n]+")
_NUMBER = r"(?P<value>\d+(?:[.,]\d+)?)"


@dataclass(frozen=True)
class PhraseGroup:
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    supported_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    claims: tuple[PhraseGroup, ...]
    exaggerations: tuple[PhraseGroup, ...]
    units: Mapping[str, Mapping[str, float]]  # kind → unit → factor to the kind's base unit
    number: re.Pattern[str]
    pressure: tuple[re.Pattern[str], ...]
    unsafe: tuple[re.Pattern[str], ...]
    advice: re.Pattern[str]
    ages: Mapping[str, int]
    age_words: re.Pattern[str]
    placeholders: tuple[re.Pattern[str], ...]
    vocabulary: frozenset[str]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Rules:
        """The rules of the data file; a bad pattern raises re.error naming it."""
        units: dict[str, dict[str, float]] = {
            kind: {unit.casefold(): float(f) for unit, f in table.items()}
            for kind, table in data["units"].items()
        }
        every_unit = sorted((u for table in units.values() for u in table), key=len, reverse=True)
        unit_pattern = "|".join(re.escape(u) for u in every_unit)
        ages = {word.casefold(): int(age) for word, age in data["ages"].items()}
        return cls(
            claims=tuple(_group(g) for g in data["claims"]),
            exaggerations=tuple(_group(g) for g in data["exaggerations"]),
            units=units,
            number=re.compile(rf"(?<![\w.]){_NUMBER}\s?(?P<unit>{unit_pattern})(?![\w/])", _FLAGS),
            pressure=_patterns(data["pressure"]),
            unsafe=_patterns(data["unsafe"]),
            advice=re.compile(r"\b(" + "|".join(data["advice"]) + r")\b", _FLAGS),
            ages=ages,
            age_words=re.compile(
                r"\b(" + "|".join(re.escape(w) for w in sorted(ages, key=len, reverse=True)) + r")\b", _FLAGS
            ),
            placeholders=tuple(re.compile(p, _FLAGS) for p in data["placeholders"]),
            vocabulary=frozenset(str(data["vocabulary"]).casefold().split()),
        )


def _patterns(raw: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    # Word boundaries where the pattern starts or ends with a word character: "best" never in "bestow".
    return tuple(
        re.compile(
            (r"\b" if re.match(r"[\w(]", p) else "")
            + f"(?:{p})"
            + (r"\b" if re.search(r"[\w)]$", p) else ""),
            _FLAGS,
        )
        for p in raw
    )


def _group(data: Mapping[str, Any]) -> PhraseGroup:
    return PhraseGroup(
        reason=str(data["reason"]),
        patterns=_patterns(data["patterns"]),
        supported_by=tuple(str(w).casefold() for w in data.get("supported_by", ())),
    )


class RulesChecker:
    name = NAME

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def check(self, draft: DraftText, found: Sequence[Finding] = ()) -> list[Finding]:
        text = draft.text
        facts = _facts(draft.product)
        return [
            *self._too_long(draft),
            *self._avoid_words(draft),
            *self._claims(text, facts),
            *self._numbers(text, draft.product),
            *self._exaggerations(text, facts),
            *self._phrases(text, self.rules.pressure, "sales_pressure", "urges children to buy or belong"),
            *self._unsafe(text, draft.product),
            *self._ages(text, draft.product),
            *self._placeholders(text),
        ]

    def _too_long(self, draft: DraftText) -> Iterator[Finding]:
        caption = draft.published_caption
        length = utf16_length(caption)
        if length > CAPTION_LIMIT:
            yield Finding(
                "too_long",
                f"The caption with its hashtags is {length:,} UTF-16 code units; TikTok allows "
                f"{CAPTION_LIMIT:,} (an emoji outside the BMP counts as 2).",
                f"…{_tail(caption)}",
                NAME,
            )

    def _avoid_words(self, draft: DraftText) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        whose = f"{draft.channel}'s" if draft.channel else "the channel's"
        for hit in find_words(draft.text, draft.hashtags, draft.avoid_words, self.rules.vocabulary):
            key = (hit.word.casefold(), hit.evidence.casefold())
            if key not in seen:
                seen.add(key)
                yield Finding(
                    "avoid_word",
                    f"“{hit.word}” is on {whose} list of words to avoid.",
                    hit.evidence,
                    NAME,
                )

    def _claims(self, text: str, facts: Sequence[str]) -> Iterator[Finding]:
        for group in self.rules.claims:
            for pattern in group.patterns:
                for match in pattern.finditer(text):
                    if not _supported(match, group, facts):
                        yield Finding(
                            "unsubstantiated_claim",
                            f"{_capital(group.reason)} that the product's facts do not state.",
                            match.group().strip(),
                            NAME,
                        )

    def _numbers(self, text: str, product: Product | None) -> Iterator[Finding]:
        known = [n for fact in (product.facts if product else ()) for n in self._measures(fact)]
        for kind, value, words in self._measures(text):
            if not any(k == kind and value <= v * 1.02 for k, v, _ in known):
                yield Finding(
                    "unsubstantiated_claim",
                    f"A number ({kind}) that the product's facts do not give or give lower.",
                    words,
                    NAME,
                )

    def _measures(self, text: str) -> Iterator[tuple[str, float, str]]:
        for match in self.rules.number.finditer(text):
            unit = match.group("unit").casefold()
            kind = next(k for k, table in self.rules.units.items() if unit in table)
            value = float(match.group("value").replace(",", "."))
            yield kind, value * self.rules.units[kind][unit], match.group()

    def _exaggerations(self, text: str, facts: Sequence[str]) -> Iterator[Finding]:
        for group in self.rules.exaggerations:
            for pattern in group.patterns:
                for match in pattern.finditer(text):
                    if _advice(self.rules, text, match) is None and not _supported(match, group, facts):
                        yield Finding(
                            "performance_exaggeration",
                            f"Implies {group.reason}, which the product's facts do not say it does.",
                            match.group().strip(),
                            NAME,
                        )

    def _phrases(
        self, text: str, patterns: Sequence[re.Pattern[str]], flag: str, why: str
    ) -> Iterator[Finding]:
        for pattern in patterns:
            for match in pattern.finditer(text):
                yield Finding(flag, f"The draft {why}.", match.group().strip(), NAME)

    def _unsafe(self, text: str, product: Product | None) -> Iterator[Finding]:
        for pattern in self.rules.unsafe:
            for match in pattern.finditer(text):
                if _advice(self.rules, text, match) is None:
                    yield Finding(
                        "unsafe_use", "Shows or encourages unsafe play.", match.group().strip(), NAME
                    )
        warned = " ".join(product.facts).casefold() if product else ""
        if "supervision" in warned or "adult" in warned:
            for match in re.finditer(
                r"\b(by (themselves|himself|herself)|on (their|his|her) own|solo)\b", text, _FLAGS
            ):
                if _advice(self.rules, text, match) is None:
                    yield Finding(
                        "unsafe_use",
                        "The product's facts ask for an adult; the draft has a child play alone.",
                        match.group(),
                        NAME,
                    )

    def _ages(self, text: str, product: Product | None) -> Iterator[Finding]:
        youngest = product.min_age if product else None
        if product is None or youngest is None:
            return
        for age, words, match in self._ages_named(text):
            if age < youngest and _advice(self.rules, text, match) is None:
                yield Finding(
                    "age_mismatch",
                    f"Addresses or shows a child younger than the age grade ({product.age_grade}): "
                    f"“{words}” means {age}.",
                    words,
                    NAME,
                )

    def _ages_named(self, text: str) -> Iterator[tuple[int, str, re.Match[str]]]:
        for match in re.finditer(
            r"\b(\d{1,2})(?:\s?(?:-|–|to)\s?\d{1,2})?[- ](?:year|yr)s?[- ]olds?\b"
            r"|\b(?:ages?|aged|for (?:kids|children) of)\s(\d{1,2})\b"
            r"|\b(\d{1,2})\s?\+(?!\s?(?:hours?|hrs?|minutes?|mins?|pieces?|pcs|colou?rs|levels?|ways|games?|%))"
            r"|\b(\d{1,2})\s(?:and|&)\s(?:up|over|older)\b"
            r"|\b(?:under|below)\s(\d{1,2})s?\b",
            text,
            _FLAGS,
        ):
            value = next(g for g in match.groups() if g is not None)
            yield int(value), match.group(), match
        for match in self.rules.age_words.finditer(text):
            yield self.rules.ages[match.group().casefold()], match.group(), match

    def _placeholders(self, text: str) -> Iterator[Finding]:
        seen: set[str] = set()
        for pattern in self.rules.placeholders:
            for match in pattern.finditer(text):
                if match.group() not in seen:
                    seen.add(match.group())
                    yield Finding(
                        "placeholder", "An unfilled placeholder: never publishable.", match.group(), NAME
                    )


def _facts(product: Product | None) -> tuple[str, ...]:
    return (*product.facts, product.title) if product else ()


def _fold(text: str) -> str:
    # "Non-toxic", "non toxic" and "nontoxic" are one claim.
    return re.sub(r"[\s\-]+", "", text.casefold())


_NEGATED = re.compile(r"\b(not|no|never|sold separately|excluded)\b", _FLAGS)


def _supported(match: re.Match[str], group: PhraseGroup, facts: Sequence[str]) -> bool:
    """A fact states the claim itself, or (unless it is a negation: "batteries not included") its key
    or one of the group's supporting words."""
    key = match.groupdict().get("key")
    words = [_fold(w) for w in (*group.supported_by, key) if w]
    for fact in facts:
        folded = _fold(fact)
        if _fold(match.group()) in folded:
            return True
        if not _NEGATED.search(fact) and any(word in folded for word in words):
            return True
    return False


def _advice(rules: Rules, text: str, match: re.Match[str]) -> re.Match[str] | None:
    """The safety advice or negation in the match's clause, before it ("never ... alone")."""
    clause = next(c for c in _CLAUSE.finditer(text) if c.start() <= match.start() < c.end() + 1)
    return rules.advice.search(text, clause.start(), match.start())


def _tail(text: str, size: int = 60) -> str:
    return text[-size:].replace("\n", " ")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
