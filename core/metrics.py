"""Post metrics: snapshots, save rate and its change, and reading TikTok Studio CSV exports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class MetricSnapshot:
    """A post's counters at one moment. `saves` is None where the source cannot see saves."""

    post_id: int
    taken_at: datetime
    views: int
    likes: int = 0
    comments: int = 0
    shares: int = 0
    saves: int | None = None
    source: str = "manual"

    @property
    def save_rate(self) -> float | None:
        return save_rate(self.saves, self.views)


def save_rate(saves: int | None, views: int) -> float | None:
    """Saves per view; None when it cannot be known (no views yet, or saves not reported)."""
    if saves is None or views <= 0:
        return None
    return saves / views


def change(current: float | None, previous: float | None) -> float | None:
    """Absolute change between two rates (in rate units, not percent of percent)."""
    if current is None or previous is None:
        return None
    return current - previous


def latest_per_post(snapshots: Iterable[MetricSnapshot]) -> dict[int, MetricSnapshot]:
    latest: dict[int, MetricSnapshot] = {}
    for snap in snapshots:
        kept = latest.get(snap.post_id)
        if kept is None or snap.taken_at > kept.taken_at:
            latest[snap.post_id] = snap
    return latest


@dataclass(frozen=True)
class Totals:
    """Counters summed over posts, each post counted once at its latest snapshot."""

    posts: int
    views: int
    saves: int
    # Views of the posts whose saves are known: the save rate's denominator, so a post
    # measured by a source without saves does not drag the rate down.
    views_with_saves: int

    @property
    def save_rate(self) -> float | None:
        return save_rate(self.saves if self.views_with_saves else None, self.views_with_saves)


def totals(snapshots: Iterable[MetricSnapshot]) -> Totals:
    latest = latest_per_post(snapshots).values()
    known = [s for s in latest if s.saves is not None]
    return Totals(
        posts=len(latest),
        views=sum(s.views for s in latest),
        saves=sum(s.saves or 0 for s in known),
        views_with_saves=sum(s.views for s in known),
    )


@dataclass(frozen=True)
class Day:
    day: date
    totals: Totals
    save_rate_change: float | None


def daily(snapshots: Iterable[MetricSnapshot], tz: tzinfo = UTC) -> list[Day]:
    """Per local day: the posts' latest counters that day, and the save rate's change from the day before."""
    by_day: dict[date, list[MetricSnapshot]] = {}
    for snap in snapshots:
        by_day.setdefault(snap.taken_at.astimezone(tz).date(), []).append(snap)
    days: list[Day] = []
    previous: float | None = None
    for day in sorted(by_day):
        day_totals = totals(by_day[day])
        days.append(Day(day=day, totals=day_totals, save_rate_change=change(day_totals.save_rate, previous)))
        previous = day_totals.save_rate
    return days


def format_rate(rate: float | None) -> str:
    return "no data yet" if rate is None else f"{rate:.2%}"


# ---- CSV import -------------------------------------------------------------------------


class MetricsFileError(ValueError):
    """The file cannot be imported; `problems` lists every one, by line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ImportedRow:
    line: int
    post_ref: str  # our post id, or TikTok's video id: the storage layer resolves it
    taken_at: datetime
    views: int
    likes: int
    comments: int
    shares: int
    saves: int | None


# TikTok Studio's export headings and our own, folded to one name each.
_COLUMNS = {
    "post": ("post", "post_id", "post id"),
    "video": ("video_id", "video id", "video link", "video_link", "link"),
    "taken_at": ("taken_at", "date", "date posted", "time", "timestamp"),
    "views": ("views", "video views", "video_views", "total views", "plays"),
    "likes": ("likes", "total likes"),
    "comments": ("comments", "total comments"),
    "shares": ("shares", "total shares"),
    "saves": ("saves", "favorites", "add to favorites", "total saves", "collects"),
}
_VIDEO_ID = re.compile(r"(\d{15,20})")


# The database keeps counts and ids as 32-bit integers; no TikTok post comes near this.
MAX_COUNT = 2**31 - 1
# TikTok began in 2016; a year outside these is a typo, and far ones do not survive a time-zone shift.
MIN_YEAR, MAX_YEAR = 2016, 2100
# Limits that keep a stray binary or a runaway export from being read at all.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LINE_CHARS = 4_000
MAX_FIELD_CHARS = 500


def decode_metrics_file(data: bytes) -> str:
    """The file's text, or MetricsFileError naming every line that is not UTF-8 text or is too long.

    Spreadsheet "Unicode" exports (UTF-16 with a byte-order mark) are read as such.
    """
    if len(data) > MAX_FILE_BYTES:
        raise MetricsFileError([f"the file is {len(data):,} bytes; at most {MAX_FILE_BYTES:,} are read"])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise MetricsFileError([f"the file starts as UTF-16 but is not: {exc.reason}"]) from None
    problems = []
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                f"line {number}: byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not UTF-8 text "
                "(save the file as CSV UTF-8)"
            )
    if problems:
        raise MetricsFileError(problems)
    return data.decode("utf-8-sig")


def parse_metrics_csv(text: str, *, default_taken_at: datetime, tz: tzinfo = UTC) -> list[ImportedRow]:
    """Every row, or MetricsFileError naming every bad line: a file lands whole or not at all."""
    rows, problems = read_metrics_csv(text, default_taken_at=default_taken_at, tz=tz)
    if problems:
        raise MetricsFileError(problems)
    return rows


def read_metrics_csv(
    text: str, *, default_taken_at: datetime, tz: tzinfo = UTC
) -> tuple[list[ImportedRow], list[str]]:
    """The rows that could be read and a problem per line that could not, so that checks of the
    readable rows against the posts can name their lines too; MetricsFileError when nothing can be read."""
    text = text.lstrip("\ufeff")
    problems = [
        f"line {number}: {problem}"
        for number, line in enumerate(text.split("\n"), start=1)
        for problem in _line_problems(line)
    ]
    if problems:
        # A line with a NUL or thousands of characters is not an export: do not try to read its fields.
        raise MetricsFileError(problems)
    reader = csv.DictReader(io.StringIO(text))
    columns = _map_columns(reader.fieldnames or [])
    rows: list[ImportedRow] = []
    seen: dict[tuple[str, datetime], int] = {}
    line = 1
    try:
        for raw in reader:
            line = reader.line_num
            try:
                row = _parse_row(line, raw, columns, default_taken_at, tz)
            except ValueError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            first = seen.setdefault((row.post_ref, row.taken_at), line)
            if first != line:
                problems.append(f"line {line}: the same post and time as line {first}")
            rows.append(row)
    except csv.Error as exc:
        # The reader cannot find where the next row starts (e.g. an unclosed quote): stop here.
        problems.append(f"line {reader.line_num or line}: {exc}")
    if not rows and not problems:
        raise MetricsFileError(["the file has a header but no rows"])
    return rows, problems


def problem_line(problem: str) -> int:
    """The line a problem names (0 for the header or the whole file): problems are listed in file order."""
    match = re.match(r"line (\d+):", problem)
    return int(match.group(1)) if match else 0


def _line_problems(line: str) -> list[str]:
    problems = []
    if "\x00" in line:
        problems.append("holds a NUL character (is this a binary file?)")
    if len(line) > MAX_LINE_CHARS:
        problems.append(f"is {len(line):,} characters long; at most {MAX_LINE_CHARS:,}")
    return problems


def _map_columns(headers: Sequence[str]) -> dict[str, str]:
    folded = {h.strip().lower(): h for h in headers}
    columns = {}
    for name, aliases in _COLUMNS.items():
        found = next((folded[a] for a in aliases if a in folded), None)
        if found:
            columns[name] = found
    problems = []
    if "post" not in columns and "video" not in columns:
        problems.append("no post_id or video_id column: which post does each row belong to?")
    if "views" not in columns:
        problems.append("no views column")
    if problems:
        raise MetricsFileError(
            [f"header: {p} (columns found: {', '.join(headers) or 'none'})" for p in problems]
        )
    return columns


def _parse_row(
    line: int, raw: dict[str | Any, Any], columns: dict[str, str], default_taken_at: datetime, tz: tzinfo
) -> ImportedRow:
    if None in raw:
        raise ValueError(f"{len(raw[None])} more field(s) than the header has columns")
    long = [name for name, value in raw.items() if isinstance(value, str) and len(value) > MAX_FIELD_CHARS]
    if long:
        raise ValueError(f"{', '.join(long)} longer than {MAX_FIELD_CHARS} characters")
    post_ref = (raw.get(columns.get("post", ""), "") or "").strip()
    if post_ref:
        if not post_ref.isdigit() or int(post_ref) > MAX_COUNT:
            raise ValueError(f"post id {post_ref!r} is not one of ours (a whole number)")
    else:
        video = (raw.get(columns.get("video", ""), "") or "").strip()
        match = _VIDEO_ID.search(video)
        if not match:
            raise ValueError("no post id and no TikTok video id")
        post_ref = f"video:{match.group(1)}"
    taken_raw = (raw.get(columns.get("taken_at", ""), "") or "").strip()
    row = ImportedRow(
        line=line,
        post_ref=post_ref,
        taken_at=_parse_when(taken_raw, tz) if taken_raw else default_taken_at,
        views=_count(raw, columns, "views") or 0,
        likes=_count(raw, columns, "likes", optional=True) or 0,
        comments=_count(raw, columns, "comments", optional=True) or 0,
        shares=_count(raw, columns, "shares", optional=True) or 0,
        saves=_count(raw, columns, "saves", optional=True),
    )
    # A view is counted before a like or a save can happen, so more of either than views is a broken row.
    impossible = [
        f"{name} ({value:,})"
        for name, value in (("likes", row.likes), ("saves", row.saves))
        if value is not None and value > row.views
    ]
    if impossible:
        raise ValueError(f"{' and '.join(impossible)} above views ({row.views:,})")
    return row


def _count(
    raw: dict[str | Any, Any], columns: dict[str, str], name: str, *, optional: bool = False
) -> int | None:
    value = (raw.get(columns.get(name, ""), "") or "").strip().replace(",", "")
    if not value:
        if optional:
            return None
        raise ValueError(f"{name} is empty")
    # Studio exports abbreviate large counts: 1.2K, 3M. Decimal keeps 2.5K exact and a 400-digit count finite.
    match = re.fullmatch(r"(\d{1,12}(?:\.\d{1,6})?)([kKmM]?)", value)
    if not match:
        raise ValueError(f"{name} {value[:40]!r} is not a count")
    number = round(Decimal(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()])
    if number > MAX_COUNT:
        raise ValueError(f"{name} {value!r} is more than {MAX_COUNT:,}")
    return number


def _parse_when(value: str, tz: tzinfo) -> datetime:
    for parse in (datetime.fromisoformat, lambda v: datetime.strptime(v, "%d/%m/%Y %H:%M")):
        try:
            when = parse(value)
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=tz)
        if not MIN_YEAR <= when.year <= MAX_YEAR:
            raise ValueError(f"date {value[:40]!r} is not between {MIN_YEAR} and {MAX_YEAR}")
        return when
    raise ValueError(f"date {value[:40]!r} is not like 2026-11-26 or 2026-11-26T18:00")
