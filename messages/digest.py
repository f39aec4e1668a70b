"""The daily digest's message: the one builder for the scheduled post and `/content digest`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from core.digest import Digest, digest_text, rate_change, signed_percent
from core.metrics import format_rate
from messages.blocks import context, escape, section

# A section holds 3,000 characters: a bad day can raise an alert per post.
LINES_SHOWN = 10


def _capped(lines: list[str], more: str) -> str:
    shown = lines[:LINES_SHOWN]
    if len(lines) > LINES_SHOWN:
        shown.append(f"…and {len(lines) - LINES_SHOWN} more {more}.")
    return "\n".join(shown)


def digest_message(digest: Digest, tz: ZoneInfo) -> tuple[str, list[Block]]:
    """Fallback text and blocks for one day's digest."""
    text = digest_text(digest)
    blocks: list[Block] = [HeaderBlock(text=f"Daily digest · {digest.day:%A %d %B %Y}")]
    if not digest.has_data:
        blocks.append(
            section("No data for that day: no posts went out, none were measured, and no alerts were raised.")
        )
        blocks.append(context(f"Pending reviews: {digest.pending_reviews}"))
        return text, blocks
    channel_lines = []
    for c in digest.channels:
        day = c.comparison.current
        channel_lines.append(
            f"*{escape(c.channel)}*: {c.posts} post{'s' if c.posts != 1 else ''} · {day.views:,} views"
            f"{signed_percent(c.comparison.views_change)} · {day.saves:,} saves"
            f"{signed_percent(c.comparison.saves_change)} · save rate {format_rate(day.save_rate)}"
            f"{rate_change(c.comparison.save_rate_change)}"
        )
    blocks += [section("\n".join(channel_lines)), context("Changes are against the day before.")]
    if digest.top_posts:
        top = [
            f"• Post {p.post_id} on {escape(p.channel)} “{escape(p.label)}”: +{p.views:,} views "
            f"({p.total_views:,} in all), save rate {format_rate(p.save_rate)}"
            for p in digest.top_posts
        ]
        blocks.append(section("*Top posts*\n" + "\n".join(top)))
    if digest.problems:
        problems = [
            f"• Post {p.post_id} on {escape(p.channel)} “{escape(p.label)}”, due "
            f"{p.due_at.astimezone(tz):%H:%M}: *{p.problem}*" + (f" ({escape(p.detail)})" if p.detail else "")
            for p in digest.problems
        ]
        blocks.append(section("*Failed or late*\n" + _capped(problems, "posts")))
    if digest.alerts:
        alerts = [f"• [{a.severity.value}] {escape(a.summary)}: {a.state.value}" for a in digest.alerts]
        blocks.append(section("*Alerts raised*\n" + _capped(alerts, "alerts: `/content alerts`")))
    if digest.winners:
        winners = [
            f"• “{escape(w.experiment)}”: variant {escape(w.variant)} ({escape(w.metric)})"
            for w in digest.winners
        ]
        blocks.append(section("*Experiments with a winner*\n" + "\n".join(winners)))
    blocks += [DividerBlock(), context(f"Pending reviews: {digest.pending_reviews}")]
    return text, blocks
