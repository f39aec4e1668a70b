"""Fingerprint columns on versions, and the near-duplicate lookup that reads them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.fingerprint import Conflict, Fingerprint, PostRecord, band_probes, bands, find_conflicts
from storage.models import ChannelRow, PostRow, VersionRow

# Posts that will never go out cannot collide with anything.
INACTIVE_POST_STATUSES = ("cancelled", "failed")


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


def version_fingerprint(row: VersionRow) -> Fingerprint:
    return Fingerprint(
        exact=row.exact_hash, simhash=from_signed64(row.simhash), media_sha256=row.media_sha256
    )


def candidate_records(
    session: Session,
    fingerprint: Fingerprint,
    *,
    product_id: str | None,
    when: datetime,
    product_window: timedelta,
) -> list[PostRecord]:
    """Active posts that may conflict: same text, a shared SimHash band, same media, or same product nearby.

    The band probes come from core (pigeonhole), so every near duplicate is among these rows;
    `find_conflicts` then measures each one exactly.
    """
    probes = band_probes(fingerprint.simhash)
    matches = [
        VersionRow.exact_hash == fingerprint.exact,
        VersionRow.band0.in_(probes[0]),
        VersionRow.band1.in_(probes[1]),
        VersionRow.band2.in_(probes[2]),
        VersionRow.band3.in_(probes[3]),
    ]
    if fingerprint.media_sha256:
        matches.append(VersionRow.media_sha256 == fingerprint.media_sha256)
    if product_id:
        matches.append(
            (PostRow.product_id == product_id)
            & PostRow.scheduled_at.between(when - product_window, when + product_window)
        )
    query = (
        select(PostRow, VersionRow, ChannelRow.name)
        .join(VersionRow, VersionRow.id == PostRow.version_id)
        .join(ChannelRow, ChannelRow.id == PostRow.channel_id)
        .where(PostRow.status.not_in(INACTIVE_POST_STATUSES), or_(*matches))
    )
    return [
        PostRecord(
            post_id=post.id,
            channel_id=post.channel_id,
            channel_name=channel_name,
            when=post.published_at or post.scheduled_at,
            fingerprint=version_fingerprint(version),
            product_id=post.product_id,
        )
        for post, version, channel_name in session.execute(query)
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
        session, fingerprint, product_id=product_id, when=when, product_window=product_window
    )
    return find_conflicts(
        fingerprint,
        channel_id=channel_id,
        when=when,
        product_id=product_id,
        records=records,
        product_window=product_window,
    )
