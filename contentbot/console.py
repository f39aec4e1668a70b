"""`contentbot console`: the bot in a terminal, with a local Slack workspace."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from config.settings import Settings
from contentbot.local import USERS, start_local
from contentbot.processes import start_worker_thread
from contentbot.seed import seed
from standins.console import run
from storage.migrate import upgrade
from workers.queues import WEB_SOCKET_TIMEOUT, connect

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
        # The console is the Slack workspace and brings its own channels (contentbot.local), so what
        # Slack settings lack does not apply here.
        if not note.startswith(
            ("SLACK_", "Neither SLACK", "REVIEW_CHANNEL", "ALERT_CHANNEL", "DIGEST_CHANNEL")
        ):
            log.warning("%s", note)
    connection = connect(settings.redis_url, socket_timeout=WEB_SOCKET_TIMEOUT, in_process_fallback=True)
    bot = start_local(
        settings, connection, with_clock=True, workspace_file=workspace_file(settings.database_url)
    )
    stop_worker = start_worker_thread(connection, logging_level="WARNING")
    try:
        run(bot.workspace, bot.standin, user, stdin=sys.stdin, stdout=sys.stdout)
    finally:
        stop_worker.set()
        bot.close()


def workspace_file(database_url: str) -> Path | None:
    """Where the console keeps its workspace's messages: beside an SQLite database file, since
    the messages' buttons name rows in it; None for a server database or one in memory."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = Path(url.database)
    return database.with_name(database.stem + ".slack.json")
