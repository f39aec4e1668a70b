"""Modal submissions: every modal is saved by a function that returns inline errors or None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services import Services

# (services, client, user id, the submitted view) -> errors by input block_id, or None when saved.
Submit = Callable[[Services, WebClient, str, dict[str, Any]], dict[str, str] | None]


def on_submit(
    app: App, services: Services, callback_id: str, submit: Submit, *, guard: Callable[..., Any] | None = None
) -> None:
    """Answer the modal `callback_id`: close it when `submit` saves, show its errors under the fields if not.

    `guard` (bot.roles.guard) refuses people without the role the save needs, before `submit` runs."""

    @app.view(callback_id, middleware=[guard] if guard else None)
    def submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        errors = submit(services, client, context["user_id"], body["view"])
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()
