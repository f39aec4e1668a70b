"""A connected TikTok Shop: which shop, and the tokens that let us read it (reference §4.1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# Access tokens last 7 days (§4.1); refreshing this long before gives a failing refresh days of retries.
REFRESH_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class ShopTokens:
    access_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_token: str = field(repr=False)
    refresh_expires_at: datetime
    seller_name: str = ""
    open_id: str = ""

    def due_for_refresh(self, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
        return now >= self.access_expires_at - margin

    def expired(self, now: datetime) -> bool:
        return now >= self.access_expires_at


@dataclass(frozen=True)
class Shop:
    id: str
    cipher: str = field(repr=False)  # goes on every shop-scoped call
    name: str
    region: str = ""


@dataclass(frozen=True)
class ShopConnection:
    id: int
    shop: Shop
    tokens: ShopTokens
    connected_by: str  # Slack user id
    connected_at: datetime
    synced_at: datetime | None = None


@dataclass(frozen=True)
class VideoProducts:
    """Which shop products ended up on a video, as Shop analytics see it (a day late, §3.4)."""

    video_id: str
    title: str
    posted_on: date | None
    products: tuple[tuple[str, str], ...]  # (product id, name)

    @property
    def product_ids(self) -> frozenset[str]:
        return frozenset(product_id for product_id, _ in self.products)


def missing_tags(
    expected: Mapping[str, Set[str]], seen: Iterable[VideoProducts]
) -> dict[str, frozenset[str]]:
    """For each video (by TikTok video id) that should carry products: those analytics do not show on
    it. A video analytics do not list at all carries none that they can see. Empty when all are there."""
    carried = {video.video_id: video.product_ids for video in seen}
    missing = {}
    for video_id, product_ids in expected.items():
        absent = frozenset(product_ids) - carried.get(video_id, frozenset())
        if absent:
            missing[video_id] = absent
    return missing
