"""The daily digest: queued by the clock once DIGEST_TIME has passed, posted once per day into DIGEST_CHANNEL
with its chart, whatever the number of clocks, restarts or runs of its job; `/content digest` shows it now."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from rq import Queue
from sqlalchemy import update

from contentbot.local import LocalBot
from core.alerts import Condition, Route, Severity
from core.experiments import Allocation, Metric
from core.metrics import MetricSnapshot
from core.templates import TemplateKind
from storage.alerts import sweep
from storage.channels import get_channel
from storage.contents import create_content
from storage.db import session_scope
from storage.experiments import create_experiment
from storage.library import list_active
from storage.metrics import record_snapshot
from storage.models import ExperimentRow, PostRow
from tests.factories import make_post
from workers.clock import Clock
from workers.digest import post_digest, schedule_digest
from workers.queues import QUEUE_NAMES

USER = "U0ALICE"
DIGEST = "C0DIGEST"
H = timedelta(hours=1)
# The local bot's TIMEZONE is UTC and its DIGEST_TIME 09:00.
TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)
MIDNIGHT = datetime.combine(YESTERDAY, time(0), tzinfo=UTC)


def queued_digests(bot: LocalBot) -> int:
    queues = [Queue(name, connection=bot.services.redis) for name in QUEUE_NAMES]
    return sum(1 for queue in queues for job_id in queue.job_ids if job_id.startswith("digest-"))


def a_day_of_work(bot: LocalBot) -> None:
    """Yesterday: a post out and measured, a failed post, an alert raised, a review waiting, a winner."""
    with session_scope(bot.settings.database_url) as session:
        kite = make_post(session, "Air", "kite that loops", MIDNIGHT - 30 * H, status="published")
        session.execute(update(PostRow).where(PostRow.id == kite).values(published_at=MIDNIGHT - 30 * H))
        record_snapshot(session, MetricSnapshot(kite, MIDNIGHT - 2 * H, 1000, saves=10))
        record_snapshot(session, MetricSnapshot(kite, MIDNIGHT + 20 * H, 4000, saves=70))
        failed = make_post(session, "Fire", "racer that failed", MIDNIGHT + 10 * H, status="failed")
        session.execute(update(PostRow).where(PostRow.id == failed).values(failure="TikTok said no"))
        condition = Condition(
            "post_failed",
            f"post:{failed}",
            Severity.WARNING,
            (Route.CHANNEL,),
            "Racer failed",
            post_id=failed,
        )
        sweep(session, [condition], MIDNIGHT + 10 * H)
        air = get_channel(session, "Air")
        assert air is not None and air.id is not None
        create_content(session, agent="tiktok_hook", channel_id=air.id, requester_id=USER, status="in_review")
        hooks = [t.id for t in list_active(session, TemplateKind.HOOK)][:2]
        experiment = create_experiment(
            session,
            name="Gift hooks",
            template_ids=hooks,
            metric=Metric.SAVE_RATE,
            allocation=Allocation.EVEN,
            min_sample=3,
            channel_id=air.id,
            created_by=USER,
        )
        # Promoted yesterday (the promotion path itself is the experiments' tests' business).
        session.execute(
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment.id)
            .values(
                status="promoted", winner_variant_id=experiment.variants[1].id, ended_at=MIDNIGHT + 15 * H
            )
        )


def test_the_digest_goes_out_once_with_two_clocks_a_restart_and_a_job_run_twice(bot: LocalBot) -> None:
    a_day_of_work(bot)
    after = datetime.combine(TODAY, time(9, 1), tzinfo=UTC)
    database_url = bot.settings.database_url
    # Before 09:00 nothing is due.
    assert schedule_digest(bot.services.redis, database_url, after - 2 * H) is None
    # Two clocks (a leader change) both find it due: one job, by its id.
    first = schedule_digest(bot.services.redis, database_url, after)
    second = schedule_digest(bot.services.redis, database_url, after + H)
    assert first is not None and second is not None and first.id == second.id
    assert queued_digests(bot) == 1
    assert bot.run_jobs()
    [digest] = bot.standin.messages(DIGEST)
    text = digest.text
    assert f"Daily digest for {YESTERDAY:%A %d %B %Y}" in text
    # Against the day before: 1,000 views and 10 saves.
    assert "Air: 0 posts · 3,000 views (+200%) · 60 saves · save rate 2.00% (+1.00 pts)" in text
    assert "• Post 1 on Air “kite that loops”: +3,000 views (4,000 in all), save rate 1.75%" in text
    assert "Post 2 on Fire “racer that failed”, due 10:00 UTC: failed (TikTok said no)" in text
    assert "• [warning] Racer failed (firing)" in text
    assert "Pending reviews: 1" in text
    assert "Experiment “Gift hooks” found a winner: variant B (save rate)" in text
    # Its trend chart, a real PNG, in the digest's thread.
    [chart] = bot.standin.files()
    assert chart.channel == DIGEST and chart.thread_ts == digest.ts
    assert chart.content is not None and chart.content.startswith(b"\x89PNG")
    # A restarted clock finds it sent; the job run again (RQ runs a job at least once) posts nothing.
    assert schedule_digest(bot.services.redis, database_url, after + 2 * H) is None
    Clock(bot.services.redis, database_url).tick(after + 3 * H)
    assert queued_digests(bot) == 0
    assert post_digest(YESTERDAY.isoformat()) == f"digest for {YESTERDAY}: already posted"
    assert len(bot.standin.messages(DIGEST)) == 1 and len(bot.standin.files()) == 1


def test_a_day_with_no_data_says_so(bot: LocalBot) -> None:
    quiet = date(2026, 1, 1)
    assert post_digest(quiet.isoformat()) == f"digest for {quiet}: posted (no data)"
    [digest] = bot.standin.messages(DIGEST)
    assert (
        "No data for that day: no posts went out, none were measured, and no alerts were raised."
        in digest.text
    )
    assert bot.standin.files() == []
    reply = bot.workspace.slash(USER, "digest 2026-01-01").json()
    assert reply["response_type"] == "ephemeral"
    assert "No data for that day" in reply["text"]


def test_content_digest_shows_yesterday_now_to_whoever_asks(bot: LocalBot) -> None:
    a_day_of_work(bot)
    reply = bot.workspace.slash(USER, "digest").json()
    assert reply["response_type"] == "ephemeral"
    blocks = "\n".join(b["text"]["text"] for b in reply["blocks"] if isinstance(b.get("text"), dict))
    assert f"Daily digest · {YESTERDAY:%A %d %B %Y}" in blocks
    assert "*Air*: 0 posts · 3,000 views (+200%) · 60 saves (+500%) · save rate 2.00% (+1.00 pts)" in blocks
    assert "*Failed or late*" in blocks and "*failed* (TikTok said no)" in blocks
    assert "• “Gift hooks”: variant B (save rate)" in blocks
    # Shown, not posted: the channel gets the digest at DIGEST_TIME.
    assert bot.standin.messages(DIGEST) == []


def test_content_digest_names_a_bad_day(bot: LocalBot) -> None:
    assert bot.workspace.slash(USER, "digest yesterday").json()["text"] == (
        "`yesterday` is not a day: write it as 2026-11-30."
    )
    tomorrow = TODAY + timedelta(days=1)
    assert bot.workspace.slash(USER, f"digest {tomorrow}").json()["text"] == (
        f"{tomorrow:%d %B %Y} has not happened yet."
    )
