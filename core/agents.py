"""The AI agents: one interface, five implementations that differ only in prompt and output shape.

An agent is a prompt (templates/prompts/<name>.j2, rendered with the channel's brand voice, the element,
the template's body and the product) and an output model (core/agent_outputs.py) whose JSON schema the
model is asked to fill and whose validation checks what comes back. `generate` is the plumbing they share:

    draft = generate(agent_for(AgentKind.BLOG_POST), request, context, writer, prompts)

`writer` asks a model (workers/llm.py's `ClaudeClient.complete_json`) or fills the schema offline
(workers/offline_writer.py). An answer that does not fit is sent back once with the validation error;
a second misfit raises `DraftError`, whose message a person can read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError

from core.agent_outputs import BlogPost, Output, ShopListing, SocialPost, TikTokHook, TikTokScript
from core.channels import BrandVoice
from core.elements import Element
from core.templates import TemplateKind, TemplateSpec, render

# The model name a version written without a model carries; views say "offline draft" for it.
OFFLINE_MODEL = "offline"


class AgentKind(StrEnum):
    TIKTOK_SCRIPT = "tiktok_script"
    TIKTOK_HOOK = "tiktok_hook"
    SOCIAL_POST = "social_post"
    BLOG_POST = "blog_post"
    TIKTOK_SHOP = "tiktok_shop"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, word: str) -> AgentKind:
        """The agent a person means by `word`: its value or its short name (script, hook, ...)."""
        key = word.strip().lower().replace("-", "_")
        for kind in cls:
            if key in (kind.value, _SHORT_NAMES[kind]):
                return kind
        names = ", ".join(_SHORT_NAMES[k] for k in cls)
        shown = word if len(word) <= 40 else word[:39] + "…"
        raise ValueError(f"`{shown}` is not an agent; choose one of {names}.")

    @property
    def short_name(self) -> str:
        return _SHORT_NAMES[self]

    @property
    def template_kinds(self) -> tuple[TemplateKind, ...]:
        """The kinds of library template this agent can write from, the best fit first."""
        return _TEMPLATE_KINDS[self]


_TEMPLATE_KINDS = {
    AgentKind.TIKTOK_SCRIPT: (TemplateKind.SCRIPT_FRAMEWORK, TemplateKind.HOOK),
    AgentKind.TIKTOK_HOOK: (TemplateKind.HOOK, TemplateKind.CAPTION),
    AgentKind.SOCIAL_POST: (TemplateKind.CAPTION, TemplateKind.HOOK),
    AgentKind.BLOG_POST: (TemplateKind.BLOG_OUTLINE,),
    AgentKind.TIKTOK_SHOP: (TemplateKind.CAPTION,),
}

_LABELS = {
    AgentKind.TIKTOK_SCRIPT: "TikTok script",
    AgentKind.TIKTOK_HOOK: "TikTok hook + caption",
    AgentKind.SOCIAL_POST: "Social post",
    AgentKind.BLOG_POST: "Blog post",
    AgentKind.TIKTOK_SHOP: "TikTok Shop listing",
}
_SHORT_NAMES = {
    AgentKind.TIKTOK_SCRIPT: "script",
    AgentKind.TIKTOK_HOOK: "hook",
    AgentKind.SOCIAL_POST: "social",
    AgentKind.BLOG_POST: "blog",
    AgentKind.TIKTOK_SHOP: "shop",
}


@dataclass(frozen=True)
class Product:
    title: str
    category: str = ""
    facts: tuple[str, ...] = ()
    # Set when the product comes from the synced TikTok Shop catalogue (core/products.py).
    id: str | None = None
    age_grade: str = ""  # "3+", "4-7": what the box says, for the agents and the draft checks

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"title": self.title, "category": self.category, "facts": list(self.facts)}
        if self.id is not None:
            data["id"] = self.id
        if self.age_grade:
            data["age_grade"] = self.age_grade
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Product | None:
        if not data:
            return None
        return cls(
            data.get("title", ""),
            data.get("category", ""),
            tuple(data.get("facts", ())),
            id=data.get("id"),
            age_grade=data.get("age_grade", ""),
        )

    @property
    def min_age(self) -> int | None:
        """The youngest age the age grade allows ("8+" and "8-12" both give 8); None when unknown."""
        found = re.search(r"\d+", self.age_grade)
        return int(found.group()) if found else None


@dataclass(frozen=True)
class GenerationRequest:
    agent: AgentKind
    brief: str
    product: Product | None = None
    # On "request changes": the reviewer's reason, and the version it is about.
    feedback: str | None = None
    previous: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class GenerationContext:
    channel_name: str
    element: Element
    voice: BrandVoice
    hashtags: tuple[str, ...] = ()
    template_name: str | None = None
    template_body: str | None = None


class Written(Protocol):
    """What a writer hands back: the answer (unchecked) and what it cost (read-only, so frozen
    dataclasses qualify)."""

    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def model(self) -> str: ...
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def templates(self) -> tuple[TemplateSpec, ...]: ...


class Writer(Protocol):
    def __call__(self, *, system: str, prompt: str, schema: dict[str, Any], tool_name: str) -> Written: ...


class MalformedAnswer(Exception):
    """Raised by a writer when the model answered, but not in the shape asked for (e.g. no tool call)."""


class DraftError(Exception):
    """The model's answer did not fit the agent's output twice; the message says how."""


@dataclass(frozen=True)
class Draft:
    fields: dict[str, Any]  # the validated output, in the output model's field order
    model: str
    prompt: str  # system and user prompt as sent, for the version's record
    input_tokens: int
    output_tokens: int
    latency_ms: float  # the writer's time, every try included
    # The library templates the writer filled in itself (the offline writer); a model writes from the
    # prompt, which holds the context's template, so this is empty for its drafts.
    templates: tuple[TemplateSpec, ...] = ()

    @property
    def offline(self) -> bool:
        return self.model == OFFLINE_MODEL


# --- Agents ---------------------------------------------------------------------------------------------


class Agent:
    """An agent: which prompt it renders and which output it asks for. The plumbing is `generate`."""

    kind: ClassVar[AgentKind]
    output: ClassVar[type[Output]]

    @property
    def prompt_name(self) -> str:
        """Its task prompt is templates/prompts/<prompt_name>.j2."""
        return self.kind.value

    @property
    def tool_name(self) -> str:
        return f"write_{self.kind.value}"

    @property
    def schema(self) -> dict[str, Any]:
        return _schema(self.output)

    def field_titles(self) -> dict[str, str]:
        return {name: info.title or name for name, info in self.output.model_fields.items()}

    def validate(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The output as a plain dict in field order; raises OutputInvalid naming each bad field."""
        try:
            return self.output.model_validate(dict(data)).model_dump()
        except ValidationError as exc:
            raise OutputInvalid(exc) from None


class TikTokScriptAgent(Agent):
    kind = AgentKind.TIKTOK_SCRIPT
    output = TikTokScript


class TikTokHookAgent(Agent):
    kind = AgentKind.TIKTOK_HOOK
    output = TikTokHook


class SocialAgent(Agent):
    kind = AgentKind.SOCIAL_POST
    output = SocialPost


class BlogAgent(Agent):
    kind = AgentKind.BLOG_POST
    output = BlogPost


class TikTokShopAgent(Agent):
    kind = AgentKind.TIKTOK_SHOP
    output = ShopListing


AGENTS: Mapping[AgentKind, Agent] = {
    agent.kind: agent
    for agent in (TikTokScriptAgent(), TikTokHookAgent(), SocialAgent(), BlogAgent(), TikTokShopAgent())
}


def agent_for(kind: AgentKind | str) -> Agent:
    return AGENTS[AgentKind(kind)]


class OutputInvalid(ValueError):
    """An output that does not fit its agent's model; `errors` maps each field to what is wrong with it."""

    def __init__(self, exc: ValidationError) -> None:
        self.errors: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "answer"
            self.errors.setdefault(name, error["msg"])
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


@cache
def _schema(output: type[Output]) -> dict[str, Any]:
    return output.model_json_schema()


# --- The shared plumbing --------------------------------------------------------------------------------

PromptSource = Callable[[str], str]


def render_prompts(
    agent: Agent, request: GenerationRequest, context: GenerationContext, prompt_source: PromptSource
) -> tuple[str, str]:
    """The system prompt (what stays the same for a channel, so it is cached) and the user prompt: the
    agent's task, then the request (brief, product, a reviewer's reason), shared by every agent."""
    values = _prompt_values(agent, request, context)
    task = render(prompt_source(agent.prompt_name), values)
    return render(prompt_source("system"), values), f"{task}\n\n{render(prompt_source('request'), values)}"


def generate(
    agent: Agent,
    request: GenerationRequest,
    context: GenerationContext,
    writer: Writer,
    prompt_source: PromptSource,
) -> Draft:
    """Ask `writer` for the agent's output; one retry quoting the validation error, then DraftError."""
    system, prompt = render_prompts(agent, request, context, prompt_source)
    answers: list[Written] = []
    problem = ""
    for ask in (prompt, None):
        if ask is None:
            ask = (
                f"{prompt}\n\nYour previous answer did not fit the required shape: {problem}. "
                f"Answer again by calling {agent.tool_name} with every field filled as described."
            )
        try:
            written = writer(system=system, prompt=ask, schema=agent.schema, tool_name=agent.tool_name)
        except MalformedAnswer as exc:
            problem = str(exc)
            continue
        answers.append(written)
        try:
            fields = agent.validate(written.data)
        except OutputInvalid as exc:
            problem = str(exc)
            continue
        return Draft(
            fields=fields,
            model=written.model,
            prompt=f"{system}\n\n---\n\n{ask}",
            input_tokens=sum(a.input_tokens for a in answers),
            output_tokens=sum(a.output_tokens for a in answers),
            latency_ms=sum(a.latency_ms for a in answers),
            templates=written.templates,
        )
    raise DraftError(f"The model's answer did not fit a {agent.kind.label} twice: {problem}")


def _prompt_values(agent: Agent, request: GenerationRequest, context: GenerationContext) -> dict[str, str]:
    # Prompts get plain strings only, ready to print: lists become lines here, once.
    product = request.product
    voice = context.voice
    return {
        "agent": agent.kind.label,
        "channel": context.channel_name,
        "element": context.element.label,
        "tone": voice.tone,
        "words_to_use": ", ".join(voice.words_to_use),
        "words_to_avoid": ", ".join(voice.words_to_avoid),
        "emoji_policy": voice.emoji_policy,
        "cta_style": voice.cta_style,
        "hashtags": " ".join(context.hashtags),
        "template_name": context.template_name or "",
        "template_body": context.template_body or "",
        "brief": request.brief,
        "product_title": product.title if product else "",
        "product_category": product.category if product else "",
        "product_facts": _lines(product.facts) if product else "",
        "product_age_grade": product.age_grade if product else "",
        "feedback": request.feedback or "",
        "previous": _previous(request.previous),
    }


def _lines(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _previous(fields: Mapping[str, Any] | None) -> str:
    if not fields:
        return ""
    parts = []
    for name, value in fields.items():
        text = _lines(value) if isinstance(value, list) else str(value)
        parts.append(f"{name}:\n{text}")
    return "\n\n".join(parts)
