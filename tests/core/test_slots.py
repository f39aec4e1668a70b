"""Slot rules, the next free slot, why a time is refused, and rules that cannot be met."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.channels import PostingWindow, impossible_rules, parse_days, parse_windows
from core.forms import FieldError
from core.slots import (
    NextSlot,
    SlotRule,
    check_time,
    describe_time,
    in_windows,
    local_instant,
    next_free_slot,
    parse_rule,
    parse_rules,
    rule_problems,
    rule_slots,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SEED_WINDOWS = parse_windows(["Mon-Fri 16:00-19:00", "Sat,Sun 09:00-12:00"])


def at(tz: ZoneInfo, text: str, fold: int = 0) -> datetime:
    """A local wall-clock time as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold).astimezone(UTC)


# --- rules people type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days", "times", "described"),
    [
        ("Mon,Wed,Fri 18:30", {0, 2, 4}, ["18:30"], "Mon,Wed,Fri 18:30"),
        ("Tue-Thu 12:00,18:00", {1, 2, 3}, ["12:00", "18:00"], "Tue-Thu 12:00,18:00"),
        ("daily 09:00", set(range(7)), ["09:00"], "daily 09:00"),
        ("weekdays 07:45", set(range(5)), ["07:45"], "weekdays 07:45"),
        ("  Sat, Sun   9:00 ", {5, 6}, ["09:00"], "weekends 09:00"),
        ("every day 20:00, 8:00 8:00", set(range(7)), ["08:00", "20:00"], "daily 08:00,20:00"),
        ("Fri-Mon 10:15", {4, 5, 6, 0}, ["10:15"], "Mon,Fri,Sat,Sun 10:15"),
        ("Mon-Sun 06:00", set(range(7)), ["06:00"], "daily 06:00"),
    ],
)
def test_rules_parse_and_describe(text: str, days: set[int], times: list[str], described: str) -> None:
    rule = parse_rule(text)
    assert rule.days == frozenset(days)
    assert [f"{t:%H:%M}" for t in rule.times] == times
    assert rule.describe() == described
    assert parse_rule(rule.describe()) == rule


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Mon,Wed", "'Mon,Wed' needs a time"),
        ("18:30", "'18:30' needs days before the time"),
        ("Fir 18:00", "'Fir' is not a weekday"),
        ("Mon 25:00", "25:00 is not a time of day"),
        ("Mon 18:61", "18:61 is not a time of day"),
        ("Mon 18:30pm", "'18:30pm' is not a time like 18:30"),
        ("Mon 18", "'18' is not a time like 18:30"),
        ("   ", "A slot rule needs days and a time"),
    ],
)
def test_bad_rules_name_the_bad_part(text: str, problem: str) -> None:
    with pytest.raises(FieldError, match=re.escape(problem)) as caught:
        parse_rule(text)
    assert caught.value.field == "slot_rules"


def test_several_rules_one_a_line_or_separated_by_semicolons() -> None:
    assert parse_rules("Mon 18:00; Tue 09:00\n\nweekends 10:00") == (
        parse_rule("Mon 18:00"),
        parse_rule("Tue 09:00"),
        parse_rule("weekends 10:00"),
    )


rules_strategy = st.builds(
    SlotRule,
    days=st.frozensets(st.integers(0, 6), min_size=1),
    times=st.lists(st.times().map(lambda t: time(t.hour, t.minute)), min_size=1, max_size=4, unique=True).map(
        lambda ts: tuple(sorted(ts))
    ),
)


@given(rules_strategy)
def test_any_rule_round_trips(rule: SlotRule) -> None:
    assert parse_rule(rule.describe()) == rule


# --- daylight saving ---------------------------------------------------------------------


def test_a_time_the_clocks_skip_moves_to_the_end_of_the_gap() -> None:
    # New York springs forward at 02:00 on 8 March 2026; London at 01:00 on 29 March.
    assert local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK) == at(NEW_YORK, "2026-03-08 03:00")
    assert local_instant(date(2026, 3, 29), time(1, 30), LONDON) == at(LONDON, "2026-03-29 02:00")
    assert (
        describe_time(local_instant(date(2026, 3, 29), time(1, 30), LONDON), LONDON) == "Sun 29 Mar 02:00 BST"
    )


def test_a_time_that_happens_twice_gives_the_first() -> None:
    first = local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not 01:30 EST
    assert describe_time(first, NEW_YORK) == "Sun 1 Nov 01:30 EDT"


def test_a_daily_rule_posts_once_a_day_across_both_changes() -> None:
    rules = parse_rules("daily 01:30; daily 02:30")
    for tz, spring, autumn in [(NEW_YORK, "2026-03-08", "2026-11-01"), (LONDON, "2026-03-29", "2026-10-25")]:
        for change in (spring, autumn):
            day = date.fromisoformat(change)
            start = at(tz, f"{day - timedelta(days=1)} 12:00")
            slots = list(rule_slots(rules, start, start + 2 * 24 * H, tz))
            on_the_day = [s for s in slots if s.astimezone(tz).date() == day]
            # Two wall times a day, never fewer, never more, each at a distinct instant,
            # except where both fall into the same skipped hour.
            assert len(on_the_day) == len(set(on_the_day))
            assert 1 <= len(on_the_day) <= 2
            assert slots == sorted(slots)
    # In New York's skipped hour 02:30 becomes 03:00; 01:30 exists as usual.
    assert list(
        rule_slots(rules, at(NEW_YORK, "2026-03-08 00:00"), at(NEW_YORK, "2026-03-08 12:00"), NEW_YORK)
    ) == [
        at(NEW_YORK, "2026-03-08 01:30"),
        at(NEW_YORK, "2026-03-08 03:00"),
    ]
    # In London's skipped hour 01:30 becomes 02:00 BST, and 02:30 BST follows.
    assert list(
        rule_slots(rules, at(LONDON, "2026-03-29 00:00"), at(LONDON, "2026-03-29 12:00"), LONDON)
    ) == [
        at(LONDON, "2026-03-29 02:00"),
        at(LONDON, "2026-03-29 02:30"),
    ]


def test_windows_follow_the_wall_clock_through_the_repeated_hour() -> None:
    windows = parse_windows("Sun 00:30-01:30")
    taken = [at(NEW_YORK, "2026-11-01 00:30"), at(NEW_YORK, "2026-11-01 01:30")]
    found = next_free_slot(at(NEW_YORK, "2026-11-01 00:00"), (), windows, 5, H, taken, NEW_YORK)
    # An hour after 01:30 EDT the wall clock shows 01:30 again (EST): still inside the window.
    assert found.at == at(NEW_YORK, "2026-11-01 01:30", fold=1)
    assert describe_time(found.at, NEW_YORK) == "Sun 1 Nov 01:30 EST"


def test_a_slot_never_lands_in_the_half_hour_between_the_two_passes_of_a_window() -> None:
    windows = parse_windows("Sun 01:00-01:30")
    taken = [at(NEW_YORK, "2026-11-01 01:00"), at(NEW_YORK, "2026-11-01 01:20")]
    found = next_free_slot(at(NEW_YORK, "2026-11-01 00:00"), (), windows, 5, 15 * MINUTE, taken, NEW_YORK)
    # 01:35 EDT is clear of both posts but the clock then shows 01:35, outside the window.
    assert found.at == at(NEW_YORK, "2026-11-01 01:00", fold=1)


def test_a_window_inside_the_skipped_hour_is_closed_that_day() -> None:
    windows = parse_windows("Sun 02:00-02:45")
    found = next_free_slot(at(NEW_YORK, "2026-03-08 00:00"), (), windows, 3, H, [], NEW_YORK)
    assert found.at == at(NEW_YORK, "2026-03-15 02:00")


# --- the next free slot ------------------------------------------------------------------


def test_the_next_free_slot_fills_the_window_then_moves_to_the_next_day() -> None:
    after = at(LONDON, "2026-12-01 07:31:54")
    taken: list[datetime] = []
    found = []
    for _ in range(5):
        slot = next_free_slot(after, (), SEED_WINDOWS, 3, 3 * H, taken, LONDON).at
        assert slot is not None
        taken.append(slot)
        found.append(describe_time(slot, LONDON))
    # 3 h apart in a 3 h window: two a day, whatever the cap of 3 says.
    assert found == [
        "Tue 1 Dec 16:00 GMT",
        "Tue 1 Dec 19:00 GMT",
        "Wed 2 Dec 16:00 GMT",
        "Wed 2 Dec 19:00 GMT",
        "Thu 3 Dec 16:00 GMT",
    ]


def test_without_windows_any_whole_minute_after_now() -> None:
    after = datetime(2026, 12, 1, 7, 31, 54, tzinfo=UTC)
    assert next_free_slot(after, (), (), 3, 3 * H, [], LONDON).at == datetime(2026, 12, 1, 7, 32, tzinfo=UTC)
    taken = [datetime(2026, 12, 1, 6, 0, 30, tzinfo=UTC)]
    assert next_free_slot(after, (), (), 3, 3 * H, taken, LONDON).at == datetime(
        2026, 12, 1, 9, 1, tzinfo=UTC
    )


def test_rules_give_the_slots_and_skip_taken_full_or_closed_ones() -> None:
    rules = parse_rules("Mon,Wed,Fri 18:30; Sat 08:00")
    after = at(LONDON, "2026-12-01 07:00")  # a Tuesday
    assert next_free_slot(after, rules, SEED_WINDOWS, 3, 3 * H, [], LONDON).at == at(
        LONDON, "2026-12-02 18:30"
    )
    # A post at 17:00 Wednesday is too close; Saturday 08:00 is outside the window; Monday next.
    taken = [at(LONDON, "2026-12-02 17:00"), at(LONDON, "2026-12-04 10:00")]
    found = next_free_slot(after, rules, SEED_WINDOWS, 1, 3 * H, taken, LONDON)
    assert found.at == at(LONDON, "2026-12-07 18:30")


def test_the_daily_cap_counts_the_local_day() -> None:
    # 23:30 in New York on 1 December is 2 December in UTC, but it fills New York's 1 December.
    taken = [at(NEW_YORK, "2026-12-01 23:30")]
    found = next_free_slot(
        at(NEW_YORK, "2026-12-01 10:00"), parse_rules("daily 12:00"), (), 1, H, taken, NEW_YORK
    )
    assert found.at == at(NEW_YORK, "2026-12-02 12:00")


def test_nothing_fits_says_why() -> None:
    after = at(LONDON, "2026-12-01 07:00")
    outside = next_free_slot(after, parse_rules("Mon 08:00"), SEED_WINDOWS, 3, 3 * H, [], LONDON)
    assert outside.at is None
    assert outside.reason == (
        "None of the recurring slots (Mon 08:00) in the next 60 days falls inside the posting windows "
        "(Mon-Fri 16:00-19:00; Sat,Sun 09:00-12:00)."
    )
    taken = [at(LONDON, "2026-12-01 12:00") + 3 * H * i for i in range(8 * 10)]
    full = next_free_slot(after, (), (), 3, 3 * H, taken, LONDON, horizon=timedelta(days=7))
    assert full.at is None
    assert full.reason == (
        "Every slot in the next 7 days is taken, less than 3 h from another post, or on a day that "
        "already has 3 posts."
    )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        next_free_slot(datetime(2026, 12, 1, 9, 0), (), (), 3, H, [], LONDON)


# --- why a time is refused ---------------------------------------------------------------


def test_every_reason_at_once() -> None:
    now = at(LONDON, "2026-12-01 20:00")
    taken = [at(LONDON, "2026-12-01 16:00"), at(LONDON, "2026-12-01 19:00")]
    assert check_time(at(LONDON, "2026-12-01 17:15"), SEED_WINDOWS, 2, 3 * H, taken, LONDON, now) == [
        "Tue 1 Dec 17:15 GMT is in the past.",
        "Tue 1 Dec already has 2 posts, the daily cap of 2.",
        "Tue 1 Dec 17:15 GMT is 1 h 15 min from the post at Tue 1 Dec 16:00 GMT; posts must be 3 h apart.",
        "Tue 1 Dec 17:15 GMT is 1 h 45 min from the post at Tue 1 Dec 19:00 GMT; posts must be 3 h apart.",
    ]
    assert check_time(at(LONDON, "2026-12-01 21:00"), SEED_WINDOWS, 3, 3 * H, [], LONDON, now) == [
        "Tue 1 Dec 21:00 GMT is outside the posting windows (Mon-Fri 16:00-19:00; Sat,Sun 09:00-12:00)."
    ]


def test_window_ends_and_exact_gaps_are_allowed() -> None:
    now = at(LONDON, "2026-12-01 08:00")
    taken = [at(LONDON, "2026-12-01 16:00")]
    assert check_time(at(LONDON, "2026-12-01 19:00"), SEED_WINDOWS, 3, 3 * H, taken, LONDON, now) == []
    late = check_time(at(LONDON, "2026-12-01 19:01"), SEED_WINDOWS, 3, 3 * H, taken, LONDON, now)
    assert late == [
        "Tue 1 Dec 19:01 GMT is outside the posting windows (Mon-Fri 16:00-19:00; Sat,Sun 09:00-12:00)."
    ]
    assert in_windows(at(LONDON, "2026-12-01 16:00"), SEED_WINDOWS, LONDON)
    assert not in_windows(at(LONDON, "2026-12-01 15:59:59"), SEED_WINDOWS, LONDON)


# --- rules that cannot be met ----------------------------------------------------------------


def test_fifteen_a_day_three_hours_apart_in_a_three_hour_window() -> None:
    assert impossible_rules(parse_windows("Mon-Fri 16:00-19:00"), 15, 3 * H) == [
        "On Mon-Fri at most 2 posts 3 h apart fit in 16:00-19:00, fewer than the daily cap of 15."
    ]


def test_impossible_rules_per_day_and_without_windows() -> None:
    windows = parse_windows(["Mon-Fri 09:00-10:00", "Mon-Fri 09:30-12:00", "Sat 10:00-22:00"])
    # Overlapping windows merge into 09:00-12:00: 09:00, 10:30, 12:00. Saturday fits 9.
    assert impossible_rules(windows, 3, timedelta(minutes=90)) == []
    assert impossible_rules(windows, 4, timedelta(minutes=90)) == [
        "On Mon-Fri at most 3 posts 90 min apart fit in 09:00-12:00, fewer than the daily cap of 4."
    ]
    assert impossible_rules((), 15, 2 * H) == [
        "In a day at most 12 posts 2 h apart fit, fewer than the daily cap of 15."
    ]
    assert impossible_rules((), 15, timedelta(hours=30)) == [
        "In a day at most 1 post 30 h apart fit, fewer than the daily cap of 15."
    ]
    assert impossible_rules(SEED_WINDOWS, 2, 3 * H) == []
    assert impossible_rules(SEED_WINDOWS, 15, timedelta(0)) == []


def test_recurring_slots_that_are_never_used() -> None:
    rules = parse_rules("weekdays 08:00; Mon,Wed,Fri 17:00,18:30; Mon-Fri 16:00,19:00; weekends 10:00")
    assert rule_problems(rules, SEED_WINDOWS, 2, 3 * H) == [
        "Mon-Fri 08:00 is outside the posting windows, so it is never used.",
        "On Mon,Wed,Fri 17:00, 18:30 are less than 3 h after an earlier slot, so they stay empty.",
    ]
    assert rule_problems(parse_rules("daily 09:00,12:00,15:00"), (), 2, 3 * H) == [
        "On Mon-Sun there are 3 slots, more than the daily cap of 2; 15:00 stays empty."
    ]
    assert (
        rule_problems(parse_rules("Mon-Fri 16:00,19:00; weekends 09:00,12:00"), SEED_WINDOWS, 2, 3 * H) == []
    )


# --- properties ------------------------------------------------------------------------------

ZONES = st.sampled_from([LONDON, NEW_YORK])
# The weeks around each change in both zones, and one quiet week.
CHANGE_WEEKS = [
    date(2026, 3, 5),
    date(2026, 3, 26),
    date(2026, 10, 22),
    date(2026, 10, 29),
    date(2026, 6, 10),
]


@st.composite
def windows_strategy(draw: st.DrawFn) -> tuple[PostingWindow, ...]:
    count = draw(st.integers(0, 3))
    windows = []
    for _ in range(count):
        start = draw(st.integers(0, 23 * 60 - 15))
        length = draw(st.integers(15, 24 * 60 - 1 - start))
        windows.append(
            PostingWindow(
                days=draw(st.frozensets(st.integers(0, 6), min_size=1)),
                start=time(start // 60, start % 60),
                end=time((start + length) // 60, (start + length) % 60),
            )
        )
    return tuple(windows)


@dataclass(frozen=True)
class Case:
    after: datetime
    rules: tuple[SlotRule, ...]
    windows: tuple[PostingWindow, ...]
    daily_cap: int
    min_gap: timedelta
    taken: list[datetime]
    tz: ZoneInfo

    def next_free_slot(self, horizon: timedelta) -> NextSlot:
        return next_free_slot(
            self.after,
            self.rules,
            self.windows,
            self.daily_cap,
            self.min_gap,
            self.taken,
            self.tz,
            horizon=horizon,
        )

    def check_time(self, moment: datetime) -> list[str]:
        return check_time(moment, self.windows, self.daily_cap, self.min_gap, self.taken, self.tz, self.after)


@st.composite
def schedule(draw: st.DrawFn) -> Case:
    week = draw(st.sampled_from(CHANGE_WEEKS))
    after = datetime.combine(week, time(0), tzinfo=UTC) + timedelta(
        seconds=draw(st.integers(0, 5 * 24 * 3600))
    )
    minutes = st.lists(st.integers(-2 * 24 * 60, 8 * 24 * 60), max_size=12)
    return Case(
        after=after,
        rules=draw(st.one_of(st.just(()), st.lists(rules_strategy, min_size=1, max_size=2).map(tuple))),
        windows=draw(windows_strategy()),
        daily_cap=draw(st.integers(1, 5)),
        min_gap=timedelta(minutes=draw(st.integers(0, 6 * 60))),
        # Taken times off the minute, as a person's typed time never is but a late post may be.
        taken=[after + timedelta(minutes=m, seconds=7) for m in draw(minutes)],
        tz=draw(ZONES),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule())
def test_a_next_free_slot_always_passes_check_time(case: Case) -> None:
    found = case.next_free_slot(horizon=timedelta(days=14))
    if found.at is None:
        assert found.reason
        return
    assert found.at >= case.after
    assert found.at.second == 0 and found.at.microsecond == 0
    assert case.check_time(found.at) == []
    if case.rules:
        assert found.at in set(rule_slots(case.rules, case.after, found.at + MINUTE, case.tz))


@settings(max_examples=40, deadline=None)
@given(schedule())
def test_no_earlier_minute_would_have_done(case: Case) -> None:
    found = case.next_free_slot(horizon=timedelta(days=2))
    limit = found.at or case.after + timedelta(days=2)
    if case.rules:
        earlier = list(rule_slots(case.rules, case.after, limit, case.tz))
    else:
        first = case.after.replace(second=0, microsecond=0)
        first += MINUTE if first < case.after else timedelta(0)
        earlier = [first + m * MINUTE for m in range(int((limit - first) / MINUTE))]
    for moment in earlier:
        assert case.check_time(moment), moment


@settings(max_examples=60, deadline=None)
@given(windows=windows_strategy(), daily_cap=st.integers(1, 15), gap_minutes=st.integers(1, 8 * 60))
def test_filling_a_day_fits_exactly_what_impossible_rules_says(
    windows: tuple[PostingWindow, ...], daily_cap: int, gap_minutes: int
) -> None:
    # A quiet Monday in UTC, with nothing the day before: the day alone limits what fits.
    gap = timedelta(minutes=gap_minutes)
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    if windows and not any(0 in w.days for w in windows):
        return
    most = daily_cap
    for sentence in impossible_rules(windows, daily_cap, gap):
        said = re.match(r"(?:On (?P<days>\S+) )?(?:In a day )?at most (?P<most>\d+) post", sentence)
        assert said, sentence
        if said["days"] is None or 0 in parse_days(said["days"]):
            most = int(said["most"])
    taken: list[datetime] = []
    while slot := next_free_slot(
        monday, (), windows, daily_cap, gap, taken, UTC, horizon=timedelta(days=1)
    ).at:
        taken.append(slot)
    assert len(taken) == most
