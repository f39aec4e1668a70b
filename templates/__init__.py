"""The files people edit by hand, and their loaders: the agents' prompts (Jinja2, templates/prompts/*.j2),
the template library and the rules it sorts and checks drafts by (templates/library/*.yaml), and the alert
rules (templates/alerts.yaml).

The data lives here, in files rather than code, so that a person finds and changes it without reading
code; `core` never reads files, so callers load the data here and hand it to `core`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from core.alerts import AlertRuleError, Rule, parse_rules
from core.draft_checks.rules import Rules, RulesChecker
from core.templates import Category, TemplateSpec, categories_from_mapping, library_from_mapping

DATA_DIR = Path(__file__).resolve().parent
LIBRARY_DIR = DATA_DIR / "library"


@cache
def load_library(name: str) -> Any:
    """The parsed YAML file `templates/library/<name>.yaml`."""
    with (LIBRARY_DIR / f"{name}.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


PROMPTS_DIR = DATA_DIR / "prompts"


@cache
def prompt_source(name: str) -> str:
    """The text of the agent prompt `templates/prompts/<name>.j2`, for `core.agents` to render."""
    return (PROMPTS_DIR / f"{name}.j2").read_text(encoding="utf-8")


@cache
def library_specs() -> tuple[TemplateSpec, ...]:
    """The templates of templates/library/*.yaml, checked (a broken entry raises TemplateError naming it)."""
    return tuple(
        library_from_mapping(
            load_library("hooks"),
            load_library("frameworks"),
            load_library("captions"),
            categories=load_library("categories"),
        )
    )


@cache
def library_categories() -> tuple[Category, ...]:
    """The toy and game categories of templates/library/categories.yaml."""
    return tuple(categories_from_mapping(load_library("categories")))


ALERT_RULES_FILE = DATA_DIR / "alerts.yaml"


def alert_rules(path: Path = ALERT_RULES_FILE) -> tuple[Rule, ...]:
    """The alert rules of templates/alerts.yaml, or AlertRuleError saying where each mistake is.

    Read afresh on every call: people edit the file, and a sweep should see their change
    without a restart.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AlertRuleError([f"{path}: cannot read it ({exc.strerror or exc})"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name} line {mark.line + 1}" if mark is not None else path.name
        raise AlertRuleError([f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from exc
    try:
        return tuple(parse_rules(data))
    except AlertRuleError as exc:
        raise AlertRuleError([f"{path.name}: {problem}" for problem in exc.problems]) from exc


@cache
def draft_rules() -> Rules:
    """The rules checker's phrase lists (templates/library/draft_checks.yaml), compiled."""
    return Rules.from_mapping(load_library("draft_checks"))


def rules_checker() -> RulesChecker:
    """The rules checker over the library's phrase lists."""
    return RulesChecker(draft_rules())
