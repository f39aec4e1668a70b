"""`contentbot seed`: the first-run data, created only where missing."""

from __future__ import annotations

from core.channels import seed_channels as parse_seed
from storage.channels import seed_channels
from storage.db import session_scope
from templates import load_library


def seed(database_url: str) -> list[str]:
    """Create what is missing; the lines say what was done."""
    channels = parse_seed(load_library("channels"))
    with session_scope(database_url) as session:
        created = seed_channels(session, channels)
    if not created:
        return ["channels: all exist already; nothing changed"]
    return [f"channels: created {', '.join(c.name for c in created)}"]
