"""A local Slack: the Web API the bot calls, and a workspace whose people use the bot.

`SlackStandIn` is a loopback HTTP server that the real `slack_sdk.WebClient(base_url=standin.api_url)`
talks to. It speaks Slack's wire format (form or JSON bodies, bearer tokens, HTTP 200 with
`{"ok": false, "error": ...}`, HTTP 429 when rate limited) and keeps the workspace state the bot
changes: messages and threads, ephemerals, modals, App Home views and uploaded files. It also serves
the `response_url`s and file upload URLs it hands out, since Slack hosts those too.

`Workspace` plays the people: it sends the app the signed requests Slack would (slash commands,
button clicks, modal submissions, App Home opens) and applies the app's answers the way Slack's
client does (ack messages, `response_action`s).

Nothing here knows about contentbot; it is a Slack you can run in a test or a terminal.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import httpx

from standins.loopback import Answer, LoopbackServer, Request

T = TypeVar("T")

TRIGGER_TTL_SECONDS = 3.0
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MODAL_STACK_LIMIT = 3
SECTION_TEXT_LIMIT = 3000
SECTION_FIELD_LIMIT = 2000
SECTION_FIELDS_LIMIT = 10
HEADER_TEXT_LIMIT = 150
ACTIONS_ELEMENTS_LIMIT = 25
MODAL_TITLE_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000

# What each stateful element reports in view.state.values, and the field of the element that seeds it.
_STATE_KEYS: dict[str, tuple[str, str]] = {
    "plain_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
}


def state_key(element_type: str) -> str:
    """The key under which Slack reports an element's value in `view.state.values`."""
    return _STATE_KEYS[element_type][0]


def is_multi(element_type: str) -> bool:
    return state_key(element_type).endswith("s")


# ---------------------------------------------------------------------------------------------------
# Workspace state
# ---------------------------------------------------------------------------------------------------


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

    def to_slack(self, standin: SlackStandIn) -> dict[str, Any]:
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

    def to_slack(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": self.length,
        }


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


class _ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.body = {"ok": False, "error": error, **extra}


class _RateLimited(Exception):
    pass


@dataclass
class _ResponseTarget:
    channel: str
    user: str
    # The message holding the clicked button, so replace_original/delete_original know what to change.
    original_ts: str | None = None
    original_is_ephemeral: bool = False


# ---------------------------------------------------------------------------------------------------
# The stand-in
# ---------------------------------------------------------------------------------------------------

DEFAULT_USERS = (User("U0ALICE", "alice", "Alice Ames"), User("U0BOB", "bob", "Bob Bell"))
DEFAULT_CHANNELS = (Channel("C0CONTENT", "content"),)


class SlackStandIn:
    """The Slack Web API and workspace state, served on 127.0.0.1 on a free port."""

    def __init__(
        self,
        bot_token: str = "xoxb-standin",
        *,
        users: Iterable[User] = DEFAULT_USERS,
        channels: Iterable[Channel] = DEFAULT_CHANNELS,
        team_id: str = "T0CONTENT",
        team_domain: str = "contentbot",
        app_id: str = "A0CONTENT",
        bot_id: str = "B0CONTENT",
        bot_user: User = User("U0CONTENTBOT", "contentbot", "contentbot"),
        posts_per_second_per_channel: int = 20,
        clock: Callable[[], float] = time.monotonic,
        state_file: Path | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.team_id = team_id
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_id = bot_id
        self.bot_user = bot_user
        self.posts_per_second_per_channel = posts_per_second_per_channel
        self._clock = clock
        # Re-entrant so wait_for predicates may call the public accessors while holding it.
        self._cond = threading.Condition(threading.RLock())
        self._users = {u.id: u for u in (*users, bot_user)}
        self._channels = {c.id: c for c in channels}
        self._messages: dict[str, list[Message]] = defaultdict(list)
        self._ephemerals: dict[tuple[str, str], list[Ephemeral]] = defaultdict(list)
        self._modals: dict[str, list[View]] = defaultdict(list)
        self._homes: dict[str, View] = {}
        self._files: dict[str, UploadedFile] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._triggers: dict[str, tuple[str, float]] = {}
        self._used_triggers: set[str] = set()
        self._response_targets: dict[str, _ResponseTarget] = {}
        self._post_times: dict[str, deque[float]] = defaultdict(deque)
        self._calls: list[tuple[str, dict[str, Any]]] = []
        self._changes: list[Change] = []
        self._warnings: list[str] = []
        self._ids = itertools.count(1)
        # Messages are what a workspace keeps; with a file they outlive the process, as in Slack.
        # Ephemerals, modals and triggers are gone on reload there too.
        self.state_file = state_file
        # Why the kept messages could not be read back, when they could not.
        self.state_problem: str | None = None
        if state_file is not None and state_file.exists():
            self._load(state_file)
        self._server = LoopbackServer(self._handle_http, name="Slack stand-in")
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        self._server.start()
        return self

    def close(self) -> None:
        self._server.stop()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # -- reading the workspace (all return snapshots, safe to use from any thread) ------------------------

    def users(self) -> list[User]:
        return list(self._users.values())

    def user(self, user_id: str) -> User:
        return self._users[user_id]

    def user_by_name(self, name: str) -> User | None:
        return next((u for u in self._users.values() if name in (u.id, u.name)), None)

    def channel(self, channel_id: str) -> Channel:
        return self._channels[channel_id]

    def channels(self) -> list[Channel]:
        with self._cond:
            return list(self._channels.values())

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages of a channel, oldest first, including replies broadcast to it."""
        with self._cond:
            return [m for m in self._messages[channel] if not m.is_reply or m.reply_broadcast]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """A thread's parent followed by its replies; just the message when it has none."""
        with self._cond:
            return [m for m in self._messages[channel] if ts in (m.ts, m.thread_ts)]

    def message(self, channel: str, ts: str) -> Message | None:
        with self._cond:
            return next((m for m in self._messages[channel] if m.ts == ts), None)

    def ephemerals(self, channel: str, user: str) -> list[Ephemeral]:
        with self._cond:
            return list(self._ephemerals[(channel, user)])

    def modals(self, user: str) -> list[View]:
        """The user's modal stack, bottom first; the last one is the one on screen."""
        with self._cond:
            return list(self._modals[user])

    def view(self, view_id: str) -> View | None:
        with self._cond:
            return self._find_view(view_id)

    def home(self, user: str) -> View | None:
        with self._cond:
            return self._homes.get(user)

    def files(self) -> list[UploadedFile]:
        with self._cond:
            return list(self._files.values())

    def calls(self, method: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Every Web API call (and response_url post, as "response_url") in order, with its arguments."""
        with self._cond:
            return [(m, copy.deepcopy(a)) for m, a in self._calls if method is None or m == method]

    def warnings(self) -> list[str]:
        """Things Slack accepts but complains about, such as blocks without fallback `text`."""
        with self._cond:
            return list(self._warnings)

    @property
    def cursor(self) -> int:
        """Pass to `changes(since=...)` later to get only what happened after now."""
        with self._cond:
            return len(self._changes)

    def changes(self, since: int = 0) -> list[Change]:
        with self._cond:
            return self._changes[since:]

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until `predicate()` is truthy and return it; Bolt runs listeners after the ack, elsewhere."""
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
        if not result:
            raise TimeoutError(f"condition not met within {timeout}s")
        return result

    # -- what the Workspace asks of Slack's servers ------------------------------------------------------

    def issue_trigger_id(self, user: str) -> str:
        with self._cond:
            trigger_id = f"{next(self._ids)}.{self.team_id}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = (user, self._clock())
            return trigger_id

    def issue_response_url(
        self, channel: str, user: str, *, original_ts: str | None = None, original_is_ephemeral: bool = False
    ) -> str:
        with self._cond:
            key = secrets.token_hex(12)
            self._response_targets[key] = _ResponseTarget(channel, user, original_ts, original_is_ephemeral)
            return f"{self.base_url}/response/{key}"

    def dm_channel(self, user: str) -> str:
        """The app's direct-message channel with `user`, opened on first use as Slack does."""
        with self._cond:
            channel_id = f"D{user[1:]}"
            self._channels.setdefault(channel_id, Channel(channel_id, user))
            return channel_id

    def set_usergroup(self, group_id: str, user_ids: Iterable[str]) -> None:
        """Create or replace the user group `group_id` (S...) with these members."""
        with self._cond:
            self._usergroups[group_id] = list(user_ids)

    def seed_message(self, channel: str, user: str, text: str, *, thread_ts: str | None = None) -> Message:
        """A message a person wrote, for tests that need one the bot did not post."""
        with self._cond:
            message = Message(channel, self._next_ts(), user, text, thread_ts=thread_ts)
            self._add_message(message)
            return message

    def respond(self, response_url: str, payload: Mapping[str, Any]) -> tuple[int, str]:
        """Apply a message posted to a response_url; also used for slash-command ack bodies."""
        key = response_url.rstrip("/").rsplit("/", 1)[-1]
        with self._cond:
            self._calls.append(("response_url", copy.deepcopy(dict(payload))))
            target = self._response_targets.get(key)
            if target is None:
                return 404, "invalid_token"
            self._apply_response(target, payload)
            self._cond.notify_all()
            return 200, "ok"

    def record_view_errors(self, view_id: str, errors: Mapping[str, str]) -> None:
        with self._cond:
            view = self._require_view(view_id)
            self._replace_view(replace(view, errors=dict(errors)), ChangeKind.VIEW_UPDATED)

    def set_view_state(self, view_id: str, state: Mapping[str, Mapping[str, dict[str, Any]]]) -> View:
        with self._cond:
            view = self._require_view(view_id)
            merged = copy.deepcopy(view.state)
            for block_id, actions in state.items():
                merged.setdefault(block_id, {}).update(copy.deepcopy(dict(actions)))
            updated = replace(view, state=merged)
            self._replace_view(updated, None)
            return updated

    def replace_top_modal(self, user: str, definition: Mapping[str, Any]) -> View:
        """response_action=update: the view on screen takes the new definition and keeps its id."""
        with self._cond:
            self._check_view(definition)
            top = self._modals[user][-1]
            view = self._new_view(user, definition, view_id=top.id, root=top.root_view_id)
            view = replace(view, previous_view_id=top.previous_view_id)
            self._replace_view(view, ChangeKind.VIEW_UPDATED)
            return view

    def push_modal(self, user: str, definition: Mapping[str, Any]) -> View:
        """response_action=push, or views.push."""
        with self._cond:
            self._check_view(definition)
            stack = self._modals[user]
            if len(stack) >= MODAL_STACK_LIMIT:
                raise _ApiError("push_limit_reached")
            view = self._new_view(user, definition, root=stack[0].id if stack else None)
            view = replace(view, previous_view_id=stack[-1].id if stack else None)
            stack.append(view)
            self._change(ChangeKind.VIEW_OPENED, view)
            return view

    def close_modals(self, user: str, *, all_views: bool) -> list[View]:
        """Close the top modal (or the whole stack, for response_action=clear); returns what closed."""
        with self._cond:
            stack = self._modals[user]
            closed = stack[:] if all_views else stack[-1:]
            del stack[len(stack) - len(closed) :]
            for view in reversed(closed):
                self._change(ChangeKind.VIEW_CLOSED, view)
            return closed

    # -- HTTP -------------------------------------------------------------------------------------------

    def _handle_http(self, http: Request) -> Answer:
        path, query, headers, raw = http.path, http.query, http.headers, http.body
        if path.startswith("/api/"):
            return self._handle_api(path.removeprefix("/api/"), query, headers, raw)
        if path.startswith("/response/"):
            status, text = self.respond(path, json.loads(raw or b"{}"))
            return Answer(status, text.encode(), "text/plain")
        if path.startswith("/upload/"):
            return self._handle_upload(path.removeprefix("/upload/"), raw)
        return Answer(404, b"not found", "text/plain")

    def _handle_api(self, method: str, query: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        handler = self._methods.get(method)
        if handler is None:
            return Answer.json({"ok": False, "error": "unknown_method", "req_method": method})
        try:
            args = _parse_args(query, headers.get("content-type", ""), raw)
        except ValueError:
            return Answer.json({"ok": False, "error": "invalid_form_data"})
        token = headers.get("authorization", "").removeprefix("Bearer ").strip() or args.pop("token", "")
        args.pop("token", None)
        with self._cond:
            self._calls.append((method, copy.deepcopy(args)))
            try:
                if not token:
                    raise _ApiError("not_authed")
                if token != self.bot_token:
                    raise _ApiError("invalid_auth")
                body = {"ok": True, **handler(args)}
            except _ApiError as error:
                body = error.body
            except _RateLimited:
                return Answer.json({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"})
            finally:
                self._cond.notify_all()
        extra = (
            {"X-OAuth-Scopes": "chat:write,commands,files:write,users:read"} if method == "auth.test" else {}
        )
        return Answer.json(body, 200, extra)

    def _handle_upload(self, file_id: str, raw: bytes) -> Answer:
        with self._cond:
            upload = self._files.get(file_id)
            if upload is None:
                return Answer(404, b"not found", "text/plain")
            self._files[file_id] = replace(upload, content=bytes(raw))
            self._cond.notify_all()
        return Answer(200, f"OK - {len(raw)}".encode(), "text/plain")

    # -- Web API methods (called with the lock held) -----------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": self.bot_user.name,
            "team_id": self.team_id,
            "user_id": self.bot_user.id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        text, blocks = self._message_content(args, "chat.postMessage")
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None and self.message(channel, thread_ts) is None:
            raise _ApiError("thread_not_found")
        self._check_rate(channel)
        message = Message(
            channel,
            self._next_ts(),
            self.bot_user.id,
            text,
            blocks,
            thread_ts=thread_ts,
            reply_broadcast=_flag(args.get("reply_broadcast")),
            bot_id=self.bot_id,
        )
        self._add_message(message)
        return {"channel": channel, "ts": message.ts, "message": message.to_slack()}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        original = self.message(channel, _required(args, "ts"))
        if original is None:
            raise _ApiError("message_not_found")
        if original.bot_id != self.bot_id:
            raise _ApiError("cant_update_message")
        text, blocks = self._message_content(args, "chat.update")
        updated = replace(original, text=text, blocks=blocks, edited=True)
        self._swap_message(updated)
        return {"channel": channel, "ts": updated.ts, "text": updated.text, "message": updated.to_slack()}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        user = _required(args, "user")
        if user not in self._users:
            raise _ApiError("user_not_in_channel")
        text, blocks = self._message_content(args, "chat.postEphemeral")
        ephemeral = Ephemeral(channel, user, self._next_ts(), text, blocks, args.get("thread_ts") or None)
        self._ephemerals[(channel, user)].append(ephemeral)
        self._change(ChangeKind.EPHEMERAL_POSTED, ephemeral)
        return {"message_ts": ephemeral.ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        message = self.message(channel, _required(args, "message_ts"))
        if message is None:
            raise _ApiError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{message.ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        parent = self.message(channel, _required(args, "ts"))
        if parent is None:
            raise _ApiError("thread_not_found")
        thread = self.thread(channel, parent.thread_ts or parent.ts)
        return {"messages": [m.to_slack() for m in thread], "has_more": False, **_no_more_pages()}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        newest_first = list(reversed(self.messages(channel)))
        limit = int(args.get("limit") or 100)
        page = newest_first[:limit]
        return {
            "messages": [m.to_slack() for m in page],
            "has_more": len(newest_first) > limit,
            **_no_more_pages(),
        }

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._redeem_trigger(_required(args, "trigger_id"))
        definition = _required(args, "view")
        self._check_view(definition)
        for view in self.close_modals(user, all_views=True):
            self._warnings.append(f"views.open replaced modal {view.id} that was still open")
        return {"view": self.push_modal(user, definition).to_slack(self)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._redeem_trigger(_required(args, "trigger_id"))
        if not self._modals[user]:
            raise _ApiError("not_found")
        return {"view": self.push_modal(user, _required(args, "view")).to_slack(self)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        definition = _required(args, "view")
        self._check_view(definition)
        if args.get("view_id"):
            current = self._find_view(args["view_id"])
        else:
            external_id = _required(args, "external_id")
            current = next(
                (v for v in self._all_views() if v.definition.get("external_id") == external_id), None
            )
        if current is None:
            raise _ApiError("not_found")
        if args.get("hash") and args["hash"] != current.hash:
            raise _ApiError("hash_conflict")
        view = self._new_view(current.user, definition, view_id=current.id, root=current.root_view_id)
        view = replace(view, previous_view_id=current.previous_view_id)
        kind = ChangeKind.HOME_PUBLISHED if view.type == "home" else ChangeKind.VIEW_UPDATED
        self._replace_view(view, kind)
        return {"view": view.to_slack(self)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = _required(args, "user_id")
        if user not in self._users:
            raise _ApiError("user_not_found")
        definition = _required(args, "view")
        if definition.get("type") != "home":
            raise _ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be home"]})
        self._check_view(definition)
        current = self._homes.get(user)
        if current is not None and args.get("hash") and args["hash"] != current.hash:
            raise _ApiError("hash_conflict")
        view = self._new_view(user, definition, view_id=current.id if current else None)
        self._homes[user] = view
        self._change(ChangeKind.HOME_PUBLISHED, view)
        return {"view": view.to_slack(self)}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(_required(args, "user"))
        if user is None:
            raise _ApiError("user_not_found")
        real_name = user.real_name or user.name
        return {
            "user": {
                "id": user.id,
                "team_id": self.team_id,
                "name": user.name,
                "deleted": False,
                "real_name": real_name,
                "tz": "UTC",
                "is_bot": user.id == self.bot_user.id,
                "is_admin": False,
                "profile": {"real_name": real_name, "display_name": user.name},
            }
        }

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = self._usergroups.get(_required(args, "usergroup"))
        if members is None:
            raise _ApiError("no_such_subteam")
        return {"users": list(members)}

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = _required(args, "filename")
        length = int(_required(args, "length"))
        upload = UploadedFile(f"F{next(self._ids):010d}", filename, length)
        self._files[upload.id] = upload
        return {"upload_url": f"{self.base_url}/upload/{upload.id}", "file_id": upload.id}

    def _files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel_id") or None
        if channel is not None:
            channel = self._resolve_channel(channel)
        completed = []
        for item in _required(args, "files"):
            upload = self._files.get(item.get("id", ""))
            if upload is None or upload.content is None:
                raise _ApiError("file_not_found")
            upload = replace(upload, title=item.get("title") or upload.filename, channel=channel)
            upload = replace(upload, thread_ts=args.get("thread_ts") or None)
            self._files[upload.id] = upload
            completed.append(upload)
        if channel is not None:
            share = Message(
                channel,
                self._next_ts(),
                self.bot_user.id,
                args.get("initial_comment", ""),
                thread_ts=args.get("thread_ts") or None,
                bot_id=self.bot_id,
                files=[f.to_slack() for f in completed],
            )
            self._add_message(share)
        return {"files": [f.to_slack() for f in completed]}

    # -- helpers (lock held) ----------------------------------------------------------------------------

    def _next_ts(self) -> str:
        micros = _TS_EPOCH + next(self._ids) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _change(self, kind: ChangeKind, subject: Message | Ephemeral | View) -> None:
        self._changes.append(Change(len(self._changes) + 1, kind, subject))
        if self.state_file is not None and isinstance(subject, Message):
            self._save(self.state_file)
        self._cond.notify_all()

    def _save(self, path: Path) -> None:
        state = {
            "channels": [asdict(c) for c in self._channels.values()],
            "messages": [asdict(m) for messages in self._messages.values() for m in messages],
        }
        # Written whole, then renamed: a process killed mid-write leaves the last good file.
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(state))
        os.replace(partial, path)

    def _load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text())
            channels = [Channel(**channel) for channel in state["channels"]]
            messages = [Message(**message) for message in state["messages"]]
            last = max((_ts_number(m.ts) for m in messages), default=0)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Set aside, not deleted: starting empty beats refusing to start, and nothing is lost.
            aside = path.with_name(path.name + ".unreadable")
            os.replace(path, aside)
            self.state_problem = f"{path} could not be read ({exc}); it is now {aside}."
            return
        for channel in channels:
            self._channels.setdefault(channel.id, channel)
        for message in messages:
            self._messages[message.channel].append(message)
        # New timestamps and ids continue after the kept ones, as Slack's clock would.
        self._ids = itertools.count(last + 1)

    def kept_messages(self) -> dict[str, int]:
        """How many messages each channel holds, by channel id: after a restart, what was kept."""
        with self._cond:
            return {channel: len(found) for channel, found in self._messages.items() if found}

    def _resolve_channel(self, ref: str) -> str:
        if ref in self._channels:
            return ref
        if ref in self._users:
            return self.dm_channel(ref)
        by_name = next((c.id for c in self._channels.values() if c.name == ref.removeprefix("#")), None)
        if by_name is None:
            raise _ApiError("channel_not_found")
        return by_name

    def _message_content(self, args: dict[str, Any], method: str) -> tuple[str, list[dict[str, Any]]]:
        text = args.get("text") or ""
        blocks = args.get("blocks") or []
        if not text and not blocks and not args.get("attachments"):
            raise _ApiError("no_text")
        errors = _block_errors(blocks, "/blocks", MESSAGE_BLOCK_LIMIT)
        if errors:
            messages = [f"[ERROR] {e}" for e in errors]
            raise _ApiError("invalid_blocks", errors=errors, response_metadata={"messages": messages})
        if not text:
            self._warnings.append(
                f"{method} without fallback text (used in notifications and screen readers)"
            )
        return text, _with_ids(blocks)

    def _check_rate(self, channel: str) -> None:
        now = self._clock()
        recent = self._post_times[channel]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.posts_per_second_per_channel:
            raise _RateLimited()
        recent.append(now)

    def _add_message(self, message: Message) -> None:
        self._messages[message.channel].append(message)
        self._change(ChangeKind.MESSAGE_POSTED, message)

    def _swap_message(self, message: Message) -> None:
        messages = self._messages[message.channel]
        index = next(i for i, m in enumerate(messages) if m.ts == message.ts)
        messages[index] = message
        self._change(ChangeKind.MESSAGE_CHANGED, message)

    def _apply_response(self, target: _ResponseTarget, payload: Mapping[str, Any]) -> None:
        channel, user, ts = target.channel, target.user, target.original_ts
        if ts is not None and target.original_is_ephemeral:
            ephemerals = self._ephemerals[(channel, user)]
            index = next((i for i, e in enumerate(ephemerals) if e.ts == ts), None)
            if index is not None and _flag(payload.get("delete_original")):
                self._change(ChangeKind.EPHEMERAL_DELETED, ephemerals.pop(index))
                return
            if index is not None and _flag(payload.get("replace_original")):
                new = replace(ephemerals[index], text=payload.get("text", ""), blocks=_blocks_of(payload))
                ephemerals[index] = new
                self._change(ChangeKind.EPHEMERAL_CHANGED, new)
                return
        elif ts is not None and (original := self.message(channel, ts)) is not None:
            if _flag(payload.get("delete_original")):
                self._messages[channel].remove(original)
                self._change(ChangeKind.MESSAGE_DELETED, original)
                return
            if _flag(payload.get("replace_original")):
                self._swap_message(
                    replace(original, text=payload.get("text", ""), blocks=_blocks_of(payload))
                )
                return
        thread_ts = payload.get("thread_ts") or None
        if payload.get("response_type") == "in_channel":
            message = Message(
                channel,
                self._next_ts(),
                self.bot_user.id,
                payload.get("text", ""),
                _blocks_of(payload),
                thread_ts=thread_ts,
                bot_id=self.bot_id,
            )
            self._add_message(message)
        else:
            ephemeral = Ephemeral(
                channel, user, self._next_ts(), payload.get("text", ""), _blocks_of(payload)
            )
            self._ephemerals[(channel, user)].append(ephemeral)
            self._change(ChangeKind.EPHEMERAL_POSTED, ephemeral)

    def _redeem_trigger(self, trigger_id: str) -> str:
        issued = self._triggers.get(trigger_id)
        if issued is None:
            raise _ApiError("invalid_trigger_id")
        if trigger_id in self._used_triggers:
            raise _ApiError("exchanged_trigger_id")
        user, issued_at = issued
        if self._clock() - issued_at > TRIGGER_TTL_SECONDS:
            raise _ApiError("expired_trigger_id")
        self._used_triggers.add(trigger_id)
        return user

    def _check_view(self, definition: Mapping[str, Any]) -> None:
        errors = _block_errors(definition.get("blocks", []), "/view/blocks", VIEW_BLOCK_LIMIT)
        if definition.get("type") == "modal":
            title = (definition.get("title") or {}).get("text", "")
            if not title:
                errors.append("missing required field: title [json-pointer:/view/title]")
            elif len(title) > MODAL_TITLE_LIMIT:
                errors.append(
                    f"must be less than {MODAL_TITLE_LIMIT} characters [json-pointer:/view/title/text]"
                )
        if len(definition.get("private_metadata", "")) > PRIVATE_METADATA_LIMIT:
            limit = PRIVATE_METADATA_LIMIT + 1
            errors.append(f"must be less than {limit} characters [json-pointer:/view/private_metadata]")
        if errors:
            # Views report bad blocks as invalid_arguments, not invalid_blocks as messages do.
            raise _ApiError(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
            )

    def _new_view(
        self, user: str, definition: Mapping[str, Any], *, view_id: str | None = None, root: str | None = None
    ) -> View:
        definition = dict(copy.deepcopy(definition))
        definition["blocks"] = _with_ids(definition.get("blocks", []))
        view_id = view_id or f"V{next(self._ids):010d}"
        return View(
            id=view_id,
            user=user,
            definition=definition,
            hash=f"{next(self._ids)}.{secrets.token_hex(4)}",
            state=_initial_state(definition["blocks"]),
            root_view_id=root or view_id,
        )

    def _all_views(self) -> list[View]:
        return [v for stack in self._modals.values() for v in stack] + list(self._homes.values())

    def _find_view(self, view_id: str) -> View | None:
        return next((v for v in self._all_views() if v.id == view_id), None)

    def _require_view(self, view_id: str) -> View:
        view = self._find_view(view_id)
        if view is None:
            raise KeyError(f"no open view {view_id}")
        return view

    def _replace_view(self, view: View, kind: ChangeKind | None) -> None:
        if view.type == "home":
            self._homes[view.user] = view
        else:
            stack = self._modals[view.user]
            stack[next(i for i, v in enumerate(stack) if v.id == view.id)] = view
        if kind is not None:
            self._change(kind, view)


# ---------------------------------------------------------------------------------------------------
# Wire-format helpers
# ---------------------------------------------------------------------------------------------------


_TS_EPOCH = 1_700_000_000_000_000  # microseconds; message timestamps count up from here


def _ts_number(ts: str) -> int:
    seconds, _, micros = ts.partition(".")
    return (int(seconds) * 1_000_000 + int(micros) - _TS_EPOCH) // 100


# Arguments that arrive as JSON text inside form bodies.
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")


def _parse_args(query: str, content_type: str, raw: bytes) -> dict[str, Any]:
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if content_type.startswith("application/json"):
        args.update(json.loads(raw or b"{}"))
    elif content_type.startswith("application/x-www-form-urlencoded") or not raw:
        args.update(parse_qsl(raw.decode(), keep_blank_values=True))
    else:
        raise ValueError(f"unsupported content type {content_type!r}")
    for name in _JSON_FIELDS:
        if isinstance(args.get(name), str) and args[name]:
            args[name] = json.loads(args[name])
    return args


def _required(args: Mapping[str, Any], name: str) -> Any:
    value = args.get(name)
    if value in (None, ""):
        raise _ApiError(
            "invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {name}"]}
        )
    return value


def _flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _no_more_pages() -> dict[str, Any]:
    return {"response_metadata": {"next_cursor": ""}}


def _blocks_of(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks = payload.get("blocks") or []
    return _with_ids(json.loads(blocks) if isinstance(blocks, str) else blocks)


def _block_errors(blocks: list[dict[str, Any]], pointer: str, limit: int) -> list[str]:
    errors = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        kind = block.get("type")
        if not kind:
            errors.append(f"missing required field: type [json-pointer:{at}]")
        if "block_id" in block:
            if block["block_id"] in seen_ids:
                errors.append(f"duplicate block_id {block['block_id']!r} [json-pointer:{at}/block_id]")
            seen_ids.add(block["block_id"])
        if kind == "section":
            if len((block.get("text") or {}).get("text", "")) > SECTION_TEXT_LIMIT:
                errors.append(
                    f"must be less than {SECTION_TEXT_LIMIT + 1} characters [json-pointer:{at}/text/text]"
                )
            fields = block.get("fields") or []
            if len(fields) > SECTION_FIELDS_LIMIT:
                errors.append(f"no more than {SECTION_FIELDS_LIMIT} items allowed [json-pointer:{at}/fields]")
            for j, item in enumerate(fields):
                if len(item.get("text", "")) > SECTION_FIELD_LIMIT:
                    limit_text = f"must be less than {SECTION_FIELD_LIMIT + 1} characters"
                    errors.append(f"{limit_text} [json-pointer:{at}/fields/{j}/text]")
        elif kind == "header" and len((block.get("text") or {}).get("text", "")) > HEADER_TEXT_LIMIT:
            errors.append(
                f"must be less than {HEADER_TEXT_LIMIT + 1} characters [json-pointer:{at}/text/text]"
            )
        elif kind == "actions" and len(block.get("elements") or []) > ACTIONS_ELEMENTS_LIMIT:
            errors.append(f"no more than {ACTIONS_ELEMENTS_LIMIT} items allowed [json-pointer:{at}/elements]")
    return errors


def interactive_elements(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The elements of a block a person can press, pick or type into, in display order."""
    if block.get("type") == "actions":
        return list(block.get("elements") or [])
    if block.get("type") == "section" and block.get("accessory"):
        return [block["accessory"]]
    if block.get("type") == "input" and block.get("element"):
        return [block["element"]]
    return []


def _with_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in the block_ids and action_ids the app left out, as Slack does before storing blocks."""
    blocks = copy.deepcopy(blocks)
    for i, block in enumerate(blocks):
        block.setdefault("block_id", _short_hash(i, block))
        for j, element in enumerate(interactive_elements(block)):
            if element.get("type") not in ("image", None):
                element.setdefault("action_id", _short_hash(j, element))
    return blocks


def _short_hash(index: int, item: Mapping[str, Any]) -> str:
    return hashlib.sha1(f"{index}:{json.dumps(item, sort_keys=True)}".encode()).hexdigest()[:5]


def _initial_state(blocks: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in blocks:
        element = block.get("element") if block.get("type") == "input" else None
        if element is None or element.get("type") not in _STATE_KEYS:
            continue
        key, initial = _STATE_KEYS[element["type"]]
        empty: Any = [] if is_multi(element["type"]) else None
        value = copy.deepcopy(element.get(initial, empty))
        values[block["block_id"]] = {element["action_id"]: {"type": element["type"], key: value}}
    return values


def _signature(signing_secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------------
# The people: requests Slack sends the app on their behalf
# ---------------------------------------------------------------------------------------------------

# Slack's client refuses to submit a modal with an empty required input, so the app never sees one.
REQUIRED_FIELD_ERROR = "Please complete this required field."


@dataclass(frozen=True)
class Reply:
    """The app's HTTP answer; `status` is None when Slack's client would not have sent the request."""

    status: int | None
    body: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip().startswith("{") else None


class Workspace:
    """Sends the app what Slack sends when people use it, signed, to `{app_url}/slack/events`.

    `sign=False`, a wrong `signing_secret` or a `timestamp_offset` (seconds) make requests the app
    must reject.
    """

    def __init__(
        self,
        standin: SlackStandIn,
        *,
        app_url: str,
        signing_secret: str,
        sign: bool = True,
        timestamp_offset: int = 0,
        verification_token: str = "legacy-verification-token",
        timeout: float = 10.0,
    ) -> None:
        self.standin = standin
        self.events_url = app_url.rstrip("/") + "/slack/events"
        self._signing_secret = signing_secret
        self._sign = sign
        self._timestamp_offset = timestamp_offset
        self.last_sent: tuple[str, str, dict[str, str]] = ("", "", {})
        # Slack still sends the deprecated verification token in every payload.
        self._token = verification_token
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def slash(self, user: str, text: str, *, command: str = "/content", channel: str | None = None) -> Reply:
        channel = channel or self.standin.channels()[0].id
        response_url = self.standin.issue_response_url(channel, user)
        form = {
            "token": self._token,
            "team_id": self.standin.team_id,
            "team_domain": self.standin.team_domain,
            "channel_id": channel,
            "channel_name": self.standin.channel(channel).name,
            "user_id": user,
            "user_name": self.standin.user(user).name,
            "command": command,
            "text": text,
            "api_app_id": self.standin.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self.standin.issue_trigger_id(user),
        }
        reply = self._post(urlencode(form), "application/x-www-form-urlencoded")
        # Slack shows a slash command's ack body as a response: plain text, or a JSON message that is
        # ephemeral unless it says in_channel.
        if reply.status == 200 and reply.body.strip():
            self.standin.respond(response_url, reply.json() or {"text": reply.body})
        return reply

    def click(
        self,
        user: str,
        *,
        action_id: str,
        value: str | None = None,
        message: tuple[str, str] | None = None,
        view_id: str | None = None,
        block_id: str | None = None,
    ) -> Reply:
        """Press a button (or pick `value` in a select) on a message `(channel, ts)` or in a view.

        Without `block_id` it is the first control with `action_id`; a list with one button per
        item repeats the action_id in each item's block, and `block_id` says which item's.
        """
        if (message is None) == (view_id is None):
            raise ValueError("click needs exactly one of message=(channel, ts) or view_id=")
        payload: dict[str, Any] = {"type": "block_actions", **self._who(user)}
        if message is not None:
            channel, ts = message
            blocks, surface = self._message_surface(user, channel, ts)
            is_ephemeral = surface is None
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            }
            payload["channel"] = {"id": channel, "name": self.standin.channel(channel).name}
            if surface is not None:
                payload["message"] = surface
            payload["state"] = {"values": {}}
            payload["response_url"] = self.standin.issue_response_url(
                channel, user, original_ts=ts, original_is_ephemeral=is_ephemeral
            )
        else:
            view = self._view(view_id)
            blocks = view.blocks
            payload["container"] = {"type": "view", "view_id": view.id}
            payload["view"] = view.to_slack(self.standin)
            payload["state"] = {"values": view.state}
        found_in, element = _find_element(blocks, action_id, block_id)
        payload["actions"] = [_action(found_in, element, value)]
        return self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def submit(self, user: str, view_id: str, values: Mapping[str, Mapping[str, Any]] | None = None) -> Reply:
        """Submit the modal on screen; `values` are Slack-typed state entries by block_id, then action_id."""
        stack = self.standin.modals(user)
        if not stack or stack[-1].id != view_id:
            raise LookupError(f"{view_id} is not the modal {user} has on screen")
        for block_id, actions in (values or {}).items():
            for action_id in actions:
                if action_id not in stack[-1].state.get(block_id, {}):
                    raise LookupError(f"the modal has no input {block_id}/{action_id}")
        view = self.standin.set_view_state(view_id, values or {})
        missing = _missing_required(view)
        if missing:
            self.standin.record_view_errors(view_id, missing)
            return Reply(None, errors=missing)
        payload = {"type": "view_submission", **self._who(user), "view": view.to_slack(self.standin)}
        payload["response_urls"] = []
        reply = self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        if reply.status != 200:
            return reply  # Slack says it could not reach the app and leaves the modal as it was
        ack = reply.json() or {}
        action = ack.get("response_action")
        if action == "errors":
            self.standin.record_view_errors(view_id, ack.get("errors", {}))
            return replace(reply, errors=ack.get("errors", {}))
        if action == "update":
            self.standin.replace_top_modal(user, ack["view"])
        elif action == "push":
            self.standin.push_modal(user, ack["view"])
        else:
            self.standin.close_modals(user, all_views=action == "clear")
        return reply

    def cancel(self, user: str, view_id: str) -> Reply | None:
        """Close the modal on screen; the app hears of it only when the view asked for notify_on_close."""
        view = self._view(view_id)
        self.standin.close_modals(user, all_views=bool(view.definition.get("clear_on_close")))
        if not view.definition.get("notify_on_close"):
            return None
        payload = {
            "type": "view_closed",
            **self._who(user),
            "view": view.to_slack(self.standin),
            "is_cleared": False,
        }
        return self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def open_home(self, user: str) -> Reply:
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.standin.dm_channel(user),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        home = self.standin.home(user)
        if home is not None:
            event["view"] = home.to_slack(self.standin)
        body = {
            "token": self._token,
            "team_id": self.standin.team_id,
            "context_team_id": self.standin.team_id,
            "api_app_id": self.standin.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.standin.team_id,
                    "user_id": self.standin.bot_user.id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return self._post(json.dumps(body), "application/json")

    # -- internals ----------------------------------------------------------------------------------

    def _who(self, user: str) -> dict[str, Any]:
        """The fields every interactivity payload carries about who acted, where, and a fresh trigger."""
        name = self.standin.user(user).name
        return {
            "user": {"id": user, "username": name, "name": name, "team_id": self.standin.team_id},
            "api_app_id": self.standin.app_id,
            "token": self._token,
            "trigger_id": self.standin.issue_trigger_id(user),
            "team": {"id": self.standin.team_id, "domain": self.standin.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _message_surface(self, user: str, channel: str, ts: str) -> tuple[list[dict[str, Any]], dict | None]:
        """The message's blocks and its payload form; ephemerals have no payload form in Slack's actions."""
        message = self.standin.message(channel, ts)
        if message is not None:
            return message.blocks, message.to_slack()
        ephemeral = next((e for e in self.standin.ephemerals(channel, user) if e.ts == ts), None)
        if ephemeral is None:
            raise LookupError(f"{user} sees no message {ts} in {channel}")
        return ephemeral.blocks, None

    def _view(self, view_id: str | None) -> View:
        view = self.standin.view(view_id or "")
        if view is None:
            raise LookupError(f"no open view {view_id}")
        return view

    def _post(self, body: str, content_type: str, extra: Mapping[str, str] | None = None) -> Reply:
        timestamp = str(int(time.time()) + self._timestamp_offset)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, **(extra or {})}
        if self._sign:
            headers["X-Slack-Signature"] = _signature(self._signing_secret, timestamp, body)
        self.last_sent = (body, content_type, headers)
        response = self._http.post(self.events_url, content=body.encode(), headers=headers)
        return Reply(response.status_code, response.text)

    def replay(self) -> Reply:
        """Send the last request again, byte for byte and with its signature: what an attacker who
        captured it could do within Slack's five minutes."""
        body, _, headers = self.last_sent
        response = self._http.post(self.events_url, content=body.encode(), headers=headers)
        return Reply(response.status_code, response.text)

    def retry(self, number: int = 1, reason: str = "http_timeout") -> Reply:
        """Send the last request again as Slack resends an event it thinks was missed: newly signed,
        with X-Slack-Retry-Num and X-Slack-Retry-Reason."""
        body, content_type, _ = self.last_sent
        return self._post(
            body, content_type, {"X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": reason}
        )


def _find_element(
    blocks: list[dict[str, Any]], action_id: str, block_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    for block in blocks:
        if block_id is not None and block["block_id"] != block_id:
            continue
        for element in interactive_elements(block):
            if element.get("action_id") == action_id:
                return block["block_id"], element
    raise LookupError(f"nothing with action_id {action_id!r} to press here")


def _action(block_id: str, element: Mapping[str, Any], value: str | None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": element["action_id"],
        "block_id": block_id,
        "type": element["type"],
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":
        action["text"] = element.get("text")
        action["value"] = value if value is not None else element.get("value")
        if "style" in element:
            action["style"] = element["style"]
    elif "options" in element:
        option = next((o for o in element["options"] if o.get("value") == value), None)
        if option is None:
            raise LookupError(f"{element['action_id']!r} has no option {value!r}")
        action["selected_option"] = option
    else:
        action["value"] = value
    return action


def _missing_required(view: View) -> dict[str, str]:
    missing = {}
    for block in view.blocks:
        if block.get("type") != "input" or block.get("optional"):
            continue
        entry = next(iter(view.state.get(block["block_id"], {}).values()), None)
        if entry is not None and all(v in (None, "", []) for k, v in entry.items() if k != "type"):
            missing[block["block_id"]] = REQUIRED_FIELD_ERROR
    return missing
