"""Time from a signed slash command hitting /slack/events to the HTTP 200.

Runs the real web process (waitress + Bolt + SQLite) on a loopback port, with the local
Slack stand-in answering the Web API, and sends 1,000 signed requests per verb, one at a
time over a kept-alive connection, as Slack would. Slack allows 3 s; the aim is under
50 ms at p99.

    .venv/bin/python benchmarks/ack_latency.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import fakeredis
import httpx

from config.settings import Settings
from contentbot.local import LocalBot, start_local
from contentbot.seed import seed
from storage.migrate import upgrade


def signed(secret: str, body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def measure(client: httpx.Client, bot: LocalBot, text: str, count: int) -> list[float]:
    url = f"{bot.web.url}/slack/events"
    secret = bot.settings.slack_signing_secret or ""
    timings = []
    for i in range(count):
        body = urlencode(
            {
                "command": "/content",
                "text": text,
                "user_id": "U0BOB",
                "channel_id": "C0CONTENT",
                "team_id": bot.standin.team_id,
                "trigger_id": f"trigger.{i}",
                "response_url": f"{bot.standin.base_url}/response/none",
            }
        )
        started = time.perf_counter()
        response = client.post(url, content=body, headers=signed(secret, body))
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"request {i} got HTTP {response.status_code}: {response.text[:200]}")
    return timings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        seed(url)
        bot = start_local(Settings(database_url=url), fakeredis.FakeRedis())
        try:
            with httpx.Client(timeout=10) as client:
                measure(client, bot, "help", 50)  # warm-up: imports, Bolt's first auth.test, connections
                print(f"{args.requests} signed slash commands per verb, one at a time, SQLite, loopback")
                print(f"{'verb':<22}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'p99 / 3 s':>11}")
                for text in ("help", "channels", "check kite that loops", "nonsense"):
                    timings = measure(client, bot, text, args.requests)
                    p99 = percentile(timings, 99)
                    print(
                        f"{text:<22}{statistics.median(timings):>9.2f}{percentile(timings, 90):>9.2f}"
                        f"{p99:>9.2f}{max(timings):>9.2f}{p99 / 3000:>11.4f}"
                    )
        finally:
            bot.close()


if __name__ == "__main__":
    main()
