"""The daily digest: what one local day brought, per channel, for the people who manage the channels.

`build_digest` gathers it from plain values (posts, snapshots, alerts, counts); `digest_text`
says it in plain words, for the message's fallback text and for email. Block Kit is built
from the `Digest` by the bot's views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.alert_lifecycle import Alert
from core.alerts import POST_STATES_NOT_OUT, PostFacts
from core.metrics import MetricSnapshot, format_rate
from core.posts import PostStatus
from core.trends import Comparison, Gain, compare, daily_series, post_results

LATE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class ChannelDay:
    channel: str
    posts: int  # posts that went public that day
    comparison: Comparison  # that day against the day before


@dataclass(frozen=True)
class PostLine:
    post_id: int
    channel: str
    label: str
    views: int  # gained that day
    total_views: int
    save_rate: float | None


@dataclass(frozen=True)
class ProblemPost:
    post_id: int
    channel: str
    label: str
    problem: str  # "failed" or "late"
    due_at: datetime
    detail: str


@dataclass(frozen=True)
class Winner:
    experiment: str
    variant: str
    metric: str


@dataclass(frozen=True)
class Digest:
    day: date
    channels: tuple[ChannelDay, ...]
    top_posts: tuple[PostLine, ...]
    problems: tuple[ProblemPost, ...]
    alerts: tuple[Alert, ...]  # raised that day, as they stand now
    pending_reviews: int
    winners: tuple[Winner, ...]

    @property
    def has_data(self) -> bool:
        """False for a day with no posts, no measured change, no problems and no alerts."""
        measured = any(c.posts or c.comparison.current.posts for c in self.channels)
        return measured or bool(self.top_posts or self.problems or self.alerts)


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The local day as a UTC half-open interval (23 or 25 hours on a DST change)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def build_digest(
    day: date,
    *,
    channels: Sequence[str],
    posts: Sequence[PostFacts],
    snapshots: Sequence[MetricSnapshot],
    alerts: Sequence[Alert] = (),
    pending_reviews: int = 0,
    winners: Sequence[Winner] = (),
    tz: tzinfo = UTC,
    top: int = 3,
) -> Digest:
    """`posts`: every post measured or due that day. `snapshots`: theirs from the day before on,
    plus each post's last one before that (so gains are not counted from zero)."""
    start, end = day_bounds(day, tz)
    by_id = {p.post_id: p for p in posts}
    series = daily_series(snapshots, {p.post_id: p.channel for p in posts}, day - timedelta(days=1), day, tz)
    per_channel = []
    for channel in channels:
        went_public = sum(
            1
            for p in posts
            if p.channel == channel and p.public_since is not None and start <= p.public_since < end
        )
        comparison = (
            compare(series[channel], day, days=1) if channel in series else Comparison(Gain(), Gain())
        )
        per_channel.append(ChannelDay(channel, went_public, comparison))
    results = sorted(
        (r for r in post_results(snapshots, start, end) if r.post_id in by_id and r.gain.views > 0),
        key=lambda r: (-r.gain.views, r.post_id),
    )
    top_posts = tuple(
        PostLine(
            r.post_id, by_id[r.post_id].channel, by_id[r.post_id].label, r.gain.views, r.views, r.save_rate
        )
        for r in results[:top]
    )
    return Digest(
        day=day,
        channels=tuple(per_channel),
        top_posts=top_posts,
        problems=tuple(_problems(posts, start, end)),
        alerts=tuple(
            sorted((a for a in alerts if start <= a.first_fired_at < end), key=lambda a: a.first_fired_at)
        ),
        pending_reviews=pending_reviews,
        winners=tuple(winners),
    )


def _problems(posts: Sequence[PostFacts], start: datetime, end: datetime) -> list[ProblemPost]:
    found = []
    for post in sorted(posts, key=lambda p: (p.due_at, p.post_id)):
        if not start <= post.due_at < end:
            continue
        if post.state == PostStatus.FAILED:
            found.append(
                ProblemPost(post.post_id, post.channel, post.label, "failed", post.due_at, post.failure)
            )
        elif post.state in POST_STATES_NOT_OUT and end - post.due_at >= LATE_AFTER:
            detail = f"still {post.state.replace('_', ' ')}"
            found.append(ProblemPost(post.post_id, post.channel, post.label, "late", post.due_at, detail))
        elif post.public_since is not None and post.public_since - post.due_at >= LATE_AFTER:
            minutes = int((post.public_since - post.due_at).total_seconds() // 60)
            found.append(
                ProblemPost(
                    post.post_id, post.channel, post.label, "late", post.due_at, f"out {minutes} min late"
                )
            )
    return found


def signed_percent(value: float | None) -> str:
    return "" if value is None else f" ({value:+.0%})"


def rate_change(value: float | None) -> str:
    return "" if value is None else f" ({value * 100:+.2f} pts)"


def digest_text(digest: Digest) -> str:
    """The digest in plain words."""
    title = f"Daily digest for {digest.day:%A %d %B %Y}"
    if not digest.has_data:
        lines = [
            title,
            "No data for that day: no posts went out, none were measured, and no alerts were raised.",
        ]
        if digest.pending_reviews:
            lines.append(f"Pending reviews: {digest.pending_reviews}")
        return "\n".join(lines)
    lines = [title, ""]
    for c in digest.channels:
        now = c.comparison.current
        lines.append(
            f"{c.channel}: {c.posts} post{'s' if c.posts != 1 else ''} · {now.views:,} views"
            f"{signed_percent(c.comparison.views_change)} · {now.saves:,} saves · save rate "
            f"{format_rate(now.save_rate)}{rate_change(c.comparison.save_rate_change)}"
        )
    if digest.top_posts:
        lines += ["", "Top posts:"]
        lines += [
            f"• Post {p.post_id} on {p.channel} “{p.label}”: +{p.views:,} views ({p.total_views:,} in all), "
            f"save rate {format_rate(p.save_rate)}"
            for p in digest.top_posts
        ]
    if digest.problems:
        lines += ["", "Failed or late:"]
        lines += [
            f"• Post {p.post_id} on {p.channel} “{p.label}”, due {p.due_at:%H:%M} UTC: {p.problem}"
            + (f" ({p.detail})" if p.detail else "")
            for p in digest.problems
        ]
    if digest.alerts:
        lines += ["", "Alerts raised:"]
        lines += [f"• [{a.severity.value}] {a.summary} ({a.state.value})" for a in digest.alerts]
    lines += ["", f"Pending reviews: {digest.pending_reviews}"]
    if digest.winners:
        lines += [
            f"Experiment “{w.experiment}” found a winner: variant {w.variant} ({w.metric})"
            for w in digest.winners
        ]
    return "\n".join(lines)


def due_day(now: datetime, tz: tzinfo, at: time) -> date | None:
    """The day whose digest is due at `now`: yesterday, once `at` has passed locally today."""
    local = now.astimezone(tz)
    return local.date() - timedelta(days=1) if local.time() >= at else None
