"""A week's worth of bulk rows, and more: approved content with distinct captions on each channel, the
channels' rules opened up so 1,000 rows fit, and the CSV that schedules them (tests and benchmarks)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import update

from storage.channels import get_channel
from storage.contents import add_version, create_content
from storage.db import session_scope
from storage.models import ChannelRow

CHANNELS = ("Air", "Water", "Fire", "Earth")
PER_DAY = 15
# Made-up words: captions drawn from them are far apart, so no two rows look like the same content.
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def open_up(database_url: str, *, mode: str = "direct") -> None:
    """Every channel takes PER_DAY posts a day, an hour apart, at any hour, in `mode`."""
    with session_scope(database_url) as session:
        session.execute(
            update(ChannelRow).values(windows=[], daily_cap=PER_DAY, min_gap_minutes=60, posting_mode=mode)
        )


def approved_contents(database_url: str, count: int, *, seed: int = 7) -> list[tuple[int, str]]:
    """`count` approved captions, channels in turn; (content id, channel name) each."""
    rng = random.Random(seed)
    made = []
    with session_scope(database_url) as session:
        channels = {name: get_channel(session, name) for name in CHANNELS}
        for index in range(count):
            channel = channels[CHANNELS[index % len(CHANNELS)]]
            assert channel is not None and channel.id is not None
            content = create_content(
                session,
                agent="tiktok_hook",
                channel_id=channel.id,
                brief="bulk",
                requester_id="U0ALICE",
                status="approved",
                element=channel.element.value,
            )
            caption = " ".join("".join(rng.choices(_LETTERS, k=7)) for _ in range(12))
            add_version(session, content.id, {"caption": caption}, author_kind="person", author_id="U0ALICE")
            made.append((content.id, channel.name))
    return made


def csv_rows(contents: list[tuple[int, str]], start: datetime) -> list[str]:
    """A header and one line per content: PER_DAY a day on each channel from `start`, an hour apart."""
    lines = ["content,channel,time,products,privacy"]
    seen: dict[str, int] = {}
    for content_id, channel in contents:
        k = seen.get(channel, 0)
        seen[channel] = k + 1
        at = start + timedelta(days=k // PER_DAY, hours=k % PER_DAY)
        lines.append(f"{content_id},{channel},{at:%Y-%m-%d %H:%M},,public")
    return lines
