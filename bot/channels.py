"""Channel surface: `/content channels`, `channel setup` (modal), `check`, the Connect button."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.forms import Form, field_errors
from bot.modals import on_submit
from bot.roles import Role, guard
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb
from bot.views.channel_setup import CALLBACK_ID, SetupContext, read_setup, setup_view
from bot.views.channels import channels_blocks, check_blocks
from core.channels import Channel
from core.draft_checks import DraftText, run_checks
from core.elements import Element
from core.fingerprint import Fingerprint
from core.forms import FieldError
from messages.blocks import escape
from messages.findings import check_findings_blocks
from storage.accounts import accounts_by_channel, get_account
from storage.channels import (
    NameTaken,
    get_channel,
    get_channel_by_id,
    last_changes,
    list_channels,
    others_with_element,
    save_channel,
)
from storage.fingerprints import conflicts
from templates import rules_checker

log = logging.getLogger(__name__)


def show_channels(command: Command) -> Reply:
    with command.services.db() as session:
        channels = list_channels(session)
        changes = last_changes(session)
        accounts = accounts_by_channel(session)
    return Reply(text=f"{len(channels)} channels", blocks=channels_blocks(channels, changes, accounts))


def open_setup(command: Command) -> Reply:
    name = " ".join(command.args).strip()
    with command.services.db() as session:
        existing = get_channel(session, name) if name else None
        account = get_account(session, existing.id) if existing and existing.id else None
    channel = existing or Channel(name=name, element=Element.AIR)
    context = SetupContext(channel_id=existing.id if existing else None, origin_channel=command.channel_id)
    # trigger_id lives 3 s: open the modal before anything slow.
    command.client.views_open(trigger_id=command.trigger_id, view=setup_view(channel, context, account))
    what = f"channel {escape(existing.name)}" if existing else "a new channel"
    return Reply(text=f"Opening the setup of {what}.")


def check_text(command: Command) -> Reply:
    text = " ".join(command.args).strip()
    if not text:
        raise UsageError("`check` needs the caption or script text to look for.")
    fingerprint = Fingerprint.of_text(text)
    with command.services.db() as session:
        found = conflicts(session, fingerprint, channel_id=None, when=datetime.now(UTC))
        channels = list_channels(session)
    summary = "No post on any channel repeats this." if not found else f"{len(found)} post(s) repeat this."
    # No product and no channel: the checks run once, and the words to avoid once per channel.
    checks = run_checks(DraftText(caption=text), [rules_checker()])
    avoided = [
        finding
        for channel in channels
        for finding in rules_checker().check(
            DraftText(caption=text, avoid_words=channel.voice.words_to_avoid, channel=channel.name)
        )
        if finding.flag == "avoid_word"
    ]
    checks = replace(checks, findings=(*avoided, *checks.findings))
    return Reply(text=summary, blocks=check_blocks(found) + check_findings_blocks(checks))


VERBS = [
    Verb(
        ("channels",),
        "channels",
        "the channels with element, account and posting rules",
        show_channels,
        max_args=0,
    ),
    Verb(("channel", "setup"), "channel setup [name]", "create or edit a channel (a modal)", open_setup),
    Verb(("check",), "check <text>", "is this text already posted or scheduled on a channel?", check_text),
]


def submit_setup(
    services: Services, client: WebClient, user_id: str, view: dict[str, Any]
) -> dict[str, str] | None:
    """Save the modal's channel; the inline errors by block when it cannot be saved."""
    context = SetupContext.load(view.get("private_metadata", ""))
    with services.db() as session:
        base = get_channel_by_id(session, context.channel_id) if context.channel_id else None
        try:
            channel, allow_second = read_setup(Form(view), base or Channel(name="", element=Element.AIR))
        except FieldError as exc:
            return field_errors(exc)
        rivals = others_with_element(session, channel.element, channel.id)
        if rivals and not allow_second:
            names = ", ".join(escape(c.name) for c in rivals)
            return {
                "element": f"{channel.element.label} already has the channel {names}. Tick the box below to add a second."
            }
        try:
            saved = save_channel(session, channel, user_id)
        except NameTaken as exc:
            return {"name": str(exc)}
    verb = "Updated" if base else "Created"
    text = f"{verb} channel *{escape(saved.name)}* ({saved.element.label}): {escape(saved.describe_rules())}."
    if context.origin_channel:
        client.chat_postEphemeral(channel=context.origin_channel, user=user_id, text=text)
    log.info("channel %s saved by %s", saved.name, user_id)
    return None


def register(app: App, services: Services) -> None:
    on_submit(
        app,
        services,
        CALLBACK_ID,
        submit_setup,
        guard=guard(services.roles, Role.ADMIN, "change channels", field="name"),
    )
