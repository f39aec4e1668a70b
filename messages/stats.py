"""`/content stats`: per-day series per channel, and the period's totals per template and experiment variant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from slack_sdk.models.blocks import Block, HeaderBlock

from core.metrics import format_rate
from core.trends import Series
from messages.blocks import context, escape, section

# What the stats of no one channel are titled.
EVERY_CHANNEL = "every channel"

# A section holds 3,000 characters; a code block of daily rows is cut into several sections.
SECTION_CHARS = 2800
KEY_CHARS = 28


def _table(rows: Sequence[str]) -> list[Block]:
    blocks: list[Block] = []
    chunk: list[str] = []
    for row in rows:
        if chunk and sum(len(r) + 1 for r in chunk) + len(row) > SECTION_CHARS:
            blocks.append(section("```" + "\n".join(chunk) + "```"))
            chunk = []
        chunk.append(escape(row))
    if chunk:
        blocks.append(section("```" + "\n".join(chunk) + "```"))
    return blocks


def _daily_rows(series: Sequence[Series]) -> list[str]:
    """One row per day: each series' views gained that day and its save rate."""
    days = [p.day for p in series[0].points] if series else []
    columns = []
    for line in series:
        cells = [
            f"{p.gain.views:,} · {format_rate(p.gain.save_rate) if p.gain.save_rate is not None else '–'}"
            for p in line.points
        ]
        width = max(len(cell) for cell in [line.key[:KEY_CHARS], *cells]) + 2
        columns.append([f"{line.key[:KEY_CHARS]:>{width}}", *(f"{cell:>{width}}" for cell in cells)])
    labels = ["day", *(f"{day:%a %d %b}" for day in days)]
    return [f"{label:<10}" + "".join(column[n] for column in columns) for n, label in enumerate(labels)]


def _totals_rows(series: Mapping[str, Series], start: date, end: date) -> list[str]:
    width = max(len(key[:KEY_CHARS]) for key in series)
    rows = [f"{'':<{width}} {'views':>10} {'saves':>8} {'save rate':>10}"]
    for key, line in sorted(series.items()):
        total = line.total(start, end)
        rows.append(
            f"{key[:KEY_CHARS]:<{width}} {total.views:>10,} {total.saves:>8,} {format_rate(total.save_rate):>10}"
        )
    return rows


def stats_message(
    title: str,
    start: date,
    end: date,
    channels: Mapping[str, Series],
    templates: Mapping[str, Series],
    variants: Mapping[str, Series],
) -> tuple[str, list[Block]]:
    """Fallback text and blocks; `title` names the channel (or all) and is escaped here."""
    heading = f"Stats for {title}, {start:%d %b} to {end:%d %b %Y}"
    blocks: list[Block] = [HeaderBlock(text=heading[:150])]
    lines = [channels[key] for key in sorted(channels)]
    if not any(p.gain.posts for line in lines for p in line.points):
        where = "on any channel" if title == EVERY_CHANNEL else f"on {escape(title)}"
        blocks.append(section(f"No posts {where} were measured in that period."))
        return heading, blocks
    blocks.append(section("*Per day* (views gained · save rate)"))
    blocks += _table(_daily_rows(lines))
    for name, series in (("channel", channels), ("template", templates), ("experiment variant", variants)):
        if series:
            blocks += [section(f"*Per {name}*"), *_table(_totals_rows(series, start, end))]
    blocks.append(
        context("Save rate counts only the views measured where saves were (CSV imports, Business API).")
    )
    return heading, blocks
