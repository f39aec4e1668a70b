"""Alert rules as data, what they find in a set of facts, and the life of an alert.

A rule (from templates/alerts.yaml, parsed by `parse_rules`) names a kind of trouble and its
thresholds. `evaluate` turns rules and plain facts (posts, accounts, heartbeats) into
conditions, each with a key: the rule's name and its subject (`zero_views:post:12`).
What happens to the alert of each key is `core.alert_lifecycle`'s business.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.metrics import MetricSnapshot, format_rate, save_rate
from core.polling import PollTarget, overdue
from core.posts import PostStatus


class AlertRuleError(ValueError):
    """The rules cannot be used; `problems` names each rule and field that is wrong."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class Kind(StrEnum):
    ZERO_VIEWS = "zero_views"
    LOW_VIEWS = "low_views"
    LOW_SAVE_RATE = "low_save_rate"
    POST_FAILED = "post_failed"
    POST_LATE = "post_late"
    METRICS_STALE = "metrics_stale"
    TOKEN_EXPIRING = "token_expiring"
    TOKEN_REVOKED = "token_revoked"
    PROCESS_SILENT = "process_silent"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Route(StrEnum):
    CHANNEL = "channel"  # ALERT_CHANNEL
    THREAD = "thread"  # the post's own thread, for alerts about a post
    EMAIL = "email"  # ALERT_EMAILS through SMTP_URL


@dataclass(frozen=True)
class Param:
    name: str
    default: float | str | None  # None: the rule must give it
    help: str
    choices: tuple[str, ...] = ()  # a text parameter; numbers otherwise (never negative)


# Every kind's parameters, with their defaults: the parser checks rules against this table,
# and `/content alerts rules` can show it.
PARAMS: Mapping[Kind, tuple[Param, ...]] = {
    Kind.ZERO_VIEWS: (Param("after_hours", 2, "hours after the post became public (view counts lag)"),),
    Kind.LOW_VIEWS: (
        Param("below", None, "fewer views than this..."),
        Param("at_hours", None, "...measured this many hours after the post became public"),
    ),
    Kind.LOW_SAVE_RATE: (
        Param("below_percent", None, "save rate (saves per 100 views) under this..."),
        Param("after_views", 500, "...once the post has at least this many views"),
    ),
    Kind.POST_FAILED: (),
    Kind.POST_LATE: (Param("after_minutes", 10, "minutes past its time with the post not yet out"),),
    Kind.METRICS_STALE: (
        Param("after_hours", 2, "hours a post's metrics are overdue beyond its polling interval"),
    ),
    Kind.TOKEN_EXPIRING: (Param("within_hours", 72, "hours before the account must be reconnected"),),
    Kind.TOKEN_REVOKED: (),
    Kind.PROCESS_SILENT: (
        Param("process", None, "which heartbeat to watch", choices=("clock", "worker")),
        Param("after_minutes", 5, "minutes since its last heartbeat"),
    ),
}

SEVERITIES = tuple(s.value for s in Severity)
ROUTES = tuple(r.value for r in Route)
# A post in one of these states past its time is late: it is not on TikTok yet.
POST_STATES_NOT_OUT = tuple(
    s.value
    for s in (
        PostStatus.SCHEDULED,
        PostStatus.QUEUED,
        PostStatus.PUBLISHING,
        PostStatus.PROCESSING,
        PostStatus.AWAITING_POSTER,
        PostStatus.NEEDS_RECONCILE,
    )
)


@dataclass(frozen=True)
class Rule:
    name: str
    kind: Kind
    params: Mapping[str, float | str]
    severity: Severity = Severity.WARNING
    routes: tuple[Route, ...] = (Route.CHANNEL,)
    repeat_every: timedelta | None = None  # None: say it once
    enabled: bool = True
    description: str = ""

    def number(self, name: str) -> float:
        value = self.params[name]
        assert not isinstance(value, str), f"{self.name}.{name} is text"
        return value

    def text(self, name: str) -> str:
        return str(self.params[name])


# ---- parsing ------------------------------------------------------------------------------

_RULE_FIELDS = {"name", "kind", "severity", "routes", "repeat_every_minutes", "enabled", "description"}


def parse_rules(data: object) -> list[Rule]:
    """Rules from the parsed YAML (`{"rules": [...]}` or the list), or AlertRuleError naming each mistake."""
    entries = data.get("rules") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise AlertRuleError(["the file must hold a list under `rules:`"])
    rules: list[Rule] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        try:
            rule = parse_rule(entry, where=f"rule {index}")
        except AlertRuleError as exc:
            problems += exc.problems
            continue
        if rule.name in seen:
            problems.append(f"rule {rule.name!r}: the name is used twice; each rule needs its own")
        seen.add(rule.name)
        rules.append(rule)
    if problems:
        raise AlertRuleError(problems)
    return rules


def parse_rule(entry: object, where: str = "rule") -> Rule:
    if not isinstance(entry, Mapping):
        raise AlertRuleError([f"{where}: expected fields such as name, kind, severity, got {entry!r}"])
    name = entry.get("name")
    if isinstance(name, str) and name.strip():
        where = f"rule {name!r}"
    problems: list[str] = []

    def problem(field_name: str, text: str) -> None:
        problems.append(f"{where}, {field_name}: {text}")

    if not isinstance(name, str) or not name.strip():
        problem("name", "missing; give each rule a short name such as zero_views_2h")
    elif len(name) > 64 or not all(c.isalnum() or c in "_-" for c in name):
        problem("name", "use at most 64 letters, digits, _ or -")
    kind_raw = str(entry.get("kind"))
    if kind_raw not in {k.value for k in Kind}:
        problem("kind", f"{entry.get('kind')!r} is not one of {', '.join(k.value for k in Kind)}")
        raise AlertRuleError(problems)
    kind = Kind(kind_raw)
    params = _parse_params(kind, entry, problem)
    severity = entry.get("severity", Severity.WARNING.value)
    if severity not in SEVERITIES:
        problem("severity", f"{severity!r} is not one of {', '.join(SEVERITIES)}")
    routes_raw = entry.get("routes", [Route.CHANNEL.value])
    if isinstance(routes_raw, str):
        routes_raw = [routes_raw]
    if not isinstance(routes_raw, list) or not routes_raw:
        problem("routes", f"give a list of one or more of {', '.join(ROUTES)}")
        routes_raw = []
    bad_routes = [r for r in routes_raw if r not in ROUTES]
    if bad_routes:
        problem("routes", f"{', '.join(map(repr, bad_routes))} not one of {', '.join(ROUTES)}")
    repeat = entry.get("repeat_every_minutes")
    if repeat is not None and not _is_number(repeat, positive=True):
        problem(
            "repeat_every_minutes",
            f"{repeat!r} is not a number of minutes above 0 (leave it out to say it once)",
        )
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        problem("enabled", f"{enabled!r} is not true or false")
    description = entry.get("description", "")
    if not isinstance(description, str):
        problem("description", "must be text")
    allowed = _RULE_FIELDS | {p.name for p in PARAMS[kind]}
    for unknown in sorted(set(map(str, entry)) - allowed):
        known = ", ".join(p.name for p in PARAMS[kind]) or "none"
        problem(unknown, f"not a field of a {kind.value} rule (its parameters: {known})")
    if problems:
        raise AlertRuleError(problems)
    return Rule(
        name=str(name),
        kind=kind,
        params=params,
        severity=Severity(severity),
        routes=tuple(dict.fromkeys(Route(r) for r in routes_raw)),
        repeat_every=timedelta(minutes=float(repeat)) if repeat is not None else None,
        enabled=bool(enabled),
        description=str(description),
    )


def _parse_params(
    kind: Kind, entry: Mapping[object, object], problem: Callable[[str, str], None]
) -> dict[str, float | str]:
    params: dict[str, float | str] = {}
    for param in PARAMS[kind]:
        value = entry.get(param.name, param.default)
        if value is None:
            problem(param.name, f"missing: {param.help}")
        elif param.choices:
            if value not in param.choices:
                problem(param.name, f"{value!r} is not one of {', '.join(param.choices)}")
            else:
                params[param.name] = str(value)
        elif not _is_number(value):
            problem(param.name, f"{value!r} is not a number of 0 or more ({param.help})")
        else:
            assert isinstance(value, int | float)
            params[param.name] = float(value)
    return params


def _is_number(value: object, *, positive: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return value > 0 if positive else value >= 0


# ---- facts and conditions -----------------------------------------------------------------


@dataclass(frozen=True)
class PostFacts:
    """What the rules read about one post."""

    post_id: int
    channel: str
    state: str  # the post's status: scheduled, queued, ..., published, failed
    due_at: datetime
    public_since: datetime | None = None  # when TikTok made it public
    public_id: str | None = None  # TikTok's video id; None while private or in moderation
    latest: MetricSnapshot | None = None  # its newest snapshot, any source
    # Its newest snapshot that knows saves (a Studio CSV import): the Display API reports none.
    latest_saves: MetricSnapshot | None = None
    label: str = ""  # a few words to name it in a message (its caption's start)
    failure: str = ""  # why it failed, when it did

    @property
    def has_public_id(self) -> bool:
        return bool(self.public_id)

    @property
    def poll_target(self) -> PollTarget:
        return PollTarget(
            post_id=self.post_id,
            account=self.channel,
            public_id=self.public_id,
            public_since=self.public_since,
            last_polled=self.latest.taken_at if self.latest else None,
        )


@dataclass(frozen=True)
class AccountFacts:
    """A channel's TikTok connection."""

    channel: str
    # The time after which the account must be connected again (the refresh token's expiry).
    token_expires_at: datetime | None = None
    token_revoked: bool = False


@dataclass(frozen=True)
class Facts:
    posts: Sequence[PostFacts] = ()
    accounts: Sequence[AccountFacts] = ()
    heartbeats: Mapping[str, datetime] = field(default_factory=dict)  # process name → last beat


@dataclass(frozen=True)
class Condition:
    """A rule that holds for a subject now."""

    rule: str
    subject: str  # post:12, channel:Air, process:clock
    severity: Severity
    routes: tuple[Route, ...]
    summary: str
    repeat_every: timedelta | None = None
    post_id: int | None = None

    @property
    def key(self) -> str:
        return alert_key(self.rule, self.subject)


def alert_key(rule: str, subject: str) -> str:
    return f"{rule}:{subject}"


def evaluate(rules: Sequence[Rule], facts: Facts, now: datetime) -> list[Condition]:
    """Every condition that holds at `now`, in rule order, then subject order."""
    found: list[Condition] = []
    for rule in rules:
        if not rule.enabled:
            continue
        for subject, summary, post_id in _CHECKS[rule.kind](rule, facts, now):
            found.append(
                Condition(
                    rule=rule.name,
                    subject=subject,
                    severity=rule.severity,
                    routes=rule.routes,
                    summary=summary,
                    repeat_every=rule.repeat_every,
                    post_id=post_id,
                )
            )
    return found


Found = list[tuple[str, str, int | None]]  # subject, summary, post id


def _post_name(post: PostFacts) -> str:
    label = f" “{post.label}”" if post.label else ""
    return f"Post {post.post_id}{label} on {post.channel}"


def _hours(value: float) -> str:
    return f"{value:g} h"


def _age(post: PostFacts, at: datetime) -> timedelta | None:
    return at - post.public_since if post.public_since else None


def _measured(post: PostFacts, at_least: timedelta, *, saves: bool = False) -> MetricSnapshot | None:
    """The latest snapshot (that knows saves, with `saves`), if the post is public with a public id and
    it was taken at that age or later.

    A post without a public id is "metrics unavailable": no metric rule ever reads it.
    """
    latest = post.latest_saves if saves else post.latest
    if post.state != PostStatus.PUBLISHED or not post.has_public_id or latest is None:
        return None
    age = _age(post, latest.taken_at)
    return latest if age is not None and age >= at_least else None


def _zero_views(rule: Rule, facts: Facts, now: datetime) -> Found:
    hours = rule.number("after_hours")
    found: Found = []
    for post in facts.posts:
        snap = _measured(post, timedelta(hours=hours))
        if snap is not None and snap.views == 0:
            summary = f"{_post_name(post)} has 0 views {_hours(hours)} after going public."
            found.append((f"post:{post.post_id}", summary, post.post_id))
    return found


def _low_views(rule: Rule, facts: Facts, now: datetime) -> Found:
    below, hours = rule.number("below"), rule.number("at_hours")
    found: Found = []
    for post in facts.posts:
        snap = _measured(post, timedelta(hours=hours))
        if snap is not None and snap.views < below:
            summary = (
                f"{_post_name(post)} has {snap.views:,} views at {_hours(hours)} or later (below {below:,g})."
            )
            found.append((f"post:{post.post_id}", summary, post.post_id))
    return found


def _low_save_rate(rule: Rule, facts: Facts, now: datetime) -> Found:
    below, views = rule.number("below_percent") / 100, rule.number("after_views")
    found: Found = []
    for post in facts.posts:
        snap = _measured(post, timedelta(0), saves=True)
        rate = save_rate(snap.saves, snap.views) if snap is not None else None
        if snap is not None and rate is not None and snap.views >= views and rate < below:
            summary = f"{_post_name(post)} saves {format_rate(rate)} of {snap.views:,} views (below {format_rate(below)})."
            found.append((f"post:{post.post_id}", summary, post.post_id))
    return found


def _post_failed(rule: Rule, facts: Facts, now: datetime) -> Found:
    found: Found = []
    for post in facts.posts:
        if post.state == PostStatus.FAILED:
            why = f": {post.failure}" if post.failure else "."
            found.append((f"post:{post.post_id}", f"{_post_name(post)} failed to publish{why}", post.post_id))
    return found


def _post_late(rule: Rule, facts: Facts, now: datetime) -> Found:
    grace = timedelta(minutes=rule.number("after_minutes"))
    found: Found = []
    for post in facts.posts:
        if post.state in POST_STATES_NOT_OUT and now - post.due_at >= grace:
            minutes = int((now - post.due_at).total_seconds() // 60)
            summary = (
                f"{_post_name(post)} was due {minutes} min ago and is still {post.state.replace('_', ' ')}."
            )
            found.append((f"post:{post.post_id}", summary, post.post_id))
    return found


def _metrics_stale(rule: Rule, facts: Facts, now: datetime) -> Found:
    after = timedelta(hours=rule.number("after_hours"))
    found: Found = []
    for post in facts.posts:
        if post.state != PostStatus.PUBLISHED:
            continue
        late = overdue(post.poll_target, now)
        if late is not None and late >= after:
            last = post.latest.taken_at.strftime("%Y-%m-%d %H:%M UTC") if post.latest else "never"
            summary = f"{_post_name(post)}: metrics not updated since {last}."
            found.append((f"post:{post.post_id}", summary, post.post_id))
    return found


def _token_expiring(rule: Rule, facts: Facts, now: datetime) -> Found:
    within = timedelta(hours=rule.number("within_hours"))
    found: Found = []
    for account in facts.accounts:
        expires = account.token_expires_at
        if account.token_revoked or expires is None or expires - now > within:
            continue
        when = "has expired" if expires <= now else f"expires {expires.strftime('%Y-%m-%d %H:%M UTC')}"
        summary = f"{account.channel}'s TikTok connection {when}: connect the account again."
        found.append((f"channel:{account.channel}", summary, None))
    return found


def _token_revoked(rule: Rule, facts: Facts, now: datetime) -> Found:
    return [
        (
            f"channel:{a.channel}",
            f"{a.channel}'s TikTok access was revoked: connect the account again.",
            None,
        )
        for a in facts.accounts
        if a.token_revoked
    ]


def _process_silent(rule: Rule, facts: Facts, now: datetime) -> Found:
    process, after = rule.text("process"), timedelta(minutes=rule.number("after_minutes"))
    beat = facts.heartbeats.get(process)
    # No heartbeat at all is a process that never started here: nothing to compare with.
    if beat is None or now - beat < after:
        return []
    minutes = int((now - beat).total_seconds() // 60)
    return [(f"process:{process}", f"The {process} has been silent for {minutes} min.", None)]


_CHECKS = {
    Kind.ZERO_VIEWS: _zero_views,
    Kind.LOW_VIEWS: _low_views,
    Kind.LOW_SAVE_RATE: _low_save_rate,
    Kind.POST_FAILED: _post_failed,
    Kind.POST_LATE: _post_late,
    Kind.METRICS_STALE: _metrics_stale,
    Kind.TOKEN_EXPIRING: _token_expiring,
    Kind.TOKEN_REVOKED: _token_revoked,
    Kind.PROCESS_SILENT: _process_silent,
}
