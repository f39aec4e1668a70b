"""Publishing against the TikTok stand-in: a connected channel, posts scheduled through Slack, and the
real `clock` and `worker` processes, which a test may kill, stop or run twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from cryptography.fernet import Fernet
from sqlalchemy import update

from config.settings import Settings
from contentbot.local import LocalBot
from core.posts import Post
from standins.tiktok import TikTokStandIn
from storage.db import session_scope
from storage.models import ChannelRow, PostRow
from storage.posts import get_post
from tests.generation_helpers import REVIEW, REVIEWER, approve, request
from tests.tiktok_helpers import connect_channel

T = TypeVar("T")

TOKEN_KEY = Fernet.generate_key().decode()
ROOT = Path(__file__).resolve().parents[1]


def tiktok_settings(tiktok: TikTokStandIn) -> dict[str, Any]:
    """What points the bot, its workers and its clock at the stand-in."""
    return {
        "tiktok_client_key": tiktok.client_key,
        "tiktok_client_secret": tiktok.client_secret,
        "tiktok_api_url": tiktok.base_url,
        "tiktok_auth_url": tiktok.base_url,
        "token_key": TOKEN_KEY,
    }


def connect_account(database_url: str, tiktok: TikTokStandIn, channel: str, open_id: str) -> None:
    """The channel connected to a new public stand-in account, with tokens as TikTok issued them."""
    tiktok.add_account(open_id, nickname=channel, username=f"{channel.lower()}.toys")
    connect_channel(database_url, tiktok, channel, open_id, TOKEN_KEY)


def set_mode(bot: LocalBot, channel: str, mode: str) -> None:
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == channel).values(posting_mode=mode))


def schedule_post(bot: LocalBot, content_id: int, brief: str, words: str) -> int:
    """Content requested, approved and scheduled as people do it in Slack; returns the post's id."""
    request(bot, brief)
    bot.run_jobs()
    approve(bot, content_id=content_id)
    reply = bot.workspace.slash(REVIEWER, f"schedule {content_id} {words}")
    assert reply.status == 200
    text = str(reply.json()["text"])
    assert text.startswith("Scheduled post"), text
    return int(text.split()[2].rstrip(":"))


def due_at(bot: LocalBot, post_id: int, when: datetime) -> datetime:
    """Move the post to `when` (scheduling keeps to the channel's windows; a test needs it soon)."""
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(PostRow).where(PostRow.id == post_id).values(scheduled_at=when))
    return when


def post(bot: LocalBot, post_id: int) -> Post:
    with session_scope(bot.settings.database_url) as session:
        found = get_post(session, post_id)
    assert found is not None
    return found


def thread(bot: LocalBot, post_id: int) -> list[str]:
    found = post(bot, post_id)
    assert found.slack_ts is not None
    return [m.text for m in bot.standin.thread(REVIEW, found.slack_ts)[1:]]


def until(check: Callable[[], T], timeout: float = 180.0, what: str = "the condition") -> T:
    """Wait for `check()` to be truthy. Generous: a loaded machine is slow, never wrong."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def assert_out_once(bot: LocalBot, tiktok: TikTokStandIn, post_id: int, open_id: str) -> None:
    """The post went out on TikTok exactly once, no request for it reached TikTok before its time,
    and its thread says it was posted with the link."""
    found = post(bot, post_id)
    mine = [p for p in tiktok.published(open_id) if p.caption == found.caption]
    assert len(mine) == 1, f"post {post_id} went out {len(mine)} times"
    inits = [
        r
        for r in tiktok.requests_to("init") + tiktok.requests_to("inbox_init")
        if (r.json or {}).get("post_info", {}).get("title") == found.caption
    ]
    assert inits and min(r.at for r in inits) >= found.scheduled_at.timestamp(), "an init went out early"
    assert found.public_id == mine[0].video_id
    # The note follows the status by a moment (written, then said in Slack).
    until(
        lambda: any(t.startswith("Posted.") and mine[0].video_id in t for t in thread(bot, post_id)),
        60,
        "the note",
    )


def process_env(settings: Settings) -> dict[str, str]:
    """The environment that gives `contentbot worker` and `clock` these settings."""
    values = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_API_URL": settings.slack_api_url,
        "REVIEW_CHANNEL": settings.review_channel,
        "TIKTOK_CLIENT_KEY": settings.tiktok_client_key,
        "TIKTOK_CLIENT_SECRET": settings.tiktok_client_secret,
        "TIKTOK_API_URL": settings.tiktok_api_url,
        "TIKTOK_AUTH_URL": settings.tiktok_auth_url,
        "TOKEN_KEY": settings.token_key,
        "TIMEZONE": settings.timezone,
    }
    return {**os.environ, **{name: value for name, value in values.items() if value}}


class Processes:
    """Processes started with `env` (`contentbot worker` and `clock` by default); their output goes
    to files in `folder` (shown when a test fails)."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, kind: str) -> subprocess.Popen[bytes]:
        return self.spawn(kind, f"from contentbot.cli import main; main([{kind!r}])")

    def spawn(self, name: str, code: str) -> subprocess.Popen[bytes]:
        """`python -c code` from the repository's root."""
        log = (self.folder / f"{name}-{len(self.running)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-c", code], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL, as a machine dies: the worker and the work horse it forked for the job."""
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        for pid in [process.pid, *map(int, children)]:
            os.kill(pid, signal.SIGKILL)
        process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')}" for p in sorted(self.folder.glob("*.log"))
        )

    def close(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                Processes.kill(process)
