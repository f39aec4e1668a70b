"""Block Kit as a person reads it, in plain text: messages, modals and App Home for the console.

Pure functions: controls are numbered in the order `controls_of` lists them, so a number typed
back names one control.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from itertools import zip_longest
from typing import Any

from standins.slack import Ephemeral, Message, View, interactive_elements, state_key

RULE = "─" * 40

_MENTION = re.compile(r"<@(\w+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#(\w+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(\w+)(?:\|([^>]+))?>")
_LINK = re.compile(r"<([^<>|@#!][^<>|]*)(?:\|([^>]+))?>")


def render_mrkdwn(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack's markup made readable: mentions become @name, links `label (url)`; *bold* stays."""
    names = names or {}
    text = _MENTION.sub(lambda m: "@" + (m.group(2) or names.get(m.group(1), m.group(1))), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or names.get(m.group(1), m.group(1))), text)
    text = _SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    # Slack escapes only these three in message text.
    return html.unescape(text)


def text_of(obj: Mapping[str, Any] | None, names: Mapping[str, str] | None = None) -> str:
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return render_mrkdwn(obj.get("text", ""), names)
    return str(obj.get("text", ""))


def options_of(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    groups = element.get("option_groups") or []
    return list(element.get("options") or [o for g in groups for o in g.get("options", [])])


def _control(number: int, element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        style = f" ({element['style']})" if element.get("style") else ""
        asks = " (asks first)" if element.get("confirm") else ""
        return f"[{number}] {text_of(element.get('text'))}{style}{asks}"
    if kind in ("static_select", "overflow", "radio_buttons", "checkboxes"):
        label = text_of(element.get("placeholder")) or "choose"
        choices = " ".join(f"({i}) {text_of(o.get('text'))}" for i, o in enumerate(options_of(element), 1))
        return f"[{number}] {label} ▾ {choices}"
    return f"[{number}] <{kind}>"


def _rich_text(element: Mapping[str, Any]) -> str:
    if "elements" in element:
        return "".join(_rich_text(e) for e in element["elements"])
    if element.get("type") == "user":
        return f"@{element.get('user_id', '')}"
    if element.get("type") == "link":
        return element.get("text") or element.get("url", "")
    return str(element.get("text", ""))


def _columns(fields: list[str], width: int = 38) -> list[str]:
    rows = []
    for i in range(0, len(fields), 2):
        left = fields[i].splitlines()
        right = fields[i + 1].splitlines() if i + 1 < len(fields) else []
        rows.extend(f"{a:<{width}}  {b}".rstrip() for a, b in zip_longest(left, right, fillvalue=""))
    return rows


def value_text(entry: Mapping[str, Any] | None, names: Mapping[str, str]) -> str:
    if not entry:
        return "(empty)"
    value = entry.get(state_key(entry["type"])) if entry.get("type") else None
    if value in (None, "", []):
        return "(empty)"
    items = value if isinstance(value, list) else [value]
    shown = [
        (v.get("name") or "file")
        if isinstance(v, dict) and entry.get("type") == "file_input"
        else text_of(v.get("text"))
        if isinstance(v, dict)
        else names.get(str(v), str(v))
        for v in items
    ]
    return ", ".join(shown)


def render_blocks(
    blocks: Iterable[Mapping[str, Any]],
    *,
    names: Mapping[str, str] | None = None,
    start: int = 1,
    state: Mapping[str, Mapping[str, Any]] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """Block Kit as lines of text; controls are numbered from `start` in `controls_of` order."""
    names = names or {}
    number = start
    field = 0
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(text_of(block.get("text")).upper())
        elif kind == "section":
            if block.get("text"):
                lines.extend(text_of(block["text"], names).splitlines() or [""])
            lines.extend(_columns([text_of(f, names) for f in block.get("fields") or []]))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "image":
                lines.append(f"[image: {accessory.get('alt_text', '')}]")
            elif accessory:
                lines.append("  " + _control(number, accessory))
                number += 1
        elif kind == "context":
            parts = [
                text_of(e, names) if "text" in e else f"[image: {e.get('alt_text', '')}]"
                for e in block["elements"]
            ]
            lines.append("(" + " · ".join(parts) + ")")
        elif kind == "divider":
            lines.append(RULE)
        elif kind == "image":
            title = f" {text_of(block['title'])}" if block.get("title") else ""
            lines.append(f"[image: {block.get('alt_text', '')}]{title}")
        elif kind == "actions":
            controls = []
            for element in block.get("elements") or []:
                controls.append(_control(number, element))
                number += 1
            lines.append("  ".join(controls))
        elif kind == "input":
            field += 1
            element = block.get("element") or {}
            need = "optional" if block.get("optional") else "required"
            head = f"#{field} {text_of(block.get('label'))} ({need})"
            if options_of(element):
                head += " ▾ " + " ".join(
                    f"({i}) {text_of(o.get('text'))}" for i, o in enumerate(options_of(element), 1)
                )
            lines.append(head)
            if block.get("hint"):
                lines.append(f"   {text_of(block['hint'])}")
            entry = (state or {}).get(block.get("block_id", ""), {}).get(element.get("action_id", ""))
            lines.append("   = " + value_text(entry, names).replace("\n", "\n     "))
            error = (errors or {}).get(block.get("block_id", ""))
            if error:
                lines.append(f"   ! {error}")
        elif kind == "rich_text":
            lines.extend(_rich_text(block).splitlines())
        else:
            lines.append(f"[{kind} block]")
    return "\n".join(lines)


def controls_of(blocks: Iterable[Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(block_id, element) for each pressable control, in the order `render_blocks` numbers them."""
    found = []
    for block in blocks:
        if block.get("type") in ("section", "actions"):
            found.extend(
                (block.get("block_id", ""), e)
                for e in interactive_elements(block)
                if e.get("type") != "image"
            )
    return found


def render_message(
    message: Message | Ephemeral, *, names: Mapping[str, str] | None = None, start: int = 1, label: str = ""
) -> str:
    """A message with a one-line heading: who wrote it, where, and whether only you can see it."""
    names = names or {}
    author = names.get(message.user, message.user) if isinstance(message, Message) else "contentbot"
    heading = f"{label} · {author}" if label else author
    if isinstance(message, Ephemeral):
        heading += " (only visible to you)"
    elif message.edited:
        heading += " (edited)"
    if message.thread_ts and message.thread_ts != message.ts:
        heading = "↳ " + heading
    body = (
        render_blocks(message.blocks, names=names, start=start)
        if message.blocks
        else render_mrkdwn(message.text, names)
    )
    if isinstance(message, Message):
        body += "".join(f"\n[file: {f['name']} “{f['title']}”]" for f in message.files)
    return heading + "\n" + _indent(body)


def render_view(view: View, *, names: Mapping[str, str] | None = None, start: int = 1) -> str:
    """A modal or App Home, framed, with its inputs' current values and any errors under them."""
    definition = view.definition
    title = "App Home" if view.type == "home" else f"Modal: {text_of(definition.get('title'))}"
    body = render_blocks(view.blocks, names=names, start=start, state=view.state, errors=view.errors)
    lines = [f"┌ {title}", _indent(body, "│ ")]
    if view.type == "modal":
        buttons = []
        if definition.get("submit"):
            buttons.append(f"[submit] {text_of(definition['submit'])}")
        buttons.append(f"[cancel] {text_of(definition.get('close')) or 'Close'}")
        lines.append("└ " + "  ".join(buttons))
    else:
        lines.append("└")
    return "\n".join(lines)


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else prefix.rstrip() for line in text.splitlines())
