"""What a Slack workspace holds, as frozen values: people, channels, messages, ephemerals, views,
uploaded files, and the entries of its change feed.

Frozen because the state hands them out as snapshots to other threads: a change to the workspace
makes a new value (`dataclasses.replace`) rather than editing one a test or the console still holds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from standins.slack.state import SlackState


@dataclass(frozen=True)
class User:
    id: str
    name: str
    real_name: str = ""


@dataclass(frozen=True)
class Channel:
    id: str
    name: str


@dataclass(frozen=True)
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    reply_broadcast: bool = False
    bot_id: str | None = None
    edited: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_slack(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "message", "user": self.user, "ts": self.ts, "text": self.text}
        if self.bot_id:
            body["bot_id"] = self.bot_id
        if self.blocks:
            body["blocks"] = copy.deepcopy(self.blocks)
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.edited:
            body["edited"] = {"user": self.user, "ts": self.ts}
        if self.files:
            body["files"] = copy.deepcopy(self.files)
        return body


@dataclass(frozen=True)
class Ephemeral:
    """A message only `user` sees; Slack never stores these, so neither history nor replies list them."""

    channel: str
    user: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None


@dataclass(frozen=True)
class View:
    """A modal or App Home as Slack holds it: the app's definition plus what the user has entered."""

    id: str
    user: str
    definition: dict[str, Any]
    hash: str
    state: dict[str, dict[str, dict[str, Any]]]
    root_view_id: str
    previous_view_id: str | None = None
    # Errors the app returned with response_action=errors; Slack shows them under the inputs.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.definition.get("type", ""))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.definition.get("blocks", []))

    def to_slack(self, standin: SlackState) -> dict[str, Any]:
        body = copy.deepcopy(self.definition)
        body.update(
            id=self.id,
            team_id=standin.team_id,
            hash=self.hash,
            state={"values": copy.deepcopy(self.state)},
            private_metadata=self.definition.get("private_metadata", ""),
            callback_id=self.definition.get("callback_id", ""),
            root_view_id=self.root_view_id,
            previous_view_id=self.previous_view_id,
            app_id=standin.app_id,
            app_installed_team_id=standin.team_id,
            bot_id=standin.bot_id,
        )
        return body


@dataclass(frozen=True)
class UploadedFile:
    id: str
    filename: str
    length: int
    title: str = ""
    content: bytes | None = None
    channel: str | None = None
    thread_ts: str | None = None

    def to_slack(self, base_url: str = "") -> dict[str, Any]:
        suffix = self.filename.rsplit(".", 1)[-1].lower() if "." in self.filename else ""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": self.length,
            "filetype": suffix,
            "mimetype": _MIMETYPES.get(suffix, "application/octet-stream"),
        }
        if base_url:
            # Slack serves a file's bytes only with a token that may read files (files:read).
            body["url_private"] = body["url_private_download"] = (
                f"{base_url}/files-pri/{self.id}/download/{self.filename}"
            )
        return body


_MIMETYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "png": "image/png"}


class ChangeKind(StrEnum):
    MESSAGE_POSTED = "message_posted"
    MESSAGE_CHANGED = "message_changed"
    MESSAGE_DELETED = "message_deleted"
    EPHEMERAL_POSTED = "ephemeral_posted"
    EPHEMERAL_CHANGED = "ephemeral_changed"
    EPHEMERAL_DELETED = "ephemeral_deleted"
    VIEW_OPENED = "view_opened"
    VIEW_UPDATED = "view_updated"
    VIEW_CLOSED = "view_closed"
    HOME_PUBLISHED = "home_published"


@dataclass(frozen=True)
class Change:
    """One thing a person in the workspace would notice; the console prints these as they happen."""

    seq: int
    kind: ChangeKind
    subject: Message | Ephemeral | View
