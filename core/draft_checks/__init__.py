"""Checks of a draft before a person reviews it: TikTok's limits, the channel's words, and the rules
for advertising toys to children (../shared/reference/kids-ads.md).

One interface, like the agents: a `Checker` reads a `DraftText` and the findings already made, and
returns its own `Finding`s. The rules checker (core.draft_checks.rules) always runs; the Claude checker
(workers/draft_checker.py) adds the judgements rules cannot make when a key is set.

    checks = run_checks(draft, [rules_checker, claude_checker])
    checks.findings     # each with its flag, reason, the words that raised it, and its checker

The flags are part of the interface (the `check-drafts` command's output, stored versions): `FLAGS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.agents import Product

FLAGS: tuple[str, ...] = (
    "too_long",
    "avoid_word",
    "unsubstantiated_claim",
    "performance_exaggeration",
    "sales_pressure",
    "unsafe_use",
    "age_mismatch",
    "placeholder",
)

# What a reviewer reads beside each flag.
FLAG_LABELS: Mapping[str, str] = {
    "too_long": "Too long for TikTok",
    "avoid_word": "A word the channel avoids",
    "unsubstantiated_claim": "A claim the facts do not support",
    "performance_exaggeration": "Exaggerated performance",
    "sales_pressure": "Sales pressure on children",
    "unsafe_use": "Unsafe use",
    "age_mismatch": "Younger than the age grade",
    "placeholder": "An unfilled placeholder",
}

# TikTok counts a caption in UTF-16 code units.
CAPTION_LIMIT = 2200


@dataclass(frozen=True)
class Finding:
    flag: str  # one of FLAGS
    reason: str  # why, in words a reviewer reads
    evidence: str  # the words of the draft that raised it
    checker: str  # the checker that raised it: "rules" or "claude"

    def to_dict(self) -> dict[str, str]:
        return {"flag": self.flag, "reason": self.reason, "evidence": self.evidence, "checker": self.checker}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            str(data["flag"]),
            str(data.get("reason", "")),
            str(data.get("evidence", "")),
            str(data["checker"]),
        )


@dataclass(frozen=True)
class DraftText:
    """What a checker reads: the caption TikTok limits, the rest of the draft's words, and what the
    draft must agree with (the product and the channel's words to avoid)."""

    caption: str = ""  # the TikTok caption (or social post); "" for content that has none
    hashtags: tuple[str, ...] = ()
    other: tuple[str, ...] = ()  # hook, script beats, title, body, selling points...
    product: Product | None = None
    avoid_words: tuple[str, ...] = ()
    channel: str = ""  # whose words to avoid, for the reason; "" for the channel the draft is for

    @classmethod
    def of_fields(
        cls, fields: Mapping[str, Any], product: Product | None, avoid_words: Iterable[str] = ()
    ) -> DraftText:
        """A version's fields as a checker reads them (any agent's output shape)."""
        caption = str(fields.get("caption") or fields.get("post") or "")
        other: list[str] = []
        for name, value in fields.items():
            if name in ("caption", "post", "hashtags"):
                continue
            if isinstance(value, list | tuple):
                other.extend(str(item) for item in value)
            else:
                other.append(str(value))
        return cls(
            caption=caption,
            hashtags=tuple(str(tag) for tag in fields.get("hashtags") or ()),
            other=tuple(part for part in other if part),
            product=product,
            avoid_words=tuple(avoid_words),
        )

    @property
    def published_caption(self) -> str:
        """The caption as TikTok would receive it: the hashtags not already in it go at the end."""
        missing = [tag for tag in self.hashtags if tag.casefold() not in self.caption.casefold()]
        return "\n".join(part for part in (self.caption, " ".join(missing)) if part)

    @property
    def text(self) -> str:
        """Every word of the draft, one part a line: the sentences checkers read."""
        return "\n".join(part for part in (*self.other, self.caption, " ".join(self.hashtags)) if part)


class Checker(Protocol):
    name: str

    def check(self, draft: DraftText, found: Sequence[Finding]) -> list[Finding]:
        """This checker's findings; `found` holds the earlier checkers' (to build on, not repeat)."""
        ...


@dataclass(frozen=True)
class DraftChecks:
    """The findings on one version, which checkers ran, and any checker that could not (and why)."""

    findings: tuple[Finding, ...] = ()
    checkers: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # e.g. "Claude could not check it: rate limit"

    @property
    def flags(self) -> list[str]:
        return sorted({f.flag for f in self.findings}, key=FLAGS.index)

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "checkers": list(self.checkers),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DraftChecks | None:
        if data is None:
            return None
        return cls(
            tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            tuple(data.get("checkers", ())),
            tuple(data.get("notes", ())),
        )


def run_checks(draft: DraftText, checkers: Sequence[Checker]) -> DraftChecks:
    """Every checker in turn, each seeing the findings before it; a finding an earlier checker made
    (same flag, overlapping words) is kept once, with the checker that made it first."""
    findings: list[Finding] = []
    for checker in checkers:
        earlier = tuple(findings)
        findings += [f for f in checker.check(draft, earlier) if not any(_same(f, e) for e in earlier)]
    return DraftChecks(tuple(findings), tuple(c.name for c in checkers))


def _same(a: Finding, b: Finding) -> bool:
    if a.flag != b.flag:
        return False
    x, y = a.evidence.casefold(), b.evidence.casefold()
    return x in y or y in x


def draft_from_json(data: Mapping[str, Any]) -> DraftText:
    """One line of `contentbot check-drafts`: {"product": {"title", "category", "age_grade", "facts"},
    "avoid_words": [..], "caption": "..", "hashtags": [..]}. Raises ValueError naming a bad field."""
    if not isinstance(data, Mapping):
        raise ValueError("each line must be a JSON object")
    product = data.get("product")
    if product is not None and not isinstance(product, Mapping):
        raise ValueError("product must be an object with title, category, age_grade and facts")
    for name in ("avoid_words", "hashtags"):
        if not isinstance(data.get(name, []), list):
            raise ValueError(f"{name} must be a list of strings")
    if not isinstance(data.get("caption", ""), str):
        raise ValueError("caption must be a string")
    if product is not None:  # an age grade may come as a number: 8 means 8+
        product = {**product, "age_grade": str(product.get("age_grade") or "")}
    return DraftText(
        caption=data.get("caption", ""),
        hashtags=tuple(str(tag) for tag in data.get("hashtags", [])),
        product=Product.from_dict(product),
        avoid_words=tuple(str(word) for word in data.get("avoid_words", [])),
    )
