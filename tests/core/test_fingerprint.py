import csv
import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.fingerprint import (
    BAND_BITS,
    BAND_COUNT,
    NEAR_DUPLICATE_DISTANCE,
    PROBE_RADIUS,
    Fingerprint,
    FingerprintIndex,
    PostRecord,
    band_probes,
    bands,
    exact_hash,
    find_conflicts,
    frame_dhash,
    hamming,
    media_sha256,
    normalise,
    simhash64,
    video_phash,
)

CAPTION_PAIRS = Path(__file__).parent / "data" / "caption_pairs.csv"


# --- normalise and text hashes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("𝗕𝗮𝘁𝘁𝗹𝗲 tops", "battle tops"),  # styled letters are plain letters
        ("ＢＵＢＢＬＥＳ", "bubbles"),  # full-width too
        ("LET IT RIP", "let it rip"),
        ("Shop https://shop.example.com/kites?utm_source=tt now", "shop now"),
        ("see www.example.com/x!", "see"),
        ("Squeeze 🐙🐳, fill… squirt!!! 👩‍👩‍👧 1️⃣", "squeeze fill squirt 1"),
        ("#WaterPlay @natureplaymums", "waterplay natureplaymums"),
        ("don’t can't", "dont cant"),
        ("  lots \n of\t space  ", "lots of space"),
        ("Crème brûlée", "crème brûlée"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_exact_hash_is_the_sha256_of_the_normalised_text() -> None:
    assert exact_hash("Kite!! 🪁") == hashlib.sha256(b"kite").hexdigest()
    assert exact_hash("KITE") == exact_hash("kite 🪁")
    assert exact_hash("kite") != exact_hash("kites")


def test_simhash_is_stable_across_processes() -> None:
    # Pinned: a change here means every stored fingerprint would need recomputing.
    assert simhash64("Stunt kite loops in the breeze") == 0x9E0A0C0C1120806C


def test_simhash_ignores_hashtags_word_order_and_styling() -> None:
    caption = "Stunt kite loops in the breeze"
    assert simhash64(caption) == simhash64("THE breeze: stunt kite loops in 🪁 #kiteflying #fyp")


def test_simhash_of_a_caption_of_only_hashtags_uses_them() -> None:
    assert simhash64("#kites #summer") != simhash64("#racing #cars")
    assert simhash64("#kites #summer") != 0


def test_simhash_of_nothing_is_zero() -> None:
    assert simhash64("") == 0
    assert simhash64("🎉🎉 !!") == 0


def test_hamming() -> None:
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(0, (1 << 64) - 1) == 64


# --- the near-duplicate threshold on the caption table --------------------------------------------------


def caption_distances() -> tuple[list[int], list[int]]:
    with CAPTION_PAIRS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    same = [hamming(simhash64(r["a"]), simhash64(r["b"])) for r in rows if r["label"] == "same"]
    different = [hamming(simhash64(r["a"]), simhash64(r["b"])) for r in rows if r["label"] == "different"]
    assert len(same) + len(different) == len(rows), "every row is labelled same or different"
    return same, different


def test_the_caption_table_has_at_least_30_pairs_of_each_kind() -> None:
    same, different = caption_distances()
    assert len(same) >= 30
    assert len(different) >= 30


def test_near_duplicate_threshold_precision_and_recall_on_the_caption_table() -> None:
    # Measured at 11 bits: 34 of 35 same-content pairs found, 1 of 37 different pairs matched.
    same, different = caption_distances()
    found = sum(distance <= NEAR_DUPLICATE_DISTANCE for distance in same)
    false_matches = sum(distance <= NEAR_DUPLICATE_DISTANCE for distance in different)
    recall = found / len(same)
    precision = found / (found + false_matches)
    assert recall >= 0.95
    assert precision >= 0.95


# --- bands and the index --------------------------------------------------------------------------------


def test_bands_cut_the_hash_into_16_bit_pieces() -> None:
    simhash = 0x0123_4567_89AB_CDEF
    assert bands(simhash) == (0xCDEF, 0x89AB, 0x4567, 0x0123)
    assert BAND_COUNT * BAND_BITS == 64


def test_band_probes_are_every_value_within_the_probe_radius() -> None:
    probes = band_probes(0x0123_4567_89AB_CDEF)
    assert len(probes) == BAND_COUNT
    for band, values in zip(bands(0x0123_4567_89AB_CDEF), probes, strict=True):
        assert values[0] == band
        assert len(set(values)) == 1 + 16 + 120  # 0, 1 or 2 of 16 bits flipped
        assert max(hamming(band, value) for value in values) == PROBE_RADIUS


def flipped(simhash: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), bits):
        simhash ^= 1 << bit
    return simhash


def test_the_index_finds_every_hash_within_the_threshold() -> None:
    # The pigeonhole guarantee, checked on hashes at every distance up to the threshold.
    rng = random.Random(7)
    index: FingerprintIndex[int] = FingerprintIndex()
    stored = [rng.getrandbits(64) for _ in range(2_000)]
    for key, simhash in enumerate(stored):
        index.add(key, Fingerprint(exact=f"text {key}", simhash=simhash))
    for key, simhash in enumerate(stored[:300]):
        distance = key % (NEAR_DUPLICATE_DISTANCE + 1)
        query = Fingerprint(exact="query", simhash=flipped(simhash, distance, rng))
        assert (key, distance) in index.near(query)


def test_the_index_agrees_with_a_linear_scan() -> None:
    rng = random.Random(11)
    # Clustered hashes, so there are plenty of matches just inside and just outside the threshold.
    centres = [rng.getrandbits(64) for _ in range(20)]
    stored = [flipped(rng.choice(centres), rng.randint(0, 14), rng) for _ in range(3_000)]
    index: FingerprintIndex[int] = FingerprintIndex()
    for key, simhash in enumerate(stored):
        index.add(key, Fingerprint(exact=f"text {key}", simhash=simhash))
    for centre in centres:
        query = Fingerprint(exact="query", simhash=flipped(centre, 3, rng))
        expected = {(key, hamming(query.simhash, s)) for key, s in enumerate(stored)}
        expected = {(key, d) for key, d in expected if d <= NEAR_DUPLICATE_DISTANCE}
        found = index.near(query)
        assert set(found) == expected
        assert [d for _, d in found] == sorted(d for _, d in found)


def test_the_index_looks_up_exact_text() -> None:
    index: FingerprintIndex[str] = FingerprintIndex()
    index.add("post-1", Fingerprint.of_text("Stunt kite loops!"))
    index.add("post-2", Fingerprint.of_text("Bubble machine"))
    index.add("post-3", Fingerprint.of_text("STUNT KITE LOOPS 🪁"))
    assert index.exact(Fingerprint.of_text("stunt kite loops")) == ["post-1", "post-3"]
    assert index.exact(Fingerprint.of_text("stunt kites loop")) == []
    assert len(index) == 3


def test_the_index_finds_a_lightly_edited_caption() -> None:
    index: FingerprintIndex[str] = FingerprintIndex()
    index.add("kite", Fingerprint.of_text("This stunt kite does loops in the lightest breeze. Link in bio!"))
    index.add("pool", Fingerprint.of_text("Paddling pool season is officially open. Link in bio!"))
    edited = Fingerprint.of_text(
        "This stunt kite does loops in the gentlest breeze 🪁 #kiteflying Link in bio!"
    )
    assert [key for key, _ in index.near(edited)] == ["kite"]


def test_the_index_refuses_a_key_twice() -> None:
    index: FingerprintIndex[int] = FingerprintIndex()
    index.add(1, Fingerprint.of_text("kite"))
    with pytest.raises(ValueError, match="already in the index"):
        index.add(1, Fingerprint.of_text("pool"))


def test_captions_without_words_are_never_found() -> None:
    index: FingerprintIndex[int] = FingerprintIndex()
    index.add(1, Fingerprint.of_text("🎉"))
    empty = Fingerprint.of_text("")
    assert not empty.has_text
    assert index.exact(empty) == []
    assert index.near(empty) == []


# --- media ----------------------------------------------------------------------------------------------


def test_media_sha256_of_chunks_equals_the_hash_of_the_whole_file() -> None:
    data = bytes(range(256)) * 1000
    chunks = (data[i : i + 4096] for i in range(0, len(data), 4096))
    assert media_sha256(chunks) == hashlib.sha256(data).hexdigest()


def gradient(width: int, height: int, *, brightness: int = 0) -> list[list[int]]:
    """A frame that gets darker from left to right."""
    return [[brightness + 200 - 200 * x // width for x in range(width)] for _ in range(height)]


def test_frame_dhash_sets_a_bit_where_a_cell_is_brighter_than_its_right_neighbour() -> None:
    assert frame_dhash(gradient(90, 80)) == (1 << 64) - 1
    assert frame_dhash([list(reversed(row)) for row in gradient(90, 80)]) == 0


def test_frame_dhash_survives_resizing_and_brightness_changes() -> None:
    rng = random.Random(3)
    # A small random picture, then the same picture 4x bigger and brighter (each pixel a 4x4 block).
    picture = [[rng.randrange(200) for _ in range(9)] for _ in range(8)]
    bigger = [[value + 40 for value in row for _ in range(4)] for row in picture for _ in range(4)]
    assert frame_dhash(bigger) == frame_dhash(picture)


def test_frame_dhash_handles_sizes_that_do_not_divide_evenly() -> None:
    assert frame_dhash(gradient(37, 23)) == (1 << 64) - 1


def test_frame_dhash_accepts_rows_of_bytes() -> None:
    # ffmpeg's raw grayscale output is bytes, one per pixel.
    frame = [bytes(row) for row in gradient(90, 80)]
    assert frame_dhash(frame) == (1 << 64) - 1


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ([[0] * 8] * 8, "frame is 8x8; it must be at least 9x8"),
        ([[0] * 9] * 7, "frame is 9x7"),
        ([], "frame is 0x0"),
        ([[0] * 10] * 7 + [[0] * 9], "rows must all be 10 pixels wide"),
    ],
)
def test_frame_dhash_refuses_frames_it_cannot_hash(frame: list[list[int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        frame_dhash(frame)


def test_video_phash_hashes_each_frame_in_order() -> None:
    light_to_dark = gradient(18, 16)
    dark_to_light = [list(reversed(row)) for row in light_to_dark]
    assert video_phash([light_to_dark, dark_to_light]) == ((1 << 64) - 1, 0)


# --- conflicts ------------------------------------------------------------------------------------------

WHEN = datetime(2025, 6, 3, 14, 0, tzinfo=UTC)
KITE = "This stunt kite does loops in the lightest breeze. Two lines, easy to steer. Link in bio!"
POOL = "Paddling pool season is officially open. This one inflates in under five minutes."
WATER, FIRE = 2, 3


def record(
    post_id: int,
    text: str,
    *,
    channel_id: int = WATER,
    when: datetime = WHEN,
    media: str | None = None,
    product_id: str | None = None,
) -> PostRecord:
    names = {WATER: "Water", FIRE: "Fire"}
    return PostRecord(
        post_id=post_id,
        channel_id=channel_id,
        channel_name=names[channel_id],
        when=when,
        fingerprint=Fingerprint.of_text(text, media_sha256=media),
        product_id=product_id,
    )


def conflicts(
    text: str,
    records: list[PostRecord],
    *,
    media: str | None = None,
    product_id: str | None = None,
    window: timedelta = timedelta(days=7),
) -> list[tuple[int, str, int | None]]:
    found = find_conflicts(
        Fingerprint.of_text(text, media_sha256=media),
        channel_id=FIRE,
        when=WHEN,
        product_id=product_id,
        records=records,
        product_window=window,
    )
    return [(conflict.post.post_id, conflict.kind, conflict.distance) for conflict in found]


def test_the_same_text_on_another_channel_conflicts_whenever_it_was_posted() -> None:
    a_year_ago = record(1, KITE, when=WHEN - timedelta(days=365))
    next_month = record(
        2, "THIS stunt kite does loops in the lightest breeze; two lines, easy to steer. Link in bio"
    )
    assert conflicts(KITE, [a_year_ago, next_month]) == [(1, "exact", 0), (2, "exact", 0)]


def test_nearly_the_same_text_is_a_near_duplicate_with_its_distance() -> None:
    edited = KITE.replace("lightest", "gentlest").replace("Link in bio!", "Link in bio 🪁 #kiteflying")
    distance = hamming(simhash64(KITE), simhash64(edited))
    assert 0 < distance <= NEAR_DUPLICATE_DISTANCE
    assert conflicts(edited, [record(1, KITE)]) == [(1, "near_duplicate", distance)]


def test_different_text_does_not_conflict() -> None:
    assert conflicts(POOL, [record(1, KITE)]) == []


def test_posts_on_the_same_channel_never_conflict() -> None:
    same_channel = record(1, KITE, channel_id=FIRE, media="abc", product_id="KITE-1")
    assert conflicts(KITE, [same_channel], media="abc", product_id="KITE-1") == []


def test_the_same_video_file_conflicts_even_with_different_text() -> None:
    assert conflicts(POOL, [record(1, KITE, media="abc")], media="abc") == [(1, "same_media", None)]
    assert conflicts(POOL, [record(1, KITE, media=None)], media=None) == []


def test_videos_without_captions_conflict_only_by_media() -> None:
    assert conflicts("", [record(1, "🎉", media="one")], media="two") == []


@pytest.mark.parametrize(
    ("offset", "conflicts_expected"),
    [
        (timedelta(days=-7), True),
        (timedelta(days=7), True),
        (timedelta(hours=2), True),
        (timedelta(days=7, seconds=1), False),
        (timedelta(days=-8), False),
    ],
)
def test_the_same_product_conflicts_only_within_the_window(
    offset: timedelta, conflicts_expected: bool
) -> None:
    other = record(1, KITE, when=WHEN + offset, product_id="POOL-9")
    expected = [(1, "same_product", None)] if conflicts_expected else []
    assert conflicts(POOL, [other], product_id="POOL-9") == expected


def test_posts_without_a_product_do_not_share_one() -> None:
    assert conflicts(POOL, [record(1, KITE, product_id=None)], product_id=None) == []


def test_one_post_can_conflict_in_several_ways_and_results_are_in_time_order() -> None:
    later = record(1, KITE, when=WHEN + timedelta(days=1), media="abc", product_id="KITE-1")
    earlier = record(2, KITE, when=WHEN - timedelta(days=30))
    assert conflicts(KITE, [later, earlier], media="abc", product_id="KITE-1") == [
        (2, "exact", 0),
        (1, "exact", 0),
        (1, "same_media", None),
        (1, "same_product", None),
    ]


def test_the_reason_names_the_post_its_channel_and_its_time() -> None:
    other = record(12, KITE, when=WHEN - timedelta(days=2), product_id="KITE-1")
    found = find_conflicts(
        Fingerprint.of_text(KITE),
        channel_id=FIRE,
        when=WHEN,
        product_id="KITE-1",
        records=[other],
        product_window=timedelta(days=7),
    )
    assert [conflict.reason for conflict in found] == [
        "Same text as post 12 on Water on Sun 1 Jun 2025 at 14:00 UTC (2 days before this one).",
        "Same product KITE-1 as post 12 on Water on Sun 1 Jun 2025 at 14:00 UTC (2 days before this one), "
        "within 7 days of this post.",
    ]
