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
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from core.media import ChunkPlan, chunk_plan
from core.posts import Post
from workers.tiktok import CreatorInfo, InitResult, PostInfo, PublishStatus, TikTokClient

SANDBOX_CREATOR = CreatorInfo(
    nickname="sandbox",
    username="sandbox",
    avatar_url="",
    privacy_level_options=("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"),
    comment_disabled=False,
    duet_disabled=False,
    stitch_disabled=False,
    max_video_post_duration_sec=600,
)


class Publisher(Protocol):
    sandbox: bool

    def creator_info(self) -> CreatorInfo: ...
    def init(self, post: Post, plan: ChunkPlan) -> InitResult: ...
    def upload(self, started: InitResult, media: bytes) -> int: ...
    def status(self, publish_id: str) -> PublishStatus: ...
    def find(self, post: Post) -> Found | None: ...


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


def plan_for(media: bytes) -> ChunkPlan:
    return chunk_plan(len(media))


@dataclass
class TikTokPublisher:
    """The real thing: one account's access token (refreshed by the caller) and the shared client."""

    client: TikTokClient
    access_token: Callable[[], str]
    sandbox: bool = False

    def creator_info(self) -> CreatorInfo:
        return self.client.creator_info(self.access_token())

    def init(self, post: Post, plan: ChunkPlan) -> InitResult:
        if post.posting_mode == "draft":
            return self.client.init_inbox_upload(self.access_token(), plan)
        assert post.privacy_level is not None, "a direct post's privacy is chosen when it is scheduled"
        info = PostInfo(post.privacy_level, title=post.caption, brand_organic_toggle=True)
        return self.client.init_direct_post(self.access_token(), info, plan)

    def upload(self, started: InitResult, media: bytes) -> int:
        assert started.upload_url is not None
        return self.client.upload(started.upload_url, media, started.plan or plan_for(media))

    def status(self, publish_id: str) -> PublishStatus:
        return self.client.fetch_status(self.access_token(), publish_id)

    def find(self, post: Post) -> Found | None:
        """The account's video with this post's caption, made after its init was sent (Display API).
        An inbox draft is not listed until the creator posts it, so a draft is never found here."""
        page = self.client.list_videos(self.access_token())
        for video in page.videos:
            text = video.title or video.description or ""
            made_after = post.init_sent_at is None or video.create_time >= post.init_sent_at
            if made_after and text and post.caption.startswith(text[:60]):
                return Found(public_id=video.id)
        return None


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
            body["post_info"] = {
                "privacy_level": post.privacy_level,
                "title": post.caption,
                "brand_organic_toggle": True,
            }
        self._write(publish_id, endpoint, body)
        return InitResult(publish_id=publish_id, upload_url=f"sandbox://{publish_id}", plan=plan)

    def upload(self, started: InitResult, media: bytes) -> int:
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

    def _write(self, publish_id: str, endpoint: str, body: dict[str, object]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"{stamp}-{publish_id}-{endpoint.replace('/', '_')}.json"
        path.write_text(json.dumps({"endpoint": endpoint, "body": body}, indent=2))
        if endpoint == "inbox/video/init":
            (self.folder / f"{publish_id}.inbox").touch()
