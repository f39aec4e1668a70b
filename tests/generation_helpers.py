"""A whole bot for the generation and review tests: with Claude (the Anthropic stand-in) or offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Queue
from rq.job import Job

from config.settings import Settings
from contentbot.local import LocalBot, start_local
from contentbot.seed import seed
from core.content import Content
from standins.anthropic import AnthropicStandIn, RecordedRequest
from standins.slack import Message
from storage.contents import get_content, versions
from storage.db import session_scope
from tests.bot.slack_inputs import all_text
from tests.conftest import REDIS_URL
from workers.queues import QUEUE_NAMES

API_KEY = "test-key"
REQUESTER = "U0BOB"
REVIEWER = "U0ALICE"
ORIGIN = "C0CONTENT"
REVIEW = "C0REVIEW"


def start_bot(
    database_url: str, connection: redis.Redis, claude: AnthropicStandIn | None = None, **settings: Any
) -> LocalBot:
    """The seeded bot; with `claude`, jobs write with the real SDK against the stand-in."""
    seed(database_url)
    if claude is not None:
        settings.update(anthropic_api_key=API_KEY, anthropic_base_url=claude.base_url)
    bot = start_local(Settings(database_url=database_url, redis_url=REDIS_URL, **settings), connection)
    # Slack's ~1 post a second per channel is not what these tests are about.
    bot.standin.posts_per_second_per_channel = 10_000
    return bot


def writes(claude: AnthropicStandIn) -> list[RecordedRequest]:
    """The calls that asked Claude to write a draft (not to check one or choose its element)."""
    return [r for r in claude.requests if r.body.get("tool_choice", {}).get("name", "").startswith("write_")]


def request(bot: LocalBot, text: str, user: str = REQUESTER) -> str:
    """`/content generate <text>`; the answer the person sees."""
    reply = bot.workspace.slash(user, f"generate {text}", channel=ORIGIN)
    assert reply.status == 200
    return reply.json()["text"]


def content(bot: LocalBot, content_id: int) -> Content:
    with session_scope(bot.settings.database_url) as session:
        found = get_content(session, content_id)
    assert found is not None
    return found


def version_count(bot: LocalBot, content_id: int) -> int:
    with session_scope(bot.settings.database_url) as session:
        return len(versions(session, content_id))


def review_message(bot: LocalBot, content_id: int) -> Message:
    [message] = [m for m in bot.standin.messages(REVIEW) if m.text.startswith(f"#{content_id} ·")]
    return message


def message_text(message: Message) -> str:
    return all_text(message.blocks)


def buttons(message: Message) -> list[str]:
    return [
        element["text"]["text"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def thread_texts(bot: LocalBot, message: Message) -> list[str]:
    return [m.text for m in bot.standin.thread(REVIEW, message.ts)[1:]]


def dms(bot: LocalBot, user: str) -> list[Message]:
    return bot.standin.messages(bot.standin.dm_channel(user))


def run_due_retries(bot: LocalBot) -> bool:
    """Time passing for RQ: every retry waiting out its back-off becomes due, and the worker runs it."""
    connection = bot.services.redis
    assert connection is not None
    moved = False
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=connection)
        registry = queue.scheduled_job_registry
        for job_id in registry.get_job_ids():
            registry.schedule(
                Job.fetch(job_id, connection=connection), datetime.now(UTC) - timedelta(seconds=1)
            )
            moved = True
    if moved:
        bot.worker.work(burst=True, with_scheduler=True)
    return moved


def click(bot: LocalBot, user: str, action: str, content_id: int = 1) -> None:
    """Press a button on the review message, then wait for the listener's last effect after its ack:
    a reply in the thread, an ephemeral answer, or a modal."""
    message = review_message(bot, content_id)

    def effects() -> int:
        return (
            len(thread_texts(bot, message))
            + len(bot.standin.ephemerals(REVIEW, user))
            + len(bot.standin.modals(user))
        )

    before = effects()
    assert bot.workspace.click(user, action_id=action, message=(REVIEW, message.ts)).status == 200
    bot.standin.wait_for(lambda: effects() > before)


def submit(bot: LocalBot, user: str, values: dict[str, Any], content_id: int = 1) -> Any:
    """Submit the modal on screen; when it was accepted, wait for the note it leaves in the thread."""
    message = review_message(bot, content_id)
    before = len(thread_texts(bot, message))
    [modal] = bot.standin.modals(user)
    reply = bot.workspace.submit(user, modal.id, values)
    if reply.status == 200 and not reply.errors:
        bot.standin.wait_for(lambda: len(thread_texts(bot, message)) > before)
    return reply


def approve(bot: LocalBot, user: str = REVIEWER, content_id: int = 1) -> None:
    """Approve as a reviewer does: a draft with findings (an offline one holds gaps) opens them in a
    modal, approved from there with one more click (issue 16)."""
    click(bot, user, "review_approve", content_id)
    modals = bot.standin.modals(user)
    if modals and modals[-1].definition.get("callback_id") == "review_approve_findings":
        reply = submit(bot, user, {}, content_id)
        assert reply.status == 200 and not reply.errors
