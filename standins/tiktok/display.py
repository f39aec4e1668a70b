"""Display API (reference §3.1, §6b): user info, the video list and the video query.

Only public videos that passed moderation are listed: a SELF_ONLY or private post, and a public one
whose id has not appeared yet, are absent, as the docs' "public videos" suggests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from standins.loopback import Answer, Request
from standins.tiktok.model import AccessToken, Series
from standins.tiktok.wire import ApiError, json_body, ok, query

if TYPE_CHECKING:
    from standins.tiktok import TikTokStandIn

MAX_COUNT = 20
VIDEO_FIELDS = frozenset(
    {
        "id",
        "create_time",
        "cover_image_url",
        "share_url",
        "video_description",
        "duration",
        "height",
        "width",
        "title",
        "embed_html",
        "embed_link",
        "like_count",
        "comment_count",
        "share_count",
        "view_count",
        "is_aigc",
    }
)
_USER_FIELDS = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "display_name": "user.info.basic",
    "username": "user.info.profile",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}
_CAPTION_LIMIT = 150  # title and video_description are each cut to 150 characters


@dataclass(frozen=True)
class _Visible:
    video_id: str
    caption: str
    created_ms: int
    public_since: float
    series: Series
    duration: int
    is_aigc: bool


def user_info(standin: TikTokStandIn, token: AccessToken, request: Request, now: float) -> Answer:
    fields = _fields(query(request), set(_USER_FIELDS))
    for name in fields:
        if _USER_FIELDS[name] not in token.scopes:
            raise ApiError(
                400, "scope_permission_missed", f"The field {name} needs scope {_USER_FIELDS[name]}."
            )
    account = standin.state.accounts[token.open_id]
    videos = _visible(standin, token.open_id, now)
    values: dict[str, Any] = {
        "open_id": account.open_id,
        "union_id": f"union-{account.open_id}",
        "avatar_url": f"https://p16.tiktokcdn.example/{account.open_id}.jpeg",
        "display_name": account.nickname,
        "username": account.username,
        "bio_description": "",
        "profile_deep_link": f"https://vm.tiktok.com/{account.username}",
        "is_verified": False,
        "follower_count": 0,
        "following_count": 0,
        "likes_count": sum(v.series(now - v.public_since).likes for v in videos),
        "video_count": len(videos),
    }
    return ok({"user": {name: values[name] for name in fields}}, now)


def video_list(standin: TikTokStandIn, token: AccessToken, request: Request, now: float) -> Answer:
    _need_video_list(token)
    fields = _fields(query(request), VIDEO_FIELDS)
    body = json_body(request)
    max_count, cursor = body.get("max_count", 10), body.get("cursor")
    if not isinstance(max_count, int) or not 1 <= max_count <= MAX_COUNT:
        raise ApiError(400, "invalid_params", f"max_count must be between 1 and {MAX_COUNT}.")
    if cursor is not None and not isinstance(cursor, int):
        raise ApiError(400, "invalid_params", "cursor must be an integer (a UNIX time in milliseconds).")
    videos = sorted(_visible(standin, token.open_id, now), key=lambda v: v.created_ms, reverse=True)
    older = [v for v in videos if cursor is None or v.created_ms < cursor]
    page = older[:max_count]
    next_cursor = page[-1].created_ms if page else (cursor or 0)
    data = {
        "videos": [_video(standin, token, v, fields, now) for v in page],
        "cursor": next_cursor,
        "has_more": len(older) > len(page),
    }
    return ok(data, now)


def video_query(standin: TikTokStandIn, token: AccessToken, request: Request, now: float) -> Answer:
    _need_video_list(token)
    fields = _fields(query(request), VIDEO_FIELDS)
    filters = json_body(request).get("filters")
    ids = filters.get("video_ids") if isinstance(filters, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, "invalid_params", "filters.video_ids must be a non-empty list of strings.")
    if len(ids) > MAX_COUNT:
        raise ApiError(400, "invalid_params", f"At most {MAX_COUNT} video_ids may be queried at once.")
    # Only the caller's own public videos come back; other ids are left out without an error.
    by_id = {v.video_id: v for v in _visible(standin, token.open_id, now)}
    found = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
    return ok({"videos": [_video(standin, token, v, fields, now) for v in found]}, now)


def _visible(standin: TikTokStandIn, open_id: str, now: float) -> list[_Visible]:
    videos = []
    for publish in standin.state.publishes.values():
        since = publish.public_since(now) if publish.open_id == open_id else None
        if since is not None:
            published = publish.published_at(now) or since
            caption = publish.post_info.get("title", "")
            videos.append(
                _Visible(
                    publish.video_id,
                    caption,
                    int(published * 1000),
                    since,
                    publish.series,
                    15,
                    bool(publish.post_info.get("is_aigc")),
                )
            )
    for extra in standin.state.extra_videos.values():
        if extra.open_id == open_id and extra.public_since <= now:
            created = int(extra.public_since * 1000)
            videos.append(
                _Visible(
                    extra.video_id,
                    extra.caption,
                    created,
                    extra.public_since,
                    extra.series,
                    extra.duration,
                    False,
                )
            )
    return videos


def _video(
    standin: TikTokStandIn, token: AccessToken, v: _Visible, fields: list[str], now: float
) -> dict[str, Any]:
    counts = v.series(now - v.public_since)
    username = standin.state.accounts[token.open_id].username
    caption = v.caption[:_CAPTION_LIMIT]
    values: dict[str, Any] = {
        "id": v.video_id,
        "create_time": v.created_ms // 1000,
        "cover_image_url": f"https://p16.tiktokcdn.example/cover/{v.video_id}.jpeg",
        "share_url": f"https://www.tiktok.com/@{username}/video/{v.video_id}",
        "video_description": caption,
        "duration": v.duration,
        "height": 1920,
        "width": 1080,
        "title": caption,
        "embed_html": f'<blockquote class="tiktok-embed" data-video-id="{v.video_id}"></blockquote>',
        "embed_link": f"https://www.tiktok.com/player/v1/{v.video_id}",
        "like_count": counts.likes,
        "comment_count": counts.comments,
        "share_count": counts.shares,
        "view_count": counts.views,
        "is_aigc": v.is_aigc,
    }
    return {name: values[name] for name in fields}


def _fields(params: dict[str, str], known: set[str] | frozenset[str]) -> list[str]:
    fields = [name for name in params.get("fields", "").split(",") if name]
    if not fields:
        raise ApiError(400, "invalid_params", "The fields query parameter is required.")
    unknown = [name for name in fields if name not in known]
    if unknown:
        raise ApiError(400, "invalid_params", f"Unknown field: {unknown[0]}.")
    return fields


def _need_video_list(token: AccessToken) -> None:
    if "video.list" not in token.scopes:
        raise ApiError(
            401, "scope_not_authorized", "The user did not authorize the scope required for this endpoint."
        )
