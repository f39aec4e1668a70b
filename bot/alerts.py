"""Alerts in Slack: `/content alerts` (what is firing), `/content alerts rules`, and the buttons on an
alert's message (Acknowledge, Snooze 1 h / 4 h / 24 h, Resolve), wherever that message is shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from bot.services import Services
from bot.verbs import Command, Reply, Verb
from core.alert_lifecycle import ActionKind, Alert, AlertState
from core.alerts import AlertRuleError
from messages.alerts import ACKNOWLEDGE, RESOLVE, SNOOZES, alert_list_blocks, rules_blocks, show_alert
from messages.blocks import escape, section
from storage import alerts as store
from templates import alert_rules

log = logging.getLogger(__name__)


def list_alerts(command: Command) -> Reply:
    with command.services.db() as session:
        firing = store.firing_alerts(session)
    text = f"{len(firing)} alert(s) open" if firing else "Nothing is firing."
    return Reply(text=text, blocks=alert_list_blocks(firing, command.services.settings.tz))


def show_rules(command: Command) -> Reply:
    try:
        rules = alert_rules()
    except AlertRuleError as exc:
        problems = "\n".join(f"• {escape(p)}" for p in exc.problems)
        text = f"The alert rules cannot be read, so no alert is evaluated until they are fixed:\n{problems}"
        return Reply(text=text, blocks=[section(text)])
    return Reply(text=f"{len(rules)} alert rules", blocks=rules_blocks(rules))


VERBS = [
    Verb(("alerts",), "alerts", "open alerts: acknowledge, snooze, resolve", list_alerts, max_args=0),
    Verb(("alerts", "rules"), "alerts rules", "the alert rules and whom they tell", show_rules, max_args=0),
]


def register(app: App, services: Services) -> None:
    app.action(ACKNOWLEDGE)(_pressed(services, store.acknowledge_alert, ActionKind.UPDATE, "Acknowledged"))
    app.action(RESOLVE)(_pressed(services, store.resolve_alert, ActionKind.RESOLVE, "Resolved"))
    for action_id, length in SNOOZES.items():

        def snooze(
            session: Session, key: str, user: str, now: datetime, length: timedelta = length
        ) -> Alert | None:
            return store.snooze_alert(session, key, now + length)

        hours = int(length.total_seconds() // 3600)
        app.action(action_id)(_pressed(services, snooze, ActionKind.UPDATE, f"Snoozed for {hours} h"))


Change = Callable[[Session, str, str, datetime], Alert | None]


def _pressed(services: Services, change: Change, kind: ActionKind, done: str) -> Callable[..., None]:
    """A button's listener: change the alert (once, however many press it), then show it in place."""

    def listener(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Any) -> None:
        ack()
        key = str(body["actions"][0].get("value", ""))
        with services.db() as session:
            changed = change(session, key, context["user_id"], datetime.now(UTC))
            alert = store.get_alert(session, key)
        if alert is None:
            respond(text="That alert no longer exists.", replace_original=False)
            return
        if changed is None:
            respond(text=f"Nothing changed: the alert is {_state_words(alert)}.", replace_original=False)
            return
        show_alert(services.settings, changed, kind)
        if (body.get("container") or {}).get("message_ts") != changed.slack_ts:
            # Pressed in `/content alerts`: the alert's own message changed; say so where it was pressed.
            respond(text=f"{done}: {escape(changed.summary)}", replace_original=False)

    return listener


def _state_words(alert: Alert) -> str:
    if alert.state is AlertState.RESOLVED:
        return "resolved already"
    if alert.state is AlertState.ACKNOWLEDGED:
        return f"acknowledged already by <@{alert.acknowledged_by}>"
    return "unchanged"
