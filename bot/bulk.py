"""`/content schedule bulk`: the modal, its submission (checked in a worker job, its progress in the
sender's DM), and Undo for a batch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.forms import BadInput, Form, read_button
from bot.modals import on_submit
from bot.roles import Role, guard
from bot.services import Services
from bot.verbs import Command, Reply, Verb
from bot.views.bulk import CALLBACK, FILE, ROWS, bulk_view
from config.redact import redact_url
from core.posts import PostStatus
from messages import bulk as message
from messages.posts import show_post
from storage import bulk as store
from workers.bulk import enqueue_bulk


def open_bulk(command: Command) -> Reply:
    if command.services.redis is None:
        redis_url = redact_url(command.services.settings.redis_url)
        return Reply(
            text=f"The job queue (Redis at {redis_url}) was unreachable at start-up: bulk schedules are checked there."
        )
    # trigger_id lives 3 s: the modal opens before anything else.
    command.client.views_open(trigger_id=command.trigger_id, view=bulk_view())
    return Reply(text="Opening bulk scheduling.")


VERBS = [
    Verb(
        ("schedule", "bulk"),
        "schedule bulk",
        "schedule many posts from a CSV or a pasted list, checked first: all or none, with Undo",
        open_bulk,
        max_args=0,
    )
]


def submit_bulk(
    services: Services, client: WebClient, user_id: str, view: dict[str, Any]
) -> dict[str, str] | None:
    form = Form(view)
    files = form.files(FILE)
    # As typed: a problem's line number counts from the first line pasted.
    text = form.raw(ROWS) if form.text(ROWS) else ""
    if not files and not text:
        return {FILE: "Share a CSV file or paste the rows below."}
    if files and text:
        return {ROWS: "Either a file or pasted rows: leave this empty to use the file."}
    shared = files[0] if files else {}
    url = shared.get("url_private_download") or shared.get("url_private")
    if files and not url:
        return {FILE: "Slack gave no address for that file; share it again."}
    with services.db() as session:
        batch = store.create_batch(
            session,
            created_by=user_id,
            file_name=str(shared.get("name") or "file.csv")[:255] if files else None,
            file_url=url,
            text=text or None,
        )
    answer = client.chat_postMessage(
        channel=user_id, text="Checking the rows…", blocks=message.progress_blocks(batch, 0, None)
    )
    with services.db() as session:
        store.set_message(session, batch.id, str(answer["channel"]), str(answer["ts"]))
    assert services.redis is not None  # open_bulk refuses without it
    enqueue_bulk(services.redis, services.settings.database_url, batch.id)
    return None


def register(app: App, services: Services) -> None:
    on_submit(app, services, CALLBACK, submit_bulk)
    only_reviewers = guard(services.roles, Role.REVIEWER, "undo a bulk schedule")

    @app.action(message.UNDO, middleware=[only_reviewers])
    def undo_clicked(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Any) -> None:
        ack()
        try:
            batch_id = read_button(body)[0]
        except BadInput as exc:
            respond(text=str(exc), replace_original=False)
            return
        user_id = context["user_id"]
        with services.db() as session:
            batch = store.get_batch(session, batch_id)
            if batch is None or batch.status != "scheduled":
                respond(text="Nothing changed: that batch was not scheduled.", replace_original=False)
                return
            posts = store.undo(session, batch_id, user_id, datetime.now(UTC))
        settings = services.settings
        for post in posts:
            # Posts of a batch get their own message once they start; those that have one say so there.
            if post.status is PostStatus.CANCELLED and post.slack_ts:
                show_post(settings, post)
        blocks = message.undone_blocks(batch, posts, user_id, settings.tz)
        message.show(settings, batch, "Bulk schedule undone.", blocks)
