"""Connecting a channel's TikTok account: the Connect and Reconnect buttons (admins only) and the page
TikTok's consent screen redirects to (GET /tiktok/callback, served by `web`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.pages import Page, html_page
from bot.roles import Role, guard
from bot.services import Services
from bot.views.channel_setup import CONNECT_ACTION
from config.errors import SetupError
from messages.accounts import (
    RECONNECT_ACTION,
    connect_blocks,
    connect_failed_text,
    reconnect_blocks,
)
from messages.blocks import as_dicts, escape, notice_view, section
from messages.posts import RETRY_CHANNEL, note, retry_channel_blocks, show_post
from storage import posts
from storage.channels import get_channel_by_id
from storage.crypto import TokenCipher
from workers.accounts import (
    AccountError,
    complete_connect,
    connect_link,
    redirect_uri,
    sandbox,
    take_state,
)
from workers.tiktok import TikTokClient, TikTokError
from workers.tiktok.errors import oauth_error

log = logging.getLogger(__name__)

OPEN_CONSENT_ACTION = "tiktok_open_consent"


def connect_answer(services: Services, channel_id: int | None, user_id: str) -> tuple[str, list[Block]]:
    """What Connect answers: TikTok's consent link with a fresh state, or why there is none."""
    settings = services.settings
    with services.db() as session:
        channel = get_channel_by_id(session, channel_id) if channel_id else None
    if channel is None or channel.id is None:
        text = "Save the channel first, then connect its TikTok account."
        return text, [section(text)]
    name = escape(channel.name)
    if sandbox(settings):
        text = (
            f"No TikTok credentials are set (TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET), so posts to *{name}* "
            "go to the local sandbox and there is no account to connect."
        )
        return text, [section(f":information_source: {text}")]
    try:
        TokenCipher(settings.token_key)
    except SetupError as exc:
        return str(exc), [section(f":warning: {escape(str(exc))}")]
    with TikTokClient.from_settings(settings) as tiktok:
        url = connect_link(
            settings.database_url, tiktok, channel.id, user_id, redirect_uri=redirect_uri(settings)
        )
    log.info("%s asked for a TikTok Connect link for channel %s", user_id, channel.name)
    return f"Open TikTok to connect channel {channel.name}.", connect_blocks(channel.name, url)


def tiktok_callback(services: Services, client: WebClient, query: Mapping[str, str]) -> Page:
    """TikTok's redirect after the consent screen: `code` and `state`, or `error` and `state`."""
    settings = services.settings
    try:
        taken = take_state(settings.database_url, query.get("state", ""))
    except AccountError as exc:
        return html_page(400, "Not connected", exc.reason)
    with services.db() as session:
        channel = get_channel_by_id(session, taken.channel_id)
    name = channel.name if channel else str(taken.channel_id)
    if query.get("error"):
        refused = oauth_error(
            query["error"], query.get("error_description", ""), http_status=302, log_id=None
        )
        return _failed(client, taken.user_id, taken.channel_id, name, refused.reason)
    try:
        cipher = TokenCipher(settings.token_key)
        with TikTokClient.from_settings(settings) as tiktok:
            connected = complete_connect(
                settings.database_url,
                tiktok,
                cipher,
                taken,
                code=query.get("code", ""),
                redirect_uri=redirect_uri(settings),
            )
    except (AccountError, SetupError) as exc:
        return _failed(client, taken.user_id, taken.channel_id, name, str(exc))
    except TikTokError as exc:
        log.warning("connecting channel %s failed: %s", name, exc)
        return _failed(client, taken.user_id, taken.channel_id, name, exc.reason)
    account = connected.account
    text = f"Connected channel *{escape(name)}* to {escape(account.describe())}."
    with services.db() as session:
        failed = posts.failed_posts(session, taken.channel_id)
    blocks: list[Block] = [section(f":white_check_mark: {text}")]
    if failed:
        # One lapsed grant fails every post of the channel: one press sends them all again.
        blocks += retry_channel_blocks(taken.channel_id, len(failed))
    for post in failed:
        show_post(settings, post)  # their Reconnect buttons go
    _tell(client, taken.user_id, text, blocks)
    return html_page(
        200, "Connected", f"Connected {account.handle} to channel {name}; you can close this tab."
    )


def retry_failed(services: Services, channel_id: int, user_id: str) -> list[int]:
    """The channel's failed posts back on the schedule, due now; each moves once however often this runs."""
    now = datetime.now(UTC)
    with services.db() as session:
        failed = posts.failed_posts(session, channel_id)
        retried = [post.id for post in failed if posts.retry(session, post.id, now)]
        shown = [post for post_id in retried if (post := posts.get_post(session, post_id)) is not None]
    for post in shown:
        show_post(services.settings, post)
        note(services.settings, post, f"<@{user_id}> retried every failed post of this channel.")
    return retried


def _failed(client: WebClient, user_id: str, channel_id: int, name: str, reason: str) -> Page:
    text = connect_failed_text(name, reason)
    _tell(client, user_id, text, reconnect_blocks(channel_id, text))
    return html_page(
        400,
        "Not connected",
        f"{reason}. Slack has a Reconnect button for channel {name}; you can close this tab.",
    )


def _tell(client: WebClient, user_id: str, text: str, blocks: list[Block]) -> None:
    try:
        client.chat_postMessage(channel=user_id, text=text, blocks=as_dicts(blocks))
    except SlackApiError as exc:
        log.warning("could not tell %s about a TikTok connection: %s", user_id, exc.response["error"])


def register(app: App, services: Services) -> None:
    only_admins = guard(services.roles, Role.ADMIN, "connect TikTok accounts")

    @app.action(CONNECT_ACTION, middleware=[only_admins])
    def connect_clicked(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        ack()
        value = body["actions"][0].get("value")
        _, blocks = connect_answer(services, int(value) if value else None, context["user_id"])
        # A button in a modal has no response_url: the answer goes on a small modal above it.
        client.views_push(trigger_id=body["trigger_id"], view=notice_view("TikTok account", blocks))

    @app.action(RECONNECT_ACTION, middleware=[only_admins])
    def reconnect_clicked(ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]) -> None:
        ack()
        text, blocks = connect_answer(services, int(body["actions"][0]["value"]), context["user_id"])
        respond(text=text, blocks=as_dicts(blocks), replace_original=False)

    @app.action(RETRY_CHANNEL, middleware=[guard(services.roles, Role.REVIEWER, "retry posts")])
    def retry_channel_clicked(
        ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
    ) -> None:
        ack()
        channel_id = int(body["actions"][0]["value"])
        retried = retry_failed(services, channel_id, context["user_id"])
        respond(
            text=f"Sent {len(retried)} failed post(s) again: {', '.join(map(str, retried))}."
            if retried
            else "Nothing to retry: the channel has no failed posts.",
            replace_original=False,
        )

    @app.action(OPEN_CONSENT_ACTION)
    def consent_opened(ack: Ack) -> None:
        # Slack opens a URL button's link itself and still sends the click; it only needs an ack.
        ack()
