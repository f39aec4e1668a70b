"""The Slack Web API the bot calls, served over `standins.loopback` from the workspace's state.

`SlackStandIn` is a loopback HTTP server that the real `slack_sdk.WebClient(base_url=standin.api_url)`
talks to. It speaks Slack's wire format (form or JSON bodies, bearer tokens, HTTP 200 with
`{"ok": false, "error": ...}`, HTTP 429 when rate limited) and also serves the `response_url`s and
file upload URLs it hands out, since Slack hosts those too.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from standins.loopback import Answer, LoopbackServer, Request, StandIn
from standins.slack.blockkit import MESSAGE_BLOCK_LIMIT, block_errors, with_ids
from standins.slack.model import ChangeKind, Channel, Ephemeral, Message, UploadedFile, User
from standins.slack.state import ApiError, ResponseTarget, SlackState, flag

DEFAULT_USERS = (User("U0ALICE", "alice", "Alice Ames"), User("U0BOB", "bob", "Bob Bell"))
DEFAULT_CHANNELS = (Channel("C0CONTENT", "content"),)

# Arguments that arrive as JSON text inside form bodies.
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")


class _RateLimited(Exception):
    pass


class SlackStandIn(SlackState, StandIn):
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
        super().__init__(
            users=users,
            channels=channels,
            team_id=team_id,
            team_domain=team_domain,
            app_id=app_id,
            bot_id=bot_id,
            bot_user=bot_user,
            clock=clock,
            state_file=state_file,
        )
        self.bot_token = bot_token
        self.posts_per_second_per_channel = posts_per_second_per_channel
        self._response_targets: dict[str, ResponseTarget] = {}
        self._post_times: dict[str, deque[float]] = defaultdict(deque)
        self._server = LoopbackServer(self._handle_http, name="Slack stand-in")
        StandIn.__init__(self, self._server)  # SlackState's __init__ does not chain on
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

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # -- response_urls: Slack hosts them, so they live on this server -------------------------------------

    def issue_response_url(
        self, channel: str, user: str, *, original_ts: str | None = None, original_is_ephemeral: bool = False
    ) -> str:
        with self._cond:
            key = secrets.token_hex(12)
            self._response_targets[key] = ResponseTarget(channel, user, original_ts, original_is_ephemeral)
            return f"{self.base_url}/response/{key}"

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
        if path.startswith("/files-pri/"):
            return self._handle_download(path.removeprefix("/files-pri/"), headers)
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
                    raise ApiError("not_authed")
                if token != self.bot_token:
                    raise ApiError("invalid_auth")
                body = {"ok": True, **handler(args)}
            except ApiError as error:
                body = error.body
            except _RateLimited:
                return Answer.json({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"})
            finally:
                self._cond.notify_all()
        extra = (
            {"X-OAuth-Scopes": "chat:write,commands,files:read,files:write,users:read"}
            if method == "auth.test"
            else {}
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

    def _handle_download(self, rest: str, headers: Mapping[str, str]) -> Answer:
        """A file's bytes at its url_private_download, for a bearer of the bot token. Slack answers an
        unauthorised download with its sign-in page, not an error: a client that forgets the token gets
        HTML, not the file."""
        file_id = rest.split("/", 1)[0]
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._cond:
            self._calls.append(("files-pri", {"file": file_id}))
            upload = self._files.get(file_id)
        if token != self.bot_token:
            return Answer(200, b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", "text/html")
        if upload is None or upload.content is None:
            return Answer(404, b"not found", "text/plain")
        return Answer(200, upload.content, upload.to_slack()["mimetype"])

    def attach_file(self, user: str, filename: str, content: bytes) -> dict[str, Any]:
        """A person picks a file in a modal's file_input: Slack uploads it at once, shares it nowhere,
        and the submission carries its file object (what `Workspace.submit` takes as the input's value)."""
        with self._cond:
            upload = UploadedFile(f"F{next(self._ids):010d}", filename, len(content), content=content)
            self._files[upload.id] = upload
            self._calls.append(("file_input", {"user": user, "filename": filename}))
        return upload.to_slack(self.base_url)

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
            raise ApiError("thread_not_found")
        self._check_rate(channel)
        message = Message(
            channel,
            self._next_ts(),
            self.bot_user.id,
            text,
            blocks,
            thread_ts=thread_ts,
            reply_broadcast=flag(args.get("reply_broadcast")),
            bot_id=self.bot_id,
        )
        self._add_message(message)
        return {"channel": channel, "ts": message.ts, "message": message.to_slack()}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        original = self.message(channel, _required(args, "ts"))
        if original is None:
            raise ApiError("message_not_found")
        if original.bot_id != self.bot_id:
            raise ApiError("cant_update_message")
        text, blocks = self._message_content(args, "chat.update")
        updated = replace(original, text=text, blocks=blocks, edited=True)
        self._swap_message(updated)
        return {"channel": channel, "ts": updated.ts, "text": updated.text, "message": updated.to_slack()}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        user = _required(args, "user")
        if user not in self._users:
            raise ApiError("user_not_in_channel")
        text, blocks = self._message_content(args, "chat.postEphemeral")
        ephemeral = Ephemeral(channel, user, self._next_ts(), text, blocks, args.get("thread_ts") or None)
        self._ephemerals[(channel, user)].append(ephemeral)
        self._change(ChangeKind.EPHEMERAL_POSTED, ephemeral)
        return {"message_ts": ephemeral.ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        message = self.message(channel, _required(args, "message_ts"))
        if message is None:
            raise ApiError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{message.ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(args, "channel"))
        parent = self.message(channel, _required(args, "ts"))
        if parent is None:
            raise ApiError("thread_not_found")
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
            raise ApiError("not_found")
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
            raise ApiError("not_found")
        if args.get("hash") and args["hash"] != current.hash:
            raise ApiError("hash_conflict")
        view = self._new_view(current.user, definition, view_id=current.id, root=current.root_view_id)
        view = replace(view, previous_view_id=current.previous_view_id)
        kind = ChangeKind.HOME_PUBLISHED if view.type == "home" else ChangeKind.VIEW_UPDATED
        self._replace_view(view, kind)
        return {"view": view.to_slack(self)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = _required(args, "user_id")
        if user not in self._users:
            raise ApiError("user_not_found")
        definition = _required(args, "view")
        if definition.get("type") != "home":
            raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be home"]})
        self._check_view(definition)
        current = self._homes.get(user)
        if current is not None and args.get("hash") and args["hash"] != current.hash:
            raise ApiError("hash_conflict")
        view = self._new_view(user, definition, view_id=current.id if current else None)
        self._homes[user] = view
        self._change(ChangeKind.HOME_PUBLISHED, view)
        return {"view": view.to_slack(self)}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(_required(args, "user"))
        if user is None:
            raise ApiError("user_not_found")
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
            raise ApiError("no_such_subteam")
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
                raise ApiError("file_not_found")
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

    def _resolve_channel(self, ref: str) -> str:
        if ref in self._channels:
            return ref
        if ref in self._users:
            return self.dm_channel(ref)
        by_name = next((c.id for c in self._channels.values() if c.name == ref.removeprefix("#")), None)
        if by_name is None:
            raise ApiError("channel_not_found")
        return by_name

    def _message_content(self, args: dict[str, Any], method: str) -> tuple[str, list[dict[str, Any]]]:
        text = args.get("text") or ""
        blocks = args.get("blocks") or []
        if not text and not blocks and not args.get("attachments"):
            raise ApiError("no_text")
        errors = block_errors(blocks, "/blocks", MESSAGE_BLOCK_LIMIT)
        if errors:
            messages = [f"[ERROR] {e}" for e in errors]
            raise ApiError("invalid_blocks", errors=errors, response_metadata={"messages": messages})
        if not text:
            self._warnings.append(
                f"{method} without fallback text (used in notifications and screen readers)"
            )
        return text, with_ids(blocks)

    def _check_rate(self, channel: str) -> None:
        now = self._clock()
        recent = self._post_times[channel]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.posts_per_second_per_channel:
            raise _RateLimited()
        recent.append(now)


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
        raise ApiError(
            "invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {name}"]}
        )
    return value


def _no_more_pages() -> dict[str, Any]:
    return {"response_metadata": {"next_cursor": ""}}
