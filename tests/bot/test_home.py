"""App Home: each channel with its rules, posts scheduled this week and the 7-day save rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contentbot.local import LocalBot
from core.metrics import MetricSnapshot
from storage.db import session_scope
from storage.metrics import record_snapshot
from tests.factories import make_post

USER = "U0ALICE"


def home_blocks(bot: LocalBot) -> list[str]:
    """The text of each block of the published Home view, in order."""
    bot.workspace.open_home(USER)
    home = bot.standin.wait_for(lambda: bot.standin.home(USER))
    texts = []
    for block in home.blocks:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        else:
            texts.append(" ".join(element.get("text", "") for element in block.get("elements", [])))
    return texts


def stats_of(blocks: list[str], channel: str) -> str:
    """The line under a channel's section."""
    index = next(i for i, text in enumerate(blocks) if f"*{channel}*" in text)
    return blocks[index + 1]


def home_text(bot: LocalBot) -> str:
    return "\n".join(home_blocks(bot))


def test_home_says_no_data_yet_before_any_post(bot: LocalBot) -> None:
    text = home_text(bot)
    assert text.count("Scheduled this week: 0 · Save rate (7 days): no data yet") == 4
    assert "Account: not connected" in text


def test_home_counts_this_weeks_posts_and_the_save_rate(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    with session_scope(bot.settings.database_url) as session:
        published = make_post(
            session, "Fire", "race day caption", now - timedelta(days=1), status="published"
        )
        make_post(session, "Fire", "second race caption", now)
        make_post(session, "Fire", "a cancelled caption", now, status="cancelled")
        record_snapshot(session, MetricSnapshot(published, now - timedelta(hours=2), views=2000, saves=50))
        old = make_post(session, "Earth", "old caption", now - timedelta(days=30), status="published")
        record_snapshot(session, MetricSnapshot(old, now - timedelta(days=20), views=900, saves=90))
    blocks = home_blocks(bot)
    fire_stats = stats_of(blocks, "Fire")
    # Yesterday may fall in last week on a Monday: the count is this week's posts only.
    expected = 2 if (now - timedelta(days=1)).isocalendar()[1] == now.isocalendar()[1] else 1
    assert fire_stats == (
        f"Scheduled this week: {expected} · Save rate (7 days): 2.50% over 1 post · Views (7 days): 2,000"
    )
    assert "Save rate (7 days): no data yet" in stats_of(blocks, "Earth")
