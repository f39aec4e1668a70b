"""Display API (reference §3.1): the account's public videos and their counts.

Only public videos that passed moderation appear; a private or SELF_ONLY post has no id to ask for,
so its metrics are "unavailable", never "0 views".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workers.tiktok.errors import TikTokError
from workers.tiktok.wire import Wire

MAX_IDS = 20  # per video/query call, and per video/list page
VIDEO_FIELDS = (
    "id",
    "create_time",
    "title",
    "video_description",
    "duration",
    "share_url",
    "view_count",
    "like_count",
    "comment_count",
    "share_count",
)


@dataclass(frozen=True)
class Video:
    id: str  # a 19-digit number, kept as text: a float would round it
    create_time: datetime
    title: str  # the caption's first 150 characters
    description: str
    duration: int
    share_url: str
    view_count: int
    like_count: int
    comment_count: int
    share_count: int


@dataclass(frozen=True)
class VideoPage:
    videos: tuple[Video, ...]
    cursor: int  # pass back to get the next (older) page
    has_more: bool  # a page may hold fewer than asked even when more follow


class Display(Wire):
    def list_videos(
        self, access_token: str, *, cursor: int | None = None, max_count: int = MAX_IDS
    ) -> VideoPage:
        """The account's public videos, newest first, one page at a time."""
        body: dict[str, Any] = {"max_count": max_count}
        if cursor is not None:
            body["cursor"] = cursor
        data = self.call_api(
            "/v2/video/list/", access_token, what="the video list", body=body, params=_fields()
        )
        return VideoPage(
            videos=tuple(_video(v) for v in data.get("videos") or ()),
            cursor=int(data.get("cursor") or 0),
            has_more=bool(data.get("has_more")),
        )

    def query_videos(self, access_token: str, video_ids: Sequence[str]) -> list[Video]:
        """Current counts for up to 20 of the account's videos; ids TikTok does not show (not public,
        another account's, deleted) are simply missing from the answer."""
        if not 1 <= len(video_ids) <= MAX_IDS:
            raise ValueError(f"query 1 to {MAX_IDS} video ids at a time, not {len(video_ids)}")
        body = {"filters": {"video_ids": list(video_ids)}}
        data = self.call_api(
            "/v2/video/query/", access_token, what="the video query", body=body, params=_fields()
        )
        return [_video(v) for v in data.get("videos") or ()]


def _fields() -> dict[str, str]:
    return {"fields": ",".join(VIDEO_FIELDS)}


def _video(raw: Any) -> Video:
    try:
        return Video(
            id=str(raw["id"]),
            create_time=datetime.fromtimestamp(int(raw["create_time"]), UTC),
            title=str(raw.get("title") or ""),
            description=str(raw.get("video_description") or ""),
            duration=int(raw.get("duration") or 0),
            share_url=str(raw.get("share_url") or ""),
            view_count=int(raw.get("view_count") or 0),
            like_count=int(raw.get("like_count") or 0),
            comment_count=int(raw.get("comment_count") or 0),
            share_count=int(raw.get("share_count") or 0),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TikTokError(
            "bad_response",
            repr(exc),
            reason=f"TikTok sent a video that could not be read ({exc!r})",
            retryable=False,
        ) from None
