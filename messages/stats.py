"""`/content stats`: per-day series per channel, and the period's totals per template and experiment variant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from slack_sdk.models.blocks import Block, HeaderBlock

from core.metrics import format_rate
from core.trends import Series
from messages.blocks import context, escape, section

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
    width = max([12, *(len(s.key[:KEY_CHARS]) for s in series)])
    header = "day        " + "".join(f"{s.key[:KEY_CHARS]:>{width}}" for s in series)
    rows = [header]
    for n, point in enumerate(series[0].points if series else ()):
        cells = []
        for line in series:
            gain = line.points[n].gain
            rate = format_rate(gain.save_rate) if gain.save_rate is not None else "–"
            cells.append(f"{f'{gain.views:,} · {rate}':>{width}}")
        rows.append(f"{point.day:%a %d %b} " + "".join(cells))
    return rows


def _totals_rows(series: Mapping[str, Series], start: date, end: date) -> list[str]:
    rows = [f"{'':<{KEY_CHARS}} {'posts·days':>10} {'views':>10} {'saves':>8} {'save rate':>10}"]
    for key, line in sorted(series.items()):
        total = line.total(start, end)
        rows.append(
            f"{key[:KEY_CHARS]:<{KEY_CHARS}} {total.posts:>10,} {total.views:>10,} {total.saves:>8,} "
            f"{format_rate(total.save_rate):>10}"
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
        blocks.append(section(f"No posts of {escape(title)} were measured in that period."))
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
