"""The synced TikTok Shop catalogue: upserts from a sync, title search, a product's own facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from core.products import AgeGrade, CatalogueProduct, ShopProduct, search, tokens, unknown_or_not_live
from storage.models import ProductRow

# Candidates the LIKE pre-filter may hand to the ranking. A query matching more (a letter or two in a
# catalogue of thousands) ranks the first this many by id; another letter narrows it.
MAX_CANDIDATES = 2000
GONE = "DELETED"


@dataclass(frozen=True)
class Upserted:
    added: int
    changed: int


def upsert_products(session: Session, products: Sequence[ShopProduct], now: datetime) -> Upserted:
    """Store one page of a sync: new products are added, known ones take the shop's title and status."""
    ids = [p.id for p in products]
    rows = {
        r.shop_product_id: r
        for r in session.scalars(select(ProductRow).where(ProductRow.shop_product_id.in_(ids)))
    }
    added = changed = 0
    for product in products:
        row = rows.get(product.id)
        if row is None:
            row = ProductRow(shop_product_id=product.id, category="", facts=[])
            session.add(row)
            rows[product.id] = row
            added += 1
        elif (row.title, row.status) != (product.title, product.status):
            changed += 1
        row.title = product.title
        row.search_text = " ".join(tokens(product.title))
        row.status = product.status
        row.shop_updated_at = product.updated_at
        row.synced_at = now
    session.flush()
    return Upserted(added, changed)


def mark_gone(session: Session, sync_started: datetime) -> int:
    """After a whole sync that stamped every product it saw with `sync_started`: the products it did
    not see are no longer listed by the shop, so deleted there. Returns how many."""
    query = (
        update(ProductRow)
        .where(ProductRow.synced_at < sync_started, ProductRow.status != GONE)
        .values(status=GONE, synced_at=sync_started)
    )
    result: CursorResult[Any] = session.execute(query)  # type: ignore[assignment]
    return result.rowcount


def record_status(session: Session, product: ShopProduct, now: datetime) -> None:
    """What a single-product check just saw (before scheduling, before posting)."""
    upsert_products(session, [product], now)


@dataclass(frozen=True)
class _Candidate:
    id: int
    title: str


def find_products(session: Session, query: str, *, limit: int = 25) -> list[CatalogueProduct]:
    """Products whose titles match `query` (core.products.search), best first."""
    words = tokens(query)
    if not words:
        return []
    # Every word must start a word of the title, so each is at least a substring of the folded text.
    # Only ids and titles are ranked; whole rows are loaded for the winners alone.
    matching = (ProductRow.search_text.contains(w, autoescape=True) for w in words)
    rows = session.execute(
        select(ProductRow.id, ProductRow.title).where(*matching).order_by(ProductRow.id).limit(MAX_CANDIDATES)
    )
    best = [c.id for c in search((_Candidate(row.id, row.title) for row in rows), query, limit=limit)]
    loaded = {r.id: r for r in session.scalars(select(ProductRow).where(ProductRow.id.in_(best)))}
    return [to_product(loaded[row_id]) for row_id in best]


def get_product(session: Session, shop_product_id: str) -> CatalogueProduct | None:
    row = session.scalar(select(ProductRow).where(ProductRow.shop_product_id == shop_product_id))
    return to_product(row) if row else None


def products_by_id(session: Session, shop_product_ids: Iterable[str]) -> dict[str, CatalogueProduct]:
    rows = session.scalars(select(ProductRow).where(ProductRow.shop_product_id.in_(list(shop_product_ids))))
    return {r.shop_product_id: to_product(r) for r in rows}


def unpromotable(session: Session, product_ids: Sequence[str]) -> dict[str, str]:
    """Why each of `product_ids` cannot go on a post now, by the synced catalogue: not in it, or not
    live (ACTIVATE). Empty when all can. The single and the bulk schedule both ask this; the publish
    job asks the shop itself again just before posting (workers/products.check_products)."""
    wanted = list(dict.fromkeys(product_ids))
    return unknown_or_not_live(wanted, products_by_id(session, wanted).values()) if wanted else {}


def set_details(
    session: Session,
    shop_product_id: str,
    *,
    category: str,
    facts: Sequence[str],
    age_grade: AgeGrade | None,
) -> CatalogueProduct:
    """What we know of a product beyond the shop's fields; a sync leaves these alone."""
    row = session.scalar(select(ProductRow).where(ProductRow.shop_product_id == shop_product_id))
    if row is None:
        raise LookupError(f"No product {shop_product_id} in the synced catalogue")
    row.category = category
    row.facts = list(facts)
    row.age_grade = age_grade.label if age_grade else None
    session.flush()
    return to_product(row)


def count_products(session: Session, *, status: str | None = None) -> int:
    query = select(func.count()).select_from(ProductRow)
    if status is not None:
        query = query.where(ProductRow.status == status)
    return session.scalar(query) or 0


def to_product(row: ProductRow) -> CatalogueProduct:
    return CatalogueProduct(
        shop_product_id=row.shop_product_id,
        title=row.title,
        status=row.status,
        synced_at=row.synced_at,
        category=row.category,
        facts=tuple(row.facts),
        age_grade=AgeGrade.parse(row.age_grade) if row.age_grade else None,
    )
