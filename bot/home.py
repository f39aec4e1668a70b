"""App Home: publish the dashboard whenever someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from bot.views.home import home_view
from storage.channels import list_channels


def publish_home(services: Services, client: WebClient, user_id: str) -> None:
    with services.db() as session:
        channels = list_channels(session)
    client.views_publish(user_id=user_id, view=home_view(channels, services.settings.missing()))


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish_home(services, client, event["user"])
