"""Scheduling: approved content on a channel at a time, from the command line or the schedule form.

    /content schedule [content] [channel]                          the form (bot/views/schedule.py)
    /content schedule <content> <channel> <when> [privacy] [video <path or https URL>]

Both go through the one check (storage/scheduling.py), which says every reason at once: the content
is approved, its element fits the channel, nothing like it is on another channel (a reviewer may
override with a reason), its shop product is live, the time keeps to the channel's windows, cap and gap, the video's type,
size and length suit the account, and a direct post's privacy was chosen by a person from the
creator's options, never defaulted (TikTok's guidelines). The form shows each under its field.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.forms import field_errors
from bot.inputs import parse_id
from bot.roles import Role
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb
from bot.views.schedule import (
    CALLBACK_ID,
    CHANNEL_PICKED,
    DISCLOSURE_PICKED,
    VIDEO_URL,
    Initial,
    ScheduleMeta,
    read_initial,
    read_request,
    schedule_view,
)
from core.forms import FieldError
from core.posts import Post
from core.scheduling import PRIVACY_WORDS, SANDBOX_CREATOR, VIDEO, WHEN, ScheduleRequest, Video
from core.when import WhenError, parse_when
from messages.blocks import escape, notice_view, section
from messages.posts import note, product_note, show_post, when
from storage import posts
from storage.accounts import get_account
from storage.channels import get_channel, list_channels
from storage.contents import get_content
from storage.scheduling import check_schedule, save_schedule
from workers import videos
from workers.accounts import current_creator
from workers.accounts import sandbox as use_sandbox

log = logging.getLogger(__name__)

USAGE = "`schedule` takes a content id and a channel, e.g. `/content schedule 12 Water next`, or nothing for the form"


def schedule(command: Command) -> Reply:
    """Content, channel and time given: schedule it now. Fewer words: the schedule modal, filled with them."""
    args = list(command.args)
    if len(args) < 3:
        content = str(parse_id(args[0], "content id", USAGE)) if args else ""
        channel = args[1] if len(args) > 1 else ""
        initial = Initial(content=content, channel=channel)
        open_modal(command.services, command.client, command.trigger_id, initial, command.channel_id)
        return Reply(text="Opening the schedule form.")
    content_id = parse_id(args[0], "content id", USAGE)
    return place(command.services, command.client, command.user_id, content_id, args[1], args[2:])


def place(
    services: Services, client: WebClient, user_id: str, content_id: int, channel_name: str, rest: list[str]
) -> Reply:
    """Schedule content `content_id` on `channel_name`; `rest` holds the time, privacy and video words."""
    media = None
    if "video" in rest:
        video_at = rest.index("video")
        media, rest = " ".join(rest[video_at + 1 :]) or None, rest[:video_at]
    privacy_words = [w for w in rest if w.lower() in PRIVACY_WORDS]
    when_words = [w for w in rest if w.lower() not in PRIVACY_WORDS]
    now = datetime.now(UTC)
    try:
        wanted = parse_when(" ".join(when_words), now, services.settings.tz)
    except WhenError as exc:
        raise UsageError(str(exc)) from None
    request = ScheduleRequest(
        content_id=content_id,
        channel=channel_name,
        when=wanted,
        privacy=PRIVACY_WORDS[privacy_words[0].lower()] if privacy_words else None,
    )
    video, known = None, {}
    try:
        video = _fetch(services, media, []) if media else None
    except FieldError as exc:
        known[VIDEO] = str(exc)
    reviewer = services.roles.refusal(client, user_id, Role.REVIEWER, "override") is None
    placed, errors = check_and_save(
        services, replace(request, video=video), user_id, may_override=reviewer, known=known
    )
    if placed is None:
        return Reply(text="Not scheduled:\n" + "\n".join(f"• {escape(e)}" for e in errors.values()))
    announce(services, placed, user_id)
    return Reply(text=scheduled_text(services, placed.post))


@dataclass(frozen=True)
class Placed:
    """A post just scheduled or moved, to be announced in its thread."""

    post: Post
    request: ScheduleRequest
    overridden: bool
    product_title: str | None = None


def check_and_save(
    services: Services,
    request: ScheduleRequest,
    user_id: str,
    *,
    may_override: bool,
    known: dict[str, str] | None = None,
) -> tuple[Placed | None, dict[str, str]]:
    """The one check path (storage.scheduling), then the post saved. `known` holds problems found before
    (a video that could not be fetched): reported with the rest, and nothing is saved."""
    settings = services.settings
    with services.db() as session:
        checked = check_schedule(
            session,
            request,
            now=datetime.now(UTC),
            tz=settings.tz,
            sandbox=use_sandbox(settings),
            may_override=may_override,
        )
        if checked.errors or known:
            return None, {**checked.errors, **(known or {})}
        post = save_schedule(session, request, checked, user_id=user_id)
    # Its message now, before the clock may take it (a post due at once): one message per post.
    show_post(settings, post)
    return Placed(post, request, bool(checked.overridden), checked.product_title), {}


def announce(services: Services, placed: Placed, user_id: str) -> None:
    """In the post's thread: who scheduled (or moved) it, and any override."""
    settings = services.settings
    with services.db() as session:
        post = posts.get_post(session, placed.post.id) or placed.post
    verb = "Moved" if placed.request.post_id else "Scheduled"
    note(settings, post, f"{verb} by <@{user_id}> for {when(post.scheduled_at, settings.tz)}.")
    if placed.product_title:
        note(settings, post, product_note(post, placed.product_title))
    if placed.overridden:
        reason = escape(placed.request.override or "")
        note(settings, post, f":warning: <@{user_id}> posts it despite a conflict: {reason}")


def scheduled_text(services: Services, post: Post) -> str:
    sandbox_note = " It goes to the local sandbox (no TikTok credentials)." if post.sandbox else ""
    return (
        f"Scheduled post {post.id}: content #{post.content_id} on {escape(post.channel_name)} at "
        f"{when(post.scheduled_at, services.settings.tz)}.{sandbox_note}"
    )


def _fetch(services: Services, media: str | None, files: list[dict[str, Any]]) -> Video | None:
    if files:
        return videos.from_slack_file(services.settings, files[0])
    if media and media.startswith("https://"):
        return videos.from_url(services.settings, media)
    if media:
        return videos.from_path(media)
    return None


# --- the modal ------------------------------------------------------------------------------------


def open_modal(
    services: Services,
    client: WebClient,
    trigger_id: str,
    initial: Initial,
    origin: str,
    post_id: int | None = None,
) -> None:
    client.views_open(trigger_id=trigger_id, view=_view(services, initial, ScheduleMeta(post_id, origin)))


def _view(services: Services, initial: Initial, meta: ScheduleMeta) -> View:
    settings = services.settings
    with services.db() as session:
        channels = list_channels(session)
        channel = get_channel(session, initial.channel) if initial.channel else None
        if channel is None and initial.content.isdigit():
            content = get_content(session, int(initial.content)) if int(initial.content) < 2**31 else None
            channel = get_channel(session, content.channel_name) if content else None
        creator = None
        if channel is not None and channel.id is not None:
            if use_sandbox(settings):
                creator = SANDBOX_CREATOR
            elif (account := get_account(session, channel.id)) is not None and account.connected:
                creator = account.creator
    if creator is not None and channel is not None and channel.id is not None and not use_sandbox(settings):
        creator = current_creator(settings, channel.id) or creator
    return schedule_view(channels, channel, creator, initial, meta, settings.timezone)


def _submitted(
    services: Services, client: WebClient, user_id: str, view: dict[str, Any]
) -> tuple[dict[str, str], Placed | None]:
    meta = ScheduleMeta.load(view.get("private_metadata", ""))
    values = view.get("state", {}).get("values", {})
    try:
        request, files = read_request(values, meta, datetime.now(UTC), services.settings.tz)
    except FieldError as exc:
        return field_errors(exc), None
    url = read_initial(values).video_url
    video, known = None, {}
    try:
        video = _fetch(services, url or None, files)
    except FieldError as exc:
        known[VIDEO] = str(exc)
    reviewer = services.roles.refusal(client, user_id, Role.REVIEWER, "override") is None
    placed, errors = check_and_save(
        services, replace(request, video=video), user_id, may_override=reviewer, known=known
    )
    if VIDEO in errors and url:
        errors[VIDEO_URL] = errors.pop(VIDEO)
    # A block the form does not show (a reschedule has no video) takes its error under "when".
    shown = {b.get("block_id") for b in view.get("blocks", [])}
    under: dict[str, str] = {}
    for name, message in errors.items():
        target = name if name in shown else WHEN
        under[target] = f"{under[target]} {message}" if target in under else message
    return under, placed


VERBS = [
    Verb(
        ("schedule",),
        "schedule [content] [channel] [when] [privacy] [video <file or URL>]",
        "put approved content on a channel (a form, or e.g. `schedule 12 Water next`); direct posts need a privacy",
        schedule,
    ),
]


def register(app: App, services: Services) -> None:
    @app.action(CHANNEL_PICKED)
    @app.action(DISCLOSURE_PICKED)
    def redraw(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Another channel brings its creator's choices; the disclosure brings its consent line."""
        ack()
        view = body["view"]
        initial = read_initial(view.get("state", {}).get("values", {}))
        meta = ScheduleMeta.load(view.get("private_metadata", ""))
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=_view(services, initial, meta))

    @app.view(CALLBACK_ID)
    def submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        errors, placed = _submitted(services, client, context["user_id"], body["view"])
        if errors or placed is None:
            ack(response_action="errors", errors=errors or {WHEN: "Nothing was scheduled."})
            return
        notice = notice_view("Scheduled", [section(scheduled_text(services, placed.post))])
        ack(response_action="update", view=notice)
        # After the ack: Slack waits 3 s for it, and the thread's notes are not part of the answer.
        announce(services, placed, context["user_id"])
