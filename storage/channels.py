"""Channel queries. They take a session and hand back `core.channels.Channel` values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import AuditEntry, changed_fields
from core.channels import BrandVoice, Channel, PostingMode, parse_windows
from core.elements import Element
from storage.models import ChannelAuditRow, ChannelRow, utcnow


def list_channels(session: Session) -> list[Channel]:
    rows = session.scalars(select(ChannelRow).order_by(ChannelRow.id))
    return [to_channel(row) for row in rows]


def get_channel(session: Session, name: str) -> Channel | None:
    row = session.scalar(select(ChannelRow).where(func.lower(ChannelRow.name) == name.strip().lower()))
    return to_channel(row) if row else None


def get_channel_by_id(session: Session, channel_id: int) -> Channel | None:
    row = session.get(ChannelRow, channel_id)
    return to_channel(row) if row else None


def others_with_element(session: Session, element: Element, excluding_id: int | None) -> list[Channel]:
    query = select(ChannelRow).where(ChannelRow.element == element.value)
    if excluding_id is not None:
        query = query.where(ChannelRow.id != excluding_id)
    return [to_channel(row) for row in session.scalars(query)]


class NameTaken(ValueError):
    pass


def save_channel(session: Session, channel: Channel, user_id: str) -> Channel:
    """Create or update `channel` (by its id) and write who changed what to the audit."""
    row = session.get(ChannelRow, channel.id) if channel.id is not None else None
    before = audit_fields(row) if row else None
    clash = session.scalar(
        select(ChannelRow.id).where(func.lower(ChannelRow.name) == channel.name.strip().lower())
    )
    if clash is not None and clash != channel.id:
        raise NameTaken(f"A channel named {channel.name!r} exists already.")
    row = to_row(channel, row)
    session.add(row)
    session.flush()
    after = audit_fields(row)
    if before != after:
        session.add(
            ChannelAuditRow(channel_id=row.id, user_id=user_id, at=utcnow(), before=before, after=after)
        )
    return to_channel(row)


def audit_fields(row: ChannelRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "element": row.element,
        "voice": row.voice,
        "branding_template": row.branding_template,
        "hashtags": row.hashtags,
        "posting_mode": row.posting_mode,
        "windows": row.windows,
        "daily_cap": row.daily_cap,
        "min_gap_minutes": row.min_gap_minutes,
        "owner_user_id": row.owner_user_id,
    }


def channel_history(session: Session, channel_id: int, limit: int = 10) -> list[AuditEntry]:
    query = (
        select(ChannelAuditRow)
        .where(ChannelAuditRow.channel_id == channel_id)
        .order_by(ChannelAuditRow.at.desc(), ChannelAuditRow.id.desc())
        .limit(limit)
    )
    return [_entry(row) for row in session.scalars(query)]


def last_changes(session: Session) -> dict[int, AuditEntry]:
    """Each channel's latest audit entry."""
    newest = select(func.max(ChannelAuditRow.id)).group_by(ChannelAuditRow.channel_id)
    rows = session.scalars(select(ChannelAuditRow).where(ChannelAuditRow.id.in_(newest)))
    return {row.channel_id: _entry(row) for row in rows}


def _entry(row: ChannelAuditRow) -> AuditEntry:
    changed = changed_fields(row.before, row.after)
    return AuditEntry(row.channel_id, row.user_id, row.at, changed, row.before, row.after)


def seed_channels(session: Session, channels: Sequence[Channel]) -> list[Channel]:
    """Create the channels that are missing by name; never touch one that exists."""
    existing = {name.lower() for name in session.scalars(select(ChannelRow.name))}
    created = [c for c in channels if c.name.lower() not in existing]
    for channel in created:
        session.add(to_row(channel))
    session.flush()
    return created


def to_channel(row: ChannelRow) -> Channel:
    voice = row.voice or {}
    return Channel(
        id=row.id,
        name=row.name,
        element=Element(row.element),
        voice=BrandVoice(
            tone=voice.get("tone", ""),
            words_to_use=tuple(voice.get("words_to_use", ())),
            words_to_avoid=tuple(voice.get("words_to_avoid", ())),
            emoji_policy=voice.get("emoji_policy", ""),
            cta_style=voice.get("cta_style", ""),
        ),
        branding_template=row.branding_template,
        hashtags=tuple(row.hashtags),
        posting_mode=PostingMode(row.posting_mode),
        windows=parse_windows(row.windows),
        daily_cap=row.daily_cap,
        min_gap=timedelta(minutes=row.min_gap_minutes),
        owner_user_id=row.owner_user_id,
        tiktok_username=row.tiktok_username,
    )


def to_row(channel: Channel, row: ChannelRow | None = None) -> ChannelRow:
    row = row or ChannelRow()
    row.name = channel.name
    row.element = channel.element.value
    row.voice = {
        "tone": channel.voice.tone,
        "words_to_use": list(channel.voice.words_to_use),
        "words_to_avoid": list(channel.voice.words_to_avoid),
        "emoji_policy": channel.voice.emoji_policy,
        "cta_style": channel.voice.cta_style,
    }
    row.branding_template = channel.branding_template
    row.hashtags = list(channel.hashtags)
    row.posting_mode = channel.posting_mode.value
    # Windows are stored as the text people write, so the database reads like the seed file.
    row.windows = [w.describe() for w in channel.windows]
    row.daily_cap = channel.daily_cap
    row.min_gap_minutes = int(channel.min_gap.total_seconds() // 60)
    row.owner_user_id = channel.owner_user_id
    return row
