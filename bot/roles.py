"""Who may do what: REVIEWERS approve and reject; ADMINS change channels and the template library.

Each role is a list of Slack user ids or one user group (S...). ADMINS defaults to the reviewers.
Every listener that needs a role asks `guard`, one Bolt listener middleware, so the check and the
words of a refusal live here alone.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from config.settings import Settings
from messages.blocks import notice_view, section

log = logging.getLogger(__name__)


class Role(StrEnum):
    REVIEWER = "reviewers"
    ADMIN = "admins"


class Members:
    """The user ids of a role, or the members of its one user group.

    Group members are read with usergroups.users.list (Tier 2: about 20 calls a minute), so they are
    kept for a minute.
    """

    TTL_SECONDS = 60.0

    def __init__(self, ids: list[str], setting: str) -> None:
        self.ids = list(ids)
        self.setting = setting
        self._group: tuple[float, frozenset[str]] | None = None

    @property
    def group_id(self) -> str | None:
        return self.ids[0] if len(self.ids) == 1 and self.ids[0].startswith("S") else None

    def allows(self, client: WebClient, user_id: str) -> bool:
        if self.group_id is None:
            return user_id in self.ids
        return user_id in self._members(client, self.group_id)

    def why_not(self, role: Role, action: str) -> str:
        if not self.ids:
            return f"Nobody may {action} yet: {self.setting} is not set."
        who = f"<!subteam^{self.group_id}>" if self.group_id else ", ".join(f"<@{u}>" for u in self.ids)
        return f"Only {role.value} may {action}; ask {who}."

    def _members(self, client: WebClient, group_id: str) -> frozenset[str]:
        now = time.monotonic()
        if self._group is None or now - self._group[0] > self.TTL_SECONDS:
            users = client.usergroups_users_list(usergroup=group_id)["users"]
            self._group = (now, frozenset(users))
        return self._group[1]


class Roles:
    def __init__(self, settings: Settings) -> None:
        reviewers = Members(settings.reviewers, "REVIEWERS")
        admins = Members(settings.admins, "ADMINS") if settings.admins else reviewers
        self._members = {Role.REVIEWER: reviewers, Role.ADMIN: admins}

    def refusal(self, client: WebClient, user_id: str, role: Role, action: str) -> str | None:
        """Why `user_id` may not `action`, or None when they may."""
        members = self._members[role]
        try:
            if members.allows(client, user_id):
                return None
        except SlackApiError as exc:
            return f"I could not read the {role.value} group ({exc.response['error']}), so nothing changed."
        return members.why_not(role, action)


def guard(roles: Roles, role: Role, action: str, *, field: str | None = None) -> Callable[..., Any]:
    """A listener middleware: the listener runs only for members of `role`.

    A refused button or command is acknowledged and told why; a refused modal keeps its form open
    with the reason under `field`.
    """

    def middleware(
        client: WebClient,
        context: dict[str, Any],
        body: dict[str, Any],
        respond: Any,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse:
        why = roles.refusal(client, context["user_id"], role, action)
        if why is None:
            return next()
        log.info("%s may not %s", context["user_id"], action)
        # A middleware that does not call next() answers the request itself: this is the ack.
        if field is not None:
            return BoltResponse(
                status=200, body=json.dumps({"response_action": "errors", "errors": {field: why}})
            )
        if body.get("response_url"):
            respond(text=why, replace_original=False)
        else:
            # A button inside a modal has no response_url: the refusal goes on a modal above it.
            client.views_push(trigger_id=body["trigger_id"], view=notice_view("Not allowed", [section(why)]))
        return BoltResponse(status=200, body="")

    return middleware
