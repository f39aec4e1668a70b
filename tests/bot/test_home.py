"""App Home: per channel the next posts, the last 7 days against the 7 before, best and worst posts,
firing alerts, pending reviews, and the parts switched off for want of a setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from contentbot.local import LocalBot
from core.alerts import Condition, Route, Severity
from core.metrics import MetricSnapshot
from standins.slack.model import View
from storage.alerts import acknowledge_alert, sweep
from storage.channels import get_channel
from storage.contents import create_content
from storage.db import session_scope
from storage.metrics import record_snapshot
from storage.models import PostRow
from tests.factories import make_post
from workers.dashboard import schedule_refresh, weeks_key

USER = "U0ALICE"
DAY = timedelta(days=1)


def home_blocks(bot: LocalBot) -> list[str]:
    """The text of each block of the published Home view, in order."""
    before = bot.standin.home(USER)
    bot.workspace.open_home(USER)
    # Each opening publishes anew: wait for this one, not an earlier one.
    home = bot.standin.wait_for(lambda: _newer(bot.standin.home(USER), before))
    assert home is not None
    texts = []
    for block in home.blocks:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        else:
            texts.append(" ".join(element.get("text", "") for element in block.get("elements", [])))
    return texts


def _newer(view: View | None, before: View | None) -> View | None:
    return view if view is not before else None


def channel_part(blocks: list[str], channel: str) -> str:
    """The blocks of one channel's part, from its summary to the next divider (an empty text)."""
    start = next(i for i, text in enumerate(blocks) if f"*{channel}*" in text)
    end = blocks.index("", start)
    return "\n".join(blocks[start:end])


def test_home_before_any_post_says_so_and_names_what_is_switched_off(bot: LocalBot) -> None:
    blocks = home_blocks(bot)
    text = "\n".join(blocks)
    assert text.count("*Last 7 days:* no data yet") == 4
    assert text.count("• none scheduled") == 4
    assert text.count("Pending reviews: none") == 4
    assert "Account: not connected" in text
    # The local bot has no SMTP_URL and no Anthropic key: those parts are off, and the home says why.
    assert "SMTP_URL is not set" in text
    assert "ANTHROPIC_API_KEY is not set" in text


def publish(bot: LocalBot, channel: str, caption: str, at: datetime) -> int:
    with session_scope(bot.settings.database_url) as session:
        post = make_post(session, channel, caption, at, status="published")
        session.execute(update(PostRow).where(PostRow.id == post).values(published_at=at))
    return post


def measure(bot: LocalBot, post: int, at: datetime, views: int, saves: int | None) -> None:
    with session_scope(bot.settings.database_url) as session:
        record_snapshot(session, MetricSnapshot(post, at, views, saves=saves))


def test_home_shows_each_channels_week_against_the_one_before(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    kite = publish(bot, "Air", "kite that loops", now - 20 * DAY)
    glider = publish(bot, "Air", "glider for the park", now - 3 * DAY)
    flop = publish(bot, "Air", "balloon pump", now - 2 * DAY)
    measure(bot, kite, now - 15 * DAY, 1000, 10)  # before both weeks: the baseline
    measure(bot, kite, now - 8 * DAY, 3000, 50)  # the week before: +2000 views, +40 saves
    measure(bot, kite, now - 1 * DAY, 4000, 60)  # this week: +1000, +10
    measure(bot, glider, now - 2 * DAY, 5000, 200)  # this week: +5000, +200
    measure(bot, flop, now - DAY, 10, 0)  # this week: +10
    with session_scope(bot.settings.database_url) as session:
        make_post(session, "Air", "next kite", now + 2 * DAY)
        make_post(session, "Air", "a later kite", now + 3 * DAY)
        make_post(session, "Air", "a cancelled kite", now + DAY, status="cancelled")
        air = get_channel(session, "Air")
        assert air is not None
        create_content(session, agent="tiktok_hook", channel_id=air.id, requester_id=USER, status="in_review")
        create_content(session, agent="tiktok_hook", channel_id=None, requester_id=USER, status="in_review")
    blocks = home_blocks(bot)
    air_part = channel_part(blocks, "Air")
    # 6010 views against 2000: +200%; 210 saves against 40: +425%; save rate 210/6010 against 40/2000.
    assert (
        "*Last 7 days:* 6,010 views (+200%) · 210 saves (+425%) · save rate 3.49% (+1.49 pts) over 3 posts"
        in air_part
    )
    assert air_part.index("“next kite”") < air_part.index("“a later kite”")
    assert "cancelled kite" not in air_part
    assert "*Best this week:*\n• Post 2 “glider for the park”: +5,000 views, save rate 4.00%" in air_part
    assert "*Worst this week:*\n• Post 3 “balloon pump”: +10 views, save rate 0.00%" in air_part
    assert "Pending reviews: 1" in air_part
    assert "Pending reviews in all: 2" in "\n".join(blocks)
    assert "*Last 7 days:* no data yet" in channel_part(blocks, "Water")


def test_home_lists_firing_alerts_under_their_channel(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    post = publish(bot, "Fire", "race car", now - DAY)
    conditions = [
        Condition(
            "zero_views",
            f"post:{post}",
            Severity.CRITICAL,
            (Route.CHANNEL,),
            "Post zero has 0 views",
            post_id=post,
        ),
        Condition(
            "token_revoked", "channel:Water", Severity.WARNING, (Route.CHANNEL,), "Water's token was revoked"
        ),
        Condition(
            "process_silent", "process:clock", Severity.CRITICAL, (Route.CHANNEL,), "The clock is silent"
        ),
        Condition("post_failed", "post:999", Severity.WARNING, (Route.CHANNEL,), "Handled already"),
    ]
    with session_scope(bot.settings.database_url) as session:
        sweep(session, conditions, now)
        assert acknowledge_alert(session, "post_failed:post:999", USER, now) is not None
    blocks = home_blocks(bot)
    assert "*Firing alerts:*\n:rotating_light: Post zero has 0 views" in channel_part(blocks, "Fire")
    assert "*Firing alerts:*\n:warning: Water's token was revoked" in channel_part(blocks, "Water")
    text = "\n".join(blocks)
    assert "*Firing alerts about accounts and processes:*\n:rotating_light: The clock is silent" in text
    assert "Handled already" not in text  # acknowledged: someone is on it


def test_home_reads_the_figures_the_minutely_refresh_kept(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    kite = publish(bot, "Air", "kite that loops", now - 3 * DAY)
    measure(bot, kite, now - 2 * DAY, 1000, 10)
    connection = bot.services.redis
    assert connection is not None
    # The clock queues one refresh a minute, whatever the number of ticks; a worker keeps the figures.
    assert schedule_refresh(connection, bot.settings.database_url, now) is not None
    assert bot.run_jobs()
    assert schedule_refresh(connection, bot.settings.database_url, now + timedelta(seconds=5)) is None
    assert connection.get(weeks_key(bot.settings.database_url)) is not None
    measure(bot, kite, now - DAY, 5000, 50)
    # Renders read what was kept (metrics move every few minutes at most) ...
    assert "*Last 7 days:* 1,000 views" in channel_part(home_blocks(bot), "Air")
    # ... and work the figures out themselves when nothing is kept.
    connection.delete(weeks_key(bot.settings.database_url))
    assert "*Last 7 days:* 5,000 views" in channel_part(home_blocks(bot), "Air")
