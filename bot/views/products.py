"""The shop's products in Slack: the search-as-you-type picker (an external select the bot answers
from the synced catalogue), `/content products` results, and the modal that picks another product
for a held post."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block, ExternalDataSelectElement, InputBlock, Option
from slack_sdk.models.views import View

from bot.forms import Form
from core.products import CatalogueProduct, status_label
from messages.blocks import Metadata, context, escape, section

# One block id and action id wherever the picker appears: its suggestions come from one listener.
PRODUCT_PICK = "shop_product"
PICK_CALLBACK = "post_pick_product"
# Slack shows at most 100 options; a person narrows by typing more.
MAX_OPTIONS = 100


def product_picker(*, optional: bool, hint: str) -> InputBlock:
    return InputBlock(
        block_id=PRODUCT_PICK,
        label="Shop product",
        element=ExternalDataSelectElement(
            action_id=PRODUCT_PICK, placeholder="Type words of its title", min_query_length=1
        ),
        optional=optional,
        hint=hint,
    )


def picked_product(form: Form) -> str:
    """The shop product id the picker holds, or ''."""
    return form.selected(PRODUCT_PICK)


def product_options(products: Sequence[CatalogueProduct]) -> list[dict[str, Any]]:
    """What the picker lists: live products only, since only those can go on a post."""
    return [
        Option(value=p.shop_product_id, text=_label(p)).to_dict() for p in products[:MAX_OPTIONS] if p.live
    ]


def _label(product: CatalogueProduct) -> str:
    # Slack cuts an option's text at 75 characters: the id goes first so it always shows.
    return f"{product.shop_product_id[-6:]} · {product.title}"[:75]


def products_blocks(query: str, found: Sequence[CatalogueProduct], synced: str) -> list[Block]:
    if not found:
        return [
            section(f"No product title in the shop's catalogue matches “{escape(query)}”."),
            context(synced),
        ]
    lines = []
    for p in found:
        age = f" · ages {p.age_grade.label}" if p.age_grade else ""
        facts = f" · {len(p.facts)} fact(s) kept" if p.facts else ""
        state = "" if p.live else f" · _{status_label(p.status)}: cannot go on a post_"
        lines.append(f"• *{escape(p.title)}* `{p.shop_product_id}`{age}{facts}{state}")
    return [section("\n".join(lines)[:2900]), context(synced)]


@dataclass(frozen=True)
class PickFor(Metadata):
    post_id: int = 0


def pick_view(post_id: int, reason: str) -> View:
    return View(
        type="modal",
        callback_id=PICK_CALLBACK,
        private_metadata=PickFor(post_id).dump(),
        title="Pick another product",
        submit="Post with it",
        close="Back",
        blocks=[
            section(f"Post {post_id} is held: {escape(reason)}."),
            product_picker(optional=False, hint="Only live products are listed. The post goes out at once."),
        ],
    )


def pick_of(view: dict[str, Any]) -> int:
    return PickFor.load(view.get("private_metadata") or "").post_id
