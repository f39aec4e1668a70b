"""Checking a draft before review: the rules always, then Claude when ANTHROPIC_API_KEY is set.

    checks = check_draft(DraftText.of_fields(fields, product, avoid_words), claude_or_none)

The Claude checker (core.draft_checks.Checker) asks through one forced tool, with the rule findings
as input, for the judgements rules cannot make. A finding whose evidence is not the draft's own words
is dropped: a reviewer must be able to see what raised it. When Claude cannot answer, the rule
findings stand and the checks say why Claude's are missing; a draft is never held back for it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from core.draft_checks import FLAGS, DraftChecks, DraftText, Finding, run_checks
from core.templates import render
from templates import prompt_source, rules_checker
from workers.llm import ClaudeClient, LLMError

log = logging.getLogger(__name__)

NAME = "claude"
TOOL_NAME = "report_findings"
MAX_FINDINGS = 12

# What Claude answers: the findings, each with the words of the draft that raised it.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "findings": {
            "type": "array",
            "maxItems": MAX_FINDINGS,
            "items": {
                "type": "object",
                "properties": {
                    "flag": {"type": "string", "enum": list(FLAGS)},
                    "reason": {"type": "string", "maxLength": 300},
                    "evidence": {
                        "type": "string",
                        "maxLength": 200,
                        "description": "the draft's own words that raise it, quoted exactly",
                    },
                },
                "required": ["flag", "reason", "evidence"],
            },
        }
    },
    "required": ["findings"],
}


class ClaudeChecker:
    name = NAME

    def __init__(self, claude: ClaudeClient) -> None:
        self.claude = claude

    def check(self, draft: DraftText, found: Sequence[Finding]) -> list[Finding]:
        """Claude's findings; raises LLMError when it could not be asked or did not answer."""
        answer = self.claude.complete_json(
            system=prompt_source("draft_check_system"),
            prompt=render(prompt_source("draft_check"), _values(draft, found)),
            schema=SCHEMA,
            tool_name=TOOL_NAME,
            max_tokens=1500,
        )
        return [f for f in _findings(answer.data) if _quoted(f.evidence, draft.text)]


def check_draft(draft: DraftText, claude: ClaudeClient | None) -> DraftChecks:
    """The draft's checks: the rules, then Claude when a client is given (a key is set)."""
    rules = rules_checker()
    if claude is None:
        return run_checks(draft, [rules])
    try:
        return run_checks(draft, [rules, ClaudeChecker(claude)])
    except LLMError as exc:
        log.warning("Claude could not check a draft: %s", exc.reason)
        checks = run_checks(draft, [rules])
        return replace(checks, notes=(f"Claude could not check it: {exc.reason}",))


def _values(draft: DraftText, found: Sequence[Finding]) -> dict[str, str]:
    product = draft.product
    return {
        "product_title": product.title if product else "",
        "product_category": product.category if product else "",
        "product_age_grade": product.age_grade if product else "",
        "product_facts": "\n".join(f"- {fact}" for fact in product.facts) if product else "",
        "words_to_avoid": ", ".join(draft.avoid_words),
        "rule_findings": "\n".join(f"- {f.flag}: “{f.evidence}” ({f.reason})" for f in found),
        "draft": draft.text,
    }


def _findings(data: Mapping[str, Any]) -> list[Finding]:
    found = []
    for item in data.get("findings") or []:
        if isinstance(item, Mapping) and item.get("flag") in FLAGS and str(item.get("evidence", "")).strip():
            found.append(
                Finding(str(item["flag"]), str(item.get("reason", "")), str(item["evidence"]).strip(), NAME)
            )
    return found


def _quoted(evidence: str, text: str) -> bool:
    def squash(value: str) -> str:
        return re.sub(r"\s+", " ", value).strip().casefold()

    return bool(evidence.strip()) and squash(evidence).strip("“”\"' ") in squash(text)
