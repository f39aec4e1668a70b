"""`contentbot check-drafts FILE`: the draft checks over a labelled set, so anyone can measure them.

Each input line is {"product": {"title", "category", "age_grade", "facts": [..]}, "avoid_words": [..],
"caption": "..", "hashtags": [..]}; each output line is {"flags": [{"flag", "reason", "evidence"}]},
in input order, one for one (a line that cannot be read gives {"flags": [], "error": ".."}). The rules
always run; Claude too when ANTHROPIC_API_KEY is set, and stderr says which.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from config.settings import Settings
from core.draft_checks import draft_from_json
from workers.draft_checker import check_draft
from workers.llm import ClaudeClient


def check_drafts(settings: Settings, lines: Iterable[str], out: TextIO, err: TextIO) -> int:
    """Check every line; returns how many lines could not be read."""
    claude = None
    if settings.anthropic_api_key:
        claude = ClaudeClient(
            api_key=settings.anthropic_api_key,
            model=settings.anthropic_model,
            base_url=settings.anthropic_base_url,
            timeout=60.0,
        )
        print(f"check-drafts: rules and Claude ({settings.anthropic_model})", file=err)
    else:
        print("check-drafts: no ANTHROPIC_API_KEY, so the rules alone", file=err)
    bad = 0
    try:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                draft = draft_from_json(json.loads(line))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError too
                bad += 1
                print(f"check-drafts: line {number}: {exc}", file=err)
                print(json.dumps({"flags": [], "error": f"line {number}: {exc}"}), file=out)
                continue
            checks = check_draft(draft, claude)
            for note in checks.notes:
                print(f"check-drafts: line {number}: {note}", file=err)
            # Exactly the fields: the format is an interface that scripts read.
            flags = [{"flag": f.flag, "reason": f.reason, "evidence": f.evidence} for f in checks.findings]
            print(json.dumps({"flags": flags}, ensure_ascii=False), file=out, flush=True)
    finally:
        if claude is not None:
            claude.close()
    return bad
