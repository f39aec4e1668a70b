"""Fingerprints of posts, so the same content is never posted on two channels.

A post's text gets two fingerprints: an exact hash of its normalised text, and a 64-bit SimHash whose
Hamming distance to another post's SimHash is small when the texts are nearly the same (hashtags added,
a word changed, a different call to action). Videos get a SHA-256 of the file and, when frames have
been extracted elsewhere, a perceptual hash per frame.

Near-duplicate search uses the pigeonhole principle. The 64 bits are cut into 4 bands of 16 bits; if two
hashes differ in at most 11 bits, at least one band differs in at most 11 // 4 = 2 bits (were all four
3 or more, the total would be 12). So each band value is stored (a dict here, an indexed column in
storage), and a search looks up, per band, the 137 values within 2 bits of its own: only the posts found
that way are compared bit by bit. The textbook form, 12 bands of ~5 bits matched exactly, has the same
guarantee but 5-bit bands are shared by so many posts that it barely beats a linear scan.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations, pairwise
from typing import Generic, Literal, TypeVar

# Two channels promoting one shop product closer than this repeat each other.
PRODUCT_WINDOW = timedelta(hours=48)

NEAR_DUPLICATE_DISTANCE: int = 11
"""Two texts whose SimHashes differ in at most this many bits are treated as the same content.

Tuned on tests/core/data/caption_pairs.csv (35 same-content pairs, 37 different captions about similar
toys): recall 0.97 and precision 0.97 at 11; 10 loses a changed call to action, 12 adds a false match.
11 is also the most the 4-band index below can guarantee with a probe radius of 2.
"""

BAND_COUNT = 4
BAND_BITS = 16
PROBE_RADIUS = NEAR_DUPLICATE_DISTANCE // BAND_COUNT
"""Near duplicates share at least one band to within this many bits (pigeonhole, see above)."""

_BAND_MASK = (1 << BAND_BITS) - 1
# Every 16-bit pattern of at most PROBE_RADIUS set bits, fewest first: XOR-ed with a band value they
# give the values a near duplicate's band may have.
_PROBE_FLIPS = tuple(
    sum(1 << bit for bit in bits)
    for flipped in range(PROBE_RADIUS + 1)
    for bits in combinations(range(BAND_BITS), flipped)
)


# --- text ---------------------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+")
_APOSTROPHES = re.compile(r"['’]")


def normalise(text: str) -> str:
    """The words of `text` with everything that doesn't change its meaning removed."""
    # NFKC first: TikTok captions use "𝐁𝐔𝐁𝐁𝐋𝐄𝐒", full-width and ligature letters that are the plain word.
    text = unicodedata.normalize("NFKC", text)
    # casefold rather than lower so "STRAẞE" and "strasse" agree; capitals are styling, not content.
    text = text.casefold()
    # URLs go before punctuation, or their tracking parameters would turn into words that differ per post.
    text = _URL.sub(" ", text)
    # Dropping apostrophes keeps "don't" one word instead of "don" + "t".
    text = _APOSTROPHES.sub("", text)
    # Anything but letters, digits and combining marks becomes a space: emoji, punctuation and the # of a
    # hashtag are decoration, while the hashtag's word is content. Combining marks stay for scripts
    # that need them.
    text = "".join(char if unicodedata.category(char)[0] in "LNM" else " " for char in text)
    # Emoji sequences leave variation selectors (category M) behind; they carry no text.
    text = _VARIATION_SELECTORS.sub("", text)
    return " ".join(text.split())


_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\u20e3]")


def exact_hash(text: str) -> str:
    """Hex SHA-256 of the normalised text: equal for texts that differ only in styling."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def simhash64(text: str) -> int:
    """64-bit SimHash of the words of the text, leaving out its hashtags (0 for no words).

    Hashtags are left out because swapping them is exactly how one caption gets reused on another
    channel (#waterplay → #racing); a caption of nothing but hashtags keeps them, as they are all it has.
    Single words, not words plus word pairs: pairs make every edit flip more bits, and on the caption
    table they cut recall at 11 bits from 0.97 to 0.77 without a single fewer false match.
    blake2b hashes the words because Python's hash() changes from one process to the next.
    """
    words = normalise(_HASHTAG.sub(" ", unicodedata.normalize("NFKC", text))).split()
    words = words or normalise(text).split()
    if not words:
        return 0
    # Each word votes on each bit; the bit is set where most words have it set. Counting columns of
    # bit strings keeps the 64 x words loop inside C.
    bit_rows = [format(_hash64(word), "064b") for word in words]
    majority = len(words) / 2
    bits = "".join("1" if column.count("1") > majority else "0" for column in zip(*bit_rows, strict=True))
    return int(bits, 2)


_HASHTAG = re.compile(r"#\w+")


def _hash64(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")


def hamming(a: int, b: int) -> int:
    """How many bits differ between `a` and `b`."""
    return (a ^ b).bit_count()


def bands(simhash: int) -> tuple[int, ...]:
    """The BAND_COUNT 16-bit band values of `simhash`, lowest bits first, for storing in indexed columns."""
    return tuple((simhash >> (band * BAND_BITS)) & _BAND_MASK for band in range(BAND_COUNT))


def band_probes(simhash: int) -> tuple[tuple[int, ...], ...]:
    """Per band, the values to look up to find every near duplicate of `simhash`.

    A stored hash within NEAR_DUPLICATE_DISTANCE bits has, in at least one band, one of these values
    (137 per band with a radius of 2): storage queries `band_i IN probes[i]` for each band.
    """
    return tuple(tuple(value ^ flip for flip in _PROBE_FLIPS) for value in bands(simhash))


# --- media --------------------------------------------------------------------------------------------


def media_sha256(chunks: Iterable[bytes]) -> str:
    """Hex SHA-256 of a file the caller streams in chunks, so a video never has to fit in memory."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


_DHASH_WIDTH, _DHASH_HEIGHT = 9, 8  # 9 columns give 8 left/right comparisons per row: 64 bits


def frame_dhash(gray: Sequence[Sequence[int]]) -> int:
    """64-bit difference hash of a grayscale frame (rows of 0-255 values, at least 9 wide and 8 high).

    The frame is shrunk to 9x8 by averaging boxes of pixels, and each bit says whether a cell is brighter
    than its right-hand neighbour. That survives re-encoding, resizing and brightness changes, which
    change the file's SHA-256 completely. Pass frames already scaled down (ffmpeg can), as this is pure
    Python: a full-HD frame takes about a second.
    """
    height = len(gray)
    width = len(gray[0]) if height else 0
    if width < _DHASH_WIDTH or height < _DHASH_HEIGHT:
        raise ValueError(f"frame is {width}x{height}; it must be at least {_DHASH_WIDTH}x{_DHASH_HEIGHT}")
    if any(len(row) != width for row in gray):
        raise ValueError(f"frame rows must all be {width} pixels wide")
    bits = 0
    for cells in _box_average(gray, width, height):
        for left, right in pairwise(cells):
            bits = (bits << 1) | (left > right)
    return bits


def _box_average(gray: Sequence[Sequence[int]], width: int, height: int) -> list[list[float]]:
    """The frame resized to 9x8, each cell the mean of the pixels it covers."""
    xs = [width * i // _DHASH_WIDTH for i in range(_DHASH_WIDTH + 1)]
    ys = [height * j // _DHASH_HEIGHT for j in range(_DHASH_HEIGHT + 1)]
    columns = list(pairwise(xs))
    grid = []
    for top, bottom in pairwise(ys):
        sums = [0] * _DHASH_WIDTH
        for row in gray[top:bottom]:
            for i, (left, right) in enumerate(columns):
                sums[i] += sum(row[left:right])
        height = bottom - top
        grid.append(
            [total / (height * (right - left)) for total, (left, right) in zip(sums, columns, strict=True)]
        )
    return grid


def video_phash(frames: Iterable[Sequence[Sequence[int]]]) -> tuple[int, ...]:
    """One frame_dhash per sampled frame, in order."""
    return tuple(frame_dhash(frame) for frame in frames)


# --- fingerprints and the index -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    exact: str
    simhash: int
    media_sha256: str | None = None

    @classmethod
    def of_text(cls, text: str, media_sha256: str | None = None) -> Fingerprint:
        return cls(exact=exact_hash(text), simhash=simhash64(text), media_sha256=media_sha256)

    @property
    def has_text(self) -> bool:
        """False for a caption with no words (say, emoji only): all of those would match each other."""
        return self.exact != _EMPTY_TEXT_HASH


_EMPTY_TEXT_HASH = exact_hash("")


K = TypeVar("K", bound=Hashable)


class FingerprintIndex(Generic[K]):
    """Fingerprints in memory, found by exact text or by near-duplicate SimHash.

    One dict per band maps a band value to the keys having it, the same lookup storage does with an
    indexed column per band; `candidates` probes them as `band_probes` describes.
    """

    def __init__(self) -> None:
        self._simhashes: dict[K, int] = {}
        self._by_exact: defaultdict[str, list[K]] = defaultdict(list)
        self._by_band: list[defaultdict[int, list[K]]] = [defaultdict(list) for _ in range(BAND_COUNT)]

    def __len__(self) -> int:
        return len(self._simhashes)

    def add(self, key: K, fingerprint: Fingerprint) -> None:
        """Index `fingerprint` under `key`; a fingerprint without text is counted but never found."""
        if key in self._simhashes:
            raise ValueError(f"{key!r} is already in the index")
        self._simhashes[key] = fingerprint.simhash
        if not fingerprint.has_text:
            return
        self._by_exact[fingerprint.exact].append(key)
        for table, value in zip(self._by_band, bands(fingerprint.simhash), strict=True):
            table[value].append(key)

    def candidates(self, fingerprint: Fingerprint) -> set[K]:
        """Keys with a band within PROBE_RADIUS bits of `fingerprint`'s: a superset of its near duplicates."""
        keys: set[K] = set()
        if not fingerprint.has_text:
            return keys
        for table, probes in zip(self._by_band, band_probes(fingerprint.simhash), strict=True):
            for value in probes:
                bucket = table.get(value)
                if bucket:
                    keys.update(bucket)
        return keys

    def exact(self, fingerprint: Fingerprint) -> list[K]:
        """Keys whose normalised text is identical, in the order they were added."""
        if not fingerprint.has_text:
            return []
        return list(self._by_exact.get(fingerprint.exact, ()))

    def near(self, fingerprint: Fingerprint) -> list[tuple[K, int]]:
        """(key, distance) of every entry within NEAR_DUPLICATE_DISTANCE bits, nearest first."""
        found = []
        for key in self.candidates(fingerprint):
            distance = hamming(fingerprint.simhash, self._simhashes[key])
            if distance <= NEAR_DUPLICATE_DISTANCE:
                found.append((key, distance))
        found.sort(key=lambda item: item[1])
        return found


# --- conflicts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostRecord:
    """A post already scheduled or published, as the conflict check needs it."""

    post_id: int
    channel_id: int
    channel_name: str
    when: datetime
    fingerprint: Fingerprint
    product_id: str | None = None


ConflictKind = Literal["exact", "near_duplicate", "same_media", "same_product"]


@dataclass(frozen=True)
class Conflict:
    post: PostRecord
    kind: ConflictKind
    distance: int | None  # SimHash distance for text conflicts, None for media and product ones
    reason: str  # a sentence naming the other post, its channel and its time


def find_conflicts(
    candidate: Fingerprint,
    *,
    channel_id: int | None,
    when: datetime,
    product_id: str | None,
    records: Iterable[PostRecord],
    product_window: timedelta,
) -> list[Conflict]:
    """Why `candidate`, to go out on `channel_id` at `when`, would repeat a post on another channel.

    Same or nearly the same text, or the same video file, conflict whenever the other post went or goes
    out: an audience following two channels would see it twice. The same product only conflicts within
    `product_window` either side of `when`, since featuring a best-seller again later is fine.
    `when` and the records' times must all be timezone-aware or all naive.
    `channel_id` None (no channel chosen yet) makes every channel's posts count.
    """
    conflicts = []
    for record in records:
        if record.channel_id == channel_id:
            continue
        conflicts.extend(_conflicts_with(candidate, record, when, product_id, product_window))
    conflicts.sort(key=lambda conflict: conflict.post.when)
    return conflicts


def _conflicts_with(
    candidate: Fingerprint, record: PostRecord, when: datetime, product_id: str | None, window: timedelta
) -> list[Conflict]:
    where = _describe(record, when)
    found = []
    text_conflict = _text_conflict(candidate, record, where)
    if text_conflict is not None:
        found.append(text_conflict)
    if candidate.media_sha256 is not None and candidate.media_sha256 == record.fingerprint.media_sha256:
        found.append(Conflict(record, "same_media", None, f"Same video file as {where}."))
    if product_id is not None and product_id == record.product_id and abs(record.when - when) <= window:
        reason = f"Same product {product_id} as {where}, within {_duration(window)} of this post."
        found.append(Conflict(record, "same_product", None, reason))
    return found


def _text_conflict(candidate: Fingerprint, record: PostRecord, where: str) -> Conflict | None:
    other = record.fingerprint
    # Two video-only posts share no text, however equal their empty captions' hashes.
    if not (candidate.has_text and other.has_text):
        return None
    if candidate.exact == other.exact:
        return Conflict(record, "exact", 0, f"Same text as {where}.")
    distance = hamming(candidate.simhash, other.simhash)
    if distance <= NEAR_DUPLICATE_DISTANCE:
        return Conflict(
            record, "near_duplicate", distance, f"Nearly the same text as {where} ({distance} bits differ)."
        )
    return None


def _describe(record: PostRecord, when: datetime) -> str:
    """E.g. 'post 12 on Water on Tue 3 Jun 2025 at 14:00 UTC (2 days before this one)'."""
    zone = f" {record.when.tzname()}" if record.when.tzinfo else ""
    moment = f"{record.when:%a} {record.when.day} {record.when:%b %Y at %H:%M}{zone}"
    gap = record.when - when
    if gap == timedelta(0):
        relative = "at the same time as this one"
    else:
        relative = f"{_duration(abs(gap))} {'before' if gap < timedelta(0) else 'after'} this one"
    return f"post {record.post_id} on {record.channel_name} on {moment} ({relative})"


def _duration(span: timedelta) -> str:
    """A span in its largest whole unit, e.g. '3 days', '1 hour', '20 minutes'."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"
