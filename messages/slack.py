"""The Slack Web API client jobs use, and the direct messages they send people."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.models.blocks import Block

from config.settings import Settings


def slack_client(settings: Settings) -> WebClient:
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    # A job may wait out Slack's Retry-After (a listener may not: it has 3 s to answer).
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client


def direct_message(client: WebClient, user_id: str, text: str, blocks: Sequence[Block] | None = None) -> None:
    """A message in the app's DM with `user_id` (chat.postMessage opens the DM when given a user id)."""
    client.chat_postMessage(channel=user_id, text=text, blocks=list(blocks) if blocks else None)
