"""`contentbot dev` as a person starts it: one process serving Slack, running jobs and the clock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from storage.migrate import upgrade


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dev_without_redis_runs_everything_in_process_and_says_so(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'dev.db'}"
    upgrade(database_url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens there
        "PORT": str(port),
        "SLACK_BOT_TOKEN": "xoxb-dev",
        "SLACK_SIGNING_SECRET": "dev-secret",
        "SLACK_API_URL": "http://127.0.0.1:1/api/",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "contentbot.cli", "dev"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                # The clock's first tick and the worker's first heartbeat job show all three run.
                if {"clock", "worker"} <= set(health.get("heartbeat_age_seconds", {})):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert health is not None, "web never answered /healthz"
        assert health["database"] == "ok" and health["redis"] == "ok"
        assert {"clock", "worker"} <= set(health["heartbeat_age_seconds"])
        unsigned = httpx.post(f"http://127.0.0.1:{port}/slack/events", content="command=/content&text=help")
        assert unsigned.status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "using an in-process queue (jobs are lost on exit)" in output
