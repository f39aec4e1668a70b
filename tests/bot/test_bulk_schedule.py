"""`/content schedule bulk`, driven as Slack drives it: the modal, a CSV shared in it (downloaded from
the Slack stand-in with the bot token) or rows pasted, the check in a worker job on RQ with its
progress in the sender's DM, all rows or none, and one Undo for the batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from config.settings import Settings
from contentbot.local import LocalBot
from core.metrics import MetricsFileError
from core.posts import PostStatus
from standins.slack import Message
from storage.contents import add_version, latest_version
from storage.db import session_scope
from storage.models import BulkBatchRow, ChannelRow, PostRow
from tests.bot.slack_inputs import all_text
from tests.bulk_rows import approved_contents, csv_rows, open_up
from tests.generation_helpers import REQUESTER, REVIEWER, start_bot
from workers.bulk import download


@pytest.fixture
def bot(database_url: str, redis_conn, tmp_path: Path):  # type: ignore[no-untyped-def]
    local = start_bot(database_url, redis_conn, sandbox_dir=str(tmp_path / "sandbox"))
    open_up(database_url)
    yield local
    local.close()


def send(
    bot: LocalBot, *, csv: bytes | None = None, pasted: str | None = None, user: str = REVIEWER
) -> Message:
    """Open the modal, share the file or paste the rows, submit, run the job; the batch's message."""
    assert bot.workspace.slash(user, "schedule bulk").status == 200
    view = bot.standin.modals(user)[-1]
    values: dict = {}
    if csv is not None:
        shared = bot.standin.attach_file(user, "week.csv", csv)
        values["file"] = {"file": {"type": "file_input", "files": [shared]}}
    if pasted is not None:
        values["rows"] = {"rows": {"type": "plain_text_input", "value": pasted}}
    reply = bot.workspace.submit(user, view.id, values)
    assert reply.status == 200 and not reply.errors, reply.errors
    bot.run_jobs()
    return bot.standin.messages(bot.standin.dm_channel(user))[-1]


def text_of(message: Message) -> str:
    return all_text(message.blocks)


def post_count(bot: LocalBot, *statuses: PostStatus) -> int:
    query = select(func.count()).select_from(PostRow)
    if statuses:
        query = query.where(PostRow.status.in_([s.value for s in statuses]))
    with session_scope(bot.settings.database_url) as session:
        return session.scalar(query) or 0


def start_day() -> datetime:
    tomorrow = datetime.now(UTC).date() + timedelta(days=2)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 6, tzinfo=UTC)


def test_a_bad_line_537_of_1000_schedules_nothing_and_names_it_then_the_fixed_file_schedules_all(
    bot: LocalBot,
) -> None:
    lines = csv_rows(approved_contents(bot.settings.database_url, 1000), start_day())
    good = lines[536]
    content_id, channel, at, products, privacy = good.split(",")
    lines[536] = f"{content_id},{channel},{at[:10]} 25:00,{products},{privacy}"

    refused = send(bot, csv="\n".join(lines).encode())

    assert "nothing was scheduled" in text_of(refused)
    assert "line 537, column time: `25:00` is not a time of day" in text_of(refused)
    assert text_of(refused).count("line ") == 1
    assert post_count(bot) == 0
    with session_scope(bot.settings.database_url) as session:
        assert session.scalar(select(BulkBatchRow.status)) == "refused"
    # The file came from url_private with the bot token; the DM message moved in place while checking.
    assert bot.standin.calls("files-pri")
    updates = [args for _, args in bot.standin.calls("chat.update") if args["ts"] == refused.ts]
    assert any("checking row 250 of 999" in str(args["blocks"]) for args in updates)

    lines[536] = good
    scheduled = send(bot, csv="\n".join(lines).encode())

    text = text_of(scheduled)
    assert "scheduled 1,000 post(s)" in text
    assert "line 2 · post " in text and "…and 975 more" in text
    assert "Undo" in text
    assert post_count(bot, PostStatus.SCHEDULED) == 1000
    with session_scope(bot.settings.database_url) as session:
        assert session.scalar(select(func.count(func.distinct(PostRow.batch_id)))) == 1


def test_a_batch_that_conflicts_with_itself_is_refused_whole_with_every_line_named(bot: LocalBot) -> None:
    url = bot.settings.database_url
    contents = approved_contents(url, 24)
    air = [c for c, name in contents if name == "Air"]
    fire = [c for c, name in contents if name == "Fire"]
    earth = [c for c, name in contents if name == "Earth"]
    with session_scope(url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == "Fire").values(daily_cap=2))
        session.execute(update(ChannelRow).where(ChannelRow.name == "Earth").values(posting_mode="draft"))
    day = start_day()

    def at(hours: float) -> str:
        return f"{day + timedelta(hours=hours):%Y-%m-%d %H:%M}"

    pasted = "\n".join(
        [
            f"{air[0]}, Air, {at(0)}, , public",
            f"{air[1]}, Air, {at(0.5)}, , public",  # line 2: 30 min after line 1, the gap is 60
            f"{air[0]}, Water, {at(3)}, , public",  # line 3: line 1's content on a second channel
            f"{fire[0]}, Fire, {at(1)}, , public",
            f"{fire[1]}, Fire, {at(3)}, , public",
            f"{fire[2]}, Fire, {at(5)}, , public",  # line 6: a third post on Fire, whose cap is 2
            # lines 7-12: six inbox drafts on Earth within ten hours
            *(f"{content_id}, Earth, {at(2 * i)}" for i, content_id in enumerate(earth[:6])),
        ]
    )

    text = text_of(send(bot, pasted=pasted))

    assert "nothing was scheduled" in text
    assert "line 2, column time:" in text and "too close to line 1" in text
    assert f"line 3, column content: content #{air[0]} is also on line 1 for Air" in text
    assert "line 6, column time: Fire would have 3 posts on" in text and "daily cap of 2" in text
    assert "line 12, column time: Earth would have more than 5 inbox drafts pending within 24 hours" in text
    assert post_count(bot) == 0


def test_nearly_the_same_text_on_two_channels_in_one_batch_is_refused(bot: LocalBot) -> None:
    url = bot.settings.database_url
    contents = approved_contents(url, 2)
    with session_scope(url) as session:
        first = latest_version(session, contents[0][0])
        assert first is not None
        add_version(session, contents[1][0], first.fields, author_kind="person", author_id=REVIEWER)

    text = text_of(
        send(bot, pasted=f"{contents[0][0]}, Air, next, , public\n{contents[1][0]}, Water, next, , public")
    )

    assert f"line 2, column content: content #{contents[1][0]} repeats the text of line 1" in text
    assert post_count(bot) == 0


def test_a_row_repeating_a_post_already_scheduled_says_to_leave_it_out_not_to_override(
    bot: LocalBot,
) -> None:
    contents = approved_contents(bot.settings.database_url, 1)
    content_id, channel = contents[0]
    assert "scheduled 1 post(s)" in text_of(send(bot, pasted=f"{content_id}, {channel}, next, , public"))
    other = next(name for name in ("Air", "Water", "Fire", "Earth") if name != channel)

    text = text_of(send(bot, pasted=f"{content_id}, {other}, next, , public"))

    assert "nothing was scheduled" in text and "It repeats" in text
    assert "Leave it out of the batch" in text and "under Override" not in text  # a row has no Override
    assert post_count(bot) == 1


def test_undo_cancels_the_posts_not_yet_started_and_says_which_had_gone(bot: LocalBot) -> None:
    contents = approved_contents(bot.settings.database_url, 3)
    pasted = "\n".join(f"{c}, {name}, next, , public" for c, name in contents)
    message = send(bot, pasted=pasted)
    assert "scheduled 3 post(s)" in text_of(message)
    with session_scope(bot.settings.database_url) as session:
        first = session.scalar(select(func.min(PostRow.id)))
        session.execute(update(PostRow).where(PostRow.id == first).values(status="publishing"))

    dm = bot.standin.dm_channel(REVIEWER)
    # Only reviewers undo: Bob is told so, and nothing changes.
    bot.workspace.click(REQUESTER, action_id="bulk_undo", message=(dm, message.ts))
    bot.standin.wait_for(lambda: bot.standin.ephemerals(dm, REQUESTER))
    assert post_count(bot, PostStatus.CANCELLED) == 0

    bot.workspace.click(REVIEWER, action_id="bulk_undo", message=(dm, message.ts))

    def undone() -> str:
        after = bot.standin.message(dm, message.ts)
        return text_of(after) if after is not None and "undone by" in text_of(after) else ""

    text = bot.standin.wait_for(undone)
    assert "undone by <@U0ALICE>: 2 of 3 post(s) cancelled" in text
    assert f"post {first} · content #{contents[0][0]} on Air" in text and "publishing" in text
    assert "Undo" not in text
    assert post_count(bot, PostStatus.CANCELLED) == 2
    assert post_count(bot, PostStatus.PUBLISHING) == 1


def test_the_modal_needs_a_file_or_rows_and_not_both(bot: LocalBot) -> None:
    bot.workspace.slash(REVIEWER, "schedule bulk")
    view = bot.standin.modals(REVIEWER)[-1]
    assert bot.workspace.submit(REVIEWER, view.id, {}).errors == {
        "file": "Share a CSV file or paste the rows below."
    }
    shared = bot.standin.attach_file(REVIEWER, "week.csv", b"1, Air, next")
    both = {
        "file": {"file": {"type": "file_input", "files": [shared]}},
        "rows": {"rows": {"type": "plain_text_input", "value": "1, Air, next"}},
    }
    assert "rows" in bot.workspace.submit(REVIEWER, view.id, both).errors
    with session_scope(bot.settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(BulkBatchRow)) == 0


def test_a_file_is_fetched_only_from_slack_and_only_with_the_token(bot: LocalBot) -> None:
    shared = bot.standin.attach_file(REVIEWER, "week.csv", b"content,channel\n1,Air\n")
    assert download(bot.settings, shared["url_private_download"]).startswith("content,channel")

    wrong = Settings(**{**bot.settings.model_dump(), "slack_bot_token": "xoxb-not-ours"})
    with pytest.raises(MetricsFileError, match="sign-in page"):
        download(wrong, shared["url_private_download"])
    with pytest.raises(MetricsFileError, match="not on Slack"):
        download(bot.settings, "https://files.example.com/week.csv")


def test_a_row_product_not_live_in_the_synced_catalogue_is_named(bot: LocalBot) -> None:
    contents = approved_contents(bot.settings.database_url, 1)
    text = text_of(send(bot, pasted=f"{contents[0][0]}, Air, next, 1729999, public"))
    assert "line 1, column products: Product 1729999 is not in the shop's catalogue" in text
    assert post_count(bot) == 0
