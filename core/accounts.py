"""A channel's TikTok account as the rest of the bot sees it: who it is, what TikTok lets it do, and
whether its grant still works. Tokens never live here (storage keeps them encrypted, workers use them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# How long a Connect link works: TikTok's own codes last 10 minutes (reference §2), and a state older
# than that can only be a replay or a forgotten tab.
STATE_LIFETIME = timedelta(minutes=10)
# Refresh this long before the access token lapses, so a call started just before expiry still finishes;
# small against the documented 2 h (or 24 h) lifetime.
REFRESH_MARGIN = timedelta(minutes=10)

PRIVACY_LABELS = {
    "PUBLIC_TO_EVERYONE": "Everyone",
    "MUTUAL_FOLLOW_FRIENDS": "Friends",
    "FOLLOWER_OF_CREATOR": "Followers",
    "SELF_ONLY": "Only me",
}


class AccountState(StrEnum):
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"


@dataclass(frozen=True)
class Creator:
    """What TikTok's creator info said when the account was connected (reference §1.1)."""

    nickname: str
    username: str
    privacy_level_options: tuple[str, ...]
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_video_post_duration_sec: int = 0

    @property
    def privacy_labels(self) -> tuple[str, ...]:
        return tuple(PRIVACY_LABELS.get(option, option) for option in self.privacy_level_options)


@dataclass(frozen=True)
class Account:
    channel_id: int
    open_id: str
    creator: Creator
    scopes: frozenset[str]
    state: AccountState
    connected_by: str  # Slack user id
    updated_at: datetime
    access_expires_at: datetime
    refresh_expires_at: datetime
    reason: str | None = None  # why it needs reconnecting

    @property
    def connected(self) -> bool:
        return self.state is AccountState.CONNECTED

    @property
    def handle(self) -> str:
        """`@username`, or the nickname when TikTok gave no username."""
        return f"@{self.creator.username}" if self.creator.username else self.creator.nickname

    def describe(self) -> str:
        """One line for Slack (unescaped: the caller escapes)."""
        name = f"{self.creator.nickname} ({self.handle})" if self.creator.username else self.handle
        if not self.connected:
            return f"{name}: needs reconnecting ({self.reason or 'TikTok refused the grant'})"
        privacy = ", ".join(self.creator.privacy_labels) or "none offered"
        return f"{name}; privacy options: {privacy}"


def due_for_refresh(access_expires_at: datetime, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
    return now >= access_expires_at - margin
