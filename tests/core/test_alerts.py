"""Alert rules: parsing with plain errors, what each kind finds, and the alert lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.alert_lifecycle import ActionKind, Alert, AlertState, acknowledge, decide, resolve_by_hand, snooze
from core.alerts import (
    AccountFacts,
    AlertRuleError,
    Condition,
    Facts,
    Kind,
    PostFacts,
    Route,
    Rule,
    Severity,
    evaluate,
    parse_rule,
    parse_rules,
)
from core.metrics import MetricSnapshot

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def rule(kind: str, **fields: object) -> Rule:
    return parse_rule({"name": f"r_{kind}", "kind": kind, **fields})


def published(
    post_id: int = 1,
    *,
    views: int | None = 0,
    saves: int | None = None,
    age: timedelta = 3 * H,
    snap_age: timedelta | None = None,
    public_id: str | None = "7300000000000000001",
) -> PostFacts:
    """A post public since T0 - age, its latest snapshot taken at snap_age (default: now)."""
    since = T0 - age
    taken = since + (snap_age if snap_age is not None else age)
    latest = None if views is None else MetricSnapshot(post_id, taken, views, saves=saves, source="display")
    return PostFacts(
        post_id=post_id,
        channel="Air",
        state="published",
        due_at=since,
        public_since=since,
        public_id=public_id,
        latest=latest,
        latest_saves=latest if saves is not None else None,
        label="kite day",
    )


# ---- parsing ------------------------------------------------------------------------------


def test_a_rule_parses_with_defaults() -> None:
    parsed = parse_rule({"name": "zero", "kind": "zero_views"})
    assert parsed.kind is Kind.ZERO_VIEWS
    assert parsed.number("after_hours") == 2
    assert parsed.severity is Severity.WARNING and parsed.routes == (Route.CHANNEL,)
    assert parsed.repeat_every is None and parsed.enabled


def test_every_field_is_read() -> None:
    parsed = parse_rule(
        {
            "name": "saves-low",
            "kind": "low_save_rate",
            "below_percent": 0.5,
            "after_views": 1000,
            "severity": "critical",
            "routes": ["channel", "thread", "email"],
            "repeat_every_minutes": 30,
            "enabled": False,
        }
    )
    assert parsed.params == {"below_percent": 0.5, "after_views": 1000}
    assert parsed.routes == (Route.CHANNEL, Route.THREAD, Route.EMAIL)
    assert parsed.repeat_every == timedelta(minutes=30) and not parsed.enabled


def test_errors_name_the_rule_and_the_field() -> None:
    with pytest.raises(AlertRuleError) as caught:
        parse_rules(
            {
                "rules": [
                    {"name": "views", "kind": "low_views", "below": "many", "severity": "loud"},
                    {"name": "stale", "kind": "metrics_stale", "after_hour": 3, "routes": ["pager"]},
                    {"kind": "zero_views", "repeat_every_minutes": 0},
                    {"name": "what", "kind": "explosion"},
                    {"name": "dup", "kind": "post_failed"},
                    {"name": "dup", "kind": "post_failed"},
                ]
            }
        )
    problems = caught.value.problems
    assert "rule 'views', below: 'many' is not a number of 0 or more (fewer views than this...)" in problems
    assert any(p.startswith("rule 'views', at_hours: missing") for p in problems)
    assert "rule 'views', severity: 'loud' is not one of info, warning, critical" in problems
    assert "rule 'stale', routes: 'pager' not one of channel, thread, email" in problems
    assert (
        "rule 'stale', after_hour: not a field of a metrics_stale rule (its parameters: after_hours)"
        in problems
    )
    assert any(p.startswith("rule 3, name: missing") for p in problems)
    assert any(p.startswith("rule 3, repeat_every_minutes:") for p in problems)
    assert any(p.startswith("rule 'what', kind: 'explosion' is not one of zero_views") for p in problems)
    assert "rule 'dup': the name is used twice; each rule needs its own" in problems


def test_a_file_without_a_list_is_refused() -> None:
    with pytest.raises(AlertRuleError, match="a list under `rules:`"):
        parse_rules({"rule": []})


def test_process_silent_names_a_known_process() -> None:
    with pytest.raises(AlertRuleError, match="process: 'web' is not one of clock, worker"):
        rule("process_silent", process="web")


# ---- evaluation ---------------------------------------------------------------------------


def test_zero_views_after_n_hours_of_being_public() -> None:
    rules = [rule("zero_views")]
    assert [c.key for c in evaluate(rules, Facts(posts=[published(age=3 * H)]), T0)] == [
        "r_zero_views:post:1"
    ]
    # Measured before the lag allowance: not yet evidence of anything.
    young = published(age=3 * H, snap_age=timedelta(minutes=90))
    assert evaluate(rules, Facts(posts=[young]), T0) == []
    assert evaluate(rules, Facts(posts=[published(views=3)]), T0) == []


def test_a_post_without_a_public_id_never_has_zero_views() -> None:
    private = published(public_id=None)
    rules = [rule("zero_views"), rule("low_views", below=100, at_hours=1), rule("metrics_stale")]
    long_ago = published(public_id=None, age=48 * H, views=None)
    assert evaluate(rules, Facts(posts=[private, long_ago]), T0) == []


@given(
    views=st.integers(0, 10**6),
    saves=st.none() | st.integers(0, 10**4),
    age_minutes=st.integers(0, 60 * 24 * 120),
    state=st.sampled_from(["published", "processing", "scheduled", "failed"]),
)
def test_no_metric_rule_ever_fires_without_a_public_id(
    views: int, saves: int | None, age_minutes: int, state: str
) -> None:
    post = published(views=views, saves=saves, age=timedelta(minutes=age_minutes), public_id=None)
    post = PostFacts(**{**post.__dict__, "state": state})
    rules = [
        rule("zero_views", after_hours=0),
        rule("low_views", below=10**7, at_hours=0),
        rule("low_save_rate", below_percent=100, after_views=0),
        rule("metrics_stale", after_hours=0),
    ]
    assert evaluate(rules, Facts(posts=[post]), T0) == []


def test_low_views_at_age() -> None:
    rules = [rule("low_views", below=100, at_hours=24)]
    assert evaluate(rules, Facts(posts=[published(views=40, age=25 * H)]), T0)[0].summary == (
        "Post 1 “kite day” on Air has 40 views at 24 h or later (below 100)."
    )
    assert evaluate(rules, Facts(posts=[published(views=40, age=20 * H)]), T0) == []
    assert evaluate(rules, Facts(posts=[published(views=100, age=25 * H)]), T0) == []


def test_low_save_rate_after_enough_views() -> None:
    rules = [rule("low_save_rate", below_percent=1, after_views=1000)]
    [found] = evaluate(rules, Facts(posts=[published(views=2000, saves=10)]), T0)
    assert "saves 0.50% of 2,000 views (below 1.00%)" in found.summary
    assert evaluate(rules, Facts(posts=[published(views=900, saves=0)]), T0) == []
    assert evaluate(rules, Facts(posts=[published(views=2000, saves=None)]), T0) == []  # saves unknown
    assert evaluate(rules, Facts(posts=[published(views=2000, saves=40)]), T0) == []
    # A Display API poll (no saves) after the CSV import leaves the import's save rate in force.
    imported = published(views=2000, saves=10)
    polled = MetricSnapshot(1, T0 + H, 2500, source="display")
    [found] = evaluate(rules, Facts(posts=[PostFacts(**{**imported.__dict__, "latest": polled})]), T0 + H)
    assert "saves 0.50% of 2,000 views" in found.summary


def test_failed_and_late_posts() -> None:
    failed = PostFacts(2, "Fire", "failed", T0 - H, failure="spam_risk_too_many_posts")
    late = PostFacts(3, "Water", "queued", T0 - timedelta(minutes=12))
    on_time = PostFacts(4, "Earth", "scheduled", T0 - timedelta(minutes=5))
    facts = Facts(posts=[failed, late, on_time])
    found = evaluate([rule("post_failed"), rule("post_late", after_minutes=10)], facts, T0)
    assert [(c.key, c.post_id) for c in found] == [("r_post_failed:post:2", 2), ("r_post_late:post:3", 3)]
    assert found[0].summary == "Post 2 on Fire failed to publish: spam_risk_too_many_posts"
    assert found[1].summary == "Post 3 on Water was due 12 min ago and is still queued."


def test_metrics_stale_is_measured_against_the_polling_schedule() -> None:
    rules = [rule("metrics_stale", after_hours=1)]
    # 2 h old, last polled at 30 min: due every 5 min, so overdue by 85 min.
    stale = published(age=2 * H, snap_age=timedelta(minutes=30), views=10)
    fresh = published(2, age=2 * H, snap_age=timedelta(minutes=118), views=10)
    # 30 days old, polled daily: 20 h since the last poll is on time.
    old = published(3, age=30 * 24 * H, snap_age=30 * 24 * H - 20 * H, views=10)
    assert [c.subject for c in evaluate(rules, Facts(posts=[stale, fresh, old]), T0)] == ["post:1"]


def test_tokens_and_heartbeats() -> None:
    accounts = [
        AccountFacts("Air", token_expires_at=T0 + 10 * H),
        AccountFacts("Water", token_expires_at=T0 + 100 * H),
        AccountFacts("Fire", token_revoked=True, token_expires_at=T0 + H),
        AccountFacts("Earth"),
    ]
    beats = {"clock": T0 - timedelta(minutes=6), "worker": T0 - timedelta(minutes=1)}
    rules = [
        rule("token_expiring"),
        rule("token_revoked"),
        parse_rule({"name": "clock", "kind": "process_silent", "process": "clock"}),
        parse_rule({"name": "worker", "kind": "process_silent", "process": "worker"}),
    ]
    found = evaluate(rules, Facts(accounts=accounts, heartbeats=beats), T0)
    assert [c.key for c in found] == [
        "r_token_expiring:channel:Air",
        "r_token_revoked:channel:Fire",
        "clock:process:clock",
    ]
    assert found[2].summary == "The clock has been silent for 6 min."


def test_disabled_rules_find_nothing() -> None:
    assert evaluate([rule("zero_views", enabled=False)], Facts(posts=[published()]), T0) == []


# ---- lifecycle ----------------------------------------------------------------------------


def condition(summary: str = "Post 1 has 0 views.", every: timedelta | None = H) -> Condition:
    return Condition(
        rule="zero", subject="post:1", severity=Severity.CRITICAL, routes=(Route.CHANNEL,), summary=summary,
        repeat_every=every, post_id=1,
    )  # fmt: skip


def stored(action_alert: Alert | None) -> Alert:
    assert action_alert is not None
    return action_alert


def test_open_repeat_acknowledge_resolve() -> None:
    opened = decide(None, condition(), T0)
    assert opened.kind is ActionKind.OPEN and opened.previous is None
    alert = stored(opened.alert)
    assert (alert.key, alert.state, alert.first_fired_at) == ("zero:post:1", AlertState.FIRING, T0)
    assert decide(alert, condition(), T0 + 30 * timedelta(minutes=1)).kind is ActionKind.NOTHING
    repeat = decide(alert, condition(), T0 + H)
    assert repeat.kind is ActionKind.REPEAT and stored(repeat.alert).repeat_count == 1
    alert = acknowledge(stored(repeat.alert), "U0ALICE", T0 + 2 * H)
    assert alert.state is AlertState.ACKNOWLEDGED and alert.acknowledged_by == "U0ALICE"
    assert decide(alert, condition(), T0 + 10 * H).kind is ActionKind.NOTHING  # acknowledged: quiet
    resolved = decide(alert, None, T0 + 11 * H)
    assert resolved.kind is ActionKind.RESOLVE
    assert (
        stored(resolved.alert).state is AlertState.RESOLVED
        and stored(resolved.alert).resolved_at == T0 + 11 * H
    )
    assert decide(stored(resolved.alert), None, T0 + 12 * H).kind is ActionKind.NOTHING
    again = decide(stored(resolved.alert), condition(), T0 + 13 * H)
    assert again.kind is ActionKind.OPEN and stored(again.alert).first_fired_at == T0 + 13 * H


def test_a_rule_without_a_repeat_says_it_once() -> None:
    alert = stored(decide(None, condition(every=None), T0).alert)
    assert decide(alert, condition(every=None), T0 + 100 * H).kind is ActionKind.NOTHING


def test_a_snooze_holds_repeats_back_and_reminds_when_it_ends() -> None:
    alert = snooze(stored(decide(None, condition(), T0).alert), T0 + 4 * H)
    assert decide(alert, condition(), T0 + 2 * H).kind is ActionKind.NOTHING
    reminded = decide(alert, condition(), T0 + 4 * H)
    assert reminded.kind is ActionKind.REPEAT and stored(reminded.alert).snoozed_until is None
    # Without a repeat interval, the snooze's end still reminds, once.
    quiet = snooze(stored(decide(None, condition(every=None), T0).alert), T0 + H)
    once = stored(decide(quiet, condition(every=None), T0 + H).alert)
    assert decide(quiet, condition(every=None), T0 + H).kind is ActionKind.REPEAT
    assert decide(once, condition(every=None), T0 + 50 * H).kind is ActionKind.NOTHING


def test_a_changed_summary_updates_in_place() -> None:
    alert = stored(decide(None, condition("was due 10 min ago"), T0).alert)
    updated = decide(alert, condition("was due 15 min ago"), T0 + timedelta(minutes=5))
    assert updated.kind is ActionKind.UPDATE and stored(updated.alert).summary == "was due 15 min ago"
    assert stored(updated.alert).last_fired_at == T0


def test_resolved_by_hand_fires_again_after_an_interval_if_the_condition_holds() -> None:
    alert = resolve_by_hand(stored(decide(None, condition(), T0).alert), "U0BOB", T0 + H)
    assert alert.resolved_by == "U0BOB"
    assert decide(alert, condition(), T0 + H + timedelta(minutes=59)).kind is ActionKind.NOTHING
    assert decide(alert, condition(), T0 + 2 * H).kind is ActionKind.OPEN


def test_a_reopened_alert_keeps_its_slack_message() -> None:
    from dataclasses import replace

    alert = replace(
        stored(decide(None, condition(), T0).alert), slack_channel="C1", slack_ts="1.2", revision=3
    )
    reopened = stored(decide(stored(decide(alert, None, T0 + H).alert), condition(), T0 + 2 * H).alert)
    assert (reopened.slack_channel, reopened.slack_ts, reopened.revision) == ("C1", "1.2", 3)
    assert reopened.repeat_count == 0 and reopened.acknowledged_by is None


@given(
    steps=st.lists(
        st.tuples(st.booleans(), st.integers(0, 600), st.sampled_from(["", "ack", "snooze"])), max_size=30
    )
)
def test_decide_is_deterministic_and_consistent(steps: list[tuple[bool, int, str]]) -> None:
    alert: Alert | None = None
    now = T0
    for holds, minutes, person in steps:
        now += timedelta(minutes=minutes)
        if alert is not None and person == "ack":
            alert = acknowledge(alert, "U0ALICE", now)
        elif alert is not None and person == "snooze":
            alert = snooze(alert, now + H)
        found = condition() if holds else None
        first, second = decide(alert, found, now), decide(alert, found, now)
        assert first == second
        if first.kind is ActionKind.RESOLVE:
            assert stored(first.alert).state is AlertState.RESOLVED
        if first.kind in (ActionKind.OPEN, ActionKind.REPEAT):
            assert stored(first.alert).state is AlertState.FIRING and holds
        if not holds:
            assert first.kind in (ActionKind.RESOLVE, ActionKind.NOTHING)
        alert = first.alert
