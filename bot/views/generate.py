"""`/content generate` (the request modal and the answer), `queue` and `history`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.forms import Form
from bot.views.products import picked_product, product_picker
from core.agents import AgentKind, Product
from core.channels import Channel
from core.content import Content, ContentStatus, Priority
from core.forms import Errors
from core.versions import Version, diff
from messages.blocks import Metadata, context, escape, section
from messages.review import model_note, title

CALLBACK_ID = "generate_request"
MAX_BRIEF = 2000
MAX_FACTS = 10
# Slack lists at most 100 options in a menu.
MAX_TEMPLATE_OPTIONS = 100


@dataclass(frozen=True)
class GenerateForm:
    agent: AgentKind
    channel_id: int
    brief: str
    priority: Priority
    product: Product | None
    template_version_id: int | None
    # Picked from the shop's catalogue: its title, and its kept facts where the form gives none.
    shop_product_id: str = ""


def generate_view(
    channels: Sequence[Channel], templates: Sequence[tuple[int, str]], origin_channel: str
) -> View:
    agents = [Option(value=kind.value, text=kind.label) for kind in AgentKind]
    channel_options = [Option(value=str(c.id), text=f"{c.name} ({c.element.label})") for c in channels]
    priorities = [Option(value=p.value, text=p.value.capitalize()) for p in Priority]
    blocks: list[Block] = [
        _select("agent", "Agent", agents, initial=agents[0]),
        _select("channel", "Channel", channel_options),
    ]
    if templates:
        options = [
            Option(value=str(tv_id), text=label[:75]) for tv_id, label in templates[:MAX_TEMPLATE_OPTIONS]
        ]
        blocks.append(
            _select("template", "Template", options, optional=True, hint="The agent follows its structure.")
        )
    blocks += [
        _text(
            "brief",
            "Brief",
            multiline=True,
            max_length=MAX_BRIEF,
            hint="What should it say, for whom, and why now?",
        ),
        product_picker(
            optional=True,
            hint="From the TikTok Shop: type words of its title. Facts typed below are kept with it.",
        ),
        _text(
            "product_title", "Product", optional=True, hint="Or one not in the shop, e.g. Tidepool Bath Boat"
        ),
        _text("product_category", "Product category", optional=True, hint="e.g. Toys > Bath > Water Toys"),
        _text(
            "product_age_grade",
            "Age grade",
            optional=True,
            max_length=40,
            hint="As on the box, e.g. 3+ or 6-12. Drafts that address younger children are flagged.",
        ),
        _text(
            "product_facts",
            "Key facts",
            optional=True,
            multiline=True,
            hint="One per line: ages, what it does, safety. The agent claims nothing else.",
        ),
        _select("priority", "Priority", priorities, initial=priorities[1]),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        private_metadata=Origin(origin_channel).dump(),
        title="Generate content",
        submit="Queue it",
        close="Cancel",
        blocks=blocks,
    )


@dataclass(frozen=True)
class Origin(Metadata):
    origin_channel: str = ""  # where the person typed the command: answers go there


def origin_of(view: dict[str, Any]) -> str:
    return Origin.load(view.get("private_metadata") or "").origin_channel


def read_generate(form: Form) -> GenerateForm:
    """The request the person filled in; FieldErrors names every field to fix."""
    errors = Errors()
    text, selected = form.text, form.selected
    if not selected("channel"):
        errors.add("channel", "Choose the channel the content is for.")
    brief = text("brief")
    if not brief:
        errors.add("brief", "Write a brief: what the content should say.")
    facts = tuple(form.lines("product_facts"))
    if len(facts) > MAX_FACTS:
        errors.add("product_facts", f"Keep to {MAX_FACTS} key facts; these are {len(facts)}.")
    product_title = text("product_title")
    shop_product_id = picked_product(form)
    age_grade = text("product_age_grade")
    if (facts or text("product_category") or age_grade) and not (product_title or shop_product_id):
        errors.add("product_title", "Name the product the category, age grade and facts are about.")
    if age_grade and not any(ch.isdigit() for ch in age_grade):
        errors.add("product_age_grade", "Give the youngest age as a number, e.g. 3+ or 6-12.")
    errors.raise_any()
    template = selected("template")
    return GenerateForm(
        agent=AgentKind(selected("agent") or AgentKind.TIKTOK_SCRIPT),
        channel_id=int(selected("channel")),
        brief=brief,
        priority=Priority(selected("priority") or Priority.NORMAL),
        product=Product(product_title, text("product_category"), facts, age_grade=age_grade)
        if product_title or shop_product_id
        else None,
        template_version_id=int(template) if template else None,
        shop_product_id=shop_product_id,
    )


def queued_text(content: Content, position: int, review_channel: str, offline: bool) -> str:
    lines = [
        f"Queued *{escape(title(content))}* ({content.priority.value} priority): "
        f"{_ordinal(position)} in the generation queue. It will arrive in <#{review_channel}> for review."
    ]
    if offline:
        lines.append(
            "ANTHROPIC_API_KEY is not set, so it will be an offline draft from the template library."
        )
    return "\n".join(lines)


def queue_blocks(contents: Sequence[Content]) -> list[Block]:
    if not contents:
        return [section("Nothing is waiting: no content is queued, being generated or in review.")]
    blocks: list[Block] = [HeaderBlock(text=f"Content waiting ({len(contents)})")]
    position = 0
    lines = []
    for content in contents:
        where = content.status.label
        if content.status in (ContentStatus.QUEUED, ContentStatus.CHANGES_REQUESTED):
            position += 1
            where = f"{_ordinal(position)} in the queue" + (
                " (changes requested)" if content.feedback else ""
            )
        elif content.status == ContentStatus.IN_REVIEW and content.review_ts:
            where = f"in review in <#{content.review_channel}>"
        lines.append(
            f"• *{escape(title(content))}* · {where} · {content.priority.value} · <@{content.requester_id}>"
        )
    blocks.append(section("\n".join(lines)))
    return blocks


def history_blocks(content: Content, versions: Sequence[Version]) -> list[Block]:
    blocks: list[Block] = [
        section(f"*{escape(title(content))}* · {content.status.label}"),
        context(
            f"Requested by <@{content.requester_id}> on {content.created_at:%Y-%m-%d %H:%M} UTC · "
            f"brief: {escape(content.brief[:500])}"
        ),
        DividerBlock(),
    ]
    decision = decision_line(content)
    if decision:
        blocks.append(section(decision))
    if not versions:
        blocks.append(context("No version yet."))
        return blocks
    lines = [
        f"*v{v.number}* · {v.created_at:%Y-%m-%d %H:%M} UTC · {model_note(v)}"
        + (f"\n    answering: {escape(v.feedback)}" if v.feedback else "")
        for v in versions
    ]
    blocks.append(section("\n".join(lines)[:3000]))
    if len(versions) > 1:
        last, before = versions[-1], versions[-2]
        changes = diff(before.fields, last.fields) or "No change."
        blocks.append(
            section(f"*Last change (v{before.number} → v{last.number})*\n```{escape(changes)}```"[:3000])
        )
    return blocks


def decision_line(content: Content) -> str | None:
    """Who approved or rejected it, when, which version, and why."""
    if content.status not in (ContentStatus.APPROVED, ContentStatus.REJECTED) or not content.reviewed_by:
        return None
    verb = "Approved" if content.status is ContentStatus.APPROVED else "Rejected"
    when = f" on {content.reviewed_at:%Y-%m-%d %H:%M} UTC" if content.reviewed_at else ""
    version = f" (v{content.decided_version})" if content.decided_version else ""
    why = f": {escape(content.decision_reason)}" if content.decision_reason else ""
    return f"*{verb}* by <@{content.reviewed_by}>{when}{version}{why}"


def _select(
    block_id: str,
    label: str,
    options: list[Option],
    *,
    initial: Option | None = None,
    optional: bool = False,
    hint: str = "",
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        element=StaticSelectElement(action_id=block_id, options=options, initial_option=initial),
        optional=optional,
        hint=hint or None,
    )


def _text(
    block_id: str,
    label: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    hint: str = "",
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        element=PlainTextInputElement(action_id=block_id, multiline=multiline, max_length=max_length),
        optional=optional,
        hint=hint or None,
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
