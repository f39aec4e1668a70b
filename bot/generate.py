"""Generation surface: `/content generate` (modal or shortcut), `queue`, `history`."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from bot.verbs import Verb

VERBS: list[Verb] = []


def register(app: App, services: Services) -> None:
    """Listeners for this surface's buttons and modals."""
