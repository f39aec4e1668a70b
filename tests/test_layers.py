"""What may import what (README, "Layout"): read from every module's imports, so a wrong one fails here.

core is the pure domain and imports nothing of ours but core (nor the libraries that talk to Slack, a
database, HTTP, queues or Claude); storage adds config; messages and workers add storage; bot may use
everything below it; nothing below the command line imports the stand-ins. Imports inside functions
and under TYPE_CHECKING count too: a layer that needs another only for types still depends on it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = frozenset(
    {"bot", "config", "contentbot", "core", "messages", "standins", "storage", "templates", "workers"}
)
EVERYTHING_BUT_THE_TOP = OURS - {"contentbot", "standins"}

# Per layer, the modules of ours it may import (a name allows its submodules).
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "config": frozenset({"config"}),
    "templates": frozenset({"core", "templates"}),
    "storage": frozenset({"core", "config", "storage"}),
    # Slack messages (Block Kit and "post or update it in its thread"), for workers and bot alike.
    "messages": frozenset({"core", "config", "storage", "messages"}),
    "workers": frozenset({"core", "config", "storage", "templates", "messages", "workers"}),
    "bot": EVERYTHING_BUT_THE_TOP,
    # Views are built from core values only; the listeners read storage and enqueue work.
    "bot.views": frozenset({"core", "messages", "bot"}),
}
# Libraries core never sees: it holds no Slack payload, SQL session, HTTP client, queue or model call.
CORE_FORBIDDEN = frozenset({"anthropic", "httpx", "redis", "rq", "slack_bolt", "slack_sdk", "sqlalchemy"})


def imported(tree: ast.Module, module: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every import in the tree; `from a import b` gives a.b, relative ones resolved."""
    package = module.split(".")[:-1]  # for a package's __init__ too: its imports are relative to itself
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}" if base else alias.name


def violations(layer: str, module: str, source: str) -> list[str]:
    allowed = ALLOWED.get(layer)
    found = []
    for line, name in imported(ast.parse(source), module):
        top = name.split(".")[0]
        if (
            top in OURS
            and allowed is not None
            and not any(name == a or name.startswith(f"{a}.") for a in allowed)
        ) or (layer == "core" and top in CORE_FORBIDDEN):
            found.append(f"{module}:{line} imports {name}")
    return found


def modules(layer: str) -> Iterator[tuple[str, Path]]:
    for path in sorted(ROOT.joinpath(*layer.split(".")).rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        yield ".".join(relative.parts), path


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_is_below_it(layer: str) -> None:
    found = [
        problem
        for module, path in modules(layer)
        for problem in violations(layer, module, path.read_text(encoding="utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("layer", "module", "source"),
    [
        ("core", "core.x", "from storage.library import Template"),
        ("core", "core.x", "import sqlalchemy.orm"),
        ("core", "core.x", "def f():\n    from config.settings import Settings"),
        ("storage", "storage.x", "from workers import queues"),
        (
            "storage",
            "storage.x",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.app import App",
        ),
        ("workers", "workers.x", "from bot.review import refresh"),
        ("workers", "workers.x", "from bot.views.review import review_blocks"),
        ("messages", "messages.x", "from workers.queues import enqueue_once"),
        ("bot", "bot.views.x", "from standins.slack import Workspace"),
        ("bot.views", "bot.views.x", "from storage.library import Template"),
        ("bot", "bot.x", "from contentbot import cli"),
        ("config", "config.x", "from core import content"),
    ],
)
def test_a_wrong_import_is_caught(layer: str, module: str, source: str) -> None:
    assert violations(layer, module, source)


@pytest.mark.parametrize(
    ("layer", "module", "source"),
    [
        ("core", "core.x", "from core.templates import render\nimport jinja2"),
        ("storage", "storage.x", "from .models import Row\nfrom config.errors import SetupError"),
        ("workers", "workers.tiktok.x", "from ..leases import Lease\nfrom . import wire"),
        ("workers", "workers.x", "from messages.review import review_blocks"),
        ("bot", "bot.x", "from storage import contents\nfrom workers.generate import enqueue_generation"),
    ],
)
def test_a_right_import_passes(layer: str, module: str, source: str) -> None:
    assert violations(layer, module, source) == []
