"""On time, exactly once, through faults: contentbot's clock and workers beside plain RQ `enqueue_at`.

    .venv/bin/python benchmarks/scheduling.py            # 200 posts over 2 minutes, 40 accounts
    .venv/bin/python benchmarks/scheduling.py --full     # issue 15's size: 1,000 over 10 minutes, 200
    options: --posts N --span SECONDS --accounts N --workers N --faults 0.1 --processing 2
             --database-url URL (default: a new SQLite file)

The default keeps issue 15's density (5 posts per account, 1.7 posts a second) over a fifth of its
span, so it runs in about 10 minutes instead of 30. Time is real (no compressed clock): the posts fall
due evenly over the span, against the TikTok stand-in on 127.0.0.1 with its per-token limits (6 inits
and 30 status fetches a minute), processing each video for `--processing` seconds, and failing
`--faults` of all calls transiently (half of them a 503 before acting, half a connection dropped
after TikTok acted). One worker (and the work horse it forked) is SIGKILLed half-way. The same posts
then go through each system in turn, on its own redis-server and a fresh stand-in:

- contentbot: one `contentbot clock` and `--workers` `contentbot worker` processes, the posts in the
  database (direct posts, each channel connected to its own stand-in account).
- plain RQ: `--workers` RQ workers (RQ's defaults, the scheduler in one of them); each post is
  `enqueue_at(due, naive_rq.publish, ..., retry=Retry(3, [2, 5, 15]))`, a job that inits, uploads
  and polls, and raises on any error.

Measured at TikTok (the stand-in's record, the ground truth): a post's lateness is when TikTok
accepted the init of the video that went out, minus the due time; early is any init for it before
its time; doubled is a post that went out more than once; lost, one that had not gone out 3 minutes
after the last post fell due (each system stops early once it has nothing left to do).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis
from rq import Queue, Retry

from benchmarks import naive_rq
from config.settings import Settings
from core.channels import Channel, PostingMode
from core.elements import Element
from standins.tiktok import TikTokStandIn
from storage.channels import seed_channels
from storage.db import session_scope
from storage.migrate import upgrade
from storage.models import PostRow
from tests.factories import make_post
from tests.publish_helpers import Processes, connect_account, process_env, tiktok_settings
from tests.redis_server import RedisServer

# After the last post falls due, how long each system gets to finish.
DRAIN_SECONDS = 180.0
# From the moment every worker is up (and the posts are put in place) to the first due time.
LEAD_SECONDS = 10.0


@dataclass(frozen=True)
class Load:
    captions: list[str]
    due: list[float]  # epoch seconds
    account: list[int]  # index into the accounts

    @classmethod
    def even(cls, posts: int, span: float, accounts: int, start: float) -> Load:
        return cls(
            [f"bench post {i}" for i in range(posts)],
            [start + span * i / posts for i in range(posts)],
            [i % accounts for i in range(posts)],
        )


@dataclass
class Outcome:
    name: str
    lateness: list[float]  # of the posts that went out
    posts: int
    early: int
    doubled: int
    lost: int
    faults: dict[str, int]
    seconds: float

    def within(self, limit: float) -> float:
        return sum(x <= limit for x in self.lateness) / self.posts

    def quantile(self, q: int) -> float:
        if len(self.lateness) < 2:
            return self.lateness[0] if self.lateness else float("nan")
        return statistics.quantiles(self.lateness, n=100, method="inclusive")[q - 1]


def measure(name: str, tiktok: TikTokStandIn, load: Load, open_ids: list[str], seconds: float) -> Outcome:
    out: dict[str, list[float]] = defaultdict(list)  # caption -> when TikTok accepted each init that went out
    for open_id in sorted(set(open_ids)):
        for published in tiktok.published(open_id):
            if published.publish_id is not None:
                out[published.caption].append(tiktok.publish(published.publish_id).created_at)
    inits: dict[str, list[float]] = defaultdict(list)
    for request in tiktok.requests_to("init"):
        inits[(request.json or {}).get("post_info", {}).get("title", "")].append(request.at)
    lateness = [min(out[c]) - due for c, due in zip(load.captions, load.due, strict=True) if out[c]]
    return Outcome(
        name,
        sorted(lateness),
        len(load.captions),
        early=sum(any(t < due for t in inits[c]) for c, due in zip(load.captions, load.due, strict=True)),
        doubled=sum(len(out[c]) > 1 for c in load.captions),
        lost=sum(not out[c] for c in load.captions),
        faults=dict(tiktok.faults.injected),
        seconds=seconds,
    )


def accounts(tiktok: TikTokStandIn, count: int) -> tuple[list[str], list[str]]:
    open_ids = [f"bench-{n}" for n in range(count)]
    tokens = []
    for open_id in open_ids:
        tiktok.add_account(open_id, nickname=open_id)
        tokens.append(tiktok.issue_tokens(open_id)["access_token"])
    return open_ids, tokens


def run(
    processes: Processes,
    load: Load,
    workers: list[subprocess.Popen[bytes]],
    finished: Callable[[], bool],
) -> float:
    """Wait for the load to finish (or the drain to end), SIGKILLing the first worker half-way."""
    started = time.time()
    half = (load.due[0] + load.due[-1]) / 2
    killed = False
    while time.time() < load.due[-1] + DRAIN_SECONDS:
        if not killed and time.time() > half:
            processes.kill(workers[0])
            killed = True
        if killed and finished():
            break
        time.sleep(1.0)
    return time.time() - started


def contentbot(args: argparse.Namespace, folder: Path, video: Path) -> Outcome:
    database_url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    upgrade(database_url)
    names = [f"bench-{n}" for n in range(args.accounts)]
    with session_scope(database_url) as session:
        seed_channels(
            session, [Channel(name=n, element=Element.AIR, posting_mode=PostingMode.DIRECT) for n in names]
        )
    with TikTokStandIn(processing_seconds=args.processing) as tiktok, RedisServer() as server:
        open_ids = []
        for name in names:
            connect_account(database_url, tiktok, name, name)
            open_ids.append(name)
        # Made for tomorrow, then moved to their times once every process is up.
        load = Load.even(args.posts, args.span, args.accounts, time.time() + 86_400)
        ids = []
        with session_scope(database_url) as session:
            for caption, due, account in zip(load.captions, load.due, load.account, strict=True):
                post_id = make_post(session, names[account], caption, datetime.fromtimestamp(due, UTC))
                row = session.get_one(PostRow, post_id)
                row.posting_mode, row.privacy_level = "direct", "PUBLIC_TO_EVERYONE"
                row.caption, row.media, row.sandbox = caption, str(video), False
                ids.append(post_id)
        settings = Settings(database_url=database_url, redis_url=server.url, **tiktok_settings(tiktok))
        processes = Processes(quiet(process_env(settings)), folder / "contentbot")
        (folder / "contentbot").mkdir()
        try:
            workers = [processes.start("worker") for _ in range(args.workers)]
            processes.start("clock")
            ready(server.url, args.workers)
            load = Load.even(args.posts, args.span, args.accounts, time.time() + LEAD_SECONDS)
            with session_scope(database_url) as session:
                for post_id, due in zip(ids, load.due, strict=True):
                    session.get_one(PostRow, post_id).scheduled_at = datetime.fromtimestamp(due, UTC)
            tiktok.chaos(args.faults, after_acting_share=0.5, seed=15)

            def finished() -> bool:
                with session_scope(database_url) as session:
                    done = session.query(PostRow).filter(PostRow.status.in_(("published", "failed"))).count()
                return done == args.posts

            seconds = run(processes, load, workers, finished)
        finally:
            processes.close()
        return measure("contentbot", tiktok, load, [names[a] for a in load.account], seconds)


def plain_rq(args: argparse.Namespace, folder: Path, video: Path) -> Outcome:
    with TikTokStandIn(processing_seconds=args.processing) as tiktok, RedisServer() as server:
        open_ids, tokens = accounts(tiktok, args.accounts)
        connection = redis.Redis.from_url(server.url)
        queue = Queue("posts", connection=connection)
        processes = Processes(quiet(dict(os.environ)), folder / "rq")
        (folder / "rq").mkdir()
        # RQ as its docs set it up, but for redis-py 8's 5 s socket timeout, which would end its
        # blocking dequeue (see workers/queues.py).
        code = (
            "import redis; from rq import Queue, Worker; "
            f"c = redis.Redis.from_url({server.url!r}, socket_timeout=None); "
            "Worker([Queue('posts', connection=c)], connection=c).work(with_scheduler=True)"
        )
        try:
            workers = [processes.spawn("rq-worker", code) for _ in range(args.workers)]
            ready(server.url, args.workers)
            load = Load.even(args.posts, args.span, args.accounts, time.time() + LEAD_SECONDS)
            for caption, due, account in zip(load.captions, load.due, load.account, strict=True):
                queue.enqueue_at(
                    datetime.fromtimestamp(due, UTC),
                    naive_rq.publish,
                    tiktok.base_url,
                    tokens[account],
                    caption,
                    str(video),
                    retry=Retry(max=3, interval=[2, 5, 15]),
                )
            tiktok.chaos(args.faults, after_acting_share=0.5, seed=15)

            def finished() -> bool:
                pending = (
                    queue.count
                    + queue.scheduled_job_registry.count
                    + queue.started_job_registry.count
                    + queue.deferred_job_registry.count
                )
                return pending == 0

            seconds = run(processes, load, workers, finished)
        finally:
            processes.close()
        return measure("plain RQ", tiktok, load, [open_ids[a] for a in load.account], seconds)


def ready(redis_url: str, workers: int) -> None:
    """Every worker has registered with RQ (starting one takes seconds on a busy machine)."""
    connection = redis.Redis.from_url(redis_url)
    deadline = time.time() + 300
    while connection.scard("rq:workers") < workers:
        if time.time() > deadline:
            raise SystemExit("the workers did not start within 5 minutes")
        time.sleep(0.5)


def quiet(env: dict[str, str]) -> dict[str, str]:
    """No Slack, Claude or shop in the benchmark: the workers post nowhere but TikTok."""
    return {
        k: v for k, v in env.items() if not k.startswith(("SLACK_", "ANTHROPIC_", "REVIEW", "TIKTOK_SHOP"))
    }


def report(outcomes: list[Outcome]) -> None:
    rows: list[tuple[str, Callable[[Outcome], str]]] = [
        ("posts", lambda o: f"{o.posts}"),
        ("started within 1 s", lambda o: f"{o.within(1):.1%}"),
        ("started within 30 s", lambda o: f"{o.within(30):.1%}"),
        ("started within 60 s", lambda o: f"{o.within(60):.1%}"),
        ("lateness p50", lambda o: f"{o.quantile(50):.2f} s"),
        ("lateness p99", lambda o: f"{o.quantile(99):.2f} s"),
        ("lateness max", lambda o: f"{o.lateness[-1]:.2f} s" if o.lateness else "-"),
        ("early starts", lambda o: f"{o.early}"),
        ("doubled", lambda o: f"{o.doubled}"),
        ("lost (not out by the end)", lambda o: f"{o.lost}"),
        ("faults injected", lambda o: ", ".join(f"{k} {v}" for k, v in sorted(o.faults.items()))),
        ("run (s)", lambda o: f"{o.seconds:.0f}"),
    ]
    print(f"{'':24}" + "".join(f"{o.name:>26}" for o in outcomes))
    for label, cell in rows:
        print(f"{label:24}" + "".join(f"{cell(o):>26}" for o in outcomes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="issue 15's size: 1,000 posts, 10 min, 200 accounts"
    )
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--span", type=float, default=120.0, help="seconds over which the posts fall due")
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--faults", type=float, default=0.10, help="share of TikTok calls failing")
    parser.add_argument("--processing", type=float, default=2.0, help="TikTok's processing, seconds")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.full:
        args.posts, args.span, args.accounts = 1000, 600.0, 200

    folder = Path(tempfile.mkdtemp(prefix="contentbot-bench-"))
    video = folder / "clip.mp4"
    video.write_bytes(b"\0" * 4096)
    print(
        f"{args.posts} direct posts due evenly over {args.span:.0f} s (real time) across {args.accounts} "
        f"accounts; {args.workers} workers, one SIGKILLed half-way; {args.faults:.0%} of TikTok calls "
        f"fail transiently, half after TikTok acted; TikTok processes each video {args.processing:g} s",
        flush=True,
    )
    load_before = os.getloadavg()
    outcomes = [contentbot(args, folder, video), plain_rq(args, folder, video)]
    report(outcomes)
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(f"(logs and data in {folder})")


if __name__ == "__main__":
    main()
