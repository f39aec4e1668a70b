"""What the scheduling check reads, behind one object: storage.scheduling.check_schedule asks it for
channels, content, the channel's schedule, its account, pending inbox drafts and the posts a request
would repeat.

    lookups = Lookups(session, now)                        # one request: each read is its own query
    lookups = Lookups(session, now, known=KnownPosts.load(session))
    lookups.prefetch(content_ids)                          # a batch (bulk): each thing read once

A batch of requests reads each channel, its schedule and account once, the content in a few
queries, and indexes every live post's fingerprint in memory instead of a query per request. `plan`
notes times a batch has given out that are not posts yet, so a `next` request keeps clear of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.accounts import Account
from core.channels import Channel
from core.content import Content
from core.fingerprint import Conflict, Fingerprint
from core.posts import inbox_share_problem
from core.products import refusals
from core.versions import Version
from storage import posts
from storage.accounts import get_account
from storage.channels import get_channel, list_channels
from storage.contents import contents_of, latest_versions
from storage.fingerprints import KnownPosts, conflicts
from storage.post_followups import pending_inbox_times
from storage.products import get_product, unpromotable

# Other posts this far either side are what the slot rules (cap, gap) look at.
TAKEN_BEFORE = timedelta(days=2)
TAKEN_AFTER = timedelta(days=62)
# Ids per query when a batch reads content: well inside SQLite's limit of bound parameters.
_CHUNK = 500


class Lookups:
    def __init__(self, session: Session, now: datetime, *, known: KnownPosts | None = None) -> None:
        self.session = session
        self.now = now
        self._known = known
        self._channels: dict[str, Channel | None] = {}
        self._all_channels: list[Channel] | None = None
        self._contents: dict[int, Content | None] = {}
        self._latest: dict[int, tuple[Version, int] | None] = {}
        self._refusals: dict[str, list[str]] = {}
        self._taken: dict[int, list[datetime]] = {}
        self._planned: dict[int, list[datetime]] = defaultdict(list)
        self._accounts: dict[int, Account | None] = {}
        self._pending: dict[tuple[int, datetime], list[datetime]] = {}

    def prefetch(self, content_ids: Iterable[int]) -> None:
        """Read many content items and their latest versions at once (a batch's)."""
        wanted = sorted({i for i in content_ids if 0 < i < 2**31 and i not in self._contents})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found = {c.id: c for c in contents_of(self.session, chunk)}
            latest = latest_versions(self.session, chunk)
            for content_id in chunk:
                self._contents[content_id] = found.get(content_id)
                self._latest[content_id] = latest.get(content_id)

    def content(self, content_id: int) -> Content | None:
        if not 0 < content_id < 2**31:
            return None
        if content_id not in self._contents:
            self.prefetch([content_id])
        return self._contents[content_id]

    def latest(self, content_id: int) -> tuple[Version, int] | None:
        """The content's latest version and its row id (what a post refers to)."""
        return self._latest.get(content_id) if self.content(content_id) else None

    def channel(self, name: str) -> Channel | None:
        key = name.strip().lower()
        if key not in self._channels:
            self._channels[key] = get_channel(self.session, name)
        return self._channels[key]

    def channels(self) -> list[Channel]:
        if self._all_channels is None:
            self._all_channels = list_channels(self.session)
        return self._all_channels

    def refusals(self, product_id: str) -> list[str]:
        """Why the shop product cannot be promoted (not in the synced catalogue, not live), if it cannot."""
        if product_id not in self._refusals:
            self._refusals[product_id] = list(refusals(unpromotable(self.session, [product_id])))
        return self._refusals[product_id]

    def product_title(self, product_id: str) -> str | None:
        listed = get_product(self.session, product_id)
        return listed.title if listed else None

    def taken(self, channel_id: int) -> list[datetime]:
        """The channel's live posts from two days ago to past the farthest slot search."""
        if channel_id not in self._taken:
            since, until = self.now - TAKEN_BEFORE, self.now + TAKEN_AFTER
            self._taken[channel_id] = posts.taken_times(self.session, channel_id, since, until)
        return self._taken[channel_id]

    def planned(self, channel_id: int) -> list[datetime]:
        """Times this batch has given out on the channel, not posts yet."""
        return self._planned[channel_id]

    def plan(self, channel_id: int, at: datetime) -> None:
        self._planned[channel_id].append(at)

    def account(self, channel_id: int) -> Account | None:
        if channel_id not in self._accounts:
            self._accounts[channel_id] = get_account(self.session, channel_id)
        return self._accounts[channel_id]

    def pending(self, channel_id: int, at: datetime) -> list[datetime]:
        """The channel's inbox drafts not known to be finished within a day of `at`."""
        key = (channel_id, at)
        if key not in self._pending:
            self._pending[key] = pending_inbox_times(self.session, channel_id, at)
        return self._pending[key]

    def share_problem(self, channel_id: int, at: datetime) -> str | None:
        """Why an inbox draft at `at` would exceed TikTok's pending shares, or None."""
        return inbox_share_problem(at, self.pending(channel_id, at))

    def repeats(
        self, fingerprint: Fingerprint, channel_id: int, when: datetime, product_id: str | None
    ) -> list[Conflict]:
        """Posts on other channels this would repeat."""
        if self._known is not None:
            return self._known.repeats(fingerprint, channel_id, when, product_id)
        return conflicts(self.session, fingerprint, channel_id=channel_id, when=when, product_id=product_id)
