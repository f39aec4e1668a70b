"""Who may approve: the REVIEWERS setting, as user ids or one Slack user group."""

from __future__ import annotations

import time

from slack_sdk import WebClient

from config.settings import Settings


class Reviewers:
    """Who may approve or reject: the REVIEWERS user ids, or the members of one user group (S...).

    Group members are read with usergroups.users.list (Tier 2: about 20 calls a minute), so they are
    kept for a minute.
    """

    TTL_SECONDS = 60.0

    def __init__(self, settings: Settings) -> None:
        self.ids = list(settings.reviewers)
        self._group: tuple[float, frozenset[str]] | None = None

    @property
    def group_id(self) -> str | None:
        return self.ids[0] if len(self.ids) == 1 and self.ids[0].startswith("S") else None

    def allows(self, client: WebClient, user_id: str) -> bool:
        if self.group_id is None:
            return user_id in self.ids
        return user_id in self._members(client, self.group_id)

    def why_not(self, action: str = "approve or reject content") -> str:
        if not self.ids:
            return f"Nobody may {action} yet: REVIEWERS is not set."
        who = f"<!subteam^{self.group_id}>" if self.group_id else ", ".join(f"<@{u}>" for u in self.ids)
        return f"Only reviewers may {action}; ask {who}."

    def _members(self, client: WebClient, group_id: str) -> frozenset[str]:
        now = time.monotonic()
        if self._group is None or now - self._group[0] > self.TTL_SECONDS:
            users = client.usergroups_users_list(usergroup=group_id)["users"]
            self._group = (now, frozenset(users))
        return self._group[1]
