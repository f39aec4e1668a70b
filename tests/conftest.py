"""Shared fixtures: real databases (SQLite and PostgreSQL) and the real Redis server.

The PostgreSQL server of this machine is used as it is (`scripts/test` starts it when it
is not running); each test run gets its own PostgreSQL database. Each run starts its own
redis-server on a free port, so two runs on one machine leave each other alone; without
redis-server on PATH, TEST_REDIS_URL names the server to use. Redis is flushed around each
test that uses it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config.settings import Settings
from contentbot.local import LocalBot, start_local
from contentbot.seed import seed
from standins.anthropic import AnthropicStandIn
from storage.db import dispose, dispose_all, engine_for
from storage.migrate import upgrade
from storage.models import Base
from tests.redis_server import RedisServer
from workers import runtime

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_OWN_REDIS = RedisServer() if "TEST_REDIS_URL" not in os.environ and RedisServer.available() else None
REDIS_URL = _OWN_REDIS.url if _OWN_REDIS else os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Settings read .env and the environment; a developer's own values must not leak into tests.
for _name in list(os.environ):
    if _name.startswith(("SLACK_", "ANTHROPIC_", "TIKTOK_", "SMTP_", "REVIEW", "ALERT_", "DIGEST_")):
        del os.environ[_name]


@pytest.fixture(scope="session", autouse=True)
def _run_redis() -> Iterator[None]:
    """This run's own redis-server, for as long as the run lasts."""
    if _OWN_REDIS is None:
        yield
        return
    _OWN_REDIS.start()
    yield
    _OWN_REDIS.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    name = f"contentbot_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    dispose_all()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a new SQLite file, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'contentbot.db'}"
        upgrade(url)
        yield url
        # Each test's file gets its own engine: closed here, or a run holds 3 descriptors per test
        # and outgrows select()'s 1024 (the web thread's server then fails).
        dispose(url)
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    with engine_for(url).begin() as conn:
        # The installation id is the database's own, written once by its migration, like a real one.
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "installation")
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def redis_conn() -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[dict[str, str]]:
    """Environment for code that reads Settings() itself (jobs, the CLI)."""
    values = {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    runtime.use(None)
    yield values
    runtime.use(None)


@pytest.fixture
def bot(database_url: str, redis_conn: redis.Redis) -> Iterator[LocalBot]:
    """The whole bot, seeded, driven as Slack drives it: signed HTTP to /slack/events,
    Web API calls answered by the local stand-in, jobs run by `bot.run_jobs()`."""
    seed(database_url)
    local = start_local(Settings(database_url=database_url, redis_url=REDIS_URL), redis_conn)
    yield local
    local.close()


@pytest.fixture
def claude() -> Iterator[AnthropicStandIn]:
    """The local Anthropic Messages API, answering the real SDK."""
    from tests.generation_helpers import API_KEY  # it imports this module's settings

    with AnthropicStandIn(api_key=API_KEY) as standin:
        yield standin


@pytest.fixture
def claude_bot(database_url: str, redis_conn: redis.Redis, claude: AnthropicStandIn) -> Iterator[LocalBot]:
    """The bot with ANTHROPIC_API_KEY set: jobs write with the real SDK against the stand-in."""
    from tests.generation_helpers import start_bot

    local = start_bot(database_url, redis_conn, claude)
    yield local
    local.close()
