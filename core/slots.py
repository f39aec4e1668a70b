"""When a channel may post: recurring slot rules, the next free slot, and why a time is refused.

A channel's rules live in core/channels.py (posting windows, daily cap, minimum gap); this module
reads them. Everything happens in the channel's time zone on the wall clock people see:

- A window includes both ends (`16:00-19:00` takes a post at 19:00), so 3 h apart fit twice in it.
- The daily cap counts posts per local day.
- The minimum gap holds to every other post, before and after; exactly the gap is fine.
- Daylight saving: a wall-clock time that does not exist (the clocks spring forward over it)
  moves to the first instant after the gap, so `daily 02:30` on New York's spring-forward day is
  03:00 EDT: the post goes out as soon as it can, not an hour late and never dropped. A time that
  happens twice (fall back) is used once, the first time, so a recurring slot never posts twice.
- Slots fall on whole minutes: people choose and read times to the minute.

Times in and out are aware datetimes (naive ones are refused: read as local time they shift posts
by hours); results are in UTC.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.channels import (
    PostingWindow,
    describe_days,
    describe_gap,
    parse_days,
    parse_time,
)
from core.forms import FieldError

# How far ahead "next free slot" looks before it says nothing fits.
HORIZON = timedelta(days=60)

FIELD = "slot_rules"

_NAMED_DAYS = {
    "daily": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
# What people also write for those.
_DAY_WORDS = {**_NAMED_DAYS, "every day": _NAMED_DAYS["daily"], "weekend": _NAMED_DAYS["weekends"]}
_MINUTE = timedelta(minutes=1)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class SlotRule:
    """Local times on some weekdays (0 = Monday) when a channel posts, e.g. `Tue,Thu 18:00`."""

    days: frozenset[int]
    times: tuple[time, ...]

    def describe(self) -> str:
        named = next((name for name, days in _NAMED_DAYS.items() if days == self.days), None)
        times = ",".join(f"{t:%H:%M}" for t in self.times)
        return f"{named or describe_days(self.days)} {times}"


def parse_rule(text: str) -> SlotRule:
    """A rule as people type it: `Mon,Wed,Fri 18:30`, `Tue-Thu 12:00,18:00`, `daily 09:00`.

    Raises FieldError (field `slot_rules`) naming the part that cannot be read.
    """
    written = " ".join(text.split())
    first_digit = next((i for i, char in enumerate(written) if char.isdigit()), len(written))
    words, clock = written[:first_digit].strip(), written[first_digit:]
    if not written:
        raise FieldError(FIELD, "A slot rule needs days and a time, as in 'Mon,Wed,Fri 18:30'.")
    if not words or not clock:
        missing = "days before the time" if clock else "a time"
        raise FieldError(FIELD, f"{written!r} needs {missing}, as in 'Mon,Wed,Fri 18:30' or 'daily 09:00'.")
    days = _DAY_WORDS.get(words.lower()) or parse_days(words, FIELD)
    parts = [part for part in re.split(r"[,\s]+", clock) if part]
    return SlotRule(days=days, times=tuple(sorted({parse_time(part, FIELD) for part in parts})))


def parse_rules(lines: str | Iterable[str]) -> tuple[SlotRule, ...]:
    """One rule a line (or separated by `;`); blank lines are skipped."""
    if isinstance(lines, str):
        lines = lines.replace(";", "\n").splitlines()
    return tuple(parse_rule(line) for line in lines if line.strip())


def describe_rules(rules: Sequence[SlotRule]) -> str:
    return "; ".join(rule.describe() for rule in rules) or "no recurring slots"


def local_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The UTC instant a clock in `tz` shows `at` on `day`, by this module's DST rules.

    Ambiguous times (fall back) give the first of the two instants; times inside a spring-forward
    gap give the instant the gap ends.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # Inside the gap the two folds give instants on either side of the transition: find it.
    later = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low, high = min(first, later), max(first, later)
    after_offset = high.astimezone(tz).utcoffset()
    lo, hi = 0, int((high - low).total_seconds())
    while lo < hi:
        mid = (lo + hi) // 2
        if (low + timedelta(seconds=mid)).astimezone(tz).utcoffset() == after_offset:
            hi = mid
        else:
            lo = mid + 1
    return low + timedelta(seconds=lo)


def rule_slots(rules: Sequence[SlotRule], start: datetime, end: datetime, tz: tzinfo) -> Iterator[datetime]:
    """The slots the rules give in [start, end), in order, each once, in UTC."""
    _require_aware(start, end)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        times = {t for rule in rules if day.weekday() in rule.days for t in rule.times}
        for at in sorted({local_instant(day, t, tz) for t in times}):
            if start <= at < end:
                yield at
        day += timedelta(days=1)


def in_windows(at: datetime, windows: Sequence[PostingWindow], tz: tzinfo) -> bool:
    """Whether `at` falls inside a posting window on the local clock; no windows means any time."""
    local = at.astimezone(tz)
    return _open_at(local.weekday(), local.time().replace(tzinfo=None), windows)


@dataclass(frozen=True)
class NextSlot:
    """The next free slot, or None with the reason nothing fits."""

    at: datetime | None
    reason: str = ""


def next_free_slot(
    after: datetime,
    rules: Sequence[SlotRule],
    windows: Sequence[PostingWindow],
    daily_cap: int,
    min_gap: timedelta,
    taken: Iterable[datetime],
    tz: tzinfo,
    *,
    horizon: timedelta = HORIZON,
) -> NextSlot:
    """The earliest slot at or after `after` that check_time accepts.

    With rules, only their slots inside a window count; without, any whole minute inside a window
    (any time at all without windows). `taken` holds the times of the channel's live posts
    (core.posts.TAKES_A_SLOT), without the post being placed when it is a reschedule.
    """
    _require_aware(after)
    busy = _Busy(taken, tz, daily_cap, min_gap)
    end = after + horizon
    if rules:
        candidates: Iterator[datetime] = (
            at for at in rule_slots(rules, after, end, tz) if in_windows(at, windows, tz) and busy.free(at)
        )
    else:
        candidates = _open_minutes(after, end, windows, tz, busy)
    found = next(candidates, None)
    if found is not None:
        return NextSlot(found)
    return NextSlot(None, _why_nothing_fits(after, rules, windows, daily_cap, min_gap, tz, horizon))


def check_time(
    at: datetime,
    windows: Sequence[PostingWindow],
    daily_cap: int,
    min_gap: timedelta,
    taken: Iterable[datetime],
    tz: tzinfo,
    now: datetime,
) -> list[str]:
    """Every reason a post cannot go out at `at`, as sentences; empty when the time is fine.

    `taken` is as for next_free_slot: the channel's other live posts.
    """
    _require_aware(at, now)
    busy = _Busy(taken, tz, daily_cap, min_gap)
    when = describe_time(at, tz)
    reasons = []
    if at < now:
        reasons.append(f"{when} is in the past.")
    if not in_windows(at, windows, tz):
        listed = "; ".join(w.describe() for w in windows)
        reasons.append(f"{when} is outside the posting windows ({listed}).")
    if busy.day_full(at):
        local_day = at.astimezone(tz)
        reasons.append(
            f"{local_day:%a} {local_day.day} {local_day:%b} already has {busy.per_day[local_day.date()]} "
            f"posts, the daily cap of {daily_cap}."
        )
    for other in busy.too_close(at):
        distance = _describe_distance(abs(other - at))
        reasons.append(
            f"{when} is {distance} from the post at {describe_time(other, tz)}; "
            f"posts must be {describe_gap(min_gap)} apart."
        )
    return reasons


def describe_time(at: datetime, tz: tzinfo) -> str:
    """`Tue 1 Dec 18:30 GMT`: the zone's abbreviation tells summer time from winter time."""
    local = at.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"


def rule_problems(
    rules: Sequence[SlotRule], windows: Sequence[PostingWindow], daily_cap: int, min_gap: timedelta
) -> list[str]:
    """The recurring slots that can never be used as written, as sentences; empty when all can."""
    problems = []
    for rule in rules:
        for at in rule.times:
            if closed := frozenset(d for d in rule.days if not _open_at(d, at, windows)):
                problems.append(
                    f"{describe_days(closed)} {at:%H:%M} is outside the posting windows, so it is never used."
                )
    same: dict[tuple[time, ...], list[int]] = {}
    for weekday in range(7):
        if opened := {
            t for rule in rules if weekday in rule.days for t in rule.times if _open_at(weekday, t, windows)
        }:
            same.setdefault(tuple(sorted(opened)), []).append(weekday)
    for times, days in same.items():
        # Fill the day as the search would with nothing else scheduled: earliest first.
        used: list[time] = []
        too_close, over_cap = [], []
        for at in times:
            if len(used) >= daily_cap:
                over_cap.append(at)
            elif used and _on_one_day(at) - _on_one_day(used[-1]) < min_gap:
                too_close.append(at)
            else:
                used.append(at)
        on = f"On {describe_days(frozenset(days))}"
        if too_close:
            problems.append(
                f"{on} {_list_times(too_close)} {'is' if len(too_close) == 1 else 'are'} less than "
                f"{describe_gap(min_gap)} after an earlier slot, so {'it stays' if len(too_close) == 1 else 'they stay'} empty."
            )
        if over_cap:
            problems.append(
                f"{on} there are {len(used) + len(over_cap)} slots, more than the daily cap of {daily_cap}; "
                f"{_list_times(over_cap)} {'stays' if len(over_cap) == 1 else 'stay'} empty."
            )
    return problems


def _on_one_day(at: time) -> datetime:
    return datetime.combine(date.min, at)


def _list_times(times: Sequence[time]) -> str:
    return ", ".join(f"{t:%H:%M}" for t in times)


def _open_at(weekday: int, at: time, windows: Sequence[PostingWindow]) -> bool:
    return not windows or any(weekday in w.days and w.start <= at <= w.end for w in windows)


class _Busy:
    """The channel's taken times, indexed for the cap and gap checks."""

    def __init__(self, taken: Iterable[datetime], tz: tzinfo, daily_cap: int, min_gap: timedelta) -> None:
        self.times = sorted(taken)
        _require_aware(*self.times)
        self.tz = tz
        self.daily_cap = daily_cap
        self.min_gap = min_gap
        self.per_day = Counter(t.astimezone(tz).date() for t in self.times)

    def day_full(self, at: datetime) -> bool:
        return self.per_day[at.astimezone(self.tz).date()] >= self.daily_cap

    def too_close(self, at: datetime) -> list[datetime]:
        """The taken times strictly less than the minimum gap away from `at`."""
        first = bisect_left(self.times, at - self.min_gap)
        close = []
        for other in self.times[first:]:
            if other - at >= self.min_gap:
                break
            if abs(other - at) < self.min_gap:
                close.append(other)
        return close

    def free(self, at: datetime) -> bool:
        return not self.day_full(at) and not self.too_close(at)

    def earliest_clear(self, at: datetime) -> datetime:
        """The first whole minute at or after `at` with no taken time too close."""
        at = _ceil_minute(at)
        while close := self.too_close(at):
            at = _ceil_minute(max(close) + self.min_gap)
        return at


def _open_minutes(
    after: datetime, end: datetime, windows: Sequence[PostingWindow], tz: tzinfo, busy: _Busy
) -> Iterator[datetime]:
    """The earliest free whole minute of each local day's open time, day by day."""
    day = after.astimezone(tz).date()
    while (midnight := local_instant(day, time(0), tz)) < end:
        if not busy.day_full(midnight):
            if windows:
                spans = [
                    (local_instant(day, w.start, tz), _last_instant(day, w.end, tz))
                    for w in windows
                    if day.weekday() in w.days
                ]
            else:
                spans = [(midnight, local_instant(day + timedelta(days=1), time(0), tz) - _TICK)]
            found = [
                at for start, close in spans if (at := _first_free(max(start, after), close, busy, windows))
            ]
            if found and min(found) < end:
                yield min(found)
        day += timedelta(days=1)


def _first_free(
    at: datetime, close: datetime, busy: _Busy, windows: Sequence[PostingWindow]
) -> datetime | None:
    """The first free whole minute in [at, close] that is inside a window on the wall clock."""
    while (at := busy.earliest_clear(at)) <= close:
        # On a fall-back day a span's instants leave the window for the repeated hour's first pass.
        if in_windows(at, windows, busy.tz):
            return at
        at += _MINUTE
    return None


def _last_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The last instant whose wall clock shows `at` on `day` (or the last before it, in a gap)."""
    naive = datetime.combine(day, at)
    last = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if last.astimezone(tz).replace(tzinfo=None) == naive:
        return last
    return local_instant(day, at, tz) - _TICK


def _why_nothing_fits(
    after: datetime,
    rules: Sequence[SlotRule],
    windows: Sequence[PostingWindow],
    daily_cap: int,
    min_gap: timedelta,
    tz: tzinfo,
    horizon: timedelta,
) -> str:
    days = horizon.days
    if daily_cap < 1:
        return f"The daily cap is {daily_cap}, so no day can take a post."
    if windows and not any(w.days for w in windows):
        return "The posting windows name no weekday."
    if rules and not any(in_windows(at, windows, tz) for at in rule_slots(rules, after, after + horizon, tz)):
        return (
            f"None of the recurring slots ({describe_rules(rules)}) in the next {days} days falls inside "
            f"the posting windows ({'; '.join(w.describe() for w in windows)})."
        )
    return (
        f"Every slot in the next {days} days is taken, less than {describe_gap(min_gap)} from another "
        f"post, or on a day that already has {daily_cap} posts."
    )


def _ceil_minute(at: datetime) -> datetime:
    floor = at.replace(second=0, microsecond=0)
    return floor if floor == at else floor + _MINUTE


def _describe_distance(distance: timedelta) -> str:
    minutes = int(distance.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment} has no time zone; scheduling needs aware datetimes")
