"""Content Posting (reference §1): creator info, Direct Post and inbox init, the chunked upload, status.

Init is not idempotent (there is no idempotency key): a lost answer may still have created a post,
which `TikTokError.after_acting_possible` says. The job stores `publish_id` the moment init answers and
never inits again for a post that has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from core.media import ChunkPlan, video_content_type
from workers.tiktok.errors import TikTokError
from workers.tiktok.wire import Wire

PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
FINAL_STATUSES = frozenset({"PUBLISH_COMPLETE", "FAILED", "SEND_TO_USER_INBOX"})
_PROGRESS = re.compile(r"bytes 0-(\d+)/(\d+)")


@dataclass(frozen=True)
class CreatorInfo:
    nickname: str
    username: str
    avatar_url: str
    privacy_level_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_video_post_duration_sec: int


@dataclass(frozen=True)
class PostInfo:
    """A Direct Post's settings. There is no default privacy: a person chooses it (guidelines)."""

    privacy_level: str
    title: str = ""
    disable_comment: bool = False
    disable_duet: bool = False
    disable_stitch: bool = False
    brand_content_toggle: bool = False  # paid partnership for a third party
    brand_organic_toggle: bool = False  # promoting one's own business
    is_aigc: bool = False
    video_cover_timestamp_ms: int | None = None

    def __post_init__(self) -> None:
        if self.privacy_level not in PRIVACY_LEVELS:
            raise ValueError(f"privacy_level must be one of {', '.join(PRIVACY_LEVELS)}")
        # TikTok documents no error for this, but its guidelines forbid it: enforce it here.
        if self.brand_content_toggle and self.privacy_level == "SELF_ONLY":
            raise ValueError("branded content cannot be posted as SELF_ONLY ('Only me')")

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "privacy_level": self.privacy_level,
            "title": self.title,
            "disable_comment": self.disable_comment,
            "disable_duet": self.disable_duet,
            "disable_stitch": self.disable_stitch,
            "brand_content_toggle": self.brand_content_toggle,
            "brand_organic_toggle": self.brand_organic_toggle,
            "is_aigc": self.is_aigc,
        }
        if self.video_cover_timestamp_ms is not None:
            body["video_cover_timestamp_ms"] = self.video_cover_timestamp_ms
        return body


@dataclass(frozen=True)
class PullFromUrl:
    """TikTok downloads the video itself; the URL must be https on a verified domain or prefix."""

    video_url: str


@dataclass(frozen=True)
class InitResult:
    publish_id: str
    upload_url: str | None  # FILE_UPLOAD only; valid for one hour; use it verbatim
    plan: ChunkPlan | None  # the chunking declared at init, which the upload must follow


@dataclass(frozen=True)
class PublishStatus:
    status: str  # PROCESSING_UPLOAD, PROCESSING_DOWNLOAD, SEND_TO_USER_INBOX, PUBLISH_COMPLETE, FAILED
    fail_reason: str | None
    public_post_ids: tuple[str, ...]  # `publicaly_available_post_id`, as strings; may appear late
    uploaded_bytes: int | None
    downloaded_bytes: int | None

    @property
    def final(self) -> bool:
        """Nothing more will happen without a person (an inbox draft waits for its creator)."""
        return self.status in FINAL_STATUSES


class Posting(Wire):
    def creator_info(self, access_token: str) -> CreatorInfo:
        """The creator's nickname, privacy options and limits; query it fresh when building the
        posting form. A creator who cannot post now comes back as a TikTokError (even under HTTP 200)."""
        data = self.call_api("/v2/post/publish/creator_info/query/", access_token, what="creator info")
        return CreatorInfo(
            nickname=str(data.get("creator_nickname", "")),
            username=str(data.get("creator_username", "")),
            avatar_url=str(data.get("creator_avatar_url", "")),
            privacy_level_options=tuple(data.get("privacy_level_options") or ()),
            comment_disabled=bool(data.get("comment_disabled")),
            duet_disabled=bool(data.get("duet_disabled")),
            stitch_disabled=bool(data.get("stitch_disabled")),
            max_video_post_duration_sec=int(data.get("max_video_post_duration_sec") or 0),
        )

    def init_direct_post(
        self, access_token: str, post: PostInfo, source: ChunkPlan | PullFromUrl
    ) -> InitResult:
        """Start a Direct Post: FILE_UPLOAD when `source` is a chunk plan (then `upload`), else
        PULL_FROM_URL."""
        body = {"post_info": post.wire(), "source_info": _source(source)}
        return self._init("/v2/post/publish/video/init/", access_token, body, source, "the post's init")

    def init_inbox_upload(self, access_token: str, source: ChunkPlan | PullFromUrl) -> InitResult:
        """Send a draft to the creator's TikTok inbox. TikTok takes no caption or settings here: the
        creator adds them in the app, and success ends at SEND_TO_USER_INBOX."""
        body = {"source_info": _source(source)}
        return self._init(
            "/v2/post/publish/inbox/video/init/", access_token, body, source, "the draft's init"
        )

    def _init(
        self, path: str, access_token: str, body: dict[str, Any], source: ChunkPlan | PullFromUrl, what: str
    ) -> InitResult:
        data = self.call_api(path, access_token, what=what, acting=True, body=body)
        publish_id = data.get("publish_id")
        if not isinstance(publish_id, str) or not publish_id:
            # TikTok answered "ok" without an id: it may have created a post we cannot name.
            raise TikTokError(
                "bad_response",
                "no publish_id",
                reason=f"TikTok accepted {what} but sent no publish id; the outcome is unknown",
                retryable=False,
                after_acting_possible=True,
            )
        plan = source if isinstance(source, ChunkPlan) else None
        upload_url = data.get("upload_url") if plan is not None else None
        return InitResult(publish_id, upload_url if isinstance(upload_url, str) else None, plan)

    def upload(
        self,
        upload_url: str,
        media: Path | bytes,
        plan: ChunkPlan,
        *,
        content_type: str | None = None,
        resume_from: int = 0,
    ) -> int:
        """PUT the video in order, chunk by chunk, as the init's `plan` declared; returns the bytes
        TikTok holds (the whole file once it answers 201). `resume_from` (a chunk start, e.g. from
        `fetch_status().uploaded_bytes`) continues an upload that broke off."""
        kind = content_type or (video_content_type(media.name) if isinstance(media, Path) else "video/mp4")
        first_chunk = plan.chunk_starting_at(resume_from)
        held = resume_from
        with _Source(media, plan.video_size) as source:
            for first, last in plan.ranges()[first_chunk:]:
                chunk = source.read(first, last - first + 1)
                headers = {"content-type": kind, "content-range": f"bytes {first}-{last}/{plan.video_size}"}
                request = httpx.Request("PUT", upload_url, content=chunk, headers=headers)
                response = self.send(request, what="the upload", acting=True, timeout=self.upload_timeout)
                held = _upload_progress(response, last + 1)
        return held

    def fetch_status(self, access_token: str, publish_id: str) -> PublishStatus:
        """Where a publish stands. Safe to repeat: the way to settle any unknown outcome."""
        data = self.call_api(
            "/v2/post/publish/status/fetch/",
            access_token,
            what="the status fetch",
            body={"publish_id": publish_id},
        )
        fail_reason = data.get("fail_reason")
        ids = data.get("publicaly_available_post_id") or []  # sic: TikTok's spelling
        uploaded, downloaded = data.get("uploaded_bytes"), data.get("downloaded_bytes")
        return PublishStatus(
            status=str(data.get("status", "")),
            fail_reason=fail_reason if isinstance(fail_reason, str) and fail_reason else None,
            public_post_ids=tuple(str(i) for i in ids),
            uploaded_bytes=uploaded if isinstance(uploaded, int) else None,
            downloaded_bytes=downloaded if isinstance(downloaded, int) else None,
        )


def _source(source: ChunkPlan | PullFromUrl) -> dict[str, Any]:
    if isinstance(source, PullFromUrl):
        return {"source": "PULL_FROM_URL", "video_url": source.video_url}
    return {
        "source": "FILE_UPLOAD",
        "video_size": source.video_size,
        "chunk_size": source.chunk_size,
        "total_chunk_count": source.total_chunk_count,
    }


# What each upload status means (reference §1.3): code, plain words, retryable.
_UPLOAD_FAILURES: dict[int, tuple[str, str, bool]] = {
    400: ("upload_rejected", "TikTok rejected an upload chunk's headers (a bug on our side)", False),
    403: (
        "upload_url_expired",
        "the upload URL expired (it lasts one hour); the post needs a new init",
        False,
    ),
    404: ("upload_not_found", "TikTok has no upload for this URL; the post needs a new init", False),
    416: ("upload_out_of_step", "TikTok holds a different part of the file than the one sent", False),
}


def _upload_progress(response: httpx.Response, sent_to: int) -> int:
    if response.status_code in (201, 206):
        progress = _PROGRESS.match(response.headers.get("content-range", ""))
        return int(progress.group(1)) + 1 if progress else sent_to
    status = response.status_code
    code, words, retryable = _UPLOAD_FAILURES.get(
        status,
        ("internal_error", "TikTok's upload host had a server error; send the same chunk again", True)
        if status >= 500
        else ("upload_failed", f"TikTok's upload host answered HTTP {status}", False),
    )
    held = response.headers.get("content-range", "")
    if status == 416 and held:
        words += f" ({held}); resume from the status's uploaded_bytes"
    raise TikTokError(code, response.text[:200], reason=words, retryable=retryable, http_status=status)


class _Source:
    """Reads chunks of a file (without loading it whole) or of bytes in memory."""

    def __init__(self, media: Path | bytes, size: int) -> None:
        self._media = media
        self._file: BinaryIO | None = None
        actual = media.stat().st_size if isinstance(media, Path) else len(media)
        if actual != size:
            raise ValueError(f"the video has {actual:,} bytes but the plan says {size:,}")

    def __enter__(self) -> _Source:
        if isinstance(self._media, Path):
            self._file = self._media.open("rb")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._file is not None:
            self._file.close()

    def read(self, offset: int, length: int) -> bytes:
        if self._file is None:
            assert isinstance(self._media, bytes)
            return self._media[offset : offset + length]
        self._file.seek(offset)
        return self._file.read(length)
