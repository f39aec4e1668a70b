"""An alert's message (one per alert key, updated in place), its link in the post's thread, and the list
of rules; shown here for both the alert job and the buttons.

The message lives in ALERT_CHANNEL; a rule routed only to the post's thread keeps it there instead.
A reminder updates the message and says so in its thread, broadcast to the channel, so the people
who must act see it again; the resolution updates it and says so in the post's thread too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from config.settings import Settings
from core.alert_lifecycle import SNOOZE_CHOICES, ActionKind, Alert, AlertState
from core.alerts import PARAMS, Route, Rule, Severity
from messages.blocks import context, escape, section
from messages.slack import slack_client
from storage import alerts as store
from storage import posts
from storage.db import session_scope

log = logging.getLogger(__name__)

ACKNOWLEDGE = "alert_acknowledge"
RESOLVE = "alert_resolve"
SNOOZE_PREFIX = "alert_snooze_"
SNOOZES = {f"{SNOOZE_PREFIX}{int(s.total_seconds() // 3600)}h": s for s in SNOOZE_CHOICES}

_ICON = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.WARNING: ":warning:",
    Severity.INFO: ":information_source:",
}


def _when(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%a %d %b %H:%M %Z")


def alert_text(alert: Alert) -> str:
    """The notification text: what shows in a push and in clients without blocks."""
    if alert.state is AlertState.RESOLVED:
        return f"Resolved: {alert.summary}"
    return f"[{alert.severity.value}] {alert.summary}"


def alert_blocks(alert: Alert, tz: ZoneInfo) -> list[Block]:
    """The alert as its message shows it, with Acknowledge, Snooze and Resolve while it is open."""
    icon = ":white_check_mark:" if alert.state is AlertState.RESOLVED else _ICON[alert.severity]
    title = f"{icon} *{alert.severity.value.title()} · {escape(alert.rule)}*: {escape(alert.summary)}"
    facts = [f"Firing since {_when(alert.first_fired_at, tz)}"]
    if alert.repeat_count:
        facts.append(f"reminder {alert.repeat_count} at {_when(alert.last_fired_at, tz)}")
    if alert.acknowledged_by and alert.acknowledged_at and alert.state is not AlertState.FIRING:
        facts.append(f"acknowledged by <@{alert.acknowledged_by}> {_when(alert.acknowledged_at, tz)}")
    if alert.snoozed_until and alert.state is not AlertState.RESOLVED:
        facts.append(f"snoozed until {_when(alert.snoozed_until, tz)}")
    if alert.state is AlertState.RESOLVED and alert.resolved_at:
        who = f"by <@{alert.resolved_by}>" if alert.resolved_by else "(the condition cleared)"
        facts.append(f"resolved {who} {_when(alert.resolved_at, tz)}")
    blocks: list[Block] = [section(title), context(" · ".join(facts))]
    if alert.state is not AlertState.RESOLVED:
        blocks.append(ActionsBlock(block_id=f"alert:{alert.key}"[:255], elements=_buttons(alert)))
    return blocks


def _buttons(alert: Alert) -> list[ButtonElement]:
    buttons = []
    if alert.state is AlertState.FIRING:
        buttons.append(
            ButtonElement(text="Acknowledge", action_id=ACKNOWLEDGE, value=alert.key, style="primary")
        )
    for action_id, length in SNOOZES.items():
        hours = int(length.total_seconds() // 3600)
        buttons.append(ButtonElement(text=f"Snooze {hours} h", action_id=action_id, value=alert.key))
    buttons.append(
        ButtonElement(
            text="Resolve",
            action_id=RESOLVE,
            value=alert.key,
            confirm=ConfirmObject(
                title="Resolve this alert?",
                text="If the condition still holds, it fires again after the rule's interval.",
                confirm="Resolve",
                deny="Keep it",
            ),
        )
    )
    return buttons


def alert_list_blocks(alerts: Sequence[Alert], tz: ZoneInfo) -> list[Block]:
    """`/content alerts`: what is firing, each with the same buttons as its message."""
    if not alerts:
        return [section(":white_check_mark: Nothing is firing.")]
    shown = alerts[:16]  # three blocks each: Slack allows 50 in a message
    blocks: list[Block] = [section(f"*{len(alerts)} alert(s) open*, the most severe first:")]
    for alert in shown:
        blocks += alert_blocks(alert, tz)
    if len(alerts) > len(shown):
        blocks.append(
            context(f"…and {len(alerts) - len(shown)} more; acknowledge or resolve some to see them.")
        )
    return blocks


def rules_blocks(rules: Sequence[Rule]) -> list[Block]:
    """`/content alerts rules`: each rule of templates/alerts.yaml with its thresholds, severity and routes."""
    lines = []
    for rule in rules:
        params = ", ".join(f"{p.name} {_number(rule.params[p.name])}" for p in PARAMS[rule.kind])
        repeat = (
            f"repeats every {_minutes(rule.repeat_every)} until acknowledged"
            if rule.repeat_every
            else "said once"
        )
        routes = ", ".join(_ROUTE_WORDS[r] for r in rule.routes)
        state = "" if rule.enabled else " _(off)_"
        description = f"\n    {escape(rule.description)}" if rule.description else ""
        lines.append(
            f"• *{escape(rule.name)}*{state}: {rule.kind.value}"
            + (f" ({escape(params)})" if params else "")
            + f" · {rule.severity.value} · to {routes} · {repeat}{description}"
        )
    blocks: list[Block] = [section("*Alert rules* (templates/alerts.yaml; edit the file to change them)")]
    for start in range(0, len(lines), 10):  # a section holds at most 3,000 characters
        blocks.append(section("\n".join(lines[start : start + 10])))
    return blocks


_ROUTE_WORDS = {
    Route.CHANNEL: "ALERT_CHANNEL",
    Route.THREAD: "the post's thread",
    Route.EMAIL: "ALERT_EMAILS",
}


def _number(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def _minutes(every: timedelta) -> str:
    minutes = every.total_seconds() / 60
    return f"{minutes / 60:g} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes:g} min"


# ---- posting and updating ---------------------------------------------------------------------


def show_alert(settings: Settings, alert: Alert, kind: ActionKind, *, client: Any = None) -> None:
    """Say what happened to the alert in Slack: post its message or update it in place, remind in its
    thread, and link it from (or say it resolved in) the post's thread. Slack errors are logged: the
    alert is stored whatever Slack answers, and its next change tries again."""
    client = client or slack_client(settings)
    text, blocks = alert_text(alert), alert_blocks(alert, settings.tz)
    thread = _post_thread(settings, alert) if Route.THREAD in alert.routes else None
    try:
        if alert.slack_channel and alert.slack_ts:
            client.chat_update(channel=alert.slack_channel, ts=alert.slack_ts, text=text, blocks=blocks)
            home: tuple[str, str] | None = (alert.slack_channel, alert.slack_ts)
            if kind in (ActionKind.REPEAT, ActionKind.OPEN):
                again = (
                    f"Reminder {alert.repeat_count}: still firing."
                    if kind is ActionKind.REPEAT
                    else "Firing again."
                )
                client.chat_postMessage(
                    channel=alert.slack_channel, thread_ts=alert.slack_ts, text=again, reply_broadcast=True
                )
        else:
            home = _post_new(settings, client, alert, text, blocks, thread)
        # An alert kept in the post's thread (routed there alone) needs no link to itself.
        in_thread = home is not None and thread is not None and home[0] == thread[0] != settings.alert_channel
        if thread is not None and home is not None and not in_thread:
            _tell_thread(client, alert, kind, thread, home)
    except SlackApiError as exc:
        log.error("alert %s: Slack refused its message: %s", alert.key, exc.response["error"])


def _post_new(
    settings: Settings,
    client: Any,
    alert: Alert,
    text: str,
    blocks: list[Block],
    thread: tuple[str, str] | None,
) -> tuple[str, str] | None:
    if Route.CHANNEL in alert.routes and settings.alert_channel:
        channel, thread_ts = settings.alert_channel, None
    elif thread is not None:
        channel, thread_ts = thread
    else:
        log.warning("alert %s has nowhere to go in Slack (ALERT_CHANNEL unset, no post thread)", alert.key)
        return None
    answer = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
    ts = str(answer["ts"])
    with session_scope(settings.database_url) as session:
        store.set_message(session, alert.key, str(answer["channel"]), ts)
    return str(answer["channel"]), ts


def _tell_thread(
    client: Any, alert: Alert, kind: ActionKind, thread: tuple[str, str], home: tuple[str, str]
) -> None:
    """The post's thread links to the alert when it fires and says when it is resolved."""
    if kind is ActionKind.OPEN:
        link = client.chat_getPermalink(channel=home[0], message_ts=home[1])["permalink"]
        words = f"{_ICON[alert.severity]} Alert: {escape(alert.summary)} <{link}|See the alert>"
    elif kind is ActionKind.RESOLVE:
        words = f":white_check_mark: Resolved: {escape(alert.summary)}"
    else:
        return
    client.chat_postMessage(channel=thread[0], thread_ts=thread[1], text=words)


def _post_thread(settings: Settings, alert: Alert) -> tuple[str, str] | None:
    if alert.post_id is None:
        return None
    with session_scope(settings.database_url) as session:
        post = posts.get_post(session, alert.post_id)
    if post is None or not (post.slack_channel and post.slack_ts):
        return None
    return post.slack_channel, post.slack_ts
