"""What the draft checks found, on the review message and in the "approve with findings" modal.

A leaf like bot/views/review.py: core values in, Block Kit out, so the job that posts a version and
the listener that updates it show findings the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from core.draft_checks import FLAG_LABELS, DraftChecks, Finding
from core.versions import Version
from messages.blocks import context, escape, section

APPROVE_FINDINGS_CALLBACK = "review_approve_findings"
# A section holds at most 3,000 characters; a long list of findings is cut with a count.
MAX_SHOWN = 10
_CHECKER_NAMES = {"rules": "rules", "claude": "Claude"}


def findings_blocks(version: Version) -> list[Block]:
    """The version's findings, each with its reason, the words that raised it and its checker."""
    checks = version.checks
    if checks is None:
        return []
    blocks: list[Block] = []
    if checks.findings:
        count = len(checks.findings)
        lines = [f":warning: *{count} finding{'s' if count > 1 else ''} to read before approving*"]
        lines += [finding_line(f) for f in checks.findings[:MAX_SHOWN]]
        if count > MAX_SHOWN:
            lines.append(f"and {count - MAX_SHOWN} more")
        blocks.append(section("\n".join(lines)[:3000]))
    blocks.append(context(_checked_note(checks)))
    if version.accepted is not None:
        accepted = version.accepted
        blocks.append(
            context(
                f"Approved with {len(accepted.findings)} finding(s) by <@{accepted.by}> "
                f"on {accepted.at:%Y-%m-%d %H:%M} UTC"
            )
        )
    return blocks


def check_findings_blocks(checks: DraftChecks) -> list[Block]:
    """`/content check`: the draft checks beside the duplicate check, for text with no product."""
    if not checks.findings:
        lines = [":white_check_mark: The draft checks found nothing."]
    else:
        count = len(checks.findings)
        lines = [f":warning: The draft checks found {count} thing{'s' if count > 1 else ''}:"]
        lines += [finding_line(f) for f in checks.findings[:MAX_SHOWN]]
        if count > MAX_SHOWN:
            lines.append(f"and {count - MAX_SHOWN} more")
    return [
        section("\n".join(lines)[:3000]),
        context(
            "Checked by the rules, against every channel's words to avoid and no product: "
            "an objective claim needs the product's facts, which a request gives."
        ),
    ]


def finding_line(finding: Finding) -> str:
    label = FLAG_LABELS.get(finding.flag, finding.flag)
    checker = _CHECKER_NAMES.get(finding.checker, finding.checker)
    return (
        f"• *{label}* (`{finding.flag}`, {escape(checker)}): {escape(finding.reason)} "
        f"“{escape(_short(finding.evidence))}”"
    )


def findings_text(findings: Sequence[Finding]) -> str:
    """The flags in a sentence, for a thread note: "placeholder, too_long"."""
    return ", ".join(dict.fromkeys(f.flag for f in findings))


def _checked_note(checks: DraftChecks) -> str:
    by = " and ".join(_CHECKER_NAMES.get(c, c) for c in checks.checkers) or "nobody"
    verdict = "" if checks.findings else ": no findings"
    notes = "".join(f" · {escape(note)}" for note in checks.notes)
    return f"Checked by {by}{verdict}{notes}"


def _short(text: str, size: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def confirm_view(title: str, version: Version, private_metadata: str) -> View:
    """The one more click: the findings a reviewer accepts by approving this version anyway."""
    findings = version.findings
    lines = [finding_line(f) for f in findings[:MAX_SHOWN]]
    if len(findings) > MAX_SHOWN:
        lines.append(f"and {len(findings) - MAX_SHOWN} more")
    return View(
        type="modal",
        callback_id=APPROVE_FINDINGS_CALLBACK,
        private_metadata=private_metadata,
        title="Approve with findings",
        submit="Approve anyway",
        close="Cancel",
        blocks=[
            section(f"*{escape(title)}* (v{version.number}) has findings:"),
            section("\n".join(lines)[:3000]),
            context("Approving keeps your name and these findings with the version."),
        ],
    )
