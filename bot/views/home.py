"""App Home: the live dashboard, one section per channel."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.views.channels import channel_summary
from bot.views.common import context, section
from core.channels import Channel


def home_view(channels: Sequence[Channel], notes: Sequence[str] = ()) -> View:
    blocks: list[Block] = [HeaderBlock(text="contentbot dashboard")]
    if not channels:
        blocks.append(section("No channels yet. Run `contentbot seed` to create the four element channels."))
    for channel in channels:
        blocks += [section(channel_summary(channel)), DividerBlock()]
    # Settings that switch features off are said here too, so nobody wonders why.
    blocks += [context(f":information_source: {note}") for note in notes]
    return View(type="home", blocks=blocks)
