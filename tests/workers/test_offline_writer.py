"""The offline writer: every agent's schema filled from the library and the request, said as offline."""

from __future__ import annotations

import pytest

from core.agents import AgentKind, GenerationContext, GenerationRequest, Product, agent_for, generate
from core.channels import seed_channels
from core.elements import Element
from templates import load_library, prompt_source
from workers.offline_writer import OfflineWriter

WATER = next(c for c in seed_channels(load_library("channels")) if c.element is Element.WATER)
CONTEXT = GenerationContext(
    channel_name=WATER.name, element=WATER.element, voice=WATER.voice, hashtags=WATER.hashtags
)
SQUIRTERS = Product(
    "Sea Squirters Bath Set", "water play", ("6 squirting sea animals", "ages 1-4", "dries fast")
)


@pytest.mark.parametrize("agent", list(AgentKind))
def test_each_agent_gets_a_valid_offline_draft(agent: AgentKind) -> None:
    request = GenerationRequest(agent=agent, brief="bath time fun", product=SQUIRTERS)
    draft = generate(agent_for(agent), request, CONTEXT, OfflineWriter(request, CONTEXT), prompt_source)
    assert draft.offline and draft.input_tokens == 0
    text = " ".join(str(value) for value in draft.fields.values())
    assert "{{" not in text  # every template variable was filled, with a value or a visible gap


def test_product_facts_fill_the_templates() -> None:
    request = GenerationRequest(agent=AgentKind.TIKTOK_SHOP, brief="bath time fun", product=SQUIRTERS)
    draft = generate(
        agent_for(request.agent), request, CONTEXT, OfflineWriter(request, CONTEXT), prompt_source
    )
    assert draft.fields["title"].startswith("Sea Squirters Bath Set")
    assert "Ages 1-4" in draft.fields["title"]
    assert "6 squirting sea animals" in draft.fields["selling_points"]
    assert "supervision" in draft.fields["description"].lower()  # the water-play safety line


def test_ages_in_the_brief_are_used_when_no_product_gives_them() -> None:
    request = GenerationRequest(agent=AgentKind.BLOG_POST, brief="a stunt kite that loops, ages 8+")
    draft = generate(
        agent_for(request.agent), request, CONTEXT, OfflineWriter(request, CONTEXT), prompt_source
    )
    assert "Ages 8+" in draft.fields["body"]
