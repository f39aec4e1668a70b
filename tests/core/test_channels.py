"""Channel rules: posting windows, validation, seed data."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from core.channels import (
    Channel,
    PostingMode,
    parse_window,
    parse_windows,
    seed_channels,
    validate_channel,
)
from core.elements import Element
from core.forms import FieldError
from templates import load_library


@pytest.mark.parametrize(
    ("text", "days", "described"),
    [
        ("Mon-Fri 16:00-20:00", {0, 1, 2, 3, 4}, "Mon-Fri 16:00-20:00"),
        ("Sat,Sun 9:00-12:30", {5, 6}, "Sat,Sun 09:00-12:30"),
        ("tue, thu 18:00 - 21:00", {1, 3}, "Tue,Thu 18:00-21:00"),
        ("Fri-Mon 10:00-11:00", {4, 5, 6, 0}, "Mon,Fri,Sat,Sun 10:00-11:00"),
        ("Wednesday 07:15-08:00", {2}, "Wed 07:15-08:00"),
    ],
)
def test_windows_parse_and_describe(text: str, days: set[int], described: str) -> None:
    window = parse_window(text)
    assert window.days == frozenset(days)
    assert window.describe() == described
    assert parse_window(window.describe()) == window


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Mon-Fri", "is not a window like"),
        ("Funday 10:00-11:00", "is not a weekday"),
        ("Mon 20:00-18:00", "ends before it starts"),
        ("Mon 25:00-26:00", "is not a time of day"),
    ],
)
def test_bad_windows_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(FieldError, match=problem) as info:
        parse_window(text)
    assert info.value.field == "windows"


def test_windows_split_on_lines_and_semicolons() -> None:
    windows = parse_windows("Mon 10:00-11:00; Tue 12:00-13:00\nWed 14:00-15:00")
    assert [w.start for w in windows] == [time(10), time(12), time(14)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"daily_cap": 16}, "daily_cap"),
        ({"daily_cap": 0}, "daily_cap"),
        ({"min_gap": timedelta(minutes=-1)}, "min_gap"),
        ({"hashtags": ("#ok", "not ok")}, "hashtags"),
    ],
)
def test_validation_names_the_field(change: dict, field: str) -> None:
    channel = Channel(**{"name": "Air", "element": Element.AIR, **change})
    with pytest.raises(FieldError) as info:
        validate_channel(channel)
    assert info.value.field == field


def test_rules_read_as_a_person_writes_them() -> None:
    channel = Channel(
        name="Fire",
        element=Element.FIRE,
        posting_mode=PostingMode.DIRECT,
        windows=parse_windows(["Mon-Fri 18:00-21:00"]),
        daily_cap=2,
        min_gap=timedelta(minutes=90),
    )
    assert channel.describe_rules() == "direct post, up to 2/day, 90 min apart, Mon-Fri 18:00-21:00"
    assert channel.account_status == "not connected"


def test_seed_file_gives_one_channel_per_element() -> None:
    channels = seed_channels(load_library("channels"))
    assert sorted(c.element for c in channels) == sorted(Element)


def test_seed_data_with_two_channels_of_one_element_is_refused() -> None:
    data = load_library("channels")
    with pytest.raises(FieldError, match="same element"):
        seed_channels([data[0], {**data[1], "element": data[0]["element"]}])
