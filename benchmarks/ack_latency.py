"""Time from a signed slash command hitting /slack/events to the HTTP 200.

Runs the real web process (waitress + Bolt + SQLite) on a loopback port and sends 1,000
signed `/content help` and 1,000 `/content channels` requests, one at a time over a kept-
alive connection, as Slack would. Slack allows 3 s; the aim is under 50 ms at p99.

    .venv/bin/python benchmarks/ack_latency.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bot.services import Services
from contentbot.processes import make_web
from contentbot.seed import seed
from contentbot.settings import Settings
from storage.migrate import upgrade

SECRET = "benchmark-signing-secret"


def signed(body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def measure(client: httpx.Client, url: str, text: str, count: int) -> list[float]:
    timings = []
    for i in range(count):
        body = urlencode(
            {
                "command": "/content",
                "text": text,
                "user_id": "U0BENCH",
                "channel_id": "C0BENCH",
                "team_id": "T0BENCH",
                "trigger_id": f"trigger.{i}",
                "response_url": "http://127.0.0.1:9/response",
            }
        )
        started = time.perf_counter()
        response = client.post(url, content=body, headers=signed(body))
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
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        seed(url)
        settings = Settings(
            database_url=url,
            slack_bot_token="xoxb-benchmark",
            slack_signing_secret=SECRET,
            slack_api_url="http://127.0.0.1:9/api/",
        )
        web = make_web(Services(settings, None), host="127.0.0.1", port=0)
        web.start_thread()
        with httpx.Client(timeout=10) as client:
            endpoint = f"{web.url}/slack/events"
            measure(client, endpoint, "help", 50)  # warm-up: imports, first connections
            print(f"{args.requests} signed slash commands per verb, one at a time, SQLite, loopback")
            print(f"{'verb':<10}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}{'p99 / 3 s':>12}")
            for text in ("help", "channels"):
                timings = measure(client, endpoint, text, args.requests)
                p99 = percentile(timings, 99)
                print(
                    f"{text:<10}{statistics.median(timings):>10.2f}{percentile(timings, 90):>10.2f}"
                    f"{p99:>10.2f}{max(timings):>10.2f}{p99 / 3000:>12.4f}"
                )
        web.server.close()


if __name__ == "__main__":
    main()
