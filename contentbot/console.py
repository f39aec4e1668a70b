"""`contentbot console`: the bot in a terminal, with a local Slack workspace."""

from __future__ import annotations

import logging
import sys
import threading

from config.settings import Settings
from contentbot.local import USERS, start_local
from contentbot.seed import seed
from standins.console import run
from storage.migrate import upgrade
from workers.queues import connect

log = logging.getLogger("contentbot")


def run_console(settings: Settings, user: str) -> None:
    if user not in {u.id for u in USERS}:
        known = ", ".join(f"{u.id} ({u.name})" for u in USERS)
        raise SystemExit(f"contentbot console: unknown user {user}; choose one of {known}")
    # The bot's own log would interleave with the conversation; warnings still show.
    logging.getLogger().setLevel(logging.WARNING)
    upgrade(settings.database_url)
    seed(settings.database_url)
    for note in settings.missing():
        # The console is the Slack workspace, so what Slack settings lack does not apply here.
        if not note.startswith(("SLACK_", "Neither SLACK", "REVIEW_CHANNEL")):
            log.warning("%s", note)
    bot = start_local(settings, connect(settings.redis_url, in_process_fallback=True), with_clock=True)
    worker = threading.Thread(
        target=bot.worker.work, kwargs={"logging_level": "WARNING"}, name="worker", daemon=True
    )
    worker.start()
    try:
        run(bot.workspace, bot.standin, user, stdin=sys.stdin, stdout=sys.stdout)
    finally:
        bot.close()
