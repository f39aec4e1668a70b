"""Content Posting (reference §1): creator info, Direct Post and inbox init, the upload PUTs, status."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from core.media import plan_problem
from standins.loopback import Answer, Request
from standins.tiktok.model import AccessToken, Account, Publish
from standins.tiktok.wire import ApiError, invalid_param, json_body, ok

if TYPE_CHECKING:
    from standins.tiktok import TikTokStandIn

DAY = 86_400.0
UPLOAD_URL_LIFETIME = 3_600.0
TITLE_LIMIT = 2_200  # UTF-16 code units
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm"})
_POST_INFO_FLAGS = (
    "disable_duet",
    "disable_stitch",
    "disable_comment",
    "brand_content_toggle",
    "brand_organic_toggle",
    "is_aigc",
)
_POST_INFO_FIELDS = frozenset({"privacy_level", "title", "video_cover_timestamp_ms", *_POST_INFO_FLAGS})
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def creator_info(standin: TikTokStandIn, token: AccessToken, request: Request, now: float) -> Answer:
    _need_scope(token, "video.publish")
    account = standin.state.accounts[token.open_id]
    if account.banned:
        raise ApiError(standin.cap_status_on_creator_info, "spam_risk_user_banned_from_posting", _BANNED)
    if _posts_today(standin, account.open_id, now) >= account.daily_post_cap:
        raise ApiError(standin.cap_status_on_creator_info, "spam_risk_too_many_posts", _TOO_MANY)
    return ok(
        {
            "creator_avatar_url": f"https://p16.tiktokcdn.example/{account.open_id}.jpeg",
            "creator_username": account.username,
            "creator_nickname": account.nickname,
            "privacy_level_options": account.privacy_level_options,
            "comment_disabled": account.comment_disabled,
            "duet_disabled": account.duet_disabled or account.private,
            "stitch_disabled": account.stitch_disabled or account.private,
            "max_video_post_duration_sec": account.max_video_post_duration_sec,
        },
        now,
    )


def init_direct(standin: TikTokStandIn, token: AccessToken, request: Request, now: float) -> Answer:
    _need_scope(token, "video.publish")
    body = json_body(request)
    account = standin.state.accounts[token.open_id]
    post_info = _check_post_info(body.get("post_info"), account)
    source = _check_source(standin, body.get("source_info"))
    _check_may_post(standin, account, now)
    if not standin.audited and (not account.private or post_info["privacy_level"] != "SELF_ONLY"):
        raise ApiError(403, "unaudited_client_can_only_post_to_private_accounts", _UNAUDITED)
    if _posts_today(standin, account.open_id, now) >= account.daily_post_cap:
        raise ApiError(403, "spam_risk_too_many_posts", _TOO_MANY)
    standin.state.post_times.setdefault(account.open_id, []).append(now)
    return _create(standin, token, "direct", post_info, source, now)


def init_inbox(standin: TikTokStandIn, token: AccessToken, request: Request, now: float) -> Answer:
    _need_scope(token, "video.upload")
    body = json_body(request)
    if "post_info" in body:
        raise invalid_param("post_info is not supported when uploading to the inbox.")
    account = standin.state.accounts[token.open_id]
    source = _check_source(standin, body.get("source_info"))
    _check_may_post(standin, account, now)
    pending = [
        p
        for p in standin.state.publishes.values()
        if p.open_id == account.open_id and p.kind == "inbox" and p.created_at > now - DAY
        if p.status(now) not in ("PUBLISH_COMPLETE", "FAILED")
    ]
    if len(pending) >= standin.pending_share_cap:
        raise ApiError(
            403, "spam_risk_too_many_pending_share", "Too many pending shares in the last 24 hours."
        )
    return _create(standin, token, "inbox", {}, source, now)


def _create(
    standin: TikTokStandIn,
    token: AccessToken,
    kind: str,
    post_info: dict[str, Any],
    source: dict[str, Any],
    now: float,
) -> Answer:
    state = standin.state
    state.active_users[token.open_id] = now
    file = source["source"] == "FILE_UPLOAD"
    number = f"{secrets.randbelow(10**18) + 10**18}"
    # The shapes of the docs' examples: v_pub_file~v2-1.…, v_pub_url~v2.…, v_inbox_file~v2.…
    prefix = {"direct": "v_pub", "inbox": "v_inbox"}[kind] + ("_file" if file else "_url")
    prefix += "~v2-1." if file and kind == "direct" else "~v2."
    publish = Publish(
        publish_id=prefix + number,
        open_id=token.open_id,
        access_token=token.value,
        kind=kind,  # type: ignore[arg-type]
        source=source["source"],
        created_at=now,
        video_id=f"{secrets.randbelow(9 * 10**18) + 10**18}",  # 19 digits, like TikTok's
        post_info=post_info,
        video_size=source.get("video_size", standin.pull_video_size),
        chunk_size=source.get("chunk_size", 0),
        total_chunk_count=source.get("total_chunk_count", 0),
        video_url=source.get("video_url"),
        processing_seconds=standin.processing_seconds,
        download_seconds=standin.download_seconds,
        public_id_delay=standin.public_id_delay,
    )
    script = state.post_scripts.popleft() if state.post_scripts else None
    if script is not None:
        publish.stuck, publish.fail_reason = script.stuck, script.fail_reason
        publish.expire_token_on_upload = script.expire_token_on_upload
        for name in ("processing_seconds", "download_seconds", "public_id_delay", "series"):
            if getattr(script, name) is not None:
                setattr(publish, name, getattr(script, name))
    data = {"publish_id": publish.publish_id}
    if file:
        publish.upload_id, publish.upload_token = secrets.token_hex(8), secrets.token_urlsafe(24)
        data["upload_url"] = (
            f"{standin.upload_base_url}/upload/?upload_id={publish.upload_id}&upload_token={publish.upload_token}"
        )
        state.uploads[publish.upload_id] = publish.publish_id
    state.publishes[publish.publish_id] = publish
    return ok(data, now)


def upload(standin: TikTokStandIn, request: Request, params: dict[str, str], now: float) -> Answer:
    """One chunk. Raw HTTP statuses, no envelope (reference §1.3)."""
    publish_id = standin.state.uploads.get(params.get("upload_id", ""))
    publish = standin.state.publishes.get(publish_id or "")
    if publish is None or params.get("upload_token") != publish.upload_token:
        return _raw(404, "no upload task for this URL")
    if now >= publish.created_at + UPLOAD_URL_LIFETIME:
        return _raw(403, "the upload URL has expired")
    if request.headers.get("content-type", "").split(";")[0].strip() not in VIDEO_TYPES:
        return _raw(400, "Content-Type must be video/mp4, video/quicktime or video/webm")
    match = _CONTENT_RANGE.match(request.headers.get("content-range", ""))
    if match is None:
        return _raw(400, "Content-Range must be `bytes first-last/total`")
    first, last, total = (int(group) for group in match.groups())
    if total != publish.video_size or last < first or last - first + 1 != len(request.body):
        return _raw(400, "Content-Range does not match the body or the declared video_size")
    done = publish.upload_done_at is not None
    if done or first != publish.uploaded_bytes:
        # What TikTok answers to a range sent twice is not documented; 416 with the progress is our guess.
        return _raw(416, "Content-Range does not match the upload progress", _progress(publish))
    index = first // publish.chunk_size
    last_chunk = index == publish.total_chunk_count - 1
    expected_end = publish.video_size - 1 if last_chunk else first + publish.chunk_size - 1
    if last != expected_end:
        return _raw(400, "the chunk's size does not follow chunk_size and total_chunk_count")
    publish.uploaded_bytes = last + 1
    if last_chunk:
        publish.upload_done_at = now
        if publish.expire_token_on_upload:
            standin.state.access_tokens[publish.access_token].expires_at = now
        return _raw(201, "", _progress(publish))
    return _raw(206, "", _progress(publish))


def status(standin: TikTokStandIn, token: AccessToken, request: Request, now: float) -> Answer:
    if not token.scopes & {"video.publish", "video.upload"}:
        raise ApiError(401, "scope_not_authorized", _SCOPE)
    publish_id = json_body(request).get("publish_id")
    publish = standin.state.publishes.get(publish_id) if isinstance(publish_id, str) else None
    if publish is None:
        raise ApiError(400, "invalid_publish_id", "The publish_id is invalid or does not exist.")
    if publish.open_id != token.open_id:
        raise ApiError(
            400,
            "token_not_authorized_for_specified_publish_id",
            "The access token is not authorized for this publish_id.",
        )
    current = publish.status(now)
    public = publish.public_since(now) is not None
    data: dict[str, Any] = {
        "status": current,
        # TikTok's own spelling, ids as JSON integers (19 digits: a float parser would round them).
        "publicaly_available_post_id": [int(publish.video_id)] if public else [],
    }
    if current == "FAILED":
        data["fail_reason"] = publish.fail_reason
    if publish.source == "FILE_UPLOAD":
        data["uploaded_bytes"] = publish.uploaded_bytes
    else:
        data["downloaded_bytes"] = publish.downloaded_bytes(now)
    return ok(data, now)


def _check_post_info(post_info: Any, account: Account) -> dict[str, Any]:
    if not isinstance(post_info, dict):
        raise invalid_param("post_info is required.")
    unknown = sorted(set(post_info) - _POST_INFO_FIELDS)
    if unknown:
        raise invalid_param(f"post_info.{unknown[0]} is not a known field.")
    privacy = post_info.get("privacy_level")
    if privacy not in account.privacy_level_options:
        raise ApiError(
            403,
            "privacy_level_option_mismatch",
            "privacy_level is missing or not one of the creator's privacy_level_options.",
        )
    title = post_info.get("title", "")
    if not isinstance(title, str):
        raise invalid_param("post_info.title must be a string.")
    if len(title.encode("utf-16-le")) // 2 > TITLE_LIMIT:
        raise invalid_param(f"post_info.title is longer than {TITLE_LIMIT} UTF-16 code units.")
    for flag in _POST_INFO_FLAGS:
        if not isinstance(post_info.get(flag, False), bool):
            raise invalid_param(f"post_info.{flag} must be a boolean.")
    cover = post_info.get("video_cover_timestamp_ms", 0)
    if not isinstance(cover, int) or isinstance(cover, bool):
        raise invalid_param("post_info.video_cover_timestamp_ms must be an integer.")
    effective = dict(post_info)
    # TikTok forces these on whatever the app asked (reference §1.2).
    effective["disable_duet"] = (
        bool(post_info.get("disable_duet")) or account.private or account.duet_disabled
    )
    effective["disable_stitch"] = (
        bool(post_info.get("disable_stitch")) or account.private or account.stitch_disabled
    )
    effective["disable_comment"] = bool(post_info.get("disable_comment")) or account.comment_disabled
    return effective


def _check_source(standin: TikTokStandIn, source: Any) -> dict[str, Any]:
    if not isinstance(source, dict):
        raise invalid_param("source_info is required.")
    match source.get("source"):
        case "FILE_UPLOAD":
            numbers = [source.get(name) for name in ("video_size", "chunk_size", "total_chunk_count")]
            if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
                raise invalid_param("video_size, chunk_size and total_chunk_count are required integers.")
            problem = plan_problem(*numbers)  # type: ignore[arg-type]
            if problem is not None:
                raise invalid_param(f"The chunk size is invalid: {problem}.")
            return source
        case "PULL_FROM_URL":
            url = source.get("video_url")
            if not isinstance(url, str) or not url:
                raise invalid_param("source_info.video_url is required for PULL_FROM_URL.")
            if not url.startswith("https://") or not any(
                url.startswith(prefix) for prefix in standin.verified_url_prefixes
            ):
                raise ApiError(
                    403, "url_ownership_unverified", "The domain or URL prefix of video_url is not verified."
                )
            return source
        case _:
            raise invalid_param("source_info.source must be FILE_UPLOAD or PULL_FROM_URL.")


def _check_may_post(standin: TikTokStandIn, account: Account, now: float) -> None:
    if account.banned:
        raise ApiError(403, "spam_risk_user_banned_from_posting", _BANNED)
    cap = standin.active_user_cap
    if cap is not None:
        recent = {open_id for open_id, at in standin.state.active_users.items() if at > now - DAY}
        if account.open_id not in recent and len(recent) >= cap:
            raise ApiError(
                403, "reached_active_user_cap", "The client has reached its daily cap of posting users."
            )


def _posts_today(standin: TikTokStandIn, open_id: str, now: float) -> int:
    return sum(1 for at in standin.state.post_times.get(open_id, []) if at > now - DAY)


def _need_scope(token: AccessToken, scope: str) -> None:
    if scope not in token.scopes:
        raise ApiError(401, "scope_not_authorized", _SCOPE)


def _progress(publish: Publish) -> dict[str, str]:
    return {"content-range": f"bytes 0-{max(publish.uploaded_bytes - 1, 0)}/{publish.video_size}"}


def _raw(status: int, text: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, text.encode(), "text/plain", headers or {})


_BANNED = "The user is banned from posting."
_TOO_MANY = "The user has reached the daily limit of posts through the API."
_UNAUDITED = "Unaudited clients can only post to a private account, with privacy level SELF_ONLY."
_SCOPE = "The user did not authorize the scope required for this endpoint."
