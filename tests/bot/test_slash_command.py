"""`/content` as Slack sends it: signed HTTP to the running app, replies read from the stand-in."""

from __future__ import annotations

import httpx
import pytest

from bot.commands import VERBS
from contentbot.local import LocalBot
from contentbot.processes import start_worker_thread
from standins.slack import Workspace
from workers.heartbeat import heartbeat
from workers.queues import enqueue_once, live_workers

USER = "U0BOB"
CHANNEL = "C0CONTENT"


def ephemeral_texts(bot: LocalBot) -> list[str]:
    return [e.text for e in bot.standin.ephemerals(CHANNEL, USER)]


def blocks_text(reply_json: dict) -> str:
    parts = []
    for block in reply_json.get("blocks", []):
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        for element in block.get("elements", []):
            parts.append(element.get("text", ""))
    return "\n".join(parts)


def test_help_lists_every_verb_of_the_design(bot: LocalBot) -> None:
    reply = bot.workspace.slash(USER, "help")
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    text = blocks_text(body)
    for verb in (
        "help",
        "channels",
        "channel setup",
        "generate",
        "queue",
        "schedule",
        "schedule bulk",
        "templates",
        "experiments",
        "stats",
        "alerts",
        "digest",
    ):
        assert f"`/content {verb}" in text
    assert ephemeral_texts(bot) == ["What /content can do"]


def test_an_empty_command_is_help(bot: LocalBot) -> None:
    assert bot.workspace.slash(USER, "").json()["text"] == "What /content can do"


def test_channels_lists_the_four_with_element_account_and_rules(bot: LocalBot) -> None:
    text = blocks_text(bot.workspace.slash(USER, "channels").json())
    for name in ("Air", "Water", "Fire", "Earth"):
        assert f"*{name}* ({name})" in text
    assert text.count("Account: not connected") == 4
    assert "TikTok inbox draft, up to 3/day, 90 min apart, Mon-Fri 17:00-20:00; Sat,Sun 10:00-13:00" in text


def test_an_unknown_verb_gets_a_usage_message_naming_it(bot: LocalBot) -> None:
    body = bot.workspace.slash(USER, "publish everything").json()
    assert body["response_type"] == "ephemeral"
    assert body["text"] == "`publish` is not a /content verb."
    assert "Usage:" in blocks_text(body)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("channels extra words", "`channels` takes no arguments; I got `extra words` too."),
        ("help me", "`help` takes no arguments; I got `me` too."),
        ("check", "`check` needs the caption or script text to look for."),
    ],
)
def test_a_bad_argument_is_named(bot: LocalBot, text: str, problem: str) -> None:
    assert bot.workspace.slash(USER, text).json()["text"] == problem


def test_every_verb_help_lists_works_now(bot: LocalBot) -> None:
    # Each verb of design §5 once answered "not available yet"; `schedule bulk` was the last.
    assert [verb.name for verb in VERBS if verb.handler is None] == []
    text = blocks_text(bot.workspace.slash(USER, "help").json())
    assert "`/content schedule bulk`" in text and "_(not yet" not in text


@pytest.mark.parametrize(
    "workspace_options",
    [{"sign": False}, {"signing_secret": "not-the-secret"}, {"timestamp_offset": -400}],
    ids=["unsigned", "wrong secret", "stale timestamp"],
)
def test_a_badly_signed_request_gets_401_and_changes_nothing(bot: LocalBot, workspace_options: dict) -> None:
    options = {"signing_secret": bot.settings.slack_signing_secret, **workspace_options}
    forger = Workspace(bot.standin, app_url=bot.web.url, **options)
    try:
        reply = forger.slash(USER, "channel setup Air")
    finally:
        forger.close()
    assert reply.status == 401
    assert bot.standin.calls("views.open") == []
    assert bot.standin.modals(USER) == []
    assert ephemeral_texts(bot) == []


def test_app_home_shows_the_channels_and_what_is_switched_off(bot: LocalBot) -> None:
    assert bot.workspace.open_home(USER).status == 200
    home = bot.standin.wait_for(lambda: bot.standin.home(USER))
    text = "\n".join(
        b.get("text", {}).get("text", "")
        if isinstance(b.get("text"), dict)
        else b.get("elements", [{}])[0].get("text", "")
        for b in home.blocks
    )
    for name in ("Air", "Water", "Fire", "Earth"):
        assert f"*{name}*" in text
    assert "ANTHROPIC_API_KEY is not set" in text


def test_healthz_reports_database_and_redis(bot: LocalBot) -> None:
    stop_worker = start_worker_thread(bot.services.redis)  # without a live worker it is 503
    bot.standin.wait_for(lambda: live_workers(bot.services.redis))
    response = httpx.get(f"{bot.web.url}/healthz")
    stop_worker.set()
    # The worker sees the stop only between blocking waits (45 s): wake it with a job it may drop, and
    # wait until it is gone, or it would take the next test's first job and never run it.
    enqueue_once(bot.services.redis, "low", heartbeat, job_id="wake-the-worker")
    bot.standin.wait_for(lambda: live_workers(bot.services.redis) == 0, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"] == "ok"
    assert body["redis"] == "ok"


def test_healthz_is_503_when_the_database_is_down(bot: LocalBot, tmp_path) -> None:
    from bot.services import Services
    from bot.web import health

    broken = bot.settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    healthy, report = health(Services(broken, bot.services.redis))
    assert healthy is False
    assert report["database"].startswith("error:")
