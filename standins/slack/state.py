"""The workspace's state as Slack's servers keep it: channels, messages and threads, ephemerals,
modal stacks and App Home views, uploaded files, triggers, and the change feed the console follows.

One lock guards it all, because three kinds of thread touch it at once: the HTTP server answering
the app, the `Workspace` acting for people, and a test or the console reading. Every reader returns
a snapshot. The Web API (`standins.slack.webapi`) is this state served over HTTP.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import secrets
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from standins.slack.blockkit import initial_state, view_errors, with_ids
from standins.slack.model import Change, ChangeKind, Channel, Ephemeral, Message, UploadedFile, User, View

T = TypeVar("T")

TRIGGER_TTL_SECONDS = 3.0
MODAL_STACK_LIMIT = 3

_TS_EPOCH = 1_700_000_000_000_000  # microseconds; message timestamps count up from here


class ApiError(Exception):
    """Slack refusing a call; here because changes the people make (a pushed modal) are refused too."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.body = {"ok": False, "error": error, **extra}


@dataclass
class ResponseTarget:
    """Where a response_url's messages go: the Web API issues the URL, the state applies what is posted."""

    channel: str
    user: str
    # The message holding the clicked button, so replace_original/delete_original know what to change.
    original_ts: str | None = None
    original_is_ephemeral: bool = False


class SlackState:
    """The state of one workspace with the app installed; `SlackStandIn` serves it."""

    def __init__(
        self,
        *,
        users: Iterable[User],
        channels: Iterable[Channel],
        team_id: str,
        team_domain: str,
        app_id: str,
        bot_id: str,
        bot_user: User,
        clock: Callable[[], float],
        state_file: Path | None,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_id = bot_id
        self.bot_user = bot_user
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

    def kept_messages(self) -> dict[str, int]:
        """How many messages each channel holds, by channel id: after a restart, what was kept."""
        with self._cond:
            return {channel: len(found) for channel, found in self._messages.items() if found}

    # -- what the Workspace asks of Slack's servers ------------------------------------------------------

    def issue_trigger_id(self, user: str) -> str:
        with self._cond:
            trigger_id = f"{next(self._ids)}.{self.team_id}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = (user, self._clock())
            return trigger_id

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
                raise ApiError("push_limit_reached")
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

    def _add_message(self, message: Message) -> None:
        self._messages[message.channel].append(message)
        self._change(ChangeKind.MESSAGE_POSTED, message)

    def _swap_message(self, message: Message) -> None:
        messages = self._messages[message.channel]
        index = next(i for i, m in enumerate(messages) if m.ts == message.ts)
        messages[index] = message
        self._change(ChangeKind.MESSAGE_CHANGED, message)

    def _apply_response(self, target: ResponseTarget, payload: Mapping[str, Any]) -> None:
        channel, user, ts = target.channel, target.user, target.original_ts
        if ts is not None and target.original_is_ephemeral:
            ephemerals = self._ephemerals[(channel, user)]
            index = next((i for i, e in enumerate(ephemerals) if e.ts == ts), None)
            if index is not None and flag(payload.get("delete_original")):
                self._change(ChangeKind.EPHEMERAL_DELETED, ephemerals.pop(index))
                return
            if index is not None and flag(payload.get("replace_original")):
                new = replace(ephemerals[index], text=payload.get("text", ""), blocks=_blocks_of(payload))
                ephemerals[index] = new
                self._change(ChangeKind.EPHEMERAL_CHANGED, new)
                return
        elif ts is not None and (original := self.message(channel, ts)) is not None:
            if flag(payload.get("delete_original")):
                self._messages[channel].remove(original)
                self._change(ChangeKind.MESSAGE_DELETED, original)
                return
            if flag(payload.get("replace_original")):
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
            raise ApiError("invalid_trigger_id")
        if trigger_id in self._used_triggers:
            raise ApiError("exchanged_trigger_id")
        user, issued_at = issued
        if self._clock() - issued_at > TRIGGER_TTL_SECONDS:
            raise ApiError("expired_trigger_id")
        self._used_triggers.add(trigger_id)
        return user

    def _check_view(self, definition: Mapping[str, Any]) -> None:
        errors = view_errors(definition)
        if errors:
            # Views report bad blocks as invalid_arguments, not invalid_blocks as messages do.
            raise ApiError(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
            )

    def _new_view(
        self, user: str, definition: Mapping[str, Any], *, view_id: str | None = None, root: str | None = None
    ) -> View:
        definition = dict(copy.deepcopy(definition))
        definition["blocks"] = with_ids(definition.get("blocks", []))
        view_id = view_id or f"V{next(self._ids):010d}"
        return View(
            id=view_id,
            user=user,
            definition=definition,
            hash=f"{next(self._ids)}.{secrets.token_hex(4)}",
            state=initial_state(definition["blocks"]),
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


def flag(value: Any) -> bool:
    """A boolean as Slack reads one from a form or JSON body."""
    return value in (True, 1, "1", "true", "True")


def _ts_number(ts: str) -> int:
    seconds, _, micros = ts.partition(".")
    return (int(seconds) * 1_000_000 + int(micros) - _TS_EPOCH) // 100


def _blocks_of(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks = payload.get("blocks") or []
    return with_ids(json.loads(blocks) if isinstance(blocks, str) else blocks)
