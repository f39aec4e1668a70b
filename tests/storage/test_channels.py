"""Seeding and reading channels."""

from __future__ import annotations

from datetime import timedelta

from contentbot.seed import seed
from core.channels import PostingMode
from core.elements import Element
from storage.channels import get_channel, list_channels
from storage.db import session_scope


def test_seed_creates_the_four_element_channels_once(database_url: str) -> None:
    assert seed(database_url)[0] == "channels: created Air, Water, Fire, Earth"
    assert seed(database_url)[0] == "channels: all exist already; nothing changed"
    with session_scope(database_url) as session:
        channels = list_channels(session)
    assert [c.element for c in channels] == [Element.AIR, Element.WATER, Element.FIRE, Element.EARTH]
    assert all(c.id is not None for c in channels)


def test_a_channel_reads_back_as_seeded(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        water = get_channel(session, "water")
    assert water is not None
    assert water.name == "Water"
    assert water.posting_mode is PostingMode.DRAFT
    assert water.min_gap == timedelta(minutes=90)  # three posts fit its 3 h windows
    assert water.daily_cap == 3
    assert [w.describe() for w in water.windows] == ["Mon-Fri 17:00-20:00", "Sat,Sun 10:00-13:00"]
    assert "#WaterPlay" in water.hashtags
    assert water.voice.words_to_avoid == ("drown", "unsupervised", "cheap")
    assert water.account_status == "not connected"


def test_seed_leaves_an_edited_channel_alone(database_url: str) -> None:
    from sqlalchemy import update

    from storage.models import ChannelRow

    seed(database_url)
    with session_scope(database_url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == "Fire").values(daily_cap=7))
    seed(database_url)
    with session_scope(database_url) as session:
        fire = get_channel(session, "Fire")
    assert fire is not None and fire.daily_cap == 7
