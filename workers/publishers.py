"""Where a post goes: TikTok through the real client, or the local sandbox, behind one interface.

Without TikTok credentials (TIKTOK_CLIENT_KEY/SECRET) every post goes to the sandbox: it takes the
post through the same states and writes the requests it would have sent to SANDBOX_DIR, one JSON
file per request, so a person can see exactly what would have gone out. Every message about such a
post says "sandbox".
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar

from core.media import ChunkPlan, chunk_plan
from core.posts import Post, same_caption
from core.scheduling import SANDBOX_CREATOR as SANDBOX
from workers.pacing import Pacer, PacingTimeout
from workers.tiktok import (
    RATE_LIMITS,
    CreatorInfo,
    InitResult,
    PostInfo,
    PublishStatus,
    TikTokClient,
    TikTokError,
    VideoPage,
    pace_key,
)

T = TypeVar("T")

# TikTok counts its per-minute limits when a request arrives, a little after our slot is granted: the
# window is kept a second longer than TikTok's so the two never disagree about the oldest call.
PACE_WINDOW_SECONDS = 61.0
# How long a call waits for a free slot before the job gives the attempt back (init) or polls later
# (status); longer than one window, so only a queue of many posts on one account ever reaches it.
PACE_WAIT_SECONDS = {"init": 150.0, "status": 65.0, "video_list": 30.0, "creator_info": 65.0}
# A video made this long before its init was sent cannot be the post (clocks differ a little).
CLOCK_SKEW = timedelta(minutes=1)

# The sandbox's creator info is the one scheduling checks against (core.scheduling), in the client's type.
SANDBOX_CREATOR = CreatorInfo(
    nickname=SANDBOX.nickname,
    username=SANDBOX.username,
    avatar_url="",
    privacy_level_options=SANDBOX.privacy_level_options,
    comment_disabled=SANDBOX.comment_disabled,
    duet_disabled=SANDBOX.duet_disabled,
    stitch_disabled=SANDBOX.stitch_disabled,
    max_video_post_duration_sec=SANDBOX.max_video_post_duration_sec,
)


class Publisher(Protocol):
    sandbox: bool

    def creator_info(self) -> CreatorInfo: ...
    def init(self, post: Post, plan: ChunkPlan) -> InitResult: ...
    def upload(self, started: InitResult, media: bytes, *, resume_from: int = 0) -> int: ...
    def status(self, publish_id: str) -> PublishStatus: ...
    def find(self, post: Post) -> Found | None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Found:
    """A post TikTok has although its init's answer was lost: its publish id or its public video."""

    publish_id: str | None = None
    public_id: str | None = None


def media_bytes(post: Post) -> bytes:
    """The video's bytes: a file path (a URL is fetched by TikTok itself, PULL_FROM_URL)."""
    if not post.media:
        raise FileNotFoundError("the post has no video attached")
    return Path(post.media).read_bytes()


def post_info(post: Post) -> PostInfo:
    """A direct post's settings as the person chose them when scheduling it (TikTok's guidelines)."""
    assert post.privacy_level is not None, "a direct post's privacy is chosen when it is scheduled"
    chosen = post.settings
    return PostInfo(
        post.privacy_level,
        title=post.caption,
        disable_comment=not chosen.allow_comment,
        disable_duet=not chosen.allow_duet,
        disable_stitch=not chosen.allow_stitch,
        brand_organic_toggle=chosen.brand_organic,
        brand_content_toggle=chosen.brand_content,
    )


def plan_for(media: bytes) -> ChunkPlan:
    return chunk_plan(len(media))


class Token(Protocol):
    """The account's access token (workers.accounts.ChannelToken): the current one, and a fresh one
    after TikTok refused `token` (refreshed under the account's lock)."""

    def __call__(self) -> str: ...
    def refused(self, token: str) -> str: ...


@dataclass
class TikTokPublisher:
    """The real thing: one account's token, the shared client, and the pacer that keeps every worker
    inside TikTok's per-token limits (6 inits and 30 status fetches a minute)."""

    client: TikTokClient
    access_token: Token
    pacer: Pacer | None = None
    sandbox: bool = False

    def creator_info(self) -> CreatorInfo:
        return self._call("creator_info", self.client.creator_info)

    def init(self, post: Post, plan: ChunkPlan) -> InitResult:
        if post.posting_mode == "draft":
            return self._call("init", lambda token: self.client.init_inbox_upload(token, plan))
        info = post_info(post)
        return self._call("init", lambda token: self.client.init_direct_post(token, info, plan))

    def upload(self, started: InitResult, media: bytes, *, resume_from: int = 0) -> int:
        assert started.upload_url is not None
        plan = started.plan or plan_for(media)
        return self.client.upload(started.upload_url, media, plan, resume_from=resume_from)

    def status(self, publish_id: str) -> PublishStatus:
        return self._call("status", lambda token: self.client.fetch_status(token, publish_id))

    def find(self, post: Post, *, pages: int = 5) -> Found | None:
        """The account's video with this post's caption, made after its init was sent (Display API's
        list, newest first, a few pages back). An inbox draft is listed once the creator posts it."""
        cursor: int | None = None
        for _ in range(pages):
            page = self._call("video_list", partial(self._list_page, cursor=cursor))
            for video in page.videos:
                made_after = post.init_sent_at is None or video.create_time >= post.init_sent_at - CLOCK_SKEW
                if made_after and same_caption(post.caption, video.title or video.description):
                    return Found(public_id=video.id)
            too_old = post.init_sent_at is not None and any(
                v.create_time < post.init_sent_at - CLOCK_SKEW for v in page.videos
            )
            if not page.has_more or too_old:
                return None
            cursor = page.cursor
        return None

    def close(self) -> None:
        self.client.close()

    def _list_page(self, token: str, *, cursor: int | None) -> VideoPage:
        return self.client.list_videos(token, cursor=cursor)

    def _call(self, endpoint: str, call: Callable[[str], T]) -> T:
        """One TikTok call with the account's token, inside the token's rate limit. A token TikTok
        refuses as expired is refreshed once and the call made again: TikTok did nothing with a call
        it refused (for a post that already has a publish_id, the call is a status fetch, never a
        second init)."""
        token = self.access_token()
        self._pace(endpoint, token)
        try:
            return call(token)
        except TikTokError as exc:
            if not exc.token_expired:
                raise
        token = self.access_token.refused(token)
        self._pace(endpoint, token)
        return call(token)

    def _pace(self, endpoint: str, token: str) -> None:
        """Wait for one of the token's slots; a slot that cannot come in time is a transient error
        raised before anything is sent, so the job tries again later instead of failing the post."""
        if self.pacer is None:
            return
        try:
            self.pacer.acquire(
                pace_key(endpoint, token),
                limit=RATE_LIMITS[endpoint],
                per_seconds=PACE_WINDOW_SECONDS,
                deadline=self.pacer.now() + PACE_WAIT_SECONDS[endpoint],
            )
        except PacingTimeout as exc:
            raise TikTokError(
                "paced",
                str(exc),
                reason=f"this account's {RATE_LIMITS[endpoint]} TikTok calls a minute for {endpoint} "
                "are taken by other posts; trying again shortly",
                retryable=True,
            ) from exc


@dataclass
class SandboxPublisher:
    """Goes through TikTok's steps without TikTok: each request is written to `folder` instead."""

    folder: Path
    sandbox: bool = True
    _modes: dict[str, str] = field(default_factory=dict)

    def creator_info(self) -> CreatorInfo:
        return SANDBOX_CREATOR

    def init(self, post: Post, plan: ChunkPlan) -> InitResult:
        publish_id = f"sandbox.{post.id}.{uuid.uuid4().hex[:12]}"
        endpoint = "inbox/video/init" if post.posting_mode == "draft" else "video/init"
        body: dict[str, object] = {
            "source_info": {
                "source": "FILE_UPLOAD",
                "video_size": plan.video_size,
                "chunk_size": plan.chunk_size,
                "total_chunk_count": plan.total_chunk_count,
            },
        }
        if post.posting_mode != "draft":
            body["post_info"] = post_info(post).wire()
        self._write(publish_id, endpoint, body)
        return InitResult(publish_id=publish_id, upload_url=f"sandbox://{publish_id}", plan=plan)

    def upload(self, started: InitResult, media: bytes, *, resume_from: int = 0) -> int:
        self._write(
            started.publish_id,
            "upload",
            {"bytes": len(media), "chunks": started.plan.total_chunk_count if started.plan else 1},
        )
        return len(media)

    def status(self, publish_id: str) -> PublishStatus:
        inbox = (self.folder / f"{publish_id}.inbox").exists()
        final = "SEND_TO_USER_INBOX" if inbox else "PUBLISH_COMPLETE"
        # A stable number shaped like TikTok's video ids, so links and metrics code treat it alike.
        public = (
            ()
            if inbox
            else (str(7 * 10**18 + int(hashlib.sha256(publish_id.encode()).hexdigest()[:15], 16)),)
        )
        return PublishStatus(
            status=final, fail_reason=None, public_post_ids=public, uploaded_bytes=None, downloaded_bytes=None
        )

    def find(self, post: Post) -> Found | None:
        """The init this sandbox wrote for the post, if it did: the sandbox's own record of what went out."""
        for path in sorted(self.folder.glob(f"*-sandbox.{post.id}.*-*init.json")):
            return Found(publish_id=path.name.split("-", 1)[1].rsplit("-", 1)[0])
        return None

    def close(self) -> None:
        pass

    def _write(self, publish_id: str, endpoint: str, body: dict[str, object]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"{stamp}-{publish_id}-{endpoint.replace('/', '_')}.json"
        path.write_text(json.dumps({"endpoint": endpoint, "body": body}, indent=2))
        if endpoint == "inbox/video/init":
            (self.folder / f"{publish_id}.inbox").touch()
