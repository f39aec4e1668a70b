"""Channels: one TikTok account each, themed by an element, with its voice and posting rules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum
from typing import Any

from core.elements import Element
from core.forms import Errors, FieldError
from core.templates import TemplateError, check_template, render

# TikTok allows about 15 API posts a day per account, shared with every other app that posts
# for it, so a higher cap could only ever fail at TikTok's end.
MAX_DAILY_CAP = 15

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class PostingMode(StrEnum):
    """How a post reaches TikTok.

    TikTok may never audit an internal tool for public direct posting, so a channel can
    send drafts to the creator's TikTok inbox, or leave the posting to a person.
    """

    DIRECT = "direct"
    DRAFT = "draft"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return {"direct": "direct post", "draft": "TikTok inbox draft", "manual": "manual"}[self.value]


@dataclass(frozen=True)
class PostingWindow:
    """Local times on some weekdays (0 = Monday) when the channel may post."""

    days: frozenset[int]
    start: time
    end: time

    def describe(self) -> str:
        return f"{describe_days(self.days)} {self.start:%H:%M}-{self.end:%H:%M}"


_WINDOW = re.compile(
    r"^\s*(?P<days>[A-Za-z ,\-]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


def parse_window(text: str) -> PostingWindow:
    """Parse a window written as people write them: `Mon-Fri 16:00-20:00`, `Sat,Sun 10:00-12:00`."""
    match = _WINDOW.match(text)
    if not match:
        raise FieldError("windows", f"{text.strip()[:60]!r} is not a window like 'Mon-Fri 16:00-20:00'")
    start, end = parse_time(match["start"]), parse_time(match["end"])
    if start >= end:
        raise FieldError("windows", f"{text.strip()[:60]!r} ends before it starts")
    return PostingWindow(days=parse_days(match["days"]), start=start, end=end)


def parse_windows(lines: str | Iterable[str]) -> tuple[PostingWindow, ...]:
    if isinstance(lines, str):
        lines = lines.replace(";", "\n").splitlines()
    return tuple(parse_window(line) for line in lines if line.strip())


def parse_time(text: str, field: str = "windows") -> time:
    """`9:00` or `18:30` as a time of day; `field` names the channel field in the error."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and len(minutes) == 2 and minutes.isdigit()):
        raise FieldError(field, f"{text.strip()!r} is not a time like 18:30")
    if int(hours) > 23 or int(minutes) > 59:
        raise FieldError(field, f"{text.strip()} is not a time of day")
    return time(int(hours), int(minutes))


def parse_days(text: str, field: str = "windows") -> frozenset[int]:
    """Weekdays (0 = Monday) as people write them: `Mon,Wed`, `Tue-Thu`, `Fri-Mon`."""
    days: set[int] = set()
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        first, _, last = part.partition("-")
        a = _weekday(first, field)
        b = _weekday(last, field) if last else a
        # A range may wrap the week end, as in Fri-Mon.
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def _weekday(text: str, field: str) -> int:
    key = text.strip()[:3].capitalize()
    if key not in WEEKDAYS:
        raise FieldError(field, f"{text[:60]!r} is not a weekday (Mon, Tue, ... Sun)")
    return WEEKDAYS.index(key)


def describe_days(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAYS[ordered[0]]}-{WEEKDAYS[ordered[-1]]}"
    return ",".join(WEEKDAYS[d] for d in ordered)


def describe_gap(gap: timedelta) -> str:
    """A minimum gap as people say it: `3 h`, `90 min`."""
    minutes = int(gap.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes else f"{minutes} min"


def impossible_rules(windows: Sequence[PostingWindow], daily_cap: int, min_gap: timedelta) -> list[str]:
    """The rules that cannot all be met, each said with the most that fit; empty when they can.

    For the channel setup form: 15 a day 3 h apart in a 3 h window is two a day at most (a window
    takes a post at both its ends). A day's capacity is counted on a plain 24 h day: a daylight-saving day may fit one fewer.
    """
    if min_gap <= timedelta(0):
        return []
    # Days with the same open time fit the same posts: one sentence for them all.
    same: dict[tuple[tuple[timedelta, timedelta], ...], list[int]] = {}
    for weekday in range(7):
        if open_time := _spans(weekday, windows):
            same.setdefault(tuple(open_time), []).append(weekday)
    problems = []
    for spans, days in same.items():
        most = _capacity(spans, min_gap)
        if most >= daily_cap:
            continue
        fits = f"at most {most} post{'' if most == 1 else 's'} {describe_gap(min_gap)} apart fit"
        if windows:
            hours = ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in spans)
            where = f"On {describe_days(frozenset(days))} {fits} in {hours}"
        else:
            where = f"In a day {fits}"
        problems.append(f"{where}, fewer than the daily cap of {daily_cap}.")
    return problems


def _spans(weekday: int, windows: Sequence[PostingWindow]) -> list[tuple[timedelta, timedelta]]:
    """The day's open time as merged closed spans from midnight."""
    if not windows:
        return [(timedelta(0), timedelta(days=1) - timedelta(microseconds=1))]
    raw = sorted((_since_midnight(w.start), _since_midnight(w.end)) for w in windows if weekday in w.days)
    merged: list[tuple[timedelta, timedelta]] = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _capacity(spans: Sequence[tuple[timedelta, timedelta]], min_gap: timedelta) -> int:
    # Placing each post as early as it may go fits the most posts.
    count, at = 0, spans[0][0]
    for start, end in spans:
        at = max(at, start)
        while at <= end:
            count += 1
            at += min_gap
    return count


def _since_midnight(at: time) -> timedelta:
    return timedelta(hours=at.hour, minutes=at.minute, seconds=at.second)


def _clock(since_midnight: timedelta) -> str:
    minutes = int(since_midnight.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class BrandVoice:
    tone: str = ""
    words_to_use: tuple[str, ...] = ()
    words_to_avoid: tuple[str, ...] = ()
    emoji_policy: str = "a few"
    cta_style: str = ""


@dataclass(frozen=True)
class Channel:
    """A channel as the domain sees it; `id` is None until it is stored."""

    name: str
    element: Element
    voice: BrandVoice = field(default_factory=BrandVoice)
    branding_template: str = "{{ caption }}\n\n{{ hashtags }}"
    hashtags: tuple[str, ...] = ()
    posting_mode: PostingMode = PostingMode.DRAFT
    windows: tuple[PostingWindow, ...] = ()
    daily_cap: int = 3
    min_gap: timedelta = timedelta(hours=3)
    owner_user_id: str | None = None
    tiktok_username: str | None = None
    id: int | None = None

    @property
    def account_status(self) -> str:
        return f"@{self.tiktok_username}" if self.tiktok_username else "not connected"

    def describe_rules(self) -> str:
        windows = "; ".join(w.describe() for w in self.windows) or "any time"
        gap = describe_gap(self.min_gap)
        return f"{self.posting_mode.label}, up to {self.daily_cap}/day, {gap} apart, {windows}"


def validate_channel(channel: Channel) -> None:
    """Raise FieldErrors naming every field a person must fix, including rules that cannot all be met."""
    errors = Errors()
    if not channel.name.strip():
        errors.add("name", "A channel needs a name.")
    elif len(channel.name) > 80:
        errors.add("name", "Keep the name under 80 characters.")
    if not 1 <= channel.daily_cap <= MAX_DAILY_CAP:
        limit = f"The daily cap must be 1 to {MAX_DAILY_CAP}"
        errors.add("daily_cap", f"{limit}: TikTok allows about 15 API posts a day per account.")
    if channel.min_gap < timedelta(0):
        errors.add("min_gap", "The minimum gap cannot be negative.")
    for tag in channel.hashtags:
        if not re.fullmatch(r"#?\w+", tag):
            errors.add("hashtags", f"{tag!r} is not a hashtag (letters, digits and _ only).")
    with errors.checking():
        check_branding(channel.branding_template)
    if not errors.errors.keys() & {"daily_cap", "min_gap"}:
        for problem in impossible_rules(channel.windows, channel.daily_cap, channel.min_gap):
            errors.add("daily_cap", problem)
    errors.raise_any()


def parse_hashtags(text: str) -> tuple[str, ...]:
    """Hashtags as people type them: separated by spaces, commas or new lines, `#` added where missing."""
    return tuple(f"#{tag.lstrip('#')}" for tag in re.split(r"[\s,]+", text) if tag.strip("#"))


def channel_from_mapping(data: Mapping[str, Any]) -> Channel:
    """Build a channel from seed data (templates/library/channels.yaml)."""
    voice = data.get("voice") or {}
    channel = Channel(
        name=data["name"],
        element=Element(data["element"]),
        voice=BrandVoice(
            tone=voice.get("tone", ""),
            words_to_use=tuple(voice.get("words_to_use", ())),
            words_to_avoid=tuple(voice.get("words_to_avoid", ())),
            emoji_policy=voice.get("emoji_policy", "a few"),
            cta_style=voice.get("cta_style", ""),
        ),
        branding_template=data.get("branding_template", Channel.branding_template),
        hashtags=tuple(data.get("hashtags", ())),
        posting_mode=PostingMode(data.get("posting_mode", PostingMode.DRAFT)),
        windows=parse_windows(data.get("windows", ())),
        daily_cap=int(data.get("daily_cap", 3)),
        min_gap=timedelta(minutes=int(data.get("min_gap_minutes", 180))),
    )
    validate_channel(channel)
    return channel


def seed_channels(data: Sequence[Mapping[str, Any]]) -> list[Channel]:
    channels = [channel_from_mapping(item) for item in data]
    elements = [c.element for c in channels]
    if sorted(elements) != sorted(set(elements)):
        raise FieldError("element", "The seed data gives two channels the same element.")
    return channels


# What a branding template may use. Branding is text around the caption only: TikTok
# forbids apps to overlay logos or watermarks on the video itself.
BRANDING_VARIABLES = ("caption", "hashtags", "channel", "element")


def check_branding(body: str) -> None:
    """Raise FieldError (field branding_template) unless the template can render within the sandbox's limits."""
    try:
        check_template(body, BRANDING_VARIABLES, allow_unused=True)
        render(body, dict.fromkeys(BRANDING_VARIABLES, "sample"))
    except TemplateError as exc:
        raise FieldError("branding_template", f"{exc}. It may use {', '.join(BRANDING_VARIABLES)}.") from exc


def apply_branding(channel: Channel, caption: str, extra_hashtags: Sequence[str] = ()) -> str:
    """The caption as it goes out on this channel: wrapped in its branding, hashtags merged."""
    tags = list(dict.fromkeys([*extra_hashtags, *channel.hashtags]))
    hashtags = " ".join(t if t.startswith("#") else f"#{t}" for t in tags)
    return render(
        channel.branding_template,
        {"caption": caption, "hashtags": hashtags, "channel": channel.name, "element": channel.element.label},
    )
