"""A local Slack: the Web API the bot calls, and a workspace whose people use the bot.

`SlackStandIn` is a loopback HTTP server that the real `slack_sdk.WebClient(base_url=standin.api_url)`
talks to. It speaks Slack's wire format and keeps the workspace state the bot changes: messages and
threads, ephemerals, modals, App Home views and uploaded files. `Workspace` plays the people: it
sends the app the signed requests Slack would and applies the app's answers the way Slack's client
does.

One module per concept, each importing only those above it (`model` names `SlackState` only for
type checking):

- `blockkit`: Block Kit limits and validation, the ids Slack fills in, inputs' initial values.
- `model`: the frozen values a workspace holds (users, channels, messages, views, changes).
- `state`: the workspace's state under one lock: threads, ephemerals, modal stacks, App Home,
  files, triggers, the change feed, and the messages kept in a file across restarts.
- `webapi`: `SlackStandIn`, that state served as Slack's Web API, response_urls and upload URLs.
- `people`: `Workspace`, the people who sign requests (slash, click, submit, cancel, open_home).

Nothing here knows about contentbot; it is a Slack you can run in a test or a terminal.
"""

from standins.slack.blockkit import interactive_elements, is_multi, state_key
from standins.slack.model import Change, ChangeKind, Channel, Ephemeral, Message, UploadedFile, User, View
from standins.slack.people import REQUIRED_FIELD_ERROR, Reply, SuggestionRefused, Workspace
from standins.slack.state import SlackState
from standins.slack.webapi import DEFAULT_CHANNELS, DEFAULT_USERS, SlackStandIn

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_USERS",
    "REQUIRED_FIELD_ERROR",
    "Change",
    "ChangeKind",
    "Channel",
    "Ephemeral",
    "Message",
    "Reply",
    "SlackStandIn",
    "SlackState",
    "SuggestionRefused",
    "UploadedFile",
    "User",
    "View",
    "Workspace",
    "interactive_elements",
    "is_multi",
    "state_key",
]
