"""Finding a channel's words to avoid in a draft: every inflection, inside hashtags and idioms, never
as letters inside an unrelated word ("skills" holds no "kill"; "warm" is not "war").

Running text is split into words and each is compared whole with the avoided word's forms. A hashtag
glues words together (`#cheaptoys`), so it is split into the likeliest words first: known words (a
vocabulary, the draft's own words, the forms) cost little, unknown letters much; a form counts only
when neither side of it is a stray letter or two, so `#skillsbuilder` never yields "kill".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_VOWELS = frozenset("aeiou")
_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "est", "ly", "ness", "y", "ish")
_ROOT_ENDINGS = ("ing", "ed", "es", "s", "ly", "er", "est", "y")


def utf16_length(text: str) -> int:
    """Length as TikTok counts it: UTF-16 code units (a character outside the BMP counts as 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@lru_cache(maxsize=256)
def forms(word: str) -> frozenset[str]:
    """The word's inflections and close derivations: cheap → cheaper, cheapest, cheaply, cheapness;
    messy → messier, messily, mess; guaranteed → guarantee, guarantees."""
    base = word.casefold().strip()
    stems = {base}
    for ending in _ROOT_ENDINGS:
        root = base.removesuffix(ending)
        if root != base and len(root) >= 3:
            stems |= {root, root + "e"}
            if len(root) >= 4 and root[-1] == root[-2]:  # running → run
                stems.add(root[:-1])
            if ending in ("ly", "er", "est", "es", "ed") and root.endswith("i"):  # messily → messy
                stems.add(root[:-1] + "y")
    found = set(stems)
    for stem in stems:
        found |= {stem + suffix for suffix in _SUFFIXES}
        if stem.endswith("e"):
            found |= {stem[:-1] + suffix for suffix in ("ing", "ed", "er", "ers", "est", "y")}
        if stem.endswith("y") and len(stem) > 2 and stem[-2] not in _VOWELS:
            found |= {stem[:-1] + "i" + suffix for suffix in ("es", "ed", "er", "est", "ly", "ness")}
        # stop → stopped, war → warring: a short vowel between consonants doubles the last one.
        if _short_vowel_end(stem):
            found |= {stem + stem[-1] + suffix for suffix in ("ing", "ed", "er", "ers", "est", "y")}
    return frozenset(found)


def _short_vowel_end(stem: str) -> bool:
    return (
        len(stem) >= 3
        and stem[-1] not in _VOWELS | {"w", "x", "y"}
        and stem[-2] in _VOWELS
        and stem[-3] not in _VOWELS
    )


@dataclass(frozen=True)
class WordHit:
    word: str  # the avoided word, as the channel wrote it
    evidence: str  # the draft's word or hashtag that holds it


def find_words(
    text: str, hashtags: Iterable[str], avoid: Iterable[str], vocabulary: frozenset[str]
) -> Iterator[WordHit]:
    """Each avoided word found in `text` (its words) or `hashtags` (split into words), once per place."""
    avoided = [(word, word.casefold().split()) for word in avoid if word.strip()]
    if not avoided:
        return
    # Hashtags are read below, split into their words; whole, they would count as one known word.
    tokens = [m.group() for m in WORD.finditer(re.sub(r"#\w+", " ", text))]
    folded = [t.casefold() for t in tokens]
    for word, parts in avoided:
        for i in range(len(folded) - len(parts) + 1):
            # A phrase matches with its last word inflected: "secret weapons".
            if folded[i : i + len(parts) - 1] == parts[:-1] and folded[i + len(parts) - 1] in forms(
                parts[-1]
            ):
                yield WordHit(word, " ".join(tokens[i : i + len(parts)]))
    known = vocabulary | set(folded)
    tags = {tag.strip() for tag in hashtags} | set(re.findall(r"#\w+", text))
    for tag in sorted(tags):
        words = hashtag_words(tag, known | {f for _, parts in avoided for f in forms("".join(parts))})
        for word, parts in avoided:
            glued = forms("".join(parts))
            if any(w in glued for w in words):
                yield WordHit(word, tag)


def hashtag_words(tag: str, known: frozenset[str] | set[str]) -> list[str]:
    """The known words of a hashtag that sit between known words, its ends, or unknown stretches
    long enough to be words; a known word touching a letter or two is part of a longer word."""
    words: list[str] = []
    for part in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", tag.lstrip("#")):
        pieces = _segment(part.casefold(), known)
        for i, (piece, is_known) in enumerate(pieces):
            # A neighbour of one or two unknown letters is the rest of a longer word ("s|kill|s").
            neighbours = [pieces[j] for j in (i - 1, i + 1) if 0 <= j < len(pieces)]
            if is_known and all(known_ or len(word) >= 3 for word, known_ in neighbours):
                words.append(piece)
    return words


def _segment(text: str, known: frozenset[str] | set[str]) -> list[tuple[str, bool]]:
    # Cheapest split: a known word costs 1, an unknown stretch 2 plus its length, so "warm|hugs" beats
    # "war|mhugs" and "s|kill|s" (three stretches) loses to "skills" when that is known.
    n = len(text)
    nothing: list[tuple[str, bool]] = []
    best = [(0.0, nothing)] + [(float("inf"), nothing)] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            piece = text[start:end]
            is_known = piece in known
            cost = best[start][0] + (1 if is_known else 2 + len(piece))
            if cost < best[end][0]:
                best[end] = (cost, [*best[start][1], (piece, is_known)])
    return _merge_unknown(best[n][1])


def _merge_unknown(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    merged: list[tuple[str, bool]] = []
    for piece, is_known in pieces:
        if merged and not is_known and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + piece, False)
        else:
            merged.append((piece, is_known))
    return merged
