"""The writer used when there is no ANTHROPIC_API_KEY: drafts from the template library and the facts.

It fills the same output as the model would (hook, beats, caption, hashtags; title and body; ...), so
the rest of the pipeline (validation, versions, review) is the same. Every template variable is filled
from the product (title, category, facts, age grade), the library category (its safety line), the
channel (its call to action and its own hashtags) and what the brief names (the product and the ages).
What none of them says is left out, sentence or clause, rather than shown as a gap: a draft is customer
text, and "[Product name]" is never publishable. The brief itself is an instruction to the writer, so
only the words it names reach the draft, never the brief as written.

Every draft it writes carries the model name `offline`, which the review message shows as "offline draft".
Choices are made in a fixed order, so the same request always gets the same draft.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from core.agents import OFFLINE_MODEL, AgentKind, GenerationContext, GenerationRequest
from core.elements import tokenise
from core.templates import TemplateKind, TemplateSpec, Variable, render
from templates import library_categories, library_specs
from workers.llm import LLMResult
from workers.offline_brief import (
    AGES,
    FLUFF,
    GENERIC,
    QUOTED,
    ages,
    category,
    hashtag_word,
    named,
    noun_phrase,
    short_title,
)

# Rendering marks each value, so that what could not be filled can be found and left out afterwards.
_GAP, _OPEN, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARKS = re.compile(f"[{_GAP}{_OPEN}{_CLOSE}]")

# A stage direction ("[ON SCREEN] Ages 6+.") starts a sentence of its own.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"”])\s+|\s+(?=\[[A-Z /-]+\])")
_CLAUSE = re.compile(r"; ")
_COLON = re.compile(r": ")
_BEAT_LABEL = re.compile(r"^\d+-\d+ s [^:\n]*:\s*")
_STAGE = re.compile(r"\[[A-Z /-]+\]")
_MAX_HOOK = 150


class OfflineWriter:
    """A `core.agents.Writer` for one request; it ignores the prompt and fills the schema itself."""

    def __init__(self, request: GenerationRequest, context: GenerationContext) -> None:
        self.request = request
        self.context = context

    def __call__(self, *, system: str, prompt: str, schema: dict[str, Any], tool_name: str) -> LLMResult:
        started = time.perf_counter()
        draft = _Draft(self.request, self.context)
        data = _FILL[self.request.agent](draft)
        return LLMResult(
            data=data,
            model=OFFLINE_MODEL,
            input_tokens=0,
            output_tokens=0,
            latency_ms=(time.perf_counter() - started) * 1000,
            request_id=None,
            templates=tuple(draft.used),
        )


class _Draft:
    """The values a request gives the library templates, and the templates that suit it."""

    def __init__(self, request: GenerationRequest, context: GenerationContext) -> None:
        self.request = request
        self.context = context
        # The library templates whose text is in the draft, in the order they were filled.
        self.used: list[TemplateSpec] = []
        product = request.product
        brief = _clean(request.brief)
        self.facts = [fact for fact in (_clean(f) for f in (product.facts if product else ())) if fact]
        title = _clean(product.title) if product else ""
        # What the brief names when no product does: "a stunt kite that loops" -> "stunt kite".
        self.phrase = "" if title else noun_phrase(brief)
        self.name = short_title(title) or named(self.phrase)
        self.full_title = title or self.name
        product_category = _clean(product.category) if product else ""
        self.category = (
            category(product_category) or category(title) or category(self.phrase) or category(brief)
        )
        self.kind = (
            product_category.split(">")[-1].strip().lower()
            or (self.category.label.split(",")[0].lower() if self.category else "")
            or (self.phrase if self.phrase.islower() else "")
        )
        self.age_range, self.age = ages(product.age_grade if product else "", *self.facts, brief)
        # A fact that only states the ages is not a reason to buy.
        self.selling = [f for f in self.facts if not AGES.fullmatch(f.strip(" ."))]
        cta = QUOTED.search(context.voice.cta_style)
        self.cta = _clean(cta.group(1)) if cta else "Save this for later."
        self.safety = self.category.safety if self.category else ""
        own = [tag for tag in context.hashtags if re.sub(r"\W", "", tag)]
        fallback = hashtag_word(self.kind or self.phrase or context.channel_name) or "Toys"
        self.hashtags = own[:8] or [f"#{fallback}"]
        self.angle = {w for w in tokenise(brief) if len(w) > 3 and w not in FLUFF} - GENERIC
        # The channel's words to avoid, and their forms ("messy" is "mess" too): a template saying one ranks last.
        stems = [re.escape(re.sub(r"(?<=\w\w\w)y$", "", w.strip())) for w in context.voice.words_to_avoid]
        self.avoid = re.compile(
            rf"\b(?:{'|'.join(s for s in stems if s)})\w*" if any(stems) else r"(?!)", re.I
        )

    def value(self, variable: Variable) -> str:
        """The variable's value, in the form its sample shows, or "" when nothing says it."""
        name, sample = variable.name, variable.sample
        if name == "product":
            return self.name
        if name == "age_range" and self.age_range:
            if "year old" in sample:
                return f"{self.age_range} year old"
            return f"ages {self.age_range}" if sample.lower().startswith("ages ") else self.age_range
        if name == "category" and self.kind:
            # The sample says whether the template wants "board game" or "kites".
            return self.kind if sample.endswith("s") else re.sub(r"(?<=[^s])s$", "", self.kind)
        if name == "game" and "game" in f"{self.kind} {self.name}".lower():
            return self.name
        simple = {
            "age": self.age,
            "benefit": self.selling[0] if self.selling else "",
            "cta": self.cta,
            "safety_note": self.safety,
            "hashtag": self.hashtags[0].lstrip("#"),
        }
        return simple.get(name, "")

    def render(self, kind: TemplateKind, *, limit: int = 2200, **given: str) -> str:
        """The best-fitting library template of `kind` with what cannot be filled left out; "" if none fits."""
        chosen = _library_by_body().get(self.context.template_body or "")
        if chosen is not None and chosen.kind == kind and (text := self._fill(chosen, given, limit)):
            return self._use(chosen, text)
        slug = self.category.slug if self.category else None
        ranked = []
        for index, spec in enumerate(s for s in library_specs() if s.kind == kind):
            text = self._fill(spec, given, limit)
            if not text:
                continue
            gaps = sum(1 for v in spec.variables if not (given.get(v.name) or self.value(v)))
            rank = (
                len(self.avoid.findall(text)),
                gaps,
                bool(self.name) and self.name.lower() not in text.lower(),
                # What the brief asks for ("a rainy-day hook", "gift ideas") before what the library suggests.
                -len(self.angle & set(tokenise(f"{spec.name} {spec.example}"))),
                self.context.element not in spec.elements,
                slug not in spec.categories,
                index,
            )
            ranked.append((rank, text, spec))
        if not ranked:
            return ""
        _, text, spec = min(ranked, key=lambda entry: entry[0])
        return self._use(spec, text)

    def _use(self, spec: TemplateSpec, text: str) -> str:
        if spec not in self.used:
            self.used.append(spec)
        return text

    def _fill(self, spec: TemplateSpec, given: Mapping[str, str], limit: int) -> str:
        values = {}
        for variable in spec.variables:
            value = given.get(variable.name) or self.value(variable)
            values[variable.name] = f"{_OPEN}{value}{_CLOSE}" if value else _GAP
        # The channel's hashtags go in their own field, so a template's line of hashtags is dropped.
        lines = [
            line for line in _without_gaps(render(spec, values)).splitlines() if not _only_hashtags(line)
        ]
        kind, framework = spec.kind, TemplateKind.SCRIPT_FRAMEWORK
        text = (" " if kind is TemplateKind.HOOK else "\n").join(lines).strip()
        # What is left must still say something of this request, not only the template's own words.
        if _OPEN not in text or len(_MARKS.sub("", text)) > limit or (kind is framework and len(lines) < 2):
            return ""
        return _MARKS.sub("", text)

    def hook(self) -> str:
        return self.render(TemplateKind.HOOK, limit=_MAX_HOOK) or _fit(
            f"Meet {self.name}." if self.name else "Watch this one 👇", _MAX_HOOK
        )

    def caption(self) -> str:
        age_line = f"Ages {self.age_range}." if self.age_range else ""
        fallback = " ".join(p for p in (f"{self.name}." if self.name else "", age_line, self.safety) if p)
        return self.render(TemplateKind.CAPTION) or fallback or self.cta

    def ages_and_safety(self) -> str:
        return " ".join(p for p in (f"Ages {self.age_range}." if self.age_range else "", self.safety) if p)


def _tiktok_script(draft: _Draft) -> dict[str, Any]:
    hook = draft.hook()
    beats = draft.render(TemplateKind.SCRIPT_FRAMEWORK, hook=hook).splitlines() or [
        f'0-3 s HOOK: [ON SCREEN] "{hook}"',
        f'3-30 s CTA: [VO] "{draft.cta}" {draft.ages_and_safety()}'.strip(),
    ]
    return {"hook": hook, "beats": beats, "caption": draft.caption(), "hashtags": draft.hashtags}


def _tiktok_hook(draft: _Draft) -> dict[str, Any]:
    return {"hook": draft.hook(), "caption": draft.caption(), "hashtags": draft.hashtags}


def _social_post(draft: _Draft) -> dict[str, Any]:
    parts = [draft.hook(), draft.caption(), draft.cta]
    return {"post": _fit("\n\n".join(dict.fromkeys(parts)), 2000), "hashtags": draft.hashtags}


def _blog_post(draft: _Draft) -> dict[str, Any]:
    name = draft.name or "it"
    facts = _fit("\n".join(f"- {fact}" for fact in draft.facts), 2400)
    sections = [
        draft.hook(),
        f"## Why we like {name}\n\n{facts}" if facts else "",
        f"## Good to know\n\n{draft.ages_and_safety()}" if draft.ages_and_safety() else "",
        draft.cta,
    ]
    benefit = draft.selling[0] if draft.selling else ""
    title = f"{draft.name}: {benefit}" if draft.name and benefit else draft.name or draft.kind.capitalize()
    return {
        "title": _capitalise(_fit(title, 120)) or _fit(draft.hook(), 120),
        "body": _fit("\n\n".join(s for s in sections if s), 3000),
    }


def _tiktok_shop(draft: _Draft) -> dict[str, Any]:
    title = draft.full_title or draft.kind.capitalize() or _clean(draft.context.channel_name)
    parts = [_capitalise(title)]
    if draft.selling and title == draft.name:  # a long shop title already names its features
        parts.append(draft.selling[0])
    if draft.age_range and draft.age_range not in title:
        parts.append(f"Ages {draft.age_range}")
    while len(" - ".join(parts)) > 255 and len(parts) > 1:
        parts.pop(-2 if len(parts) > 2 else -1)
    intro = f"{draft.name}, for ages {draft.age_range}." if draft.name and draft.age_range else ""
    facts = " ".join(_capitalise(f if f[-1] in ".!?" else f"{f}.") for f in draft.selling)
    description = "\n\n".join(_capitalise(p) for p in (intro, facts, draft.safety) if p)
    points = draft.facts[:6] or [p for p in (draft.ages_and_safety(), draft.kind.capitalize()) if p]
    return {
        "title": _fit(" - ".join(parts), 255) or "Toy",
        "selling_points": points or [draft.cta],
        "description": _fit(description or draft.caption(), 3000),
    }


_FILL: Mapping[AgentKind, Callable[[_Draft], dict[str, Any]]] = {
    AgentKind.TIKTOK_SCRIPT: _tiktok_script,
    AgentKind.TIKTOK_HOOK: _tiktok_hook,
    AgentKind.SOCIAL_POST: _social_post,
    AgentKind.BLOG_POST: _blog_post,
    AgentKind.TIKTOK_SHOP: _tiktok_shop,
}


# --- Leaving out what could not be filled ---------------------------------------------------------------


def _without_gaps(text: str) -> str:
    """`text` without the sentences (or the "; " clauses) that hold a gap, and without the marks."""
    lines = []
    for line in text.splitlines():
        if _GAP in line:
            label = m.group() if (m := _BEAT_LABEL.match(line)) else ""
            sentences = (_sentence_without_gaps(s) for s in _split(line[len(label) :], _SENTENCE_END))
            line = label + " ".join(s for s in sentences if s)
            # A beat whose words were all left out (only its timing and stage directions remain) goes.
            if not re.search(r"\w", _STAGE.sub("", line[len(label) :])):
                continue
        lines.append(_capitalise(line.rstrip()))
    return "\n".join(lines).strip()


def _split(text: str, at: re.Pattern[str]) -> list[str]:
    """`text` split where `at` matches, never inside a value (a call to action may hold two sentences)."""
    parts, start = [], 0
    for found in at.finditer(text):
        before = text[: found.start()]
        if before.count(_OPEN) == before.count(_CLOSE):
            parts.append(text[start : found.start()])
            start = found.end()
    return [*parts, text[start:]]


def _sentence_without_gaps(sentence: str) -> str:
    if _GAP not in sentence:
        return sentence
    end = re.search(r"[^\w\ue000-\ue002]*$", sentence)
    ending = end.group().strip() if end else ""
    ending = f" {ending}" if ending and ending[0] not in '.!?"”' else ending
    clauses = _split(sentence, _CLAUSE)
    if len(clauses) > 1 and (kept := [c for c in clauses if _GAP not in c]):
        return "; ".join(kept).rstrip(" .!?") + ending
    # "Sea Squirters Bath Set: [benefit]" keeps the name; "POV: [...]" says nothing on its own.
    head = _split(sentence, _COLON)[0]
    if head != sentence and _GAP not in head and _OPEN in head:
        return head + ending
    return ""


def _capitalise(line: str) -> str:
    """A sentence a value starts ("this bath boat to the rescue") starts with a capital."""
    starts = re.compile(f"(^|[.!?] )({_OPEN}?)([a-z])(?=[a-z ])")
    return starts.sub(lambda m: m.group(1) + m.group(2) + m.group(3).upper(), line)


def _only_hashtags(line: str) -> bool:
    return bool(line.split()) and all(word.startswith("#") for word in line.split())


# --- Text in and out (what the request says is read in workers/offline_brief.py) -----------------------


def _clean(text: str) -> str:
    """Text from people or the shop, safe to put in a draft: no template marks or brackets."""
    text = _MARKS.sub("", text).translate(str.maketrans("[]", "()", "{}"))
    return re.sub(r"\s+", " ", text).strip()


def _fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"


@cache
def _library_by_body() -> dict[str, TemplateSpec]:
    return {spec.body: spec for spec in library_specs()}


def offline_library() -> None:
    """Parse and check the library files now (workers.generate.preload), not in the first job."""
    library_categories()
    _library_by_body()
