"""Alerts in the database: one row per key, each decision applied once, facts read from posts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import func, select, update

from contentbot.seed import seed
from core.accounts import Creator
from core.alert_lifecycle import ActionKind, AlertState, decide
from core.alerts import Condition, Route, Severity, evaluate, parse_rule
from core.metrics import MetricSnapshot
from storage.accounts import StoredTokens, mark_needs_reconnect, save_account
from storage.alerts import (
    acknowledge_alert,
    apply,
    firing_alerts,
    gather_facts,
    get_alert,
    list_alerts,
    record,
    resolve_alert,
    set_message,
    snooze_alert,
    sweep,
)
from storage.channels import get_channel
from storage.crypto import TokenCipher
from storage.db import session_scope
from storage.heartbeats import beat
from storage.metrics import record_snapshot
from storage.models import AlertRow, PostRow
from tests.factories import make_post

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def zero_views(post_id: int = 1, summary: str = "Post 1 has 0 views.") -> Condition:
    return Condition(
        rule="zero_views",
        subject=f"post:{post_id}",
        severity=Severity.CRITICAL,
        routes=(Route.CHANNEL, Route.EMAIL),
        summary=summary,
        repeat_every=H,
    )


def alert_rows(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(AlertRow)) or 0


def race(url: str, condition: Condition, now: datetime, threads: int = 2) -> list[ActionKind]:
    """`threads` workers read the same alert, decide the same thing, and apply it at once."""
    barrier = threading.Barrier(threads)
    results: list[ActionKind] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with session_scope(url) as session:
                existing = get_alert(session, condition.key)
                barrier.wait(timeout=10)
                results.append(apply(session, decide(existing, condition, now)).kind)
        except BaseException as exc:
            errors.append(exc)

    running = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=60)
    assert not errors, errors
    return sorted(results)


def test_two_workers_evaluating_the_same_condition_make_one_alert(database_url: str) -> None:
    assert race(database_url, zero_views(), T0) == [ActionKind.NOTHING, ActionKind.OPEN]
    assert alert_rows(database_url) == 1
    # The same at the repeat: one of them says it again, the other stays quiet.
    assert race(database_url, zero_views(), T0 + H) == [ActionKind.NOTHING, ActionKind.REPEAT]
    with session_scope(database_url) as session:
        alert = get_alert(session, zero_views().key)
    assert alert is not None and alert.repeat_count == 1 and alert.revision == 2


def test_two_sweeps_of_the_same_snapshot_open_each_alert_once(database_url: str) -> None:
    conditions = [zero_views(n, f"Post {n} has 0 views.") for n in range(1, 1201)]  # more than one chunk
    barrier = threading.Barrier(2)
    opened: list[int] = []

    def worker() -> None:
        with session_scope(database_url) as session:
            barrier.wait(timeout=10)
            opened.append(len(sweep(session, conditions, T0)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(opened) == 1200 and alert_rows(database_url) == 1200


def test_the_lifecycle_through_the_database(database_url: str) -> None:
    key = zero_views().key
    with session_scope(database_url) as session:
        assert record(session, key, zero_views(), T0).kind is ActionKind.OPEN
        set_message(session, key, "C0ALERTS", "1700000000.000100")
    with session_scope(database_url) as session:
        assert record(session, key, zero_views(), T0 + 30 * timedelta(minutes=1)).kind is ActionKind.NOTHING
        assert snooze_alert(session, key, T0 + 4 * H) is not None
    with session_scope(database_url) as session:
        assert record(session, key, zero_views(), T0 + 2 * H).kind is ActionKind.NOTHING  # snoozed
        repeated = record(session, key, zero_views(), T0 + 4 * H)  # the snooze ran out
        assert repeated.kind is ActionKind.REPEAT
        assert repeated.alert is not None and repeated.alert.slack_ts == "1700000000.000100"
    with session_scope(database_url) as session:
        acked = acknowledge_alert(session, key, "U0ALICE", T0 + 5 * H)
        assert acked is not None and acked.state is AlertState.ACKNOWLEDGED
        assert acknowledge_alert(session, key, "U0BOB", T0 + 5 * H) is None  # already acknowledged
        assert record(session, key, zero_views(), T0 + 9 * H).kind is ActionKind.NOTHING
        assert [a.key for a in list_alerts(session)] == [key]
    with session_scope(database_url) as session:
        resolved = record(session, key, None, T0 + 10 * H)
        assert resolved.kind is ActionKind.RESOLVE
        assert list_alerts(session) == []
        stored = get_alert(session, key)
    assert stored is not None and stored.state is AlertState.RESOLVED and stored.acknowledged_by == "U0ALICE"
    assert stored.resolved_at == T0 + 10 * H and stored.routes == (Route.CHANNEL, Route.EMAIL)


def test_a_person_resolving_twice_changes_it_once(database_url: str) -> None:
    key = zero_views().key
    with session_scope(database_url) as session:
        record(session, key, zero_views(), T0)
    with session_scope(database_url) as session:
        assert resolve_alert(session, key, "U0ALICE", T0 + H) is not None
        assert resolve_alert(session, key, "U0BOB", T0 + H) is None
        # Still 0 views: it fires again one repeat interval after the person resolved it.
        assert record(session, key, zero_views(), T0 + H + timedelta(minutes=30)).kind is ActionKind.NOTHING
        assert record(session, key, zero_views(), T0 + 2 * H).kind is ActionKind.OPEN
    assert alert_rows(database_url) == 1


def test_a_stale_decision_changes_nothing(database_url: str) -> None:
    key = zero_views().key
    with session_scope(database_url) as session:
        record(session, key, zero_views(), T0)
    with session_scope(database_url) as session:
        seen = get_alert(session, key)
        acknowledge_alert(session, key, "U0ALICE", T0 + H)
        # A worker that read the alert before the acknowledgement must not repeat it.
        assert apply(session, decide(seen, zero_views(), T0 + 2 * H)).kind is ActionKind.NOTHING
        stored = get_alert(session, key)
    assert stored is not None and stored.state is AlertState.ACKNOWLEDGED and stored.repeat_count == 0


def test_a_sweep_opens_updates_and_resolves_only_its_rules(database_url: str) -> None:
    stale = Condition("metrics_stale", "post:2", Severity.WARNING, (Route.CHANNEL,), "Post 2 is stale.")
    with session_scope(database_url) as session:
        opened = sweep(session, [zero_views(), stale], T0)
    assert [a.kind for a in opened] == [ActionKind.OPEN, ActionKind.OPEN]
    with session_scope(database_url) as session:
        # A sweep of the post rules only: the stale alert is not its business.
        changed = sweep(
            session, [zero_views(summary="Post 1 still has 0 views.")], T0 + H / 2, rules={"zero_views"}
        )
        assert [a.kind for a in changed] == [ActionKind.UPDATE]
        resolved = sweep(session, [], T0 + H)
        assert [(a.kind, a.alert and a.alert.key) for a in resolved] == [
            (ActionKind.RESOLVE, "metrics_stale:post:2"),
            (ActionKind.RESOLVE, "zero_views:post:1"),
        ]
        assert sweep(session, [], T0 + 2 * H) == []


def test_facts_from_posts_snapshots_and_heartbeats(database_url: str) -> None:
    seed(database_url)
    rules = [
        parse_rule({"name": "zero", "kind": "zero_views"}),
        parse_rule({"name": "late", "kind": "post_late"}),
    ]
    with session_scope(database_url) as session:
        public = make_post(session, "Air", "Kite   day\nat the park", T0 - 3 * H, status="published")
        private = make_post(session, "Water", "splash", T0 - 3 * H, status="published")
        late = make_post(session, "Fire", "racer", T0 - H, status="queued")
        make_post(session, "Earth", "blocks", T0 + H)  # not due yet: not watched
        session.execute(
            update(PostRow)
            .where(PostRow.id == public)
            .values(published_at=T0 - 3 * H, tiktok_video_id="7300000000000000001")
        )
        # Private: public since 3 h, but TikTok gave no public id, so nobody can count its views.
        session.execute(update(PostRow).where(PostRow.id == private).values(published_at=T0 - 3 * H))
        for post in (public, private):
            record_snapshot(session, MetricSnapshot(post, T0 - 2 * H, 0, source="display"))
            record_snapshot(session, MetricSnapshot(post, T0 - 5 * timedelta(minutes=1), 0, source="display"))
        beat(session, "clock", T0)
    with session_scope(database_url) as session:
        facts = gather_facts(session, T0)
        actions = sweep(session, evaluate(rules, facts, T0), T0)
    by_id = {p.post_id: p for p in facts.posts}
    assert set(by_id) == {public, private, late}
    assert by_id[public].label == "Kite day at the park"
    assert by_id[public].latest is not None and by_id[public].latest.taken_at == T0 - 5 * timedelta(minutes=1)
    assert facts.heartbeats == {"clock": T0}
    assert sorted(a.alert.key for a in actions if a.alert) == [f"late:post:{late}", f"zero:post:{public}"]


def test_facts_read_the_public_id_and_failure_publishing_stores(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        post = make_post(session, "Air", "kite", T0 - 3 * H, status="published")
        failed = make_post(session, "Fire", "racer", T0 - H, status="failed")
        session.execute(
            update(PostRow)
            .where(PostRow.id == post)
            .values(published_at=T0 - 3 * H, public_id="7300000000000000009")
        )
        session.execute(
            update(PostRow).where(PostRow.id == failed).values(failure="spam_risk_too_many_posts")
        )
    with session_scope(database_url) as session:
        by_id = {p.post_id: p for p in gather_facts(session, T0).posts}
    assert by_id[post].public_id == "7300000000000000009"
    assert by_id[failed].failure == "spam_risk_too_many_posts"


def test_firing_alerts_per_channel_hold_its_posts_and_its_account(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        air = make_post(session, "Air", "kite", T0 - 3 * H, status="published")
        fire = make_post(session, "Fire", "racer", T0 - 3 * H, status="published")
        air_id = session.scalar(select(PostRow.channel_id).where(PostRow.id == air))
        conditions = [
            Condition(
                "zero_views", f"post:{air}", Severity.CRITICAL, (Route.CHANNEL,), "0 views", post_id=air
            ),
            Condition("low_views", f"post:{fire}", Severity.WARNING, (Route.CHANNEL,), "low", post_id=fire),
            Condition("token_revoked", "channel:Air", Severity.WARNING, (Route.CHANNEL,), "revoked"),
            Condition("clock_silent", "process:clock", Severity.INFO, (Route.CHANNEL,), "silent"),
            Condition("token_revoked", "channel:Fire", Severity.WARNING, (Route.CHANNEL,), "revoked"),
        ]
        sweep(session, conditions, T0)
        acknowledge_alert(session, "token_revoked:channel:Air", "U0ALICE", T0)
        resolve_alert(session, f"low_views:post:{fire}", "U0ALICE", T0)
    with session_scope(database_url) as session:
        for_air = firing_alerts(session, air_id)
        everything = firing_alerts(session)
    assert [(a.key, a.state) for a in for_air] == [
        (f"zero_views:post:{air}", AlertState.FIRING),
        ("token_revoked:channel:Air", AlertState.ACKNOWLEDGED),
    ]
    assert [a.key for a in everything] == [
        f"zero_views:post:{air}",
        "token_revoked:channel:Air",
        "token_revoked:channel:Fire",
        "clock_silent:process:clock",
    ]


def test_facts_keep_the_newest_snapshot_that_knows_saves(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        post = make_post(session, "Air", "kite", T0 - 30 * H, status="published")
        session.execute(
            update(PostRow)
            .where(PostRow.id == post)
            .values(published_at=T0 - 30 * H, public_id="7300000000000000003")
        )
        record_snapshot(session, MetricSnapshot(post, T0 - 6 * H, 1000, saves=2, source="csv"))
        record_snapshot(session, MetricSnapshot(post, T0 - 5 * H, 1100, saves=3, source="csv"))
        record_snapshot(session, MetricSnapshot(post, T0 - H, 1500, source="display"))
    with session_scope(database_url) as session:
        [facts] = gather_facts(session, T0).posts
    assert facts.latest is not None and facts.latest.views == 1500 and facts.latest.saves is None
    assert facts.latest_saves == MetricSnapshot(post, T0 - 5 * H, 1100, saves=3, source="csv")


def test_account_facts_come_from_the_channels_tiktok_grants(database_url: str) -> None:
    seed(database_url)
    cipher = TokenCipher(Fernet.generate_key().decode())
    with session_scope(database_url) as session:
        for name in ("Air", "Water"):
            channel = get_channel(session, name)
            assert channel is not None and channel.id is not None
            save_account(
                session,
                channel.id,
                open_id=f"open-{name}",
                scopes=frozenset({"video.list"}),
                tokens=StoredTokens("access", T0 + H, "refresh", T0 + 24 * H),
                creator=Creator(name, name.lower(), ("PUBLIC_TO_EVERYONE",)),
                user_id="U0ALICE",
                cipher=cipher,
                now=T0,
            )
            if name == "Water":
                mark_needs_reconnect(session, channel.id, "auth_removed", T0)
    rules = [
        parse_rule({"name": "expiring", "kind": "token_expiring"}),
        parse_rule({"name": "revoked", "kind": "token_revoked"}),
    ]
    with session_scope(database_url) as session:
        facts = gather_facts(session, T0)
    assert sorted((a.channel, a.token_expires_at, a.token_revoked) for a in facts.accounts) == [
        ("Air", T0 + 24 * H, False),
        ("Water", T0 + 24 * H, True),
    ]
    assert [c.key for c in evaluate(rules, facts, T0)] == ["expiring:channel:Air", "revoked:channel:Water"]
