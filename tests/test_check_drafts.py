"""`contentbot check-drafts FILE`: JSON lines in, one JSON line of findings out per input (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contentbot.cli import main
from standins.anthropic import AnthropicStandIn

KITE = {
    "title": "SkyLoop Stunt Kite",
    "category": "Toys > Kites",
    "age_grade": "8+",
    "facts": ["Up to 30 km/h"],
}
LINES = [
    {"product": KITE, "avoid_words": ["cheap"], "caption": "Loops at 30 km/h", "hashtags": ["#AirPlay"]},
    {
        "product": KITE,
        "avoid_words": ["cheap"],
        "caption": "Cheap loops for toddlers",
        "hashtags": ["#cheapfun"],
    },
]


def write(tmp_path: Path, lines: list[object]) -> str:
    path = tmp_path / "drafts.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def test_one_line_of_flags_per_draft_and_rules_alone_without_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-drafts", write(tmp_path, LINES)]) == 0
    out, err = capsys.readouterr()
    first, second = (json.loads(line) for line in out.splitlines())
    assert first == {"flags": []}
    assert [(f["flag"], f["evidence"]) for f in second["flags"]] == [
        ("avoid_word", "Cheap"),
        ("avoid_word", "#cheapfun"),
        ("age_mismatch", "toddlers"),
    ]
    assert set(second["flags"][0]) == {"flag", "reason", "evidence"}
    assert "no ANTHROPIC_API_KEY, so the rules alone" in err


def test_a_bad_line_is_named_and_still_answered_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "drafts.jsonl"
    path.write_text('{"caption": "Loops"}\nnot json\n{"caption": "Cheap"}\n', encoding="utf-8")
    assert main(["check-drafts", str(path)]) == 2
    out, err = capsys.readouterr()
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == 3 and answers[1]["flags"] == [] and answers[1]["error"].startswith("line 2:")
    assert "line 2:" in err and "1 line(s)" in err


def test_with_a_key_claude_checks_too(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    claude: AnthropicStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", claude.base_url)
    claude.reply_tool(
        {
            "findings": [
                {"flag": "sales_pressure", "reason": "Belonging aimed at children.", "evidence": "at 30 km/h"}
            ]
        }
    )
    assert main(["check-drafts", write(tmp_path, LINES[:1])]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["flags"] == [
        {"flag": "sales_pressure", "reason": "Belonging aimed at children.", "evidence": "at 30 km/h"}
    ]
    assert "rules and Claude" in err
    assert len(claude.requests) == 1
