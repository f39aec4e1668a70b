"""Template library surface: `/content templates`, preview, create or edit (modal), retire."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.forms import Form, field_errors
from bot.inputs import check_values, parse_id
from bot.modals import on_submit
from bot.roles import Role, guard
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb, quote
from bot.views.library import (
    CALLBACK_ID,
    EDIT_ACTION,
    NEW_ACTION,
    PAGE_ACTION,
    PREVIEW_ACTION,
    RESTORE_ACTION,
    RETIRE_ACTION,
    EditContext,
    Page,
    list_blocks,
    preview_blocks,
    read_template,
    template_view,
)
from core.elements import Element
from core.forms import FieldError
from core.library import Template
from core.templates import Category, TemplateError, TemplateKind
from messages.blocks import as_dicts, escape
from storage.library import (
    TemplateNotFound,
    create_template,
    get_template,
    list_templates,
    restore_template,
    retire_template,
    save_template,
)
from templates import library_categories

log = logging.getLogger(__name__)

# Words people type for each kind, singular and plural.
_KIND_WORDS = {
    **{k.value: k for k in TemplateKind},
    "hooks": TemplateKind.HOOK,
    "framework": TemplateKind.SCRIPT_FRAMEWORK,
    "frameworks": TemplateKind.SCRIPT_FRAMEWORK,
    "script": TemplateKind.SCRIPT_FRAMEWORK,
    "scripts": TemplateKind.SCRIPT_FRAMEWORK,
    "captions": TemplateKind.CAPTION,
    "blog": TemplateKind.BLOG_OUTLINE,
    "outline": TemplateKind.BLOG_OUTLINE,
    "outlines": TemplateKind.BLOG_OUTLINE,
}
RETIRED_WORD = "retired"


@cache
def categories() -> dict[str, Category]:
    """The categories of templates/library/categories.yaml, by slug."""
    return {c.slug: c for c in library_categories()}


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    kind: TemplateKind | None = None
    element: Element | None = None
    include_retired: bool = False

    def describe(self) -> str:
        parts = [
            categories()[self.category].label if self.category else "",
            self.kind.label + "s" if self.kind else "",
            f"for {self.element.label}" if self.element else "",
            "including retired" if self.include_retired else "",
        ]
        return " · ".join(p for p in parts if p) or "all"


def parse_filters(words: Sequence[str]) -> Filters:
    """Category, kind and element in any order (each at most once), and `retired` to include those."""
    found: dict[str, Any] = {}
    elements = {e.value: e for e in Element}
    for word in words:
        lowered = word.lower()
        value: Any
        if lowered in categories():
            slot, value = "category", lowered
        elif lowered in _KIND_WORDS:
            slot, value = "kind", _KIND_WORDS[lowered]
        elif lowered in elements:
            slot, value = "element", elements[lowered]
        elif lowered == RETIRED_WORD:
            slot, value = "include_retired", True
        else:
            raise UsageError(
                f"`{quote(word)}` is not a category, kind or element. "
                f"Kinds: hook, framework, caption. Elements: air, water, fire, earth. "
                f"Categories: {', '.join(categories())}. Add `retired` to list retired templates too."
            )
        if slot in found and found[slot] != value:
            raise UsageError(f"One {slot.replace('_', ' ')} at a time: I got `{quote(word)}` as well.")
        found[slot] = value
    return Filters(**found)


def listing(services: Services, page: Page) -> Reply:
    filters = parse_filters(page.words)
    with services.db() as session:
        summaries = list_templates(
            session,
            category=filters.category,
            kind=filters.kind,
            element=filters.element,
            include_retired=filters.include_retired,
        )
    return Reply(
        text=f"{len(summaries)} templates ({filters.describe()})",
        blocks=list_blocks(summaries, filters.describe(), categories(), page),
    )


def show_templates(command: Command) -> Reply:
    return listing(command.services, Page(tuple(command.args), 0))


VERBS = [
    Verb(
        ("templates",),
        "templates [category] [kind] [element]",
        "the template library: usage and performance; preview, create, edit, retire",
        show_templates,
        max_args=4,
    ),
]


def submit_template(
    services: Services, client: WebClient, user_id: str, view: dict[str, Any]
) -> dict[str, str] | None:
    """Save the modal's template; the inline errors by block when it cannot be saved."""
    context = EditContext.load(view.get("private_metadata", ""))
    with services.db() as session:
        base = get_template(session, context.template_id) if context.template_id is not None else None
        if context.template_id is not None and base is None:
            return {"name": "This template no longer exists."}
        try:
            spec = read_template(Form(view), base)
        except FieldError as exc:
            return field_errors(exc)
        try:
            if base is None:
                template = create_template(session, spec, user_id)
                text = f"Created the {template.spec.kind.label} *{escape(template.spec.name)}* (version 1)."
            else:
                saved = save_template(session, base.id, spec, user_id)
                template = saved.template
                text = _saved_text(
                    saved.template.spec.name, saved.template.version, saved.new_version, saved.text_changed
                )
        except TemplateError as exc:  # read_template checks the same; this is the storage's own guard
            return {"body": str(exc)}
    if context.origin_channel:
        client.chat_postEphemeral(channel=context.origin_channel, user=user_id, text=text)
    log.info("template %s saved by %s (version %s)", template.spec.key, user_id, template.version)
    return None


def _saved_text(name: str, version: int, new_version: bool, text_changed: bool) -> str:
    name = escape(name)
    if not new_version:
        return f"Nothing changed in *{name}*; it stays at version {version}."
    if text_changed:
        return (
            f"Saved *{name}* as version {version}. New content uses it; "
            "posts written from earlier versions keep the text they used."
        )
    return f"Saved *{name}* as version {version} (name, categories or elements; the text is unchanged)."


def parse_template_id(value: str) -> int:
    return parse_id(value, "template id")


def register(app: App, services: Services) -> None:
    only_admins = guard(services.roles, Role.ADMIN, "change the template library")
    on_submit(
        app,
        services,
        CALLBACK_ID,
        submit_template,
        guard=guard(services.roles, Role.ADMIN, "change the template library", field="name"),
    )
    check_values(EDIT_ACTION, PREVIEW_ACTION, RETIRE_ACTION, RESTORE_ACTION, parse=parse_template_id)

    @app.action(NEW_ACTION)
    def new_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        edit = EditContext(template_id=None, origin_channel=channel_of(body))
        client.views_open(
            trigger_id=body["trigger_id"], view=template_view(None, list(categories().values()), edit)
        )

    def clicked_template(body: dict[str, Any], respond: Respond) -> Template | None:
        """The template a button names; None (and the clicker told) when it is gone."""
        template_id = parse_template_id(body["actions"][0]["value"])
        with services.db() as session:
            template = get_template(session, template_id)
        if template is None:
            respond(text=f"Template {template_id} no longer exists.", replace_original=False)
        return template

    @app.action(EDIT_ACTION)
    def edit_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        template = clicked_template(body, respond)
        if template is None:
            return
        edit = EditContext(template_id=template.id, origin_channel=channel_of(body))
        client.views_open(
            trigger_id=body["trigger_id"], view=template_view(template, list(categories().values()), edit)
        )

    @app.action(PREVIEW_ACTION)
    def preview_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        template = clicked_template(body, respond)
        if template is None:
            return
        blocks = preview_blocks(template)
        respond(
            text=f"Preview of {escape(template.spec.name)}", blocks=as_dicts(blocks), replace_original=False
        )

    @app.action(RETIRE_ACTION, middleware=[only_admins])
    def retire_clicked(ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]) -> None:
        ack()
        template_id = parse_template_id(body["actions"][0]["value"])
        try:
            with services.db() as session:
                retirement = retire_template(session, template_id)
        except TemplateNotFound as exc:
            respond(text=str(exc), replace_original=False)
            return
        name = escape(retirement.template.spec.name)
        if retirement.already:
            text = f"*{name}* was already retired; nothing changed."
        else:
            text = (
                f"Retired *{name}*: it no longer shows in lists or pickers. "
                "Posts and experiments that used it keep their version."
            )
            log.info("template %s retired by %s", retirement.template.spec.key, context["user_id"])
        respond(text=text, replace_original=False)

    @app.action(RESTORE_ACTION, middleware=[only_admins])
    def restore_clicked(ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]) -> None:
        ack()
        template_id = parse_template_id(body["actions"][0]["value"])
        try:
            with services.db() as session:
                restored = restore_template(session, template_id)
        except TemplateNotFound as exc:
            respond(text=str(exc), replace_original=False)
            return
        template = restored.template
        name = escape(template.spec.name)
        if restored.already:
            text = f"*{name}* is not retired; nothing changed."
        else:
            text = f"Restored *{name}* at version {template.version}: it shows in lists and pickers again."
            log.info("template %s restored by %s", template.spec.key, context["user_id"])
        respond(text=text, replace_original=False)

    @app.action(PAGE_ACTION)
    def page_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            reply = listing(services, Page.load(body["actions"][0]["value"]))
        except UsageError as exc:
            reply = Reply(text=str(exc))
        respond(text=reply.text, blocks=as_dicts(reply.blocks), replace_original=True)


def channel_of(body: dict[str, Any]) -> str:
    """Where the button was pressed: confirmations go back there."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
