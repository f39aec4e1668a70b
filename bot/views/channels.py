"""`/content channels`: the channels with element, account and posting rules."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.views.common import context, section
from core.channels import Channel

ELEMENT_EMOJI = {"air": ":wind_blowing_face:", "water": ":droplet:", "fire": ":fire:", "earth": ":seedling:"}


def channel_summary(channel: Channel) -> str:
    emoji = ELEMENT_EMOJI[channel.element.value]
    hashtags = " ".join(channel.hashtags) or "none"
    return (
        f"{emoji} *{channel.name}* ({channel.element.label})\n"
        f"Account: {channel.account_status}\n"
        f"Posting: {channel.describe_rules()}\n"
        f"Hashtags: {hashtags}"
    )


def channels_blocks(channels: Sequence[Channel]) -> list[Block]:
    if not channels:
        return [section("No channels yet. Run `contentbot seed` to create the four element channels.")]
    blocks: list[Block] = [HeaderBlock(text=f"Channels ({len(channels)})")]
    for channel in channels:
        blocks += [section(channel_summary(channel)), DividerBlock()]
    blocks.append(context("Edit one with `/content channel setup <name>`."))
    return blocks
