"""A schedule request's rules that need nothing stored: the video, and a direct post's settings."""

from __future__ import annotations

from core.accounts import Creator
from core.posts import PostSettings
from core.scheduling import (
    DISCLOSURE,
    INTERACTIONS,
    PRIVACY,
    Video,
    consent_line,
    direct_post_problems,
    disclosure_problem,
    video_problem,
)

PRIVATE_ACCOUNT = Creator(
    "Sky", "sky", ("FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"), duet_disabled=True
)


def test_a_video_is_checked_for_type_size_and_length() -> None:
    assert video_problem(Video("/v/a.mp4", "a.mp4", 1000, 180.0), 180) is None
    assert "MP4, MOV or WebM" in (video_problem(Video("/v/a.gif", "a.gif", 1000, 3.0), 180) or "")
    assert "at most 4 GB" in (video_problem(Video("/v/a.mov", "a.mov", 4_000_000_001, 3.0), 180) or "")
    assert "is empty" in (video_problem(Video("/v/a.webm", "a.webm", 0, None), 180) or "")
    assert "could not be read" in (video_problem(Video("/v/a.mp4", "a.mp4", 10, None), 180) or "")
    too_long = video_problem(Video("/v/a.mp4", "a.mp4", 10, 180.6), 180) or ""
    assert "runs 3 min 1 s" in too_long and "at most 3 min" in too_long
    assert video_problem(Video("/v/a.mp4", "a.mp4", 10, 9999.0), 0) is None  # no maximum known


def test_a_direct_post_needs_a_chosen_privacy_from_the_creators_options() -> None:
    assert "no default" in direct_post_problems(PRIVATE_ACCOUNT, None, PostSettings())[PRIVACY]
    wrong = direct_post_problems(PRIVATE_ACCOUNT, "PUBLIC_TO_EVERYONE", PostSettings())[PRIVACY]
    assert "does not offer “Everyone”" in wrong and "Followers" in wrong
    assert direct_post_problems(PRIVATE_ACCOUNT, "SELF_ONLY", PostSettings()) == {}


def test_interactions_the_creator_turned_off_cannot_be_turned_on() -> None:
    settings = PostSettings(allow_comment=True, allow_duet=True)
    assert direct_post_problems(PRIVATE_ACCOUNT, "SELF_ONLY", settings) == {
        INTERACTIONS: "Sky turned off duets in TikTok."
    }


def test_branded_content_is_never_private_and_changes_the_consent_line() -> None:
    branded = PostSettings(brand_content=True)
    assert DISCLOSURE in direct_post_problems(PRIVATE_ACCOUNT, "SELF_ONLY", branded)
    assert direct_post_problems(PRIVATE_ACCOUNT, "FOLLOWER_OF_CREATOR", branded) == {}
    assert direct_post_problems(PRIVATE_ACCOUNT, "SELF_ONLY", PostSettings(brand_organic=True)) == {}
    assert "Branded Content Policy" in consent_line(branded)
    assert consent_line(PostSettings(brand_organic=True)) == (
        "By posting, you agree to TikTok's Music Usage Confirmation."
    )


def test_the_disclosure_needs_a_kind_once_switched_on() -> None:
    assert disclosure_problem(True, PostSettings()) is not None
    assert disclosure_problem(True, PostSettings(brand_organic=True)) is None
    assert disclosure_problem(False, PostSettings()) is None
