"""`/content stats [channel|all] [period]`: the command answers at once; a worker posts the per-day tables
and uploads a real PNG chart through Slack's three-step upload."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.image import imread
from sqlalchemy import update

from contentbot.local import LocalBot
from core.metrics import MetricSnapshot
from standins.slack.model import Message
from storage.db import session_scope
from storage.metrics import record_snapshot
from storage.models import PostRow
from tests.factories import make_post

USER = "U0ALICE"
HERE = "C0CONTENT"
DAY = timedelta(days=1)


def published(
    bot: LocalBot, channel: str, caption: str, at: datetime, counts: list[tuple[datetime, int, int]]
) -> int:
    with session_scope(bot.settings.database_url) as session:
        post = make_post(session, channel, caption, at, status="published")
        session.execute(update(PostRow).where(PostRow.id == post).values(published_at=at))
        for taken, views, saves in counts:
            record_snapshot(session, MetricSnapshot(post, taken, views, saves=saves))
    return post


def posted(bot: LocalBot, count: int) -> list[Message]:
    """Run the queued jobs and wait for `count` messages here (a worker another test left dequeuing may
    have taken the job: the outcome is what counts)."""
    bot.run_jobs()
    return bot.standin.wait_for(
        lambda: len(found := bot.standin.messages(HERE)) == count and found, timeout=30
    )


def text_of(blocks: list[dict]) -> str:
    return "\n".join(
        b["text"]["text"] if isinstance(b.get("text"), dict) else str(b.get("text", "")) for b in blocks
    )


def test_stats_answers_at_once_and_a_worker_posts_the_tables_and_the_chart(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    published(bot, "Air", "kite", now - 5 * DAY, [(now - 4 * DAY, 1000, 20), (now - 2 * DAY, 3000, 60)])
    published(bot, "Fire", "racer", now - 3 * DAY, [(now - 2 * DAY, 500, 5)])
    reply = bot.workspace.slash(USER, "stats 7d").json()
    assert (
        reply["text"]
        == "Drawing the last 7 days for every channel: the tables and a chart arrive here in a moment."
    )
    # Nothing is drawn inside Slack's 3 s: it waits for a worker.
    assert bot.standin.messages(HERE) == [] and bot.standin.files() == []
    [message, share] = posted(bot, 2)
    text = text_of(message.blocks)
    assert "Stats for every channel" in text
    assert "*Per day* (views gained · save rate)" in text
    assert "Air" in text and "Fire" in text
    # The three steps of files_upload_v2, in order, against the stand-in.
    methods = [m for m, _ in bot.standin.calls() if m.startswith("files.")]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    [chart] = bot.standin.files()
    assert chart.content is not None and chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(chart.content) == chart.length
    assert imread(io.BytesIO(chart.content)).shape[:2] == (500, 1000)  # a real image, 1000×500
    assert chart.channel == HERE and share.files[0]["id"] == chart.id
    assert chart.title.startswith("Views per day per channel, every channel")


def test_stats_for_one_channel_keeps_to_its_posts(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    published(bot, "Water", "pool float", now - 3 * DAY, [(now - 2 * DAY, 800, 16)])
    published(bot, "Fire", "racer", now - 3 * DAY, [(now - 2 * DAY, 500, 5)])
    assert (
        bot.workspace.slash(USER, "stats water 2w")
        .json()["text"]
        .startswith("Drawing the last 14 days for Water")
    )
    [message, _share] = posted(bot, 2)
    text = text_of(message.blocks)
    assert "Stats for Water" in text and "800 · 2.00%" in text
    assert "Fire" not in text


def test_stats_of_a_period_without_data_says_so_and_draws_nothing(bot: LocalBot) -> None:
    bot.workspace.slash(USER, "stats Earth")
    [message] = posted(bot, 1)
    assert "No posts on Earth were measured in that period." in text_of(message.blocks)
    assert bot.standin.files() == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("stats Air 500d", "A period is at most 92 days; `500d` is 500."),
        ("stats Air soon", "`soon` is not a period: try `7d`, `2w`, `30`, `week` or `month`."),
        ("stats Airship", "`Airship` is not a channel"),
    ],
)
def test_stats_names_a_bad_argument_and_queues_nothing(bot: LocalBot, text: str, problem: str) -> None:
    reply = bot.workspace.slash(USER, text).json()
    assert reply["response_type"] == "ephemeral" and reply["text"].startswith(problem)
    assert not bot.run_jobs()
    assert bot.standin.messages(HERE) == []
