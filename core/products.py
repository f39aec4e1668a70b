"""TikTok Shop products as we keep them: the synced catalogue, its title search, age grades.

The Shop API has no free-text search (reference §4.3), so `/content products <words>` and the product
pickers search our own copy of the catalogue, synced by paging through the shop's products:

    search(catalogue, "tide boat")   # best first: whole-word and prefix matches on the title

Matching ignores case and accents ("Crème" finds "creme"), and every word typed must match a word of
the title, either whole or as its beginning, so results narrow as a person types.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from core.agents import Product

# The one status in which a product can be sold and so promoted (reference §4.3).
LIVE_STATUS = "ACTIVATE"
STATUS_LABELS = {
    "ACTIVATE": "live",
    "DRAFT": "a draft",
    "PENDING": "pending review",
    "FAILED": "failed review",
    "SELLER_DEACTIVATED": "deactivated by the seller",
    "PLATFORM_DEACTIVATED": "deactivated by TikTok",
    "FREEZE": "frozen",
    "DELETED": "deleted",
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.lower().replace("_", " "))


@dataclass(frozen=True)
class ShopProduct:
    """A product as the shop lists it."""

    id: str
    title: str
    status: str
    updated_at: datetime | None = None
    seller_skus: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        return self.status == LIVE_STATUS


@dataclass(frozen=True)
class AgeGrade:
    """The ages a toy is meant for: `min_years`+, or `min_years`-`max_years`."""

    min_years: int
    max_years: int | None = None

    def __post_init__(self) -> None:
        if self.min_years < 0 or (self.max_years is not None and self.max_years < self.min_years):
            raise ValueError(f"{self.min_years}-{self.max_years} is not an age range")

    @property
    def label(self) -> str:
        return f"{self.min_years}+" if self.max_years is None else f"{self.min_years}-{self.max_years}"

    @classmethod
    def parse(cls, text: str) -> AgeGrade:
        """'3+', 'ages 6+', '3-5', '4 to 7 years': what people write on toy boxes."""
        found = _AGES.search(text)
        if found is None:
            raise ValueError(f"{text!r} is not an age grade; write it as 3+ or 3-5")
        low, high = found.group(1), found.group(2)
        return cls(int(low), int(high) if high else None)

    def includes(self, years: int) -> bool:
        return years >= self.min_years and (self.max_years is None or years <= self.max_years)


_AGES = re.compile(r"(\d{1,2})\s*(?:\+|(?:-|–|to)\s*(\d{1,2}))")


@dataclass(frozen=True)
class CatalogueProduct:
    """A product of the synced catalogue, with what we know of it beyond the shop's fields."""

    shop_product_id: str
    title: str
    status: str
    synced_at: datetime
    category: str = ""
    facts: tuple[str, ...] = ()
    age_grade: AgeGrade | None = None

    @property
    def live(self) -> bool:
        return self.status == LIVE_STATUS

    def for_agents(self) -> Product:
        """The product as the agents and the draft checks take it."""
        return Product(
            self.title,
            self.category,
            self.facts,
            id=self.shop_product_id,
            age_grade=self.age_grade.label if self.age_grade else "",
        )


# --- Title search -------------------------------------------------------------------------------------


class Titled(Protocol):
    @property
    def title(self) -> str: ...


T = TypeVar("T", bound=Titled)
_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without accents: 'Crème Brûlée' -> 'creme brulee'."""
    # Compatibility forms first (mathematical letters, ligatures), then case: casefolding before
    # NFKD leaves e.g. '𝝖' as a capital Α.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def score(title: str, query: str) -> int | None:
    """How well `title` matches `query`, higher is better; None when some word of the query is not
    the whole or the beginning of a word of the title. An empty query matches nothing."""
    words = tokens(query)
    title_words = tokens(title)
    if not words:
        return None
    total = 0
    for word in words:
        if word in title_words:
            total += 3
        elif any(t.startswith(word) for t in title_words):
            total += 1
        else:
            return None
    # A title that starts with what was typed goes first among equals, not above whole-word matches.
    if " ".join(title_words).startswith(" ".join(words)):
        total += 1
    return total


def search(catalogue: Iterable[T], query: str, *, limit: int = 25) -> list[T]:
    """The items whose titles match `query`, best first; ties keep the shorter title first, then
    the catalogue's order."""
    ranked: list[tuple[int, int, int, T]] = []
    for position, item in enumerate(catalogue):
        found = score(item.title, query)
        if found is not None:
            ranked.append((-found, len(item.title), position, item))
    ranked.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in ranked[:limit]]


def unknown_or_not_live(
    product_ids: Sequence[str], catalogue: Iterable[ShopProduct | CatalogueProduct]
) -> dict[str, str]:
    """Why each of `product_ids` cannot be promoted ("not in the shop", "deactivated by the
    seller", ...); the live ones are left out, so an empty answer means all are fine."""
    by_id = {(p.id if isinstance(p, ShopProduct) else p.shop_product_id): p for p in catalogue}
    reasons = {}
    for product_id in product_ids:
        product = by_id.get(product_id)
        if product is None:
            reasons[product_id] = "not in the shop"
        elif not product.live:
            reasons[product_id] = status_label(product.status)
    return reasons


def refusals(reasons: Mapping[str, str]) -> list[str]:
    """One line per product that cannot be promoted, for a refusal that gives every reason at once."""
    return [
        f"Product {product_id} is {reason}: a post promotes only products live (ACTIVATE) in the shop."
        if reason != "not in the shop"
        else f"Product {product_id} is not in the shop's catalogue (`/content products <words>` finds ids)."
        for product_id, reason in reasons.items()
    ]


def with_product(caption: str, title: str | None) -> str:
    """The caption that names the product it promotes: no API attaches the product to the video
    (reference §4.5), so viewers learn it from the words. Unchanged when it names it already."""
    if not title or " ".join(tokens(title)) in " ".join(tokens(caption)):
        return caption
    return f"{caption}{_named(title)}".strip()


def without_product(caption: str, title: str | None) -> str:
    """The caption before with_product named `title` (a held post goes out without it, or with another)."""
    named = _named(title) if title else ""
    return caption.removesuffix(named) if named else caption


def _named(title: str) -> str:
    return f"\n\nShop: {title}"
