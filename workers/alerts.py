"""Alert jobs: the rules of templates/alerts.yaml swept on RQ, and the watch on the processes themselves.

    enqueue_sweep(connection, database_url, now)   the clock, every MONITOR_SECONDS: every rule over
                                                   everything live (`sweep_alerts`)
    enqueue_post_sweep(connection, database_url, post_ids)
                                                   collection, right after it wrote snapshots: the post
                                                   rules over those posts (`sweep_posts`), so a post at
                                                   0 views is told within seconds, not at the next sweep
    watch(process, now)                            the process_silent rules of one process, run in a
                                                   process that is alive whatever the other does: the
                                                   clock watches the workers, each worker the clock

Each decision is stored exactly once (storage.alerts), so two sweeps of the same snapshot announce it
once; the caller that stored it says it in Slack (messages.alerts) and, for a critical alert routed to
email, sends ALERT_EMAILS a message through SMTP_URL.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import redis
from rq.job import Job

from config.settings import Settings
from core.alert_lifecycle import Action, ActionKind
from core.alerts import AlertRuleError, Facts, Kind, Route, Rule, Severity, evaluate
from messages.alerts import show_alert
from storage.alerts import gather_facts, load_post_facts, sweep
from storage.db import session_scope
from storage.heartbeats import last_beats
from storage.installation import installation_id
from storage.models import PostRow
from templates import alert_rules
from workers.email import EmailError, send_alert_email
from workers.queues import enqueue_every, enqueue_once
from workers.runtime import settings as current_settings

log = logging.getLogger(__name__)

MONITOR_SECONDS = 30
POST_KINDS = frozenset(
    {
        Kind.ZERO_VIEWS,
        Kind.LOW_VIEWS,
        Kind.LOW_SAVE_RATE,
        Kind.POST_FAILED,
        Kind.POST_LATE,
        Kind.METRICS_STALE,
    }
)
_EMAILED = (ActionKind.OPEN, ActionKind.REPEAT, ActionKind.RESOLVE)


def enqueue_sweep(connection: redis.Redis, database_url: str, now: datetime) -> Job | None:
    # Behind the pass's collection jobs on the same queue, so it reads what they measured.
    return enqueue_every(
        connection,
        "default",
        sweep_alerts,
        name=f"alerts-{installation_id(database_url)}",
        seconds=MONITOR_SECONDS,
        now=now,
    )


def enqueue_post_sweep(
    connection: redis.Redis, database_url: str, post_ids: Sequence[int], at: datetime
) -> Job:
    stamp = int(at.timestamp() * 1000)
    job_id = f"alerts-{installation_id(database_url)}-posts-{post_ids[0]}-{stamp}"
    return enqueue_once(connection, "high", sweep_posts, list(post_ids), job_id=job_id)


def sweep_alerts(at: str | None = None) -> str:
    """Every rule over everything live; alerts of rules no longer in the file resolve."""
    settings = current_settings()
    now = _at(at)
    rules = _rules()
    if rules is None:
        return "alert rules unreadable; nothing swept"
    with session_scope(settings.database_url) as session:
        facts = gather_facts(session, now)
        actions = sweep(session, evaluate(rules, facts, now), now)
    announce(settings, actions)
    return f"swept {len(facts.posts)} posts: {len(actions)} alert change(s)"


def sweep_posts(post_ids: list[int], at: str | None = None) -> str:
    """The post rules over these posts alone, just measured."""
    settings = current_settings()
    now = _at(at)
    rules = [rule for rule in _rules() or () if rule.kind in POST_KINDS]
    with session_scope(settings.database_url) as session:
        facts = Facts(posts=load_post_facts(session, PostRow.id.in_(post_ids)))
        conditions = evaluate(rules, facts, now)
        actions = sweep(session, conditions, now, rules={r.name for r in rules}, posts=post_ids)
    announce(settings, actions)
    return f"swept posts {post_ids}: {len(actions)} alert change(s)"


def watch(process: str, now: datetime | None = None, settings: Settings | None = None) -> list[Action]:
    """The process_silent rules watching `process`, evaluated and announced here and now."""
    settings = settings or current_settings()
    now = now or datetime.now(UTC)
    rules = [r for r in _rules() or () if r.kind is Kind.PROCESS_SILENT and r.text("process") == process]
    if not rules:
        return []
    with session_scope(settings.database_url) as session:
        facts = Facts(heartbeats=last_beats(session))
        actions = sweep(session, evaluate(rules, facts, now), now, rules={r.name for r in rules})
    announce(settings, actions)
    return actions


def announce(settings: Settings, actions: Collection[Action]) -> None:
    """Say each change this caller stored: Slack always, email for critical alerts routed there."""
    for action in actions:
        alert = action.alert
        if alert is None or action.kind is ActionKind.NOTHING:
            continue
        show_alert(settings, alert, action.kind)
        if Route.EMAIL in alert.routes and alert.severity is Severity.CRITICAL and action.kind in _EMAILED:
            _email(settings, action)


def _email(settings: Settings, action: Action) -> None:
    assert action.alert is not None
    if not settings.smtp_url:
        return  # Settings.missing() says so at start-up
    try:
        send_alert_email(settings.smtp_url, settings.alert_emails, action.alert, action.kind)
    except EmailError as exc:
        # Slack has it already; an email that cannot go now is not sent twice by a retried job.
        log.error("alert %s: email not sent: %s", action.alert.key, exc)


def _rules() -> tuple[Rule, ...] | None:
    try:
        return alert_rules()
    except AlertRuleError as exc:
        log.error("alert rules cannot be read, so no alert is evaluated: %s", exc)
        return None


def _at(at: str | None) -> datetime:
    return datetime.fromisoformat(at) if at else datetime.now(UTC)
