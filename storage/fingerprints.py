"""Fingerprint columns on versions, and the near-duplicate lookup that reads them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, select, union_all
from sqlalchemy.orm import Session

from core.fingerprint import (
    NEAR_DUPLICATE_DISTANCE,
    PRODUCT_WINDOW,
    Conflict,
    Fingerprint,
    FingerprintIndex,
    PostRecord,
    band_probes,
    bands,
    find_conflicts,
)
from core.posts import INACTIVE
from storage.models import ChannelRow, PostRow, VersionRow
from storage.sqlfunctions import hamming64

# Posts that will never go out cannot collide with anything.
INACTIVE_POST_STATUSES = tuple(s.value for s in INACTIVE)


def to_signed64(value: int) -> int:
    # SQL has no unsigned 64-bit integer; BIGINT holds the same bits read as two's complement.
    return value - (1 << 64) if value >= 1 << 63 else value


def from_signed64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def fingerprint_columns(fingerprint: Fingerprint) -> dict[str, Any]:
    band0, band1, band2, band3 = bands(fingerprint.simhash)
    return {
        "exact_hash": fingerprint.exact,
        "simhash": to_signed64(fingerprint.simhash),
        "band0": band0,
        "band1": band1,
        "band2": band2,
        "band3": band3,
        "media_sha256": fingerprint.media_sha256,
    }


# Enough to refuse a schedule and name the posts in its way; content repeated on more posts
# than this does not need every one of them loaded to be refused.
MAX_CANDIDATES = 50


def candidate_records(
    session: Session,
    fingerprint: Fingerprint,
    *,
    channel_id: int | None,
    product_id: str | None,
    when: datetime,
    product_window: timedelta,
) -> list[PostRecord]:
    """Active posts on other channels that may conflict: same or near text, same media, same product nearby.

    The band probes come from core (pigeonhole), so every near duplicate is among these rows;
    `find_conflicts` then classifies each one.
    """
    probes = band_probes(fingerprint.simhash)
    near = hamming64(VersionRow.simhash, to_signed64(fingerprint.simhash)) <= NEAR_DUPLICATE_DISTANCE
    bands_columns = (VersionRow.band0, VersionRow.band1, VersionRow.band2, VersionRow.band3)
    same_version = [
        VersionRow.exact_hash == fingerprint.exact,
        *(and_(column.in_(values), near) for column, values in zip(bands_columns, probes, strict=True)),
    ]
    if fingerprint.media_sha256:
        same_version.append(VersionRow.media_sha256 == fingerprint.media_sha256)
    # One SELECT per way to match, so each uses its own index (the exact hash, one per band,
    # the media hash): a single OR across them makes databases scan the table instead.
    columns = (VersionRow.id, VersionRow.exact_hash, VersionRow.simhash, VersionRow.media_sha256)
    matched = union_all(*(select(*columns).where(match) for match in same_version)).subquery()
    by_version = _posts_query(matched.c.exact_hash, matched.c.simhash, matched.c.media_sha256)
    by_version = by_version.join(matched, matched.c.id == PostRow.version_id)
    queries = [by_version]
    if product_id:
        by_product = _posts_query(VersionRow.exact_hash, VersionRow.simhash, VersionRow.media_sha256)
        by_product = by_product.join(VersionRow, VersionRow.id == PostRow.version_id).where(
            PostRow.product_id == product_id,
            PostRow.scheduled_at.between(when - product_window, when + product_window),
        )
        queries.append(by_product)
    records: dict[int, PostRecord] = {}
    for query in queries:
        if channel_id is not None:
            # Posts on the same channel never conflict; leaving them out keeps the limit for the rest.
            query = query.where(PostRow.channel_id != channel_id)
        for row in session.execute(query.limit(MAX_CANDIDATES)):
            records.setdefault(row.post_id, _record(row))
    return list(records.values())


class KnownPosts:
    """Every live post's fingerprint, read and indexed once for a batch of checks (a bulk schedule):
    `repeats` finds what `conflicts` finds, in memory instead of a query each."""

    def __init__(self, records: Sequence[PostRecord]) -> None:
        self.by_id = {r.post_id: r for r in records}
        self.index: FingerprintIndex[int] = FingerprintIndex()
        self.by_media: dict[str, list[int]] = defaultdict(list)
        self.by_product: dict[str, list[int]] = defaultdict(list)
        for record in records:
            self.index.add(record.post_id, record.fingerprint)
            if record.fingerprint.media_sha256:
                self.by_media[record.fingerprint.media_sha256].append(record.post_id)
            if record.product_id:
                self.by_product[record.product_id].append(record.post_id)

    @classmethod
    def load(cls, session: Session) -> KnownPosts:
        query = _posts_query(VersionRow.exact_hash, VersionRow.simhash, VersionRow.media_sha256)
        query = query.join(VersionRow, VersionRow.id == PostRow.version_id)
        return cls([_record(row) for row in session.execute(query)])

    def repeats(
        self, fingerprint: Fingerprint, channel_id: int, when: datetime, product_id: str | None
    ) -> list[Conflict]:
        ids = {*self.index.exact(fingerprint), *(post_id for post_id, _ in self.index.near(fingerprint))}
        ids.update(self.by_media.get(fingerprint.media_sha256 or "", ()))
        ids.update(self.by_product.get(product_id or "", ()))
        return find_conflicts(
            fingerprint,
            channel_id=channel_id,
            when=when,
            product_id=product_id,
            records=[self.by_id[i] for i in sorted(ids)],
            product_window=PRODUCT_WINDOW,
        )


def _posts_query(exact: Any, simhash: Any, media: Any) -> Select[Any]:
    """Active posts with their channel's name and the version's fingerprint columns.

    Columns, not entities: a check may read many rows, and the version text is not needed.
    """
    return (
        select(
            PostRow.id.label("post_id"),
            PostRow.channel_id,
            ChannelRow.name.label("channel_name"),
            PostRow.published_at,
            PostRow.scheduled_at,
            PostRow.product_id,
            exact.label("exact_hash"),
            simhash.label("simhash"),
            media.label("media_sha256"),
        )
        .join(ChannelRow, ChannelRow.id == PostRow.channel_id)
        .where(PostRow.status.not_in(INACTIVE_POST_STATUSES))
    )


def _record(row: Any) -> PostRecord:
    return PostRecord(
        post_id=row.post_id,
        channel_id=row.channel_id,
        channel_name=row.channel_name,
        when=row.published_at or row.scheduled_at,
        fingerprint=Fingerprint(
            exact=row.exact_hash, simhash=from_signed64(row.simhash), media_sha256=row.media_sha256
        ),
        product_id=row.product_id,
    )


def conflicts(
    session: Session,
    fingerprint: Fingerprint,
    *,
    channel_id: int | None,
    when: datetime,
    product_id: str | None = None,
    product_window: timedelta = PRODUCT_WINDOW,
) -> list[Conflict]:
    """Posts on other channels that this content, going out at `when`, would repeat.

    `channel_id` None checks against every channel (`/content check` before a channel is chosen).
    """
    records = candidate_records(
        session,
        fingerprint,
        channel_id=channel_id,
        product_id=product_id,
        when=when,
        product_window=product_window,
    )
    return find_conflicts(
        fingerprint,
        channel_id=channel_id,
        when=when,
        product_id=product_id,
        records=records,
        product_window=product_window,
    )
