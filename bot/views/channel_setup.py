"""The channel setup modal: building it from a channel, and reading a submission back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.blocks.basic_components import MarkdownTextObject
from slack_sdk.models.views import View

from bot.forms import Form
from bot.verbs import quote
from core.accounts import Account
from core.channels import (
    MAX_DAILY_CAP,
    BrandVoice,
    Channel,
    PostingMode,
    parse_hashtags,
    parse_windows,
    validate_channel,
)
from core.elements import Element
from core.forms import Errors, FieldError
from core.sandbox import MAX_BODY
from messages.accounts import account_line
from messages.blocks import Metadata, text_input

CALLBACK_ID = "channel_setup"
CONNECT_ACTION = "channel_connect_tiktok"
ALLOW_SECOND = "allow_second"

_MODE_HELP = {
    PostingMode.DIRECT: "Direct post (needs a TikTok-audited app for public posts)",
    PostingMode.DRAFT: "TikTok inbox draft (a person finishes it in the app)",
    PostingMode.MANUAL: "Manual (contentbot reminds, a person posts)",
}


@dataclass(frozen=True)
class SetupContext(Metadata):
    channel_id: int | None = None
    origin_channel: str = ""


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=text)


def setup_view(channel: Channel, context: SetupContext, account: Account | None = None) -> View:
    editing = context.channel_id is not None
    elements = [_option(e.value, e.label) for e in Element]
    modes = [_option(m.value, _MODE_HELP[m]) for m in PostingMode]
    gap_minutes = int(channel.min_gap.total_seconds() // 60)
    blocks: list[Block] = [
        text_input("name", "Display name", channel.name),
        InputBlock(
            block_id="element",
            label="Element",
            element=StaticSelectElement(
                action_id="element",
                options=elements,
                initial_option=next(o for o in elements if o.value == channel.element.value),
            ),
            hint="Content is sorted into elements; each element normally has one channel.",
        ),
        SectionBlock(
            block_id="account",
            text=MarkdownTextObject(
                text=f"*TikTok account:* {account_line(account, channel.account_status)}"
            ),
            accessory=ButtonElement(
                text="Reconnect" if account else "Connect",
                action_id=CONNECT_ACTION,
                value=str(context.channel_id or ""),
            ),
        ),
        text_input("tone", "Brand voice: tone", channel.voice.tone, hint="e.g. warm, playful, safety first"),
        text_input("words_to_use", "Words to use", ", ".join(channel.voice.words_to_use), optional=True),
        text_input(
            "words_to_avoid", "Words to avoid", ", ".join(channel.voice.words_to_avoid), optional=True
        ),
        text_input("emoji_policy", "Emoji policy", channel.voice.emoji_policy, optional=True),
        text_input("cta_style", "Call-to-action style", channel.voice.cta_style, optional=True),
        text_input(
            "branding_template",
            "Branding template (caption text)",
            channel.branding_template,
            multiline=True,
            max_length=MAX_BODY,
            hint="Jinja2 around the caption: {{ caption }}, {{ hashtags }}, {{ channel }}, {{ element }}. "
            "Text only: TikTok forbids apps to overlay logos or watermarks on videos.",
        ),
        text_input(
            "hashtags",
            "Hashtags",
            " ".join(channel.hashtags),
            optional=True,
            hint="e.g. #WaterPlay #BathToys",
        ),
        InputBlock(
            block_id="posting_mode",
            label="Posting mode",
            element=StaticSelectElement(
                action_id="posting_mode",
                options=modes,
                initial_option=next(o for o in modes if o.value == channel.posting_mode.value),
            ),
        ),
        text_input(
            "windows",
            "Posting windows (local time, one per line)",
            "\n".join(w.describe() for w in channel.windows),
            multiline=True,
            optional=True,
            hint="e.g. Mon-Fri 16:00-20:00 and Sat,Sun 10:00-12:00 on the next line. Empty: any time.",
        ),
        InputBlock(
            block_id="daily_cap",
            label=f"Daily cap (posts per day, at most {MAX_DAILY_CAP})",
            element=NumberInputElement(
                action_id="daily_cap",
                is_decimal_allowed=False,
                initial_value=str(channel.daily_cap),
                min_value="1",
                max_value=str(MAX_DAILY_CAP),
            ),
        ),
        InputBlock(
            block_id="min_gap",
            label="Minimum gap between posts (minutes)",
            element=NumberInputElement(
                action_id="min_gap", is_decimal_allowed=False, initial_value=str(gap_minutes), min_value="0"
            ),
        ),
        InputBlock(
            block_id="owner",
            label="Who finishes drafts and manual posts",
            element=UserSelectElement(action_id="owner", initial_user=channel.owner_user_id),
            optional=True,
        ),
    ]
    blocks.append(
        InputBlock(
            block_id=ALLOW_SECOND,
            label="Second channel for this element",
            element=CheckboxesElement(
                action_id=ALLOW_SECOND, options=[_option("yes", "Yes, this element gets a second channel")]
            ),
            optional=True,
            hint="Each element has one channel unless you tick this.",
        )
    )
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        private_metadata=context.dump(),
        title="Edit channel" if editing else "New channel",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def read_setup(form: Form, base: Channel) -> tuple[Channel, bool]:
    """The channel the person filled in, and whether they confirmed a second channel for the element.

    Raises FieldErrors naming every block to mark, for anything a person must fix (the channel's own
    rules included: core.channels.validate_channel).
    """
    errors = Errors()
    text, selected = form.text, form.selected

    def number(block: str) -> int:
        raw = text(block)
        # Six digits is more than any cap or gap needs, and keeps a pasted 30-digit number from overflowing.
        if not re.fullmatch(r"-?[0-9]{1,6}", raw):
            raise FieldError(block, f"{quote(raw)!r} is not a whole number up to 999999.")
        return int(raw)

    def words(block: str) -> tuple[str, ...]:
        return tuple(w.strip() for w in text(block).split(",") if w.strip())

    if not selected("element"):
        errors.add("element", "Choose an element.")
    channel = Channel(
        id=base.id,
        name=text("name"),
        element=Element(selected("element") or base.element),
        voice=BrandVoice(
            tone=text("tone"),
            words_to_use=words("words_to_use"),
            words_to_avoid=words("words_to_avoid"),
            emoji_policy=text("emoji_policy"),
            cta_style=text("cta_style"),
        ),
        branding_template=text("branding_template"),
        hashtags=parse_hashtags(text("hashtags")),
        posting_mode=PostingMode(selected("posting_mode") or base.posting_mode),
        windows=errors.read(lambda: parse_windows(text("windows")), base.windows),
        daily_cap=errors.read(lambda: number("daily_cap"), base.daily_cap),
        min_gap=timedelta(
            minutes=errors.read(lambda: number("min_gap"), int(base.min_gap.total_seconds() // 60))
        ),
        owner_user_id=form.user("owner"),
        tiktok_username=base.tiktok_username,
    )
    with errors.checking():
        validate_channel(channel)
    errors.raise_any()
    return channel, bool(form.selected_all(ALLOW_SECOND))
