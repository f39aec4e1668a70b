"""What a person types or picks in a modal (Slack-typed state entries), and what they read in blocks."""

from __future__ import annotations

from typing import Any


def text(value: str) -> dict[str, str]:
    return {"type": "plain_text_input", "value": value}


def select(value: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
    }


def options(element_type: str, *values: str) -> dict[str, Any]:
    chosen = [{"value": v, "text": {"type": "plain_text", "text": v}} for v in values]
    return {"type": element_type, "selected_options": chosen}


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every text a person reads in the blocks, buttons and options included."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                parts.append(node.get("text", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(parts)
