"""The day after a post with a shop product went out: did the video end up carrying the product?

No TikTok API attaches a product to a video (reference §4.5); a person adds it in the app. Shop video
analytics list the products on each video a day late (§3.4), so the clock queues this job every hour
and it reads the days that analytics cover, reporting a missing tag in the post's thread once.

    check_tags_job()      the RQ job, on the process's settings
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from config.settings import Settings
from core.posts import Post
from messages.blocks import escape
from messages.posts import note
from storage import posts
from storage.db import session_scope
from storage.products import products_by_id
from workers.products import shop_configured, untagged_videos
from workers.runtime import settings as current_settings
from workers.tiktok_shop import client_for

log = logging.getLogger(__name__)

# Analytics keep about 60 days; a week covers a shop or clock that was down for days.
LOOK_BACK = timedelta(days=7)


def check_tags_job(now: datetime | None = None) -> dict[str, int]:
    settings = current_settings()
    if not (shop_configured(settings) and settings.token_key):
        return {}
    now = now or datetime.now(UTC)
    # Analytics for a day are there the day after: only posts out before today (UTC) are read.
    today = datetime.combine(now.date(), time(), UTC)
    with session_scope(settings.database_url) as session:
        waiting = posts.untag_checked(session, today - LOOK_BACK, today)
    by_day: dict[date, list[Post]] = defaultdict(list)
    for post in waiting:
        assert post.published_at is not None
        by_day[post.published_at.astimezone(UTC).date()].append(post)
    reported = 0
    with client_for(settings) as client:
        for day, out in sorted(by_day.items()):
            expected = {p.public_id: {p.product_id or ""} for p in out if p.public_id}
            missing = untagged_videos(
                settings.database_url, client, settings.token_key, expected, day, now=now
            )
            for post in out:
                reported += _report(settings, post, missing.get(post.public_id or ""), now)
    return {"checked": len(waiting), "missing": reported}


def _report(settings: Settings, post: Post, missing: frozenset[str] | None, now: datetime) -> int:
    with session_scope(settings.database_url) as session:
        if not posts.mark_tag_checked(session, post.id, now):
            return 0
        titles = products_by_id(session, [post.product_id or ""])
    product = titles.get(post.product_id or "")
    name = f"*{escape(product.title)}* ({post.product_id})" if product else f"{post.product_id}"
    if not post.public_id:
        note(settings, post, f"The product tag of {name} cannot be checked: the post has no TikTok video id.")
        return 0
    if missing:
        note(
            settings,
            post,
            f":warning: Shop analytics show no product {name} on this video. No API can add it: "
            "open the video in the TikTok app and add the product there.",
        )
        return 1
    note(settings, post, f":white_check_mark: Shop analytics show product {name} on this video.")
    return 0
