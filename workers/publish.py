"""Publishing: a due post goes out once, on time, in its channel's posting mode; its thread says how.

    enqueue_publish(connection, database_url, post)   the job `publish-<installation>-<post id>-<attempt>`
                                                      on the `posts` queue, which workers drain first
    publish_post(post_id, attempt)                    the job (a leased job: workers/leases.py)
    sweep(connection, database_url, now)              the clock's pass every second: due posts, dead
                                                      workers, lost jobs

The clock finds due posts itself (RQ's enqueue_at starts jobs up to a second early and holds them for
minutes when a worker dies). A job holds its post through a lease renewed every few seconds; a worker
that dies is noticed within LEASE, and its post is resumed, not redone: TikTok's publish_id is stored
the moment init answers, and a post with one is only ever asked about again (core.posts).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from rq import Queue, Retry, get_current_job
from rq.job import Job, JobStatus
from slack_sdk.errors import SlackClientError

from config.errors import SetupError
from config.settings import Settings
from core.posts import Post, PostStatus, from_tiktok_status
from messages.posts import (
    failure_note,
    hand_to_poster,
    handoff_text,
    held_note,
    note,
    posted_note,
    show_post,
    still_processing_note,
)
from messages.slack import direct_message, slack_client
from storage import post_followups, posts
from storage.crypto import TokenCipher
from storage.db import session_scope
from storage.installation import installation_id
from workers import leases
from workers.accounts import AccountError, ChannelToken, needs_reconnect, sandbox
from workers.leases import JobError, Lease, Policy
from workers.pacing import Pacer
from workers.products import hold_reason
from workers.publishers import Publisher, SandboxPublisher, TikTokPublisher, media_bytes, plan_for
from workers.queues import LIVE, enqueue_once, fetch
from workers.runtime import settings as current_settings
from workers.tiktok import InitResult, TikTokClient, TikTokError, fail_reason_words
from workers.tiktok_shop import ShopError

log = logging.getLogger(__name__)

# A dead worker's post is resumed within LEASE plus a clock tick.
LEASE = timedelta(seconds=10)
# Before init: rate limits, 5xx and timeouts are tried again soon, inside a minute.
RETRY_INTERVALS = (2, 5, 15, 30)
POLICY = Policy(lease=LEASE, retry_intervals=RETRY_INTERVALS)
JOB_TIMEOUT = 15 * 60
# TikTok usually finishes within a minute; past each of these (since the init went out) the post says
# so in its thread and keeps waiting: no upper bound is promised (reference §1.7).
STILL_PROCESSING_AFTER = (timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))
POLL_SECONDS = 3.0
# An upload broken off by a transient failure is resumed this many times before the status decides.
UPLOAD_TRIES = 4
# A post starts within a second or two of its time; one that starts this late says so in its thread.
LATE_AFTER = timedelta(seconds=5)
# Queued posts untouched this long have their job checked: Redis may have lost it.
LOST_AFTER = timedelta(seconds=30)


def job_id(database_url: str, post_id: int, attempt: int) -> str:
    return f"publish-{installation_id(database_url)}-{post_id}-{attempt}"


def enqueue_publish(connection: redis.Redis, database_url: str, post: Post) -> Job:
    return enqueue_once(
        connection,
        "posts",
        publish_post,
        post.id,
        post.attempts,
        job_id=job_id(database_url, post.id, post.attempts),
        job_timeout=JOB_TIMEOUT,
    )


def sweep(connection: redis.Redis, database_url: str, now: datetime) -> list[int]:
    """The clock's pass: due posts queued, dead workers' posts handed to a new attempt, lost jobs
    enqueued again. Returns the ids of posts it enqueued."""
    with session_scope(database_url) as session:
        due = posts.take_due(session, now)
    with session_scope(database_url) as session:
        resumed = posts.lapsed(session, now)
        waiting = posts.waiting_for_a_job(session, now - LOST_AFTER)
    for post in resumed:
        log.warning("post %s: its worker stopped mid-publish; resuming as attempt %s", post.id, post.attempts)
    lost = [p for p in waiting if _job_lost(connection, job_id(database_url, p.id, p.attempts))]
    for post in [*due, *resumed, *lost]:
        enqueue_publish(connection, database_url, post)
    return [post.id for post in [*due, *resumed, *lost]]


def _job_lost(connection: redis.Redis, job_id: str) -> bool:
    """Whether a waiting post's job will never run: gone (Redis lost it), spent, or taken by a worker
    that died before it claimed the post (a live one claims it within a second, and the post has
    waited LOST_AFTER). An orphan is deleted, so the post's job can be queued again under its id."""
    job = fetch(connection, job_id)
    if job is None:
        return True
    status = job.get_status(refresh=False)
    if status is JobStatus.QUEUED:
        # A worker that died between taking it off the queue and starting it leaves it "queued".
        alive = Queue(job.origin, connection=connection).get_job_position(job.id) is not None
    else:
        alive = status in (JobStatus.SCHEDULED, JobStatus.DEFERRED)
    if not alive and status in LIVE:
        job.delete()
    return not alive


def publish_post(post_id: int, attempt: int) -> str | Retry:
    settings = current_settings()
    return leases.run(Publication(settings, post_id, attempt), settings.database_url, POLICY)


@dataclass
class Publication:
    """Publishing's steps in the leased-job lifecycle."""

    settings: Settings
    row_id: int
    attempt: int
    # TikTok's log id of the last failure, kept on the post for TikTok's support.
    log_id: str | None = field(default=None, init=False)

    def claim(self, session: Any, until: datetime) -> bool:
        return posts.claim(session, self.row_id, self.attempt, until, datetime.now(UTC))

    def renew(self, session: Any, until: datetime) -> bool:
        return posts.renew(session, self.row_id, self.attempt, until)

    def release(self, session: Any) -> bool:
        return posts.release(session, self.row_id, self.attempt)

    def not_claimed(self) -> str:
        return f"post {self.row_id} attempt {self.attempt}: not due, or another worker has it"

    def give_up(self, reason: str) -> str:
        post = self._post()
        if post.status is PostStatus.NEEDS_RECONCILE or (
            post.publish_id and post.status is not PostStatus.FAILED
        ):
            # TikTok may have it (a publish_id, or an init whose answer was lost): only asking TikTok
            # settles it, never a second init.
            return self._unsettled(post, reason)
        if self._move(PostStatus.FAILED, failure=reason, log_id=self.log_id):
            failed = self._post()
            self._note(failure_note(failed))
        return f"post {self.row_id}: failed: {reason}"

    def _unsettled(self, post: Post, reason: str) -> str:
        """A post TikTok has (a publish_id) that cannot be asked about now (the grant is refused, TikTok
        refuses the question): its outcome is unknown until the clock's next look, which asks again."""
        if post.status is PostStatus.NEEDS_RECONCILE:
            with session_scope(self.settings.database_url) as session:
                posts.release(session, post.id, self.attempt)
        elif self._move(PostStatus.NEEDS_RECONCILE, failure=reason, log_id=self.log_id, lease_until=None):
            self._note(
                f":grey_question: TikTok has this post but cannot be asked about it now: {reason}. "
                "It is never sent again; the bot keeps asking TikTok and says here how it ended."
            )
        return f"post {post.id}: outcome unknown: {reason}"

    def work(self, lease: Lease) -> str:
        try:
            return self._publish(lease)
        except (AccountError, SetupError) as exc:
            # No usable account (its owner was already told, with a Reconnect button) or no TOKEN_KEY.
            raise JobError(getattr(exc, "reason", str(exc)), retryable=False) from exc
        except TikTokError as exc:
            # A call outside the steps' own handling (the token refresh): transient or not, as TikTok said.
            self.log_id = exc.log_id or self.log_id
            raise JobError(exc.reason, retryable=exc.retryable) from exc

    def _publish(self, lease: Lease) -> str:
        post = self._post()
        publisher = publisher_for(self.settings, post)
        try:
            return self._steps(post, publisher, lease)
        finally:
            publisher.close()

    def _steps(self, post: Post, publisher: Publisher, lease: Lease) -> str:
        if post.publish_id is None and post.status is PostStatus.PUBLISHING:
            if self._held(post):
                return f"post {post.id}: held: its shop product is not live"
            self._say_started(post)
            if post.posting_mode == "manual":
                self._move(PostStatus.AWAITING_POSTER)
                hand_to_poster(self.settings, self._post())
                return f"post {post.id}: handed to its poster"
            post = self._init(post, publisher)
        return self._follow(post, publisher, lease)

    # --- steps ----------------------------------------------------------------------------------

    def _init(self, post: Post, publisher: Publisher) -> Post:
        try:
            # The sandbox takes a post with no video (trying the product out); TikTok needs one.
            media = b"\0" if publisher.sandbox and not post.media else media_bytes(post)
            plan = plan_for(media)
        except (OSError, ValueError) as exc:
            raise JobError(f"the video cannot be read: {exc}", retryable=False) from exc
        with session_scope(self.settings.database_url) as session:
            if not posts.mark_init_sent(session, post.id, self.attempt, datetime.now(UTC)):
                raise JobError("the post was cancelled or taken over before it was sent", retryable=False)
        try:
            started = publisher.init(post, plan)
        except TikTokError as exc:
            self.log_id = exc.log_id
            if exc.after_acting_possible:
                # TikTok may have acted on an init whose answer was lost: settle it now, by asking
                # (the video list), rather than after the clock's next look.
                self._move(PostStatus.NEEDS_RECONCILE, failure=exc.reason, log_id=exc.log_id)
                return self._post()
            if exc.code == "rate_limit_exceeded":
                self._note(f":hourglass: TikTok said: {exc.reason}. The bot tries again shortly.")
            if exc.needs_reconnect:
                needs_reconnect(self.settings.database_url, post.channel_id, exc.reason)
            raise JobError(exc.reason, retryable=exc.retryable) from exc
        with session_scope(self.settings.database_url) as session:
            if not posts.record_publish_id(session, post.id, self.attempt, started.publish_id):
                raise JobError(
                    "the post was cancelled or taken over while TikTok accepted it", retryable=False
                )
        self._upload(post, publisher, started, media)
        return self._post()

    def _upload(self, post: Post, publisher: Publisher, started: InitResult, media: bytes) -> None:
        """Send the video. Nobody but this job knows the upload URL (init's answer), so a chunk that
        failed, or whose answer was lost, is sent again here, from where TikTok's status says it holds;
        a video TikTok never gets whole stays processing, and its thread says so."""
        held = 0
        for attempt in range(1, UPLOAD_TRIES + 1):
            try:
                publisher.upload(started, media, resume_from=held)
                return
            except TikTokError as exc:
                resumable = exc.retryable or exc.after_acting_possible or exc.code == "upload_out_of_step"
                log.warning("post %s: upload interrupted (%s)", post.id, exc.reason)
                if not resumable or attempt == UPLOAD_TRIES:
                    return
            time.sleep(attempt)
            # Without an answer, the next try starts where the last one left it.
            with contextlib.suppress(TikTokError):
                held = publisher.status(started.publish_id).uploaded_bytes or held
            if held >= len(media):
                return

    def _follow(self, post: Post, publisher: Publisher, lease: Lease) -> str:
        """Poll TikTok's status for the stored publish_id until it settles, the lease is lost, or a
        person must act. A token that lapses meanwhile is refreshed and the same id asked about again."""
        if post.publish_id is None:
            return self._reconcile_unsent(post, publisher)
        said = self._processing_for(post)
        while not lease.lost.is_set():
            try:
                status = publisher.status(post.publish_id)
            except TikTokError as exc:
                if exc.retryable or exc.after_acting_possible:
                    time.sleep(POLL_SECONDS)
                    continue
                self.log_id = exc.log_id
                if exc.code == "invalid_publish_id":
                    # TikTok forgot the id (they expire): the account's video list is the other witness.
                    return self._forgotten(post, publisher)
                if exc.needs_reconnect:
                    needs_reconnect(self.settings.database_url, post.channel_id, exc.reason)
                raise JobError(exc.reason, retryable=False) from exc
            target = from_tiktok_status(status.status)
            if target is PostStatus.PUBLISHED:
                public = status.public_post_ids[0] if status.public_post_ids else None
                if self._move(
                    PostStatus.PUBLISHED, public_id=public, published_at=datetime.now(UTC), failure=None
                ):
                    self._note(posted_note(self._post()))
                return f"post {post.id}: published"
            if target is PostStatus.AWAITING_POSTER:
                if self._move(PostStatus.AWAITING_POSTER, failure=None):
                    self._hand_to_poster()
                return f"post {post.id}: in the creator's inbox"
            if target is PostStatus.FAILED:
                words, _ = fail_reason_words(status.fail_reason or "")
                failure = words or "TikTok failed the post without a reason"
                if status.fail_reason == "auth_removed":
                    needs_reconnect(self.settings.database_url, post.channel_id, failure)
                if self._move(PostStatus.FAILED, failure=failure):
                    self._note(failure_note(self._post()))
                return f"post {post.id}: failed at TikTok"
            if post.status is not PostStatus.PROCESSING:
                self._move(PostStatus.PROCESSING, failure=None)
                post = self._post()
            waited = self._processing_for(post)
            if any(said < mark <= waited for mark in STILL_PROCESSING_AFTER):
                self._note(still_processing_note(waited, status.fail_reason, status.status))
            said = waited
            time.sleep(POLL_SECONDS)
        return f"post {post.id}: lease lost while waiting for TikTok"

    @staticmethod
    def _processing_for(post: Post) -> timedelta:
        """How long TikTok has had the post: since its init went out (a resumed post counts from there)."""
        since = post.init_sent_at or post.started_at or datetime.now(UTC)
        return max(datetime.now(UTC) - since, timedelta(0))

    def _hand_to_poster(self) -> None:
        """Draft mode: the channel's poster finishes the post in the TikTok app; the thread and a DM
        give them the caption and the product to add (TikTok's inbox upload carries neither)."""
        post = self._post()
        with session_scope(self.settings.database_url) as session:
            handoff = post_followups.handoff(session, post)
        text = handoff_text(post, handoff.poster, handoff.product)
        self._note(text)
        if not self.settings.slack_bot_token:
            return
        try:
            direct_message(slack_client(self.settings), handoff.poster, text)
        except (SlackClientError, OSError) as exc:
            log.warning("post %s: could not tell its poster %s: %s", post.id, handoff.poster, exc)

    def _reconcile_unsent(self, post: Post, publisher: Publisher) -> str:
        """A post whose worker died, or whose init's answer was lost, before it stored a publish id.
        Without init_sent_at no init went out, so it is simply sent again; with it TikTok may have the
        post, so it is looked for first; one TikTok does not have is sent again (see below)."""
        if post.init_sent_at is None:
            # The lease goes too, so the clock's next attempt can take the post at once.
            self._move(PostStatus.SCHEDULED, failure=None, lease_until=None)
            return f"post {post.id}: never reached TikTok; back on the schedule"
        try:
            found = publisher.find(post)
        except TikTokError as exc:
            raise JobError(exc.reason, retryable=True) from exc
        if found is not None and found.publish_id:
            with session_scope(self.settings.database_url) as session:
                posts.move(session, post.id, self.attempt, PostStatus.PROCESSING, publish_id=found.publish_id)
            return f"post {post.id}: found at TikTok; following it"
        if found is not None:
            self._move(PostStatus.PUBLISHED, public_id=found.public_id, published_at=datetime.now(UTC))
            self._note("Posted: found on the account after TikTok's answer was lost.")
            return f"post {post.id}: found published"
        # Every post goes up by FILE_UPLOAD, whose bytes can only go to the upload_url in init's answer:
        # an init whose answer was lost left TikTok an empty upload that can never be published, so a
        # new init cannot post the video twice.
        self._move(PostStatus.SCHEDULED, failure=None, lease_until=None)
        self._note("TikTok's answer to the post was lost before the video was sent; sending it again.")
        return f"post {post.id}: TikTok never got its video; back on the schedule"

    def _forgotten(self, post: Post, publisher: Publisher) -> str:
        """TikTok no longer knows the post's publish_id (they expire): the account's video list is the
        other witness. A post not there may still be on the account (private posts are not listed), so
        a person decides; it is never sent again on its own."""
        try:
            found = publisher.find(post)
        except TikTokError as exc:
            raise JobError(exc.reason, retryable=True) from exc
        if found is not None and found.public_id:
            self._move(PostStatus.PUBLISHED, public_id=found.public_id, published_at=datetime.now(UTC))
            self._note(posted_note(self._post()))
            return f"post {post.id}: found published"
        if self._move(
            PostStatus.FAILED,
            failure="TikTok no longer knows this post and it is not among the account's public videos; "
            "check the TikTok app, then press Retry to send it again",
            log_id=self.log_id,
        ):
            self._note(failure_note(self._post()))
        return f"post {post.id}: forgotten by TikTok; failed for a person to decide"

    def _held(self, post: Post) -> bool:
        """Its shop product, checked again with the shop just before anything is sent."""
        try:
            reason = hold_reason(self.settings, post)
        except ShopError as exc:
            raise JobError(exc.reason, retryable=True) from exc
        if reason is None:
            return False
        self._move(PostStatus.HELD, hold_reason=reason)
        held_note(self.settings, self._post())
        return True

    # --- storage and Slack ----------------------------------------------------------------------

    def _post(self) -> Post:
        with session_scope(self.settings.database_url) as session:
            found = posts.get_post(session, self.row_id)
        assert found is not None
        return found

    def _move(self, target: PostStatus, **values: Any) -> bool:
        with session_scope(self.settings.database_url) as session:
            moved = posts.move(session, self.row_id, self.attempt, target, **values)
        if moved:
            show_post(self.settings, self._post())
        return moved

    def _say_started(self, post: Post) -> None:
        late = datetime.now(UTC) - post.scheduled_at
        show_post(self.settings, post)
        if late > LATE_AFTER:
            self._note(
                f":warning: Started {int(late.total_seconds())} s late (the clock or the workers were down)."
            )

    def _note(self, text: str) -> None:
        note(self.settings, self._post(), text)


def publisher_for(settings: Settings, post: Post) -> Publisher:
    """The sandbox for sandbox posts (no TikTok credentials when they were scheduled), else TikTok
    with the channel's connected account, its token refreshed as needed (workers/accounts.py)."""
    if post.sandbox or sandbox(settings):
        return SandboxPublisher(Path(settings.sandbox_dir))
    client = TikTokClient.from_settings(settings)
    token = ChannelToken(settings.database_url, post.channel_id, client, TokenCipher(settings.token_key))
    return TikTokPublisher(client, token, Pacer(_redis(settings)))


def _redis(settings: Settings) -> redis.Redis:
    """The worker's own Redis connection inside a job (the pacer is shared by every worker there)."""
    job = get_current_job()
    return job.connection if job is not None else redis.Redis.from_url(settings.redis_url)
