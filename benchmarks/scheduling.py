"""On time, exactly once: posts due over a span, published by real worker and clock processes.

    .venv/bin/python benchmarks/scheduling.py [--posts 300] [--span 60] [--workers 2]

Starts its own redis-server, an SQLite database, one `contentbot clock` and `--workers`
`contentbot worker` processes, schedules `--posts` direct posts due evenly over `--span`
seconds on the four channels (sandbox publisher: no TikTok credentials), SIGKILLs one worker
half-way, and prints how late each post started (its lease's start minus its due time), how
many started early, went out twice (the sandbox's init requests per post) or were lost.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contentbot.seed import seed
from storage.db import session_scope
from storage.migrate import upgrade
from storage.models import PostRow
from tests.factories import make_post
from tests.redis_server import RedisServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--span", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="contentbot-bench-"))
    database_url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(database_url)
    seed(database_url)
    start = datetime.now(UTC) + timedelta(seconds=10)  # processes up and idle before the first is due
    channels = ["Air", "Water", "Fire", "Earth"]
    with session_scope(database_url) as session:
        for i in range(args.posts):
            post_id = make_post(
                session,
                channels[i % 4],
                f"bench caption {i}",
                start + timedelta(seconds=args.span * i / args.posts),
            )
            row = session.get_one(PostRow, post_id)
            row.posting_mode, row.privacy_level, row.sandbox = "direct", "SELF_ONLY", True

    with RedisServer() as redis_server:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_server.url,
            "SANDBOX_DIR": str(folder / "sandbox"),
        }
        for name in ("SLACK_BOT_TOKEN", "REVIEW_CHANNEL", "TIKTOK_CLIENT_KEY", "ANTHROPIC_API_KEY"):
            env.pop(name, None)
        cli = [sys.executable, "-c", "import sys; from contentbot.cli import main; main(sys.argv[1:])"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
        workers = [
            subprocess.Popen([*cli, "worker"], start_new_session=True, **quiet) for _ in range(args.workers)
        ]
        clock = subprocess.Popen([*cli, "clock"], **quiet)
        try:
            killed = False
            deadline = start + timedelta(seconds=args.span + 120)
            while datetime.now(UTC) < deadline:
                if not killed and datetime.now(UTC) > start + timedelta(seconds=args.span / 2):
                    victim = workers[0]
                    # The work horse too: it left the worker's process group (RQ calls setpgrp()).
                    children = Path(f"/proc/{victim.pid}/task/{victim.pid}/children").read_text().split()
                    for pid in [victim.pid, *map(int, children)]:
                        os.kill(pid, signal.SIGKILL)
                    killed = True
                with session_scope(database_url) as session:
                    done = session.query(PostRow).filter(PostRow.status == "published").count()
                if done == args.posts:
                    break
                time.sleep(0.5)
        finally:
            for process in [*workers, clock]:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in [*workers, clock]:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()

    with session_scope(database_url) as session:
        rows = session.query(PostRow).all()
        late = sorted((r.started_at - r.scheduled_at).total_seconds() for r in rows if r.started_at)
        published = sum(r.status == "published" for r in rows)
    # File names are `<time>-sandbox.<post id>.<nonce>-video_init.json`.
    inits = Counter(
        p.name.split("-")[1].split(".")[1] for p in (folder / "sandbox").glob("*-video_init.json")
    )
    doubled = sum(1 for count in inits.values() if count > 1)
    print(f"posts {args.posts} due over {args.span:.0f} s, {args.workers} workers, one SIGKILLed half-way")
    print(
        f"published {published}, lost {args.posts - published}, doubled {doubled}, early {sum(x < 0 for x in late)}"
    )
    if late:
        q = statistics.quantiles(late, n=100) if len(late) > 1 else [late[0]] * 99
        within = {s: sum(x <= s for x in late) / len(late) for s in (1, 2, 30, 60)}
        print(f"lateness p50 {q[49]:.2f} s, p99 {q[98]:.2f} s, max {late[-1]:.2f} s")
        print("started within " + ", ".join(f"{s} s: {share:.1%}" for s, share in within.items()))
    print(f"(data in {folder})")


if __name__ == "__main__":
    main()
