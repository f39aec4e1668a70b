"""The agent interface: prompts from the templates, schemas, validation, one retry of a misfit answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from core.agents import (
    AGENTS,
    AgentKind,
    DraftError,
    GenerationContext,
    GenerationRequest,
    MalformedAnswer,
    OutputInvalid,
    Product,
    agent_for,
    generate,
    render_prompts,
)
from core.channels import BrandVoice
from core.elements import Element
from core.templates import TemplateSpec
from templates import prompt_source

CONTEXT = GenerationContext(
    channel_name="Water",
    element=Element.WATER,
    voice=BrandVoice(
        tone="calm and splashy", words_to_use=("splash",), words_to_avoid=("cheap",), cta_style="nudge"
    ),
    hashtags=("#WaterPlay",),
    template_name="Gift panic",
    template_body="Stuck on a gift for age {{ age }}? Stop scrolling.",
)
PRODUCT = Product("Tidepool Bath Boat", "Water toys", ("Ages 3-6", "Squirts from its funnel"))
HOOK = {
    "hook": "Bath time, but make it a fountain.",
    "caption": "It squirts!",
    "hashtags": ["BathToys", "#kids"],
}


@dataclass
class Answer:
    data: dict[str, Any]
    model: str = "claude-test"
    input_tokens: int = 100
    output_tokens: int = 20
    latency_ms: float = 5.0
    templates: tuple[TemplateSpec, ...] = ()


@dataclass
class ScriptedWriter:
    """The model's side of the conversation, answer by answer; it records the prompts it was sent."""

    answers: list[Any]
    prompts: list[str] = field(default_factory=list)

    def __call__(self, *, system: str, prompt: str, schema: dict[str, Any], tool_name: str) -> Answer:
        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Answer(answer)


def hook_request(**changes: Any) -> GenerationRequest:
    return GenerationRequest(AgentKind.TIKTOK_HOOK, "bath boat that squirts", PRODUCT, **changes)


def test_every_agent_has_a_prompt_an_object_schema_and_required_fields() -> None:
    for kind, agent in AGENTS.items():
        assert agent.kind is kind
        assert agent.schema["type"] == "object" and agent.schema["required"]
        assert agent.schema["additionalProperties"] is False
        assert prompt_source(agent.prompt_name)
    assert agent_for("blog_post").schema["required"] == ["title", "body"]


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("script", AgentKind.TIKTOK_SCRIPT),
        ("BLOG", AgentKind.BLOG_POST),
        ("tiktok-shop", AgentKind.TIKTOK_SHOP),
    ],
)
def test_people_name_agents_by_short_name_or_value(word: str, kind: AgentKind) -> None:
    assert AgentKind.parse(word) is kind


def test_prompts_carry_voice_element_template_product_and_feedback() -> None:
    system, prompt = render_prompts(
        agent_for(AgentKind.TIKTOK_HOOK),
        hook_request(feedback="Shorter", previous={"hook": "Too long a hook"}),
        CONTEXT,
        prompt_source,
    )
    assert "Water channel, themed by the element Water" in system
    assert "Tone: calm and splashy" in system and "Never use: cheap" in system
    assert 'template "Gift panic"' in system and "Stuck on a gift for age {{ age }}?" in system
    assert prompt.startswith("Write a TikTok hook and the caption that goes with it.")
    assert "Product: Tidepool Bath Boat" in prompt and "- Squirts from its funnel" in prompt
    assert "asked for changes to the previous version: Shorter" in prompt and "Too long a hook" in prompt


def test_a_fitting_answer_becomes_a_draft_with_tidy_hashtags() -> None:
    writer = ScriptedWriter([HOOK])
    draft = generate(agent_for(AgentKind.TIKTOK_HOOK), hook_request(), CONTEXT, writer, prompt_source)
    assert draft.fields == {**HOOK, "hashtags": ["#BathToys", "#kids"]}
    assert (draft.model, draft.input_tokens, draft.output_tokens) == ("claude-test", 100, 20)
    assert not draft.offline and len(writer.prompts) == 1


def test_a_misfit_is_sent_back_once_with_the_error_and_both_calls_count() -> None:
    writer = ScriptedWriter([{"caption": "x", "hashtags": ["a"]}, HOOK])
    draft = generate(agent_for(AgentKind.TIKTOK_HOOK), hook_request(), CONTEXT, writer, prompt_source)
    assert "did not fit the required shape: hook: Field required" in writer.prompts[1]
    assert (draft.input_tokens, draft.output_tokens, draft.latency_ms) == (200, 40, 10.0)


def test_a_writer_reporting_a_malformed_answer_gets_the_same_second_chance() -> None:
    writer = ScriptedWriter([MalformedAnswer("no tool call"), HOOK])
    generate(agent_for(AgentKind.TIKTOK_HOOK), hook_request(), CONTEXT, writer, prompt_source)
    assert "did not fit the required shape: no tool call" in writer.prompts[1]


def test_two_misfits_raise_a_readable_draft_error() -> None:
    writer = ScriptedWriter([{"hook": 5}, {"hook": "", "caption": "c", "hashtags": []}])
    with pytest.raises(DraftError) as raised:
        generate(agent_for(AgentKind.TIKTOK_HOOK), hook_request(), CONTEXT, writer, prompt_source)
    assert str(raised.value) == (
        "The model's answer did not fit a TikTok hook + caption twice: hook: String should have at least 1 "
        "character; hashtags: List should have at least 1 item after validation, not 0"
    )


def test_validation_names_each_bad_field() -> None:
    with pytest.raises(OutputInvalid) as raised:
        agent_for(AgentKind.TIKTOK_SCRIPT).validate(
            {"hook": "h", "beats": ["one"], "caption": "c", "hashtags": ["!!"], "extra": 1}
        )
    assert set(raised.value.errors) == {"beats", "hashtags", "extra"}
