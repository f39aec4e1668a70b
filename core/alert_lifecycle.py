"""The life of an alert: firing → acknowledged → resolved, one alert per key.

`decide` compares a condition (from `core.alerts.evaluate`) with the stored alert of the
same key and says what to do: open, repeat, update, resolve or nothing. It is deterministic,
so two workers looking at the same snapshot decide the same thing; storage applies the
change only to the alert as it was when decided (its `revision`), so it happens once.

A firing alert repeats at its rule's interval until someone acknowledges it; a snooze holds
repeats back until a time and reminds once it passes; when the condition clears the alert
resolves. An alert a person resolved by hand while its condition still held fires again one
repeat interval later (at once for a rule that does not repeat).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from core.alerts import Condition, Route, Severity


class AlertState(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    """One alert key's stored state. `revision` grows with every change (storage's guard)."""

    key: str
    rule: str
    subject: str
    severity: Severity
    state: AlertState
    summary: str
    first_fired_at: datetime
    last_fired_at: datetime
    repeat_every: timedelta | None = None
    post_id: int | None = None
    routes: tuple[Route, ...] = (Route.CHANNEL,)
    repeat_count: int = 0
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    snoozed_until: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None  # None: resolved because the condition cleared
    slack_channel: str | None = None
    slack_ts: str | None = None
    revision: int = 0


class ActionKind(StrEnum):
    OPEN = "open"  # a new alert (or one firing again): post it
    REPEAT = "repeat"  # still firing, unacknowledged, its interval passed: say it again
    UPDATE = "update"  # what it says changed: edit the message in place
    RESOLVE = "resolve"  # the condition cleared: say so
    NOTHING = "nothing"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    alert: Alert | None = None  # the alert as it is after the action (None for NOTHING on no alert)
    previous: Alert | None = None  # as it was before: storage changes it only if it still is


def decide(existing: Alert | None, condition: Condition | None, now: datetime) -> Action:
    """What to do about one key, given its stored alert and the condition found now (None: it holds no more)."""
    if condition is None:
        if existing is None or existing.state is AlertState.RESOLVED:
            return Action(ActionKind.NOTHING, existing, existing)
        resolved = replace(
            existing, state=AlertState.RESOLVED, resolved_at=now, resolved_by=None, snoozed_until=None
        )
        return Action(ActionKind.RESOLVE, resolved, existing)
    if existing is None or existing.state is AlertState.RESOLVED:
        if existing is not None and existing.resolved_by is not None and now < _refire_at(existing):
            return Action(ActionKind.NOTHING, existing, existing)
        return Action(ActionKind.OPEN, _opened(existing, condition, now), existing)
    described = replace(
        existing,
        severity=condition.severity,
        summary=condition.summary,
        routes=condition.routes,
        repeat_every=condition.repeat_every,
        post_id=condition.post_id,
    )
    if existing.state is AlertState.FIRING and now >= _next_repeat(existing, condition):
        repeated = replace(
            described, last_fired_at=now, repeat_count=existing.repeat_count + 1, snoozed_until=None
        )
        return Action(ActionKind.REPEAT, repeated, existing)
    if described != existing:
        return Action(ActionKind.UPDATE, described, existing)
    return Action(ActionKind.NOTHING, existing, existing)


def _opened(existing: Alert | None, condition: Condition, now: datetime) -> Alert:
    # A key that fires again keeps its row (and its Slack message, to update in place).
    return Alert(
        key=condition.key,
        rule=condition.rule,
        subject=condition.subject,
        severity=condition.severity,
        state=AlertState.FIRING,
        summary=condition.summary,
        first_fired_at=now,
        last_fired_at=now,
        repeat_every=condition.repeat_every,
        post_id=condition.post_id,
        routes=condition.routes,
        slack_channel=existing.slack_channel if existing else None,
        slack_ts=existing.slack_ts if existing else None,
        revision=existing.revision if existing else 0,
    )


def _next_repeat(alert: Alert, condition: Condition) -> datetime:
    """When a firing alert should be said again; far future when never."""
    # A snooze ends with a reminder, whether or not the rule repeats.
    if alert.snoozed_until is not None and alert.snoozed_until > alert.last_fired_at:
        return alert.snoozed_until
    if condition.repeat_every is None:
        return datetime.max.replace(tzinfo=alert.last_fired_at.tzinfo)
    return alert.last_fired_at + condition.repeat_every


def _refire_at(alert: Alert) -> datetime:
    assert alert.resolved_at is not None
    return alert.resolved_at + (alert.repeat_every or timedelta(0))


# What people do with the buttons: each returns the alert as it should be stored.


def acknowledge(alert: Alert, user: str, now: datetime) -> Alert:
    if alert.state is not AlertState.FIRING:
        return alert
    return replace(alert, state=AlertState.ACKNOWLEDGED, acknowledged_by=user, acknowledged_at=now)


def snooze(alert: Alert, until: datetime) -> Alert:
    if alert.state is AlertState.RESOLVED:
        return alert
    return replace(alert, snoozed_until=until)


def resolve_by_hand(alert: Alert, user: str, now: datetime) -> Alert:
    if alert.state is AlertState.RESOLVED:
        return alert
    return replace(alert, state=AlertState.RESOLVED, resolved_at=now, resolved_by=user, snoozed_until=None)


SNOOZE_CHOICES = (timedelta(hours=1), timedelta(hours=4), timedelta(hours=24))
