"""The schedule modal: content, channel, when, the video, and for a direct post what TikTok's content
sharing guidelines ask the form to show (reference tiktok-api.md §1.10): the creator's nickname, a
privacy choice from the creator's options with no default, comment/duet/stitch off unless turned on
and not offered where the creator turned them off, the commercial content disclosure and the consent
line. Values read back as a core.scheduling.ScheduleRequest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    Option,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from core.accounts import PRIVACY_LABELS, Creator
from core.channels import Channel, PostingMode
from core.forms import Errors, FieldError
from core.posts import PostSettings
from core.scheduling import (
    CHANNEL,
    CONTENT,
    DISCLOSURE,
    INTERACTIONS,
    OVERRIDE,
    PRIVACY,
    VIDEO,
    WHEN,
    ScheduleRequest,
    consent_line,
    disclosure_problem,
)
from core.when import WhenError, parse_when
from messages.blocks import Metadata, context, escape, section, text_input

CALLBACK_ID = "schedule_post"
CHANNEL_PICKED = "schedule_channel_picked"
DISCLOSURE_PICKED = "schedule_disclosure_picked"
VIDEO_URL = "video_url"
CONSENT = "consent"

_INTERACTIONS = (("comment", "Allow comments"), ("duet", "Allow duets"), ("stitch", "Allow stitches"))
_DISCLOSE = "disclose"
_YOUR_BRAND = "your_brand"
_BRANDED = "branded_content"


@dataclass(frozen=True)
class ScheduleMeta(Metadata):
    post_id: int | None = None  # a reschedule: the post that moves
    origin: str = ""  # the Slack channel the modal was opened from


@dataclass(frozen=True)
class Initial:
    """What the form shows filled in: from the command's words, a list's button, a post, or the form
    itself when the channel changes."""

    content: str = ""
    channel: str = ""
    when: str = "next"
    video_url: str = ""
    privacy: str | None = None
    settings: PostSettings = field(default_factory=PostSettings)
    disclose: bool = False
    override: str = ""


def schedule_view(
    channels: list[Channel],
    channel: Channel | None,
    creator: Creator | None,
    initial: Initial,
    meta: ScheduleMeta,
    tz_name: str,
) -> View:
    moving = meta.post_id is not None
    options = [Option(value=c.name, text=c.name[:75]) for c in channels[:100]]
    chosen = next((o for o in options if channel and o.value == channel.name), None)
    blocks: list[Block] = [
        text_input(CONTENT, "Content id", initial.content, hint="An approved content item, e.g. 12."),
        InputBlock(
            block_id=CHANNEL,
            label="Channel",
            dispatch_action=True,
            element=StaticSelectElement(action_id=CHANNEL_PICKED, options=options, initial_option=chosen),
        ),
        text_input(
            WHEN,
            f"When ({tz_name})",
            initial.when,
            hint="`next` for the next free slot, or 18:30, tomorrow 18:30, Fri 18:30, 2026-12-24 09:00.",
        ),
    ]
    if not moving:
        blocks += [
            InputBlock(
                block_id=VIDEO,
                label="Video",
                optional=True,
                hint="An MP4, MOV or WebM file, or give its https URL below.",
                element={
                    "type": "file_input",
                    "action_id": VIDEO,
                    "filetypes": ["mp4", "mov", "webm"],
                    "max_files": 1,
                },
            ),
            text_input(VIDEO_URL, "…or the video's https URL", initial.video_url, optional=True),
        ]
    if channel is not None and channel.posting_mode is PostingMode.DIRECT and creator is not None:
        blocks += direct_post_blocks(creator, initial)
    elif channel is not None:
        blocks.append(context(f"{escape(channel.name)} posts as a {channel.posting_mode.label}."))
    blocks.append(
        text_input(
            OVERRIDE,
            "Override (reviewers)",
            initial.override,
            optional=True,
            hint="Why post despite a cross-posting or element conflict; it is recorded on the post.",
        )
    )
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Move post" if moving else "Schedule a post",
        submit="Move" if moving else "Schedule",
        close="Cancel",
        private_metadata=meta.dump(),
        blocks=blocks,
    )


def direct_post_blocks(creator: Creator, initial: Initial) -> list[Block]:
    privacy = [
        Option(value=level, text=PRIVACY_LABELS.get(level, level)) for level in creator.privacy_level_options
    ]
    disabled = {
        "comment": creator.comment_disabled,
        "duet": creator.duet_disabled,
        "stitch": creator.stitch_disabled,
    }
    allowed = {
        "comment": initial.settings.allow_comment,
        "duet": initial.settings.allow_duet,
        "stitch": initial.settings.allow_stitch,
    }
    offered = [Option(value=key, text=label) for key, label in _INTERACTIONS if not disabled[key]]
    turned_off = [label.removeprefix("Allow ") for key, label in _INTERACTIONS if disabled[key]]
    disclosure = [
        Option(value=_DISCLOSE, text="This post promotes a brand, product or service"),
        Option(value=_YOUR_BRAND, text="Your brand", description="Labelled “Promotional content”"),
        Option(value=_BRANDED, text="Branded content", description="Labelled “Paid partnership”"),
    ]
    picked = {
        _DISCLOSE: initial.disclose or initial.settings.branded,
        _YOUR_BRAND: initial.settings.brand_organic,
        _BRANDED: initial.settings.brand_content,
    }
    blocks: list[Block] = [
        section(f"Posting to TikTok as *{escape(creator.nickname)}*"),
        InputBlock(
            block_id=PRIVACY,
            label="Who can see this post",
            element=StaticSelectElement(
                action_id=PRIVACY,
                placeholder="Choose",
                options=privacy,
                initial_option=next((o for o in privacy if o.value == initial.privacy), None),
            ),
        ),
    ]
    if offered:
        blocks.append(
            InputBlock(
                block_id=INTERACTIONS,
                label="Let viewers",
                optional=True,
                element=CheckboxesElement(
                    action_id=INTERACTIONS,
                    options=offered,
                    initial_options=[o for o in offered if allowed[str(o.value)]] or None,
                ),
            )
        )
    if turned_off:
        blocks.append(context(f"{escape(creator.nickname)} turned off {' and '.join(turned_off)} in TikTok."))
    blocks += [
        InputBlock(
            block_id=DISCLOSURE,
            label="Commercial content disclosure",
            optional=True,
            dispatch_action=True,
            element=CheckboxesElement(
                action_id=DISCLOSURE_PICKED,
                options=disclosure,
                initial_options=[o for o in disclosure if picked[str(o.value)]] or None,
            ),
        ),
        consent_block(initial.settings),
    ]
    return blocks


def consent_block(settings: PostSettings) -> Block:
    block = context(consent_line(settings))
    block.block_id = CONSENT
    return block


def read_initial(values: dict[str, dict[str, Any]]) -> Initial:
    """What the person has entered so far, to keep it when the form is drawn again."""

    def value(block: str, action: str | None = None) -> Any:
        return (
            next(iter(values.get(block, {}).values()), {})
            if action is None
            else values.get(block, {}).get(action, {})
        )

    def text(block: str) -> str:
        return str(value(block).get("value") or "")

    picked = {o["value"] for o in value(DISCLOSURE).get("selected_options") or []}
    allowed = {o["value"] for o in value(INTERACTIONS).get("selected_options") or []}
    return Initial(
        content=text(CONTENT),
        channel=str((value(CHANNEL).get("selected_option") or {}).get("value") or ""),
        when=text(WHEN),
        video_url=text(VIDEO_URL),
        privacy=(value(PRIVACY).get("selected_option") or {}).get("value"),
        settings=PostSettings(
            allow_comment="comment" in allowed,
            allow_duet="duet" in allowed,
            allow_stitch="stitch" in allowed,
            brand_organic=_YOUR_BRAND in picked,
            brand_content=_BRANDED in picked,
        ),
        disclose=_DISCLOSE in picked,
        override=text(OVERRIDE),
    )


def read_request(
    values: dict[str, dict[str, Any]], meta: ScheduleMeta, now: datetime, tz: tzinfo
) -> tuple[ScheduleRequest, list[dict[str, Any]]]:
    """The request the form says (without its video, fetched by the caller) and the files shared in it.

    Raises FieldErrors for what cannot be read at all, every field at once."""
    entered = read_initial(values)
    errors = Errors()
    content_id = errors.read(lambda: _content_id(entered.content), 0)
    when = errors.read(lambda: _when(entered.when, now, tz), None)
    if problem := disclosure_problem(entered.disclose, entered.settings):
        errors.add(DISCLOSURE, problem)
    shared: dict[str, Any] = next(iter(values.get(VIDEO, {}).values()), {})
    files = list(shared.get("files") or [])
    if files and entered.video_url:
        errors.add(VIDEO, "Share a file or give a URL, not both.")
    errors.raise_any()
    request = ScheduleRequest(
        content_id=content_id,
        channel=entered.channel,
        when=when,
        privacy=entered.privacy,
        settings=entered.settings,
        override=entered.override or None,
        post_id=meta.post_id,
    )
    return request, files


def _content_id(raw: str) -> int:
    word = raw.strip().lstrip("#")
    if not word.isdigit() or not 0 < int(word) < 2**31:
        raise FieldError(CONTENT, "A content id is a whole number such as 12.")
    return int(word)


def _when(raw: str, now: datetime, tz: tzinfo) -> datetime | None:
    try:
        return parse_when(raw, now, tz)
    except WhenError as exc:
        raise FieldError(WHEN, str(exc)) from None
