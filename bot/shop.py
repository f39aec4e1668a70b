"""The TikTok Shop in Slack: connecting it (admins), finding its products, and the choices on a post
held because its product stopped being live.

    /content shop connect        the seller's consent link, and the redirect URL Partner Center needs
    /content products <words>    title search over the synced catalogue (the Shop API has none)

The consent page sends the seller's browser to GET /tiktok-shop/callback (served by `web`): the code
is exchanged, the tokens stored encrypted with TOKEN_KEY, the shop's cipher read, and the catalogue
sync queued. The product fields of the generate form and of "Pick another" search as you type: Slack
asks this module for options (block_suggestion) and it answers from the catalogue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.forms import BadInput, Form, read_button
from bot.modals import on_submit
from bot.pages import Page, html_page
from bot.roles import Role, guard
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb, quote
from bot.views.products import (
    PICK_CALLBACK,
    PRODUCT_PICK,
    pick_of,
    pick_view,
    picked_product,
    product_options,
    products_blocks,
)
from config.errors import SetupError
from core.posts import PostStatus
from core.products import refusals, with_product, without_product
from messages.blocks import escape, section
from messages.posts import PICK_PRODUCT, WITHOUT_PRODUCT, note, show_post
from storage import posts
from storage.crypto import TokenCipher
from storage.installation import installation_id
from storage.products import find_products, get_product, unpromotable
from storage.shop import current_connection
from workers.products import (
    connect_link,
    connect_shop,
    redirect_url,
    shop_configured,
    sync_catalogue_job,
    take_state,
)
from workers.queues import enqueue_once
from workers.tiktok_shop import ShopError, client_for

log = logging.getLogger(__name__)


def shop(command: Command) -> Reply:
    if [w.lower() for w in command.args] != ["connect"]:
        raise UsageError("`shop` takes `connect`: `/content shop connect`.")
    services = command.services
    why = services.roles.refusal(command.client, command.user_id, Role.ADMIN, "connect the TikTok Shop")
    if why:
        return Reply(text=why)
    settings = services.settings
    back = redirect_url(settings)
    register = f"Register `{back}` as the redirect URL in TikTok Shop Partner Center (App & Service)."
    if not shop_configured(settings) or not settings.tiktok_shop_service_id:
        text = (
            "TikTok Shop is not set up: set TIKTOK_SHOP_APP_KEY, TIKTOK_SHOP_APP_SECRET and "
            f"TIKTOK_SHOP_SERVICE_ID (Partner Center, App & Service). {register}"
        )
        return Reply(text=text)
    try:
        TokenCipher(settings.token_key)
    except SetupError as exc:
        return Reply(text=str(exc))
    with client_for(settings) as client:
        url = connect_link(settings.database_url, client, command.user_id)
    log.info("%s asked for a TikTok Shop connect link", command.user_id)
    text = (
        f"<{url}|Authorise contentbot for your TikTok Shop> (the link works once, for 10 minutes). "
        f"The seller's browser then comes back to `{back}`. {register}"
    )
    return Reply(text="Open TikTok Shop to connect it.", blocks=[section(text)])


def products(command: Command) -> Reply:
    query = " ".join(command.args).strip()
    if not query:
        raise UsageError("`products` needs words of a title, e.g. `/content products bath boat`.")
    settings = command.services.settings
    with command.services.db() as session:
        found = find_products(session, query, limit=20)
        connection = current_connection(session, key=settings.token_key) if settings.token_key else None
    if connection is None:
        synced = "No TikTok Shop is connected: an admin runs `/content shop connect`."
    elif connection.synced_at is None:
        synced = f"Shop *{escape(connection.shop.name)}*: its catalogue has not been synced yet."
    else:
        synced = (
            f"Shop *{escape(connection.shop.name)}*, catalogue synced {connection.synced_at:%d %b %H:%M} UTC."
        )
    return Reply(
        text=f"{len(found)} product(s) match “{quote(query)}”", blocks=products_blocks(query, found, synced)
    )


VERBS = [
    Verb(("shop",), "shop connect", "connect the brand's TikTok Shop (admins)", shop),
    Verb(("products",), "products <words>", "find TikTok Shop products by words of their title", products),
]


def shop_callback(services: Services, client: WebClient, query: Mapping[str, str]) -> Page:
    """The seller's browser after the consent page: `code` and our `state`."""
    settings = services.settings
    user_id = take_state(settings.database_url, query.get("state", ""))
    if user_id is None:
        return html_page(
            400,
            "Not connected",
            "This link was already used or is more than 10 minutes old. Run /content shop connect in Slack again.",
        )
    code = query.get("code", "")
    if not code:
        return _failed(
            client, user_id, "TikTok Shop sent no authorization code: the seller did not authorise the app"
        )
    try:
        with client_for(settings) as shop_client:
            connection = connect_shop(
                settings.database_url, shop_client, settings.token_key or "", code=code, user_id=user_id
            )
    except ShopError as exc:
        log.warning("connecting the TikTok Shop failed: %s", exc.reason)
        return _failed(
            client, user_id, f"TikTok Shop refused the authorization (refused, used or expired): {exc.reason}"
        )
    if services.redis is not None:
        enqueue_once(
            services.redis,
            "default",
            sync_catalogue_job,
            job_id=f"shop-sync-{installation_id(settings.database_url)}-connect-{int(connection.connected_at.timestamp())}",
        )
    name = connection.shop.name
    _tell(
        client,
        user_id,
        f":white_check_mark: Connected TikTok Shop *{escape(name)}*. Its catalogue is being synced; "
        "`/content products <words>` finds products, and the generate form's product field searches them.",
    )
    return html_page(200, "Connected", f"Connected TikTok Shop {name}; you can close this tab.")


def _failed(client: WebClient, user_id: str, reason: str) -> Page:
    _tell(
        client,
        user_id,
        f":warning: The TikTok Shop was not connected. {escape(reason)}. Run `/content shop connect` again.",
    )
    return html_page(
        400, "Not connected", f"{reason}. Run /content shop connect in Slack again; you can close this tab."
    )


def _tell(client: WebClient, user_id: str, text: str) -> None:
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        log.warning("could not tell %s about the TikTok Shop: %s", user_id, exc.response["error"])


def submit_pick(
    services: Services, client: WebClient, user_id: str, view: dict[str, Any]
) -> dict[str, str] | None:
    """Put the held post back on the schedule, now, with the product picked."""
    post_id = pick_of(view)
    product_id = picked_product(Form(view))
    with services.db() as session:
        problems = refusals(unpromotable(session, [product_id]))
        if problems:
            return {PRODUCT_PICK: problems[0]}
        post = posts.get_post(session, post_id)
        if post is None or post.status is not PostStatus.HELD:
            return {PRODUCT_PICK: "That post is no longer held, so nothing changed."}
        old = get_product(session, post.product_id) if post.product_id else None
        new = get_product(session, product_id)
        assert new is not None
        caption = with_product(without_product(post.caption, old.title if old else None), new.title)
        moved = posts.release_held(
            session, post_id, datetime.now(UTC), product_id=product_id, caption=caption
        )
        post = posts.get_post(session, post_id)
    if not moved or post is None:
        return {PRODUCT_PICK: "That post is no longer held, so nothing changed."}
    show_post(services.settings, post)
    note(
        services.settings,
        post,
        f"<@{user_id}> picked product *{escape(new.title)}* ({product_id}); it goes out now.",
    )
    return None


def register(app: App, services: Services) -> None:
    only_reviewers = guard(services.roles, Role.REVIEWER, "decide about held posts")

    @app.options(PRODUCT_PICK)
    def product_suggestions(ack: Ack, payload: dict[str, Any]) -> None:
        with services.db() as session:
            found = find_products(session, str(payload.get("value") or ""), limit=100)
        ack(options=product_options(found))

    @app.action(WITHOUT_PRODUCT, middleware=[only_reviewers])
    def without_clicked(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Any) -> None:
        ack()
        try:
            [post_id] = read_button(body)
        except BadInput as exc:
            respond(text=str(exc), replace_original=False)
            return
        with services.db() as session:
            post = posts.get_post(session, post_id)
            old = get_product(session, post.product_id) if post and post.product_id else None
            moved = post is not None and posts.release_held(
                session,
                post_id,
                datetime.now(UTC),
                product_id=None,
                caption=without_product(post.caption, old.title if old else None),
            )
            post = posts.get_post(session, post_id)
        if not moved or post is None:
            respond(text="Nothing changed: that post is not held.", replace_original=False)
            return
        show_post(services.settings, post)
        note(
            services.settings,
            post,
            f"<@{context['user_id']}> chose to post it without the product; it goes out now.",
        )

    @app.action(PICK_PRODUCT, middleware=[only_reviewers])
    def pick_product(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        try:
            [post_id] = read_button(body)
        except BadInput as exc:
            respond(text=str(exc), replace_original=False)
            return
        with services.db() as session:
            post = posts.get_post(session, post_id)
        if post is None or post.status is not PostStatus.HELD:
            respond(text="Nothing changed: that post is not held.", replace_original=False)
            return
        client.views_open(
            trigger_id=body["trigger_id"],
            view=pick_view(post_id, post.hold_reason or "its product is not live"),
        )

    on_submit(
        app,
        services,
        PICK_CALLBACK,
        submit_pick,
        guard=guard(services.roles, Role.REVIEWER, "decide about held posts", field=PRODUCT_PICK),
    )
