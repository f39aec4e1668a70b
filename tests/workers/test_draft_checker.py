"""The Claude checker against the Anthropic stand-in (the real SDK over loopback HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.agents import Product
from core.draft_checks import DraftText
from standins.anthropic import AnthropicStandIn
from workers.draft_checker import TOOL_NAME, check_draft
from workers.llm import ClaudeClient

API_KEY = "test-key"
BOAT = Product(
    "Tidepool Bath Boat", "Toys > Bath", ("Floats and squirts water", "BPA-free plastic"), age_grade="3+"
)
DRAFT = DraftText(
    caption="Cheap fun! Your little captain will learn to swim with it, and it is BPA-free.",
    hashtags=("#BathToys",),
    product=BOAT,
    avoid_words=("cheap",),
)


@pytest.fixture
def client(claude: AnthropicStandIn) -> Iterator[ClaudeClient]:
    with ClaudeClient(
        api_key=API_KEY, model="claude-sonnet-5-5", base_url=claude.base_url, timeout=5.0, max_retries=0
    ) as running:
        yield running


def test_claude_adds_what_rules_cannot_judge_and_says_it_did(
    claude: AnthropicStandIn, client: ClaudeClient
) -> None:
    claude.reply_tool(
        {
            "findings": [
                {
                    "flag": "unsubstantiated_claim",
                    "reason": "An educational benefit the facts do not state.",
                    "evidence": "will learn to swim with it",
                }
            ]
        }
    )
    checks = check_draft(DRAFT, client)

    assert [(f.flag, f.evidence, f.checker) for f in checks.findings] == [
        ("avoid_word", "Cheap", "rules"),
        ("unsubstantiated_claim", "will learn to swim with it", "claude"),
    ]
    assert checks.checkers == ("rules", "claude") and checks.notes == ()
    [call] = claude.requests
    assert call.body["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    prompt = call.body["messages"][0]["content"]
    assert "- avoid_word: “Cheap”" in prompt  # the rule findings are its input
    assert "Age grade: 3+" in prompt and "- BPA-free plastic" in prompt
    assert DRAFT.caption in prompt


def test_a_finding_that_does_not_quote_the_draft_is_dropped(
    claude: AnthropicStandIn, client: ClaudeClient
) -> None:
    claude.reply_tool(
        {
            "findings": [
                {"flag": "unsafe_use", "reason": "Invented.", "evidence": "swim in the deep end alone"},
                {"flag": "no_such_flag", "reason": "Not a flag.", "evidence": "Cheap fun"},
                {"flag": "avoid_word", "reason": "Again.", "evidence": "Cheap"},  # the rules' already
            ]
        }
    )
    checks = check_draft(DRAFT, client)
    assert [(f.flag, f.checker) for f in checks.findings] == [("avoid_word", "rules")]


def test_when_claude_cannot_answer_the_rule_findings_stand_and_say_why(
    claude: AnthropicStandIn, client: ClaudeClient
) -> None:
    claude.server_error()
    checks = check_draft(DRAFT, client)
    assert [f.flag for f in checks.findings] == ["avoid_word"]
    assert checks.checkers == ("rules",)
    assert len(checks.notes) == 1 and checks.notes[0].startswith(
        "Claude could not check it: Claude had a server error (500)"
    )


def test_without_a_client_the_rules_alone(claude: AnthropicStandIn) -> None:
    checks = check_draft(DRAFT, None)
    assert checks.checkers == ("rules",) and claude.requests == []
