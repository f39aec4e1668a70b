"""App Home: the live dashboard, one section per channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.views.channels import channel_summary
from core.channels import Channel
from core.metrics import Totals, format_rate
from messages.blocks import context, section


@dataclass(frozen=True)
class ChannelStats:
    scheduled_this_week: int
    last_7_days: Totals


def stats_line(stats: ChannelStats | None) -> str:
    if stats is None:
        return "Scheduled this week: 0 · Save rate (7 days): no data yet"
    totals = stats.last_7_days
    measured = f" over {totals.posts} post{'s' if totals.posts != 1 else ''}" if totals.posts else ""
    return (
        f"Scheduled this week: {stats.scheduled_this_week} · "
        f"Save rate (7 days): {format_rate(totals.save_rate)}{measured} · Views (7 days): {totals.views:,}"
    )


def home_view(
    channels: Sequence[Channel], stats: Mapping[int, ChannelStats], notes: Sequence[str] = ()
) -> View:
    blocks: list[Block] = [HeaderBlock(text="contentbot dashboard")]
    if not channels:
        blocks.append(section("No channels yet. Run `contentbot seed` to create the four element channels."))
    for channel in channels:
        blocks += [
            section(channel_summary(channel)),
            context(stats_line(stats.get(channel.id) if channel.id is not None else None)),
            DividerBlock(),
        ]
    # Settings that switch features off are said here too, so nobody wonders why.
    blocks += [context(f":information_source: {note}") for note in notes]
    return View(type="home", blocks=blocks)
