"""Bulk scheduling: a CSV or a pasted list read into rows, and the checks of rows against each other.

One row per post, with or without a header line (`content,channel,time,products,privacy,video`):

    12, Water, next
    13, Fire, 2026-12-24 18:30, 1729382, public

Each row is then checked as a single schedule is (storage.scheduling.check_schedule); this module adds what
only a batch can get wrong: two rows on one channel too close or over its daily cap, the same content
(or nearly the same text, or the same product within 48 h) on two channels, and more inbox drafts in
24 hours than TikTok lets a creator hold. Every problem names its line and column, so a file of a
thousand rows says exactly where to look; the batch is scheduled whole or not at all.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import pairwise

from core.channels import describe_gap
from core.fingerprint import PRODUCT_WINDOW, Fingerprint, FingerprintIndex
from core.metrics import MAX_FIELD_CHARS
from core.posts import PENDING_SHARE_LIMIT, SHARE_WINDOW, inbox_share_problem
from core.scheduling import PRIVACY_WORDS
from core.slots import describe_time
from core.when import WhenError, parse_when

COLUMNS = ("content", "channel", "time", "products", "privacy", "video")
_ALIASES = {
    "content": ("content", "content id", "content_id", "id"),
    "channel": ("channel",),
    "time": ("time", "when", "at"),
    "products": ("products", "product", "product ids", "product_ids", "product id", "product_id"),
    "privacy": ("privacy",),
    "video": ("video", "media"),
}
# A week of posts on four channels is a few dozen rows; this leaves room for a season.
MAX_ROWS = 2_000


@dataclass(frozen=True)
class RowProblem:
    line: int  # 0: the file as a whole
    column: str
    text: str

    def __str__(self) -> str:
        if not self.line:
            return self.text
        return f"line {self.line}, column {self.column}: {self.text}"


@dataclass(frozen=True)
class BulkRow:
    line: int
    content_id: int
    channel: str
    when: datetime | None  # None: the next free slot
    products: tuple[str, ...]
    privacy: str | None
    video: str | None


def read_rows(text: str, now: datetime, tz: tzinfo) -> tuple[list[BulkRow], list[RowProblem]]:
    """The rows that could be read, and a problem for every field that could not."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    columns = list(COLUMNS)
    rows: list[BulkRow] = []
    problems: list[RowProblem] = []
    header_seen = False
    try:
        for fields in reader:
            line = reader.line_num
            fields = [field.strip() for field in fields]
            if not any(fields):
                continue
            # Slack shows content as `#12`, so a pasted id may carry the hash.
            if not header_seen and not rows and not problems and not fields[0].lstrip("#").isdigit():
                header_seen = True
                named = _header(fields)
                if isinstance(named, RowProblem):
                    return [], [named]
                columns = named
                continue
            if len(rows) + len({p.line for p in problems}) >= MAX_ROWS:
                problems.append(RowProblem(line, "content", f"a batch holds at most {MAX_ROWS:,} rows"))
                break
            row = _row(line, fields, columns, now, tz, problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, "content", f"the line cannot be read as CSV: {exc}"))
    if not rows and not problems:
        problems.append(RowProblem(0, "", "There are no rows: one line per post, as `12, Water, next`."))
    return rows, problems


def _header(fields: list[str]) -> list[str] | RowProblem:
    columns = []
    for field in fields:
        name = next((name for name, aliases in _ALIASES.items() if field.lower() in aliases), None)
        if name is None:
            known = ", ".join(COLUMNS)
            return RowProblem(
                1, field[:40], f"`{field[:40]}` is not a column I know; the columns are {known}."
            )
        columns.append(name)
    missing = [name for name in ("content", "channel") if name not in columns]
    if missing:
        return RowProblem(1, missing[0], f"the header has no {' or '.join(missing)} column.")
    return columns


def _row(
    line: int, fields: list[str], columns: list[str], now: datetime, tz: tzinfo, problems: list[RowProblem]
) -> BulkRow | None:
    found = len(problems)
    if len(fields) > len(columns):
        extra = len(fields) - len(columns)
        problems.append(
            RowProblem(line, str(len(columns) + 1), f"{extra} more field(s) than the {len(columns)} columns")
        )
    values = dict(zip(columns, fields, strict=False))
    for name, value in values.items():
        if len(value) > MAX_FIELD_CHARS:
            problems.append(RowProblem(line, name, f"longer than {MAX_FIELD_CHARS} characters"))
            return None
    content = values.get("content", "")
    if not content.lstrip("#").isdigit() or not 0 < int(content.lstrip("#")) < 2**31:
        problems.append(RowProblem(line, "content", f"`{content[:40]}` is not a content id."))
    channel = values.get("channel", "")
    if not channel:
        problems.append(RowProblem(line, "channel", "no channel."))
    when = None
    try:
        when = parse_when(values.get("time", ""), now, tz)
    except WhenError as exc:
        problems.append(RowProblem(line, "time", str(exc)))
    products = tuple(p for p in values.get("products", "").replace(";", " ").replace("|", " ").split() if p)
    if len(products) > 1:
        problems.append(RowProblem(line, "products", "a post carries one product; give one id."))
    privacy = values.get("privacy") or None
    if privacy is not None and privacy.lower() not in PRIVACY_WORDS:
        words = ", ".join(f"`{w}`" for w in PRIVACY_WORDS)
        problems.append(RowProblem(line, "privacy", f"`{privacy}` is not a privacy; give one of {words}."))
    if len(problems) > found:
        return None
    return BulkRow(
        line=line,
        content_id=int(content.lstrip("#")),
        channel=channel,
        when=when,
        products=products,
        privacy=PRIVACY_WORDS[privacy.lower()] if privacy else None,
        video=values.get("video") or None,
    )


# --- Rows against each other ----------------------------------------------------------------------------


def same_content(rows: Sequence[BulkRow]) -> list[RowProblem]:
    """A content id on a second channel, named by its later line (whether or not either row passes its
    own checks: this mistake is the batch's)."""
    problems = []
    first_of: dict[int, BulkRow] = {}
    for row in sorted(rows, key=lambda r: r.line):
        earlier = first_of.setdefault(row.content_id, row)
        if earlier is not row and earlier.channel.lower() != row.channel.lower():
            problems.append(
                RowProblem(
                    row.line,
                    "content",
                    f"content #{row.content_id} is also on line {earlier.line} for {earlier.channel}: "
                    "the same content goes on one channel only.",
                )
            )
    return problems


@dataclass(frozen=True)
class Placed:
    """A row that passed its own checks, where it would go."""

    line: int
    content_id: int
    channel_id: int
    channel_name: str
    at: datetime
    fingerprint: Fingerprint
    product_id: str | None
    posting_mode: str
    daily_cap: int
    min_gap: timedelta


def batch_problems(
    placed: Sequence[Placed],
    taken: Mapping[int, Sequence[datetime]],
    pending: Mapping[int, Sequence[datetime]],
    tz: tzinfo,
) -> list[RowProblem]:
    """What the rows get wrong together. `taken` holds each channel's scheduled times already in the
    database; `pending`, by line, the times of inbox drafts not yet finished near each draft row's
    (core.posts.inbox_share_problem). Each row's own checks against those have run."""
    problems: list[RowProblem] = []
    by_channel: dict[int, list[Placed]] = defaultdict(list)
    for row in placed:
        by_channel[row.channel_id].append(row)
    for channel_rows in by_channel.values():
        ordered = sorted(channel_rows, key=lambda r: (r.at, r.line))
        problems += _gaps(ordered, tz)
        problems += _caps(ordered, taken.get(ordered[0].channel_id, ()), tz)
        if ordered[0].posting_mode == "draft":
            problems += _inbox(ordered, pending)
    problems += _repeats(placed)
    return problems


def _gaps(ordered: Sequence[Placed], tz: tzinfo) -> list[RowProblem]:
    problems = []
    for before, after in pairwise(ordered):
        if after.at - before.at < after.min_gap:
            problems.append(
                RowProblem(
                    max(before.line, after.line),
                    "time",
                    f"{describe_time(after.at, tz)} on {after.channel_name} is too close to line "
                    f"{min(before.line, after.line)} ({describe_time(before.at, tz)}): posts there must be "
                    f"{describe_gap(after.min_gap)} apart.",
                )
            )
    return problems


def _caps(ordered: Sequence[Placed], taken: Sequence[datetime], tz: tzinfo) -> list[RowProblem]:
    already = Counter(t.astimezone(tz).date() for t in taken)
    in_batch: dict[object, list[int]] = defaultdict(list)
    problems = []
    for row in ordered:
        day = row.at.astimezone(tz).date()
        in_batch[day].append(row.line)
        # A day already full without the batch was named by the row's own check.
        if already[day] < row.daily_cap < already[day] + len(in_batch[day]):
            others = ", ".join(str(line) for line in in_batch[day][:-1][:10])
            existing = f" and {already[day]} already scheduled" if already[day] else ""
            problems.append(
                RowProblem(
                    row.line,
                    "time",
                    f"{row.channel_name} would have {already[day] + len(in_batch[day])} posts on "
                    f"{day:%a %d %b} (lines {others}{existing}), over its daily cap of {row.daily_cap}.",
                )
            )
    return problems


def _inbox(ordered: Sequence[Placed], pending: Mapping[int, Sequence[datetime]]) -> list[RowProblem]:
    """Rows, in time order, that would push the channel's inbox past TikTok's limit together with the
    earlier rows; a row over it on its own was named by its own check."""
    problems = []
    taken: list[Placed] = []
    for row in ordered:
        waiting = pending.get(row.line, ())
        if inbox_share_problem(row.at, waiting) is not None:
            continue
        if inbox_share_problem(row.at, [*waiting, *(r.at for r in taken)]) is None:
            taken.append(row)
            continue
        near = [str(r.line) for r in taken if abs(r.at - row.at) < SHARE_WINDOW]
        problems.append(
            RowProblem(
                row.line,
                "time",
                f"{row.channel_name} would have more than {PENDING_SHARE_LIMIT} inbox drafts pending within "
                f"24 hours, counting lines {', '.join(near[:10])}; TikTok keeps at most "
                f"{PENDING_SHARE_LIMIT} per creator until they are finished in the app.",
            )
        )
    return problems


def _repeats(placed: Sequence[Placed]) -> list[RowProblem]:
    problems = []
    # Earlier lines are indexed as the later ones are checked, so each pair is named once, by its later line.
    index: FingerprintIndex[int] = FingerprintIndex()
    by_line = {row.line: row for row in placed}
    by_product: dict[str, list[Placed]] = defaultdict(list)
    for row in sorted(placed, key=lambda r: r.line):
        same = [*index.exact(row.fingerprint), *(line for line, _ in index.near(row.fingerprint))]
        other = next(
            (
                by_line[line]
                for line in same
                if by_line[line].channel_id != row.channel_id and by_line[line].content_id != row.content_id
            ),
            None,
        )
        if other is not None:
            problems.append(
                RowProblem(
                    row.line,
                    "content",
                    f"content #{row.content_id} repeats the text of line {other.line} "
                    f"(content #{other.content_id} on {other.channel_name}).",
                )
            )
        index.add(row.line, row.fingerprint)
        if row.product_id:
            near = next(
                (
                    o
                    for o in by_product[row.product_id]
                    if o.channel_id != row.channel_id and abs(o.at - row.at) <= PRODUCT_WINDOW
                ),
                None,
            )
            if near is not None:
                problems.append(
                    RowProblem(
                        row.line,
                        "products",
                        f"product {row.product_id} is also on line {near.line} ({near.channel_name}) within 48 hours.",
                    )
                )
            by_product[row.product_id].append(row)
    return problems


# --- Saying it in Slack ----------------------------------------------------------------------------------


def summarise(problems: Sequence[RowProblem], *, limit: int = 40) -> tuple[list[str], int]:
    """The first `limit` problems in file order, each as a line, and how many more there are."""
    ordered = sorted(problems, key=lambda p: (p.line, COLUMNS.index(p.column) if p.column in COLUMNS else 9))
    return [str(p) for p in ordered[:limit]], max(0, len(ordered) - limit)


@dataclass(frozen=True)
class Batch:
    """One bulk schedule as stored: where its rows come from and how it ended."""

    id: int
    created_by: str
    file_name: str | None
    file_url: str | None
    text: str | None
    status: str  # checking | scheduled | refused
    rows: int
    slack_channel: str | None
    slack_ts: str | None
    undone_by: str | None
