"""`contentbot seed`: the first-run data, created only where missing.

Templates follow the data files until someone edits them in Slack (storage/library.py says how).
"""

from __future__ import annotations

from core.channels import seed_channels as parse_seed
from core.library import SeedResult
from storage.channels import seed_channels
from storage.db import session_scope
from storage.library import seed_library
from templates import library_specs, load_library


def seed(database_url: str) -> list[str]:
    """Create what is missing; the lines say what was done."""
    channels = parse_seed(load_library("channels"))
    specs = library_specs()
    with session_scope(database_url) as session:
        created = seed_channels(session, channels)
        templates = seed_library(session, specs)
    if not created:
        lines = ["channels: all exist already; nothing changed"]
    else:
        lines = [f"channels: created {', '.join(c.name for c in created)}"]
    return [*lines, _templates_line(templates)]


def _templates_line(result: SeedResult) -> str:
    done = [
        f"{label} {count}"
        for label, count in (
            ("created", result.created),
            ("updated from the data files", result.updated),
            ("kept as edited in Slack", result.kept),
        )
        if count
    ]
    if not done:
        return "templates: all exist already; nothing changed"
    return f"templates: {'; '.join(done)}"
