"""The synced catalogue and the shop connection, stored on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from core.products import AgeGrade, ShopProduct
from core.shop import Shop, ShopTokens
from storage import products as catalogue
from storage import shop as connections
from storage.crypto import decrypt, encrypt
from storage.db import session_scope
from storage.models import ShopConnectionRow

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEY = Fernet.generate_key().decode()
TOKENS = ShopTokens(
    "access-secret-1",
    NOON + timedelta(days=7),
    "refresh-secret-1",
    NOON + timedelta(days=365),
    "Elemental Toys",
)
SHOP = Shop("7494", "GCP_cipher", "Elemental Toys", "GB")
TITLES = [
    "Tidepool Bath Boat",
    "Crème Brûlée Play Kitchen Set",
    "Stunt Kite for Beginners",
    "Kitesurf Figure",
    "Volcano Science Kit 100% fun",
    "Garden Bug_Hotel",
]


def stored(database_url: str) -> list[ShopProduct]:
    products = [ShopProduct(str(n), title, "ACTIVATE", NOON) for n, title in enumerate(TITLES, 1)]
    with session_scope(database_url) as session:
        catalogue.upsert_products(session, products, NOON)
    return products


def titles(database_url: str, query: str) -> list[str]:
    with session_scope(database_url) as session:
        return [p.title for p in catalogue.find_products(session, query)]


def test_encrypt_round_trips_and_a_wrong_key_fails() -> None:
    token = encrypt("a token", KEY)
    assert "a token" not in token and decrypt(token, KEY) == "a token"
    with pytest.raises(InvalidToken):
        decrypt(token, Fernet.generate_key().decode())


def test_tokens_are_encrypted_at_rest_and_read_back(database_url: str) -> None:
    with session_scope(database_url) as session:
        saved = connections.save_connection(session, SHOP, TOKENS, key=KEY, user_id="U1", now=NOON)
    with session_scope(database_url) as session:
        row = session.scalar(select(ShopConnectionRow))
        assert row is not None
        assert "secret" not in row.access_token + row.refresh_token
        found = connections.current_connection(session, key=KEY, lock=True)
    assert found == saved
    assert found is not None and found.tokens == TOKENS and found.shop == SHOP and found.connected_by == "U1"


def test_a_reconnection_replaces_the_tokens_and_a_refresh_updates_them(database_url: str) -> None:
    with session_scope(database_url) as session:
        first = connections.save_connection(session, SHOP, TOKENS, key=KEY, user_id="U1", now=NOON)
        later = ShopTokens("access-2", NOON + timedelta(days=9), "refresh-2", NOON + timedelta(days=400))
        connections.save_connection(session, SHOP, later, key=KEY, user_id="U2", now=NOON + timedelta(days=2))
        newest = ShopTokens("access-3", NOON + timedelta(days=10), "refresh-2", NOON + timedelta(days=400))
        connections.update_tokens(session, first.id, newest, key=KEY, now=NOON + timedelta(days=3))
        connections.mark_synced(session, first.id, NOON + timedelta(days=3))
    with session_scope(database_url) as session:
        found = connections.current_connection(session, key=KEY)
        assert session.query(ShopConnectionRow).count() == 1
    assert found is not None
    assert (found.id, found.tokens, found.connected_by) == (first.id, newest, "U2")
    assert found.synced_at == NOON + timedelta(days=3)


def test_upserts_count_new_and_changed_products(database_url: str) -> None:
    products = stored(database_url)
    changed = [
        ShopProduct("1", TITLES[0], "SELLER_DEACTIVATED"),
        ShopProduct("2", "Play Kitchen", "ACTIVATE"),
    ]
    with session_scope(database_url) as session:
        result = catalogue.upsert_products(
            session, [*changed, products[2], ShopProduct("99", "New", "DRAFT")], NOON
        )
        assert (result.added, result.changed) == (1, 2)
        assert catalogue.get_product(session, "1").status == "SELLER_DEACTIVATED"
        assert catalogue.count_products(session) == 7
        assert set(catalogue.products_by_id(session, ["2", "99", "nope"])) == {"2", "99"}


def test_a_whole_sync_marks_what_the_shop_no_longer_lists(database_url: str) -> None:
    products = stored(database_url)
    later = NOON + timedelta(days=1)
    with session_scope(database_url) as session:
        catalogue.upsert_products(session, products[:4], later)
        assert catalogue.mark_gone(session, later) == 2
        assert catalogue.get_product(session, "6").status == "DELETED"
        assert catalogue.mark_gone(session, later) == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kite", ["Stunt Kite for Beginners", "Kitesurf Figure"]),
        (
            "KIT",
            [
                "Volcano Science Kit 100% fun",
                "Kitesurf Figure",
                "Stunt Kite for Beginners",
                "Crème Brûlée Play Kitchen Set",
            ],
        ),
        ("creme brulee", ["Crème Brûlée Play Kitchen Set"]),
        ("brû kitch", ["Crème Brûlée Play Kitchen Set"]),
        ("100%", ["Volcano Science Kit 100% fun"]),
        ("bug hotel", ["Garden Bug_Hotel"]),
        ("boat kite", []),
        ("  ", []),
    ],
)
def test_title_search_on_the_stored_catalogue(database_url: str, query: str, expected: list[str]) -> None:
    stored(database_url)
    assert titles(database_url, query) == expected


def test_facts_and_age_grade_are_kept_through_a_sync(database_url: str) -> None:
    products = stored(database_url)
    with session_scope(database_url) as session:
        catalogue.set_details(
            session, "1", category="Toys > Bath", facts=["Floats", "BPA-free"], age_grade=AgeGrade(3)
        )
        catalogue.upsert_products(session, [ShopProduct("1", "Tidepool Bath Boat XL", "ACTIVATE")], NOON)
        product = catalogue.get_product(session, "1")
        with pytest.raises(LookupError):
            catalogue.set_details(session, "nope", category="", facts=[], age_grade=None)
    assert product is not None and products[0].id == "1"
    assert (product.title, product.facts, product.age_grade) == (
        "Tidepool Bath Boat XL",
        ("Floats", "BPA-free"),
        AgeGrade(3),
    )
    for_agents = product.for_agents()
    assert (for_agents.id, for_agents.age_grade, for_agents.category) == ("1", "3+", "Toys > Bath")


def test_unpromotable_names_unknown_and_not_live_products_from_the_catalogue(database_url: str) -> None:
    stored(database_url)
    with session_scope(database_url) as session:
        catalogue.upsert_products(session, [ShopProduct("2", TITLES[1], "SELLER_DEACTIVATED", NOON)], NOON)
    with session_scope(database_url) as session:
        assert catalogue.unpromotable(session, ["1", "1"]) == {}
        assert catalogue.unpromotable(session, []) == {}
        assert catalogue.unpromotable(session, ["1", "2", "99"]) == {
            "2": "deactivated by the seller",
            "99": "not in the shop",
        }
