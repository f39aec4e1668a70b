"""The people of the workspace: the signed requests Slack sends the app when they use it, and the
app's answers applied the way Slack's client does (ack messages, `response_action`s).

`Workspace` is what a test or the console drives; it reaches Slack's side only through the
stand-in's public methods, as Slack's client reaches Slack's servers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import httpx

from standins.slack.blockkit import DEFAULT_MIN_QUERY_LENGTH, interactive_elements, suggestion_errors
from standins.slack.model import View
from standins.slack.webapi import SlackStandIn

# Slack's client refuses to submit a modal with an empty required input, so the app never sees one.
REQUIRED_FIELD_ERROR = "Please complete this required field."


class SuggestionRefused(Exception):
    """The app's options for an external select were not what Slack accepts: the person sees an error."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


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
        value: str | list[str] | None = None,
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
        payload["actions"] = [action := _action(found_in, element, value)]
        if view_id is not None and "selected_options" in action:
            # Slack's client keeps what was ticked in the view's state, as it does for any input.
            state = {"type": element["type"], "selected_options": action["selected_options"]}
            view = self.standin.set_view_state(view_id, {found_in: {element["action_id"]: state}})
            payload["view"] = view.to_slack(self.standin)
            payload["state"] = {"values": view.state}
        return self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def suggest(self, user: str, view_id: str, action_id: str, typed: str) -> list[dict[str, Any]]:
        """Type `typed` into the external select `action_id` of the modal on screen: the options Slack
        then lists (those of every group, in order). Slack asks the app (block_suggestion) only once
        `min_query_length` characters are typed; before that the menu is empty and the app hears nothing.
        An answer Slack would refuse raises SuggestionRefused with its errors."""
        view = self._view(view_id)
        block_id, element = _find_element(view.blocks, action_id)
        if element["type"] not in ("external_select", "multi_external_select"):
            raise LookupError(f"{action_id!r} is a {element['type']}, not an external select")
        if len(typed) < element.get("min_query_length", DEFAULT_MIN_QUERY_LENGTH):
            return []
        payload: dict[str, Any] = {
            "type": "block_suggestion",
            **self._who(user),
            "container": {"type": "view", "view_id": view.id},
            "action_id": action_id,
            "block_id": block_id,
            "value": typed,
            "view": view.to_slack(self.standin),
        }
        # Slack sends no trigger with a suggestion request.
        payload.pop("trigger_id", None)
        reply = self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        if reply.status != 200:
            raise SuggestionRefused([f"the app answered HTTP {reply.status}"])
        answer = reply.json()
        errors = suggestion_errors(answer)
        if errors:
            raise SuggestionRefused(errors)
        groups = answer.get("option_groups")
        if groups is not None:
            return [option for group in groups for option in group.get("options") or []]
        return list(answer["options"])

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


def _action(block_id: str, element: Mapping[str, Any], value: str | list[str] | None) -> dict[str, Any]:
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
    elif element["type"] in ("checkboxes", "multi_static_select"):
        # Ticking a box sends every box ticked now; `value` lists their values.
        wanted = [value] if isinstance(value, str) else list(value or [])
        action["selected_options"] = [o for o in element["options"] if o.get("value") in wanted]
        if len(action["selected_options"]) != len(wanted):
            raise LookupError(f"{element['action_id']!r} lacks one of the options {wanted!r}")
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


def _signature(signing_secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
