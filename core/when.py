"""The time a person types for a post: `next`, `18:30`, `tomorrow 18:30`, `Fri 18:30`, `2026-12-24 09:00`.

Times are wall-clock times in the team's time zone, placed by core.slots.local_instant (its rules for
times that clocks skip or repeat at daylight-saving changes).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from core.slots import local_instant

NEXT = "next"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class WhenError(ValueError):
    """A time that cannot be read; the message shows the forms that can."""


USAGE = "`next`, `18:30`, `tomorrow 18:30`, `Fri 18:30` or `2026-12-24 09:00`"


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """The instant `text` names (None for `next`: the next free slot). A bare time or weekday means
    the next one to come."""
    words = text.strip().lower().split()
    if words in ([], [NEXT]):
        return None
    local_now = now.astimezone(tz)
    if len(words) == 1:
        day, clock = local_now.date(), _clock(words[0])
        at = local_instant(day, clock, tz)
        return at if at > now else local_instant(day + timedelta(days=1), clock, tz)
    if len(words) != 2:
        raise WhenError(f"`{text}` is not a time I can read: use {USAGE}.")
    first, clock = words[0], _clock(words[1])
    if first == "today":
        return local_instant(local_now.date(), clock, tz)
    if first == "tomorrow":
        return local_instant(local_now.date() + timedelta(days=1), clock, tz)
    if first[:3] in _WEEKDAYS and first.isalpha():
        ahead = (_WEEKDAYS.index(first[:3]) - local_now.weekday()) % 7
        at = local_instant(local_now.date() + timedelta(days=ahead), clock, tz)
        return at if at > now else local_instant(local_now.date() + timedelta(days=ahead + 7), clock, tz)
    try:
        return local_instant(date.fromisoformat(first), clock, tz)
    except ValueError:
        raise WhenError(f"`{first}` is not a day I can read: use {USAGE}.") from None


def _clock(word: str) -> time:
    found = _CLOCK.match(word)
    if found is None:
        raise WhenError(f"`{word}` is not a time of day like 18:30: use {USAGE}.")
    return time(int(found[1]), int(found[2]))
