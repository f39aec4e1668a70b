"""How well and how fast the cross-posting check works.

Run: .venv/bin/python benchmarks/fingerprint.py

Prints the near-duplicate rule's precision and recall on the caption table the tests use, then the
time to check one caption against 100,000 stored fingerprints with FingerprintIndex, against a linear
scan over the same fingerprints, and last the check the app really runs: `storage.fingerprints.conflicts`
against 100,000 posts in the database (SQLite by default; `--database-url postgresql://...` for another). The stored captions are synthetic but shaped like real ones: words
drawn with Zipf-like frequencies, so common words are shared across captions as they are in real life,
which makes SimHash bits less uniform and the band buckets bigger than with random 64-bit numbers.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

from sqlalchemy import insert, text

from contentbot.seed import seed
from core.fingerprint import (
    BAND_BITS,
    BAND_COUNT,
    NEAR_DUPLICATE_DISTANCE,
    PROBE_RADIUS,
    Fingerprint,
    FingerprintIndex,
    band_probes,
    hamming,
    simhash64,
)
from storage.channels import list_channels
from storage.db import engine_for, session_scope
from storage.fingerprints import conflicts, fingerprint_columns
from storage.migrate import upgrade
from storage.models import ContentRow, PostRow, VersionRow

CAPTION_PAIRS = Path(__file__).resolve().parents[1] / "tests" / "core" / "data" / "caption_pairs.csv"
STORED = 100_000
QUERIES = 1_000
LINEAR_QUERIES = 100  # a linear scan is slow enough that a sample gives stable figures
SEED = 20240601
DB_QUERIES = 200

# Joined and split, as a list literal of 100 words would fill a screen.
TOY_WORDS = " ".join(
    (
        "kite stunt delta glider drone bubble balloon rocket plane wind breeze sky water splash squirt bath",
        "pool duck boat fishing sea mermaid blaster soaker race racing car track loop launcher speed drift",
        "monster truck battle arena top dragon fire engine laser tag lego blocks bricks magnetic tiles",
        "marble run dinosaur fossil dig sand castle garden seed crystal geode bug farm tractor train wooden",
    )
).split(" ")
COMMON_WORDS = " ".join(
    (
        "the a and to for our this is it of in on with you your kids who one just get new fun best link",
        "bio shop now day summer birthday gift toddler mum dad year old ages up minutes set pack",
    )
).split(" ")
CTAS = ("Link in bio!", "Tap the cart to shop.", "Which one would you pick?", "Save this for later!")


def main() -> None:
    parser = argparse.ArgumentParser(description="Precision, recall and speed of the cross-posting check.")
    parser.add_argument("--database-url", help="an empty database to fill (default: a temporary SQLite file)")
    args = parser.parse_args()
    print_pair_table()
    print()
    captions, texts = print_index_benchmark()
    print()
    with tempfile.TemporaryDirectory() as tmp:
        print_database_benchmark(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}", captions, texts)


def print_pair_table() -> None:
    with CAPTION_PAIRS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    distances = [(row["label"] == "same", hamming(simhash64(row["a"]), simhash64(row["b"]))) for row in rows]
    same = sum(is_same for is_same, _ in distances)
    print(f"Near-duplicate rule on {CAPTION_PAIRS.name}: {same} same-content pairs, {len(rows) - same} not")
    print("  threshold  recall  precision  false positives")
    for threshold in range(NEAR_DUPLICATE_DISTANCE - 4, NEAR_DUPLICATE_DISTANCE + 5):
        hits = [is_same for is_same, distance in distances if distance <= threshold]
        recall = sum(hits) / same
        precision = sum(hits) / len(hits) if hits else 1.0
        marker = "  <- NEAR_DUPLICATE_DISTANCE" if threshold == NEAR_DUPLICATE_DISTANCE else ""
        print(f"  {threshold:>9}  {recall:6.2f}  {precision:9.2f}  {len(hits) - sum(hits):>15}{marker}")


def print_index_benchmark() -> tuple[list[str], list[str]]:
    rng = random.Random(SEED)
    words, cum_weights = zipf_vocabulary(rng)
    captions = [synthetic_caption(rng, words, cum_weights) for _ in range(STORED)]

    started = time.perf_counter()
    fingerprints = [Fingerprint.of_text(caption) for caption in captions]
    fingerprint_seconds = time.perf_counter() - started

    started = time.perf_counter()
    index = build_index(fingerprints)
    build_seconds = time.perf_counter() - started
    tracemalloc.start()
    measured = build_index(fingerprints)  # kept alive until measured: a freed index would read as 0
    index_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del measured

    # Half the queries are edited copies of stored captions, so the index has something to find.
    texts = [
        edited(rng, rng.choice(captions)) if i % 2 else synthetic_caption(rng, words, cum_weights)
        for i in range(QUERIES)
    ]
    queries = [Fingerprint.of_text(text) for text in texts]
    index_times, found = timed(lambda fp: index.near(fp) + [(key, 0) for key in index.exact(fp)], queries)
    stored = list(enumerate(fingerprints))
    linear_times, linear_found = timed(lambda fp: linear_scan(stored, fp), queries[:LINEAR_QUERIES])
    agree = all(
        {key for key, _ in by_index} == {key for key, _ in by_scan}
        # The scan covered only the first LINEAR_QUERIES queries, hence strict=False.
        for by_index, by_scan in zip(found, linear_found, strict=False)
    )
    candidates = statistics.mean(len(index.candidates(fp)) for fp in queries)
    edited_found = sum(bool(result) for result in found[1::2]) / len(found[1::2])

    print(f"Index of {STORED:,} synthetic captions (threshold {NEAR_DUPLICATE_DISTANCE} bits)")
    print(f"  fingerprinting: {fingerprint_seconds / STORED * 1e6:.0f} µs per caption")
    print(f"  build: {build_seconds:.2f} s, memory ≈ {index_bytes / 2**20:.0f} MiB")
    print(f"  index check, {QUERIES} queries: p50 {ms(index_times, 50)}  p99 {ms(index_times, 99)}")
    print(f"  linear scan, {LINEAR_QUERIES} queries:  p50 {ms(linear_times, 50)}  p99 {ms(linear_times, 99)}")
    speedup = statistics.median(linear_times) / statistics.median(index_times)
    print(f"  linear / index at p50: {speedup:.1f}x; same results as linear scan: {'yes' if agree else 'NO'}")
    print(f"  mean candidates compared bit by bit: {candidates:,.0f} of {STORED:,}")
    print(f"  edited copies found: {edited_found:.0%}")
    print(
        HOW_IT_IS_INDEXED.format(
            bands=BAND_COUNT,
            bits=BAND_BITS,
            k=NEAR_DUPLICATE_DISTANCE,
            r=PROBE_RADIUS,
            probes=len(band_probes(0)[0]),
        )
    )
    return captions, texts


def print_database_benchmark(url: str, captions: Sequence[str], texts: Sequence[str]) -> None:
    """The app's own check: band-probe query on indexed columns, then exact distances in core."""
    upgrade(url)
    seed(url)
    engine = engine_for(url)
    when = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with session_scope(url) as session:
        channel_ids = [c.id for c in list_channels(session)]
    started = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, len(captions), 10_000):
            batch = range(start, min(start + 10_000, len(captions)))
            conn.execute(
                insert(ContentRow),
                [
                    {"id": i + 1, "agent": "tiktok_hook", "requester_id": "U0BENCH", "status": "approved"}
                    for i in batch
                ],
            )
            conn.execute(
                insert(VersionRow),
                [
                    {
                        "id": i + 1,
                        "content_id": i + 1,
                        "number": 1,
                        "fields": {"caption": captions[i]},
                        "text": captions[i],
                        "author_kind": "person",
                        "author_id": "U0BENCH",
                        **fingerprint_columns(Fingerprint.of_text(captions[i])),
                    }
                    for i in batch
                ],
            )
            conn.execute(
                insert(PostRow),
                [
                    {
                        "content_id": i + 1,
                        "version_id": i + 1,
                        "channel_id": channel_ids[i % len(channel_ids)],
                        "scheduled_at": when - timedelta(hours=i % 5000),
                        "status": "published",
                        "created_by": "U0BENCH",
                    }
                    for i in batch
                ],
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # As autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) would after a bulk load: without
        # statistics, planners guess that 137 band values match a large share of rows, and scan.
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    load_seconds = time.perf_counter() - started
    queries = [Fingerprint.of_text(text) for text in texts[:DB_QUERIES]]
    with session_scope(url) as session:
        times, found = timed(
            lambda fp: conflicts(session, fp, channel_id=channel_ids[0], when=when, product_id="SKU-1"),
            queries,
        )
    dialect = engine.dialect.name
    print(
        f"storage.fingerprints.conflicts against {len(captions):,} posts in {dialect} (loaded in {load_seconds:.1f} s)"
    )
    print(f"  {DB_QUERIES} checks: p50 {ms(times, 50)}  p99 {ms(times, 99)}")
    print(f"  checks that found a conflict: {sum(bool(f) for f in found)} of {DB_QUERIES}")


HOW_IT_IS_INDEXED = """\
How it is indexed: each SimHash is cut into {bands} bands of {bits} bits, and one dict per band maps
a band value to the keys having it. Two hashes at most {k} bits apart differ by at most {r} bits in at
least one band (pigeonhole), so a check looks up the {probes} values within {r} bits of each of its
band values and compares only the keys found. Storage does the same with an indexed column per
band and `band_i IN (...)`. Exact text matches are a dict lookup on the SHA-256."""


def zipf_vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Real common and toy words first, then made-up ones, weighted 1/rank like word frequencies."""
    syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "or", "pi", "dan", "ex", "qui", "zo", "ber"]
    invented = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(6_000)}
    words = COMMON_WORDS + TOY_WORDS + sorted(invented - set(COMMON_WORDS) - set(TOY_WORDS))
    return words, list(accumulate(1 / rank for rank in range(1, len(words) + 1)))


def synthetic_caption(rng: random.Random, words: Sequence[str], cum_weights: Sequence[float]) -> str:
    body = " ".join(rng.choices(words, cum_weights=cum_weights, k=rng.randint(10, 30)))
    tags = " ".join(f"#{tag}" for tag in rng.sample(TOY_WORDS, k=rng.randint(0, 4)))
    return f"{body.capitalize()}. {rng.choice(CTAS)} {tags}"


def edited(rng: random.Random, caption: str) -> str:
    """A light edit of the kind the caption table counts as the same content."""
    words = caption.split()
    match rng.randrange(3):
        case 0:
            words[rng.randrange(len(words))] = rng.choice(TOY_WORDS)
        case 1:
            words.append(f"#{rng.choice(TOY_WORDS)}fun 🎉")
        case _:
            words.append(rng.choice(CTAS))
    return " ".join(words)


def build_index(fingerprints: Sequence[Fingerprint]) -> FingerprintIndex[int]:
    index: FingerprintIndex[int] = FingerprintIndex()
    for key, fingerprint in enumerate(fingerprints):
        index.add(key, fingerprint)
    return index


def linear_scan(stored: Sequence[tuple[int, Fingerprint]], query: Fingerprint) -> list[tuple[int, int]]:
    return [
        (key, distance)
        for key, fingerprint in stored
        if (distance := hamming(query.simhash, fingerprint.simhash)) <= NEAR_DUPLICATE_DISTANCE
        or fingerprint.exact == query.exact
    ]


T = TypeVar("T")


def timed(check: Callable[[Fingerprint], T], queries: Sequence[Fingerprint]) -> tuple[list[float], list[T]]:
    times, results = [], []
    for query in queries:
        started = time.perf_counter()
        results.append(check(query))
        times.append(time.perf_counter() - started)
    return times, results


def ms(times: Sequence[float], percentile: int) -> str:
    return f"{statistics.quantiles(times, n=100)[percentile - 1] * 1000:6.2f} ms"


if __name__ == "__main__":
    main()
