"""`/content channels` and `/content check`: channels with their rules, and conflicting posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from core.accounts import Account
from core.audit import AuditEntry
from core.channels import Channel
from core.fingerprint import Conflict
from messages.accounts import account_line
from messages.blocks import context, escape, section

ELEMENT_EMOJI = {"air": ":wind_blowing_face:", "water": ":droplet:", "fire": ":fire:", "earth": ":seedling:"}


def channel_summary(channel: Channel, account: Account | None = None) -> str:
    emoji = ELEMENT_EMOJI[channel.element.value]
    hashtags = escape(" ".join(channel.hashtags)) or "none"
    return (
        f"{emoji} *{escape(channel.name)}* ({channel.element.label})\n"
        f"Account: {account_line(account, channel.account_status)}\n"
        f"Posting: {escape(channel.describe_rules())}\n"
        f"Hashtags: {hashtags}"
    )


# The audit's fields in the words the setup modal uses.
FIELD_WORDS = {
    "name": "name",
    "element": "element",
    "voice": "brand voice",
    "branding_template": "branding",
    "hashtags": "hashtags",
    "posting_mode": "posting mode",
    "windows": "posting windows",
    "daily_cap": "daily cap",
    "min_gap_minutes": "minimum gap (minutes)",
    "owner_user_id": "owner",
}


def describe_change(entry: AuditEntry) -> str:
    when = entry.at.strftime("%Y-%m-%d %H:%M UTC")
    if entry.before is None:
        return f"Created by <@{entry.user_id}> on {when}"
    changes = "; ".join(
        _before_after(name, entry.before.get(name), entry.after.get(name)) for name in entry.changed
    )
    return f"Last changed by <@{entry.user_id}> on {when}: {changes}"


def _before_after(name: str, before: Any, after: Any) -> str:
    if isinstance(before, dict) and isinstance(after, dict):
        parts = [
            f"{key.replace('_', ' ')} {_value(name, before.get(key))} → {_value(name, after.get(key))}"
            for key in dict.fromkeys([*before, *after])
            if before.get(key) != after.get(key)
        ]
        return f"{FIELD_WORDS.get(name, name)}: " + ", ".join(parts)
    return f"{FIELD_WORDS.get(name, name)} {_value(name, before)} → {_value(name, after)}"


def _value(name: str, value: Any) -> str:
    if value in (None, "", [], ()):
        return "(none)"
    if name == "owner_user_id":
        return f"<@{value}>"
    if isinstance(value, list | tuple):
        return escape(", ".join(str(v) for v in value))
    return escape(str(value))[:80]


def channels_blocks(
    channels: Sequence[Channel],
    changes: Mapping[int, AuditEntry],
    accounts: Mapping[int, Account] | None = None,
) -> list[Block]:
    if not channels:
        return [section("No channels yet. Run `contentbot seed` to create the four element channels.")]
    blocks: list[Block] = [HeaderBlock(text=f"Channels ({len(channels)})")]
    for channel in channels:
        account = (accounts or {}).get(channel.id) if channel.id is not None else None
        blocks.append(section(channel_summary(channel, account)))
        change = changes.get(channel.id) if channel.id is not None else None
        if change:
            blocks.append(context(describe_change(change)))
        blocks.append(DividerBlock())
    blocks.append(context("Edit one with `/content channel setup &lt;name&gt;`."))
    return blocks


def check_blocks(conflicts: Sequence[Conflict]) -> list[Block]:
    if not conflicts:
        return [section(":white_check_mark: No post on any channel repeats this text.")]
    lines = [
        f"• *post {c.post.post_id}* on *{escape(c.post.channel_name)}*: {escape(c.reason)}"
        for c in conflicts[:20]
    ]
    more = [context(f"and {len(conflicts) - 20} more")] if len(conflicts) > 20 else []
    return [section(":warning: This repeats content already on a channel:\n" + "\n".join(lines)), *more]
