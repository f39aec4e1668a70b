"""Cross-posting prevention against stored posts: text, near duplicates, media, the product time rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contentbot.seed import seed
from core.fingerprint import Fingerprint
from storage.channels import get_channel
from storage.db import session_scope
from storage.fingerprints import conflicts, from_signed64, to_signed64
from tests.factories import make_post

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CAPTION = "This stunt kite loops, dives and soars on the lightest breeze. Perfect first kite for ages 6+ 🪁"


def channel_id(session, name: str) -> int:
    channel = get_channel(session, name)
    assert channel is not None and channel.id is not None
    return channel.id


@pytest.mark.parametrize("value", [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1])
def test_simhash_round_trips_through_a_signed_bigint(value: int) -> None:
    assert -(1 << 63) <= to_signed64(value) < 1 << 63
    assert from_signed64(to_signed64(value)) == value


def test_the_same_text_on_another_channel_conflicts_and_names_the_post(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        post_id = make_post(session, "Air", CAPTION, NOON)
        found = conflicts(
            session, Fingerprint.of_text(CAPTION), channel_id=channel_id(session, "Fire"), when=NOON
        )
    assert [(c.post.post_id, c.kind, c.post.channel_name) for c in found] == [(post_id, "exact", "Air")]
    assert f"post {post_id}" in found[0].reason and "Air" in found[0].reason


def test_a_near_duplicate_conflicts_whatever_the_time(database_url: str) -> None:
    seed(database_url)
    paraphrase = (
        "This stunt kite loops, dives and soars on the lightest breeze! Best first kite for ages 6+ #KiteDay"
    )
    with session_scope(database_url) as session:
        make_post(session, "Air", CAPTION, NOON - timedelta(days=90), status="published")
        found = conflicts(
            session, Fingerprint.of_text(paraphrase), channel_id=channel_id(session, "Earth"), when=NOON
        )
    assert [c.kind for c in found] == ["near_duplicate"]
    assert found[0].distance is not None and found[0].distance > 0


def test_different_content_and_the_same_channel_do_not_conflict(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        make_post(session, "Air", CAPTION, NOON)
        other = "Water blaster showdown: who gets soaked first? Holds 600 ml, range 9 m. Ages 5+ 💦"
        assert (
            conflicts(session, Fingerprint.of_text(other), channel_id=channel_id(session, "Water"), when=NOON)
            == []
        )
        same_channel = channel_id(session, "Air")
        assert conflicts(session, Fingerprint.of_text(CAPTION), channel_id=same_channel, when=NOON) == []


def test_cancelled_and_failed_posts_do_not_count(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        make_post(session, "Air", CAPTION, NOON, status="cancelled")
        make_post(session, "Water", CAPTION, NOON, status="failed")
        assert (
            conflicts(
                session, Fingerprint.of_text(CAPTION), channel_id=channel_id(session, "Fire"), when=NOON
            )
            == []
        )


def test_the_same_product_on_two_channels_within_the_window(database_url: str) -> None:
    seed(database_url)
    window = timedelta(hours=48)
    with session_scope(database_url) as session:
        make_post(session, "Air", "Kite review one", NOON, product_id="SKU-KITE-1")
        fire = channel_id(session, "Fire")
        fp = Fingerprint.of_text("A completely different video about racing cars and loops")
        near = conflicts(
            session,
            fp,
            channel_id=fire,
            when=NOON + timedelta(hours=47),
            product_id="SKU-KITE-1",
            product_window=window,
        )
        far = conflicts(
            session,
            fp,
            channel_id=fire,
            when=NOON + timedelta(hours=49),
            product_id="SKU-KITE-1",
            product_window=window,
        )
    assert [c.kind for c in near] == ["same_product"]
    assert far == []


def test_posts_on_the_same_channel_cannot_hide_one_on_another(database_url: str) -> None:
    """The lookup stops at MAX_CANDIDATES rows; same-channel posts must not use them up."""
    from storage.fingerprints import MAX_CANDIDATES

    seed(database_url)
    with session_scope(database_url) as session:
        for hour in range(MAX_CANDIDATES + 5):
            make_post(session, "Air", CAPTION, NOON + timedelta(hours=hour))
        water_post = make_post(session, "Water", CAPTION, NOON + timedelta(days=30))
        found = conflicts(
            session, Fingerprint.of_text(CAPTION), channel_id=channel_id(session, "Air"), when=NOON
        )
    assert [c.post.post_id for c in found] == [water_post]
