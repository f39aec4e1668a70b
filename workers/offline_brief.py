"""What a request says, as the offline writer reads it: the toy a brief names, the ages a brief, fact or
box gives, a shop title as parents say it, and the library category a product is in.

Rules of thumb over English text, in a fixed order, so the same request always reads the same way.
"""

from __future__ import annotations

import re

from core.elements import tokenise
from core.templates import Category
from templates import library_categories

# Ages as briefs, facts and boxes say them: "ages 3-6", "aged 5 to 8", "8+", "6 year olds", "3 and up".
AGES = re.compile(
    r"\b(?:ages?|aged)\s*(?P<a>\d{1,2}\s*(?:-|–|to)\s*\d{1,2}|\d{1,2}\s*\+?)"
    r"|\b(?P<b>\d{1,2}\s*(?:-|–|to)\s*\d{1,2}|\d{1,2})\s*[- ]?(?:years?|yrs?|y/?o)(?:[- ]olds?)?"
    r"(?P<up>\s*\+|\s+(?:and|&)\s+(?:up|over|older))?"
    r"|\b(?P<c>\d{1,2})\s*\+"
    r"|\b(?P<d>\d{1,2})\s+(?:and|&)\s+(?:up|over|older)\b",
    re.IGNORECASE,
)
_MONTHS = re.compile(r"\s*(?:m|mo|mos|months?)\b", re.IGNORECASE)
QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")
# Where a brief's noun phrase ends: punctuation, or a word that starts a clause ("kites that loop"),
# standing alone: "in" ends "kites in the park" but not "glow-in-the-dark".
_BOUNDARY = re.compile(
    r"[,.;:!?()\[\]{}\n–—]|\s-\s|(?<![\w'’-])(?:that|which|who|where|when|with|for|to|so|because|about|and|but|or"
    r"|in|on|at|from|by|while|is|are|was|were|can|will|it|its|it's|mention\w*|show\w*|featur\w*)(?![\w'’-])",
    re.IGNORECASE,
)
_PROPER = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*|&|of))*\s+[A-Z][\w'’-]*")
# Words of a brief that ask for content or praise it, not name the toy.
FLUFF = frozenset(
    re.findall(
        r"\S+",
        "a an the our my your new some this these those their kids kid kids' children child fun great cool "
        "awesome amazing best little super make write create do post video hook script caption blog listing "
        "promote please shop social description tiktok any all short quick",
    )
)
# Words too common to say which library category a product is in, or which template a brief asks for.
GENERIC = frozenset(tokenise("toy play game kit set kid and age year old month"))


def ages(grade: str, *texts: str) -> tuple[str, str]:
    """The age range ("3+", "4-7") and the youngest age in years, from the age grade or the first text
    that names one; a range in months gives no age in years."""
    if grade and not _age_in(f"ages {grade}"):
        return grade, ""
    for text in (f"ages {grade}" if grade else "", *texts):
        if found := _age_in(text):
            youngest = re.match(r"\d+", found)
            return found, youngest.group() if youngest else ""
    return "", ""


def _age_in(text: str) -> str:
    for match in AGES.finditer(text):
        if _MONTHS.match(text, match.end()):
            continue
        if match.group("a"):
            found = match.group("a")
        elif match.group("b"):
            found = match.group("b") + ("+" if match.group("up") else "")
        else:
            found = (match.group("c") or match.group("d")) + "+"
        return re.sub(r"\s*(?:-|–|to)\s*", "-", found).replace(" ", "")
    return ""


def noun_phrase(brief: str) -> str:
    """The toy a brief names, in at most four words: a quoted or capitalised name, else the first clause
    without the words that ask for content ("write a hook about our ...")."""
    text = AGES.sub(" ", brief)
    quoted = QUOTED.search(text)
    if quoted and len(quoted.group(1).split()) <= 4:
        return quoted.group(1).strip()
    proper = _PROPER.search(text)
    if proper:
        words = [w for w in proper.group().split() if w.lower() not in FLUFF]
        if len(words) >= 2:
            rest = _BOUNDARY.split(text[proper.end() :], maxsplit=1)[0].split()
            return " ".join([*words, *rest[:2]][:4])
    for chunk in _BOUNDARY.split(text):
        words = re.findall(r"[\w'’-]+", chunk)
        while words and words[0].lower() in FLUFF:
            words.pop(0)
        while words and words[-1].lower() in FLUFF:
            words.pop()
        if words:
            return " ".join(words[-3:])
    return ""


def named(phrase: str) -> str:
    """How a draft says a toy the brief names in plain words: "this stunt kite"; names stay as they are."""
    if not phrase or not phrase.islower():
        return phrase
    return f"{'these' if re.search(r'[^s]s$', phrase) else 'this'} {phrase}"


def short_title(title: str) -> str:
    """A shop title as parents would say it: "Sea Squirters Bath Set - 6 Animals, Ages 1-4" -> its name."""
    head = re.split(r"\s[-–—|]\s|[,(:]", title, maxsplit=1)[0].strip()
    return " ".join(head.split()[:6]) if re.search(r"\w", head) else ""


def category(text: str) -> Category | None:
    """The library category `text` names: sharing the most telling words with its slug and label."""
    words = set(tokenise(text)) - GENERIC
    if not words:
        return None
    best = max(library_categories(), key=lambda c: len(words & set(tokenise(f"{c.slug} {c.label}"))))
    return best if words & set(tokenise(f"{best.slug} {best.label}")) else None


def hashtag_word(text: str) -> str:
    return "".join(word.capitalize() for word in re.findall(r"[^\W_]+", text))
