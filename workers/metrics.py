"""Metric collection from TikTok's Display API: views, likes, comments and shares of every public post.

    schedule(connection, database_url, now)   the clock, every MONITOR_SECONDS: the posts due by their
                                              age (core.polling: young ones every few minutes, older
                                              ones less), claimed, and queued as one `collect` job per
                                              account batch of at most 20 ids
    collect(channel_id, polls, awaiting)      the job: one video query for the batch, paced within the
                                              token's per-minute limit (workers.pacing), a snapshot per
                                              video TikTok shows; then the post rules over those posts

A post TikTok published without a public id yet is asked about by its publish id (the status fetch)
until its id appears; a private post never gets one, so it is never polled and its metrics are
"unavailable", never 0 views. A post TikTok stops showing (deleted, made private) gets no snapshot: its
metrics go stale and the metrics_stale rule says so. Saves are not in the Display API: they come from
Studio CSV imports (`contentbot metrics import`); the Business API's `favorites` is not read.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import redis
from rq import get_current_job

from core.metrics import MetricSnapshot
from core.polling import BATCH_SIZE, PollTarget, due_batches, interval_for, overdue
from storage.crypto import TokenCipher
from storage.db import session_scope
from storage.installation import installation_id
from storage.metrics import record_snapshots
from storage.polling import AwaitingId, awaiting_public_id, poll_targets, set_public_id
from workers.accounts import AccountError, ChannelToken, needs_reconnect, sandbox
from workers.alerts import MONITOR_SECONDS, enqueue_post_sweep
from workers.pacing import Pacer, PacingTimeout
from workers.queues import CLOCK_SOCKET_TIMEOUT, connect, enqueue_once
from workers.runtime import settings as current_settings
from workers.tiktok import RATE_LIMITS, TikTokClient, TikTokError, Video, pace_key

log = logging.getLogger(__name__)

SOURCE = "display"
JOB_TIMEOUT = 5 * 60
# A claimed post is not queued again until its job has run or this has passed (a lost job).
CLAIM_SECONDS = JOB_TIMEOUT + 60
# How long a job waits for a free slot in the token's rate window before leaving it to the next pass.
PACE_DEADLINE = 90.0
# The window a little longer than TikTok's minute: a request takes a moment to reach TikTok.
PACE_WINDOW = 61.0
# Each pass queues at most one pass's share of the per-minute limit per account.
BATCHES_PER_PASS = RATE_LIMITS["video_query"] * MONITOR_SECONDS // 60

T = TypeVar("T")


def schedule(connection: redis.Redis, database_url: str, now: datetime) -> int:
    """Queue the due batches and the public-id checks; returns how many jobs were queued."""
    settings = current_settings()
    if sandbox(settings) or not settings.token_key:
        return 0  # no TikTok (sandbox posts never reached it), or no account could be connected
    with session_scope(database_url) as session:
        targets = poll_targets(session, now)
        waiting = awaiting_public_id(session, now)
    prefix = f"metrics-{installation_id(database_url)}"
    due = [t for t in targets if overdue(t, now) is not None]
    free = _unclaimed(connection, f"{prefix}:claim", due)
    jobs = 0
    per_account: Counter[object] = Counter()
    for batch in due_batches(free, now):
        if per_account[batch.account] >= BATCHES_PER_PASS:
            continue
        per_account[batch.account] += 1
        _claim(connection, f"{prefix}:claim", batch.post_ids, CLAIM_SECONDS)
        polls = [
            [post_id, public_id] for post_id, public_id in zip(batch.post_ids, batch.public_ids, strict=True)
        ]
        job_id = f"{prefix}-{batch.account}-{batch.post_ids[0]}-{int(now.timestamp())}"
        enqueue_once(
            connection, "default", collect, batch.account, polls, [], job_id=job_id, job_timeout=JOB_TIMEOUT
        )
        jobs += 1
    by_account: dict[int, list[AwaitingId]] = {}
    for post in waiting:
        # Asked about at the pace its age would be polled at, not at every pass.
        every = interval_for(now - post.published_at) or timedelta(hours=1)
        if _claim(connection, f"{prefix}:id", [post.post_id], int(every.total_seconds())):
            by_account.setdefault(post.channel_id, []).append(post)
    for channel_id, posts in by_account.items():
        for start in range(0, len(posts), BATCH_SIZE):
            chunk = [[p.post_id, p.publish_id] for p in posts[start : start + BATCH_SIZE]]
            job_id = f"{prefix}-{channel_id}-ids-{chunk[0][0]}-{int(now.timestamp())}"
            enqueue_once(
                connection, "default", collect, channel_id, [], chunk, job_id=job_id, job_timeout=JOB_TIMEOUT
            )
            jobs += 1
    return jobs


def collect(channel_id: int, polls: list[list[int | str]], awaiting: list[list[int | str]]) -> str:
    """Measure `polls` ([post id, public id] pairs) and look for the public ids of `awaiting` ([post id,
    publish id]); idempotent: a second run adds a second snapshot at its own time, nothing else."""
    settings = current_settings()
    job = get_current_job()
    connection = (
        job.connection
        if job is not None
        else connect(settings.redis_url, socket_timeout=CLOCK_SOCKET_TIMEOUT)
    )
    prefix = f"metrics-{installation_id(settings.database_url)}"
    wanted = {int(post_id): str(public_id) for post_id, public_id in polls}
    try:
        with TikTokClient.from_settings(settings) as client:
            token = ChannelToken(settings.database_url, channel_id, client, TokenCipher(settings.token_key))
            calls = _Calls(client, token, Pacer(connection))
            for post_id, publish_id in awaiting:
                public_id = calls.public_id(str(publish_id))
                if public_id is not None:
                    with session_scope(settings.database_url) as session:
                        set_public_id(session, int(post_id), public_id)
                    wanted[int(post_id)] = public_id  # measured at once: it may be at 0 views already
            measured = _measure(settings.database_url, calls, wanted)
    except AccountError as exc:
        return f"channel {channel_id}: not measured ({exc.reason})"
    except (TikTokError, PacingTimeout) as exc:
        if isinstance(exc, TikTokError) and exc.needs_reconnect:
            needs_reconnect(settings.database_url, channel_id, exc.reason)
        log.warning("metrics of channel %s not collected now: %s", channel_id, exc)
        return f"channel {channel_id}: not measured ({exc}); the next pass tries again"
    finally:
        if wanted:
            connection.delete(*(f"{prefix}:claim:{post_id}" for post_id in wanted))
    if measured:
        enqueue_post_sweep(connection, settings.database_url, measured, datetime.now(UTC))
    return f"channel {channel_id}: measured {len(measured)} of {len(wanted)} post(s)"


def _measure(database_url: str, calls: _Calls, wanted: dict[int, str]) -> list[int]:
    if not wanted:
        return []
    by_video = {public_id: post_id for post_id, public_id in wanted.items()}
    videos = calls.query(list(by_video))
    now = datetime.now(UTC)
    snapshots = [
        MetricSnapshot(
            post_id=by_video[video.id],
            taken_at=now,
            views=video.view_count,
            likes=video.like_count,
            comments=video.comment_count,
            shares=video.share_count,
            saves=None,
            source=SOURCE,
        )
        for video in videos
        if video.id in by_video
    ]
    with session_scope(database_url) as session:
        record_snapshots(session, snapshots)
    return sorted(s.post_id for s in snapshots)


class _Calls:
    """TikTok calls with the channel's token, each paced within that token's per-minute limit and
    tried once more with a refreshed token when TikTok says it lapsed."""

    def __init__(self, client: TikTokClient, token: ChannelToken, pacer: Pacer) -> None:
        self.client, self.token, self.pacer = client, token, pacer
        self.access = token()

    def query(self, video_ids: Sequence[str]) -> list[Video]:
        return self._call("video_query", lambda access: self.client.query_videos(access, video_ids))

    def public_id(self, publish_id: str) -> str | None:
        status = self._call("status", lambda access: self.client.fetch_status(access, publish_id))
        return status.public_post_ids[0] if status.public_post_ids else None

    def _call(self, endpoint: str, call: Callable[[str], T]) -> T:
        try:
            return self._paced(endpoint, call)
        except TikTokError as exc:
            if not exc.token_expired:
                raise
        self.access = self.token.refused(self.access)
        return self._paced(endpoint, call)

    def _paced(self, endpoint: str, call: Callable[[str], T]) -> T:
        self.pacer.acquire(
            pace_key(endpoint, self.access),
            limit=RATE_LIMITS[endpoint],
            per_seconds=PACE_WINDOW,
            deadline=time.time() + PACE_DEADLINE,
        )
        return call(self.access)


def _unclaimed(connection: redis.Redis, prefix: str, targets: Sequence[PollTarget]) -> list[PollTarget]:
    if not targets:
        return []
    taken = connection.mget([f"{prefix}:{t.post_id}" for t in targets])
    return [t for t, mark in zip(targets, taken, strict=True) if mark is None]


def _claim(connection: redis.Redis, prefix: str, post_ids: Sequence[int], seconds: int) -> bool:
    """Mark the posts as queued for `seconds`; False when the (first) one was marked already."""
    pipe = connection.pipeline()
    for post_id in post_ids:
        pipe.set(f"{prefix}:{post_id}", "1", nx=True, ex=max(1, seconds))
    return bool(pipe.execute()[0])
