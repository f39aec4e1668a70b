"""The `/content` slash command: parse, call a handler, answer within Slack's 3 s."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import (
    alerts,
    bulk,
    channels,
    contents,
    experiments,
    generate,
    library,
    monitoring,
    posts,
    schedule,
    shop,
)
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb, join_channel, match_verb
from bot.views.help import help_blocks, usage_blocks
from messages.blocks import as_dicts
from storage.channels import list_channels

log = logging.getLogger(__name__)


def show_help(command: Command) -> Reply:
    return Reply(text="What /content can do", blocks=help_blocks(VERBS))


# Verbs of design §5 that no surface module provides yet: listed by `help` so people see
# what is coming, and answering saying so.
PLANNED: list[Verb] = [
    Verb(
        ("generate",),
        "generate [agent channel brief...]",
        "ask the AI agents for content",
        coming_with="generation",
    ),
    Verb(("queue",), "queue", "content waiting to be generated or reviewed", coming_with="generation"),
    Verb(
        ("schedule",),
        "schedule <content> <channel> [when]",
        "schedule approved content",
        coming_with="scheduling",
    ),
    Verb(
        ("schedule", "bulk"),
        "schedule bulk",
        "schedule many posts from a CSV or a pasted list",
        coming_with="scheduling",
    ),
    Verb(
        ("templates",),
        "templates [category] [kind] [element]",
        "browse the template library",
        coming_with="templates",
    ),
    Verb(
        ("experiments",),
        "experiments [new | id]",
        "template A/B tests and their reports",
        coming_with="templates",
    ),
    Verb(("stats",), "stats [channel]", "views, saves and save rate", coming_with="monitoring"),
    Verb(("digest",), "digest", "the daily digest, now", coming_with="monitoring"),
]

# Each surface module brings its own verbs, in the order `help` lists them.
SURFACE_VERBS: list[Verb] = [
    *channels.VERBS,
    *generate.VERBS,
    *contents.VERBS,
    *schedule.VERBS,
    *bulk.VERBS,
    *shop.VERBS,
    *posts.VERBS,
    *library.VERBS,
    *experiments.VERBS,
    *alerts.VERBS,
    *monitoring.VERBS,
]
_PROVIDED = {verb.words for verb in SURFACE_VERBS}
VERBS: list[Verb] = [
    Verb(("help",), "help", "this list", show_help, max_args=0),
    *SURFACE_VERBS,
    *(verb for verb in PLANNED if verb.words not in _PROVIDED),
]


def run_command(services: Services, client: WebClient, body: dict[str, Any]) -> Reply:
    command_text = body.get("text", "")
    try:
        verb, args = match_verb(command_text, VERBS)
    except UsageError as exc:
        return Reply(text=str(exc), blocks=usage_blocks(str(exc), VERBS))
    if verb.handler is None:
        return Reply(text=f"`/content {verb.name}` is not available yet: it arrives with {verb.coming_with}.")
    if verb.channel_at is not None and len(args) > verb.channel_at:
        with services.db() as session:
            names = [channel.name for channel in list_channels(session)]
        try:
            args = join_channel(args, verb.channel_at, names)
        except UsageError as exc:
            return Reply(text=str(exc), blocks=usage_blocks(str(exc), [verb]))
    command = Command(
        services=services,
        client=client,
        user_id=body["user_id"],
        channel_id=body.get("channel_id", ""),
        trigger_id=body.get("trigger_id", ""),
        args=args,
    )
    try:
        return verb.handler(command)
    except UsageError as exc:
        return Reply(text=str(exc), blocks=usage_blocks(str(exc), [verb]))


def register(app: App, services: Services) -> None:
    @app.command("/content")
    def content_command(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        reply = run_command(services, client, body)
        ack(
            text=reply.text,
            blocks=as_dicts(reply.blocks) or None,
            response_type="in_channel" if reply.in_channel else "ephemeral",
        )
