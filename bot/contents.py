"""Content found again: `/content list [approved | review | rejected | all] [channel]`, with the buttons
that fit each state (Schedule for approved content, Reopen for rejected)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, HeaderBlock

from bot.forms import BadInput, read_button
from bot.roles import Role, guard
from bot.schedule import open_modal
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb
from bot.views.schedule import Initial
from core.content import Content, ContentStatus, TransitionError
from messages.blocks import button_value, context, escape, section
from messages.review import show_review, title
from storage import contents
from storage.channels import get_channel

SCHEDULE_NEXT = "content_schedule_next"
REOPEN = "content_reopen"

STATES = {
    "approved": (ContentStatus.APPROVED,),
    "review": (ContentStatus.IN_REVIEW,),
    "rejected": (ContentStatus.REJECTED,),
    "all": (ContentStatus.APPROVED, ContentStatus.IN_REVIEW, ContentStatus.REJECTED),
}


def list_content(command: Command) -> Reply:
    words = list(command.args)
    state = words.pop(0).lower() if words and words[0].lower() in STATES else "approved"
    channel = None
    with command.services.db() as session:
        if words:
            channel = get_channel(session, " ".join(words))
            if channel is None:
                raise UsageError(f"`{escape(' '.join(words))}` is not a channel.")
        found = contents.by_state(session, STATES[state], channel.id if channel else None)
    where = f" on {escape(channel.name)}" if channel else ""
    return Reply(text=f"{len(found)} {state} content item(s){where}", blocks=list_blocks(found, state, where))


def list_blocks(found: list[Content], state: str, where: str) -> list[Block]:
    if not found:
        return [section(f"No {state} content{where}.")]
    blocks: list[Block] = [HeaderBlock(text=f"{state.capitalize()} content{where}"[:150])]
    for content in found[:15]:
        blocks.append(section(f"*{escape(title(content))}* · {content.status.label}"))
        blocks.append(context(escape(content.brief[:200]) or " "))
        buttons = _buttons(content)
        if buttons:
            blocks.append(ActionsBlock(elements=buttons))
    if len(found) > 15:
        blocks.append(context(f"{len(found) - 15} more: narrow the list by channel."))
    return blocks


def _buttons(content: Content) -> list[ButtonElement]:
    value = button_value(content.id)
    if content.status is ContentStatus.APPROVED:
        return [ButtonElement(text="Schedule…", action_id=SCHEDULE_NEXT, value=value)]
    if content.status is ContentStatus.REJECTED:
        return [ButtonElement(text="Reopen", action_id=REOPEN, value=value)]
    return []


VERBS = [
    Verb(
        ("list",),
        "list [approved|review|rejected|all] [channel]",
        "content by state, approved first: schedule it or reopen it",
        list_content,
    )
]


def register(app: App, services: Services) -> None:
    @app.action(SCHEDULE_NEXT)
    def schedule_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any], respond: Any
    ) -> None:
        ack()
        try:
            [content_id] = read_button(body)
        except BadInput as exc:
            respond(text=str(exc), replace_original=False)
            return
        with services.db() as session:
            content = contents.get_content(session, content_id)
        if content is None:
            respond(text=f"There is no content {content_id}.", replace_original=False)
            return
        initial = Initial(content=str(content.id), channel=content.channel_name, when="next")
        open_modal(services, client, body["trigger_id"], initial, body.get("channel", {}).get("id", ""))

    @app.action(REOPEN, middleware=[guard(services.roles, Role.REVIEWER, "reopen rejected content")])
    def reopen_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any], respond: Any
    ) -> None:
        ack()
        try:
            [content_id] = read_button(body)
            with services.db() as session:
                content = contents.reopen(session, content_id, context["user_id"])
        except (BadInput, TransitionError) as exc:
            respond(text=f"Nothing changed: {exc}.", replace_original=False)
            return
        show_review(
            services.settings,
            content,
            client=client,
            create=False,
            note=f"<@{context['user_id']}> reopened it for review.",
        )
        respond(text=f"Reopened {escape(title(content))}: it is in review again.", replace_original=False)
