"""Which element a draft gets: the rules first; Claude only when they cannot decide; else the channel's."""

from __future__ import annotations

from contentbot.local import LocalBot
from standins.anthropic import AnthropicStandIn
from storage.db import session_scope
from storage.models import ContentRow
from tests.generation_helpers import request

# A draft with no word the element rules know: they cannot decide.
NEUTRAL = {
    "hook": "Guess what arrived today?",
    "caption": "Our team opened the box and could not stop smiling. Would you keep it or gift it?",
    "hashtags": ["#toys", "#giftideas"],
}


def element_of(bot: LocalBot, content_id: int) -> tuple[str, str]:
    with session_scope(bot.settings.database_url) as session:
        row = session.get_one(ContentRow, content_id)
        return row.element or "", row.element_reason or ""


def element_calls(claude: AnthropicStandIn) -> int:
    return sum(1 for r in claude.requests if r.body.get("tool_choice", {}).get("name") == "choose_element")


def test_the_rules_decide_without_asking_claude(claude_bot: LocalBot, claude: AnthropicStandIn) -> None:
    claude.reply_tool({**NEUTRAL, "caption": "A water blaster for the pool: soak the whole family."})
    request(claude_bot, "hook Fire summer fun")
    claude_bot.run_jobs()
    element, reason = element_of(claude_bot, 1)
    assert element == "water" and "water" in reason.lower()
    assert element_calls(claude) == 0


def test_claude_places_what_the_rules_cannot(claude_bot: LocalBot, claude: AnthropicStandIn) -> None:
    claude.reply_tool(NEUTRAL)
    claude.reply_tool({"element": "earth", "reason": "an unboxing of a building set suits builders"})
    request(claude_bot, "hook Fire something new")
    claude_bot.run_jobs()
    element, reason = element_of(claude_bot, 1)
    assert element == "earth"
    assert reason.endswith("Claude chose: an unboxing of a building set suits builders")
    assert element_calls(claude) == 1


def test_when_claude_cannot_answer_the_channel_element_is_kept(
    claude_bot: LocalBot, claude: AnthropicStandIn
) -> None:
    claude.reply_tool(NEUTRAL)
    claude.overloaded(retry_after=0.01, times=5)
    request(claude_bot, "hook Fire something new")
    claude_bot.run_jobs()
    element, reason = element_of(claude_bot, 1)
    assert element == "fire" and "so the channel's element, Fire" in reason
