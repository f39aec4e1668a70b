"""The one schedule check, called without Slack (as bulk scheduling does): every problem by field,
a reschedule checked without its own time in the way, and an override recorded on the post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from contentbot.seed import seed
from core.posts import PostStatus
from core.scheduling import CHANNEL, CONTENT, OVERRIDE, PRIVACY, WHEN, ScheduleRequest
from storage.db import session_scope
from storage.fingerprints import KnownPosts
from storage.lookups import Lookups
from storage.models import ChannelRow
from storage.posts import get_post
from storage.scheduling import check_schedule, save_schedule
from tests.factories import make_post

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
TZ = ZoneInfo("UTC")


def check(session, request: ScheduleRequest, *, reviewer: bool = True):  # type: ignore[no-untyped-def]
    return check_schedule(session, request, now=NOW, tz=TZ, sandbox=True, may_override=reviewer)


def test_every_problem_comes_back_by_field(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        assert set(check(session, ScheduleRequest(99, "Nowhere")).errors) == {CONTENT, CHANNEL}
        make_post(session, "Air", "kites that loop the loop", NOW + timedelta(days=1))
        checked = check(session, ScheduleRequest(1, "Fire", when=NOW - timedelta(hours=1)))
        assert set(checked.errors) == {CONTENT, WHEN}
        assert "post 1" in checked.errors[CONTENT] and "in the past" in checked.errors[WHEN]


def test_a_direct_post_without_privacy_is_refused(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        make_post(session, "Air", "kites that loop the loop", NOW + timedelta(days=1), status="cancelled")
        session.execute(update(ChannelRow).where(ChannelRow.name == "Air").values(posting_mode="direct"))
        assert PRIVACY in check(session, ScheduleRequest(1, "Air")).errors
        assert check(session, ScheduleRequest(1, "Air", privacy="SELF_ONLY")).errors == {}


def test_a_reschedule_is_checked_without_its_own_time(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        at = datetime(2030, 3, 5, 16, 0, tzinfo=UTC)  # inside the seeded Mon-Fri 16:00-19:00 window
        post_id = make_post(session, "Air", "kites that loop the loop", at)
        request = ScheduleRequest(1, "Air", when=at + timedelta(minutes=30), post_id=post_id)
        checked = check(session, request)
        assert checked.errors == {}  # neither its own gap nor a conflict with itself
        moved = save_schedule(session, request, checked, user_id="U0ALICE")
        assert moved.id == post_id and moved.scheduled_at == at + timedelta(minutes=30)
        assert moved.status is PostStatus.SCHEDULED


def test_an_override_needs_a_reviewer_and_is_recorded(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        make_post(session, "Air", "kites that loop the loop", NOW + timedelta(days=1))
        wanted = ScheduleRequest(1, "Fire", override="launch everywhere")
        assert set(check(session, wanted, reviewer=False).errors) == {CONTENT, OVERRIDE}
        checked = check(session, wanted)
        assert checked.errors == {} and checked.overridden
        post = save_schedule(session, wanted, checked, user_id="U0ALICE")
        stored = get_post(session, post.id)
        assert stored is not None and stored.override is not None
        assert stored.override.startswith("launch everywhere (by U0ALICE") and "post 1" in stored.override


def test_a_batch_shares_its_lookups_and_gets_the_same_answers(database_url: str) -> None:
    """Bulk scheduling's one Lookups (live posts indexed in memory, planned times) finds what a single
    schedule's queries find, and a `next` request keeps clear of times the batch already gave out."""
    seed(database_url)
    with session_scope(database_url) as session:
        make_post(session, "Air", "kites that loop the loop", NOW + timedelta(days=1))
        batch = Lookups(session, NOW, known=KnownPosts.load(session))
        batch.prefetch([1, 99])
        repeat = ScheduleRequest(1, "Fire")
        shared = check_schedule(
            session, repeat, now=NOW, tz=TZ, sandbox=True, may_override=False, lookups=batch
        )
        assert shared.errors == check(session, repeat, reviewer=False).errors
        assert "post 1" in shared.errors[CONTENT]

        first = check_schedule(
            session,
            ScheduleRequest(1, "Air"),
            now=NOW,
            tz=TZ,
            sandbox=True,
            may_override=False,
            lookups=batch,
        )
        assert first.errors == {} and first.at is not None and first.channel and first.channel.id
        batch.plan(first.channel.id, first.at)
        second = check_schedule(
            session,
            ScheduleRequest(1, "Air"),
            now=NOW,
            tz=TZ,
            sandbox=True,
            may_override=False,
            lookups=batch,
        )
        assert second.at is not None and abs(second.at - first.at) >= first.channel.min_gap
