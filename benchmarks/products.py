"""How long the TikTok Shop catalogue takes to sync and to search.

Sync: 1,000 products paged (100 a page) from the TikTok Shop stand-in over loopback HTTP, every call
signed and checked, upserted into the database (workers.products.sync_catalogue), then a second sync
that finds everything known. Search: storage.products.find_products over 10,000 products, what the
product picker's external select runs on every keystroke (Slack waits 3 s; the aim is p50 < 50 ms).

Run: .venv/bin/python benchmarks/products.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from scratch_db import scratch_postgres  # this folder is on sys.path when run as a script

from core.products import ShopProduct
from standins.tiktok_shop import TikTokShopStandIn
from storage.db import session_scope
from storage.migrate import upgrade
from storage.products import find_products, upsert_products
from workers.products import connect_shop, sync_catalogue
from workers.tiktok_shop import ShopClient

SYNCED = 1_000
SEARCHED = 10_000
QUERIES = ("k", "ki", "kit", "kite", "tide bo", "volcano rocket 12", "glow puzzle")
KEY = Fernet.generate_key().decode()


def measure_sync(name: str, url: str) -> None:
    upgrade(url)
    with TikTokShopStandIn() as shop:
        shop.add_products(SYNCED)
        client = ShopClient(
            app_key=shop.app_key,
            app_secret=shop.app_secret,
            service_id=shop.service_id,
            api_url=shop.api_url,
            auth_url=shop.auth_url,
            authorize_url=shop.authorize_url,
        )
        connect_shop(url, client, KEY, code=shop.issue_code(), user_id="U1")
        for label in ("first sync", "second sync"):
            started = time.perf_counter()
            result = sync_catalogue(url, client, KEY)
            took = time.perf_counter() - started
            print(f"{name:<10} {label:<14} {result.seen:>7,} products {took * 1000:>9.0f} ms")
        client.close()


def measure_search(name: str, url: str) -> None:
    now = datetime.now(UTC)
    words = ("Tidepool", "Kite", "Volcano", "Garden", "Bath", "Boat", "Puzzle", "Blocks", "Glow", "Rocket")
    products = [
        ShopProduct(str(n), f"{words[n % 10]} {words[n // 10 % 10]} {n}", "ACTIVATE") for n in range(SEARCHED)
    ]
    with session_scope(url) as session:
        for start in range(0, SEARCHED, 500):
            upsert_products(session, products[start : start + 500], now)
    for query in QUERIES:
        times = []
        for _ in range(7):
            started = time.perf_counter()
            with session_scope(url) as session:
                found = find_products(session, query, limit=100)  # what the picker asks
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{name:<10} search {query!r:<20} {len(found):>3} found  "
            f"p50 {statistics.median(times):>6.1f} ms  max {max(times):>6.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server to measure too")
    args = parser.parse_args()
    print(f"sync {SYNCED:,} products from the stand-in; search {SEARCHED:,} (aim: p50 < 50 ms)")
    with tempfile.TemporaryDirectory() as tmp:
        measure_sync("sqlite", f"sqlite:///{Path(tmp) / 'sync.db'}")
        measure_search("sqlite", f"sqlite:///{Path(tmp) / 'sync.db'}")
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            measure_sync("postgresql", url)
            measure_search("postgresql", url)


if __name__ == "__main__":
    main()
