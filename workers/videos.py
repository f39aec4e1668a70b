"""A post's video, fetched when it is scheduled and read for what TikTok checks: type, size, length.

    video = from_slack_file(settings, file_object)   # a file shared through the modal's file input
    video = from_url(settings, "https://...")        # any https URL: fetched here, sent by FILE_UPLOAD
    video = from_path("/srv/videos/kite.mp4")        # a file already on this machine

Each keeps the file in MEDIA_DIR (the worker sends it from there) and answers a core.scheduling.Video,
or raises FieldError("video", why) in words for the form. The length is read from the container with
PyAV (FFmpeg), which reads MP4, MOV and WebM alike: a hand-written reader would cover one of them.

A form must be answered within Slack's 3 s, so a fetch stops after BUDGET seconds and says so: a
video that cannot arrive in that time is better given as an https URL to a fast host.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import av
import httpx

from config.settings import Settings
from core.forms import FieldError
from core.media import MAX_VIDEO_SIZE, VIDEO_TYPES
from core.scheduling import VIDEO, Video

BUDGET = 2.0
_CHUNK = 1 << 20


def from_slack_file(settings: Settings, file: Mapping[str, Any], *, budget: float = BUDGET) -> Video:
    name = str(file.get("name") or "video")
    _check_name(name)
    size = int(file.get("size") or 0)
    if size > MAX_VIDEO_SIZE:
        raise FieldError(VIDEO, f"`{name}` is over 4 GB, more than TikTok takes.")
    url = file.get("url_private_download") or file.get("url_private")
    if not url:
        raise FieldError(VIDEO, f"Slack gave no way to read `{name}`; share it again.")
    headers = {"Authorization": f"Bearer {settings.slack_bot_token}"}
    target = _media_path(settings, str(file.get("id") or hashlib.sha256(url.encode()).hexdigest()[:16]), name)
    _download(str(url), headers, target, name, budget)
    return from_path(target, name)


def from_url(settings: Settings, url: str, *, budget: float = BUDGET) -> Video:
    if not url.startswith("https://"):
        raise FieldError(VIDEO, "Give the video's address as an https:// URL.")
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "video"
    _check_name(name)
    target = _media_path(settings, hashlib.sha256(url.encode()).hexdigest()[:16], name)
    _download(url, {}, target, name, budget)
    return from_path(target, name)


def from_path(path: str | Path, name: str | None = None) -> Video:
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise FieldError(VIDEO, f"`{name}` is not a file I can read (or an https URL).")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return Video(str(path), name, path.stat().st_size, duration(path), digest.hexdigest())


def duration(path: Path) -> float | None:
    """The video's length in seconds, or None when the file is not a video FFmpeg can read."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video or container.duration is None:
                return None
            return float(container.duration / av.time_base)
    except (av.FFmpegError, OSError, ValueError):
        return None


def _check_name(name: str) -> None:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in VIDEO_TYPES:
        raise FieldError(VIDEO, f"`{name}` is not a video TikTok takes: send an MP4, MOV or WebM file.")


def _media_path(settings: Settings, key: str, name: str) -> Path:
    folder = Path(settings.media_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{re.sub(r'[^A-Za-z0-9_-]', '_', key)}-{re.sub(r'[^A-Za-z0-9._-]', '_', name)}"


def _download(url: str, headers: Mapping[str, str], target: Path, name: str, budget: float) -> None:
    """Stream `url` to `target`, whole or not at all, within `budget` seconds and 4 GB."""
    deadline = time.monotonic() + budget
    partial = target.with_name(target.name + ".part")
    try:
        with httpx.stream("GET", url, headers=dict(headers), timeout=budget, follow_redirects=True) as answer:
            if answer.status_code != 200:
                raise FieldError(VIDEO, f"`{name}` could not be fetched (HTTP {answer.status_code}).")
            if answer.headers.get("content-type", "").startswith("text/html"):
                raise FieldError(VIDEO, f"`{name}` answered with a web page, not a video.")
            received = 0
            with partial.open("wb") as out:
                for chunk in answer.iter_bytes(_CHUNK):
                    received += len(chunk)
                    if received > MAX_VIDEO_SIZE:
                        raise FieldError(VIDEO, f"`{name}` is over 4 GB, more than TikTok takes.")
                    if time.monotonic() > deadline:
                        raise FieldError(
                            VIDEO,
                            f"`{name}` takes longer to fetch than Slack lets a form wait; give an https URL "
                            "to a faster host, or a smaller file.",
                        )
                    out.write(chunk)
        partial.replace(target)
    except httpx.HTTPError as exc:
        raise FieldError(VIDEO, f"`{name}` could not be fetched ({type(exc).__name__}).") from None
    finally:
        partial.unlink(missing_ok=True)
