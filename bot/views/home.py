"""App Home: the live dashboard, one block of sections per channel."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.views.channels import channel_summary
from core.alert_lifecycle import Alert
from core.dashboard import ChannelBoard, Dashboard
from core.digest import PostLine, rate_change, signed_percent
from core.metrics import format_rate
from core.trends import Comparison
from messages.blocks import context, escape, section
from messages.posts import when

# A section holds 3,000 characters; an outage can fire an alert per post.
ALERTS_SHOWN = 8
ALERT_EMOJI = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}


def week_line(week: Comparison) -> str:
    """The last 7 days with the change against the 7 before."""
    now = week.current
    if not now.posts and not week.previous.posts:
        return "*Last 7 days:* no data yet"
    measured = f" over {now.posts} post{'s' if now.posts != 1 else ''}"
    return (
        f"*Last 7 days:* {now.views:,} views{signed_percent(week.views_change)} · "
        f"{now.saves:,} saves{signed_percent(week.saves_change)} · save rate "
        f"{format_rate(now.save_rate)}{rate_change(week.save_rate_change)}{measured} "
        "_(change against the 7 days before)_"
    )


def post_lines(title: str, lines: Sequence[PostLine]) -> str:
    shown = [
        f"• Post {p.post_id} “{escape(p.label)}”: +{p.views:,} views, save rate {format_rate(p.save_rate)}"
        for p in lines
    ]
    return f"*{title}:*\n" + "\n".join(shown)


def alert_lines(alerts: Sequence[Alert], shown: int = ALERTS_SHOWN) -> str:
    lines = [f"{ALERT_EMOJI[a.severity.value]} {escape(a.summary)}" for a in alerts[:shown]]
    if len(alerts) > shown:
        lines.append(f"…and {len(alerts) - shown} more: `/content alerts` lists them all.")
    return "\n".join(lines)


def channel_blocks(board: ChannelBoard, tz: ZoneInfo) -> list[Block]:
    next_posts = (
        "\n".join(
            f"• {when(p.scheduled_at, tz)} · post {p.id} ({p.status.value.replace('_', ' ')}) "
            f"“{escape(' '.join(p.caption.split())[:40])}”"
            for p in board.next_posts
        )
        or "• none scheduled"
    )
    blocks: list[Block] = [
        section(channel_summary(board.channel)),
        section(f"*Next posts* ({board.scheduled_this_week} this week):\n{next_posts}"),
        section(week_line(board.week)),
    ]
    if board.best:
        ranked = post_lines("Best this week", board.best)
        if board.worst:
            ranked += "\n" + post_lines("Worst this week", board.worst)
        blocks.append(section(ranked))
    if board.alerts:
        blocks.append(section(f"*Firing alerts:*\n{alert_lines(board.alerts)}"))
    reviews = board.pending_reviews
    blocks.append(context(f"Pending reviews: {reviews}" if reviews else "Pending reviews: none"))
    blocks.append(DividerBlock())
    return blocks


def home_view(board: Dashboard, tz: ZoneInfo) -> View:
    blocks: list[Block] = [HeaderBlock(text="contentbot dashboard")]
    if not board.channels:
        blocks.append(section("No channels yet. Run `contentbot seed` to create the four element channels."))
    for channel in board.channels:
        blocks += channel_blocks(channel, tz)
    if board.other_alerts:
        blocks.append(
            section(f"*Firing alerts about accounts and processes:*\n{alert_lines(board.other_alerts)}")
        )
    blocks.append(
        context(
            f"Pending reviews in all: {board.pending_reviews} · "
            f"views and saves as of {board.figures_as_of.astimezone(tz):%H:%M %Z}"
        )
    )
    # Settings that switch features off are said here too, so nobody wonders why.
    blocks += [context(f":information_source: {note}") for note in board.notes]
    return View(type="home", blocks=blocks)
