"""A password in REDIS_URL, DATABASE_URL or SMTP_URL never reaches Slack, /healthz or the log."""

from __future__ import annotations

import logging

import httpx
import pytest
import redis
from sqlalchemy.engine import make_url

from bot.services import Services
from bot.web import health
from config.settings import Settings
from contentbot.cli import main
from contentbot.local import LocalBot
from contentbot.processes import redis_or_none
from tests.generation_helpers import ORIGIN, REQUESTER
from workers.queues import QueueUnavailable, connect

PASSWORD = "s3cr3t-Pa55"
# Nothing listens on port 1, so each of these is "unreachable".
REDIS_URL = f"redis://:{PASSWORD}@127.0.0.1:1/0"
DATABASE_URL = f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:1/prod"


def assert_no_password(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
    for text in texts:
        assert PASSWORD not in text


def test_generate_without_redis_names_the_url_but_not_its_password(
    bot: LocalBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The state `web` is in when Redis was unreachable at start-up.
    bot.services.settings = bot.services.settings.model_copy(update={"redis_url": REDIS_URL})
    bot.services.redis = None
    reply = bot.workspace.slash(REQUESTER, "generate script Water a kite that sings", channel=ORIGIN)
    assert reply.status == 200
    text = reply.json()["text"]
    assert "Redis at redis://:***@127.0.0.1:1/0" in text and "nothing was queued" in text
    shown = [e.text for e in bot.standin.ephemerals(ORIGIN, REQUESTER)]
    assert_no_password(caplog, text, *shown)


def test_healthz_reports_a_store_down_without_its_password(
    bot: LocalBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot.services.redis = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    response = httpx.get(f"{bot.web.url}/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error:")
    broken = bot.settings.model_copy(update={"database_url": DATABASE_URL})
    healthy, report = health(Services(broken, None))
    assert not healthy and report["database"].startswith("error:")
    assert_no_password(caplog, response.text, str(report))


def test_an_unreachable_redis_is_logged_without_its_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(redis_url=REDIS_URL)
    assert redis_or_none(settings) is None
    assert "redis://:***@127.0.0.1:1/0" in caplog.text
    with pytest.raises(QueueUnavailable) as refused:
        connect(REDIS_URL, socket_timeout=1.0)
    # Under `dev` the in-process queue takes over, and says so.
    fallback = connect(REDIS_URL, socket_timeout=1.0, in_process_fallback=True)
    assert fallback.ping()
    assert "using an in-process queue" in caplog.text
    assert_no_password(caplog, str(refused.value))


@pytest.mark.postgres
def test_db_upgrade_logs_the_database_without_its_password(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The test server trusts every login, so the password is accepted and only its showing is tested.
    with_password = make_url(postgres_url).set(password=PASSWORD).render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", with_password)
    assert main(["db", "upgrade"]) == 0
    assert ":***@" in caplog.text
    assert_no_password(caplog)
