"""Fingerprint columns on versions, and the near-duplicate lookup that reads them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from core.fingerprint import (
    NEAR_DUPLICATE_DISTANCE,
    Conflict,
    Fingerprint,
    PostRecord,
    band_probes,
    bands,
    find_conflicts,
)
from storage.models import ChannelRow, PostRow, VersionRow

# Posts that will never go out cannot collide with anything.
INACTIVE_POST_STATUSES = ("cancelled", "failed")


def to_signed64(value: int) -> int:
    # SQL has no unsigned 64-bit integer; BIGINT holds the same bits read as two's complement.
    return value - (1 << 64) if value >= 1 << 63 else value


def from_signed64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


class hamming64(FunctionElement[int]):
    """Bits that differ between two SimHashes stored as signed BIGINT, computed by the database.

    The band probes find every near duplicate but also many rows that only share a band; measuring
    the distance in SQL keeps those rows in the database instead of loading thousands per check.
    SQLite gets the function from storage.db; PostgreSQL has bit_count.
    """

    type = Integer()
    inherit_cache = True
    name = "hamming64"


@compiles(hamming64)
def _hamming64_sqlite(element: hamming64, compiler: SQLCompiler, **kw: Any) -> str:
    return f"hamming64({compiler.process(element.clauses, **kw)})"


@compiles(hamming64, "postgresql")
def _hamming64_postgresql(element: hamming64, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"bit_count(CAST(({a} # {b}) AS BIT(64)))"


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
    """Active posts that may conflict: same text, a shared SimHash band, same media, or same product nearby.

    The band probes come from core (pigeonhole), so every near duplicate is among these rows;
    `find_conflicts` then measures each one exactly.
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
    # Versions first, one SELECT per way to match, then their posts: each part then uses its own
    # index (the exact hash, one per band, posts by version); a single OR makes databases scan.
    version_ids = union_all(*(select(VersionRow.id).where(match) for match in same_version))
    matches = PostRow.version_id.in_(version_ids)
    if product_id:
        same_product = (PostRow.product_id == product_id) & PostRow.scheduled_at.between(
            when - product_window, when + product_window
        )
        matches = or_(matches, same_product)
    # Columns, not entities: a check may read many rows, and the version text is not needed.
    query = (
        select(
            PostRow.id,
            PostRow.channel_id,
            ChannelRow.name,
            PostRow.published_at,
            PostRow.scheduled_at,
            PostRow.product_id,
            VersionRow.exact_hash,
            VersionRow.simhash,
            VersionRow.media_sha256,
        )
        .join(VersionRow, VersionRow.id == PostRow.version_id)
        .join(ChannelRow, ChannelRow.id == PostRow.channel_id)
        .where(PostRow.status.not_in(INACTIVE_POST_STATUSES), matches)
        .limit(MAX_CANDIDATES)
    )
    if channel_id is not None:
        # Posts on the same channel never conflict; leaving them out keeps the limit for the rest.
        query = query.where(PostRow.channel_id != channel_id)
    return [
        PostRecord(
            post_id=post_id,
            channel_id=channel_id,
            channel_name=channel_name,
            when=published_at or scheduled_at,
            fingerprint=Fingerprint(exact=exact, simhash=from_signed64(simhash), media_sha256=media),
            product_id=product_id,
        )
        for (
            post_id,
            channel_id,
            channel_name,
            published_at,
            scheduled_at,
            product_id,
            exact,
            simhash,
            media,
        ) in session.execute(query)
    ]


def conflicts(
    session: Session,
    fingerprint: Fingerprint,
    *,
    channel_id: int | None,
    when: datetime,
    product_id: str | None = None,
    product_window: timedelta = timedelta(hours=48),
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
