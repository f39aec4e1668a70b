"""A channel's TikTok account on Slack's surfaces: its line in listings, the Connect link, Reconnect."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from core.accounts import Account
from messages.blocks import escape, section

RECONNECT_ACTION = "tiktok_reconnect"


def account_line(account: Account | None, fallback: str) -> str:
    """The account as a channel's listing and setup show it: nickname, @username and privacy options."""
    if account is None:
        return escape(fallback)
    icon = "" if account.connected else ":warning: "
    return icon + escape(account.describe())


def reconnect_text(channel_name: str, reason: str) -> str:
    return (
        f"The TikTok account of channel *{escape(channel_name)}* needs reconnecting: {escape(reason)}. "
        "Posts to it wait until then."
    )


def connect_failed_text(channel_name: str, reason: str) -> str:
    return f"Connecting the TikTok account of channel *{escape(channel_name)}* failed: {escape(reason)}."


def reconnect_blocks(channel_id: int, text: str) -> list[Block]:
    """`text` (already escaped) with a Reconnect button that makes a fresh Connect link."""
    return [
        section(f":warning: {text}"),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Reconnect", action_id=RECONNECT_ACTION, value=str(channel_id), style="primary"
                )
            ]
        ),
    ]


def connect_blocks(channel_name: str, url: str) -> list[Block]:
    """The consent link: a URL button, so the long link never shows as text."""
    return [
        section(
            f"Open TikTok to connect the account of channel *{escape(channel_name)}*. "
            "Log in as that account and allow every permission asked; the link works once, for 10 minutes."
        ),
        ActionsBlock(elements=[ButtonElement(text="Open TikTok", url=url, action_id="tiktok_open_consent")]),
    ]
