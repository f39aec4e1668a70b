"""Review surface: the buttons on a review message (approve, request changes, edit, regenerate, reject).

Anyone may ask for another version or edit one; only REVIEWERS may approve or reject, and anyone else
is told why. Every change is a conditional move in storage, so two people clicking at once cannot both
win; the loser is told what happened instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.forms import BadInput, Form, read_button
from bot.modals import on_submit
from bot.roles import Role, guard
from bot.services import Services
from bot.verbs import Verb
from core.agents import OutputInvalid, agent_for
from core.content import Content, ContentStatus, TransitionError
from core.draft_checks import DraftText, run_checks
from core.versions import Version
from messages.blocks import escape
from messages.findings import APPROVE_FINDINGS_CALLBACK, confirm_view, findings_text
from messages.review import (
    APPROVE,
    CHANGES_CALLBACK,
    EDIT,
    EDIT_CALLBACK,
    REASON,
    REGENERATE,
    REJECT,
    REJECT_CALLBACK,
    REQUEST_CHANGES,
    ModalContext,
    changes_view,
    edit_view,
    reject_view,
    show_review,
    title,
    version_note,
)
from storage import contents
from storage.channels import get_channel_by_id
from templates import rules_checker
from workers.generate import enqueue_generation
from workers.recheck import enqueue_recheck

log = logging.getLogger(__name__)

VERBS: list[Verb] = []

Respond = Callable[..., Any]


def register(app: App, services: Services) -> None:
    def decide(
        body: dict[str, Any], client: WebClient, user_id: str, respond: Respond, target: ContentStatus
    ) -> None:
        try:
            content_id, seen = read_button(body, 2)
        except BadInput as exc:
            respond(text=str(exc))
            return
        settle(client, user_id, respond, target, content_id, seen, None)

    def settle(
        client: WebClient,
        user_id: str,
        respond: Respond,
        target: ContentStatus,
        content_id: int,
        seen: int,
        reason: str | None,
    ) -> None:
        try:
            with services.db() as session:
                content = contents.decide(session, content_id, target, user_id, version=seen, reason=reason)
        except contents.StaleVersion as exc:
            respond(
                text=f"Nothing changed: {exc}. The message now shows v{exc.latest.number}; decide on that."
            )
            with services.db() as session:
                current = contents.get_content(session, content_id)
            if current is not None:
                show_review(
                    services.settings,
                    current,
                    client=client,
                    create=False,
                    note=f"<@{user_id}> pressed a button on v{seen}; v{exc.latest.number} is the latest.",
                )
            return
        except TransitionError as exc:
            respond(text=f"Nothing changed: {exc}.")
            return
        verb = "approved it — ready to schedule" if target == ContentStatus.APPROVED else "rejected it"
        why = f": {escape(reason)}" if reason else "."
        show_review(services.settings, content, client=client, create=False, note=f"<@{user_id}> {verb}{why}")

    only_reviewers = guard(services.roles, Role.REVIEWER, "approve or reject content")

    @app.action(APPROVE, middleware=[only_reviewers])
    def approve_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user_id = context["user_id"]
        if not confirm_findings(body, client, respond):
            decide(body, client, user_id, respond, ContentStatus.APPROVED)

    def confirm_findings(body: dict[str, Any], client: WebClient, respond: Respond) -> bool:
        """When the version the button shows has findings, open them in a modal to approve from: one
        more click (issue 16). True when the click was handled here; decide handles the rest."""
        try:
            content_id, seen = read_button(body, 2)
        except BadInput:
            return False
        with services.db() as session:
            latest = contents.latest_version(session, content_id)
        if latest is None or latest.number != seen or not latest.findings:
            return False
        content = _in_review(services, content_id, respond)
        if content is not None:
            metadata = ModalContext(content.id, latest.number).dump()
            client.views_open(
                trigger_id=body["trigger_id"], view=confirm_view(title(content), latest, metadata)
            )
        return True

    @app.view(APPROVE_FINDINGS_CALLBACK)
    def approve_with_findings(
        ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
    ) -> None:
        ack()
        user_id = context["user_id"]
        modal = ModalContext.load(body["view"]["private_metadata"])
        with services.db() as session:
            content = contents.get_content(session, modal.content_id)
        if content is None or not content.review_channel:
            return

        channel = content.review_channel

        def tell(text: str) -> None:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)

        # The modal has no field to show a refusal under, so the role is checked here, not by guard.
        why = services.roles.refusal(client, user_id, Role.REVIEWER, "approve or reject content")
        if why is not None:
            tell(why)
            return
        try:
            with services.db() as session:
                content = contents.approve_with_findings(session, content.id, modal.version, user_id)
                latest = contents.latest_version(session, content.id)
        except contents.StaleVersion as exc:
            tell(f"Nothing changed: {exc}. Read the findings of v{exc.latest.number} before approving it.")
            return
        except TransitionError as exc:
            tell(f"Nothing changed: {exc}.")
            return
        flags = findings_text(latest.findings if latest else ())
        show_review(
            services.settings,
            content,
            client=client,
            create=False,
            note=f"<@{user_id}> approved v{modal.version} with findings ({flags}) — ready to schedule.",
        )

    @app.action(REJECT, middleware=[only_reviewers])
    def reject_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        try:
            content_id, seen = read_button(body, 2)
        except BadInput as exc:
            respond(text=str(exc))
            return
        content = _in_review(services, content_id, respond)
        if content is not None:
            client.views_open(trigger_id=body["trigger_id"], view=reject_view(content, seen))

    @app.view(
        REJECT_CALLBACK,
        middleware=[guard(services.roles, Role.REVIEWER, "approve or reject content", field=REASON)],
    )
    def reject_submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        ack()
        modal = ModalContext.load(body["view"]["private_metadata"])
        reason = Form(body["view"]).text(REASON) or None
        user_id = context["user_id"]

        def tell(text: str, **_: Any) -> None:
            client.chat_postEphemeral(channel=services.settings.review_channel or "", user=user_id, text=text)

        settle(client, user_id, tell, ContentStatus.REJECTED, modal.content_id, modal.version, reason)

    @app.action(REQUEST_CHANGES)
    def request_changes_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        content_id = _content_id(body, respond)
        content = _in_review(services, content_id, respond) if content_id else None
        if content is not None:
            client.views_open(trigger_id=body["trigger_id"], view=changes_view(content))

    @app.view(CHANGES_CALLBACK)
    def changes_submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        user_id = context["user_id"]
        content_id = ModalContext.load(body["view"]["private_metadata"]).content_id
        reason = Form(body["view"]).text(REASON)
        if not reason:
            ack(response_action="errors", errors={REASON: "Say what should change."})
            return
        try:
            with services.db() as session:
                content = contents.regenerate(session, content_id, user_id, feedback=reason)
        except TransitionError as exc:
            ack(response_action="errors", errors={REASON: f"Nothing changed: {exc}."})
            return
        ack()
        queued = queue(services, content)
        show_review(
            services.settings,
            content,
            client=client,
            create=False,
            note=f"<@{user_id}> requested changes: {escape(reason)}\n{queued}",
        )

    @app.action(EDIT)
    def edit_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        content_id = _content_id(body, respond)
        content = _in_review(services, content_id, respond) if content_id else None
        if content is None:
            return
        with services.db() as session:
            latest = contents.latest_version(session, content.id)
        if latest is not None:
            client.views_open(trigger_id=body["trigger_id"], view=edit_view(content, latest))

    on_submit(app, services, EDIT_CALLBACK, save_edit)

    @app.action(REGENERATE)
    def regenerate_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user_id = context["user_id"]
        content_id = _content_id(body, respond)
        if content_id is None:
            return
        try:
            with services.db() as session:
                content = contents.regenerate(session, content_id, user_id)
        except TransitionError as exc:
            respond(text=f"Nothing changed: {exc}.")
            return
        queued = queue(services, content)
        if not show_review(
            services.settings,
            content,
            client=client,
            create=False,
            note=f"<@{user_id}> asked for a new version. {queued}",
        ):
            respond(text=f"{title(content)}: {queued}")


def save_edit(
    services: Services, client: WebClient, user_id: str, view: dict[str, Any]
) -> dict[str, str] | None:
    """Keep a person's edit as a new version; the inline errors by field when it cannot be kept."""
    modal = ModalContext.load(view["private_metadata"])
    with services.db() as session:
        content = contents.get_content(session, modal.content_id)
        history = contents.versions(session, modal.content_id)
    if content is None or not history:
        return None
    previous = next((v for v in history if v.number == modal.version), history[-1])
    agent = agent_for(content.agent)
    first_field = next(iter(previous.fields))
    try:
        fields = agent.validate(_read_edit(Form(view), previous))
    except OutputInvalid as exc:
        return {
            name if name in previous.fields else first_field: message for name, message in exc.errors.items()
        }
    if fields == dict(previous.fields):
        return {first_field: "Nothing changed; Cancel leaves the version as it is."}
    with services.db() as session:
        channel = get_channel_by_id(session, content.channel_id) if content.channel_id else None
    # The rules check a person's version at once; they take well under the 3 s a modal may wait.
    draft = DraftText.of_fields(fields, content.product, channel.voice.words_to_avoid if channel else ())
    checks = run_checks(draft, [rules_checker()])
    try:
        with services.db() as session:
            version = contents.add_person_version(
                session, content.id, fields, user_id, based_on=modal.version, checks=checks
            )
            content = contents.get_content(session, content.id) or content
    except (contents.VersionConflict, TransitionError) as exc:
        return {first_field: f"Not saved: {exc}"}
    show_review(services.settings, content, client=client, create=False, note=version_note(version, previous))
    if services.settings.anthropic_api_key and services.redis is not None:
        try:
            enqueue_recheck(services.redis, services.settings.database_url, content.id, version.number)
        except redis.RedisError as exc:
            log.error(
                "content %s: could not queue Claude's check of v%s: %s", content.id, version.number, exc
            )
    return None


def queue(services: Services, content: Content) -> str:
    """Queue the content's new attempt; the words for the thread."""
    try:
        if services.redis is None:
            raise redis.ConnectionError("Redis was unreachable at start-up")
        enqueue_generation(services.redis, services.settings.database_url, content)
    except redis.RedisError as exc:
        log.error("content %s: could not queue its generation: %s", content.id, exc)
        return "The queue is unreachable right now; it is queued automatically once Redis is back."
    return "A new version is on its way."


def _in_review(services: Services, content_id: int, respond: Respond) -> Content | None:
    with services.db() as session:
        content = contents.get_content(session, content_id)
    if content is None:
        respond(text=f"There is no content {content_id}.")
        return None
    if content.status != ContentStatus.IN_REVIEW:
        respond(text=f"{title(content)} is {content.status.label}, not in review: nothing to change.")
        return None
    return content


def _content_id(body: dict[str, Any], respond: Respond) -> int | None:
    """The content a review button names (decisions also carry the version: see decide)."""
    try:
        return read_button(body, 2, at_least=1)[0]
    except BadInput as exc:
        respond(text=str(exc))
        return None


def _read_edit(form: Form, previous: Version) -> dict[str, Any]:
    """The fields as the person left them, lists split by line, in the previous version's shape."""
    return {
        name: form.lines(name) if isinstance(before, list) else form.text(name)
        for name, before in previous.fields.items()
    }
