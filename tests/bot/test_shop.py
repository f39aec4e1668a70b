"""The TikTok Shop through Slack, end to end: `/content shop connect` and the seller's way back to `web`
over real HTTP, the catalogue synced by a real RQ job from the Shop stand-in, products found by title
and picked as you type (block_suggestion), and a post's product checked when it is scheduled and again
just before it goes out."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from contentbot.local import LocalBot
from core.posts import Post, PostStatus
from standins.console import Settle, run
from standins.slack import Message
from standins.tiktok_shop import TikTokShopStandIn
from storage.accounts import create_state
from storage.contents import get_content
from storage.crypto import decrypt
from storage.db import session_scope
from storage.models import ChannelRow, PostRow, ShopConnectionRow
from storage.posts import get_post
from storage.products import count_products, get_product
from tests.bot.slack_inputs import all_text, text
from tests.bot.slack_inputs import select as picked
from tests.generation_helpers import REQUESTER, REVIEW, REVIEWER, approve, dms, request, start_bot
from workers.clock import Clock

ADMIN = REVIEWER
PICKER = "shop_product"


@pytest.fixture
def shop() -> Iterator[TikTokShopStandIn]:
    with TikTokShopStandIn() as standin:
        yield standin


@pytest.fixture
def ids(shop: TikTokShopStandIn) -> dict[str, str]:
    return {
        "boat": shop.add_product("Tidepool Bath Boat"),
        "kite": shop.add_product("SkyLoop Stunt Kite"),
        "glow": shop.add_product("Glow Kite <Deluxe>", status="SELLER_DEACTIVATED"),
    }


@pytest.fixture
def bot(
    database_url: str, redis_conn: redis.Redis, shop: TikTokShopStandIn, ids: dict[str, str], tmp_path: Path
) -> Iterator[LocalBot]:
    local = start_bot(
        database_url,
        redis_conn,
        sandbox_dir=str(tmp_path / "sandbox"),
        tiktok_shop_app_key=shop.app_key,
        tiktok_shop_app_secret=shop.app_secret,
        tiktok_shop_service_id=shop.service_id,
        tiktok_shop_api_url=shop.api_url,
        tiktok_shop_auth_url=shop.auth_url,
        tiktok_shop_authorize_url=shop.authorize_url,
        token_key=Fernet.generate_key().decode(),
    )
    yield local
    local.close()


def connect_link(bot: LocalBot, user: str = ADMIN) -> str:
    reply = bot.workspace.slash(user, "shop connect")
    assert reply.status == 200
    found = re.search(r"<(http[^|>]+)\|", all_text(reply.json()["blocks"]))
    assert found is not None
    return found.group(1)


def back_to_web(bot: LocalBot, consent_url: str) -> str:
    """The seller's browser at the consent page: where it is sent back to, on `web`'s real address."""
    answer = httpx.get(consent_url, follow_redirects=False)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == bot.settings.base_url + "/tiktok-shop/callback"
    return f"{bot.web.url}{back.path}?{back.query}"


def connect(bot: LocalBot) -> None:
    page = httpx.get(back_to_web(bot, connect_link(bot)))
    assert page.status_code == 200, page.text
    bot.run_jobs()  # the catalogue sync the connection queued


def post(bot: LocalBot, post_id: int = 1) -> Post:
    with session_scope(bot.settings.database_url) as session:
        found = get_post(session, post_id)
    assert found is not None
    return found


def thread(bot: LocalBot, post_id: int = 1) -> list[Message]:
    found = post(bot, post_id)
    assert found.slack_ts is not None
    return bot.standin.thread(REVIEW, found.slack_ts)[1:]


def request_with_product(bot: LocalBot, typed: str, product_id: str, **fields: Any) -> list[dict[str, Any]]:
    """`/content generate` as a form on Water, the product picked from what typing `typed` lists."""
    request(bot, "")
    [modal] = bot.standin.modals(REQUESTER)
    listed = bot.workspace.suggest(REQUESTER, modal.id, PICKER, typed)
    [option] = [o for o in listed if o["value"] == product_id]
    values = {
        "channel": {"channel": picked(str(water(bot)))},
        "brief": {"brief": text("a bath toy that floats for little ones")},
        PICKER: {PICKER: {"type": "external_select", "selected_option": option}},
        **{block: {block: text(value)} for block, value in fields.items()},
    }
    reply = bot.workspace.submit(REQUESTER, modal.id, values)
    assert reply.status == 200 and not reply.errors, reply.errors
    bot.run_jobs()
    approve(bot)
    return listed


def water(bot: LocalBot) -> int:
    with session_scope(bot.settings.database_url) as session:
        return session.scalars(select(ChannelRow.id).where(ChannelRow.name == "Water")).one()


def clock(bot: LocalBot) -> Clock:
    """The bot's one clock: a second one would wait out the first one's leader lease."""
    found: Clock | None = getattr(bot, "_test_clock", None)
    if found is None:
        found = Clock(bot.services.redis, bot.settings.database_url)
        setattr(bot, "_test_clock", found)  # noqa: B010
    return found


def due(bot: LocalBot, post_id: int = 1) -> None:
    """The clock at the post's time, then the worker."""
    assert clock(bot).publish_tick(post(bot, post_id).scheduled_at)
    bot.run_jobs()


def sandbox_inits(bot: LocalBot) -> list[Path]:
    return sorted(Path(bot.settings.sandbox_dir).glob("*init.json"))


def test_an_admin_connects_the_shop_and_finds_its_products(
    bot: LocalBot, shop: TikTokShopStandIn, ids: dict[str, str]
) -> None:
    refused = bot.workspace.slash(REQUESTER, "shop connect").json()["text"]
    assert "Only admins may connect the TikTok Shop" in refused

    reply = bot.workspace.slash(ADMIN, "shop connect").json()
    said = all_text(reply["blocks"])
    assert "`http://localhost:3000/tiktok-shop/callback`" in said and "Partner Center" in said
    url = connect_link(bot)
    asked = parse_qs(urlsplit(url).query)
    assert asked["service_id"] == [shop.service_id] and asked["state"][0]

    back = back_to_web(bot, url)
    page = httpx.get(back)
    assert page.status_code == 200 and "Connected TikTok Shop Elemental Toys" in page.text
    assert page.headers["cache-control"] == "no-store"
    [exchange] = shop.calls("/api/v2/token/get")
    assert exchange.query["grant_type"] == "authorized_code"
    assert shop.calls("/authorization/202309/shops")

    with session_scope(bot.settings.database_url) as session:
        row = session.scalars(select(ShopConnectionRow)).one()
        assert row.shop_cipher == shop.shop["cipher"] and row.connected_by == ADMIN
        stored = (row.access_token, row.refresh_token)
    key = bot.settings.token_key or ""
    issued = exchange_answer_tokens(shop)
    assert not set(stored) & issued  # encrypted at rest with TOKEN_KEY
    assert {decrypt(value, key) for value in stored} <= issued
    [told] = bot.standin.wait_for(lambda: dms(bot, ADMIN))
    assert "Connected TikTok Shop *Elemental Toys*" in told.text

    # The connection queued the catalogue sync; a real worker runs it.
    assert bot.run_jobs()
    with session_scope(bot.settings.database_url) as session:
        assert count_products(session) == 3
    listing = bot.workspace.slash(REQUESTER, "products kite").json()
    found = all_text(listing["blocks"])
    assert "SkyLoop Stunt Kite" in found and ids["kite"] in found
    assert "Glow Kite &lt;Deluxe&gt;" in found and "deactivated by the seller: cannot go on a post" in found
    assert "Tidepool" not in found and "catalogue synced" in found
    assert "products" in bot.workspace.slash(REQUESTER, "products").json()["text"]

    replay = httpx.get(back)
    assert replay.status_code == 400 and "already used" in replay.text
    assert len(shop.calls("/api/v2/token/get")) == 1  # the replayed code never reached TikTok


def exchange_answer_tokens(shop: TikTokShopStandIn) -> set[str]:
    """Every token the stand-in has issued and not retired."""
    return set(shop._tokens) | set(shop._refresh)


def test_a_refused_or_missing_grant_is_said_plainly(bot: LocalBot, shop: TikTokShopStandIn) -> None:
    url = connect_link(bot)
    state = parse_qs(urlsplit(url).query)["state"][0]
    page = httpx.get(f"{bot.web.url}/tiktok-shop/callback?code=ROW_made-up&state={state}")
    assert page.status_code == 400
    assert "TikTok Shop refused the authorization (refused, used or expired)" in page.text
    [told] = bot.standin.wait_for(lambda: dms(bot, ADMIN))
    assert "was not connected" in told.text and "/content shop connect" in told.text

    state = parse_qs(urlsplit(connect_link(bot)).query)["state"][0]
    declined = httpx.get(f"{bot.web.url}/tiktok-shop/callback?state={state}")
    assert declined.status_code == 400 and "did not authorise" in declined.text
    forged = httpx.get(f"{bot.web.url}/tiktok-shop/callback?code=abc&state=made-up")
    assert forged.status_code == 400
    # A channel's TikTok Connect state is no shop state, and the other way round.
    with session_scope(bot.settings.database_url) as session:
        channel_state = create_state(session, water(bot), ADMIN, datetime.now(UTC))
    code = shop.issue_code()
    crossed = httpx.get(f"{bot.web.url}/tiktok-shop/callback?code={code}&state={channel_state}")
    assert crossed.status_code == 400 and "already used" in crossed.text
    shop_state = parse_qs(urlsplit(connect_link(bot)).query)["state"][0]
    assert httpx.get(f"{bot.web.url}/tiktok/callback?code={code}&state={shop_state}").status_code == 400
    assert not shop.calls("/authorization/202309/shops")
    with session_scope(bot.settings.database_url) as session:
        assert session.scalars(select(ShopConnectionRow)).first() is None


def test_the_token_is_refreshed_before_it_lapses_and_a_wrong_signature_is_reported(
    bot: LocalBot, shop: TikTokShopStandIn
) -> None:
    connect(bot)
    with session_scope(bot.settings.database_url) as session:
        row = session.scalars(select(ShopConnectionRow)).one()
        old = decrypt(row.access_token, bot.settings.token_key or "")
        # A day before the 7 days are up, as our clock sees it.
        row.access_expires_at = datetime.now(UTC) + timedelta(days=1)
    assert clock(bot).shop(datetime.now(UTC) + timedelta(hours=1))
    bot.run_jobs()
    [refresh] = shop.calls("/api/v2/token/refresh")
    assert refresh.query["grant_type"] == "refresh_token"
    with session_scope(bot.settings.database_url) as session:
        row = session.scalars(select(ShopConnectionRow)).one()
        new = decrypt(row.access_token, bot.settings.token_key or "")
        assert row.refreshed_at is not None and row.synced_at is not None
    assert new != old and row.access_expires_at > datetime.now(UTC) + timedelta(days=6)
    # The sync after the refresh used the new token (the stand-in retired the old one).
    last = shop.calls("/product/202309/products/search")[-1]
    assert last.headers["x-tts-access-token"] == new

    shop.app_secret = "rotated-in-partner-center"  # our calls are now signed with a secret TikTok dropped
    assert clock(bot).shop(datetime.now(UTC) + timedelta(hours=2))
    bot.run_jobs()
    refused = [r for r in shop.requests if r.path == "/product/202309/products/search"][-1]
    assert refused.headers["x-tts-access-token"] == new
    told = bot.standin.wait_for(lambda: [m for m in dms(bot, ADMIN) if "could not be synced" in m.text])
    assert "signature (code 106001)" in told[0].text and "TIKTOK_SHOP_APP_SECRET" in told[0].text
    assert shop.app_secret not in told[0].text


def test_the_product_picker_searches_the_catalogue_as_you_type(bot: LocalBot, ids: dict[str, str]) -> None:
    connect(bot)
    request(bot, "")
    [modal] = bot.standin.modals(REQUESTER)
    assert bot.workspace.suggest(REQUESTER, modal.id, PICKER, "") == []  # Slack asks from one character
    kites = bot.workspace.suggest(REQUESTER, modal.id, PICKER, "kite")
    assert [o["value"] for o in kites] == [ids["kite"]]  # the deactivated kite cannot go on a post
    assert kites[0]["text"]["text"].endswith("SkyLoop Stunt Kite")
    assert bot.workspace.suggest(REQUESTER, modal.id, PICKER, "stunt ki")[0]["value"] == ids["kite"]
    assert bot.workspace.suggest(REQUESTER, modal.id, PICKER, "zeppelin") == []


def test_a_picked_product_keeps_its_facts_for_the_agents(bot: LocalBot, ids: dict[str, str]) -> None:
    connect(bot)
    request_with_product(
        bot,
        "tide",
        ids["boat"],
        product_facts="Floats in the bath\nMade of soft plastic",
        product_age_grade="3+",
    )
    with session_scope(bot.settings.database_url) as session:
        content = get_content(session, 1)
        kept = get_product(session, ids["boat"])
    assert content is not None and content.product is not None
    assert content.product.id == ids["boat"] and content.product.title == "Tidepool Bath Boat"
    assert content.product.facts == ("Floats in the bath", "Made of soft plastic")
    assert kept is not None and kept.facts == content.product.facts
    assert kept.age_grade is not None and kept.age_grade.label == "3+"


def test_a_product_not_live_when_scheduled_is_refused(
    bot: LocalBot, shop: TikTokShopStandIn, ids: dict[str, str]
) -> None:
    connect(bot)
    request_with_product(bot, "tide", ids["boat"])
    shop.deactivate(ids["boat"])
    clock(bot).shop(datetime.now(UTC) + timedelta(hours=1))
    bot.run_jobs()  # the hourly sync sees the deactivation
    answer = bot.workspace.slash(REVIEWER, "schedule 1 Water next").json()["text"]
    assert answer.startswith("Not scheduled")
    assert f"Product {ids['boat']} is deactivated by the seller" in answer
    with session_scope(bot.settings.database_url) as session:
        assert session.scalars(select(PostRow)).first() is None


def held(bot: LocalBot, shop: TikTokShopStandIn, ids: dict[str, str]) -> Message:
    """Content 1 with the bath boat, scheduled while it is live, deactivated before its time: the
    thread's held message."""
    connect(bot)
    request_with_product(bot, "tide", ids["boat"])
    answer = bot.workspace.slash(REVIEWER, "schedule 1 Water next").json()["text"]
    assert answer.startswith("Scheduled post 1"), answer
    scheduled = post(bot)
    assert scheduled.product_id == ids["boat"] and "Tidepool Bath Boat" in scheduled.caption
    told = " ".join(m.text for m in thread(bot))
    assert "No TikTok API attaches a product to a video" in told
    assert f"add the product *Tidepool Bath Boat* ({ids['boat']})" in told

    shop.deactivate(ids["boat"])
    due(bot)
    holding = post(bot)
    assert holding.status is PostStatus.HELD
    assert holding.hold_reason and "deactivated by the seller in the shop now" in holding.hold_reason
    assert not sandbox_inits(bot)  # nothing went out
    [note] = [m for m in thread(bot) if m.text.startswith("Held:")]
    assert [e["text"]["text"] for b in note.blocks if b["type"] == "actions" for e in b["elements"]] == [
        "Post without it",
        "Pick another",
        "Cancel",
    ]
    assert "Held: product Tidepool Bath Boat" in all_text(
        bot.standin.message(REVIEW, holding.slack_ts or "").blocks
    )
    return note


def test_a_product_deactivated_between_scheduling_and_posting_holds_the_post_then_another_is_picked(
    bot: LocalBot, shop: TikTokShopStandIn, ids: dict[str, str]
) -> None:
    note = held(bot, shop, ids)
    assert (
        bot.workspace.click(REVIEWER, action_id="post_pick_product", message=(REVIEW, note.ts)).status == 200
    )
    [modal] = bot.standin.wait_for(lambda: bot.standin.modals(REVIEWER))
    [option] = bot.workspace.suggest(REVIEWER, modal.id, PICKER, "stunt")
    reply = bot.workspace.submit(
        REVIEWER, modal.id, {PICKER: {PICKER: {"type": "external_select", "selected_option": option}}}
    )
    assert reply.status == 200 and not reply.errors
    moved = post(bot)
    assert moved.status is PostStatus.SCHEDULED and moved.product_id == ids["kite"]
    assert "Shop: Tidepool" not in moved.caption and "SkyLoop Stunt Kite" in moved.caption
    due(bot)
    assert post(bot).status is PostStatus.AWAITING_POSTER and len(sandbox_inits(bot)) == 1


def test_a_held_post_goes_out_without_its_product(
    bot: LocalBot, shop: TikTokShopStandIn, ids: dict[str, str]
) -> None:
    note = held(bot, shop, ids)
    assert (
        bot.workspace.click(REQUESTER, action_id="post_without_product", message=(REVIEW, note.ts)).status
        == 200
    )
    refused = bot.standin.wait_for(lambda: bot.standin.ephemerals(REVIEW, REQUESTER))
    assert "Only reviewers may decide about held posts" in refused[0].text
    assert post(bot).status is PostStatus.HELD
    assert (
        bot.workspace.click(REVIEWER, action_id="post_without_product", message=(REVIEW, note.ts)).status
        == 200
    )
    # The listener acts after its ack: what it did shows in the thread.
    bot.standin.wait_for(lambda: [m for m in thread(bot) if "without the product" in m.text])
    moved = post(bot)
    assert moved.status is PostStatus.SCHEDULED and moved.product_id is None
    assert "Shop: Tidepool" not in moved.caption and moved.hold_reason is None
    # A second press finds nothing held: the post keeps its time.
    assert (
        bot.workspace.click(REVIEWER, action_id="post_without_product", message=(REVIEW, note.ts)).status
        == 200
    )
    said = bot.standin.wait_for(lambda: bot.standin.ephemerals(REVIEW, REVIEWER))
    assert "Nothing changed: that post is not held." in [e.text for e in said]
    assert post(bot).scheduled_at == moved.scheduled_at
    due(bot)
    assert post(bot).status is PostStatus.AWAITING_POSTER and len(sandbox_inits(bot)) == 1


def test_a_held_post_is_cancelled_from_its_thread(
    bot: LocalBot, shop: TikTokShopStandIn, ids: dict[str, str]
) -> None:
    note = held(bot, shop, ids)
    assert bot.workspace.click(REVIEWER, action_id="post_cancel", message=(REVIEW, note.ts)).status == 200
    bot.standin.wait_for(lambda: [m for m in thread(bot) if m.text.startswith("Cancelled by")])
    assert post(bot).status is PostStatus.CANCELLED
    due(bot)
    assert not sandbox_inits(bot)


def test_the_day_after_a_missing_product_tag_is_reported_in_the_thread_once(
    bot: LocalBot, shop: TikTokShopStandIn, ids: dict[str, str]
) -> None:
    connect(bot)
    request_with_product(bot, "tide", ids["boat"])
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == "Water").values(posting_mode="direct"))
    assert (
        bot.workspace.slash(REVIEWER, "schedule 1 Water next public").json()["text"].startswith("Scheduled")
    )
    assert "goes out marked as promotional content" in " ".join(m.text for m in thread(bot))
    due(bot)
    out = post(bot)
    assert out.status is PostStatus.PUBLISHED and out.public_id
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(PostRow).where(PostRow.id == 1).values(published_at=yesterday))
    shop.add_video(out.public_id, title="bath boat", post_date=yesterday.date().isoformat(), product_ids=[])

    assert clock(bot).shop(datetime.now(UTC) + timedelta(hours=1))
    bot.run_jobs()
    assert clock(bot).shop(datetime.now(UTC) + timedelta(hours=2))
    bot.run_jobs()
    warned = [m.text for m in thread(bot) if "Shop analytics show no product" in m.text]
    assert len(warned) == 1 and "*Tidepool Bath Boat*" in warned[0] and "TikTok app" in warned[0]
    [asked] = shop.calls("/analytics/202509/shop_videos/performance")
    assert asked.query["start_date_ge"] == yesterday.date().isoformat()


def test_the_console_types_into_the_product_picker(bot: LocalBot, ids: dict[str, str]) -> None:
    connect(bot)
    stdout = io.StringIO()
    lines = "/content generate\nselect shop_product tide\nselect shop_product zeppelin\nquit\n"
    run(bot.workspace, bot.standin, REQUESTER, stdin=io.StringIO(lines), stdout=stdout, settle=Settle(5.0))
    output = stdout.getvalue()
    assert "Shop product = " in output and "Tidepool Bath Boat" in output
    assert "Shop product lists nothing for 'zeppelin'" in output
    [modal] = bot.standin.modals(REQUESTER)
    assert modal.state[PICKER][PICKER]["selected_option"]["value"] == ids["boat"]
