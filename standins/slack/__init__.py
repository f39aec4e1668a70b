"""The Slack stand-in, becoming a package: this commit only moves the module so that git follows its
history into `state.py`; the next one cuts it into one module per concept."""

from standins.slack.state import (
    REQUIRED_FIELD_ERROR,
    Change,
    ChangeKind,
    Channel,
    Ephemeral,
    Message,
    SlackStandIn,
    User,
    View,
    Workspace,
    interactive_elements,
    is_multi,
    state_key,
)

__all__ = [
    "REQUIRED_FIELD_ERROR",
    "Change",
    "ChangeKind",
    "Channel",
    "Ephemeral",
    "Message",
    "SlackStandIn",
    "User",
    "View",
    "Workspace",
    "interactive_elements",
    "is_multi",
    "state_key",
]
