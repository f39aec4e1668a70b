"""The writer used when there is no ANTHROPIC_API_KEY: drafts from the template library and the facts.

It fills the same output as the model would (hook, beats, caption, hashtags; title and body; ...), so
the rest of the pipeline (validation, versions, review) is the same. What it cannot know stays visible
as a bracketed gap, e.g. "[How long kids played in our test, in minutes]", for the reviewer to fill.
Every draft it writes carries the model name `offline`, which the review message shows as
"offline draft".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from core.agents import OFFLINE_MODEL, AgentKind, GenerationContext, GenerationRequest
from core.elements import tokenise
from core.templates import (
    Category,
    TemplateKind,
    TemplateSpec,
    render,
)
from templates import library_categories, library_specs
from workers.llm import LLMResult

_AGE_RANGE = re.compile(r"\b(\d{1,2}\s*(?:-|–|to)\s*\d{1,2}|\d{1,2}\s*\+)", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")


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
        )


class _Draft:
    """The values a request gives the library templates, and the templates that suit it."""

    def __init__(self, request: GenerationRequest, context: GenerationContext) -> None:
        self.request = request
        self.context = context
        product = request.product
        facts = product.facts if product else ()
        self.facts = list(facts)
        self.category = _category(product.category if product else "")
        # Ages and the product may be in the brief alone ("a stunt kite that loops, ages 8+").
        age_range = next(
            (m.group(1) for text in (*facts, request.brief) if (m := _AGE_RANGE.search(text))), ""
        )
        name = product.title if product and product.title else ""
        cta = _QUOTED.search(context.voice.cta_style)
        self.values = {
            "product": name,
            "category": (product.category if product and product.category else "")
            or (self.category.label.lower() if self.category else ""),
            "age_range": age_range.replace(" ", ""),
            "age": re.split(r"\D", age_range, maxsplit=1)[0] if age_range else "",
            "benefit": facts[0] if facts else "",
            "problem": request.brief,
            "cta": cta.group(1) if cta else "Save this for later.",
            "safety_note": self.category.safety if self.category and self.category.safety else "",
            "hashtag": _hashtag_word(
                product.category if product and product.category else context.element.label + " play"
            ),
        }

    def render(self, kind: TemplateKind, **extra: str) -> str:
        spec = self._choose(kind)
        known = {name: value for name, value in {**self.values, **extra}.items() if value}
        gaps = {v.name: f"[{v.description}]" for v in spec.variables if v.name not in known}
        return render(spec, {**known, **gaps})

    def _choose(self, kind: TemplateKind) -> TemplateSpec:
        chosen = _library_by_body().get(self.context.template_body or "")
        if chosen is not None and chosen.kind == kind:
            return chosen
        candidates = [s for s in library_specs() if s.kind == kind and self.context.element in s.elements]
        slug = self.category.slug if self.category else None

        def fit(spec: TemplateSpec) -> tuple[bool, int]:
            gaps = sum(1 for v in spec.variables if not self.values.get(v.name))
            return (slug not in spec.categories, gaps)

        # min() keeps file order among equals, so the same request always gets the same draft.
        return min(candidates or [s for s in library_specs() if s.kind == kind], key=fit)

    def hook(self) -> str:
        return self.render(TemplateKind.HOOK)

    def caption(self) -> tuple[str, list[str]]:
        """The caption's text and its hashtags (the library captions end with a line of them)."""
        lines = self.render(TemplateKind.CAPTION).splitlines()
        tags = [word for line in lines if line.startswith("#") for word in line.split()]
        text = "\n".join(line for line in lines if not line.startswith("#")).strip()
        return text, tags or [f"#{self.values['hashtag']}"]

    @property
    def name(self) -> str:
        return self.values["product"] or self.request.brief


def _tiktok_script(draft: _Draft) -> dict[str, Any]:
    hook = draft.hook()
    caption, hashtags = draft.caption()
    beats = draft.render(TemplateKind.SCRIPT_FRAMEWORK, hook=hook).splitlines()
    return {"hook": hook, "beats": beats, "caption": caption, "hashtags": hashtags}


def _tiktok_hook(draft: _Draft) -> dict[str, Any]:
    caption, hashtags = draft.caption()
    return {"hook": draft.hook(), "caption": caption, "hashtags": hashtags}


def _social_post(draft: _Draft) -> dict[str, Any]:
    caption, hashtags = draft.caption()
    parts = [draft.hook(), caption, draft.values["cta"]]
    return {"post": "\n\n".join(p for p in parts if p), "hashtags": hashtags}


def _blog_post(draft: _Draft) -> dict[str, Any]:
    values = draft.values
    facts = "\n".join(f"- {fact}" for fact in draft.facts) or f"- {draft.request.brief}"
    good_to_know = " ".join(
        part
        for part in (f"Ages {values['age_range']}." if values["age_range"] else "", values["safety_note"])
        if part
    )
    sections = [
        draft.hook(),
        draft.request.brief,
        f"## Why we like {draft.name}\n\n{facts}",
        f"## Good to know\n\n{good_to_know}" if good_to_know else "",
        values["cta"],
    ]
    title = f"{draft.name}: {values['benefit']}" if values["benefit"] else draft.name
    return {"title": title[:120], "body": "\n\n".join(s for s in sections if s)}


def _tiktok_shop(draft: _Draft) -> dict[str, Any]:
    values = draft.values
    title = " - ".join(
        part
        for part in (
            draft.name,
            values["category"],
            f"Ages {values['age_range']}" if values["age_range"] else "",
        )
        if part
    )
    description = "\n\n".join(
        p for p in (draft.request.brief, " ".join(draft.facts), values["safety_note"]) if p
    )
    return {
        "title": title[:255],
        "selling_points": draft.facts[:6] or [draft.request.brief],
        "description": description,
    }


_FILL: Mapping[AgentKind, Callable[[_Draft], dict[str, Any]]] = {
    AgentKind.TIKTOK_SCRIPT: _tiktok_script,
    AgentKind.TIKTOK_HOOK: _tiktok_hook,
    AgentKind.SOCIAL_POST: _social_post,
    AgentKind.BLOG_POST: _blog_post,
    AgentKind.TIKTOK_SHOP: _tiktok_shop,
}


def _hashtag_word(text: str) -> str:
    return "".join(word.capitalize() for word in re.findall(r"\w+", text))


def _category(text: str) -> Category | None:
    """The library category a product category names: by slug, or sharing the most words with its label."""
    if not text:
        return None
    words = set(tokenise(text))
    best = max(library_categories(), key=lambda c: len(words & set(tokenise(f"{c.slug} {c.label}"))))
    return best if words & set(tokenise(f"{best.slug} {best.label}")) else None


@cache
def _library_by_body() -> dict[str, TemplateSpec]:
    return {spec.body: spec for spec in library_specs()}


def offline_library() -> None:
    """Parse and check the library files now (workers.generate.preload), not in the first job."""
    library_categories()
    _library_by_body()
