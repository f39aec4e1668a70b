"""One schedule request and the rules it must keep that need nothing stored: the video, and a direct
post's settings as TikTok's content sharing guidelines ask (reference tiktok-api.md §1.10).

The request is the same from every surface (the modal, `/content schedule`, a bulk line), so its
problems come back by field, every one at once: storage/scheduling.py adds the ones that need the
database (approval, element, slots, other channels' posts) and a form shows each under its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.accounts import PRIVACY_LABELS, Creator
from core.media import MAX_VIDEO_SIZE, VIDEO_TYPES
from core.posts import PostSettings

# The fields a schedule form has, named as its blocks are: errors are keyed by these.
CONTENT = "content"
CHANNEL = "channel"
WHEN = "when"
VIDEO = "video"
PRIVACY = "privacy"
INTERACTIONS = "interactions"
DISCLOSURE = "disclosure"
OVERRIDE = "override"
# A TikTok Shop product named with the request (a bulk row's); the form's comes with its content.
PRODUCT = "product"

SELF_ONLY = "SELF_ONLY"
# The privacy a person types (`/content schedule`, a bulk row), and the level TikTok names it by.
PRIVACY_WORDS = {
    "public": "PUBLIC_TO_EVERYONE",
    "friends": "MUTUAL_FOLLOW_FRIENDS",
    "followers": "FOLLOWER_OF_CREATOR",
    "private": "SELF_ONLY",
}
MUSIC_CONSENT = "By posting, you agree to TikTok's Music Usage Confirmation"
BRANDED_CONSENT = "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation"

# What the sandbox answers for creator info: every option, nothing disabled, TikTok's longest videos.
SANDBOX_CREATOR = Creator(
    nickname="sandbox",
    username="sandbox",
    privacy_level_options=tuple(PRIVACY_LABELS),
    max_video_post_duration_sec=600,
)


@dataclass(frozen=True)
class Video:
    """A video read when it is scheduled: where it is kept, its name, bytes and length (None when its
    length could not be read)."""

    path: str
    filename: str
    size: int
    duration: float | None
    sha256: str | None = None


@dataclass(frozen=True)
class ScheduleRequest:
    """Approved content on a channel at a time (`when` None: the next free slot)."""

    content_id: int
    channel: str
    when: datetime | None = None
    privacy: str | None = None
    settings: PostSettings = field(default_factory=PostSettings)
    video: Video | None = None
    override: str | None = None  # a reviewer's reason to post despite a conflict
    post_id: int | None = None  # set when an existing post moves to another time
    product_id: str | None = None  # a shop product the post promotes, when not the content's


def consent_line(settings: PostSettings) -> str:
    """The sentence a direct post's form shows above its button (the guidelines' consent line)."""
    return (BRANDED_CONSENT if settings.brand_content else MUSIC_CONSENT) + "."


def video_problem(video: Video, max_duration_sec: int) -> str | None:
    """Why TikTok would refuse this video for a creator who may post `max_duration_sec` seconds
    (0: not known), or None."""
    suffix = video.filename[video.filename.rfind(".") :].lower() if "." in video.filename else ""
    if suffix not in VIDEO_TYPES:
        return f"`{video.filename}` is not a video TikTok takes: send an MP4, MOV or WebM file."
    if video.size <= 0:
        return f"`{video.filename}` is empty."
    if video.size > MAX_VIDEO_SIZE:
        return f"`{video.filename}` is {_size(video.size)}; TikTok takes at most 4 GB."
    if video.duration is None:
        return f"`{video.filename}` could not be read as a video (is it cut short?)."
    if max_duration_sec and video.duration > max_duration_sec:
        return (
            f"`{video.filename}` runs {_length(video.duration)}; this account may post at most "
            f"{_length(max_duration_sec)}."
        )
    return None


def direct_post_problems(creator: Creator, privacy: str | None, settings: PostSettings) -> dict[str, str]:
    """What a person must still choose or change for a direct post to this creator, by field."""
    problems: dict[str, str] = {}
    offered = ", ".join(creator.privacy_labels)
    if privacy is None:
        problems[PRIVACY] = (
            f"A direct post needs its privacy chosen from this account's options ({offered}): there is no default."
        )
    elif privacy not in creator.privacy_level_options:
        label = PRIVACY_LABELS.get(privacy, privacy)
        problems[PRIVACY] = f"{creator.nickname} does not offer “{label}”; choose one of {offered}."
    turned_off = [
        name
        for name, wanted, disabled in (
            ("comments", settings.allow_comment, creator.comment_disabled),
            ("duets", settings.allow_duet, creator.duet_disabled),
            ("stitches", settings.allow_stitch, creator.stitch_disabled),
        )
        if wanted and disabled
    ]
    if turned_off:
        problems[INTERACTIONS] = f"{creator.nickname} turned off {' and '.join(turned_off)} in TikTok."
    if settings.brand_content and privacy == SELF_ONLY:
        problems[DISCLOSURE] = "Branded content cannot be private (“Only me”): choose who else can see it."
    return problems


def disclosure_problem(disclose: bool, settings: PostSettings) -> str | None:
    """The disclosure switch on with neither kind chosen: TikTok asks for at least one."""
    if disclose and not settings.branded:
        return "You said it promotes a brand, product or service: choose Your brand, Branded content or both."
    return None


def first_errors(*groups: Mapping[str, str]) -> dict[str, str]:
    """Errors by field from several checks, the first one of each field kept."""
    merged: dict[str, str] = {}
    for group in groups:
        for name, message in group.items():
            merged.setdefault(name, message)
    return merged


def _length(seconds: float) -> str:
    whole = round(seconds)
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _size(size: int) -> str:
    return f"{size / 1_000_000_000:.1f} GB" if size >= 1_000_000_000 else f"{size / 1_000_000:.0f} MB"
