"""The review message and the review modals (request changes, edit).

The review message is one per content item in REVIEW_CHANNEL, updated in place, with its history in its
thread. Both the generation job (a version written, a failure) and the review listeners (a decision, an
edit) change it, so it is built and shown here alone (`show_review`), for both. Decision buttons carry the content id and the version shown, so a decision is about what the
reviewer saw.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from config.settings import Settings
from core.agents import OFFLINE_MODEL, agent_for
from core.content import Content, ContentStatus
from core.elements import Element
from core.templates import TemplateSpec
from core.versions import Version, diff
from messages.blocks import Metadata, button_value, context, escape, section
from messages.findings import findings_blocks
from messages.slack import slack_client
from storage import contents
from storage.db import session_scope
from storage.experiments import content_variant
from storage.library import template_version

log = logging.getLogger(__name__)

APPROVE = "review_approve"
REQUEST_CHANGES = "review_request_changes"
EDIT = "review_edit"
REGENERATE = "review_regenerate"
REJECT = "review_reject"

# Slack refuses a section over 3,000 characters; the agents' fields are capped to fit (see core.agents).
SECTION_LIMIT = 3000


def title(content: Content) -> str:
    return f"#{content.id} · {content.agent.label} for {content.channel_name}"


def review_blocks(
    content: Content,
    version: Version | None,
    templates: Sequence[TemplateSpec] = (),
    variant: str | None = None,
) -> list[Block]:
    blocks: list[Block] = [
        section(f"*{escape(title(content))}*" + (f" (v{version.number})" if version else ""))
    ]
    blocks.append(context(_details(content, version, templates, variant)))
    if version is not None:
        titles = agent_for(content.agent).field_titles()
        for name, value in version.fields.items():
            text = "\n".join(value) if isinstance(value, list) else str(value)
            blocks.append(context(f"*{titles.get(name, name)}*"))
            blocks.append(section(escape(text)[:SECTION_LIMIT] or " "))
        blocks += findings_blocks(version)
    blocks.append(context(status_line(content)))
    buttons = _buttons(content, version)
    if buttons:
        blocks.append(ActionsBlock(block_id="review", elements=buttons))
    return blocks


def status_line(content: Content) -> str:
    by = f" by <@{content.reviewed_by}>" if content.reviewed_by else ""
    match content.status:
        case ContentStatus.IN_REVIEW:
            return f":eyes: In review · requested by <@{content.requester_id}> · {content.priority.value} priority"
        case ContentStatus.APPROVED:
            return f":white_check_mark: Approved{by} — ready to schedule"
        case ContentStatus.REJECTED:
            return f":no_entry_sign: Rejected{by}"
        case ContentStatus.CHANGES_REQUESTED:
            return f":pencil2: Changes requested{by}: {escape(content.feedback or '')} — a new version is on its way"
        case ContentStatus.FAILED:
            return f":warning: Generation failed: {escape(content.failure or '')}"
        case _:
            return ":hourglass_flowing_sand: A new version is on its way"


def _details(
    content: Content, version: Version | None, templates: Sequence[TemplateSpec], variant: str | None
) -> str:
    parts = [f"Channel: *{escape(content.channel_name)}*"]
    if content.element:
        parts.append(f"Element: *{Element(content.element).label}*")
    parts.append(templates_note(templates))
    if variant:
        parts.append(f"A/B test: {variant}")
    if version is not None:
        parts.append(f"Model: {model_note(version)}")
    return " · ".join(parts)


def templates_note(templates: Sequence[TemplateSpec]) -> str:
    """ "Template: Gift panic", or with several each named with its kind, or "Template: none"."""
    if len(templates) <= 1:
        return f"Template: {escape(templates[0].name) if templates else 'none'}"
    return "Templates: " + ", ".join(f"{escape(t.name)} ({t.kind.label})" for t in templates)


def model_note(version: Version) -> str:
    if version.by_person:
        return f"edited by <@{version.author_id}>"
    if version.model == OFFLINE_MODEL:
        return "offline draft (no ANTHROPIC_API_KEY: written from the template library)"
    tokens = f"{version.input_tokens or 0:,} in + {version.output_tokens or 0:,} out tokens"
    return f"{version.model} · {tokens} · {(version.latency_ms or 0) / 1000:.1f} s"


def version_note(version: Version, previous: Version | None) -> str:
    """The thread reply for a new version: who wrote it, and what changed since the previous one."""
    who = "Edited" if version.by_person else "Written"
    lines = [f"*v{version.number}* · {who}: {model_note(version)}"]
    if version.feedback:
        lines.append(f"Answering: {escape(version.feedback)}")
    if previous is not None:
        changes = diff(previous.fields, version.fields)
        lines.append(f"```{escape(changes)}```" if changes else "No change from the previous version.")
    return "\n".join(lines)[:SECTION_LIMIT]


def failure_blocks(content: Content, text: str) -> list[Block]:
    """The requester's notice that generation failed, with a button to queue it again."""
    return [
        section(f":warning: {escape(text)}"),
        ActionsBlock(block_id="review", elements=_buttons(content, None)),
    ]


def _buttons(content: Content, version: Version | None) -> list[ButtonElement]:
    if content.status == ContentStatus.FAILED:
        return [ButtonElement(text="Try again", action_id=REGENERATE, value=button_value(content.id))]
    if content.status != ContentStatus.IN_REVIEW or version is None:
        return []
    value = button_value(content.id, version.number)
    # With findings, approving opens a modal listing them: one more click (issue 16).
    approve = "Approve with findings…" if version.findings else "Approve"
    return [
        ButtonElement(text=approve, action_id=APPROVE, value=value, style="primary"),
        ButtonElement(text="Request changes", action_id=REQUEST_CHANGES, value=value),
        ButtonElement(text="Edit", action_id=EDIT, value=value),
        ButtonElement(text="Regenerate", action_id=REGENERATE, value=value),
        ButtonElement(text="Reject", action_id=REJECT, value=value, style="danger"),
    ]


# --- Modals ---------------------------------------------------------------------------------------------

CHANGES_CALLBACK = "review_changes"
REJECT_CALLBACK = "review_reject"
EDIT_CALLBACK = "review_edit"
REASON = "reason"


@dataclass(frozen=True)
class ModalContext(Metadata):
    content_id: int
    version: int = 0  # the version on screen: a decision or an edit is about it


def changes_view(content: Content) -> View:
    return View(
        type="modal",
        callback_id=CHANGES_CALLBACK,
        private_metadata=ModalContext(content.id).dump(),
        title="Request changes",
        submit="Regenerate",
        close="Cancel",
        blocks=[
            section(f"*{escape(title(content))}*\nThe agent writes a new version that answers your reason."),
            InputBlock(
                block_id=REASON,
                label="What should change?",
                element=PlainTextInputElement(action_id=REASON, multiline=True, max_length=1000),
                hint="e.g. Shorter hook, and mention that it floats.",
            ),
        ],
    )


def reject_view(content: Content, version: int) -> View:
    return View(
        type="modal",
        callback_id=REJECT_CALLBACK,
        private_metadata=ModalContext(content.id, version).dump(),
        title="Reject",
        submit="Reject",
        close="Cancel",
        blocks=[
            section(
                f"*{escape(title(content))}* (v{version})\nIt leaves review; a reviewer can reopen it later."
            ),
            InputBlock(
                block_id=REASON,
                label="Why? (optional, kept in its history)",
                element=PlainTextInputElement(action_id=REASON, multiline=True, max_length=1000),
                optional=True,
            ),
        ],
    )


def edit_view(content: Content, version: Version) -> View:
    """One input per field of the agent's output, filled with the version's text; lists one item a line."""
    agent = agent_for(content.agent)
    blocks: list[Block] = []
    for name, label in agent.field_titles().items():
        value = version.fields.get(name, "")
        is_list = isinstance(value, list)
        text = "\n".join(value) if is_list else str(value)
        blocks.append(
            InputBlock(
                block_id=name,
                label=label,
                element=PlainTextInputElement(
                    action_id=name,
                    initial_value=text or None,
                    multiline=is_list or len(text) > 80,
                    max_length=SECTION_LIMIT,
                ),
                hint="One per line." if is_list else None,
            )
        )
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK,
        private_metadata=ModalContext(content.id, version.number).dump(),
        title=f"Edit #{content.id} v{version.number}"[:24],
        submit="Save version",
        close="Cancel",
        blocks=blocks,
    )


def show_review(
    settings: Settings, content: Content, *, note: str, client: WebClient | None = None, create: bool = True
) -> bool:
    """The content's review message, posted (when `create`) or updated in place to show its latest
    version and state, with `note` added to its thread; False when there was no message to update or
    Slack refused (the content is safe in the database and listed by `/content queue` either way)."""
    client = client or slack_client(settings)
    with session_scope(settings.database_url) as session:
        latest = contents.latest_version(session, content.id)
        # Until a version says what it was written from, the card names the request's template.
        if latest is not None:
            version_ids: Sequence[int] = latest.template_version_ids
        else:
            version_ids = [content.template_version_id] if content.template_version_id else []
        templates = [t for t in (template_version(session, v) for v in version_ids) if t is not None]
        variant = content_variant(session, content.id)
    blocks = review_blocks(content, latest, templates, variant)
    text = f"{title(content)}: {content.status.label}"
    try:
        if content.review_channel and content.review_ts:
            channel, ts = content.review_channel, content.review_ts
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        elif create and settings.review_channel:
            channel = settings.review_channel
            ts = str(client.chat_postMessage(channel=channel, text=text, blocks=blocks)["ts"])
            with session_scope(settings.database_url) as session:
                contents.set_review_message(session, content.id, channel, ts)
        else:
            return False
        client.chat_postMessage(channel=channel, thread_ts=ts, text=note)
    except SlackApiError as exc:
        log.error("content %s: the review message could not be shown: %s", content.id, exc.response["error"])
        return False
    return True
