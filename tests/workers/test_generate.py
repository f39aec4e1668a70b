"""The generation job on real RQ and Redis, writing through the real anthropic SDK to the stand-in:
malformed, slow, 429 and 529 answers, retries, a burst in priority order, once-only jobs, a worker
killed mid-generation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue

from contentbot.local import LocalBot
from core.content import ContentStatus
from standins.anthropic import AnthropicStandIn
from storage.db import session_scope
from storage.models import ContentRow, VersionRow
from tests.bot.slack_inputs import select, text
from tests.conftest import REDIS_URL
from tests.generation_helpers import (
    API_KEY,
    REQUESTER,
    buttons,
    content,
    dms,
    message_text,
    request,
    review_message,
    run_due_retries,
    start_bot,
    thread_texts,
    version_count,
    writes,
)
from workers.clock import Clock
from workers.generate import LEASE, RETRIES, enqueue_generation, generate_content, job_id


@pytest.fixture
def bot(claude_bot: LocalBot) -> LocalBot:
    return claude_bot


def until(predicate: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll for something another process does (no condition variable reaches across processes)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


def stored_version(bot: LocalBot) -> dict:
    with session_scope(bot.settings.database_url) as session:
        row = session.query(VersionRow).one()
        return {
            "model": row.model,
            "input_tokens": row.input_tokens,
            "output_tokens": row.output_tokens,
            "latency_ms": row.latency_ms,
            "author": (row.author_kind, row.author_id),
            "fingerprinted": bool(row.exact_hash),
        }


def test_a_version_keeps_model_usage_latency_and_author(bot: LocalBot, claude: AnthropicStandIn) -> None:
    claude.slow(0.3)
    request(bot, "script Water bath boat that squirts")
    bot.run_jobs()
    stored = stored_version(bot)
    assert stored["model"] == "claude-sonnet-5-5"
    assert stored["input_tokens"] > 0 and stored["output_tokens"] > 0
    assert stored["latency_ms"] >= 300  # the model's own time (the stand-in held its answer 0.3 s)
    assert stored["author"] == ("agent", "tiktok_script") and stored["fingerprinted"]
    # The SDK was told the timeout and retry budget the job sets.
    assert claude.requests[0].headers["x-stainless-read-timeout"] == "60.0"


def test_a_malformed_answer_is_sent_back_once_with_the_error(bot: LocalBot, claude: AnthropicStandIn) -> None:
    claude.reply_malformed("missing_required")
    request(bot, "hook Air kites that loop")
    bot.run_jobs()
    first, second = writes(claude)
    retry_prompt = second.body["messages"][0]["content"]
    assert retry_prompt.startswith(first.body["messages"][0]["content"])
    assert "Your previous answer did not fit the required shape: hook: Field required." in retry_prompt
    assert content(bot, 1).status == ContentStatus.IN_REVIEW
    assert version_count(bot, 1) == 1


def test_an_answer_without_the_tool_call_is_also_sent_back(bot: LocalBot, claude: AnthropicStandIn) -> None:
    claude.reply_malformed("not_json")
    request(bot, "hook Air kites that loop")
    bot.run_jobs()
    assert "without calling write_tiktok_hook" in writes(claude)[1].body["messages"][0]["content"]
    assert content(bot, 1).status == ContentStatus.IN_REVIEW


def test_two_malformed_answers_fail_and_the_requester_is_told(
    bot: LocalBot, claude: AnthropicStandIn
) -> None:
    claude.reply_malformed("wrong_type", times=2)
    request(bot, "hook Air kites that loop")
    bot.run_jobs()
    failed = content(bot, 1)
    assert failed.status == ContentStatus.FAILED
    assert failed.failure == (
        "The model's answer did not fit a TikTok hook + caption twice: hook: Input should be a valid string"
    )
    [dm] = dms(bot, REQUESTER)
    assert dm.text == f"#1 · TikTok hook + caption for Air could not be generated: {failed.failure}"
    assert buttons(dm) == ["Try again"]
    assert version_count(bot, 1) == 0


def test_a_429_is_retried_by_the_sdk(bot: LocalBot, claude: AnthropicStandIn) -> None:
    claude.rate_limited(retry_after=0.01)
    request(bot, "social Fire racing cars")
    bot.run_jobs()
    assert [r.path for r in writes(claude)] == ["/v1/messages", "/v1/messages"]
    assert content(bot, 1).status == ContentStatus.IN_REVIEW


def test_overload_waits_in_rq_then_fails_for_good_and_the_requester_is_told(
    bot: LocalBot, claude: AnthropicStandIn
) -> None:
    tries = 1 + RETRIES
    claude.overloaded(retry_after=0, times=2 * tries)  # each try: the SDK's call and its one retry
    request(bot, "blog Earth sandpit")
    bot.run_jobs()
    assert content(bot, 1).status == ContentStatus.QUEUED  # released, waiting out its back-off
    assert dms(bot, REQUESTER) == []
    for _ in range(RETRIES):
        assert run_due_retries(bot)
    failed = content(bot, 1)
    assert failed.status == ContentStatus.FAILED
    assert failed.failure is not None and failed.failure.startswith(
        "Claude is overloaded (529); tried 2 times"
    )
    assert len(claude.requests) == 2 * tries
    [dm] = dms(bot, REQUESTER)
    assert "could not be generated: Claude is overloaded (529)" in dm.text


def test_try_again_after_a_failure_queues_a_new_attempt(bot: LocalBot, claude: AnthropicStandIn) -> None:
    claude.reply_malformed("missing_required", times=2)
    request(bot, "hook Air kites that loop")
    bot.run_jobs()
    [dm] = dms(bot, REQUESTER)
    reply = bot.workspace.click(REQUESTER, action_id="review_regenerate", message=(dm.channel, dm.ts))
    assert reply.status == 200
    bot.standin.wait_for(lambda: content(bot, 1).status == ContentStatus.QUEUED)
    bot.run_jobs()
    assert content(bot, 1).status == ContentStatus.IN_REVIEW and content(bot, 1).attempts == 2
    assert "(v1)" in message_text(review_message(bot, 1))


def test_a_burst_of_100_is_generated_in_priority_order(database_url: str, redis_conn: redis.Redis) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("the order is RQ's and Redis's; one database is enough, and 100 requests take a while")
    bot = start_bot(database_url, redis_conn)  # offline: the order, not the writing, is under test
    priorities = ["low", "normal", "high", "normal"] * 25
    try:
        for index, priority in enumerate(priorities):
            answer = bot.workspace.slash(REQUESTER, "generate", channel="C0CONTENT")
            assert answer.status == 200
            [modal] = bot.standin.modals(REQUESTER)
            bot.workspace.submit(
                REQUESTER,
                modal.id,
                {
                    "agent": {"agent": select("tiktok_hook")},
                    "channel": {"channel": select("1")},
                    "brief": {"brief": text(f"kite {index}")},
                    "priority": {"priority": select(priority)},
                },
            )
        bot.run_jobs()
        generated = [int(m.text.split(" ·")[0].lstrip("#")) for m in bot.standin.messages("C0REVIEW")]
        expected = sorted(
            range(1, 101), key=lambda i: (["high", "normal", "low"].index(priorities[i - 1]), i)
        )
        assert generated == expected
    finally:
        bot.close()


def test_each_attempt_is_enqueued_once_and_a_repeated_job_writes_once(bot: LocalBot) -> None:
    request(bot, "hook Air kites that loop")
    queued = content(bot, 1)
    first_id = job_id(bot.settings.database_url, 1, 1)
    again = enqueue_generation(bot.services.redis, bot.settings.database_url, queued)
    assert again.id == first_id  # the same attempt: the job already queued, not a second one
    assert Queue("default", connection=bot.services.redis).job_ids == [first_id]
    bot.run_jobs()
    # RQ runs a job at least once; a second run finds the content in review and leaves it.
    assert generate_content(1, 1) == "content 1 attempt 1: not waiting to be generated"
    assert version_count(bot, 1) == 1
    assert len(bot.standin.messages("C0REVIEW")) == 1


def test_a_worker_killed_mid_generation_leaves_the_request_to_the_next_attempt(
    bot: LocalBot, claude: AnthropicStandIn, database_url: str
) -> None:
    claude.slow(30)  # the model is thinking when the worker dies
    request(bot, "script Water bath boat that squirts")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": claude.base_url,
        "SLACK_BOT_TOKEN": bot.settings.slack_bot_token or "",
        "SLACK_API_URL": bot.settings.slack_api_url,
        "REVIEW_CHANNEL": "C0REVIEW",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", "from contentbot.cli import main; main(['worker'])"],
        env=env,
        start_new_session=True,  # the worker and its work horse in one process group
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        until(lambda: claude.requests)
        assert content(bot, 1).status == ContentStatus.GENERATING
    finally:
        # RQ's work horse calls setpgrp(), leaving the worker's process group: kill it by parentage,
        # or it would live on and write to the next test's rows when its model call ends.
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        for pid in (int(child) for child in children):
            os.kill(pid, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    # A clock tick after the lease lapsed hands the request to attempt 2.
    clock = Clock(bot.services.redis, database_url)
    assert clock.tick(datetime.now(UTC) + LEASE + timedelta(seconds=1))
    requeued = content(bot, 1)
    assert requeued.status == ContentStatus.QUEUED and requeued.attempts == 2
    assert Queue("default", connection=bot.services.redis).job_ids == [job_id(database_url, 1, 2)]

    claude.reset()
    bot.run_jobs()
    assert content(bot, 1).status == ContentStatus.IN_REVIEW
    assert version_count(bot, 1) == 1
    assert thread_texts(bot, review_message(bot, 1))[0].startswith("*v1*")


def test_a_request_whose_job_was_lost_is_queued_again(bot: LocalBot) -> None:
    request(bot, "hook Air kites that loop")
    bot.services.redis.flushdb()  # Redis lost its data: the database still has the request
    with session_scope(bot.settings.database_url) as session:
        row = session.get(ContentRow, 1)
        row.updated_at = datetime.now(UTC) - timedelta(minutes=5)
    Clock(bot.services.redis, bot.settings.database_url).tick()
    assert Queue("default", connection=bot.services.redis).job_ids == [
        job_id(bot.settings.database_url, 1, 1)
    ]
    bot.run_jobs()
    assert content(bot, 1).status == ContentStatus.IN_REVIEW
